"""Plain expression text built from LaTeX, remembering where each part came from.

The LaTeX reader writes the expression in matcalc's own language and hands
it to the one parser and tree builder; a ``Piece`` is a part of that text
with its precedence (to know where brackets are needed) and marks tying its
characters to the LaTeX they were read from, so that an error found in the
plain text points at the LaTeX the user typed.
"""

from __future__ import annotations

from dataclasses import dataclass

# Precedence as in grammar/matcalc.lark, loosest first.
SUM, NEGATION, PRODUCT, POSTFIX, ATOM = range(5)


@dataclass(frozen=True)
class Piece:
    text: str
    level: int
    marks: tuple[tuple[int, int, int, int], ...] = ()   # (plain start, plain end, LaTeX start, LaTeX end)

    def wrapped(self, minimum: int) -> "Piece":
        """In brackets when it binds looser than ``minimum``."""
        return self if self.level >= minimum else joined(["(", self, ")"], ATOM)

    @property
    def span(self) -> tuple[int, int] | None:
        if not self.marks:
            return None
        return min(m[2] for m in self.marks), max(m[3] for m in self.marks)


def leaf(text: str, level: int, start: int, end: int) -> Piece:
    """A piece read from LaTeX[start:end]."""
    return Piece(text, level, ((0, len(text), start, end),))


def joined(parts, level: int) -> Piece:
    """Pieces and strings one after another, as one piece of ``level``."""
    text, marks = "", []
    for part in parts:
        if isinstance(part, Piece):
            marks += [(a + len(text), b + len(text), c, d) for a, b, c, d in part.marks]
            text += part.text
        else:
            text += part
    return Piece(text, level, tuple(marks))


def latex_span(piece: Piece, start: int, end: int) -> tuple[int, int] | None:
    """The LaTeX that the plain text[start:end] was read from."""
    touched = [m for m in piece.marks if m[0] < max(end, start + 1) and m[1] > start]
    if not touched:
        return None
    return min(m[2] for m in touched), max(m[3] for m in touched)
