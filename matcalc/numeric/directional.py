"""Gradients checked along a few directions, not entry by entry.

For a gradient G of l wrt X and a direction V, ⟨G, V⟩ is the derivative of
l along V, which central differences (l(X + hV) - l(X - hV)) / 2h give,
extrapolated to h → 0 like every other difference (``differences._limit``).
One directional derivative costs a few evaluations of the function whatever
the size of X; moving X recomputes only the statements of the program that
depend on X (``program.ProgramValues``), so checking every parameter of a
deep network costs a few sweeps of the program per parameter.

The directions:
* the answer's own direction, V = G ∘ M (M: the size of each entry of X):
  an answer off by a factor c is measured exactly, |c - 1| / |c|, and a
  transposed answer is off along it;
* ``RANDOM_DIRECTIONS`` directions of random signs, ±M: an answer wrong in
  a direction orthogonal to itself (one entry changed) is off along them,
  by the changed entry's share of the directional derivative.
The error along V is |⟨G, V⟩ - ∂l/∂V| over the largest of |⟨G, V⟩|, |∂l/∂V|,
the largest term |G_ij V_ij| and the error floor of l (``differences.error_floor``).
For a symmetric X the directions are symmetric (the gradient in the space of
symmetric matrices, SPEC §2) and an answer that is not symmetric is an error.
"""

from __future__ import annotations

import numpy as np

from .differences import FIRST_STEP, _limit, error_floor, rounding_error

RANDOM_DIRECTIONS = 2
# Moving every entry at once meets more curvature than moving one (a deep
# tanh network's first layer: ∂l/∂V settles only at h ≈ 1e-6): more halvings
# than an entry's differences take, which cost only where the differences have not settled.
HALVINGS = 24


def directions(answer: np.ndarray, base: np.ndarray, symmetric: bool, rng) -> list:
    """The answer's own direction (if the answer is not zero) and the random ones,
    each with entries no larger than those of X (so that log X stays defined)."""
    typical = float(np.sqrt(np.mean(base ** 2))) or 1.0
    magnitude = np.maximum(np.abs(base), typical / 10)
    if symmetric:
        magnitude = (magnitude + magnitude.T) / 2
    found = []
    largest = float(np.max(np.abs(answer)))
    if largest > 0 and np.isfinite(largest):
        own = (answer + answer.T) / 2 if symmetric else answer
        found.append(own / largest * magnitude)
    for _ in range(RANDOM_DIRECTIONS):
        signs = rng.choice((-1.0, 1.0), size=base.shape)
        if symmetric:
            signs = np.triu(signs) + np.triu(signs, 1).T
        found.append(signs * magnitude)
    return found


def directional_slope(moved, answer: np.ndarray, direction: np.ndarray, base: np.ndarray,
                      value) -> tuple[float, float, float, float]:
    """(⟨answer, V⟩, the differences' limit ∂l/∂V, its estimated error, the
    error floor along V) where ``moved(D)`` is l(X + D), X = ``base``."""
    size = float(np.max(np.abs(value)))
    floor = error_floor(size) * float(np.max(np.abs(direction)))
    claimed = float(np.sum(answer * direction))
    # A first step over which l changes by FIRST_STEP of its size if the answer
    # is right: a chaotic deep network's slope of 1e10 needs steps near 1e-11.
    # (A wrong answer only moves the step; the extrapolation still estimates its error.)
    first_step = min(FIRST_STEP, FIRST_STEP * (1 + size) / abs(claimed)) if claimed else FIRST_STEP

    def quotient(h):
        # X ± hV is rounded to floats: the step actually taken, D₊ - D₋, is not
        # 2hV to the last digit, which matters at h|V| ≈ 1e-12 |X| (a relative
        # error of 1e-4).  The quotient is corrected by ⟨answer, V - (D₊ - D₋)/2h⟩,
        # which is a rounding error's share of the answer, not the answer.
        up, down = (base + h * direction) - base, (base - h * direction) - base
        taken = (up - down) / (2 * h)
        return (moved(up) - moved(down)).reshape(-1)[0] / (2 * h) + np.sum(answer * (direction - taken))

    slope, uncertainty = _limit(quotient, first_step, floor, lambda h: rounding_error(size) / h, HALVINGS)
    return claimed, float(slope), float(uncertainty), floor


def directional_error(moved, answer: np.ndarray, direction: np.ndarray, base: np.ndarray,
                      value) -> tuple[float, float]:
    """(relative error of ⟨answer, V⟩ against the differences of l along V,
    the differences' own relative error) where ``moved(D)`` is l(X + D), X = ``base``."""
    claimed, slope, uncertainty, floor = directional_slope(moved, answer, direction, base, value)
    if not np.isfinite(slope):
        return np.inf, np.inf
    scale = max(abs(claimed), abs(slope), float(np.max(np.abs(answer * direction))), floor)
    return abs(claimed - slope) / scale, uncertainty / scale


def form_error(answer: np.ndarray, base: np.ndarray, symmetric: bool, value) -> float:
    """What is wrong with the answer before any difference: inf if its shape is
    not X's, NaN if it is not finite here, and for a symmetric X its asymmetry
    (relative to its largest entry); 0 otherwise."""
    if answer.shape != base.shape:
        return np.inf
    if not np.all(np.isfinite(answer)):
        return np.nan
    if not symmetric:
        return 0.0
    largest = float(np.max(np.abs(answer)))
    return float(np.max(np.abs(answer - answer.T))) / max(largest, error_floor(value))


def gradient_error(moved, answer: np.ndarray, base: np.ndarray, symmetric: bool,
                   value, rng, trusted: float = np.inf) -> tuple[float, float]:
    """The largest (error, uncertainty) of ``answer`` along ``directions``;
    once the differences along one are less certain than ``trusted``, the
    others are not tried (the point will not do)."""
    worst = form_error(answer, base, symmetric, value)
    if not np.isfinite(worst):
        return worst, 0.0
    worst_uncertainty = 0.0
    for direction in directions(answer, base, symmetric, rng):
        error, uncertainty = directional_error(moved, answer, direction, base, value)
        worst, worst_uncertainty = max(worst, error), max(worst_uncertainty, uncertainty)
        if worst_uncertainty > trusted:
            break
    return worst, worst_uncertainty
