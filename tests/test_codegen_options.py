"""``matcalc codegen`` takes derive's --layout and --method (SPEC §5, §8): a
numerator layout module returns ∂l/∂X^T and checks itself so; the method
is the one whose steps the comments cite, and every method's module gives
the same answers, those of evaluate and of finite differences."""

from __future__ import annotations

import runpy

import numpy as np
import pytest

import matcalc
from matcalc.calculus.methods import METHODS
from matcalc.cli import main
from codegen_support import finite_differences, user_values

PROGRAM = "A1 = W1 X + b1 1^T; H1 = tanh(A1); l = ||W2 H1 - Y||_F^2 + c^T W1 d"
WHERE = "X, Y: data"


def written(tmp_path, *options):
    path = tmp_path / "grad.py"
    assert main(["codegen", PROGRAM, "--wrt", "all", "--where", WHERE, "-o", str(path), *options]) == 0
    return path, path.read_text(encoding="utf-8")


def checks_itself(path, capsys):
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(path), run_name="__main__")
    assert exit.value.code == 0, capsys.readouterr().out


@pytest.mark.parametrize("layout", ["mixed", "numerator"])
@pytest.mark.parametrize("method", list(METHODS))
def test_codegen_takes_derives_layout_and_method(layout, method, tmp_path, capsys):
    path, text = written(tmp_path, "--layout", layout, "--method", method)
    docstring = text.split('"""')[1]
    assert (f"derived by the {method} method" in docstring) == (method != "trace")
    assert ("numerator layout" in docstring) == (layout == "numerator")
    checks_itself(path, capsys)
    gradients = matcalc.derive(PROGRAM, wrt="all", where=WHERE, layout=layout, method=method)
    values = user_values(gradients)
    found = runpy.run_path(str(path))["loss_and_gradients"](*[values[n] for n in gradients.problem.symbols])[1]
    expected = gradients.evaluate(values)
    mixed = matcalc.derive(PROGRAM, wrt="all", where=WHERE)
    for name, value in found.items():
        shape = np.shape(values[name])
        assert np.shape(value) == (shape[::-1] if layout == "numerator" else shape), name
        assert np.allclose(value, expected[name], rtol=1e-10, atol=1e-12), name
        numeric = finite_differences("derive", mixed, values, name)
        as_mixed = value.T if layout == "numerator" else value
        assert np.allclose(np.reshape(as_mixed, np.shape(numeric)), numeric, rtol=1e-6, atol=1e-6), name


def test_the_methods_answers_are_equal(tmp_path):
    values, answers = None, []
    for method in METHODS:
        path, _ = written(tmp_path, "--method", method)
        function = runpy.run_path(str(path))["loss_and_gradients"]
        names = function.__code__.co_varnames[:function.__code__.co_argcount]
        values = values or user_values(matcalc.derive(PROGRAM, wrt="all", where=WHERE))
        answers.append(function(*[values[n] for n in names]))
    for loss, gradients in answers[1:]:
        assert np.isclose(loss, answers[0][0], rtol=1e-12)
        for name, value in gradients.items():
            assert np.allclose(value, answers[0][1][name], rtol=1e-10, atol=1e-12), name


def test_a_numerator_layout_comment_names_the_transposed_gradient(tmp_path):
    _, text = written(tmp_path, "--layout", "numerator")
    assert "# ∂l/∂W1^T = " in text and "# ∂l/∂b1^T = " in text


@pytest.mark.parametrize("argv, message", [
    (["--method", "calculus"], "invalid choice: 'calculus'"),
    (["--layout", "denominator"], "invalid choice: 'denominator'"),
])
def test_an_unknown_layout_or_method_is_refused(argv, message, capsys):
    assert main_status(["codegen", PROGRAM, "--wrt", "all", *argv]) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def main_status(argv) -> int:
    try:
        return main(argv)
    except SystemExit as exit:                  # argparse's own refusals
        return exit.code
