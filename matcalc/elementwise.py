"""Derivatives of the elementwise functions, taken by SymPy.

Each function of the language is a SymPy function of one real variable; its
derivative is translated back into an expression tree on the same argument,
with products and powers read entry by entry (``σ(a) ⊙ (1 - σ(a))``).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import sympy

from . import ast as A


class sigma(sympy.Function):
    """The logistic function 1 / (1 + exp(-x))."""

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Rational(1, 2)

    def fdiff(self, argindex=1):
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))


class step(sympy.Function):
    """Heaviside step; its derivative is taken as 0 (away from the jump)."""

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class sign(sympy.Function):
    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Integer(0)

    def fdiff(self, argindex=1):
        return sympy.Integer(0)


class relu(sympy.Function):
    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sympy.Integer(0)

    def fdiff(self, argindex=1):
        return step(self.args[0])


class softplus(sympy.Function):
    """log(1 + exp(x))."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0])


_X = sympy.Symbol("x", real=True)

SYMPY_FUNCTIONS = {
    "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "tanh": sympy.tanh, "sqrt": sympy.sqrt, "abs": sympy.Abs,
    "sigma": sigma, "relu": relu, "softplus": softplus, "step": step, "sign": sign,
}
_NAMES = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos",
          sympy.tan: "tan", sympy.tanh: "tanh", sympy.Abs: "abs", sigma: "sigma",
          relu: "relu", softplus: "softplus", step: "step", sympy.sign: "sign", sign: "sign"}


@lru_cache(maxsize=None)
def rational_value(name: str, at: Fraction) -> Fraction | None:
    """f(at) when it is a rational number (tanh(0) = 0, σ(0) = 1/2), else None."""
    value = SYMPY_FUNCTIONS[name](sympy.Rational(at.numerator, at.denominator))
    return Fraction(int(value.p), int(value.q)) if value.is_Rational else None


@lru_cache(maxsize=None)
def _derivative(name: str) -> sympy.Expr:
    derivative = sympy.diff(SYMPY_FUNCTIONS[name](_X), _X)
    # SymPy writes d|x|/dx as sign(x) only for real x, and may keep Derivative
    # objects for functions it does not know; neither may reach the user.
    if derivative.has(sympy.Derivative):
        raise ValueError(f"no closed-form derivative for {name}")
    return derivative


def derivative(name: str, arg: A.Expr, shape) -> A.Expr:
    """f'(arg), entry by entry, as an expression tree of the given shape."""
    return _to_tree(_derivative(name), arg, shape)


def _order(factor) -> int:
    if isinstance(factor, sympy.Function) or isinstance(factor, sympy.Abs):
        return 0
    if factor.is_Pow:
        return 1
    return 2


def _to_tree(expr: sympy.Expr, arg: A.Expr, shape) -> A.Expr:
    rows, cols = shape
    if expr == _X:
        return arg
    if expr.is_Number:
        value = Fraction(str(sympy.nsimplify(expr)))
        if value == 1:
            return A.Ones(rows, cols) if not (rows.is_one and cols.is_one) else A.ONE
        if value == 0:
            return A.Zero(rows, cols) if not (rows.is_one and cols.is_one) else A.ZERO
        ones = A.Ones(rows, cols) if not (rows.is_one and cols.is_one) else None
        return A.Product((A.Number(value), ones)) if ones else A.Number(value)
    if expr.is_Add:
        return A.Add(tuple(_to_tree(t, arg, shape) for t in expr.as_ordered_terms()))
    if expr.is_Mul:
        coefficient, factors = expr.as_coeff_mul()
        parts = [_to_tree(f, arg, shape) for f in sorted(factors, key=_order)]
        tree = parts[0] if len(parts) == 1 else A.Hadamard(tuple(parts))
        if coefficient != 1:
            tree = A.Product((A.Number(Fraction(str(coefficient))), tree))
        return tree
    if expr.is_Pow:
        base, exponent = expr.as_base_exp()
        return A.ElemPow(_to_tree(base, arg, shape), A.Number(Fraction(str(exponent))))
    function = _NAMES.get(type(expr)) or _NAMES.get(expr.func)
    if function is not None:
        return A.Func(function, _to_tree(expr.args[0], arg, shape))
    raise ValueError(f"cannot translate {expr}")
