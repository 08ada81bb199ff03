"""exp(E) / (exp(E) + K)^2, what the derivative of 1 / (exp(E) + K) leaves, is
computed in the shared lowering as exp(E - 2 log K - 2 softplus(E - log K)) for a
K positive by its form: finite and right at |E| = 1000 in evaluate and in the
generated code, float32 and float64 (soak seed 24, case 3873: NaN for inf/inf)."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from codegen_support import arguments, generated
import strategies as S
from test_codegen_numerics import library
from matcalc.lowering.quotients import exp_quotient_fused
from matcalc.numeric.evaluate import evaluate
from matcalc.printers.text import to_text

H = np.array([0.3, -0.2, 0.5, 0.1])
K = 1 + float(H @ H)


def reference(E: float, K: float, a: int = 1, b: int = 2) -> float:
    """exp(a E) / (exp(E) + K)^b, in float64 by logaddexp."""
    return float(np.exp(a * E - b * np.logaddexp(E, np.log(K))))


SOURCES = {
    # source, wrt, its gradient at E (scalar) from the reference
    "(exp(E) + ||h||^2 + 1) .^ -1": lambda E: -reference(E, K),
    "(1 + exp(-E))^{-1}": lambda E: reference(-E, 1.0),                 # σ(E) written out: σ'(E)
    "(exp(E) + 2)^{-2}": lambda E: -2 * reference(E, 2.0, 1, 3),
}
def where_of(source: str) -> str:
    return "E: scalar; h: vector" if "h" in source else "E: scalar"


POINTS = (-1000.0, -3.0, 0.5, 30.0, 1000.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("source", list(SOURCES))
def test_evaluate_is_finite_and_right_at_E_1000(source, dtype):
    derivation = matcalc.derive(source, wrt="E", where=where_of(source))
    tolerance = 1e-5 if dtype is np.float32 else 1e-12
    for E in POINTS:
        values = {"E": dtype(E), "h": H.astype(dtype)}
        got = np.reshape(derivation.evaluate({n: values[n] for n in arguments(derivation)}), -1)[0]
        expected = SOURCES[source](E)
        assert np.isfinite(got), (source, E)
        assert abs(float(got) - expected) <= tolerance * max(1e-30, abs(expected)) + 1e-30, (source, E, got)


@pytest.mark.parametrize("target", ["numpy", "torch", "jax"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("source", list(SOURCES))
def test_generated_code_is_finite_and_right_at_E_1000(source, dtype, target):
    to_array, to_numpy = library(target)
    derivation = matcalc.derive(source, wrt="E", where=where_of(source))
    function = generated(derivation, target)["loss_and_gradients"]
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    for E in POINTS:
        values = {"E": np.asarray(E), "h": H}
        with np.errstate(over="ignore"):        # the loss itself may pass through exp(1000) = inf, then 1/inf
            _, gradients = function(*[to_array(values[n], dtype) for n in arguments(derivation)])
        got, expected = float(np.reshape(to_numpy(gradients["E"]), -1)[0]), SOURCES[source](E)
        assert np.isfinite(got), (source, E)
        assert abs(got - expected) <= tolerance * abs(expected) + 1e-30, (source, E, got)


class _Lowering:
    definitions: dict = {}

    @staticmethod
    def kind(expr):
        return "scalar"


@pytest.mark.parametrize("denominator", ["exp(E) - 1", "exp(E) + c", "exp(E) + ||h||^2"])
def test_no_fusion_where_K_may_be_zero_or_negative(denominator):
    """exp(E) / (exp(E) + K)^2 has a pole for K < 0, and log K is no number
    for K ≤ 0: only a K positive by its form is fused."""
    from matcalc.api import _problem
    where = "E: scalar" + ("; h: vector" if "h" in denominator else "; c: scalar" if "c" in denominator else "")
    problem = _problem(f"exp(E) ({denominator})^(-2)", where)
    args = problem.expr.args
    assert exp_quotient_fused(_Lowering, args) == tuple(args)
    positive = _problem("exp(E) (exp(E) + ||h||^2 + 1)^(-2)", "E: scalar; h: vector").expr.args
    assert exp_quotient_fused(_Lowering, positive) != tuple(positive)


def test_the_soak_answer_read_back_as_printed_is_finite():
    """Seed 24, case 3873: the printed answer, read back before any canonical
    form (a nested product, (..)^2 below a fraction line), evaluates finitely."""
    case = S.random_case(24, 3873)
    derivation = matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
    point = S.usable_points(case, count=1)[0]
    expected = np.reshape(derivation.evaluate(S.given(case, point)), -1)
    assert np.all(np.isfinite(expected))
    text = to_text(derivation.result)
    answer, env = S.typed_with_source(case.expression, case.where, text, case.wrt)
    value = np.reshape(evaluate(answer, S.engine_point(env, point.values)), -1)
    np.testing.assert_allclose(value, expected, rtol=1e-9, atol=1e-300)
