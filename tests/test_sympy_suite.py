"""SymPy's own matrix-derivative suite as a correctness set (issue 24).

Every problem of ``sympy/matrices/expressions/tests/test_derivatives.py`` that
matcalc's language can say (``benchmarks/sympy_suite_cases.py``) is derived by
matcalc and its answer compared on random data with central finite
differences of the function as SymPy builds it (evaluated by NumPy from
SymPy's tree, not by matcalc), at the sizes 3, 4 and 5 for SymPy's dimension
``k``.  Timing is ``benchmarks/sympy_suite.py``'s business, not a test's.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from sympy.matrices.expressions import (HadamardPower, HadamardProduct, Identity, Inverse, MatAdd, MatMul,
                                        MatPow, MatrixSymbol, OneMatrix, Trace, Transpose)
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

import matcalc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import sympy_suite_cases as suite  # noqa: E402

SIZES = (3, 4, 5)
STEP = 1e-6
TOLERANCE = 1e-6


def _numbers(expression, values: dict):
    """The NumPy value of a SymPy expression of concrete sizes (2-D for a matrix)."""
    def value(node):
        if isinstance(node, (MatrixSymbol, sp.Symbol)):
            return values[node.name]
        if node.is_Number:
            return float(node)
        if isinstance(node, OneMatrix):
            return np.ones(tuple(int(size) for size in node.shape))
        if isinstance(node, Identity):
            return np.eye(int(node.shape[0]))
        if isinstance(node, MatMul):             # scalar factors first, then a chain of matrices
            product = value(node.args[0])
            for factor in map(value, node.args[1:]):
                product = product @ factor if np.ndim(product) == np.ndim(factor) == 2 else product * factor
            return product
        if isinstance(node, (MatAdd, sp.Add)):
            return sum(value(arg) for arg in node.args)
        if isinstance(node, (HadamardProduct, sp.Mul)):
            return math.prod(value(arg) for arg in node.args)
        if isinstance(node, Transpose):
            return value(node.arg).T
        if isinstance(node, Inverse):
            return np.linalg.inv(value(node.arg))
        if isinstance(node, MatPow):
            base, power = value(node.base), float(node.exp)
            return base ** power if base.shape == (1, 1) else np.linalg.matrix_power(base, int(power))
        if isinstance(node, Trace):
            return np.trace(value(node.arg))
        if isinstance(node, (HadamardPower, sp.Pow)):
            return value(node.base) ** value(node.exp)
        if isinstance(node, ElementwiseApplyFunction):
            return sp.lambdify(node.function.variables, node.function.expr, modules="numpy")(value(node.expr))
        if isinstance(node, sp.Function) and len(node.args) == 1:
            return getattr(np, node.func.__name__)(value(node.args[0]))
        raise TypeError(f"no NumPy value for {type(node).__name__}")
    return np.asarray(value(expression), dtype=float)


def _vec(array) -> np.ndarray:
    return np.asarray(array, dtype=float).reshape(-1, order="F")


def _reference(case, size: int, values: dict, command: str) -> np.ndarray:
    """Central differences of SymPy's function: the gradient (the shape of wrt) or ∂vec(F)/∂vec(X)^T."""
    expression, wrt = (tree.xreplace({suite.k: size}) for tree in case.build())
    name, base = wrt.name, values[wrt.name]
    columns = []
    for index in np.ndindex(*base.shape) if base.ndim else [()]:
        nudge = np.zeros_like(base)
        nudge[index] = STEP
        plus = _numbers(expression, {**values, name: base + nudge})
        minus = _numbers(expression, {**values, name: base - nudge})
        columns.append((plus - minus) / (2 * STEP))
    if command == "derive":
        return np.array([float(np.squeeze(column)) for column in columns]).reshape(base.shape)
    # ndindex runs row-major; a Jacobian's columns follow vec(X), column-major
    order = np.arange(len(columns)).reshape(base.shape or (1,)).reshape(-1, order="F")
    return np.stack([_vec(columns[position]) for position in order], axis=1)


def _data(case, size: int, seed: int) -> dict:
    """Random values of every symbol; square matrices well away from singular."""
    rng = np.random.default_rng(seed)
    expression, wrt = (tree.xreplace({suite.k: size}) for tree in case.build())
    values = {}
    for symbol in sorted(expression.free_symbols | {wrt}, key=lambda s: s.name):
        if not isinstance(symbol, MatrixSymbol):
            values[symbol.name] = np.asarray(rng.uniform(0.5, 1.5))
            continue
        shape = (int(symbol.shape[0]), int(symbol.shape[1]))
        if symbol.name in case.positive:
            values[symbol.name] = rng.uniform(0.5, 1.5, size=shape)
        elif shape[0] == shape[1] > 1:
            values[symbol.name] = rng.standard_normal(shape) / math.sqrt(size) + 2 * np.eye(size)
        else:
            values[symbol.name] = rng.standard_normal(shape)
    return values


def _relative_error(answer, reference) -> float:
    return float(np.max(np.abs(answer - reference)) / max(float(np.max(np.abs(reference))), 1.0))


def test_the_suite_is_all_there():
    """Every test function of SymPy's file is represented, and the cases have distinct names."""
    source = (Path(sp.__file__).parent / "matrices" / "expressions" / "tests" / "test_derivatives.py").read_text()
    functions = {line.split("(")[0][4:] for line in source.splitlines() if line.startswith("def test_")}
    names = [case.name for case in suite.CASES]
    assert len(names) == len(set(names))
    assert {name.rsplit("_", 1)[0][len("sympy_"):] for name in names} == functions
    assert all(case.unsaid for case in suite.CASES if not case.both)
    assert len(suite.BOTH) >= 85


@pytest.mark.parametrize("case", suite.BOTH, ids=lambda case: case.name)
def test_matcalc_agrees_with_finite_differences_of_sympys_function(case):
    command = case.command()
    derivation = getattr(matcalc, command)(case.matcalc, case.wrt, case.where)
    for seed, size in enumerate(SIZES):
        values = _data(case, size, seed)
        if case.where == "k: scalar":          # SymPy's k is the size and a factor at once
            values["k"] = np.asarray(float(size))
        answer = derivation.evaluate(values)
        assert _relative_error(answer, _reference(case, size, values, command)) < TOLERANCE, (case.name, size)
