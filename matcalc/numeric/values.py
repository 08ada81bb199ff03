"""A user's values for ``evaluate`` (SPEC §4), held to what the declarations
say: numbers a user trusts.  An answer derived under ``y: probability
vector`` (``1^T y = 1``) or ``S: symmetric`` (``S^T = S``) is the gradient only
at values that are so, so values that break a declaration are refused with
the symbol and the assumption named, instead of a wrong number.  A size that
no value fixes (``I`` in ``tr(I)``, ``1`` in ``sum(1)``) is given by its name
(``evaluate({"A": A, "p": 3})``) or asked for by name."""

from __future__ import annotations

import numpy as np

from ..errors import MatcalcError
from ..shapes.env import TypeEnv
from .evaluate import Point, bind_values

# How far from exact a value may be and still satisfy an assumption: data
# typed or computed in floating point (one-hot labels, A + A.T, X X^T + I).
TOLERANCE = 1e-8


def bound_values(values, names, env: TypeEnv) -> tuple[Point, dict]:
    """``bind_values`` (point, the shapes as given, each value in its own
    floating dtype), then the sizes no value fixes, then every declared
    assumption checked on the values."""
    point, shapes = bind_values(values, names, env, keep_dtype=True)
    _bind_free_sizes(values, point, env)
    for name in names:
        _check_assumptions(name, point.values[name], env)
    return point, shapes


def _bind_free_sizes(values, point: Point, env: TypeEnv) -> None:
    for size, holder in env.free_dims.items():
        if size in point.sizes:
            continue
        given = values.get(size) if size not in env.symbols else None
        if given is None:
            raise MatcalcError(f"the size {size} ({_held_by(holder, size)}) is fixed by no value; "
                               f"give it by name, e.g. evaluate({{..., '{size}': 3}})")
        if isinstance(given, bool) or not isinstance(given, (int, np.integer)) or given < 1:
            raise MatcalcError(f"the size {size} must be a positive whole number, not {given!r}")
        point.sizes[size] = int(given)


def _held_by(holder: str, size: str) -> str:
    return f"I is {size}×{size}" if holder == "I" else f"{holder} has length {size}"


def _check_assumptions(name: str, value: np.ndarray, env: TypeEnv) -> None:
    info = env.symbols[name]
    tolerance = max(TOLERANCE, 8 * float(np.finfo(value.dtype).eps))     # float32 rounds at 1e-7
    scale = tolerance * max(1.0, float(np.max(np.abs(value))))
    if info.probability:
        sums = value.sum(axis=0)
        if np.any(value < -scale) or np.any(np.abs(sums - 1) > tolerance * value.shape[0]):
            what = "every column" if value.shape[1] > 1 else "it"
            raise MatcalcError(f"{name} is declared a probability vector, but its values are not: "
                               f"{what} must be nonnegative and sum to 1 (sums {_shown(sums)})")
    if not (info.symmetric or info.positive_definite):
        return
    if value.shape[0] != value.shape[1] or np.any(np.abs(value - value.T) > scale):
        raise MatcalcError(f"{name} is declared {'positive definite' if info.positive_definite else 'symmetric'}, "
                           f"but its value is not symmetric")
    if info.positive_definite and np.min(np.linalg.eigvalsh(value)) <= 0:
        raise MatcalcError(f"{name} is declared positive definite, but its value is not "
                           f"(smallest eigenvalue {np.min(np.linalg.eigvalsh(value)):.3g})")


def _shown(sums) -> str:
    shown = ", ".join(f"{s:.4g}" for s in sums[:4])
    return shown + (", …" if len(sums) > 4 else "")
