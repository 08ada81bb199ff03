"""Canonical powers and inverses: (A^2)^2 = A^4, (c M)^{-1} = c^{-1} M^{-1},
X^{-k} = (X^{-1})^k, (c A) .^ k = c^k A .^ k, rational powers of numbers folded."""

from __future__ import annotations

from ...language import ast as A
from ...language.ast import split_coefficient
from ...language.functions import rational_power
from .basics import is_zero
from .dispatch import register, simplify


@register(A.Inverse)
def _inverse(expr: A.Inverse, env):
    arg = expr.arg
    if isinstance(arg, A.Inverse):
        return arg.arg
    if isinstance(arg, A.Identity):
        return arg
    if isinstance(arg, A.Transpose):
        # (A^T)^{-1} is printed A^{-T}: keep the transpose outside.
        return A.Transpose(A.Inverse(arg.arg))
    if env.is_scalar(arg):
        return simplify(A.Power(arg, A.MINUS_ONE), env)
    if isinstance(arg, A.Product) and any(env.is_scalar(f) for f in arg.args):
        # (c M)^{-1} = c^{-1} M^{-1}
        scalars = [f for f in arg.args if env.is_scalar(f)]
        matrix = A.joined(A.Product, [f for f in arg.args if not env.is_scalar(f)])
        return simplify(A.Product(tuple(simplify(A.Power(c, A.MINUS_ONE), env) for c in scalars)
                                  + (simplify(A.Inverse(matrix), env),)), env)
    return expr


@register(A.Power)
def _power(expr: A.Power, env):
    base, exponent = expr.base, expr.exponent
    if not isinstance(exponent, A.Number):
        return expr
    if isinstance(base, A.Zero) and exponent.value > 0:
        return base
    if exponent.value == 1:
        return base
    if exponent.value == 0:
        return A.ONE if env.is_scalar(base) else A.Identity(env.shape(base)[0])
    if isinstance(base, A.Number):
        value = rational_power(base.value, exponent.value)
        if value is not None:
            return A.Number(value)
    if isinstance(base, A.Power) and isinstance(base.exponent, A.Number) and (
            env.is_scalar(base) or (base.exponent.value.denominator == 1
                                    and exponent.value.denominator == 1)):   # (A^2)^2 = A^4
        return simplify(A.Power(base.base, A.Number(base.exponent.value * exponent.value)), env)
    if env.is_scalar(base) and isinstance(base, A.Product):
        scaled = _number_out(base, exponent, env)           # (3 σ)^{-1} = 1/3 σ^{-1}
        if scaled is not None:
            return scaled
    if not env.is_scalar(base) and exponent.value.denominator == 1:
        if isinstance(base, A.Product) and any(env.is_scalar(f) for f in base.args):
            return _scalars_out(A.Power, base, exponent, env)        # (c M)^k = c^k M^k
    if exponent.value < 0 and not env.is_scalar(base):
        # X^{-k} = (X^{-1})^k: a matrix never stands below a fraction line
        inverse = simplify(A.Inverse(base), env)
        return inverse if exponent.value == -1 else A.Power(inverse, A.Number(-exponent.value))
    return expr


@register(A.ElemPow)
def _elem_pow(expr: A.ElemPow, env):
    if isinstance(expr.exponent, A.Number) and expr.exponent.value == 1:
        return expr.base
    if is_zero(expr.base) and isinstance(expr.exponent, A.Number) and expr.exponent.value > 0:
        return expr.base
    if env.is_scalar(expr.base):
        return simplify(A.Power(expr.base, expr.exponent), env) if isinstance(expr.exponent, A.Number) else expr
    if isinstance(expr.base, A.Ones):
        return expr.base                                   # 1^p = 1, entry by entry
    if isinstance(expr.exponent, A.Number) and isinstance(expr.base, A.Product):
        return _scaled_elem_pow(expr.base, expr.exponent, env)
    return expr


def _scaled_elem_pow(base: A.Product, exponent: A.Number, env):
    """(c A) .^ k = c^k A .^ k (rule hadamard-power-scaled): for a whole k, or
    a positive number c (((-1) (-1))^{1/2} is not (-1)^{1/2} (-1)^{1/2})."""
    scalars = [f for f in base.args if env.is_scalar(f)]
    whole = exponent.value.denominator == 1
    if not scalars or not (whole or all(isinstance(c, A.Number) and c.value > 0 for c in scalars)):
        return A.ElemPow(base, exponent)
    return _scalars_out(A.ElemPow, base, exponent, env)


def _number_out(base: A.Product, exponent: A.Number, env):
    """c^k a^k for a scalar (c a)^k with a number c (rule power-scaled-number), so
    that (3 σ)^{-1} (5 σ)^{-1} meets as 1/15 σ^{-2}; only where c^k is a number
    ((3 σ)^{1/2} stays: 3^{1/2} σ^{1/2} is no simpler)."""
    coefficient, rest = split_coefficient(base)
    if coefficient == 1 or rest is None:
        return None
    number = rational_power(coefficient, exponent.value)
    if number is None:
        return None
    return simplify(A.Product((A.Number(number), simplify(A.Power(rest, exponent), env))), env)


def _scalars_out(power, base: A.Product, exponent: A.Number, env):
    """c^k times ``power(M, k)`` for a product c M (M^k or M .^ k)."""
    scalars = [f for f in base.args if env.is_scalar(f)]
    powered = simplify(power(A.joined(A.Product, [f for f in base.args if not env.is_scalar(f)]), exponent), env)
    return simplify(A.Product(tuple(simplify(A.Power(c, exponent), env) for c in scalars) + (powered,)), env)
