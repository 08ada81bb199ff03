"""Long products and high powers inside the documented limits (issue:
soundness round two, "time and memory"): each is derived under a deadline,
and its answer is checked numerically against central differences of NumPy's
own reading of the input, on orthogonal matrices (so that A^2000 stays finite)
of a size unlike the others (3, 4, 5).

The product rule takes every cut of a product in one sweep, and a matrix
power X^k all k terms at once: one sweep per factor once refused
``tr(A^1000)`` and ``tr(X A1 X A2 … X A100)`` as "did not terminate".  A
differential of more than 4,000 parts (README "Limits") is refused at once.
"""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from deadlines import deadline  # tests/ is on sys.path

DERIVE_SECONDS = 20      # two slow CI cores; figures on one core are in the README

rng = np.random.default_rng(7)


def orthogonal(n: int) -> np.ndarray:
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return q


def derived(expression: str, wrt: str, where: str | None = None) -> matcalc.Derivation:
    with deadline(DERIVE_SECONDS):
        derivation = matcalc.derive(expression, wrt=wrt, where=where)
        derivation.text()
    return derivation


def central_differences(function, values: dict, wrt: str, step: float = 1e-6) -> np.ndarray:
    point = values[wrt]
    gradient = np.zeros_like(point)
    for index in np.ndindex(point.shape):
        moved = []
        for sign in (1, -1):
            shifted = point.copy()
            shifted[index] += sign * step
            moved.append(function({**values, wrt: shifted}))
        gradient[index] = (moved[0] - moved[1]) / (2 * step)
    return gradient


def agrees(derivation, function, values, wrt):
    answer = derivation.evaluate(values).reshape(values[wrt].shape)
    reference = central_differences(function, values, wrt)
    np.testing.assert_allclose(answer, reference, rtol=1e-5, atol=1e-6)


def test_the_trace_of_a_thousandth_power():
    derivation = derived("tr(A^1000)", "A")
    assert derivation.text(steps=False).endswith("∂l/∂A = 1000 (A^999)^T")
    A = orthogonal(4)
    agrees(derivation, lambda v: np.trace(np.linalg.matrix_power(v["A"], 1000)), {"A": A}, "A")


@pytest.mark.parametrize("power", [-2, -500, -1000])
def test_the_trace_of_a_negative_power(power):
    """d-trace-power: one term k tr(X^{k-1} dX), where d-matrix-power would
    build |k| (tr(A^{-1000}) was refused as 1,000 terms)."""
    derivation = derived(f"tr(A^{{{power}}})", "A")
    assert derivation.text(steps=False).endswith(f"∂l/∂A = {power} (A^{{{power - 1}}})^T")
    assert "d-trace-power" in derivation.text()
    A = orthogonal(3)
    agrees(derivation, lambda v: np.trace(np.linalg.matrix_power(np.linalg.inv(v["A"]), -power)), {"A": A}, "A")


@pytest.mark.parametrize("expression, power", [("tr((A B)^7)", 7), ("tr((A + B^T)^4)", 4)])
def test_the_trace_of_a_power_of_a_compound_matrix(expression, power):
    derivation = derived(expression, "A")
    assert "d-trace-power" in derivation.text()
    values = {"A": rng.normal(size=(4, 4)) / 2, "B": rng.normal(size=(4, 4)) / 2}
    product = (lambda v: v["A"] @ v["B"]) if "A B" in expression else (lambda v: v["A"] + v["B"].T)
    agrees(derivation, lambda v: np.trace(np.linalg.matrix_power(product(v), power)), values, "A")


def test_a_bilinear_form_of_a_matrix_written_400_times():
    derivation = derived("a^T " + "A " * 400 + "x", "A")
    assert derivation.text(steps=False).count("a x^T") == 400        # Σ_k (A^k)^T a x^T (A^{399-k})^T
    values = {"a": rng.normal(size=(5, 1)), "A": orthogonal(5), "x": rng.normal(size=(5, 1))}
    agrees(derivation, lambda v: (v["a"].T @ np.linalg.matrix_power(v["A"], 400) @ v["x"]).item(), values, "A")


@pytest.mark.parametrize("expression, wrt, terms", [
    ("a^T " + "A " * 2000 + "x", "A", "2,000 terms"),
    ("tr(B A^1000)", "A", "1,000 terms"),
    ("tr(" + " ".join(f"X A{i}" for i in range(1, 101)) + ")", "X", "100 terms"),
    (" ".join(f"(x^T A{i} x + 1)" for i in range(1, 61)), "x", "60 terms"),
], ids=["A 2000 times", "tr(B A^1000)", "tr(X A1 … X A100)", "60 quadratic forms"])
def test_a_differential_past_the_limit_is_refused_at_once(expression, wrt, terms):
    """Answers of thousands of terms, each as long as the input: refused
    before they are built (they once took 7 s, 5 s and 16 s)."""
    with deadline(2):
        with pytest.raises(matcalc.LimitError, match=f"{terms} of .* parts each; matcalc stops at 4,000 parts"):
            matcalc.derive(expression, wrt=wrt)


@pytest.mark.parametrize("count", [3, 38])
def test_a_trace_of_alternating_products(count):
    expression = "tr(" + " ".join(f"X A{i}" for i in range(1, count + 1)) + ")"
    derivation = derived(expression, "X")
    values = {f"A{i}": orthogonal(4) for i in range(1, count + 1)}
    values["X"] = orthogonal(4)

    def function(v):
        product = np.eye(4)
        for i in range(1, count + 1):
            product = product @ v["X"] @ v[f"A{i}"]
        return np.trace(product)
    agrees(derivation, function, values, "X")


def test_a_product_of_3000_matrices():
    count = 3000
    expression = "a^T " + " ".join(f"A{i}" for i in range(count)) + " x"
    derivation = derived(expression, "x")
    assert "(" not in derivation.text(steps=False).split("∂l/∂x = ")[-1]   # every transpose pushed to a leaf
    values = {f"A{i}": orthogonal(3) for i in range(count)}
    values.update(a=rng.normal(size=(3, 1)), x=rng.normal(size=(3, 1)))
    row = values["a"].T
    for i in range(count):
        row = row @ values[f"A{i}"]
    np.testing.assert_allclose(derivation.evaluate(values).reshape(-1), row.reshape(-1), rtol=1e-9)


def test_a_product_of_15_quadratic_forms():
    count = 15
    expression = " ".join(f"(x^T A{i} x + 1)" for i in range(1, count + 1))
    derivation = derived(expression, "x")
    values = {f"A{i}": rng.normal(size=(4, 4)) / 5 for i in range(1, count + 1)}
    values["x"] = rng.normal(size=(4, 1))

    def function(v):
        return np.prod([(v["x"].T @ v[f"A{i}"] @ v["x"]).item() + 1 for i in range(1, count + 1)])
    agrees(derivation, function, values, "x")
