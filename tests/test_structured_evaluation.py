"""Structured factors (I, K, diag(v), Kronecker products of them) are applied
in products without being built (issue: soundness round two), and agree with
their dense matrices on random data of distinct sizes."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

import matcalc
from matcalc.numeric import structured as S

rng = np.random.default_rng(11)


def _dense(op):
    return S.dense(op)


def _commutation(rows, cols):
    return S.Permutation(S.commutation_source(rows, cols))


OPERATORS = {
    "dense ⊗ dense": S.Kronecker((S.Dense(rng.normal(size=(3, 4))), S.Dense(rng.normal(size=(5, 2))))),
    "I ⊗ K ⊗ I": S.Kronecker((S.Identity(3), _commutation(4, 5), S.Identity(2))),
    "K": _commutation(3, 5),
    "diag(v)": S.RowScaling(rng.normal(size=(4, 1))),
    "dense ⊗ I ⊗ diag": S.Kronecker((S.Dense(rng.normal(size=(2, 3))), S.Identity(4),
                                     S.RowScaling(rng.normal(size=(5, 1))))),
}


def test_the_commutation_matrix_transposes_a_vec():
    X = rng.normal(size=(3, 4))
    K = _dense(_commutation(3, 4))
    np.testing.assert_array_equal(K @ X.reshape(-1, 1, order="F"), X.T.reshape(-1, 1, order="F"))


def test_a_kronecker_operator_is_the_kronecker_product():
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(5, 2))
    op = S.Kronecker((S.Dense(A), S.Dense(B)))
    np.testing.assert_allclose(_dense(op), np.kron(A, B), rtol=1e-13)
    K = _dense(_commutation(4, 5))
    three = S.Kronecker((S.Identity(3), _commutation(4, 5), S.Identity(2)))
    np.testing.assert_array_equal(_dense(three), np.kron(np.kron(np.eye(3), K), np.eye(2)))


@pytest.mark.parametrize("name", OPERATORS)
def test_operators_act_as_their_matrices(name):
    op = OPERATORS[name]
    matrix = _dense(op)
    right = rng.normal(size=(op.shape[1], 3))
    np.testing.assert_allclose(op.apply(right), matrix @ right, rtol=1e-12, atol=1e-12)
    left = rng.normal(size=(op.shape[0], 4))
    np.testing.assert_allclose(op.transposed().apply(left), matrix.T @ left, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pattern", ["M O M", "O M", "M O", "O O", "M O O M"])
def test_a_chain_of_arrays_and_operators_is_their_product(pattern):
    op = OPERATORS["I ⊗ K ⊗ I"]
    n = op.shape[0]
    parts, dense = [], []
    rows = 3
    for index, kind in enumerate(pattern.split()):
        if kind == "O":
            parts.append(op)
            dense.append(_dense(op))
        else:
            shape = (rows, n) if index == 0 else (n, 5)
            value = rng.normal(size=shape)
            parts.append(value)
            dense.append(value)
    expected = dense[0]
    for value in dense[1:]:
        expected = expected @ value
    times = lambda a, b: a @ b
    np.testing.assert_allclose(S.chain(parts, times, lambda r, c: None), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("side", ["left", "right"])
def test_a_number_made_in_the_chain_scales_the_operator(side):
    """(row)(column) is a 1×1 partial product: beside diag(v) it is a number
    times the matrix diag(v), not diag(v) applied to it (soak seed 12:
    tr((w^T ⊙ b^T) x .^ 3 diag(y)^T) was read as a trace of a row, and a
    right gradient failed its check)."""
    row, column, v = rng.normal(size=(1, 4)), rng.normal(size=(4, 1)), rng.normal(size=(3, 1))
    parts = [row, column, S.RowScaling(v)] if side == "left" else [S.RowScaling(v), row, column]
    times = lambda a, b: a[0, 0] * b if a.shape == (1, 1) else a * b[0, 0] if b.shape == (1, 1) else a @ b
    expected = (row @ column).item() * np.diag(v[:, 0])
    np.testing.assert_allclose(S.chain(parts, times, lambda r, c: None), expected, rtol=1e-12)


def test_the_trace_of_a_number_times_a_diagonal_matrix():
    derivation = matcalc.derive("tr(w^T ⊙ b' x .^ 3 diag(y)')", wrt="x", where="y: vector n by 1")
    values = {"w": rng.normal(size=(4, 1)), "b": rng.normal(size=(4, 1)), "x": rng.normal(size=(4, 1)),
              "y": rng.normal(size=(3, 1))}
    expected = 3 * values["w"] * values["b"] * values["x"] ** 2 * values["y"].sum()
    np.testing.assert_allclose(derivation.evaluate(values), expected, rtol=1e-12)
    assert derivation.check() < 1e-8


def test_the_jacobian_of_a_kronecker_square_evaluates_at_14_by_14_in_bounded_time_and_memory():
    """(I ⊗ K ⊗ I) has 1.5e9 entries at 14×14; the Jacobian itself 7.5e6."""
    J = matcalc.jacobian("kron(X, X)", wrt="X")
    assert "K_" in J.text(steps=False)
    X = rng.normal(size=(14, 14))
    tracemalloc.start()
    started = time.process_time()
    value = J.evaluate({"X": X})
    elapsed = time.process_time() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert value.shape == (14 ** 4, 14 ** 2)
    # The dense (I ⊗ K ⊗ I) would be 12 GB: memory is the bound that matters.  The time has a
    # margin far above the ~1 s it takes, so a busy machine cannot fail it (a dense build takes minutes).
    assert peak < 1e9 and elapsed < 120, (elapsed, peak)
    # one column against central differences of np.kron
    E = np.zeros((14, 14))
    E[2, 3] = 1
    h = 1e-6
    column = (np.kron(X + h * E, X + h * E) - np.kron(X - h * E, X - h * E)) / (2 * h)
    np.testing.assert_allclose(value[:, 3 * 14 + 2], column.reshape(-1, order="F"), atol=1e-8)


@pytest.mark.parametrize("command, expression, wrt, where", [
    (matcalc.jacobian, "kron(X, X)", "X", "X: 3 x 4"),
    (matcalc.jacobian, "kron(X, A X)", "X", "X: 3 x 4; A: 5 x 3"),
    (matcalc.hessian, "sum(sigma(A ⊗ tanh(Y + r 1^T)))", "r", None),
    (matcalc.jacobian, "diag(x) A x", "x", "A: 4 x 4"),
    (matcalc.jacobian, "vec(X^T)", "X", "X: 3 x 5"),
])
def test_answers_with_structured_factors_pass_the_check(command, expression, wrt, where):
    assert command(expression, wrt=wrt, where=where).check() < 1e-6


class CountingValues(dict):
    def __init__(self, *args):
        super().__init__(*args)
        self.reads = 0

    def __getitem__(self, name):
        self.reads += name == "B"
        return super().__getitem__(name)


def test_a_diagonal_of_a_matrix_in_a_product_is_evaluated_once():
    """diag(M) of a matrix inside a product: M's value tells whether diag(M)
    is an operator, and is then used, not computed again (twice per level was
    2^depth: 0.75 s at 30 levels)."""
    from matcalc.api import _problem
    from matcalc.numeric.evaluate import Point, evaluate
    depth = 30
    problem = _problem("sum(" + "A diag(" * depth + "B" + ")" * depth + ")", None)
    A, B = rng.normal(size=(4, 4)) / 4, rng.normal(size=(4, 4))
    values = CountingValues({"A": A, "B": B})
    value = evaluate(problem.expr, Point(values, {}))
    assert values.reads == 1
    expected = B
    for _ in range(depth):
        inner = np.diag(expected).reshape(-1, 1) if expected.shape[1] > 1 else np.diag(expected[:, 0])
        expected = A @ inner
    np.testing.assert_allclose(value, [[expected.sum()]], rtol=1e-10)
