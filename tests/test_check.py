"""Derivation.check() (SPEC §4) is an honest measure: small for right answers,
however curved or large the function, and large for wrong ones.

The right-answer cases are false alarms found by the soak run
(``python benchmarks/soak.py --seed 0 --case N``), where an independent
high-accuracy reference agreed with the answer to ~1e-12."""

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.errors import DerivationError
from matcalc.numeric.evaluate import evaluate
from matcalc.numeric.data import defined_points, random_point
from matcalc.numeric.differences import gradient_with_error

SOAK = {
    # h² f'''/6 of a fixed step 1e-5 was 2e-6 of the gradient: exp(≈700) on positive data.
    "4350": ("exp(x_t^T W_2 exp(B) exp(x) .^ 1.5)", "x",
             "x_t: vector m by 1; W_2: m × n; B: matrix; x: vector p x 1"),
    # sin of a value whose slope in k is ~200: the same truncation error, 1.2e-5.
    "7685": ("sin(norm(sigmoid(A) .^ k Phi^{2})²)", "k", "A: matrix; k: scalar"),
    # cos(tr(W1) det(L)) with L drawn as 4 I + 0.3 R: det ≈ 256, error 5.8e-6.
    "842": ("h1 = cos(trace(W1) det(L^T)); l = h1", "L", "L: n by n"),
    # exp(det(U)) with U drawn as 5 I + 0.3 R overflowed on every attempt.
    "9090": ("sum(X - X + (X + C)) + exp(det(U))", "U", "C: matrix; U: m x m"),
    # (√e^ρ) .^ det(L) cubed: the same overflow.
    "1232": ("‖σ(G) .^ -1‖_F^2 + (sqrt(exp(rho)) .^ det(L^T))^3", "L", "L: matrix m × m"),
    # Earlier soak runs: U^T U is singular for every U with fewer rows than columns,
    # and so is D^T N; the sizes must be tried in the other order.
    "logdet-wide": ("logdet(U' U)", "U", ""),
    "det-wide": ("det(D^T N)^T", "D", "N: matrix"),
}
IDS = list(SOAK)


def _derive(name):
    expression, wrt, where = SOAK[name]
    return matcalc.derive(expression, wrt=wrt, where=where)


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_right_answer_checks_far_below_tolerance(name, seed):
    # The answers are right to ~1e-12; check() must say so, not 1e-6-ish noise.
    assert _derive(name).check(seed) < 1e-9


def _with_answer(derivation, monkeypatch, wrong):
    # The outcome is an immutable value: the wrong answer is a new one.
    monkeypatch.setattr(derivation, "outcome", replace(derivation.outcome, expanded=wrong(derivation.result)))
    return derivation


def _scaled(factor):
    return lambda answer: A.Product((A.Number(Fraction(factor)), answer))


@pytest.mark.parametrize("name", IDS)
def test_a_scaled_answer_is_caught(name, monkeypatch):
    d = _with_answer(_derive(name), monkeypatch, _scaled(2))
    assert d.check() > 0.4                    # |2g - g| / |2g| = 1/2


@pytest.mark.parametrize("name", IDS)
def test_an_answer_wrong_by_1e_5_is_measured_as_such(name, monkeypatch):
    # The reference is accurate enough to resolve a relative error of 1e-5
    # (where the answer is not negligible next to the error floor).
    d = _with_answer(_derive(name), monkeypatch, _scaled(Fraction(100001, 100000)))
    assert 0.9e-5 < d.check() < 1.1e-5


@pytest.mark.parametrize("name", ["842", "9090", "1232", "logdet-wide"])
def test_a_transposed_answer_is_caught(name, monkeypatch):
    d = _with_answer(_derive(name), monkeypatch, A.Transpose)
    assert d.check() > 1e-3


def test_a_wrong_jacobian_and_hessian_are_caught(monkeypatch):
    jacobian = matcalc.jacobian("sigma(W x)", wrt="W")
    assert jacobian.check() < 1e-9
    assert _with_answer(jacobian, monkeypatch, _scaled(Fraction(1001, 1000))).check() > 5e-4
    hessian = matcalc.hessian("-y^T log(softmax(W x))", wrt="x", where="y: probability vector")
    assert hessian.check() < 1e-9
    assert _with_answer(hessian, monkeypatch, _scaled(Fraction(1001, 1000))).check() > 5e-4


# sum(I - softmax(M)) is n - n: 0 to the last digit at the point, not beside it,
# where its terms of size n round; measured on |l| = 0 alone, the differences'
# rounding noise looked exact and check() said 2.4e-5 for the right gradient 0
# (soak seed 54, case 8163).  With tr(A M) beside it, the gradient is A.
CANCELLING = [("sum((I - softmax(M))^T)", "M", "M: symmetric matrix"),
              ("sum((I - softmax(M))^T) + tr(A M)", "M", "M: symmetric matrix; A: symmetric matrix"),
              ("sum(I - softmax(M))", "M", "M: matrix")]


@pytest.mark.parametrize("expression, wrt, where", CANCELLING)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_function_whose_terms_cancel_checks_right(expression, wrt, where, seed):
    assert matcalc.derive(expression, wrt=wrt, where=where).check(seed) < 1e-9


@pytest.mark.parametrize("expression, wrt, where", CANCELLING)
def test_a_wrong_answer_to_a_function_whose_terms_cancel_is_caught(expression, wrt, where, monkeypatch):
    d = _with_answer(matcalc.derive(expression, wrt=wrt, where=where), monkeypatch,
                     lambda answer: A.Add((answer, A.Product((A.Number(Fraction(1, 1000)), A.Symbol("M"))))))
    assert d.check() > 1e-4


def test_a_function_whose_terms_cancel_measures_an_error_of_1e_5(monkeypatch):
    expression, wrt, where = CANCELLING[1]
    derivation = matcalc.derive(expression, wrt=wrt, where=where)
    assert str(derivation.result) == "A"
    d = _with_answer(derivation, monkeypatch, _scaled(Fraction(100001, 100000)))
    assert 0.9e-5 < d.check() < 1.1e-5


def test_a_function_defined_nowhere_is_reported():
    with pytest.raises(DerivationError, match="could not find data"):
        matcalc.derive("sum(log(-exp(x)))", wrt="x").check()


# ---- the pieces: data of moderate size, differences that resolve high curvature
def test_matrices_under_det_are_drawn_near_the_identity():
    d = _derive("9090")
    point = random_point(d.problem.expr, d.problem.env, 0)
    U = point.values["U"]
    assert U.shape == (5, 5) and 0.2 < np.linalg.det(U) < 5     # not 5⁵
    assert np.linalg.cond(U) < 10


def test_data_are_scaled_down_until_exp_does_not_overflow():
    d = _derive("4350")
    point = next(defined_points(d.problem.expr, d.problem.env, 0))
    assert np.isfinite(evaluate(d.problem.expr, point)).all()


@pytest.mark.parametrize("frequency", [1, 30, 300])
def test_finite_differences_resolve_high_curvature(frequency):
    # ∂/∂x sin(c xᵀx) = 2 c cos(c xᵀx) x: a fixed step 1e-5 is off by (2 c h |x|)² / 6.
    d = matcalc.derive(f"sin({frequency} x^T x)", wrt="x")
    point = random_point(d.problem.expr, d.problem.env, 0)
    x = point.values["x"]
    exact = 2 * frequency * np.cos(frequency * (x.T @ x).item()) * x
    numeric = gradient_with_error(d.problem.expr, "x", point, d.problem.env)[0]
    assert np.max(np.abs(numeric - exact)) <= 1e-9 * np.max(np.abs(exact))
