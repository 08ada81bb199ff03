"""LaTeX printer: ``\\operatorname{tr}``, ``\\odot``, ``\\otimes``, ``^\\top``, ``\\sigma``."""

from __future__ import annotations

from fractions import Fraction
from functools import singledispatch

from ..language import ast as A
from ..language import functions
from ..language.ast import scaled, split_coefficient
from ..language.names import ascii_name, latex_letter, split_error_name, split_name
from .text import (ATOM, NEGATION, POSTFIX, PRODUCT, SUM, dim_powers, fraction_parts, negative_power,
                   ones_after_fraction)


def symbol_latex(name: str) -> str:
    error = split_error_name(name)
    if error:                                   # \delta_{a_{2}} (SPEC §7)
        return f"{latex_letter(ascii_name(error[0]))}_{{{symbol_latex(error[1])}}}"
    stem, rest = split_name(name)
    stem = latex_letter(stem) or stem
    if not rest:
        return stem
    index = ",".join(part for part in rest.split("_") if part)      # x_t_1 → x_{t,1}
    if not index:
        return stem                                                  # x_ reads as x
    return f"{stem}_{{{index}}}" if len(stem) == 1 or stem.startswith("\\") else f"\\mathit{{{stem}}}_{{{index}}}"


def number_latex(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return rf"\frac{{{value.numerator}}}{{{value.denominator}}}"


def to_latex(expr: A.Expr) -> str:
    return _latex(expr)[0]


def _wrap(expr, minimum):
    text, strength = _latex(expr)
    return rf"\left({text}\right)" if strength < minimum else text


def _paren(text):
    return rf"\left({text}\right)"


@singledispatch
def _latex(expr):
    raise TypeError(f"cannot print {type(expr).__name__}")


_latex.register(A.Symbol)(lambda e: (symbol_latex(e.name), ATOM))
_latex.register(A.PatternVar)(lambda e: (symbol_latex(e.name.lstrip("?")), ATOM))


@_latex.register
def _(expr: A.Ones):
    if expr.rows is None or expr.cols.is_one:
        return r"\mathbf{1}", ATOM
    if expr.rows.is_one:
        return r"\mathbf{1}^\top", POSTFIX
    return r"\mathbf{1} \mathbf{1}^\top", PRODUCT          # the all-ones matrix


_latex.register(A.Identity)(lambda e: ("I", ATOM))
_latex.register(A.Zero)(lambda e: ("0", ATOM))
_latex.register(A.Commutation)(lambda e: (f"K_{{{_dim(e.rows)},{_dim(e.cols)}}}", ATOM))
_latex.register(A.Unvec)(lambda e: (rf"\operatorname{{vec}}^{{-1}}_{{{_dim(e.rows)}\times {_dim(e.cols)}}}"
                                    rf"\left({to_latex(e.arg)}\right)", ATOM))


def _dim(dim) -> str:
    return " ".join(base if power == 1 else f"{base}^{{{power}}}" for base, power in dim_powers(dim))


@_latex.register
def _(expr: A.DimValue):
    text = _dim(expr.dim)
    return text, PRODUCT if " " in text else POSTFIX if "^" in text else ATOM


@_latex.register
def _(expr: A.Number):
    if expr.value < 0:
        return "-" + number_latex(-expr.value), NEGATION
    return number_latex(expr.value), ATOM


@_latex.register
def _(expr: A.Add):
    parts = []
    for index, term in enumerate(expr.args):
        coefficient, rest = split_coefficient(term)
        if index and coefficient < 0:
            parts.append(" - " + _wrap(scaled(-coefficient, rest), NEGATION + 1))
        else:
            parts.append((" + " if index else "") + _wrap(term, NEGATION if not index else NEGATION + 1))
    return "".join(parts), SUM


@_latex.register
def _(expr: A.Product):
    coefficient, rest = split_coefficient(expr)
    if coefficient < 0:
        return "-" + _wrap(scaled(-coefficient, rest), PRODUCT), NEGATION
    numerators, denominators = fraction_parts(expr.args)
    if split := ones_after_fraction(numerators, denominators):
        fraction, ones = split
        return f"{_latex(fraction)[0]} {_latex(ones)[0]}", PRODUCT
    parts = []
    for factor in numerators:
        if isinstance(factor, (A.Product, A.Hadamard, A.Kron)):
            parts.append(_paren(_latex(factor)[0]))
        else:
            parts.append(_wrap(factor, PRODUCT))
    top = " ".join(parts) if parts else "1"
    if denominators:
        bottom = " ".join(_wrap(d, PRODUCT) for d in denominators)
        return rf"\frac{{{top}}}{{{bottom}}}", PRODUCT
    return top, PRODUCT


def _infix(expr, operator):
    parts = []
    for index, arg in enumerate(expr.args):
        text, strength = _latex(arg)
        if strength < PRODUCT or (strength == PRODUCT and (type(arg) is not type(expr) or index)):
            text = _paren(text)
        parts.append(text)
    return f" {operator} ".join(parts), PRODUCT


_latex.register(A.Hadamard)(lambda e: _infix(e, r"\odot"))
_latex.register(A.Kron)(lambda e: _infix(e, r"\otimes"))


@_latex.register
def _(expr: A.Transpose):
    if isinstance(expr.arg, A.Inverse):
        return _wrap(expr.arg.arg, ATOM) + r"^{-\top}", POSTFIX
    return _wrap(expr.arg, ATOM) + r"^\top", POSTFIX


_latex.register(A.Inverse)(lambda e: (_wrap(e.arg, ATOM) + "^{-1}", POSTFIX))


def _exponent(exponent):
    if isinstance(exponent, A.Number):
        value = exponent.value
        return str(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return to_latex(exponent)


@_latex.register
def _(expr: A.Power):
    if negative_power(expr):
        return _latex(A.Product((expr,)))
    if isinstance(expr.base, A.Inverse) and isinstance(expr.exponent, A.Number):
        return _wrap(expr.base.arg, ATOM) + "^{" + _exponent(A.Number(-expr.exponent.value)) + "}", POSTFIX
    return _wrap(expr.base, ATOM) + "^{" + _exponent(expr.exponent) + "}", POSTFIX


@_latex.register
def _(expr: A.ElemPow):
    return _wrap(expr.base, ATOM) + r"^{\circ " + _exponent(expr.exponent) + "}", POSTFIX


def _call(operator, arg):
    return rf"{operator}\left({to_latex(arg)}\right)", ATOM


@_latex.register
def _(expr: A.Func):
    entry = functions.lookup(expr.name)
    return _call(entry.latex_spelling if entry else expr.name, expr.arg)   # (a rule's ?f as written)


for _cls in functions.CALLED_NODES:
    _latex.register(_cls)(lambda e: _call(functions.of_node(type(e)).latex_spelling, e.arg))


@_latex.register
def _(expr: A.Norm):
    suffix = "_F" if expr.subscript in ("F", "fro") else ""
    return rf"\left\lVert {to_latex(expr.arg)} \right\rVert{suffix}", ATOM


@_latex.register
def _(expr: A.Differential):
    if isinstance(expr.arg, A.Symbol):
        return r"\mathrm{d}" + symbol_latex(expr.arg.name), ATOM
    return rf"\mathrm{{d}}\left({to_latex(expr.arg)}\right)", ATOM
