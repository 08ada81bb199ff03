"""The three methods (SPEC §3 "Three methods"; issue 26): every example and
the soundness suite's random expressions derived by each method, which must
agree with each other and with finite differences, every step citing a rule
of the catalog (or a bookkeeping step of the strategy)."""

from __future__ import annotations

import shlex

import numpy as np
import pytest

import matcalc
import strategies as S
from matcalc.calculus.methods import METHODS
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.cli import main
from matcalc.errors import DerivationError
from matcalc.numeric.data import random_point
from matcalc.rewriting.catalog import default_catalog as catalog
from test_examples import EXAMPLES, options, read_example

OTHER_METHODS = sorted(set(METHODS) - {"trace"})
# Examples a method cannot write, each with the construct its error names.
UNSUPPORTED: dict = {"index": {}, "vec": {}}
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def known_rules():
    return set(catalog()) | set(ENGINE_STEPS)


def example_request(path):
    command, _ = read_example(path)
    argv = shlex.split(command)[1:]
    expr, wrt, where = options(argv)
    return getattr(matcalc, argv[0]), expr, wrt, where


def values_of(d):
    return random_point(d.problem.expr, d.problem.env, seed=3).values


def agree(first, second, values) -> float:
    a = np.asarray(first.evaluate(values), dtype=float)
    b = np.asarray(second.evaluate(values), dtype=float).reshape(a.shape)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(a)), 1e-6))


@pytest.mark.parametrize("method", OTHER_METHODS)
@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_by_every_method(path, method):
    command, expr, wrt, where = example_request(path)
    trace = command(expr, wrt=wrt, where=where)
    if path.stem in UNSUPPORTED[method]:
        with pytest.raises(DerivationError, match=UNSUPPORTED[method][path.stem]):
            command(expr, wrt=wrt, where=where, method=method)
        return
    d = command(expr, wrt=wrt, where=where, method=method)
    assert d.check() < 1e-6
    assert agree(trace, d, values_of(trace)) < 1e-8
    rules = {rule for step in d.steps for rule in step.rules}
    assert rules <= known_rules(), rules - known_rules()
    assert all(step.rules for step in d.steps)


@pytest.mark.parametrize("method", OTHER_METHODS)
def test_random_expressions_agree(method):
    """The soak grammar's first cases: whatever the trace method derives, the
    method derives too (or names what it cannot write and another method),
    with the same answer, and check() passes."""
    handled = failures = 0
    for index in range(120):
        case = S.random_case(seed=0, index=index)
        try:
            trace = matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
            values = S.given(case, S.usable_points(case)[0])
        except (matcalc.MatcalcError, S.OutOfDomain):
            continue
        try:
            d = matcalc.derive(case.expression, wrt=case.wrt, where=case.where, method=method)
        except DerivationError as error:
            assert "method=" in error.message, error.message
            failures += 1
            continue
        handled += 1
        with np.errstate(all="ignore"):
            error = agree(trace, d, values)
        assert error < 1e-6, f"#{index} {case.expression} wrt {case.wrt}: {error:.1e}"
        assert {rule for step in d.steps for rule in step.rules} <= known_rules()
    print(f"{method}: {handled} random expressions derived, {failures} refused")
    assert handled >= 3 * failures, (handled, failures)


def test_vec_writes_one_jacobian_factor_a_line():
    d = matcalc.derive("sum(sigma(W x))", wrt="W", method="vec")
    rules = [step.rule for step in d.steps]
    assert rules[-6:] == ["vec-hadamard", "vec-kron", "identify-vec", "transpose-product",
                          "diag-hadamard", "kron-vec"] or rules[-7:-1] == [
        "vec-hadamard", "vec-kron", "identify-vec", "transpose-product", "diag-hadamard", "kron-vec"]
    assert "(x^T ⊗ I) vec(dW)" in d.text()
    assert matcalc.derive("sum(sigma(W x))", wrt="W").result == d.result


def test_vec_jacobian_and_hessian_line_by_line():
    j = matcalc.jacobian("sigma(W x)", wrt="W", method="vec")
    assert [s.rule for s in j.steps if s.rule.startswith("vec-")] == ["vec-hadamard", "vec-kron"]
    assert j.check() < 1e-6
    h = matcalc.hessian("-y^T log(softmax(W x))", wrt="W", method="vec")
    assert h.check() < 1e-6


def test_vec_gradient_in_a_program():
    g = matcalc.derive("a = W1 x; h = sigma(a); l = sum(W2 h)", wrt=["W1", "W2"], method="vec")
    assert g.check() < 1e-6
    assert any(step.rule == "identify-vec" for step in g.steps)


def test_cli_method_option(capsys):
    assert main(["derive", "x^T A x", "--wrt", "x", "--method", "vec", "--check"]) == 0
    assert "identify-vec" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_status:
        main(["derive", "x^T A x", "--wrt", "x", "--method", "nope"])
    assert exit_status.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_unknown_method_is_a_clear_error():
    with pytest.raises(matcalc.MatcalcError, match="matcalc derives by: trace"):
        matcalc.derive("x^T x", wrt="x", method="einstein")
