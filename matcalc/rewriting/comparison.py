"""Comparison forms: equal expressions that differ only in where transposes
stand, in how scalars are grouped or in the order of commuting operands
coincide.  ``rewrite_with`` uses them to confirm that a rule's left side is
the expression the engine chose to rewrite."""

from __future__ import annotations

from fractions import Fraction

from ..language import ast as A
from ..shapes.env import TypeEnv
from .canon import canon, like_key
from .canon.sums import either_way


def comparison_form(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """A form in which equal expressions that differ only in where transposes
    stand or in the order of Hadamard factors (which commute) coincide."""
    return env.memoized("comparison", expr, _comparison_form)


def _comparison_form(expr: A.Expr, env: TypeEnv) -> A.Expr:
    expr = _repeated(canon(expr, env), env)
    kids = A.children(expr)
    if not kids:
        return expr
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, (A.Product, A.Add, A.Hadamard, A.Kron)):
        inner = expr.arg
        parts = [A.Transpose(a) for a in inner.args]
        if isinstance(inner, A.Product):
            parts.reverse()
        return comparison_form(type(inner)(tuple(parts)), env)
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, (A.Power, A.ElemPow)):
        # (A^2)^T and (A^T)^2 are one matrix, whichever way canon left it; so
        # are (h .^ 3)^T and (h^T) .^ 3
        power = expr.arg
        return comparison_form(type(power)(A.Transpose(power.base), power.exponent), env)
    if isinstance(expr, A.Product):
        # Compare the factors first: a transpose pushed inside may become a
        # product whose scalar runs must join this product's.
        compared = _repeated(canon(A.Product(tuple(comparison_form(k, env) for k in kids)), env), env)
        if not isinstance(compared, A.Product):
            return compared
        return _spread_scalar_powers(like_key(compared, env), env)
    kids = [comparison_form(k, env) for k in kids]
    if isinstance(expr, (A.Hadamard, A.Add)):
        # Their operands commute: flattened and sorted, any order compares equal.
        kids = sorted((part for kid in kids
                       for part in (kid.args if type(kid) is type(expr) else (kid,))), key=A.order_key)
    return A.with_children(expr, kids)      # the kids are compared already; canon would reorder them


SMALL_POWERS = tuple(A.number(k) for k in range(2, 9))


def _spread_scalar_powers(key: A.Product, env: TypeEnv) -> A.Expr:
    """ρ^2 v^T v compares as ρ ρ v^T v, ρ^{5/3} ρ ρ as ρ^{11/3}, and
    (ρ a^T b)^2 (a^T b) as ρ^2 (a^T b)^3: canon joins equal scalar factors
    only where they meet in one product, and ρ (ρ v^T v) a^T a keeps them
    apart.  Each scalar base stands once, with the sum of its numeric
    exponents (ρ^a ρ^b = ρ^{a+b}), whatever grouping, transpose or power canon
    left it in; a 1×1 product gives up its scalar factors."""
    exponents: dict = {}
    numbers, chain = [], []
    for factor in key.args:
        if env.is_scalar(factor):
            _gather(factor, Fraction(1), exponents, numbers, env)
        else:
            chain.append(factor)
    coefficient = Fraction(1)
    for number in numbers:
        coefficient *= number.value
    scalars = [A.Number(coefficient)] * (coefficient != 1) + [
        base if total == 1 else A.Power(base, A.Number(total)) for base, total in exponents.items() if total != 0]
    return A.Product(tuple(sorted(scalars, key=A.order_key)) + tuple(chain))


def _gather(factor, power: Fraction, exponents: dict, numbers: list, env: TypeEnv) -> None:
    """Add the scalar ``factor``^``power`` to ``exponents`` (base → exponent)."""
    if isinstance(factor, A.Number) and power.denominator == 1 and (factor.value or power > 0):
        # 1/(2 τ) as 1/2 τ^{-1}: a number's whole power is the number canon makes of it
        numbers.append(A.Number(factor.value ** int(power)))
    elif isinstance(factor, A.Transpose) and env.is_scalar(factor.arg):
        _gather(factor.arg, power, exponents, numbers, env)              # a 1×1 value is its transpose
    elif isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number) \
            and (power.denominator == 1 or factor.exponent.value.numerator % 2):
        # (ρ^a)^b = ρ^{ab} for a whole b, or an odd a; (x^2)^{1/2} is |x|, not x
        _gather(factor.base, power * factor.exponent.value, exponents, numbers, env)
    elif isinstance(factor, A.Product):
        rest = [arg for arg in factor.args if not env.is_scalar(arg)]
        for arg in factor.args:
            if env.is_scalar(arg):
                _gather(arg, power, exponents, numbers, env)
        if rest:
            remaining = rest[0] if len(rest) == 1 else either_way(A.Product(tuple(rest)), env)
            _add_power(_sums_untransposed(remaining, env), power, exponents)
    else:
        _add_power(_sums_untransposed(factor, env), power, exponents)


def _add_power(base, power: Fraction, exponents: dict) -> None:
    exponents[base] = exponents.get(base, 0) + power


def _sums_untransposed(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """(u + w)^T u as (u^T + w^T) u: like_key may have flipped a scalar
    (u^T (u + w) = (u + w)^T u) without pushing the transpose into the sum."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_sums_untransposed(k, env) for k in kids])
    if isinstance(expr, A.Transpose) and isinstance(expr.arg, A.Add):
        # each term transposed may hold a transposed sum again: (c (u - 1))^T = c (u - 1)^T
        return A.Add(tuple(_sums_untransposed(canon(A.Transpose(term), env), env) for term in expr.arg.args))
    return expr


def _repeated(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """(x^T x)^2 compares as (x^T x)(x^T x), which is how x^T x x^T x reads;
    a matrix power (M Y)^2 as M Y M Y; h .^ 3 as h ⊙ h ⊙ h, which is how
    h ⊙ (h ⊙ h) reads when canon has not joined them."""
    if isinstance(expr, A.Power) and isinstance(expr.base, A.Product) and expr.exponent in SMALL_POWERS:
        return A.Product((expr.base,) * int(expr.exponent.value))
    if isinstance(expr, A.ElemPow) and expr.exponent in SMALL_POWERS:
        return A.Hadamard((expr.base,) * int(expr.exponent.value))
    return expr

