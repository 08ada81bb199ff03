"""LaTeX printer: ``\\operatorname{tr}``, ``\\odot``, ``\\otimes``, ``^\\top``, ``\\sigma``."""

from __future__ import annotations

from fractions import Fraction
from functools import singledispatch

from ..language import ast as A
from ..language import index_ast as I
from ..language import functions
from ..language.ast import scaled, split_coefficient
from ..language.names import ascii_name, latex_letter, split_error_name, split_name
from .text import (ATOM, NEGATION, POSTFIX, PRODUCT, SUM, dim_powers, fraction_parts, negative_power,
                   ones_after_fraction, to_text)


@A.node
class Spelled(A.Symbol):
    """A symbol printed in the spelling the user typed (SPEC §11); only this
    printer meets it, in trees that ``respelled`` made for printing."""
    latex: str = ""


def respelled(expr: A.Expr, spellings: dict | None) -> A.Expr:
    """The tree with each symbol the user spelled in LaTeX (and its δ) carrying that spelling."""
    if not spellings:
        return expr
    spelled = {name: symbol_latex(name, spellings) for name in A.symbol_names(expr)}
    return A.substitute(expr, {A.Symbol(name): Spelled(name, latex) for name, latex in spelled.items()
                               if latex != symbol_latex(name)})


def grouped(latex: str) -> str:
    r"""A spelling that carries a superscript, braced: {\mathbf{W}^{(1)}}^\top is no double superscript."""
    return f"{{{latex}}}" if "^" in latex or "'" in latex else latex


def symbol_latex(name: str, spellings: dict | None = None) -> str:
    if spellings and name in spellings:
        return spellings[name]
    error = split_error_name(name)
    if error:                                   # \delta_{a_{2}} (SPEC §7)
        return f"{latex_letter(ascii_name(error[0]))}_{{{symbol_latex(error[1], spellings)}}}"
    stem, rest = split_name(name)
    # A name of several letters is one italic word (xh, not x·h).
    stem = latex_letter(stem) or (stem if len(stem) == 1 else f"\\mathit{{{stem}}}")
    parts = rest.split("_")
    if rest.startswith("_") and not all(parts[1:]):
        # x_, x__1, x_1_: written as typed, so that x_ and x stay two names
        return "\\mathit{" + name.replace("_", r"\_") + "}"
    index = ",".join(part for part in parts if part)      # x_t_1 → x_{t,1}
    return f"{stem}_{{{index}}}" if index else stem


def number_latex(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    return rf"\frac{{{value.numerator}}}{{{value.denominator}}}"


def to_latex(expr: A.Expr, spellings: dict | None = None) -> str:
    """The expression in LaTeX; with ``spellings`` (name → LaTeX as typed) in the user's notation."""
    return _latex(respelled(expr, spellings))[0]


def _wrap(expr, minimum):
    text, strength = _latex(expr)
    return _paren(text) if strength < minimum else text


TALL = (r"\frac", r"\left", r"\begin")


def _paren(text):
    r"""Brackets that grow only around tall contents (a fraction): on a line
    of symbols \left( \right) would stand apart and look too big."""
    return rf"\left({text}\right)" if any(mark in text for mark in TALL) else f"({text})"


@singledispatch
def _latex(expr):
    raise TypeError(f"cannot print {type(expr).__name__}")


_latex.register(A.Symbol)(lambda e: (symbol_latex(e.name), ATOM))
_latex.register(Spelled)(lambda e: (e.latex, ATOM))


def _base(expr) -> str:
    """The base of a superscript: a spelling with a superscript of its own is braced."""
    text = _wrap(expr, ATOM)
    return grouped(text) if isinstance(expr, Spelled) else text
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
                                    + _paren(to_latex(e.arg)), ATOM))


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
    return "".join(piece for piece, _ in _sum_pieces(expr)), SUM


def _sum_pieces(expr: A.Add):
    """Each term of a sum with the sign before it, and the term as it stands there."""
    for index, term in enumerate(expr.args):
        coefficient, rest = split_coefficient(term)
        if index and coefficient < 0:
            term = scaled(-coefficient, rest)
            yield " - " + _wrap(term, NEGATION + 1), term
        else:
            yield (" + " if index else "") + _wrap(term, NEGATION if not index else NEGATION + 1), term


LINE_WIDTH = 80       # characters (as text) a line of a display holds before it breaks


def latex_lines(expr: A.Expr, width: int = LINE_WIDTH, spellings: dict | None = None) -> list[str]:
    """The expression as lines of about ``width`` characters, broken before a
    + or - of its outermost sum (a display that runs off the page cannot be read)."""
    expr = respelled(expr, spellings)
    if not isinstance(expr, A.Add) or len(to_text(expr)) <= width:
        return [to_latex(expr)]
    lines, line, line_width = [], "", 0
    for piece, term in _sum_pieces(expr):
        piece_width = 3 + len(to_text(term))        # " + " and the term, as text
        if line and line_width + piece_width > width:
            lines.append(line)
            line, line_width = "", 0
        line, line_width = line + piece, line_width + piece_width
    return [part.strip() for part in lines + [line]]


@_latex.register
def _(expr: A.Product):
    coefficient, rest = split_coefficient(expr)
    if coefficient < 0:
        return "-" + _wrap(scaled(-coefficient, rest), PRODUCT), NEGATION
    numerators, denominators = fraction_parts(expr.args)
    if split := ones_after_fraction(numerators, denominators):
        fraction, ones = split
        return f"{_latex(fraction)[0]} {_latex(ones)[0]}", PRODUCT
    below = []
    if denominators:                # ½ a / b reads a / (2 b): no fraction inside a fraction
        numbers = [f for f in numerators if isinstance(f, A.Number) and f.value.denominator != 1]
        for number in numbers:
            numerators = [f for f in numerators if f is not number]
            if number.value.numerator != 1:
                numerators.insert(0, A.Number(Fraction(number.value.numerator)))
            below.append(A.Number(Fraction(number.value.denominator)))
    if not denominators:
        return _factors(numerators), PRODUCT
    return rf"\frac{{{_fraction_part(numerators)}}}{{{_fraction_part(below + denominators)}}}", PRODUCT


def _fraction_part(factors) -> str:
    """A fraction's top or bottom: the bar groups it, so one factor needs no brackets."""
    return to_latex(factors[0]) if len(factors) == 1 else _factors(factors) or "1"


def _factors(factors) -> str:
    r"""Factors side by side, a thin space where they would run together: around
    a differential (A\, dX\, B) and between a number and a number-like factor (2\, 1^T)."""
    text = ""
    for index, factor in enumerate(factors):
        part = (_paren(_latex(factor)[0]) if isinstance(factor, (A.Product, A.Hadamard, A.Kron))
                else _wrap(factor, PRODUCT))
        if index:
            previous = factors[index - 1]
            apart = _is_differential(previous) or _is_differential(factor) or (
                isinstance(previous, (A.Number, A.DimValue)) and (part[:1].isdigit() or part.startswith(
                    (r"\mathbf{1}", r"\frac"))))
            text += r"\, " if apart else " "
        text += part
    return text


def _is_differential(expr) -> bool:
    while isinstance(expr, (A.Transpose, A.Inverse)):
        expr = expr.arg
    return isinstance(expr, A.Differential)


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
        return _base(expr.arg.arg) + r"^{-\top}", POSTFIX
    return _base(expr.arg) + r"^\top", POSTFIX


_latex.register(A.Inverse)(lambda e: (_base(e.arg) + "^{-1}", POSTFIX))


def _exponent(exponent):
    if isinstance(exponent, A.Number):
        value = exponent.value
        return str(value) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    return to_latex(exponent)


@_latex.register
def _(expr: A.Power):
    if negative_power(expr):
        return _latex(A.Product((expr,)))
    if expr.exponent == A.Number(Fraction(1, 2)):        # a matrix power is whole: this is a scalar's root
        return rf"\sqrt{{{to_latex(expr.base)}}}", ATOM
    if isinstance(expr.base, A.Inverse) and isinstance(expr.exponent, A.Number):
        return _base(expr.base.arg) + "^{" + _exponent(A.Number(-expr.exponent.value)) + "}", POSTFIX
    return _base(expr.base) + "^{" + _exponent(expr.exponent) + "}", POSTFIX


@_latex.register
def _(expr: A.ElemPow):
    return _base(expr.base) + r"^{\circ " + _exponent(expr.exponent) + "}", POSTFIX


def _call(operator, arg):
    return operator + _paren(to_latex(arg)), ATOM


@_latex.register
def _(expr: A.Func):
    entry = functions.lookup(expr.name)
    return _call(entry.latex_spelling if entry else expr.name, expr.arg)   # (a rule's ?f as written)


for _cls in functions.CALLED_NODES:
    _latex.register(_cls)(lambda e: _call(functions.of_node(type(e)).latex_spelling, e.arg))


@_latex.register
def _(expr: A.Norm):
    suffix = "_F" if expr.subscript in ("F", "fro") else ""
    inner = to_latex(expr.arg)
    if any(mark in inner for mark in TALL):
        return rf"\left\lVert {inner} \right\rVert{suffix}", ATOM
    return rf"\lVert {inner} \rVert{suffix}", ATOM


@_latex.register
def _(expr: A.Differential):
    if isinstance(expr.arg, A.Symbol):          # (a spelled symbol may carry a superscript: braced)
        return r"\mathrm{d}" + (grouped(expr.arg.latex) if isinstance(expr.arg, Spelled) else
                                symbol_latex(expr.arg.name)), ATOM
    return r"\mathrm{d}" + _paren(to_latex(expr.arg)), ATOM


# ---------------------------------------------------------------- index notation (SPEC §3)
@_latex.register
def _(expr: I.Entry):
    base, strength = _latex(expr.arg)
    if strength < ATOM or "_" in base or "^" in base:      # W_{1}: (W_{1})_{jk}
        base = _paren(base)
    indices = [index for index in (expr.row, expr.col) if index]
    return f"{base}_{{{(',' if any(len(i) > 1 for i in indices) else '').join(indices)}}}", ATOM


@_latex.register
def _(expr: I.IndexSum):
    body, strength = _latex(expr.arg)
    return rf"\sum_{{{expr.index}}} " + (_paren(body) if strength < PRODUCT else body), PRODUCT


@_latex.register
def _(expr: I.Delta):
    return rf"\delta_{{{expr.row}{expr.col}}}", ATOM
