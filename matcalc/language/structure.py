"""The structure of an expression tree as text, for where its printed form
will not do: a deterministic tie-break between equally long forms, and
``str``/``repr`` before the text printer is loaded."""

from __future__ import annotations

from dataclasses import fields, is_dataclass


def dump(expr) -> str:
    """The tree as the dataclasses would print it:
    ``Product(args=(Symbol(name='A'), Symbol(name='x')))``."""
    def show(value):
        if is_dataclass(value) and not isinstance(value, type):
            return dump(value)
        if isinstance(value, tuple):
            inner = ", ".join(show(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return repr(value)
    return f"{type(expr).__name__}(" + ", ".join(f"{f.name}={show(getattr(expr, f.name))}"
                                                 for f in fields(expr) if f.repr) + ")"


# str and repr of a node: matcalc's language once the text printer says how
# (printers.text does on import; the language layer cannot import it), the
# structure before that.
_TEXT_PRINTER: list = []


def show_with(printer) -> None:
    _TEXT_PRINTER[:] = [printer]


def shown(expr) -> str:
    if _TEXT_PRINTER:
        try:
            return _TEXT_PRINTER[0](expr)
        except (TypeError, ValueError, RecursionError):     # a node the language cannot write
            pass
    return dump(expr)
