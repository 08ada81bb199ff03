"""Jacobians, Hessians and gradients through vec and ⊗ (SPEC §2): numerically
right against finite differences computed here, in numerator layout, in the
textbook forms, every step cited."""

import numpy as np
import pytest

import matcalc
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import bind_values
from matcalc.numeric.differences import (gradient_with_error, hessian_with_error,
                                        jacobian_with_error)
from matcalc.printers.text import to_text
from matcalc.rewriting.catalog import default_catalog as catalog

# (expression, wrt, where, the answer as printed or None)
JACOBIANS = [
    ("A x", "x", "", "A"),
    ("A X B", "X", "", "B^T ⊗ A"),
    ("W x", "W", "", "x^T ⊗ I"),
    ("inv(X)", "X", "", "-X^{-T} ⊗ X^{-1}"),
    ("X^T", "X", "", None),
    ("softmax(z)", "z", "", "diag(s) - s s^T"),
    ("sigma(W x)", "x", "", "diag(σ(a1) ⊙ (1 - σ(a1))) W"),
    ("sigma(W x)", "W", "", None),
    ("x ⊙ y", "x", "", "diag(y)"),
    ("A ⊙ X", "X", "", "diag(vec(A))"),
    ("X ⊗ B", "X", "", None),
    ("A ⊗ X", "X", "", None),
    ("vec(X A)", "X", "", "A^T ⊗ I"),
    ("diag(x)", "x", "", None),
    ("diag(X)", "X", "", None),
    ("X A X", "X", "", None),
    ("tanh(X) b", "X", "", None),
    ("exp(x) / (1^T exp(x))", "x", "", None),
    ("x^T A x", "x", "", "x^T (A + A^T)"),
    ("tr(X)", "X", "", None),
    ("X^T X", "X", "", None),
    ("W2 relu(W1 x + b)", "W1", "", None),
    ("beta x", "beta", "", "x"),
]

HESSIANS = [
    ("x^T A x", "x", "", "A + A^T"),
    ("||A x - b||^2", "x", "", "2 A^T A"),
    ("-y^T log(softmax(W x))", "x", "y: probability vector", "W^T (diag(s) - s s^T) W"),
    ("log(1^T exp(x))", "x", "", None),
    ("-y^T log(softmax(W2 sigma(W1 x)))", "x", "y: probability vector", None),
    ("logdet(X)", "X", "", None),
    ("||A X - B||_F^2", "X", "", "2 (I ⊗ (A^T A))"),
    ("tr(X A X^T B)", "X", "", None),
    ("softplus(w^T x)", "w", "", None),
    ("alpha^2 x^T x", "alpha", "", "2 x^T x"),
]

# dX inside vec(..) or ⊗: the vec route, folded back where it can be.
THROUGH_VEC = [
    ("vec(A)^T vec(X)", "X", "A"),
    ("||vec(X)||^2", "X", "2 X"),
    ("tr(A ⊗ X)", "X", "tr(A) I"),
    ("a^T vec(X)", "X", None),
    ("vec(X)^T B vec(X)", "X", None),
    ("a^T (X ⊗ B) c", "X", None),
    ("a^T (B ⊗ X) c", "X", None),
    ("sum(A ⊗ X)", "X", None),
    ("||A ⊗ X||_F^2", "X", None),
    ("tr(M (A ⊗ X))", "X", None),
    ("a^T vec(X^T)", "X", None),
    ("sum(diag(vec(X)))", "X", None),
    ("a^T (x ⊗ y)", "x", None),
    ("sum(exp(vec(W)))", "W", None),
    ("(v^T (relu(C) (q ⊗ q)))^2", "C", None),     # once an internal error (soak)
]


def _relative_error(answer, numeric):
    scale = max(np.max(np.abs(numeric)), 1e-6)
    return np.max(np.abs(np.asarray(answer) - numeric)) / scale


def _answer_and_reference(d, reference, seed):
    """evaluate() and finite differences of the function, at one random point."""
    values = random_point(d.problem.expr, d.problem.env, seed=seed).values
    point, _ = bind_values(values, d.problem.symbols, d.problem.env)
    return d.evaluate(values), reference(point), values


def _cited_rules_exist(d):
    known = set(catalog()) | set(ENGINE_STEPS)
    for step in d.steps:
        assert set(step.rules) <= known, f"step cites unknown rules {step.rules}"


@pytest.mark.parametrize("expr, wrt, where, printed", JACOBIANS, ids=[f"{e} wrt {w}" for e, w, *_ in JACOBIANS])
def test_jacobian(expr, wrt, where, printed):
    d = matcalc.jacobian(expr, wrt=wrt, where=where)
    answer, numeric, _ = _answer_and_reference(
        d, lambda point: jacobian_with_error(d.problem.expr, d.wrt, point)[0], seed=3)
    assert answer.shape == numeric.shape       # rows follow vec(F), columns vec(X)
    assert _relative_error(answer, numeric) <= 1e-6
    assert d.check() <= 1e-6
    if printed is not None:
        assert to_text(d.named_result) == printed
    _cited_rules_exist(d)
    # the answer is read off, then any simplification of it is a line of its own
    read_off = [i for i, step in enumerate(d.steps) if step.rule == "identify-jacobian"]
    assert read_off and all(step.label == d.steps[read_off[-1]].label for step in d.steps[read_off[-1]:])


@pytest.mark.parametrize("expr, wrt, where, printed", HESSIANS, ids=[f"{e} wrt {w}" for e, w, *_ in HESSIANS])
def test_hessian(expr, wrt, where, printed):
    d = matcalc.hessian(expr, wrt=wrt, where=where)
    answer, numeric, values = _answer_and_reference(
        d, lambda point: hessian_with_error(d.problem.expr, d.wrt, point)[0], seed=4)
    count = np.asarray(values[wrt]).size
    assert answer.shape == numeric.shape == (count, count)
    assert _relative_error(answer, numeric) <= 1e-6
    if printed is not None:
        assert to_text(d.named_result) == printed
    _cited_rules_exist(d)
    assert "gradient" in [s.rule for s in d.steps]   # the gradient is derived first, then differentiated


@pytest.mark.parametrize("expr, wrt, printed", THROUGH_VEC, ids=[f"{e} wrt {w}" for e, w, _ in THROUGH_VEC])
def test_gradient_through_vec_and_kron(expr, wrt, printed):
    d = matcalc.derive(expr, wrt=wrt)
    answer, numeric, _ = _answer_and_reference(
        d, lambda point: gradient_with_error(d.problem.expr, d.wrt, point, d.problem.env)[0], seed=5)
    assert _relative_error(np.asarray(answer).reshape(numeric.shape), numeric) <= 1e-6
    if printed is not None:
        assert to_text(d.result) == printed
    _cited_rules_exist(d)


def test_jacobian_of_a_scalar_is_the_transposed_gradient():
    gradient = matcalc.derive("x^T A x", wrt="x")
    jacobian = matcalc.jacobian("x^T A x", wrt="x")
    values = {"x": np.arange(3.0), "A": np.arange(9.0).reshape(3, 3)}
    np.testing.assert_allclose(jacobian.evaluate(values), gradient.evaluate(values).reshape(1, -1))


def test_jacobian_labels_and_latex():
    d = matcalc.jacobian("X^T", wrt="X")
    assert d.text().splitlines()[-1].startswith("∂vec(F)/∂vec(X)^T = K_{")
    assert r"K_{" in d.latex()
    d = matcalc.jacobian("sigma(W x)", wrt="x")
    assert "\n∂f/∂x^T = diag(" in d.text()
    d = matcalc.hessian("x^T A x", wrt="x")
    assert "∂²l/∂x∂x^T = A + A^T" in d.text()
    d = matcalc.derive("a^T vec(X)", wrt="X")
    assert "unvec" in d.text() and r"\operatorname{vec}^{-1}" in d.latex()


def test_program_names_the_function():
    d = matcalc.jacobian("a = W x; h = tanh(a)", wrt="x")
    assert "\n∂h/∂x^T = " in d.text()


@pytest.mark.parametrize("call, expr, message", [
    (matcalc.hessian, "W x", "hessian needs a scalar function"),
    (matcalc.jacobian, "W x", "'q' does not appear"),
    (matcalc.jacobian, "x x", "x x"),
])
def test_bad_requests(call, expr, message):
    with pytest.raises(matcalc.MatcalcError) as caught:
        call(expr, wrt="q" if "appear" in message else "x")
    assert message in str(caught.value)


def test_cli_jacobian_and_hessian(run_cli):
    status, out, err = run_cli("jacobian", "A X B", "--wrt", "X", "--check")[:3]
    assert status == 0 and "B^T ⊗ A" in out and "(ok)" in out
    status, out, err = run_cli("hessian", "x^T A x", "--wrt", "x", "--check", "--format", "json")[:3]
    assert status == 0 and '"A + A^T"' in out
