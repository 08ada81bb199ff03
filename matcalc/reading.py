"""``matcalc.read``: how an input is read, before anything is derived (SPEC §11).

    r = matcalc.read(r"\\mathbf{y}^\\top \\log \\operatorname{softmax}(W_2 \\mathbf{x})")
    r.expression   # 'y^T log(softmax(W2 x))': the expression matcalc took
    r.symbols      # (Symbol(name='y', latex='\\mathbf{y}', kind='vector', shape='m'), ...)
    r.notes        # the readings taken where the LaTeX allows two ('read |X| as det(X) ...')
    r.text(), r.json()

The signature ``read(text, where=None, input=None)`` is stable: ``input`` is
``"text"``, ``"latex"`` or None (a backslash means LaTeX).  A MatcalcError,
with its caret on the text as typed, when the input cannot be read.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from . import api
from .errors import MatcalcWarning
from .language.typed_input import TypedInput, typed_input
from .printers.symbols import symbols_json
from .printers.text import symbol_text
from .recursion import deep_recursion


@dataclass(frozen=True)
class Symbol:
    name: str        # the plain name (W1), what wrt, where and evaluate use
    latex: str       # as typed (\mathbf{W}^{(1)}); for plain input as matcalc prints it
    kind: str        # scalar, vector, matrix, symmetric matrix, ...
    shape: str       # m, m×n, scalar


@dataclass(frozen=True)
class Reading:
    source: str                   # the input as typed
    input: str                    # "text" or "latex"
    expression: str               # in matcalc's language: what is derived
    function: str                 # the function's name (l unless the input names it)
    symbols: tuple[Symbol, ...]
    defined: tuple[str, ...]      # the names a program defines
    notes: tuple[str, ...]        # readings taken where the input allows two
    typed: TypedInput

    def name_of(self, written: str) -> str:
        """A symbol's plain name from either of its spellings (W1 or \\mathbf{W}^{(1)})."""
        return self.typed.name_of(written)

    def text(self) -> str:
        width = max((len(s.name) for s in self.symbols), default=0)
        latex_width = max((len(s.latex) for s in self.symbols), default=0)
        lines = [f"read as: {self.expression}", f"input:   {self.input}", "symbols:"]
        lines += [f"  {s.name:<{width}}  {s.latex:<{latex_width}}  {s.kind}"
                  + (f", {s.shape}" if s.shape != "scalar" else "") for s in self.symbols]
        if self.defined:
            lines.append("defines: " + ", ".join(symbol_text(n) for n in self.defined))
        lines += [f"note:    {note}" for note in self.notes]
        return "\n".join(lines)

    def json(self) -> dict:
        return {"source": self.source, "input": self.input, "expression": self.expression,
                "function": self.function, "symbols": [vars(s) for s in self.symbols],
                "defined": list(self.defined), "notes": list(self.notes)}

    def __str__(self) -> str:
        return self.text()


@deep_recursion
def read(text: str, where: str | None = None, input: str | None = None) -> Reading:
    """How matcalc reads ``text`` (its language or LaTeX) with the declarations ``where``."""
    typed = typed_input(text, input)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MatcalcWarning)       # the notes are part of the reading
        with typed.used():
            problem = api._problem(typed.plain, typed.where(where), as_typed=typed)
    symbols = tuple(Symbol(**row) for row in symbols_json(problem))
    defined = tuple(name for name, _ in problem.statements[:-1])
    notes = typed.notes_of(problem)
    return Reading(text, typed.input, typed.plain, problem.function_name, symbols, defined, notes, typed)

