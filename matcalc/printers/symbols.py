"""The user's symbols as a table: plain name, LaTeX as typed, kind, shape (SPEC §11)."""

from __future__ import annotations

import re

from ..shapes.dims import shape_text
from .latex import symbol_latex


def spellings_of(problem) -> dict[str, str]:
    """name → the LaTeX the user typed for it, where it reads otherwise than matcalc's own
    (\\mathbf{W}^{(1)}, not W_2 for W_{2}); empty for input in matcalc's language."""
    typed = getattr(problem, "typed", None)
    if typed is None:
        return {}
    return {name: latex for name, latex in typed.spellings if _unbraced(latex) != _unbraced(symbol_latex(name))}


def _unbraced(latex: str) -> str:
    return re.sub(r"[{}\s]", "", latex)


def symbol_kind(info) -> str:
    if info.probability:
        return "probability vector"
    if info.positive_definite:
        return "positive definite matrix"
    if info.symmetric:
        return "symmetric matrix"
    return info.kind


def symbols_json(problem) -> list[dict]:
    """Each symbol of the function: its plain name, its LaTeX (as typed, else as
    matcalc prints it), its kind and its shape."""
    spellings = spellings_of(problem)
    rows = []
    for name in problem.symbols:
        info = problem.env.symbols[name]
        rows.append({"name": name, "latex": spellings.get(name) or symbol_latex(name),
                     "kind": symbol_kind(info), "shape": shape_text((info.rows, info.cols))})
    return rows


def input_json(problem) -> dict:
    """The input as typed (LaTeX or matcalc's language) and as read, with the readings said (SPEC §11)."""
    typed = getattr(problem, "typed", None)
    if typed is None:
        return {"language": "text", "source": problem.source, "plain": problem.source, "notes": []}
    return typed.json(problem)
