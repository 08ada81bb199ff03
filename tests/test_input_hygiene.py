"""Silent acceptances found from outside (issue: soundness round two): each
is now one clear message, exit status 2 from the CLI, a MatcalcError from the
API; and JSON output stays JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

import matcalc
from matcalc.cli import main


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("where, message", [
    ("x: scalar; x: vector", "x is declared twice"),
    ("x: 3; x: 4", "x is declared twice"),
    ("x, x: vector", "x is declared twice"),
    ("I: scalar", "'I' is reserved (the identity matrix)"),
    ("ones: vector", "'ones' is reserved (the all-ones vector)"),
])
def test_bad_declarations_are_refused_by_name(capsys, where, message):
    status, out, err = run(capsys, "derive", "x^T x", "--wrt", "x", "--where", where)
    assert status == 2 and out == ""
    assert err.count("matcalc: error:") == 1 and message in err


@pytest.mark.parametrize("program, message", [
    ("I = x; l = I^T I", "'I' is reserved"),
    ("ones = x; l = ones^T ones", "'ones' is reserved"),
    ("exp = x; l = exp^T exp", "'exp' is reserved (a function)"),
])
def test_reserved_names_cannot_be_defined(capsys, program, message):
    status, out, err = run(capsys, "derive", program, "--wrt", "x")
    assert status == 2 and message in err


def test_a_greek_function_name_may_still_be_a_declared_scalar():
    derivation = matcalc.derive("sigma x^T x", wrt="x", where="sigma: scalar")
    assert derivation.check() < 1e-8


def test_an_error_in_json_format_is_a_json_object(capsys):
    status, out, err = run(capsys, "derive", "x^T y +", "--wrt", "x", "--format", "json")
    assert status == 2 and err.count("matcalc: error:") == 1
    error = json.loads(out)["error"]
    assert error["kind"] == "ParseError" and "ends too early" in error["message"]
    assert error["span"] == [7, 8] and "^" in error["text"]


def test_json_check_is_valid_json(capsys):
    status, out, _ = run(capsys, "derive", "x^T A x", "--wrt", "x", "--format", "json", "--check")
    data = json.loads(out)                   # strict: no Infinity or NaN
    assert status == 0 and data["check"]["ok"] is True and data["check"]["max_relative_error"] < 1e-8


def test_an_argparse_error_is_one_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["derive", "x^T x", "--wrt"])
    _, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("matcalc: error: argument --wrt")


@pytest.fixture(scope="module")
def quadratic():
    return matcalc.derive("x^T Sigma x", wrt="x", where="x: 3")


@pytest.mark.parametrize("values, message", [
    ({"x": np.ones(4), "Sigma": np.eye(4)}, "x has 4 where its shape says 3"),
    ({"x": "abc", "Sigma": np.eye(3)}, "the value of x is not a number"),
    ({"x": None, "Sigma": np.eye(3)}, "the value of x is not a number"),
    ({"x": [1, [2, 3]], "Sigma": np.eye(3)}, "the value of x is not a number"),
    ({"x": np.ones((3, 1, 1)), "Sigma": np.eye(3)}, "has 3 dimensions"),
    ({"x": np.ones(3)}, "evaluate needs a value for Sigma"),
    ([1, 2], "evaluate takes a dict"),
])
def test_evaluate_refuses_bad_values_clearly(quadratic, values, message):
    with pytest.raises(matcalc.MatcalcError, match=message):
        quadratic.evaluate(values)


def test_evaluate_takes_names_as_written(quadratic):
    rng = np.random.default_rng(0)
    x, S = rng.normal(size=3), rng.normal(size=(3, 3))
    np.testing.assert_allclose(quadratic.evaluate({"x": x, "Σ": S}), (S + S.T) @ x)


def test_a_singular_matrix_in_the_answer_is_reported():
    derivation = matcalc.derive("tr(inv(X) A)", wrt="X")
    with pytest.raises(matcalc.MatcalcError, match="singular"):
        derivation.evaluate({"X": np.zeros((3, 3)), "A": np.eye(3)})


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_check_takes_a_whole_seed(quadratic, seed):
    with pytest.raises(matcalc.MatcalcError, match="seed"):
        quadratic.check(seed=seed)


@pytest.mark.parametrize("expression, message", [
    ("log(0) x^T x", "log(0) is not defined: log takes positive numbers only"),
    ("sqrt(-1) x^T x", "sqrt(-1) is not defined: sqrt takes nonnegative numbers only"),
    ("log(1 - 1) + x^T x", "log(1 - 1) is not defined: log takes positive numbers only"),
])
def test_a_function_outside_its_domain_is_refused(capsys, expression, message):
    status, out, err = run(capsys, "derive", expression, "--wrt", "x")
    assert status == 2 and message in err and "^" in err


def test_a_scalar_over_a_vector_entry_by_entry():
    derivation = matcalc.derive("sum(2 ./ x) + sum(x ./ 2)", wrt="x")
    assert derivation.check() < 1e-8
    x = np.array([1.0, 2.0, 4.0])
    np.testing.assert_allclose(derivation.evaluate({"x": x}), -2 / x**2 + 0.5)


def test_an_elementwise_quotient_is_called_one(capsys):
    status, _, err = run(capsys, "derive", "sum(x ./ A)", "--wrt", "x")
    assert status == 2 and "an elementwise quotient needs equal shapes" in err


def test_an_unused_statement_gets_a_warning(capsys):
    status, out, err = run(capsys, "derive", "a = undefined_thing; l = x^T x", "--wrt", "x")
    assert status == 0 and "∂l/∂x = 2 x" in out
    assert err == "matcalc: warning: a = undefined_thing is never used\n"
    with pytest.warns(matcalc.MatcalcWarning, match="a = y is never used"):
        assert matcalc.derive("a = y; l = x^T x", wrt="x").check() < 1e-8


def test_an_unused_statement_is_warned_once_when_read_twice(capsys):
    # seed 004's upper-case Y read as a vector re-reads the program: one warning, not two
    status, out, err = run(capsys, "derive", "u = exp(Z); l = -Y^T log(softmax(Z))", "--wrt", "Z",
                           "--where", "Y: probability vector; Z: vector")
    assert status == 0 and "∂l/∂Z = s - Y" in out
    assert err == "matcalc: warning: u = exp(Z) is never used\n"
    with pytest.warns(matcalc.MatcalcWarning, match="never used"):
        derivation = matcalc.derive("u = exp(Z); l = -Y^T log(softmax(Z))", wrt="Z",
                                    where="Y: probability vector; Z: vector")
    assert derivation.check() < 1e-6


def test_a_used_statement_gets_none(recwarn):
    matcalc.derive("a1 = W1 x; h1 = sigma(a1); l = sum(h1)", wrt="W1")
    assert not [w for w in recwarn if issubclass(w.category, matcalc.MatcalcWarning)]
