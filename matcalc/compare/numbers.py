"""The numbers a comparison rests on: the answer and the candidate at random
points satisfying the where-clause, and a small witness where they differ.

Each point has its own sizes (the first dimension 3, 4, 5, ..., the others
the next sizes, in both orders), so a wrong transpose cannot agree by
accident; values are drawn as ``check()`` draws them (``numeric.data``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MatcalcError
from ..language import ast as A
from ..numeric.data import ILL_CONDITIONED, _inverted, _needs_positive, defined_points, random_point
from ..numeric.evaluate import Point, evaluate, evaluate_named

POINTS = 5
# Equal within this relative difference: rounding in a few hundred operations
# on values near 1 stays below 1e-12; a wrong answer differs by far more.
TOLERANCE = 1e-8
FAILED = (ValueError, TypeError, KeyError, ZeroDivisionError, MatcalcError, np.linalg.LinAlgError)


# A difference below this share of the largest value computed on the way (to
# the answer or the candidate) is rounding: ∂/∂α of sum(softmax(z / α)) is 0,
# evaluated as 1e-17; 2 x - 2 tanh(8 + x^T x)^2 x loses 7 digits to cancellation.
# A point where the answer is within DECISIVE times that of 0 tells little:
# other data are drawn if no point is decisive (a saturated tanh).
ROUNDING = 1e-13           # 2.2e-16 (one rounding) times some 450 operations
DECISIVE = 1e3
LARGEST_ROUNDED = 300       # parts of an expression whose intermediate values are all looked at


@dataclass(frozen=True)
class Sample:
    point: Point
    answer: np.ndarray          # the answer's value, 2-D
    candidate: np.ndarray | None  # the candidate's value, None where it cannot be computed
    floor: float = 0.0          # differences below it are rounding


def _largest_part(exprs, point: Point) -> float:
    """The largest value of any part of ``exprs`` (written out) at ``point``."""
    largest = 0.0
    for expr in exprs:
        if A.size(expr) > LARGEST_ROUNDED:
            continue
        for part in A.walk(expr):
            value = value_of(part, point)
            if value is not None and value.size:
                largest = max(largest, float(np.max(np.abs(value))))
    return largest


def rounding_floor(measured, candidate, point: Point) -> float:
    """ROUNDING times the largest value computed on the way to the answer
    (``measured``, written out) or to the candidate at ``point``."""
    return ROUNDING * max(_largest_part(measured, point), _largest_part((candidate,), point))


def decisive(sample: Sample) -> bool:
    """The answer is far above rounding at this point."""
    return float(np.max(np.abs(sample.answer), initial=0)) > DECISIVE * sample.floor


def _sample(point, candidate, expected, measured) -> Sample:
    return Sample(point, expected, value_of(candidate, point), rounding_floor(measured, candidate, point))


def value_of(expr: A.Expr, point: Point, names=()) -> np.ndarray | None:
    """``expr`` at ``point`` (with a program's ``names``), None where undefined."""
    try:
        with np.errstate(all="ignore"):
            value = evaluate_named(names, {0: expr}, point)[0] if names else evaluate(expr, point)
    except FAILED:
        return None
    return value if np.all(np.isfinite(value)) else None


def samples(function: A.Expr, env, answer: A.Expr, names, candidate: A.Expr, measured=()) -> list[Sample]:
    """The answer and the candidate at POINTS random points where the function
    and the answer are defined, each point with other sizes.  The rounding
    floor of each point is measured on ``measured`` (the answer written out)
    and the candidate."""
    found = []
    for index in range(10 * POINTS):
        if len(found) == POINTS:
            break
        for point in defined_points(function, env, seed=7919 * index + 1, first_size=3 + index % 3):
            expected = value_of(answer, point, names)
            if expected is not None:
                found.append(_sample(point, candidate, expected, measured))
                break
    if not found:
        raise MatcalcError("could not find random data on which the function and its answer are defined")
    if not any(decisive(s) for s in found):
        # An answer that is 0 everywhere it was drawn may be a saturated tanh or σ
        # (1 - tanh(50)^2 is 0 in floating point): smaller data, where it is not.
        for scale in (0.3, 0.1, 0.03):
            smaller = _scaled_samples(function, env, answer, names, candidate, scale, measured)
            if len(smaller) == len(found) and any(decisive(s) for s in smaller):
                return smaller
    return found


def _scaled_samples(function, env, answer, names, candidate, scale, measured) -> list[Sample]:
    found = []
    for index in range(POINTS):
        point = random_point(function, env, seed=7919 * index + 1, scale=scale, first_size=3 + index % 3)
        expected = value_of(answer, point, names)
        if expected is not None and _regular(function, point):
            found.append(_sample(point, candidate, expected, measured))
    return found


def relative_difference(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """max |a - b| over the larger of the two (inf for different shapes or a missing value)."""
    if a is None or b is None or a.shape != b.shape:
        return np.inf
    scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))))
    difference = float(np.max(np.abs(a - b)))
    return 0.0 if difference == 0 else difference / scale


def difference_beyond_rounding(sample: Sample) -> float:
    """The relative difference of candidate and answer; 0 where it is larger
    only because both are rounding around 0 (1e-17 against 0)."""
    a, b = sample.candidate, sample.answer
    difference = relative_difference(a, b)
    if difference > TOLERANCE and close(a, b, sample.floor):
        return 0.0
    return difference


def close(a, b, floor: float = 0.0) -> bool:
    """Equal within TOLERANCE relative to the larger, or within ``floor`` (rounding)."""
    if a is not None and b is not None and a.shape == b.shape and float(np.max(np.abs(a - b), initial=0)) <= floor:
        return True
    return relative_difference(a, b) <= TOLERANCE


def sizes_used(found: list[Sample]) -> list[int]:
    return sorted({size for sample in found for size in sample.point.sizes.values()})


# ---- the witness: a small case, integers where possible, where the two differ

def _integer_value(rng, info, rows, cols, positive, inverted):
    if info.probability:
        return np.full((rows, cols), 1.0 / rows)
    low, high = (1, 4) if positive else (-2, 3)
    value = rng.integers(low, high, size=(rows, cols)).astype(float)
    if rows == cols and rows > 1:
        if info.positive_definite:
            value = value @ value.T + np.eye(rows)
        elif info.symmetric:
            value = value + value.T
        elif inverted:
            value = np.eye(rows) + np.triu(value, 1)     # determinant 1, integer inverse
    return value


def _small_points(function: A.Expr, env):
    """Points with every size 2, then distinct sizes 2 and 3, integer data, then floats."""
    names = env.dim_names()
    used = A.symbol_names(function)
    positive, inverted = _needs_positive(function), {a.name for a in _inverted(function)
                                                      if isinstance(a, A.Symbol)}
    for sizes in ({n: 2 for n in names}, {n: 2 + i % 2 for i, n in enumerate(names)}):
        for seed in range(40):
            rng = np.random.default_rng(seed)
            values = {}
            for name, info in env.symbols.items():
                if name in used:
                    values[name] = _integer_value(rng, info, info.rows.value(sizes), info.cols.value(sizes),
                                                  positive, name in inverted)
            yield Point(values, sizes)
    for seed in range(20):           # no integer data will do: two decimals, as check() draws them
        point = random_point(function, env, seed, scale=0.5 ** (seed // 4), first_size=2)
        yield Point({name: value if env.symbols[name].probability else np.round(value, 2)
                     for name, value in point.values.items()}, point.sizes)


def witness(function: A.Expr, env, answer: A.Expr, names, candidate: A.Expr, transposed: bool = False,
            measured=()):
    """(point, answer value, candidate value) at a small point where they differ, or None."""
    for point in _small_points(function, env):
        if not _regular(function, point):
            continue
        expected, got = value_of(answer, point, names), value_of(candidate, point)
        if expected is None:
            continue
        floor = rounding_floor(measured, candidate, point)
        if got is None or not close(got.T if transposed else got, expected, floor):
            return point, expected, got
    return None


def _regular(function, point) -> bool:
    if value_of(function, point) is None:
        return False
    for arg in _inverted(function):
        matrix = value_of(arg, point)
        if matrix is None or np.linalg.cond(matrix) > ILL_CONDITIONED:
            return False
    return True


def shown(value: np.ndarray) -> str:
    """A value as a reader writes it: 3, [1, 2], [[1, 2], [3, 4]]; integers where they are."""
    def number(x):
        if abs(x - round(x)) < 1e-9:
            return str(int(round(x)))
        return f"{x:.4g}"
    if value.shape == (1, 1):
        return number(value[0, 0])
    if value.shape[1] == 1:
        return "[" + ", ".join(number(x) for x in value[:, 0]) + "]"
    return "[" + ", ".join("[" + ", ".join(number(x) for x in row) + "]" for row in value) + "]"
