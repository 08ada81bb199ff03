"""What the user typed, in matcalc's language or in LaTeX (SPEC §5, §11).

``typed_input`` decides which (a backslash means LaTeX; ``input="text"`` or
``"latex"`` says so) and gives the expression in matcalc's language, the
symbols' spellings as typed, and names and declarations translated: ``wrt``
and ``where`` may use either spelling (``W1`` or ``\\mathbf{W}^{(1)}``).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from dataclasses import dataclass

from ..errors import LimitError, MatcalcError, MatcalcWarning, ParseError
from . import ast as A
from .latex import LatexReading, looks_like_latex, read_latex
from .limits import MAX_INPUT_CHARS
from .names import ascii_name
from .records import quick_init

INPUTS = ("text", "latex")
COLUMNS_NOTE = ("read softmax of a matrix column by column (samples are columns, SPEC §1); "
                "a paper's softmax over rows is softmax(X^T)^T")


@quick_init
@dataclass(frozen=True)
class TypedInput:
    source: str                                  # as typed
    input: str                                   # "text" or "latex"
    plain: str                                   # in matcalc's language
    spellings: tuple[tuple[str, str], ...] = ()  # (plain name, LaTeX as typed)
    kinds: tuple[tuple[str, str], ...] = ()      # (plain name, kind the LaTeX says)
    notes: tuple[str, ...] = ()
    reading: LatexReading | None = None

    def name_of(self, written: str) -> str:
        """A symbol's plain name from either spelling: W1, W_1, \\mathbf{W}^{(1)}."""
        written = written.strip()
        for name, typed in self.spellings:
            if typed == written:
                return name
        if not looks_like_latex(written) and "{" not in written and "^" not in written:
            plain = ascii_name(written)
            if plain in dict(self.spellings) or not self.spellings:
                return plain
        try:
            reading = read_latex(written)
        except MatcalcError:
            return ascii_name(written)
        return reading.plain if re.fullmatch(r"\w+", reading.plain) else ascii_name(written)

    def where(self, where: str | None) -> str:
        """The declarations with names in either spelling made plain, and the kinds
        the LaTeX's fonts say for the symbols the user did not declare."""
        if where is None and self.input == "latex":
            where = ""
        if self.input == "text" or not isinstance(where, str):
            return where                     # refused by parse_declarations, with its message
        clauses = [c for c in re.split(r";|\n", where) if c.strip()]
        declared, plain = set(), []
        for clause in clauses:
            names, colon, spec = clause.partition(":")
            if not colon:
                plain.append(clause)
                continue
            translated = [self.name_of(n) for n in _names(names)]
            declared |= set(translated)
            plain.append(f"{', '.join(translated)}:{spec}")
        plain += [f"{name}: {kind}" for name, kind in self.kinds if name not in declared]
        return "; ".join(plain)

    def named(self, values):
        """evaluate()'s values keyed by plain names, whichever spelling they were given in."""
        if not isinstance(values, dict) or self.input == "text":
            return values
        return {self.name_of(key) if isinstance(key, str) else key: value for key, value in values.items()}

    def notes_of(self, problem) -> tuple[str, ...]:
        """Every reading said for the typed ``problem`` (an ``api.Problem``): the
        LaTeX's own, and softmax of a matrix read column by column (SPEC §1, §11:
        a paper's softmax over rows is written transposed), which only the
        shapes tell."""
        if self.input != "latex":
            return self.notes
        trees = [problem.expr] + [definition for _, definition in problem.statements]
        by_columns = any(isinstance(node, (A.Softmax, A.LogSoftmax)) and problem.env.is_matrix(node.arg)
                         for tree in trees for node in A.walk(tree))
        return self.notes + (COLUMNS_NOTE,) * by_columns

    def say_shape_notes(self, problem) -> None:
        """Warn the readings only the typed problem tells (``used`` warned the others)."""
        for note in self.notes_of(problem)[len(self.notes):]:
            warnings.warn(MatcalcWarning(note), stacklevel=3)

    def json(self, problem) -> dict:
        """The input as typed and as read, for the JSON of a derivation (SPEC §5, §11)."""
        return {"language": self.input, "source": self.source, "plain": self.plain,
                "notes": list(self.notes_of(problem))}

    def used(self):
        """While the input is used: each reading taken where the LaTeX allows two is
        said (a warning, "read as ..."), and an error found in the plain text points
        at the LaTeX the user typed.  Plain text has nothing to say or point at."""
        if self.reading is None and not self.notes:
            return _AS_TYPED
        return self._used()

    @contextlib.contextmanager
    def _used(self):
        for note in self.notes:
            warnings.warn(MatcalcWarning(note), stacklevel=4)
        try:
            yield
        except MatcalcError as error:
            if self.reading is not None:
                raise self.reading.latex_error(error) from None
            raise


_AS_TYPED = contextlib.nullcontext()     # (it holds nothing: one serves every use)


def _names(text: str) -> list[str]:
    """The names before a declaration's colon: commas outside braces separate them."""
    names, depth, current = [], 0, ""
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += c
    return [n for n in names + [current] if n.strip()]


def typed_input(text, input: str | None = None, differentials: bool = False) -> TypedInput:
    if input is not None and input not in INPUTS:
        raise MatcalcError(f"input must be 'text' or 'latex', not '{input}'")
    if not isinstance(text, str):
        raise ParseError(f"expected a string, not {type(text).__name__}")
    if input == "text" or (input is None and not looks_like_latex(text)):
        return TypedInput(text, "text", text)
    if not text.strip():
        raise ParseError("the input is empty", source=text)
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}",
                         source=text, span=(MAX_INPUT_CHARS, len(text)))
    reading = read_latex(text, differentials)
    return TypedInput(text, "latex", reading.plain, reading.spellings, reading.kinds, reading.notes, reading)
