"""Plain-text (Unicode) printer.  Its output parses back to the same tree:
``parse(to_text(e)) == e`` for every canonical expression without ``d``."""

from __future__ import annotations

from fractions import Fraction
from functools import singledispatch

from ..language import ast as A
from ..language import index_ast as I
from ..language import functions
from ..language.ast import scaled, split_coefficient
from ..language.names import display_name

# Binding strength, loosest first; a child printed inside a parent that binds
# tighter than the child gets parentheses.
SUM, NEGATION, PRODUCT, POSTFIX, ATOM = range(5)

def symbol_text(name: str) -> str:
    return display_name(name)


def number_text(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return f"{value.numerator}/{value.denominator}"


def to_text(expr: A.Expr) -> str:
    return _text(expr)[0]


def _wrap(expr: A.Expr, minimum: int) -> str:
    text, strength = _text(expr)
    return f"({text})" if strength < minimum else text


@singledispatch
def _text(expr) -> tuple[str, int]:
    raise TypeError(f"cannot print {type(expr).__name__}")


@_text.register
def _(expr: A.Symbol):
    return symbol_text(expr.name), ATOM


@_text.register
def _(expr: A.PatternVar):
    return expr.name, ATOM


@_text.register
def _(expr: A.Number):
    if expr.value < 0:
        return "-" + number_text(-expr.value), NEGATION
    return number_text(expr.value), (ATOM if expr.value.denominator == 1 else PRODUCT)


@_text.register
def _(expr: A.Ones):
    if expr.rows is None or expr.cols.is_one:
        return "1", ATOM
    if expr.rows.is_one:
        return "1^T", POSTFIX
    return "1 1^T", PRODUCT          # the all-ones matrix, an outer product


@_text.register
def _(expr: A.Identity):
    return "I", ATOM


@_text.register
def _(expr: A.Zero):
    return "0", ATOM


@_text.register
def _(expr: A.Commutation):
    return f"K_{{{expr.rows},{expr.cols}}}", ATOM


@_text.register
def _(expr: A.Unvec):
    return f"unvec_{{{expr.rows}×{expr.cols}}}({to_text(expr.arg)})", ATOM


@_text.register
def _(expr: A.DimValue):
    parts = [base if power == 1 else f"{base}^{power}" for base, power in dim_powers(expr.dim)]
    if len(parts) > 1:
        return " ".join(parts), PRODUCT
    return parts[0], POSTFIX if "^" in parts[0] else ATOM


def dim_powers(dim) -> list[tuple[str, int]]:
    """A dimension count as (base, power) factors: 2 m n n is 2 m n^2."""
    counts: dict[str, int] = {}
    for name in dim.names:
        counts[name] = counts.get(name, 0) + 1
    number = [(str(dim.coef), 1)] if dim.coef != 1 or not dim.names else []
    return number + list(counts.items())


@_text.register
def _(expr: A.Add):
    parts = []
    for index, term in enumerate(expr.args):
        coefficient, rest = split_coefficient(term)
        if index and coefficient < 0:
            positive = scaled(-coefficient, rest)
            parts.append(" - " + _wrap(positive, NEGATION + 1))
        else:
            parts.append((" + " if index else "") + _wrap(term, NEGATION if index == 0 else NEGATION + 1))
    return "".join(parts), SUM


@_text.register
def _(expr: A.Product):
    coefficient, rest = split_coefficient(expr)
    if coefficient < 0:
        return "-" + _wrap(scaled(-coefficient, rest), PRODUCT), NEGATION
    numerators, denominators = fraction_parts(expr.args)
    if split := ones_after_fraction(numerators, denominators):
        fraction, ones = split
        return f"({_text(fraction)[0]}) {_text(ones)[0]}", PRODUCT
    parts = []
    for index, factor in enumerate(numerators):
        if index and isinstance(factor, A.Number):
            parts.append(f"({_text(factor)[0]})")
        elif isinstance(factor, (A.Product, A.Hadamard, A.Kron)):
            parts.append(f"({_text(factor)[0]})")
        else:
            parts.append(_wrap(factor, PRODUCT))
    text = " ".join(parts) if parts else "1"
    if denominators:
        if len(denominators) == 1:
            below = _wrap(denominators[0], POSTFIX)
        else:
            below = "(" + " ".join(_wrap(d, PRODUCT) for d in denominators) + ")"
        text = f"{text} / {below}"
    return text, PRODUCT


def ones_after_fraction(numerators, denominators):
    """(c / d, 1) for c 1 / d, a number times an all-ones vector or matrix
    over a denominator: written c 1 / n it would read as the number c/n, so
    the ones stand after the fraction.  None for any other product."""
    *numbers, last = numerators or [None]
    if not (denominators and isinstance(last, A.Ones) and last.rows is not None
            and not (last.rows.is_one and last.cols.is_one)
            and all(isinstance(n, A.Number) for n in numbers)):
        return None
    return A.Product(tuple(numbers) + tuple(A.Power(d, A.MINUS_ONE) for d in denominators)), last


def fraction_parts(factors) -> tuple[list, list]:
    """Numerator and denominator factors: s^{-2} goes below as s^2, and the
    reciprocals inside a scalar group (c s^{-1}) join the denominator."""
    numerators, denominators = [], []
    for factor in factors:
        if negative_power(factor):
            exponent = -factor.exponent.value
            denominators.append(factor.base if exponent == 1 else A.Power(factor.base, A.Number(exponent)))
        elif isinstance(factor, A.Product) and any(negative_power(f) for f in factor.args):
            inner, below = fraction_parts(factor.args)
            numerators.extend(inner if len(inner) <= 1 else [A.Product(tuple(inner))])
            denominators.extend(below)
        else:
            numerators.append(factor)
    return numerators, denominators


def negative_power(factor) -> bool:
    return (isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number)
            and factor.exponent.value < 0)


def _infix(expr, operator):
    parts = []
    for index, arg in enumerate(expr.args):
        if operator == "⊙" and index and _is_reciprocal_entries(arg):
            parts.append(" ./ " + _operand(arg.base, expr, index))
            continue
        parts.append((f" {operator} " if index else "") + _operand(arg, expr, index))
    return "".join(parts), PRODUCT


def _is_reciprocal_entries(arg) -> bool:
    return (isinstance(arg, A.ElemPow) and isinstance(arg.exponent, A.Number)
            and arg.exponent.value == -1)


def _operand(arg, parent, index) -> str:
    text, strength = _text(arg)
    if strength < PRODUCT or (strength == PRODUCT and (type(arg) is not type(parent) or index)):
        return f"({text})"
    return text


@_text.register
def _(expr: A.Hadamard):
    return _infix(expr, "⊙")


@_text.register
def _(expr: A.Kron):
    return _infix(expr, "⊗")


@_text.register
def _(expr: A.Transpose):
    if isinstance(expr.arg, A.Inverse):
        return _wrap(expr.arg.arg, ATOM) + "^{-T}", POSTFIX
    return _wrap(expr.arg, ATOM) + "^T", POSTFIX


@_text.register
def _(expr: A.Inverse):
    return _wrap(expr.arg, ATOM) + "^{-1}", POSTFIX


def exponent_text(exponent: A.Expr) -> str:
    value = exponent.value
    if value.denominator == 1 and value >= 0:
        return str(value)
    return "{" + ("-" if value < 0 else "") + number_text(abs(value)) + "}"


@_text.register
def _(expr: A.Power):
    if negative_power(expr):
        return _text(A.Product((expr,)))              # x^{-2} alone reads 1 / x^2
    if isinstance(expr.base, A.Inverse) and isinstance(expr.exponent, A.Number):
        # (X^{-1})^k is written X^{-k}
        return _wrap(expr.base.arg, ATOM) + "^" + exponent_text(A.Number(-expr.exponent.value)), POSTFIX
    return _wrap(expr.base, ATOM) + "^" + exponent_text(expr.exponent), POSTFIX


@_text.register
def _(expr: A.ElemPow):
    exponent = expr.exponent
    if isinstance(exponent, A.Number) and exponent.value.denominator == 1:
        shown = str(exponent.value)
    else:
        shown = f"({to_text(exponent)})"
    return _wrap(expr.base, ATOM) + " .^ " + shown, POSTFIX


def _call(name, arg):
    return f"{name}({to_text(arg)})", ATOM


@_text.register
def _(expr: A.Func):
    entry = functions.lookup(expr.name)
    return _call(entry.spelling if entry else expr.name, expr.arg)       # (a rule's ?f as written)


for _cls in functions.CALLED_NODES:
    _text.register(_cls)(lambda expr: _call(functions.of_node(type(expr)).name, expr.arg))


@_text.register
def _(expr: A.Norm):
    if any(isinstance(node, A.Norm) for node in A.walk(expr.arg)):
        return _call("norm", expr.arg)                # bars inside bars would not read back
    suffix = "_F" if expr.subscript in ("F", "fro") else ""
    return f"||{to_text(expr.arg)}||{suffix}", ATOM


@_text.register
def _(expr: A.Differential):
    if isinstance(expr.arg, A.Symbol):
        return "d" + symbol_text(expr.arg.name), ATOM
    return f"d({to_text(expr.arg)})", ATOM


# ---------------------------------------------------------------- index notation (SPEC §3)
def indices_text(*indices: str) -> str:
    indices = [index for index in indices if index]
    return ("," if any(len(index) > 1 for index in indices) else "").join(indices)


@_text.register
def _(expr: I.Entry):
    base = _wrap(expr.arg, ATOM)
    if isinstance(expr.arg, A.Symbol) and "_" in base:     # x_t: (x_t)_i
        base = f"({base})"
    return f"{base}_{indices_text(expr.row, expr.col)}", ATOM


@_text.register
def _(expr: I.IndexSum):
    return f"Σ_{expr.index} " + _wrap(expr.arg, PRODUCT), PRODUCT


@_text.register
def _(expr: I.Delta):
    return f"δ_{indices_text(expr.row, expr.col)}", ATOM


# str() and repr() of an expression print it in matcalc's language (issue 23).
A.show_with(to_text)
