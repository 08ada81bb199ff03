"""matcalc: matrix calculus with every step (see README and SPEC)."""

from .errors import DerivationError, LimitError, MatcalcError, MatcalcWarning, ParseError, ShapeError

__all__ = ["Derivation", "derive", "jacobian", "hessian", "read", "Reading", "MatcalcError", "ParseError",
           "ShapeError", "DerivationError", "LimitError", "MatcalcWarning"]

_FROM_API = ("Derivation", "derive", "jacobian", "hessian")
_FROM_READING = ("Reading", "read")


def __getattr__(name: str):
    # The API (the engine, the rules, the printers) loads on first use, not
    # with the package: `import matcalc.errors` or `matcalc --help` need none of it.
    if name in _FROM_API:
        from . import api
        found = {"Derivation": api.Derivation, "derive": api.derive, "jacobian": api.jacobian,
                 "hessian": api.hessian}
        globals().update(found)                 # found once: later lookups are plain
        return found[name]
    if name in _FROM_READING:
        from . import reading
        globals().update(Reading=reading.Reading, read=reading.read)
        return globals()[name]
    raise AttributeError(f"module 'matcalc' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_API) | set(_FROM_READING))
