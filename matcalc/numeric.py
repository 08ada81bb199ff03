"""Random data and finite differences for checking answers (``Derivation.check``)."""

from __future__ import annotations

import numpy as np

from . import ast as A
from .evaluate import Point, evaluate
from .shapes import TypeEnv

_POSITIVE_ONLY = {"log", "sqrt"}


def _needs_positive(expr: A.Expr) -> bool:
    for node in A.walk(expr):
        if isinstance(node, A.Func) and node.name in _POSITIVE_ONLY:
            return True
        if isinstance(node, (A.Power, A.ElemPow)) and isinstance(node.exponent, A.Number) \
                and node.exponent.value.denominator != 1:
            return True
        if isinstance(node, A.ElemPow) and not isinstance(node.exponent, A.Number):
            return True                  # A .^ p with a variable p is exp(p log A)
    return False


def _square_arguments(expr) -> bool:
    return any(isinstance(n, (A.Det, A.LogDet, A.Inverse)) for n in A.walk(expr))


def random_values(expr: A.Expr, env: TypeEnv, seed: int) -> dict:
    """Values for every symbol: distinct sizes 3, 4, 5, ... per dimension;
    positive entries where logs or roots need them; well-conditioned square
    matrices with positive determinant; declared kinds respected."""
    rng = np.random.default_rng(seed)
    sizes = {name: 3 + i for i, name in enumerate(env.dim_names())}
    positive = _needs_positive(expr)
    values = {}
    used = {n.name for n in A.walk(expr) if isinstance(n, A.Symbol)}
    for name, info in env.symbols.items():
        if name not in used:
            continue
        rows, cols = info.rows.value(sizes), info.cols.value(sizes)
        if info.probability:
            p = rng.uniform(0.5, 1.5, size=(rows, 1))
            values[name] = p / p.sum()
            continue
        if positive:
            value = rng.uniform(0.5, 1.5, size=(rows, cols))
        else:
            value = rng.standard_normal((rows, cols))
        if rows == cols and rows > 1:
            if info.positive_definite:
                value = value @ value.T / rows + np.eye(rows)
            elif info.symmetric:
                value = (value + value.T) / 2
            if _square_arguments(expr) and not info.positive_definite:
                value = np.eye(rows) * rows + 0.3 * value
        values[name] = value
    return values


def _moved(point: Point, wrt: str, direction: np.ndarray) -> Point:
    return Point(dict(point.values, **{wrt: point.values[wrt] + direction}), point.sizes)


def _unit(shape, index: int) -> np.ndarray:
    """The index-th unit matrix in vec (column-major) order."""
    unit = np.zeros(shape)
    unit[np.unravel_index(index, shape, order="F")] = 1.0
    return unit


def finite_difference_gradient(expr: A.Expr, wrt: str, point: Point, env: TypeEnv,
                               step: float = 1e-5) -> np.ndarray:
    """∂l/∂X entry by entry; for a symmetric X, along E_ij + E_ji (halved)."""
    base = point.values[wrt]
    info = env.symbols[wrt]
    symmetric = info.symmetric or info.positive_definite
    gradient = np.zeros_like(base)
    for index in np.ndindex(*base.shape):
        direction = np.zeros_like(base)
        direction[index] = 1.0
        if symmetric:
            i, j = index
            direction[j, i] = 1.0
        plus = evaluate(expr, _moved(point, wrt, step * direction))
        minus = evaluate(expr, _moved(point, wrt, -step * direction))
        slope = float((plus - minus).reshape(-1)[0]) / (2 * step)
        if symmetric and index[0] != index[1]:
            slope /= 2
        gradient[index] = slope
    return gradient


def finite_difference_jacobian(expr: A.Expr, wrt: str, point: Point, step: float = 1e-5) -> np.ndarray:
    """∂vec(F)/∂vec(X)^T column by column (column k: X moved along its k-th vec entry)."""
    shape = point.values[wrt].shape
    columns = []
    for index in range(int(np.prod(shape))):
        unit = step * _unit(shape, index)
        plus = evaluate(expr, _moved(point, wrt, unit))
        minus = evaluate(expr, _moved(point, wrt, -unit))
        columns.append(((plus - minus) / (2 * step)).reshape(-1, order="F"))
    return np.stack(columns, axis=1)


def finite_difference_hessian(expr: A.Expr, wrt: str, point: Point, step: float = 2e-3) -> np.ndarray:
    """∂²l/∂vec(X)∂vec(X)^T from second differences of l itself (not of a gradient),
    so that a wrong gradient cannot make a wrong Hessian look right.  Richardson
    extrapolation over steps h and 2h cancels the h² error, which lets h be
    large enough for rounding not to matter."""
    shape = point.values[wrt].shape
    count = int(np.prod(shape))
    value = lambda direction: float(evaluate(expr, _moved(point, wrt, direction)).reshape(-1)[0])

    def second_differences(h):
        units = [h * _unit(shape, index) for index in range(count)]
        hessian = np.zeros((count, count))
        for i in range(count):
            for j in range(i, count):
                hessian[i, j] = hessian[j, i] = (
                    value(units[i] + units[j]) - value(units[i] - units[j])
                    - value(units[j] - units[i]) + value(-units[i] - units[j])) / (4 * h * h)
        return hessian

    return (4 * second_differences(step) - second_differences(2 * step)) / 3
