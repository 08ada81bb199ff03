"""From components back to a matrix, for the index method (SPEC §3).

After ``∂X_ab/∂X_pq = δ_ap δ_bq`` each term of the derivative is a product of
entries with sums and deltas.  The deltas are contracted
(``Σ_a A_ab δ_ap = A_pb``), then the term is reassembled one rule at a time,
the rules of ``rules/index.components`` read from right to left: entries
with the same indices are a Hadamard product, an index summed over two
entries a matrix product, a diagonal entry A_kk of diag(A), and at the end
``u_p v_q`` is ``(u v^T)_pq``.
"""

from __future__ import annotations

from dataclasses import replace

from ...language import ast as A
from ...rewriting.canon import canon
from ..trace_method import push_transposes
from .components import Factor, Term, not_by_components

MAX_ROUNDS = 200


def identified(terms, dX: A.Differential, free: tuple, sizes: tuple) -> list:
    """Each dX_ab replaced by δ_ap δ_bq (the entries of X are independent)."""
    out = []
    for term in terms:
        kept, deltas = [], list(term.deltas)
        for factor in term.factors:
            if factor.matrix == dX:
                targets = [(target, size) for target, size in zip(free, sizes) if target]
                deltas += [(index, target, size) for index, (target, size) in zip(factor.indices, targets)]
            else:
                kept.append(factor)
        out.append(replace(term, factors=tuple(kept), deltas=tuple(deltas)))
    return out


def contracted(term: Term) -> Term:
    """Σ_a (..a..) δ_ap = (..p..): every delta with a summed index."""
    for _ in range(len(term.deltas)):
        summed = {index for index, _ in term.sums}
        for position, (a, b, _) in enumerate(term.deltas):
            if a == b:                                   # δ_ii = 1
                term = replace(term, deltas=term.deltas[:position] + term.deltas[position + 1:])
                break
            gone, kept = (a, b) if a in summed else (b, a) if b in summed else (None, None)
            if gone:
                deltas = term.deltas[:position] + term.deltas[position + 1:]
                term = _renamed(replace(term, deltas=deltas, sums=tuple(s for s in term.sums if s[0] != gone)),
                                gone, kept)
                break
        else:
            break
    return term


def _renamed(term: Term, old: str, new: str) -> Term:
    def swap(indices):
        return tuple(new if i == old else i for i in indices)
    return replace(term, factors=tuple(Factor(f.matrix, swap(f.indices)) for f in term.factors),
                   deltas=tuple((*swap(d[:2]), d[2]) for d in term.deltas))


class Reassembler:
    def __init__(self, env, context):
        self.env, self.context = env, context

    def transposed(self, matrix):
        return push_transposes(A.Transpose(matrix), self.context)

    def round(self, term: Term, used: list) -> Term | None:
        """One kind of rewrite, wherever it applies; None when there is none."""
        for rewrite in (self._trace, self._diagonal, self._identity, self._hadamard, self._contract, self._lone_sum,
                        self._scale):
            changed = rewrite(term, used)
            if changed is not None:
                return self._scalars_out(changed)
        return None

    def _scalars_out(self, term: Term) -> Term:
        scalars = [f.matrix for f in term.factors if not f.indices]
        if not scalars:
            return term
        coefficient = canon(A.Product((term.coefficient, *scalars)), self.env)
        return replace(term, coefficient=coefficient, factors=tuple(f for f in term.factors if f.indices))

    def _trace(self, term, used):
        """Σ_k M_kk = tr(M): a sum over the diagonal of one matrix, and nothing else holds k."""
        for index, _ in term.sums:
            holding = [f for f in term.factors if index in f.indices]
            if len(holding) == 1 and holding[0].indices == (index, index) \
                    and not any(index in d[:2] for d in term.deltas):
                used.append("index-trace")
                traced = Factor(canon(A.Trace(holding[0].matrix), self.env), ())
                return replace(term, sums=tuple(s for s in term.sums if s[0] != index),
                               factors=tuple(f for f in term.factors if f is not holding[0]) + (traced,))
        return None

    def _diagonal(self, term, used):
        if not any(len(f.indices) == 2 and f.indices[0] == f.indices[1] for f in term.factors):
            return None
        used.append("index-diag-of-matrix")
        return replace(term, factors=tuple(
            Factor(canon(A.Diag(f.matrix), self.env), f.indices[:1])
            if len(f.indices) == 2 and f.indices[0] == f.indices[1] else f for f in term.factors))

    def _identity(self, term, used):
        if not term.deltas:
            return None
        used.append("index-identity")
        identities = tuple(Factor(A.Identity(size), (a, b)) for a, b, size in term.deltas)
        return replace(term, deltas=(), factors=term.factors + identities)

    def _hadamard(self, term, used):
        factors = list(term.factors)
        for first in range(len(factors)):
            for second in range(first + 1, len(factors)):
                a, b = factors[first], factors[second]
                if a.indices == b.indices or (len(a.indices) == 2 and a.indices == b.indices[::-1]):
                    other = b.matrix if a.indices == b.indices else self.transposed(b.matrix)
                    if a.indices != b.indices:
                        used.append("index-transpose")
                    used.append("index-hadamard")
                    factors[first] = Factor(canon(A.Hadamard((a.matrix, other)), self.env), a.indices)
                    del factors[second]
                    return replace(term, factors=tuple(factors))
        return None

    def _contract(self, term, used):
        for index, size in term.sums:
            holding = [f for f in term.factors if index in f.indices]
            if len(holding) != 2:
                continue
            (left, x), (right, y) = self._with_index_last(holding[0], index), self._with_index_first(holding[1], index)
            product = canon(A.Product((left, right)), self.env)
            if x is None and y is not None:
                product, indices = self.transposed(product), (y,)     # a row: its transpose's entries
            else:
                indices = tuple(i for i in (x, y) if i)
            used.append("index-product")
            # the product stands where its first entry stood: (W^T g)_p h_p, as the trace method writes it
            at = term.factors.index(holding[0])
            factors = [f for f in term.factors if f not in holding]
            factors.insert(at, Factor(product, indices))
            return replace(term, sums=tuple(s for s in term.sums if s[0] != index), factors=tuple(factors))
        return None

    def _with_index_last(self, factor, index):
        """(M, other) with M_other,index = factor (other None: M is a row)."""
        if factor.indices == (index,):
            return self.transposed(factor.matrix), None
        if factor.indices[1] == index:
            return factor.matrix, factor.indices[0]
        return self.transposed(factor.matrix), factor.indices[1]

    def _with_index_first(self, factor, index):
        """(M, other) with M_index,other = factor (other None: M is a column)."""
        if factor.indices == (index,):
            return factor.matrix, None
        if factor.indices[0] == index:
            return factor.matrix, factor.indices[1]
        return self.transposed(factor.matrix), factor.indices[0]

    def _lone_sum(self, term, used):
        """Σ_k over one entry: Σ_k u_k = 1^T u, Σ_k A_xk = (A 1)_x."""
        for index, size in term.sums:
            holding = [f for f in term.factors if index in f.indices]
            if len(holding) > 1:
                continue
            sums = tuple(s for s in term.sums if s[0] != index)
            if not holding:
                raise not_by_components(f"a sum over {index} of a constant")
            ones = A.Ones(size, _one_dim(self.env))
            matrix, other = self._with_index_last(holding[0], index)
            summed = canon(A.Product((matrix, ones)), self.env)
            used.extend(["index-ones", "index-product"])
            new = Factor(summed, (other,) if other else ())
            return replace(term, sums=sums, factors=tuple(f for f in term.factors if f is not holding[0]) + (new,))
        return None

    def _scale(self, term, used):
        """u_x A_xy = (diag(u) A)_xy: a vector entry into the matrix entry it shares an index with."""
        for vector in (f for f in term.factors if len(f.indices) == 1):
            for matrix in (f for f in term.factors if len(f.indices) == 2 and vector.indices[0] in f.indices):
                scaled = (A.Product((A.Diag(vector.matrix), matrix.matrix)) if matrix.indices[0] == vector.indices[0]
                          else A.Product((matrix.matrix, A.Diag(vector.matrix))))
                used.append("index-diag")
                factors = [f for f in term.factors if f is not vector and f is not matrix]
                return replace(term, factors=tuple(factors) + (Factor(canon(scaled, self.env), matrix.indices),))
        return None

    def kron(self, term, outer, free, shapes, used):
        return kron(self, term, outer, free, shapes, used)

    def matrix(self, term: Term, free: tuple, shape: tuple, used: list) -> A.Expr:
        """The matrix G with G_rc = term, once the term is a product of entries
        with free indices only: G, G^T, u v^T, u 1^T, 1 v^T, or 1 1^T."""
        r, c = free
        factors = term.factors
        if term.sums or term.deltas or len({i for f in factors for i in f.indices}) != sum(len(f.indices) for f in factors):
            raise not_by_components("this derivative (an index left over that no rule takes back to matrices)")
        by_indices = {f.indices: f.matrix for f in factors}
        rows, cols = shape
        if r is None and c is None:
            matrix = A.ONE
        elif (r, c) in by_indices:
            matrix = by_indices[(r, c)]
        elif (c, r) in by_indices:
            used.append("index-transpose")
            matrix = self.transposed(by_indices[(c, r)])
        elif c is None:
            matrix = by_indices.get((r,), A.Ones(rows, cols))
        else:
            u = by_indices.get((r,), A.Ones(rows, _one_dim(self.env))) if r else None
            v = by_indices.get((c,), A.Ones(cols, _one_dim(self.env)))
            if (r and (r,) not in by_indices) or (c,) not in by_indices:
                used.append("index-ones")
            used.append("index-outer")
            matrix = A.Product((u, A.Transpose(v))) if u is not None else A.Transpose(v)
        return canon(A.Product((term.coefficient, matrix)), self.env)


def kron(reassembler, term: Term, outer: tuple, free: tuple, shapes: tuple, used: list) -> A.Expr:
    """∂F_ij/∂X_pq = P_ip Q_jq is vec(dF) = (Q ⊗ P) vec(dX) (vec-kron, as
    vec(P dX Q^T)); P_iq Q_jp is (Q ⊗ P) K vec(dX) with K vec(dX) = vec(dX^T).
    An entry M_ij of F's own indices scales the rows, diag(vec(M)) (J_ij,pq =
    M_ij ..., vec-hadamard), one N_pq the columns; δ_jq lets S_pj be S_pq."""
    env = reassembler.env
    i, j = outer
    p, q = free
    (f_rows, f_cols), (x_rows, x_cols) = shapes
    rows_of, columns_of = {i, j} - {None}, {p, q} - {None}
    factors = _substituted(list(term.factors), rows_of, columns_of, used)
    left = [f for f in factors if len(rows_of) == 2 and set(f.indices) == rows_of]
    right = [f for f in factors if len(columns_of) == 2 and set(f.indices) == columns_of]
    rest = [f for f in factors if f not in left and f not in right]
    for (first, second), crossed in ((((i, p), (j, q)), False), (((i, q), (j, p)), True)):
        groups: tuple = ([], [])
        for factor in rest:
            side = 0 if set(factor.indices) <= {first[0], first[1]} - {None} else \
                1 if set(factor.indices) <= {second[0], second[1]} - {None} else None
            if side is None:
                break
            groups[side].append(factor)
        else:
            break
    else:
        batched = _through_a_sum(reassembler, term, outer, free, shapes, used)
        if batched is None:
            raise not_by_components("this Jacobian (its entries are no product P_ip Q_jq, nor a sum "
                                    "Σ_k A_jk M_ik B_qk over a batch of columns)")
        return batched
    first_shape = (f_rows, x_cols if crossed else x_rows)
    second_shape = (f_cols, x_rows if crossed else x_cols)
    P = reassembler.matrix(Term(term.coefficient, (), tuple(groups[0])), first, first_shape, used)
    Q = reassembler.matrix(Term(A.ONE, (), tuple(groups[1])), second, second_shape, used)
    jacobian = [A.Kron((Q, P))]
    if crossed:
        used.append("vec-transpose")
        jacobian.append(A.Commutation(x_rows, x_cols))
    used.append("vec-kron")
    if left:
        jacobian.insert(0, _scaling(left, (i, j), reassembler, used))
    if right:
        jacobian.append(_scaling(right, (p, q), reassembler, used))
    return canon(A.Product(tuple(jacobian)), env)


def _through_a_sum(reassembler, term: Term, outer, free, shapes, used):
    """Σ_k A_jk M_ik B_qk δ_ip = ((A ⊗ I) diag(vec(M)) (B^T ⊗ I))_(i,j),(p,q), and with
    N_pk for δ_ip, (A ⊗ I) diag(vec(M)) (I ⊗ 1 1^T) diag(vec(N)) (B^T ⊗ I): the
    columns k of a batch, each its own Jacobian (vec-kron, vec-hadamard); else None."""
    (i, j), (p, q) = outer, free
    if len(term.sums) != 1 or term.deltas or None in (i, j, p, q):
        return None
    k, size = term.sums[0]
    by: dict = {i: [], j: [], p: [], q: []}
    ties = [f for f in term.factors if isinstance(f.matrix, A.Identity) and set(f.indices) == {i, p}]
    for factor in term.factors:
        others = set(factor.indices) - {k}
        if factor in ties or _all_ones(factor.matrix):        # (1 1^T)_ip = 1 (index-ones)
            continue
        if k not in factor.indices or len(factor.indices) != 2 or len(others) != 1 or not others <= set(by):
            return None
        by[others.pop()].append(factor)
    if len(ties) > 1 or not (by[j] and by[q] and by[i]) or bool(ties) == bool(by[p]):
        return None
    env = reassembler.env
    (f_rows, _), (x_rows, _) = shapes

    def rows_by_k(index):
        return _merged([f.matrix if f.indices == (index, k) else reassembler.transposed(f.matrix)
                        for f in by[index]], env)
    used.extend(["vec-kron", "vec-hadamard"])
    chain = [A.Kron((rows_by_k(j), A.Identity(f_rows))), A.Diag(A.Vec(rows_by_k(i)))]
    if by[p]:
        chain += [A.Kron((A.Identity(size), A.Product((A.Ones(f_rows, _one_dim(env)),
                                                        A.Transpose(A.Ones(x_rows, _one_dim(env))))))),
                  A.Diag(A.Vec(rows_by_k(p)))]
    chain.append(A.Kron((reassembler.transposed(rows_by_k(q)), A.Identity(x_rows))))
    return canon(A.Product((term.coefficient, *chain)), env)


def _all_ones(matrix) -> bool:
    return all(isinstance(f, A.Ones) or isinstance(f, A.Transpose) and isinstance(f.arg, A.Ones)
               for f in (matrix.args if isinstance(matrix, A.Product) else (matrix,)))


def _merged(matrices, env):
    return canon(matrices[0] if len(matrices) == 1 else A.Hadamard(tuple(matrices)), env)


def _substituted(factors, rows_of, columns_of, used) -> list:
    """S_pj I_jq = S_pq I_jq: through an identity entry that ties one of F's
    indices to one of X's, an entry with one of each gets both of one side."""
    ties = [f.indices for f in factors if isinstance(f.matrix, A.Identity) and len(f.indices) == 2
            and len(set(f.indices) & rows_of) == 1 and len(set(f.indices) & columns_of) == 1]
    out = []
    for factor in factors:
        mixed = set(factor.indices) & rows_of and set(factor.indices) & columns_of and len(factor.indices) == 2
        earlier = next((tie for tie in ties[:ties.index(factor.indices)] if set(tie) & set(factor.indices) & rows_of),
                       None) if mixed and factor.indices in ties else None
        if earlier is not None:          # δ_ip δ_iq = δ_ip δ_pq: the diagonal of X only (diag(X)_i)
            theirs = next(iter(set(earlier) & columns_of))
            factor = Factor(factor.matrix, tuple(theirs if x in rows_of else x for x in factor.indices))
            used.append("delta-substitute")
        elif mixed and not isinstance(factor.matrix, A.Identity):
            for a, b in ties:
                ours, theirs = (a, b) if a in rows_of else (b, a)
                if ours in factor.indices and set(factor.indices) - {ours} <= columns_of:
                    factor = Factor(factor.matrix, tuple(theirs if x == ours else x for x in factor.indices))
                    used.append("delta-substitute")
                    break
        out.append(factor)
    return out


def _scaling(entries, indices, reassembler, used) -> A.Expr:
    """diag(vec(M)) for the entries M_ab that share the indices (a, b) (in that order)."""
    used.append("vec-hadamard")
    matrices = [f.matrix if f.indices == indices else reassembler.transposed(f.matrix) for f in entries]
    merged = matrices[0] if len(matrices) == 1 else A.Hadamard(tuple(matrices))
    return A.Diag(A.Vec(canon(merged, reassembler.env)))


def _one_dim(env):
    """The dimension 1 (of a column)."""
    return env.shape(A.ONE)[1]
