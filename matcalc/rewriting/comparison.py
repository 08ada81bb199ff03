"""Comparison forms: equal expressions that differ only in where transposes
stand, in how scalars are grouped or in the order of commuting operands
coincide.  ``rewrite_with`` uses them to confirm that a rule's left side is
the expression the engine chose to rewrite."""

from __future__ import annotations

from ..language import ast as A
from ..shapes.env import TypeEnv
from .canon import canon, like_key


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
    """ρ^2 v^T v compares as ρ ρ v^T v, and ρ^{5/3} ρ ρ as ρ^{11/3}: canon joins
    equal scalar factors only where they meet in one product, and
    ρ (ρ v^T v) a^T a keeps them apart.  Each scalar base stands once, with
    the sum of its numeric exponents (ρ^a ρ^b = ρ^{a+b}), whatever grouping or
    power canon left it in."""
    exponents: dict = {}
    chain, others = [], []
    for factor in key.args:
        if not env.is_scalar(factor):
            chain.append(factor)
        elif isinstance(factor, A.Number):
            others.append(factor)
        elif isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number):
            base = _sums_untransposed(factor.base, env)
            exponents[base] = exponents.get(base, 0) + factor.exponent.value
        else:
            base = _sums_untransposed(factor, env)
            exponents[base] = exponents.get(base, 0) + 1
    scalars = others + [base if total == 1 else A.Power(base, A.Number(total))
                        for base, total in exponents.items() if total != 0]
    return A.Product(tuple(sorted(scalars, key=A.order_key)) + tuple(chain))


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

