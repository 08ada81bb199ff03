"""A hand derivation's lines typed in LaTeX (SPEC §10, §11), for ``--compare-steps``.

    \\begin{aligned}
    \\mathrm{d}l &= \\mathrm{d}\\mathbf{x}^\\top A \\mathbf{x} + \\mathbf{x}^\\top A\\, \\mathrm{d}\\mathbf{x} \\\\
    \\frac{\\partial l}{\\partial \\mathbf{x}} &= (A + A^\\top)\\mathbf{x}
    \\end{aligned}

The left sides are made plain as the steps checker names them (``dl``,
``∂l/∂x``, ``h1``), each name in the problem's plain spelling; the right
sides are read by the LaTeX reader with differentials.
"""

from __future__ import annotations

import re

from ..errors import MatcalcError
from ..language.latex import looks_like_latex, read_latex
from ..language.names import ascii_name

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
