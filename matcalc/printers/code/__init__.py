"""Generated code (SPEC §8): a derivation as a NumPy, PyTorch or JAX module.

Every target prints the same lowered statements (``matcalc.lowering``); a
new target is one module with its table of templates and one entry here.
"""

from __future__ import annotations

from ...errors import MatcalcError

# The names alone, for the command line's choices: the lowering and the
# emitters load when code is asked for, not with every derivation.
TARGET_NAMES = ("numpy", "torch", "jax")


def targets() -> dict:
    """{name: the target's table of templates}."""
    from .jax import JAX
    from .numpy import NUMPY
    from .torch import TORCH
    return {"numpy": NUMPY, "torch": TORCH, "jax": JAX}


def __getattr__(name: str):
    if name == "TARGETS":
        return targets()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_python(derivation, target: str = "numpy") -> str:
    from ...lowering import lower
    from .module import module_text
    if target not in TARGET_NAMES:
        raise MatcalcError(f"unknown target '{target}'; the targets are: {', '.join(TARGET_NAMES)}")
    return module_text(lower(derivation), targets()[target])


class PythonCode:
    """``to_python`` for the api's Derivation and Gradients."""

    def to_python(self, target: str = "numpy") -> str:
        """A self-contained module computing this answer (SPEC §8): ``target``
        is numpy, torch or jax."""
        return to_python(self, target)
