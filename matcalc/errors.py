"""One error hierarchy, rendered once at the CLI boundary (SPEC §6)."""

from __future__ import annotations


class MatcalcError(Exception):
    """Anything wrong with the user's input or request.

    ``span`` is a ``(start, end)`` character range into ``source`` when the
    problem can be pointed at; ``render()`` draws the caret line.
    """

    def __init__(self, message: str, source: str | None = None,
                 span: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.span = span

    def with_source(self, source: str) -> "MatcalcError":
        if self.source is None:
            self.source = source
        return self

    def render(self) -> str:
        """The message, and under it the offending line with a caret."""
        if self.source is None or self.span is None:
            return self.message
        start, end = self.span
        line_start = self.source.rfind("\n", 0, start) + 1
        line_end = self.source.find("\n", start)
        if line_end < 0:
            line_end = len(self.source)
        line = self.source[line_start:line_end]
        column = start - line_start
        width = max(1, min(end, line_end) - start)
        # Keep very long inputs readable: show a window around the caret.
        if len(line) > 100:
            left = max(0, column - 50)
            line = ("…" if left else "") + line[left:left + 100]
            column = column - left + (1 if left else 0)
            width = min(width, 100)
        return f"{self.message}\n  {line}\n  {' ' * column}{'^' * width}"

    def __str__(self) -> str:
        return self.render()


class ParseError(MatcalcError):
    """The text is not in the expression language."""


class ShapeError(MatcalcError):
    """The expression is well formed but its shapes do not fit together."""


class DerivationError(MatcalcError):
    """The derivative cannot be taken or brought to closed form."""


class LimitError(MatcalcError):
    """The input exceeds a documented resource limit."""
