"""Small facts every canonical form uses: zeros, counts, constant entries."""

from __future__ import annotations

from fractions import Fraction

from ...language import ast as A
from ...shapes.dims import Dim
from ...shapes.env import TypeEnv


def zero_like(expr: A.Expr, env: TypeEnv) -> A.Expr:
    rows, cols = env.shape(expr)
    if rows.is_one and cols.is_one:
        return A.ZERO
    return A.Zero(rows, cols)


def kept_or_new(expr: A.Expr, operands) -> A.Expr:
    """A node of ``expr``'s type with ``operands``: ``expr`` itself when they
    are its own operands, object for object.  A node already canonical then
    stays the object it was, so its parents are not rebuilt around an equal
    copy, and later look-ups find it by identity instead of comparing trees."""
    operands = tuple(operands)
    own = expr.args
    if A.same_objects(operands, own):
        return expr
    return type(expr)(operands)


def is_zero(expr: A.Expr) -> bool:
    kind = type(expr)                   # (no class derives from Zero or Number)
    return kind is A.Zero or (kind is A.Number and expr.value == 0)



def dimension_value(dim: Dim) -> A.Expr:
    return A.DimValue(dim) if dim.names else A.Number(Fraction(dim.coef))



def constant_entries(arg) -> A.Expr | None:
    """c for an argument whose entries all equal the symbol-free scalar c."""
    if is_zero(arg):
        return A.ZERO
    if isinstance(arg, A.Ones):
        return A.ONE
    if isinstance(arg, A.Number):
        return arg
    if isinstance(arg, A.Product) and isinstance(arg.args[-1], A.Ones) and not any(
            isinstance(n, (A.Symbol, A.Ones, A.Identity)) for f in arg.args[:-1] for n in A.walk(f)):
        return A.joined(A.Product, arg.args[:-1])
    return None


