"""The vec/Kronecker route: for E linear in dX, find J with vec(E) = J vec(dX).

This is how a Jacobian ∂vec(F)/∂vec(X)^T is read off (SPEC §2), and how a
gradient is found when dX sits inside vec(..) or ⊗, where the trace rules
have nothing to hold on to.  One layer of E is peeled per call, always by a
rule of ``rules/vec.rules`` applied with ``rewrite_with``; this module only
chooses the rule and the cut.
"""

from __future__ import annotations

from ..language import ast as A
from ..rewriting.canon import canon
from ..language.ast import split_coefficient
from ..errors import DerivationError, InternalError
from ..rewriting.engine import Context, instantiate, rewrite_with


class Vectorizer:
    def __init__(self, wrt: A.Symbol, context: Context):
        self.dX = A.Differential(wrt)
        self.context = context
        self.env = context.env
        self._carried: dict = {}        # id(node) → (node, whether it carries dX)

    def carries(self, expr) -> bool:
        # Asked of one node several times as a layer is peeled (the term, its
        # factors, the carrier): answered once.  By identity, the node kept
        # with its answer (so its id stays its own), where a key by equality
        # would hash and compare it.
        known = self._carried.get(id(expr))
        if known is not None and known[0] is expr:
            return known[1]
        carried = A.contains(expr, self.dX)
        self._carried[id(expr)] = (expr, carried)
        return carried

    def jacobian(self, expr: A.Expr, used: list) -> A.Expr:
        """J with vec(expr) = J vec(dX); the rules used are appended to ``used``."""
        J = self._peel(canon(expr, self.env), used)
        return canon(J, self.env)

    def _peel(self, expr, used):
        env = self.env
        if expr == self.dX:
            rows, cols = env.shape(expr)
            return A.Identity(rows * cols)
        if isinstance(expr, A.Add):
            parts = [self.term(term, used) for term in expr.args if self.carries(term)]
            return A.Add(tuple(parts)) if len(parts) > 1 else parts[0]
        handler = getattr(self, "_" + type(expr).__name__.lower(), None)
        if handler is None or not self.carries(expr):
            raise DerivationError(f"cannot write vec of {type(expr).__name__.lower()}(...) as a "
                                  "matrix times vec(dX): it is not linear in the differential")
        return handler(expr, used)

    def term(self, expr, used):
        """vec of a term of a sum: vec(A - M) = vec(A) - vec(M), the minus sign
        the sum's, so no vec-scalar is cited for it (a reader sees a difference)."""
        number, rest = split_coefficient(expr)
        if number == -1 and rest is not None:
            return _times(A.MINUS_ONE, self._peel(rest, used))
        return self._peel(expr, used)

    def _then(self, rule_name, bindings, subject, inner, used):
        """Rewrite ``subject`` by the rule to M vec(inner); return M J_inner."""
        used.append(rule_name)
        rewrite_with(rule_name, bindings, subject, self.context)     # (checks that the rule applies)
        # M as the rule's right side M vec(..) writes it: in canonical form the
        # product may have merged into its neighbours (1^T 1 is the number n).
        written = instantiate(self.context.rule(rule_name), self.context.rule(rule_name).rhs, bindings,
                              self.context)
        head = A.product_of(list(written.args[:-1])) if isinstance(written, A.Product) else A.ONE
        return _times(head, self._peel(inner, used))

    def _product(self, expr: A.Product, used):
        env = self.env
        number, rest = split_coefficient(expr)
        factors = list(rest.args) if isinstance(rest, A.Product) else [rest]
        scalars = [f for f in factors if env.is_scalar(f) and not self.carries(f)]
        chain = [f for f in factors if f not in scalars]
        coefficient = A.product_of(([A.Number(number)] if number != 1 else []) + scalars)
        index = next(i for i, f in enumerate(chain) if self.carries(f))
        carrier = chain[index]
        left, right = chain[:index], chain[index + 1:]
        if env.is_scalar(carrier) and (left or right):
            # E = M c with the scalar c carrying dX: vec(M c) = vec(M) c.
            matrix = A.product_of(left + right)
            used.append("vec-scalar")
            inner = self._peel(carrier, used)
            return _times(coefficient, _times(canon(A.Vec(matrix), env), inner))
        if not left and not right:
            if coefficient != A.ONE and not env.is_scalar(carrier):
                used.append("vec-scalar")         # vec(c M) = c vec(M): a rule, though it moves one factor
            return _times(coefficient, self._peel(carrier, used))
        rows, cols = env.shape(carrier)
        bindings = {"?A": A.product_of(left) if left else A.Identity(rows),
                    "?X": carrier,
                    "?B": A.product_of(right) if right else A.Identity(cols)}
        subject = A.Vec(A.product_of(left + [carrier] + right))
        return _times(coefficient, self._then("vec-kron", bindings, subject, carrier, used))

    def _transpose(self, expr: A.Transpose, used):
        if self.env.is_vector(expr.arg) or self.env.is_row(expr.arg):
            return self._peel(expr.arg, used)       # vec(v^T) = vec(v) = v
        return self._then("vec-transpose", {"?A": expr.arg}, A.Vec(expr), expr.arg, used)

    def _hadamard(self, expr: A.Hadamard, used):
        parts = list(expr.args)
        index = next(i for i, p in enumerate(parts) if self.carries(p))
        carrier = parts.pop(index)
        others = parts[0] if len(parts) == 1 else A.Hadamard(tuple(parts))
        # the factor carrying dX read last (⊙ commutes: a reordering no reader notices)
        subject = A.Vec(A.Hadamard(tuple(parts + [carrier])))
        return self._then("vec-hadamard", {"?A": others, "?B": carrier}, subject, carrier, used)

    def _kron(self, expr: A.Kron, used):
        env = self.env
        parts = list(expr.args)
        index = next(i for i, p in enumerate(parts) if self.carries(p))
        # Split into two factors, the one carrying dX whole: L ⊗ (C ⊗ R) or (L ⊗ C) ⊗ R.
        if index < len(parts) - 1:
            first = A.joined(A.Kron, parts[:index + 1])
            second = A.joined(A.Kron, parts[index + 1:])
            carrier, carrier_is_first = first, True
        else:
            first, second = A.joined(A.Kron, parts[:index]), parts[index]
            carrier, carrier_is_first = second, False
        used.append("vec-kron-product")
        rewritten = rewrite_with("vec-kron-product", {"?A": first, "?B": second},
                                 A.Vec(A.Kron((first, second))), self.context)
        stacked = canon(A.Kron((A.Vec(first), A.Vec(second))), env)
        permutation = _without_last(rewritten, stacked, env)
        # vec(A) ⊗ vec(B) as a matrix times the vec of the factor carrying dX
        split = "kron-vectors-left" if carrier_is_first else "kron-vectors-right"
        return _times(permutation, self._then(split, {"?a": A.Vec(first), "?b": A.Vec(second)},
                                              stacked, carrier, used))

    def _vec(self, expr: A.Vec, used):
        return self._peel(expr.arg, used)

    def _trace(self, expr: A.Trace, used):
        if self.env.is_scalar(expr.arg):
            return self._peel(expr.arg, used)
        return self._then("vec-trace", {"?A": expr.arg}, expr, expr.arg, used)

    def _sum(self, expr: A.Sum, used):
        return self._then("vec-sum", {"?A": expr.arg}, expr, expr.arg, used)

    def _mean(self, expr: A.Mean, used):
        used.append("mean-entries")
        rows, cols = self.env.shape(expr.arg)
        count = A.Power(A.DimValue(rows * cols), A.MINUS_ONE)
        return _times(count, self._sum(A.Sum(expr.arg), used))

    def _diag(self, expr: A.Diag, used):
        if self.env.is_vector(expr):       # the diagonal of a matrix, as a vector
            name, bindings = "diag-matrix-as-hadamard", {"?A": expr.arg}
        else:
            name, bindings = "diag-as-hadamard", {"?v": expr.arg}
        used.append(name)
        return self._peel(rewrite_with(name, bindings, expr, self.context), used)


def _without_last(product: A.Expr, last: A.Expr, env) -> A.Expr:
    """M for a rule's right side M vec(..) (M may be a scalar or absent).
    Scalars commute, so canon may have moved those of vec(..) to the front."""
    if product == last:
        return A.ONE
    have_scalars, have_chain = _scalars_and_chain(product, env)
    want_scalars, want_chain = _scalars_and_chain(last, env)
    head_scalars = list(have_scalars)
    for scalar in want_scalars:
        if scalar not in head_scalars:
            raise InternalError(f"expected a product ending in {last}")
        head_scalars.remove(scalar)
    if want_chain and have_chain[-len(want_chain):] != want_chain:
        raise InternalError(f"expected a product ending in {last}")
    head = head_scalars + have_chain[:len(have_chain) - len(want_chain)]
    return canon(A.product_of(head), env)


def _scalars_and_chain(expr, env):
    factors = list(expr.args) if isinstance(expr, A.Product) else [expr]
    scalars = [f for f in factors if env.is_scalar(f)]
    return scalars, [f for f in factors if not env.is_scalar(f)]


def _times(left, right):
    if left == A.ONE:
        return right
    return A.Product((left, right))
