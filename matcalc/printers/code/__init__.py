"""Generated code (SPEC §8): a derivation as a NumPy, PyTorch or JAX module.

Every target prints the same lowered statements (``matcalc.lowering``); a
new target is one module with its table of templates and one entry here.
"""

from __future__ import annotations

from ...errors import MatcalcError
from ...lowering import lower
from .jax import JAX
from .module import module_text
from .numpy import NUMPY
from .torch import TORCH

TARGETS = {"numpy": NUMPY, "torch": TORCH, "jax": JAX}


def to_python(derivation, target: str = "numpy") -> str:
    if target not in TARGETS:
        raise MatcalcError(f"unknown target '{target}'; the targets are: {', '.join(TARGETS)}")
    return module_text(lower(derivation), TARGETS[target])


class PythonCode:
    """``to_python`` for the api's Derivation and Gradients."""

    def to_python(self, target: str = "numpy") -> str:
        """A self-contained module computing this answer (SPEC §8): ``target``
        is numpy, torch or jax."""
        return to_python(self, target)
