"""LaTeX input (SPEC §11): a formula as pasted from a paper, read into the same AST.

``read_latex`` writes the LaTeX out in matcalc's own language, with each
symbol's spelling as typed, the kinds its font says, and the readings it
chose where the LaTeX allows two (``|X|``, ``\\sigma^2``, ``x'``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...errors import MatcalcError

if TYPE_CHECKING:
    from .pieces import Piece
# The reader and its tables load with the first LaTeX input: most inputs are
# matcalc's own language, and a command line should not pay for them.


@dataclass(frozen=True)
class LatexReading:
    source: str                              # the LaTeX as typed
    plain: str                               # the same in matcalc's language
    spellings: tuple[tuple[str, str], ...]   # (plain name, LaTeX as typed)
    kinds: tuple[tuple[str, str], ...]       # (plain name, kind its font or context says)
    notes: tuple[str, ...]                   # readings taken where there were two
    piece: Piece                             # the plain text tied to the LaTeX

    def latex_error(self, error: MatcalcError) -> MatcalcError:
        """An error found in the plain text, pointed at the LaTeX it was read from."""
        if error.source == self.plain:
            from .pieces import latex_span
            span = latex_span(self.piece, *error.span) if error.span else None
            error.source, error.span = self.source, span
            error.message += f" (read as: {self.plain})"
        return error


def looks_like_latex(text: str) -> bool:
    """A backslash means LaTeX (SPEC §5), except one that ends a line: matcalc's
    own language continues a line with it."""
    return isinstance(text, str) and "\\" in text and re.search(r"\\(?!\r?\n)", text) is not None


def read_latex(text: str, differentials: bool = False) -> LatexReading:
    """``differentials``: ``dx`` and ``\\mathrm{d}\\mathbf{x}`` are the differentials dx (a hand derivation's lines)."""
    from .pieces import joined
    from .reader import Reader
    reader = Reader(text, differentials)
    statements = reader.program()
    defined = {name.text for name, _ in statements if name is not None}
    parts = []
    for index, (name, value) in enumerate(statements):
        parts += (["; "] if index else []) + ([name, " = "] if name is not None else []) + [value]
    piece = joined(parts, 0)
    kinds = {name: hint[0] for name, hint in reader.hints.items() if name not in defined}
    # A paper that sets vectors and matrices in bold writes its scalars in plain italics:
    # (y - \mathbf{w}^\top \mathbf{x})^2, \mathbf{Q}\mathbf{K}^\top / \sqrt{d_k}
    if any(hint[0] in ("vector", "matrix") for hint in reader.hints.values()):
        for name, (typed, _, _) in reader.plain_lower.items():
            if name not in kinds and name not in defined:
                kinds[name] = "scalar"
                reader.note(f"read {typed} as a scalar (not bold, where vectors and matrices are bold)")
    return LatexReading(text, piece.text, tuple(reader.spellings.items()),
                        tuple((name, kind) for name, kind in kinds.items() if kind != _default(name)),
                        tuple(reader.notes), piece)


def _default(name: str) -> str:
    from ..names import default_kind
    return default_kind(name)
