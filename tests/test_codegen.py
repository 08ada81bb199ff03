"""Generated NumPy code (SPEC §8) agrees with ``evaluate`` and with finite
differences for every example, at distinct sizes; run as a script it checks
itself and exits 0."""

from __future__ import annotations

import runpy
import warnings

import numpy as np
import pytest

import matcalc
from codegen_support import EXAMPLES, arguments, derivation_of, finite_differences, generated, user_values


def relative(found, expected) -> float:
    found, expected = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(found - expected)) / max(np.max(np.abs(expected)), 1e-6))


def answers_of(command, derivation, values):
    """The generated module's answers, keyed by wrt, shaped like evaluate's."""
    namespace = generated(derivation)
    args = [values[name] for name in arguments(derivation)]
    if command == "jacobian":
        return {derivation.wrt: namespace["value_and_jacobian"](*args)[1]}
    if command == "hessian":
        return {derivation.wrt: namespace["hessian"](*args)}
    return namespace["loss_and_gradients"](*args)[1]


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES])
def test_generated_numpy_agrees_with_evaluate_and_differences(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        command, derivation = derivation_of(path)
    values = user_values(derivation)
    found = answers_of(command, derivation, values)
    expected = derivation.evaluate(values)
    if not isinstance(expected, dict):
        expected = {derivation.wrt: expected}
    assert set(found) == set(expected)
    for wrt, value in found.items():
        assert np.shape(value) == np.shape(expected[wrt]), wrt
        assert relative(value, expected[wrt]) <= 1e-8, wrt
        numeric = finite_differences(command, derivation, values, wrt)
        assert relative(np.reshape(value, np.shape(numeric)), numeric) <= 1e-6, wrt


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in EXAMPLES])
def test_the_generated_module_checks_itself(path, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, derivation = derivation_of(path)
    module = tmp_path / "grad.py"
    module.write_text(derivation.to_python("numpy"), encoding="utf-8")
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(module), run_name="__main__")
    assert exit.value.code == 0, capsys.readouterr().out
    assert "largest relative error" in capsys.readouterr().out


def textbook_problems():
    from test_textbook_set import PROBLEMS
    return [pytest.param(p, id=p.id) for p in PROBLEMS]


def textbook_derivation(problem):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return getattr(matcalc, problem.command)(problem.expr, wrt=problem.wrt, where=problem.where)
    except matcalc.MatcalcError as error:
        pytest.skip(f"matcalc does not derive it: {error}")


@pytest.mark.parametrize("problem", textbook_problems())
def test_generated_numpy_agrees_with_evaluate_on_the_textbook_set(problem):
    """An unseen set (tests/test_textbook_set.py): Matrix Cookbook, PRML, ... problems."""
    derivation = textbook_derivation(problem)
    values = user_values(derivation)
    with np.errstate(all="ignore"):
        expected = derivation.evaluate(values)
        found = answers_of(problem.command, derivation, values)[derivation.wrt]
    assert np.shape(found) == np.shape(expected)
    finite = np.isfinite(expected)
    assert np.array_equal(np.isfinite(found), finite)
    assert relative(np.asarray(found)[finite], expected[finite]) <= 1e-8


def run_as_script(derivation, target, folder, capsys):
    module = folder / f"grad_{target}.py"
    module.write_text(derivation.to_python(target), encoding="utf-8")
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(module), run_name="__main__")
    output = capsys.readouterr().out
    assert exit.value.code == 0 and "largest relative error" in output, output


@pytest.mark.parametrize("problem", textbook_problems())
def test_textbook_modules_check_themselves(problem, tmp_path, capsys):
    """The script finds data where the function is defined (X^T X regular, b - A x > 0) and agrees."""
    run_as_script(textbook_derivation(problem), "numpy", tmp_path, capsys)


@pytest.mark.parametrize("target", ["torch", "jax"])
@pytest.mark.parametrize("example", ["backprop/01_mlp_softmax_ce", "40_hessian_softmax_cross_entropy",
                                     "37_jacobian_inverse", "21_logdet_positive_definite"])
def test_torch_and_jax_modules_check_themselves(target, example, tmp_path, capsys):
    pytest.importorskip(target, reason=f"{target} is not installed (CI installs it)")
    from codegen_support import ROOT
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, derivation = derivation_of(ROOT / "examples" / f"{example}.sh")
    run_as_script(derivation, target, tmp_path, capsys)


@pytest.mark.parametrize("method", ["trace", "vec"])
def test_diag_of_a_one_by_one_value_is_that_value(method):
    """diag(u^T 1) of a 1×1 u^T 1 is the number itself (the vec method writes such a factor):
    the lowering must not take the diagonal of a number."""
    derivation = matcalc.derive("sum(kron((x^T W) .^ 2, sqrt(exp(z)) .^ 0.5))", wrt="x", method=method,
                                where="x: vector p by 1; W: p × n")      # soak seed 0, case 28
    values = user_values(derivation)
    with np.errstate(all="ignore"):
        found = derivation.evaluate(values)
        generated_answer = answers_of("derive", derivation, values)[derivation.wrt]
        numeric = finite_differences("derive", derivation, values, "x")
    assert relative(generated_answer, found) <= 1e-10
    assert relative(np.reshape(found, np.shape(numeric)), numeric) <= 1e-6
