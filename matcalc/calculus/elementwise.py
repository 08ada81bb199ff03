"""Derivatives of the elementwise functions, taken by SymPy.

Each function of the language is a SymPy function of one real variable; its
derivative is translated back into an expression tree on the same argument,
with products and powers read entry by entry (``σ(a) ⊙ (1 - σ(a))``).
"""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from ..language import ast as A
from ..language import functions
from ..shapes.dims import ONE, Dim

if TYPE_CHECKING:
    import sympy

# SymPy takes a quarter of a second to import: it is imported by the first
# derivative of an elementwise function, not by matcalc itself.


@lru_cache(maxsize=1)
def _variable():
    import sympy
    return sympy.Symbol("x", real=True)


@lru_cache(maxsize=64)            # keyed by registry names only (an unknown one is a KeyError)
def sympy_function(name: str):
    """The SymPy function of a registered elementwise function: SymPy's own
    (exp, tanh, ...) or, for σ, relu, softplus, step and sign, a SymPy
    function whose derivative is the registry's."""
    import sympy
    entry = functions.elementwise(name)
    if entry.sympy is not None:
        return entry.sympy(sympy)

    def fdiff(self, argindex=1):
        value = entry.derivative(sympy_function, self.args[0])
        return sympy.Integer(value) if isinstance(value, int) else value

    return type(name, (sympy.Function,), {"fdiff": fdiff, "__doc__": f"matcalc's {name}"})


@lru_cache(maxsize=1)
def _registry_names() -> dict:
    import sympy
    names = {sympy_function(name): name for name in functions.ELEMENTWISE}
    names[sympy.sign] = "sign"          # SymPy writes |x|' as its own sign(x)
    return names


def _name_of(function) -> str | None:
    """The registry name of a SymPy function (sympy.exp → "exp")."""
    return _registry_names().get(function)


@lru_cache(maxsize=64)            # likewise
def _derivative(name: str) -> "sympy.Expr":
    import sympy
    x = _variable()
    derivative = sympy.diff(sympy_function(name)(x), x)
    # SymPy writes d|x|/dx as sign(x) only for real x, and may keep Derivative
    # objects for functions it does not know; neither may reach the user.
    if derivative.has(sympy.Derivative):
        raise ValueError(f"no closed-form derivative for {name}")
    return derivative


_ARGUMENT = A.PatternVar("?u")
# The shape of f'(?u), filled in at each use: one tree per function, not one
# per function and shape (a sum of 999 tanh layers has 999 shapes).
_SHAPE = (Dim(names=("?rows",)), Dim(names=("?cols",)))


def derivative(name: str, arg: A.Expr, shape) -> A.Expr:
    """f'(arg), entry by entry, as an expression tree of the given shape."""
    scalar = shape[0].is_one and shape[1].is_one
    filled = {_ARGUMENT: arg}
    if not scalar:
        filled.update({A.Ones(*_SHAPE): A.Ones(*shape), A.Zero(*_SHAPE): A.Zero(*shape)})
    return A.substitute(_derivative_tree(name, scalar), filled)


@lru_cache(maxsize=256)           # pure: one tree per function (and scalar or not)
def _derivative_tree(name: str, scalar: bool) -> A.Expr:
    return _to_tree(_derivative(name), _ARGUMENT, (ONE, ONE) if scalar else _SHAPE)


def _order(factor) -> int:
    import sympy
    if isinstance(factor, sympy.Function) or isinstance(factor, sympy.Abs):
        return 0
    if factor.is_Pow:
        return 1
    return 2


def _to_tree(expr: "sympy.Expr", arg: A.Expr, shape) -> A.Expr:
    import sympy
    rows, cols = shape
    if expr == _variable():
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
    function = _name_of(expr.func)
    if function is not None:
        return A.Func(function, _to_tree(expr.args[0], arg, shape))
    raise ValueError(f"cannot translate {expr}")
