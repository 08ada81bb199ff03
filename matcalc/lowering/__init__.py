"""The backend-neutral lowering: a derivation as array statements (SPEC §8).

Between calculus and numeric / printers in the layers: the numeric choices
(1×1 as a scalar, stable log σ and softmax, structured K, I ⊗ A, diag) are
made here once, and every emitter prints the same statements.
"""

from .derivations import lower
from .program import VOCABULARY, Function, Input, Module, Op

__all__ = ["lower", "Function", "Input", "Module", "Op", "VOCABULARY"]
