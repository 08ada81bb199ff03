"""matcalc: matrix calculus with every step (see README and SPEC)."""

from .api import Derivation, derive, hessian, jacobian
from .errors import DerivationError, LimitError, MatcalcError, MatcalcWarning, ParseError, ShapeError
from .reading import Reading, read

__all__ = ["Derivation", "derive", "jacobian", "hessian", "read", "Reading", "MatcalcError", "ParseError",
           "ShapeError", "DerivationError", "LimitError", "MatcalcWarning"]
