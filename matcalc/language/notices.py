"""Warnings about input that has no effect (SPEC §1): a statement nothing
uses, a declaration of a symbol the expression lacks, an option that does
not apply.  Each is a ``MatcalcWarning``; the CLI prints it as one line on
stderr, the page lists it.  ``stacklevel`` names the user's call of
``derive`` (or ``jacobian``), whatever depth the caller warns from."""

from __future__ import annotations

import warnings

from ..errors import MatcalcWarning
from . import ast as A


def warn_unused_statements(program, source: str, show, stacklevel: int) -> None:
    """A statement whose value nothing after it uses (SPEC §1 Programs);
    ``show`` prints a definition that has no span in ``source``."""
    if not program.bindings:
        return
    later = [A.symbol_names(program.result)]
    for name, definition in reversed(program.bindings):
        if not any(name in used for used in later):
            written = source[slice(*definition.span)] if definition.span else show(definition)
            warnings.warn(MatcalcWarning(f"{name} = {written} is never used"), stacklevel=stacklevel + 1)
        later.append(A.symbol_names(definition))


def warn_undeclared(declarations, symbols, stacklevel: int) -> None:
    """A declaration of a symbol the expression lacks (a typo in --where) has no effect: say so."""
    for name in declarations:
        if name not in symbols:
            warnings.warn(MatcalcWarning(f"{name} is declared but does not appear in the expression; "
                                         "the declaration has no effect"), stacklevel=stacklevel + 1)


def warn_layout(layout: str, stacklevel: int) -> None:
    """A Jacobian is ∂vec(F)/∂vec(X)^T whatever layout is asked for (SPEC §2)."""
    if layout != "numerator":
        warnings.warn(MatcalcWarning(f"a Jacobian is always in numerator layout; layout '{layout}' "
                                     "has no effect"), stacklevel=stacklevel + 1)
