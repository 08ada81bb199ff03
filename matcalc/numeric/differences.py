"""Finite differences with an error estimate (the reference of a check).

The derivative is the limit h → 0 of a symmetric difference quotient, found
by Richardson extrapolation over steps h₀, h₀/2, h₀/4, … with h₀ scaled to
the argument (Ridders' method, Numerical Recipes §5.7).  Large steps keep
rounding error small, the extrapolation removes the truncation error
h² f‴ / 6 however large the curvature, and the tableau estimates the error
that is left, so a point where the differences do not settle (a kink, a
pole) can be recognised and avoided.
"""

from __future__ import annotations

import numpy as np

from ..language import ast as A
from ..shapes.env import TypeEnv
from .evaluate import Point, evaluate

FIRST_STEP = 0.1          # h₀ as a fraction of the argument's size
HALVINGS = 14             # at most h₀ / 2¹³: curvatures up to ~10⁴ / |x| are resolved
CONVERGED = 1e-11         # stop once the estimated error is this far below the entry's scale
ULPS = 1e-15              # rounding error of one value of a function, relative to the value (~4 ulps)


def error_floor(value) -> float:
    """The smallest scale on which derivatives of a function with this value
    are compared.  Finite differences of l carry rounding errors of order
    1e-16 |l| / h, so a derivative that vanishes (sum(softmax(u)) = 1) is
    compared on the scale 1e-4 (1 + |l|), not on its own.  Where the floor
    is the scale, an error in the answer goes unreported (below 1e-6) only
    if it is below 1e-10 (1 + |l|) in absolute size."""
    return 1e-4 * (1 + float(np.max(np.abs(value))))


def rounding_error(size: float) -> float:
    """The rounding error of one value of l, where |l| = ``size`` at the point:
    ULPS of |l|, but never below ULPS of 1 (the floor's 1 + |l|).  A function
    whose terms cancel, sum(I - softmax(M)) = n - n, is 0 to the last digit
    at the point but not beside it, where its terms of size n round: measured
    on |l| alone the differences' noise looked exact (soak seed 54, case 8163:
    check() 2.4e-5 for the right gradient 0)."""
    return ULPS * (1 + size)


def _steps(base: np.ndarray) -> np.ndarray:
    """h₀ per entry: FIRST_STEP of the entry's size (so that log x or √x stay
    inside their domain), but not below FIRST_STEP / 10 of the typical entry."""
    typical = float(np.sqrt(np.mean(base ** 2))) or 1.0
    return FIRST_STEP * np.maximum(np.abs(base), typical / 10)


def _limit(quotient, first_step: float, floor: float, rounding,
           halvings: int = HALVINGS) -> tuple[np.ndarray, float]:
    """lim_{h→0} quotient(h) for a symmetric difference quotient, whose
    truncation error is a series in h² (c₁h² + c₂h⁴ + …) and whose rounding
    error is at most ``rounding(h)``.  Richardson's Neville tableau over
    h = h₀, h₀/2, h₀/4, …: T[i][j] = T[i][j-1] + (T[i][j-1] - T[i-1][j-1]) / (4ʲ - 1)
    removes one more power of h² per column.  The error of each entry is
    estimated by its distance to the two entries it came from, and is at
    least twice the rounding error of the smallest step in it (so that
    quotients that repeat exactly at tiny steps, where they are made of a few
    units in the last place, do not look exact).  Returns the entry with the
    smallest estimate and that estimate; stops once it is below CONVERGED of
    the entry's size, or below the rounding error of the next step (no later
    entry can do better).  A step at which the quotient is not finite
    (outside the domain, overflow) restarts the tableau at a smaller step.
    Returns (NaN, inf) if no two consecutive steps gave finite values."""
    best, best_error = None, np.inf
    previous: list = []
    h = first_step
    for _ in range(halvings):
        try:
            with np.errstate(all="ignore"):
                row = [np.asarray(quotient(h), dtype=float)]
        except np.linalg.LinAlgError:                   # a singular matrix within the step
            row = [np.array(np.nan)]
        noise = 2 * rounding(h)
        h /= 2
        if not np.all(np.isfinite(row[0])):
            previous = []
            continue
        for j, left in enumerate(previous, start=1):
            row.append(row[j - 1] + (row[j - 1] - left) / (4 ** j - 1))
            error = max(float(np.max(np.abs(row[j] - row[j - 1]))),
                        float(np.max(np.abs(row[j] - left))), noise)
            if error <= best_error:
                best, best_error = row[j], error
        previous = row
        if best is not None and (best_error <= CONVERGED * max(float(np.max(np.abs(best))), floor)
                                 or best_error <= 2 * rounding(h)):
            break
    if best is None:
        return np.nan, np.inf
    return best, best_error


def _value_along(expr, wrt, point):
    """l(X + D) as a function of the displacement D."""
    return lambda direction: evaluate(expr, _moved(point, wrt, direction))


def _moved(point: Point, wrt: str, direction: np.ndarray) -> Point:
    return Point(dict(point.values, **{wrt: point.values[wrt] + direction}), point.sizes)


def _unit(shape, index: int) -> np.ndarray:
    """The index-th unit matrix in vec (column-major) order."""
    unit = np.zeros(shape)
    unit[np.unravel_index(index, shape, order="F")] = 1.0
    return unit


def gradient_with_error(expr: A.Expr, wrt: str, point: Point, env: TypeEnv,
                        step: float = FIRST_STEP) -> tuple[np.ndarray, float]:
    """∂l/∂X entry by entry, and the largest estimated error of an entry; for
    a symmetric X along E_ij + E_ji, halved off the diagonal (the gradient in
    the space of symmetric matrices, SPEC §2)."""
    base = point.values[wrt]
    info = env.symbols[wrt]
    symmetric = info.symmetric or info.positive_definite
    l = _value_along(expr, wrt, point)
    size = float(np.max(np.abs(l(np.zeros_like(base)))))
    floor = error_floor(size)
    steps = _steps(base) * (step / FIRST_STEP)
    gradient, worst = np.zeros_like(base), 0.0
    for index in np.ndindex(*base.shape):
        if symmetric and index[0] > index[1]:
            continue
        direction = np.zeros_like(base)
        direction[index] = 1.0
        share = 1.0
        if symmetric and index[0] != index[1]:
            direction[index[::-1]] = 1.0
            share = 2.0
        slope, error = _limit(
            lambda h: (l(h * direction) - l(-h * direction)).reshape(-1)[0] / (2 * h),
            steps[index], floor, lambda h: rounding_error(size) / h)
        gradient[index] = gradient[index[::-1] if symmetric else index] = slope / share
        worst = max(worst, error / share)
    return gradient, worst


def jacobian_with_error(expr: A.Expr, wrt: str, point: Point,
                        step: float = FIRST_STEP) -> tuple[np.ndarray, float]:
    """∂vec(F)/∂vec(X)^T column by column (column k: X moved along its k-th
    vec entry), and the largest estimated error of an entry."""
    base = point.values[wrt]
    F = _value_along(expr, wrt, point)
    value = F(np.zeros_like(base))
    size = float(np.max(np.abs(value)))
    floor = error_floor(size)
    steps = _steps(base).reshape(-1, order="F") * (step / FIRST_STEP)
    columns, worst = [], 0.0
    for k in range(base.size):
        unit = _unit(base.shape, k)
        column, error = _limit(lambda h: ((F(h * unit) - F(-h * unit)) / (2 * h)).reshape(-1, order="F"),
                               steps[k], floor, lambda h: rounding_error(size) / h)
        columns.append(np.broadcast_to(column, (value.size,)))
        worst = max(worst, error)
    return np.stack(columns, axis=1), worst


def hessian_with_error(expr: A.Expr, wrt: str, point: Point,
                       step: float = FIRST_STEP) -> tuple[np.ndarray, float]:
    """∂²l/∂vec(X)∂vec(X)^T from second differences of l itself (not of a
    gradient), so that a wrong gradient cannot make a wrong Hessian look right:
    l(X+u+v) - l(X+u-v) - l(X-u+v) + l(X-u-v) = 4 uᵀHv + O(h⁴) for u, v of
    size h, extrapolated to h → 0 like the first differences."""
    base = point.values[wrt]
    l = _value_along(expr, wrt, point)
    value = lambda direction: float(l(direction).reshape(-1)[0])
    size = abs(value(np.zeros_like(base)))
    floor = error_floor(size)
    steps = _steps(base).reshape(-1, order="F") * (step / FIRST_STEP)
    count = base.size
    units = [_unit(base.shape, k) * steps[k] for k in range(count)]
    hessian, worst = np.zeros((count, count)), 0.0
    for i in range(count):
        for j in range(i, count):
            u, v = units[i], units[j]
            entry, error = _limit(
                lambda h: (value(h * (u + v)) - value(h * (u - v)) - value(h * (v - u))
                           + value(-h * (u + v))) / (4 * h * h * steps[i] * steps[j]),
                1.0, floor, lambda h: rounding_error(size) / (h * h * steps[i] * steps[j]))
            hessian[i, j] = hessian[j, i] = entry
            worst = max(worst, error)
    return hessian, worst
