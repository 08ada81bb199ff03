"""A hand derivation's lines typed in LaTeX (SPEC §10, §11), for ``--compare-steps``,
and an answer's label.

    \\begin{aligned}
    \\mathrm{d}l &= \\mathrm{d}\\mathbf{x}^\\top A \\mathbf{x} + \\mathbf{x}^\\top A\\, \\mathrm{d}\\mathbf{x} \\\\
    \\frac{\\partial l}{\\partial \\mathbf{x}} &= (A + A^\\top)\\mathbf{x}
    \\end{aligned}

The left sides are made plain as the steps checker names them (``dl``,
``∂l/∂x``, ``h1``), each name in the problem's plain spelling; the right
sides are read by the LaTeX reader with differentials.  A single answer
may carry its label too (``∂l/∂x = 2 A x``, as a student pastes the line).
"""

from __future__ import annotations

import re

from ..errors import MatcalcError, ParseError
from ..language.latex import looks_like_latex, read_latex
from ..language.names import ascii_name
from ..printers.labels import label_text

# ∂l/∂x, dl/dx, ∂l/∂x^T: the answer's label, as the steps checker names it
GRADIENT_LABEL = re.compile(r"^(?:∂|d)\s*(?P<f>\w+)\s*/\s*(?:∂|d)\s*(?P<x>\w+)\s*(?P<t>\^T|')?$")

# A line that only frames the block: \begin{aligned}, \end{align*}, $$, \[ ... \]
LATEX_FRAME = re.compile(r"\s*(\\(begin|end)\{\w+\*?\}|\$\$|\\\[|\\\])\s*")

_D = r"(?:\\partial|∂|\\mathrm\{d\}|\\text\{d\}|\\operatorname\{d\}|\\mathrm d|d)"
_TRANSPOSED = r"(?P<t>\^\{?(?:T|\\top|\\intercal|\\mathsf\{T\}|\\mathrm\{T\})\}?|')?"
_FRACTION = re.compile(r"\\[dt]?frac\s*\{\s*" + _D + r"\s*(?P<f>.+)\}\s*\{\s*" + _D + r"\s*(?P<x>.+)\}\s*" + _TRANSPOSED)
_SLASHED = re.compile(_D + r"\s*(?P<f>[^/]+?)\s*/\s*" + _D + r"\s*(?P<x>.+?)\s*" + _TRANSPOSED)
_NABLA = re.compile(r"\\nabla_\s*(?:\{(?P<x>.+)\}|(?P<x1>\\?\w+))\s*(?P<f>.+)")
_DIFFERENTIAL = re.compile(r"(?:\\mathrm\{d\}|\\text\{d\}|\\operatorname\{d\}|\\mathrm d|d(?=\s|\\))\s*(?P<f>.+)")


def latex_line(line: str) -> str:
    """A line without the alignment and line-break marks of an aligned block (&=, \\\\)."""
    if not looks_like_latex(line):
        return line
    return re.sub(r"\\\\\s*(\[[^\]]*\])?\s*$", "", line).replace("&", "")


def plain_lhs(left: str, typed) -> str:
    """A left side as the steps checker names it: dl, ∂l/∂x (^T), or a name; '' when empty."""
    left = left.strip()
    if not looks_like_latex(left) and not left.startswith("∂"):
        return left
    name = lambda written: _plain_name(written, typed)
    for pattern in (_FRACTION, _SLASHED):
        if found := pattern.fullmatch(left):
            return f"∂{name(found['f'])}/∂{name(found['x'])}" + ("^T" if found["t"] else "")
    if found := _NABLA.fullmatch(left):
        return f"∂{name(found['f'])}/∂{name(found['x'] or found['x1'])}"
    if found := _DIFFERENTIAL.fullmatch(left):
        return "d" + name(found["f"])
    return name(left)


def _plain_name(written: str, typed) -> str:
    """A name in the problem's plain spelling (\\mathbf{W}^{(1)} → W1, \\ell → l)."""
    written = written.strip()
    if typed is not None:
        return typed.name_of(written)
    try:
        plain = read_latex(written).plain
    except MatcalcError:
        return ascii_name(written)
    return plain if re.fullmatch(r"\w+", plain) else ascii_name(written)


def check_label(gradient, derivation, where: str) -> None:
    """∂l/∂x names the function and the wrt symbol of the derivation."""
    if ascii_name(gradient["f"]) != derivation.problem.function_name or ascii_name(gradient["x"]) != derivation.wrt:
        raise ParseError(f"{where} is not {label_text(derivation.label)}, the answer derived")


def without_label(text: str, derivation) -> str:
    """An answer written with its label, ``∂l/∂x = 2 A x`` or
    ``\\frac{\\partial \\ell}{\\partial \\mathbf{x}} = 2A\\mathbf{x}``, without it;
    a label that is not the gradient derived is refused."""
    left, equals, right = text.partition("=")
    if not equals or not right.strip() or derivation.kind != "gradient":
        return text
    label = GRADIENT_LABEL.match(plain_lhs(left, derivation.problem.typed).replace(" ", ""))
    if label is None:
        return text
    check_label(label, derivation, f"the label {left.strip()}")
    return right
