"""Expressions written by components, for the index method (SPEC §3).

A component expression is a sum of ``Term``s, each a coefficient times sums
over repeated indices of a product of entries ``M_ij`` (``Factor``) and
Kronecker deltas.  ``components`` writes a matrix expression (linear in a
differential) that way by the rules of ``rules/index.components``
(``(A B)_ij = Σ_k A_ik B_kj``, ``(A^T)_ij = A_ji``, ``(A ⊙ B)_ij = A_ij B_ij``,
``tr(A) = Σ_i A_ii`` ...), naming each rule it uses; ``render`` gives the tree
a step shows (``Entry``, ``IndexSum``, ``Delta`` nodes), written out entry by
entry where a constant is built entrywise (``(1 - h)_j`` is ``1 - h_j``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...errors import DerivationError
from ...language import ast as A
from ...language import index_ast as I
from ...language import functions
from ...rewriting.canon import canon
from ...shapes.env import TypeEnv

INDEX_LETTERS = "ijklmnrstuvabcdefgh"


@dataclass(frozen=True)
class Factor:
    matrix: A.Expr          # free of index nodes
    indices: tuple          # () a scalar, (i,) a vector's entry, (i, j) a matrix's


@dataclass(frozen=True)
class Term:
    coefficient: A.Expr = A.ONE        # a scalar with no indices
    sums: tuple = ()                   # ((index, size), ...): Σ over each
    factors: tuple = ()                # Factor, ...
    deltas: tuple = ()                 # ((i, j, size), ...): δ_ij

    def times(self, other: "Term") -> "Term":
        return Term(A.Product((self.coefficient, other.coefficient)), self.sums + other.sums,
                    self.factors + other.factors, self.deltas + other.deltas)

    def indices(self) -> set:
        return {i for f in self.factors for i in f.indices} | {i for d in self.deltas for i in d[:2]}


class Indices:
    """Fresh index letters (deterministic: same call, same letters)."""

    def __init__(self, taken, symbols=()):
        self.taken = set(taken)              # no summed index is named so
        self.symbols = set(symbols)          # no index at all is named so
        self.given: set = set()

    @classmethod
    def for_problem(cls, env: TypeEnv) -> "Indices":
        """No summed index named like a symbol or a dimension (K_{n,m} beside Σ_m
        would read wrong); a free one (∂l/∂W_pq) only avoids the symbols."""
        return cls(set(env.symbols) | set(env.dim_names()), env.symbols)

    def fresh(self) -> str:
        for letter in INDEX_LETTERS:
            if letter not in self.taken and letter not in self.given:
                self.given.add(letter)
                return letter
        name = f"i{len(self.given)}"
        self.given.add(name)
        return name

    def free(self, preferred: str) -> str:
        if preferred in self.symbols or preferred in self.given:
            return self.fresh()
        self.given.add(preferred)
        return preferred


def not_by_components(what: str) -> DerivationError:
    return DerivationError(f"the index method cannot write {what} by components; "
                           "try method='trace' or method='vec'")


class Writer:
    """``components(E, (row, col))``: E_row,col as a list of Terms, with the
    rules used appended to ``used``.  An index is None along a dimension of size 1."""

    def __init__(self, env: TypeEnv, indices: Indices, carries, used: list, transposed):
        self.env, self.indices, self.carries, self.used = env, indices, carries, used
        self.transposed = transposed         # M ↦ M^T with the transpose pushed to the leaves

    def components(self, expr, idx) -> list:
        env = self.env
        if isinstance(expr, A.Kron) and self.carries(expr):
            idx = self._as_pairs(expr, idx)
        if any(isinstance(i, tuple) for i in idx):       # an index that is a pair: of vec(·) or ⊗
            return self._paired(expr, idx)
        if not self.carries(expr):
            if env.is_scalar(expr):
                return [Term(coefficient=expr)]
            if env.is_row(expr):         # every vector entry is a column's: r_j = (r^T)_j
                return [Term(factors=(Factor(self.transposed(expr), (idx[1],)),))]
            return [Term(factors=(Factor(expr, _present(idx)),))]
        if isinstance(expr, A.Differential):
            return [Term(factors=(Factor(expr, _present(idx)),))]
        handler = getattr(self, "_" + type(expr).__name__.lower(), None)
        if handler is None:
            raise not_by_components(f"{type(expr).__name__.lower()}(...) around the differential")
        return handler(expr, idx)

    def _cite(self, rule):
        self.used.append(rule)

    def _add(self, expr, idx):
        if not self.env.is_scalar(expr):
            self._cite("index-add")
        return [term for arg in expr.args for term in self.components(arg, idx)]

    def _product(self, expr, idx):
        env = self.env
        scalars = [f for f in expr.args if env.is_scalar(f)]
        chain = [f for f in expr.args if not env.is_scalar(f)]
        terms = [Term()]
        for scalar in scalars:
            terms = _times(terms, self.components(scalar, (None, None)))
        if not chain:
            return terms
        cuts = [idx[0]]
        sums = []
        for left, right in zip(chain, chain[1:]):
            inner = env.shape(left)[1]
            pair = _matching(pair_sizes(left, "col", env), pair_sizes(right, "row", env))
            if pair:                       # vec(A)^T vec(dX): the summed index of vec(·) is a pair (i, j)
                cut, pair_sums = self.pair(pair)
                cuts.append(cut)
                sums.extend(pair_sums)
            elif inner.is_one:
                cuts.append(None)          # u v^T: no index is summed
            else:
                index = self.indices.fresh()
                cuts.append(index)
                sums.append((index, inner))
        cuts.append(idx[1])
        if len(chain) > 1:
            self._cite("index-product")
        for position, factor in enumerate(chain):
            terms = _times(terms, self.components(factor, (cuts[position], cuts[position + 1])))
        return [replace(term, sums=tuple(sums) + term.sums) for term in terms]

    def _transpose(self, expr, idx):
        self._cite("index-transpose")
        return self.components(expr.arg, (idx[1], idx[0]))

    def _hadamard(self, expr, idx):
        self._cite("index-hadamard")
        terms = [Term()]
        for arg in expr.args:
            inner = (None, None) if self.env.is_scalar(arg) else idx
            terms = _times(terms, self.components(arg, inner))
        return terms

    def pair(self, sizes) -> tuple:
        """A pair of fresh indices (fast, slow) for sizes (a dimension of 1 gets none), and their sums."""
        letters = tuple(None if size.is_one else self.indices.fresh() for size in sizes)
        return letters, tuple((i, size) for i, size in zip(letters, sizes) if i)

    def _trace(self, expr, idx):
        if self.env.is_scalar(expr.arg):
            return self.components(expr.arg, idx)
        self._cite("index-trace")
        pair = _matching(pair_sizes(expr.arg, "row", self.env), pair_sizes(expr.arg, "col", self.env), both=True)
        if pair:                       # tr(A ⊗ X) = Σ over the pairs (k, i) of (A ⊗ X)_(k,i),(k,i)
            diagonal, sums = self.pair(pair)
            return _summed(self.components(expr.arg, (diagonal, diagonal)), sums)
        index = self.indices.fresh()
        return _summed(self.components(expr.arg, (index, index)), ((index, self.env.shape(expr.arg)[0]),))

    def _sum(self, expr, idx):
        rows, cols = self.env.shape(expr.arg)
        self._cite("index-sum-entries")
        indices, sums = [], []
        for side, size in (("row", rows), ("col", cols)):
            pair = pair_sizes(expr.arg, side, self.env) if self.carries(expr.arg) else None
            if pair and not any(part.is_one for part in pair):      # sum(A ⊗ dX): over the pairs
                letters, pair_sums = self.pair(pair)
                indices.append(letters)
                sums.extend(pair_sums)
            else:
                index = None if size.is_one else self.indices.fresh()
                indices.append(index)
                sums.extend([(index, size)] if index else [])
        return _summed(self.components(expr.arg, tuple(indices)), tuple(sums))

    def _mean(self, expr, idx):
        rows, cols = self.env.shape(expr.arg)
        self._cite("mean-entries")
        count = A.Power(A.DimValue(rows * cols), A.MINUS_ONE)
        return [replace(t, coefficient=A.Product((count, t.coefficient))) for t in self._sum(A.Sum(expr.arg), idx)]

    def _diag(self, expr, idx):
        env = self.env
        if env.is_vector(expr):             # the diagonal of a matrix: diag(A)_i = A_ii
            self._cite("index-diag-of-matrix")
            return self.components(expr.arg, (idx[0], idx[0]))
        self._cite("index-diag")
        size = env.shape(expr.arg)[0]
        return [replace(t, deltas=t.deltas + ((idx[0], idx[1], size),)) for t in self.components(expr.arg, (idx[0], None))]


    # ------------------------------------------------------------ vec and ⊗
    # An entry of vec(M) is M_ij, its index the pair (i, j) (i runs fastest);
    # an entry of A ⊗ B is A_ik B_jl, its row the pair (j, i), its column (l, k).
    def _as_pairs(self, expr, idx) -> tuple:
        """One index of A ⊗ B as its pair where only one of A and B runs along
        it ((v ⊗ u^T)_ij = v_i u_j); an index that would have to be split is refused."""
        pairs = []
        for side, index in zip(("row", "col"), idx):
            sizes = pair_sizes(expr, side, self.env)
            if isinstance(index, tuple) or index is None or sizes is None:
                pairs.append(index if isinstance(index, tuple) or sizes else (None, None))
            elif sizes[0].is_one or sizes[1].is_one:
                pairs.append((None, index) if sizes[0].is_one else (index, None))
            else:
                raise not_by_components("an entry of kron(...) by one index (it runs over two)")
        return tuple(pairs)

    def _paired(self, expr, idx):
        if isinstance(expr, (A.Transpose, A.Add, A.Product)):      # the pair goes on to the terms, factors
            return getattr(self, "_" + type(expr).__name__.lower())(expr, idx)
        if isinstance(expr, A.Vec) and isinstance(idx[0], tuple):
            self._cite("index-vec")
            return self.components(expr.arg, idx[0])
        if isinstance(expr, A.Kron) and len(expr.args) == 2 and all(isinstance(i, tuple) for i in idx):
            self._cite("index-kron")
            (row_fast, row_slow), (col_fast, col_slow) = idx
            left, right = expr.args
            return _times(self.components(left, (row_slow, col_slow)), self.components(right, (row_fast, col_fast)))
        what = expr.name if isinstance(expr, A.Symbol) else f"{type(expr).__name__.lower()}(...)"
        raise not_by_components(f"{what} by a pair of indices (the index of a vec(...) or kron(...) beside it)")


def _matching(first, second, both=False):
    """The pair two sides share; two pairs that split the index differently
    (vec(A)^T (B ⊗ C) with A not of B's and C's columns) have no common entries."""
    if first and second and first != second or both and bool(first) != bool(second):
        raise not_by_components("two vec(...) or kron(...) indices that split differently")
    return first or second


def pair_sizes(expr, side: str, env: TypeEnv):
    """The sizes (fast, slow) of the pair that indexes ``expr``'s rows or columns
    (vec(M)'s rows: M's rows and columns; A ⊗ B's: B's and A's), else None."""
    if isinstance(expr, A.Transpose):
        return pair_sizes(expr.arg, "col" if side == "row" else "row", env)
    if isinstance(expr, A.Vec) and side == "row":
        return env.shape(expr.arg)
    if isinstance(expr, A.Add):            # dA ⊗ X + A ⊗ dX: the terms' pair
        return next((sizes for sizes in (pair_sizes(term, side, env) for term in expr.args) if sizes), None)
    if isinstance(expr, A.Kron) and len(expr.args) == 2:
        left, right = expr.args
        axis = 0 if side == "row" else 1
        sizes = (env.shape(right)[axis], env.shape(left)[axis])
        return None if all(size.is_one for size in sizes) else sizes
    return None


def _present(idx) -> tuple:
    return tuple(i for i in idx if i)


def _times(left, right) -> list:
    return [a.times(b) for a in left for b in right]


def _summed(terms, sums) -> list:
    return [replace(term, sums=tuple(sums) + term.sums) for term in terms]


# ---------------------------------------------------------------- rendering
def render(terms, env: TypeEnv, used: list | None = None) -> A.Expr:
    """The tree a step shows: Σ_k c A_ik ... δ_jp, a term after another."""
    used = [] if used is None else used
    parts = [render_term(term, env, used) for term in terms]
    return A.joined(A.Add, parts) if parts else A.ZERO


def render_term(term: Term, env: TypeEnv, used: list) -> A.Expr:
    factors = []
    for factor in term.factors:
        written = entry(factor.matrix, factor.indices, env, used)
        factors.extend(f for f in (written.args if isinstance(written, A.Product) else (written,)) if f != A.ONE)
    factors += [I.Delta(i, j, size) for i, j, size in term.deltas]
    body = A.product_of(factors)
    for index, size in reversed(term.sums):
        body = I.IndexSum(body, index, size)
    coefficient = canon(term.coefficient, env)      # -Σ_i y_i log(s_i): the scalars before the sums
    if coefficient == A.ONE:
        return body
    scalars = coefficient.args if isinstance(coefficient, A.Product) else (coefficient,)
    return A.Product(scalars + (body.args if isinstance(body, A.Product) else (body,)))


def entry(matrix, indices, env: TypeEnv, used: list) -> A.Expr:
    """M_ij, written entry by entry where M is built entrywise."""
    if not indices:
        return matrix
    if isinstance(matrix, A.Transpose) and len(indices) == 2 and isinstance(matrix.arg, (A.Symbol, A.Differential)):
        used.append("index-transpose")
        return I.Entry(matrix.arg, indices[1], indices[0])
    if isinstance(matrix, A.Func) and matrix.name in functions.ELEMENTWISE:
        used.append("index-function")
        return A.Func(matrix.name, entry(matrix.arg, indices, env, used))
    softmax = _softmax_jacobian(matrix, env)
    if softmax is not None and len(indices) == 2:      # s_i (δ_ij - s_j)
        used.append("index-softmax")
        i, j = indices
        return A.Product((I.Entry(softmax, i, ""), A.Add((I.Delta(i, j, env.shape(softmax)[0]),
                                                          A.Product((A.MINUS_ONE, I.Entry(softmax, j, "")))))))
    if isinstance(matrix, A.Add):
        used.append("index-add")
        return A.Add(tuple(entry(t, indices, env, used) for t in matrix.args))
    if isinstance(matrix, A.Hadamard):
        used.append("index-hadamard")
        return A.Product(tuple(entry(t, () if env.is_scalar(t) else indices, env, used) for t in matrix.args))
    if isinstance(matrix, A.Identity) and len(indices) == 2:
        used.append("index-identity")
        return I.Delta(indices[0], indices[1], matrix.size)
    if isinstance(matrix, A.Ones):
        used.append("index-ones")
        return A.ONE
    if isinstance(matrix, A.Product) and any(env.is_scalar(f) for f in matrix.args):
        scalars = [f for f in matrix.args if env.is_scalar(f)]
        rest = [f for f in matrix.args if not env.is_scalar(f)]
        used.append("index-scale")
        return A.Product(tuple(scalars) + (entry(A.product_of(rest), indices, env, used),))
    row, col = (indices + ("",))[:2]
    return I.Entry(matrix, row, col)


def _softmax_jacobian(matrix, env):
    """v for diag(v) - v v^T (the Jacobian of softmax, v = s), else None."""
    if not (isinstance(matrix, A.Add) and len(matrix.args) == 2):
        return None
    diagonal = next((t for t in matrix.args if isinstance(t, A.Diag) and env.is_vector(t.arg)), None)
    if diagonal is None:
        return None
    v = diagonal.arg
    other = matrix.args[1] if matrix.args[0] is diagonal else matrix.args[0]
    number, rest = A.split_coefficient(other)
    return v if number == -1 and rest == A.Product((v, A.Transpose(v))) else None
