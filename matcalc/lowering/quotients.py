"""exp(E)^a (exp(E) + K)^{-b} computed where exp(E) overflows.

σ'(z) = exp(z) / (exp(z) + 1)^2 and its kin are what a derivative of
1 / (exp(E) + K) leaves; for a large E both exp(E) and (exp(E) + K)^b are inf
and their quotient NaN although it is close to 0 (soak seed 24, case 3873).
For K > 0, log(exp(E) + K) = log K + softplus(E - log K), so the quotient is

    exp(a E - b log K - b softplus(E - log K)),

which softplus (log(1 + exp(x)), computed as logaddexp(0, x) by every
backend) keeps finite for every E.  Only where K is positive by its form (a
sum of positive and non-negative terms: numbers, exp, σ, softplus, squares
of norms): for K ≤ 0 the quotient has a pole and the log K would be NaN.
"""

from __future__ import annotations

import math
from fractions import Fraction

from ..language import ast as A

POSITIVE_FUNCTIONS = {"exp", "sigma", "softplus"}


def exp_quotient_fused(b, args) -> tuple:
    """The scalar factors exp(E)^a and (exp(E) + K)^{-b} of a product, for a
    positive K, as one factor exp(a E - b log K - b softplus(E - log K))."""
    for index, factor in enumerate(args):
        if not (isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number)
                and factor.exponent.value < 0 and b.kind(factor) == "scalar"):
            continue
        base, b_power = _unnested(factor)
        split = _exp_plus_positive(_defined(b, base), b)
        if split is None or b_power <= 0:
            continue
        exp_term, positive = split
        numerator = next((i for i, other in enumerate(args)
                          if i != index and _power_of(other, exp_term, b) is not None), None)
        if numerator is None:
            continue
        a = _power_of(args[numerator], exp_term, b)
        fused = _stable_quotient(exp_term.arg, positive, a, b_power)
        return tuple(fused if i == numerator else arg for i, arg in enumerate(args) if i != index)
    return tuple(args)


def _unnested(power: A.Power):
    """(X, b) of X^{-b}, also as written, (X^2)^{-1} (a quotient read back
    before canonical forms): exponents multiply, X = exp(E) + K being positive."""
    base, exponent = power.base, power.exponent.value
    while isinstance(base, A.Power) and isinstance(base.exponent, A.Number):
        base, exponent = base.base, exponent * base.exponent.value
    return base, -exponent


def _defined(b, expr):
    """A named value's definition (the generated code names exp(-E) and 1 + exp(-E)
    once for the loss and its gradient), else the expression."""
    return b.definitions.get(expr.name, expr) if isinstance(expr, A.Symbol) else expr


def _exp_plus_positive(expr, b):
    """(exp(E), K) of a sum exp(E) + K with K positive by its form, else None."""
    if not isinstance(expr, A.Add):
        return None
    terms = [_defined(b, term) for term in expr.args]
    for index, term in enumerate(terms):
        if isinstance(term, A.Func) and term.name == "exp":
            rest = expr.args[:index] + expr.args[index + 1:]
            seen = terms[:index] + terms[index + 1:]
            if all(_non_negative(t) for t in seen) and any(_positive(t) for t in seen):
                return term, A.joined(A.Add, list(rest))
    return None


def _positive(term) -> bool:
    if isinstance(term, A.Number):
        return term.value > 0
    return isinstance(term, A.Func) and term.name in POSITIVE_FUNCTIONS


def _non_negative(term) -> bool:
    if _positive(term) or (isinstance(term, A.Number) and term.value == 0):
        return True
    if isinstance(term, A.Norm):
        return True
    if isinstance(term, A.Power) and isinstance(term.exponent, A.Number):
        exponent = term.exponent.value
        even = exponent.denominator == 1 and exponent.numerator % 2 == 0
        return even or _non_negative(term.base) or _positive(term.base)
    return False


def _power_of(factor, exp_term, b):
    """a for the factor exp(E)^a (a a number), else None."""
    factor = _defined(b, factor)
    if factor == exp_term:
        return A.ONE.value
    if isinstance(factor, A.Power) and _defined(b, factor.base) == exp_term and isinstance(factor.exponent, A.Number):
        return factor.exponent.value
    return None


def _stable_quotient(E, positive, a, b) -> A.Expr:
    log_k = _log(positive)
    if log_k is None:                                           # K = 1: σ(E)-like, exp(a E - b softplus(E))
        terms, shifted = (), E
    else:
        terms = (A.Product((A.Number(-b), log_k)),)
        shifted = A.Add((E, A.Product((A.MINUS_ONE, log_k))))
    return A.Func("exp", A.Add((A.Product((A.Number(a), E)), *terms,
                                A.Product((A.Number(-b), A.Func("softplus", shifted))))))


def _log(positive):
    """log K; None for K = 1; for a number K its value (a backend's log takes
    arrays, not Python numbers), the float's exact fraction."""
    if not isinstance(positive, A.Number):
        return A.Func("log", positive)
    if positive.value == 1:
        return None
    return A.Number(Fraction(math.log(positive.value)))
