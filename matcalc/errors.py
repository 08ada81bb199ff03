"""One error hierarchy, rendered once at the CLI boundary (SPEC §6)."""

from __future__ import annotations

import unicodedata

# Columns of a long source line shown around the caret.
WINDOW = 100


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
        message = _printable(self.message)
        if self.source is None or self.span is None:
            return message
        line, underline = _caret_lines(self.source, *self.span)
        return f"{message}\n  {line}\n  {underline}"

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


class MatcalcWarning(UserWarning):
    """Something in the input is legal but probably not meant (a statement
    whose value is never used); the CLI prints it as one line."""


class InternalError(Exception):
    """An invariant of matcalc itself failed: a bug to report, not a refusal
    of the input (it is deliberately not a MatcalcError)."""


# ------------------------------------------------------------------ rendering
def _caret_lines(source: str, start: int, end: int) -> tuple[str, str]:
    """The source line holding ``start`` (cut to a window around it on long
    lines) and a line of carets under ``start:end`` (clipped to that line)."""
    start = min(max(start, 0), len(source))
    line_start = source.rfind("\n", 0, start) + 1
    line_end = source.find("\n", start)
    if line_end < 0:
        line_end = len(source)
    line = source[line_start:line_end].rstrip("\r")
    column = start - line_start
    width = max(1, min(end, line_start + len(line)) - start)
    prefix = suffix = ""
    if len(line) > WINDOW:
        # The caret may sit one past the end (at the end of input): keep it in view.
        left = max(0, min(column - WINDOW // 2, len(line) + 1 - WINDOW))
        right = left + WINDOW
        prefix, suffix = ("…" if left else ""), ("…" if right < len(line) else "")
        width = max(1, min(column + width, right) - column)
        line, column = line[left:right], column - left
    shown = prefix + _printable(line, aligned=True) + suffix
    pad = _columns(prefix + _printable(line[:column], aligned=True))
    carets = max(1, _columns(_printable(line[column:column + width], aligned=True)))
    return shown, " " * pad + "^" * carets


def _printable(text: str, aligned: bool = False) -> str:
    """``text`` safe to print on a terminal: a raw escape or carriage return
    from the input must not move the cursor or rewrite the screen.  In a
    source line (``aligned``) each character stays one column wide, so the
    caret still lines up; in a message it is spelled out (``\\x1b``)."""
    out = []
    for ch in text:
        if ch.isprintable() or (ch == "\n" and not aligned):
            out.append(ch)
        elif aligned:
            out.append(" " if ch.isspace() else "\ufffd")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def _columns(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two, combining
    marks none, everything else (after ``_printable``) one."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total
