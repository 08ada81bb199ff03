"""Products in an order that never builds what it can apply.

A chain ending in a vector is applied right to left (matrix times vector,
never matrix times matrix), one starting with a row vector left to right,
and ``u v^T`` in the middle splits it in two.  Structured factors act on what
they multiply instead of being built: ``diag(v) A`` is ``v[:, None] * A``,
``A^{-1} B`` a solve, ``(A ⊗ B) vec(X)`` is ``vec(B X A^T)`` (Matrix Cookbook
(520)), ``K vec(A)`` is ``vec(A^T)``, ``A 1`` a row sum; a sum of matrices
times a vector is the sum of the products ((A + B) v = A v + B v), so a
Hessian times a vector is never the Hessian built first.
"""

from __future__ import annotations

from fractions import Fraction

from ..language import ast as A
from .quotients import exp_quotient_fused


class _AllOnes:
    """The all-ones vector at the end of a chain: its product is a sum."""


ONES = _AllOnes()


def kind_of(shape) -> str:
    rows, cols = shape
    if rows.is_one and cols.is_one:
        return "scalar"
    return "vector" if cols.is_one else "row" if rows.is_one else "matrix"


def product(b, expr: A.Product) -> str:
    fused = exp_quotient_fused(b, _softmax_fused(b, tuple(map(plain_ones, expr.args))))
    coefficient, scalars, factors = _split(b, fused)
    value = chain(b, factors) if factors else None
    for scalar in scalars:
        value = scalar if value is None else b.emit("mul", (scalar, value))
    return b.const(coefficient) if value is None else b.scaled(coefficient, value)


def _softmax_fused(b, args) -> tuple:
    """exp(z) (1^T exp(z))^{-1} as softmax(z) (the sum may have a name): the
    quotient overflows where softmax does not."""
    for index, factor in enumerate(args):
        if isinstance(factor, A.Power) and factor.exponent == A.MINUS_ONE:
            base = factor.base
            z = sum_of_exp(b.definitions.get(base.name, base) if isinstance(base, A.Symbol) else base)
            if z is not None and A.Func("exp", z) in args:
                rest = [arg for i, arg in enumerate(args) if i != index]
                rest[rest.index(A.Func("exp", z))] = A.Softmax(z)
                return tuple(rest)
    return tuple(args)


def plain_ones(expr):
    """1^T as the all-ones row it is."""
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, A.Ones):
        return A.Ones(expr.arg.cols, expr.arg.rows)
    return expr


def sum_of_exp(expr):
    """z of 1^T exp(z), else None."""
    if isinstance(expr, A.Product):
        expr = A.Product(tuple(map(plain_ones, expr.args)))
    if isinstance(expr, A.Product) and len(expr.args) == 2 and isinstance(expr.args[0], A.Ones) \
            and isinstance(expr.args[1], A.Func) and expr.args[1].name == "exp":
        return expr.args[1].arg
    return None


def _split(b, args):
    """(number, scalar values, the matrix factors without identities)."""
    coefficient, scalars, factors = Fraction(1), [], []
    for factor in args:
        if isinstance(factor, A.Number):
            coefficient *= factor.value
        elif b.kind(factor) == "scalar":
            scalars.append(b.lower(factor))
        elif not isinstance(factor, A.Identity):
            factors.append(factor)
    if not factors and any(isinstance(f, A.Identity) for f in args):
        factors = [next(f for f in args if isinstance(f, A.Identity))]
    return coefficient, scalars, factors


def chain(b, factors) -> str:
    if len(factors) == 1:
        return b.lower(factors[0])
    if b.kind(factors[-1]) == "vector":
        return _right_to_left(b, factors)
    if b.kind(factors[0]) == "row":
        return _left_to_right(b, factors)
    for i in range(len(factors) - 1):
        if b.shape(factors[i])[1].is_one:          # u v^T: a column times a row
            left, right = factors[:i + 1], factors[i + 1:]
            if len(left) == 1 and isinstance(left[0], A.Ones):
                return b.emit("expand_rows", (chain(b, right),), (b.shape(left[0])[0], b.shape(right[-1])[1]))
            if len(right) == 1 and isinstance(right[0], A.Ones):
                return b.emit("expand_cols", (chain(b, left),), (b.shape(left[0])[0], b.shape(right[0])[1]))
            return b.emit("outer", (chain(b, left), chain(b, right)))
    if structured(b, factors[-1]) and not structured(b, factors[0]):
        return _left_to_right(b, factors)
    return _right_to_left(b, factors)


def _right_to_left(b, factors) -> str:
    last = factors[-1]
    value, shape = (ONES if isinstance(last, A.Ones) and b.kind(last) == "vector" else b.lower(last)), b.shape(last)
    for factor in reversed(factors[:-1]):
        value = apply(b, factor, value, shape)
        shape = (b.shape(factor)[0], shape[1])
    return value


def _left_to_right(b, factors) -> str:
    first = factors[0]
    value, shape = (ONES if isinstance(first, A.Ones) and b.kind(first) == "row" else b.lower(first)), b.shape(first)
    for factor in factors[1:]:
        value = apply_left(b, value, shape, factor)
        shape = (shape[0], b.shape(factor)[1])
    return value


def structured(b, factor):
    """A factor that acts on its neighbour, as (what, operands), or None."""
    transposed = False
    while isinstance(factor, A.Transpose):
        factor, transposed = factor.arg, not transposed
    if isinstance(factor, A.Identity):
        return ("identity",)
    if isinstance(factor, A.Diag) and b.kind(factor.arg) == "vector":
        return ("diag", factor.arg)
    if isinstance(factor, A.Inverse) or (isinstance(factor, A.Power) and factor.exponent == A.MINUS_ONE
                                         and b.kind(factor.base) == "matrix"):
        matrix = factor.arg if isinstance(factor, A.Inverse) else factor.base
        return ("inverse", A.Transpose(matrix) if transposed else matrix)
    if isinstance(factor, A.Commutation):
        return ("commute", (factor.cols, factor.rows) if transposed else (factor.rows, factor.cols))
    if isinstance(factor, A.Kron):
        return ("kron", tuple(A.Transpose(part) if transposed else part for part in factor.args))
    return None


def _terms(b, expr: A.Expr, each) -> str | None:
    """A product or a sum applied factor by factor, term by term (``each``
    applies a factor), or None for any other expression."""
    if isinstance(expr, A.Add):
        return b.sum_of([(coefficient, _applied_term(b, rest, each))
                         for coefficient, rest in map(A.split_coefficient, expr.args)])
    if isinstance(expr, A.Product):
        coefficient, scalars, factors = _split(b, expr.args)
        value = each(factors)
        for scalar in scalars:
            value = b.emit("mul", (scalar, value))
        return b.scaled(coefficient, value)
    return None


def _applied_term(b, term, each):
    found = _terms(b, term, each)
    return found if found is not None else each([term])


def apply(b, factor: A.Expr, value, shape) -> str:
    """factor · value, where value (of ``shape``) is already computed."""
    factor = _pushed(factor)
    if value is ONES:
        found = structured(b, factor)
        if found and found[0] == "diag":
            return b.lower(found[1])                              # diag(v) 1 = v
        summed = _terms(b, factor, lambda fs: _right_to_left_from(b, fs, ONES, shape))
        if summed is not None:
            return summed
        return b.emit("sum" if b.kind(factor) == "row" else "sum_rows", (b.lower(factor),))
    kind = kind_of(shape)
    if kind == "scalar":
        return b.emit("mul", (b.lower(factor), value))
    if isinstance(factor, A.Ones) and b.kind(factor) == "row":            # 1^T V: column sums
        return b.emit("sum" if kind == "vector" else "sum_cols", (value,))
    if isinstance(factor, A.Ones) and b.kind(factor) == "matrix" and kind == "matrix":
        # 1 1^T V: the column sums, repeated down the rows (a broadcast view, no ones matrix)
        rows, cols = b.shape(factor)[0], shape[1]
        return b.emit("expand_rows", (b.emit("sum_cols", (value,)),), (rows, cols))
    found = structured(b, factor)
    if found:
        what = found[0]
        if what == "identity":
            return value
        if what == "diag":
            return b.emit("mul" if kind == "vector" else "row_scale", (b.lower(found[1]), value))
        if what == "inverse":
            return b.emit("solve", (b.lower(found[1]), value))
        if what == "commute":
            return b.emit("commute", (value,), found[1])
        if what == "kron" and kind in ("vector", "matrix"):
            return _kron_apply(b, found[1], value, kind)
    applied = _terms(b, factor, lambda fs: _right_to_left_from(b, fs, value, shape))
    if applied is not None:
        return applied
    factor_kind, lowered = b.kind(factor), b.lower(factor)
    if factor_kind == "row" and kind == "vector":
        return b.emit("dot", (lowered, value))
    if factor_kind == "vector" and kind == "row":
        return b.emit("outer", (lowered, value))
    return b.emit("matmul", (lowered, value))


def _right_to_left_from(b, factors, value, shape):
    for factor in reversed(factors):
        value = apply(b, factor, value, shape)
        shape = (b.shape(factor)[0], shape[1])
    return value


def apply_left(b, value, shape, factor: A.Expr) -> str:
    """value · factor, as (factor^T value^T)^T: the same choices as ``apply``,
    and for vectors (1-D either way) no transpose at all."""
    flipped = value if value is ONES else _transposed(b, value, kind_of(shape))
    result = apply(b, A.Transpose(factor), flipped, shape[::-1])
    return _transposed(b, result, kind_of((shape[0], b.shape(factor)[1])))


def _pushed(factor: A.Expr) -> A.Expr:
    """A transpose moved inside a product or a sum, so that its parts are applied one by one."""
    if not isinstance(factor, A.Transpose):
        return plain_ones(factor)
    inner = factor.arg
    if isinstance(inner, A.Transpose):
        return _pushed(inner.arg)
    if isinstance(inner, A.Product):
        return A.Product(tuple(a if isinstance(a, A.Number) else A.Transpose(a) for a in reversed(inner.args)))
    if isinstance(inner, A.Add):
        return A.Add(tuple(A.Transpose(term) for term in inner.args))
    return plain_ones(factor)


def _transposed(b, value, kind) -> str:
    return b.emit("transpose", (value,)) if kind == "matrix" else value


def _kron_apply(b, parts, value, kind) -> str:
    """(A1 ⊗ … ⊗ Ak) V with each Ai acting on one axis of V reshaped as a
    tensor (for two factors and a vector, vec(Q V P^T)); the identity is
    nothing.  params: each factor's columns, then the kind of V."""
    permutations = tuple(_commutation(part) for part in parts)        # K_{m,n}: (m, n), permuted not built
    operands = tuple(None if _is_identity(part) or swap else _two_axes(b, part) for part, swap in zip(parts, permutations))
    sizes = tuple(b.shape(part)[1] for part in parts)
    return b.emit("kron_apply", operands + (value,), sizes + (kind, permutations))


def _two_axes(b, part) -> str:
    """A factor as a 2-D array: a vector factor (I ⊗ vec(X)) acts as an n×1 matrix."""
    if b.kind(part) == "matrix":
        return b.lower(part)
    return b.emit("reshape", (b.lower(part),), b.shape(part))


def _commutation(part):
    """(m, n) of K_{m,n} (or of a transposed K_{n,m}), else None."""
    transposed = False
    while isinstance(part, A.Transpose):
        part, transposed = part.arg, not transposed
    if isinstance(part, A.Commutation):
        return (part.cols, part.rows) if transposed else (part.rows, part.cols)
    return None


def _is_identity(expr) -> bool:
    while isinstance(expr, A.Transpose):
        expr = expr.arg
    return isinstance(expr, A.Identity)
