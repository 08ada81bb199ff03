"""LaTeX input, second round (issue #28 items 3-4, SPEC §11): readings said in
derive's output too, the JSON carrying the LaTeX as typed beside its plain
reading, and ``log det(X)`` (a space) and ``\\log\\det X`` read as logdet, each
derivative checked against finite differences of log|det X| on random data."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import matcalc

ATTENTION = r"\operatorname{tr}\left(G^\top \operatorname{softmax}(K^\top Q)\right)"


def _said(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", matcalc.MatcalcWarning)
        result = call()
    return result, [str(w.message) for w in caught]


@pytest.mark.parametrize("command", [matcalc.derive, matcalc.hessian])
def test_softmax_of_a_matrix_is_said_by_derive_too(command):
    _, said = _said(lambda: command(ATTENTION, wrt="Q"))
    assert sum("column by column" in note for note in said) == 1, said
    assert said == list(matcalc.read(ATTENTION).notes)          # what read() says, and only that


def test_softmax_of_a_vector_or_plain_input_says_nothing():
    assert _said(lambda: matcalc.derive(r"\mathbf{v}^\top \operatorname{softmax}(K^\top \mathbf{q})",
                                        wrt=r"\mathbf{q}"))[1] == []
    assert _said(lambda: matcalc.derive("tr(G^T softmax(K^T Q))", wrt="Q"))[1] == []   # SPEC §1 is the language


def test_a_program_with_softmax_of_a_matrix_is_said_once():
    program = r"S = \operatorname{softmax}(K^\top Q) \\ \ell = \operatorname{tr}(G^\top S)"
    gradients, said = _said(lambda: matcalc.derive(program, wrt="Q, K"))
    assert [note for note in said if "column by column" in note] and len(said) == len(set(said))
    assert gradients.json()["input"]["notes"] == said


def test_the_cli_says_it_on_stderr(run_cli):
    status, out, err = run_cli("derive", ATTENTION, "--wrt", "Q", "--no-steps")
    assert status == 0 and "matcalc: warning: read softmax of a matrix column by column" in err


def test_the_json_carries_the_latex_as_typed_and_the_plain_reading():
    latex = r"\frac12\left\| \mathbf{W}^{(1)} \mathbf{x} - \mathbf{y} \right\|^2 + \log|\mathbf{S}|"
    derivation, said = _said(lambda: matcalc.derive(latex, wrt=r"\mathbf{W}^{(1)}"))
    typed = derivation.json()["input"]
    assert typed == {"language": "latex", "source": latex, "plain": matcalc.read(latex).expression,
                     "notes": said}
    assert "W1" in typed["plain"] and "logdet(S)" in typed["plain"]
    plain = matcalc.derive("x^T A x", wrt="x").json()["input"]
    assert plain == {"language": "text", "source": "x^T A x", "plain": "x^T A x", "notes": []}


def test_the_cli_json_of_a_latex_program(run_cli):
    status, out, _ = run_cli("derive", ATTENTION, "--wrt", "Q", "--format", "json", "--no-steps")
    typed = json.loads(out)["input"]
    assert status == 0 and typed["source"] == ATTENTION and typed["plain"] == "tr(G^T softmax(K^T Q))"
    assert any("column by column" in note for note in typed["notes"])


# ------------------------------------------------------------ log det

@pytest.mark.parametrize("written", [
    "log det(X)", "ln det(X)", "log  det(X)", r"\log\det X", r"\log \det(X)", r"\log\det\left(X\right)",
    "logdet(X)", r"\ln|X|",
])
def test_log_det_is_logdet(written):
    derivation, _ = _said(lambda: matcalc.derive(written, wrt="X"))
    assert derivation.problem.expr == matcalc.derive("logdet(X)", wrt="X").problem.expr
    rng = np.random.default_rng(3)
    x = np.eye(4) + 0.3 * rng.standard_normal((4, 4))
    gradient = np.asarray(derivation.evaluate({"X": x}))
    step, numeric = 1e-6, np.zeros((4, 4))
    for i in range(4):
        for j in range(4):
            e = np.zeros((4, 4))
            e[i, j] = step
            numeric[i, j] = (np.linalg.slogdet(x + e)[1] - np.linalg.slogdet(x - e)[1]) / (2 * step)
    assert np.allclose(gradient, numeric, atol=1e-6)


def test_log_det_in_a_larger_expression():
    derivation = matcalc.derive("2 log det(X^T X) - tr(X^T X)", wrt="X")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 3))
    assert np.allclose(derivation.evaluate({"X": x}), 4 * x @ np.linalg.inv(x.T @ x) - 2 * x)


def test_log_det_with_a_space_is_a_compare_candidate_too():
    derivation = matcalc.derive("logdet(X) tr(X)", wrt="X")
    assert derivation.compare("log det(X) I + tr(X) inv(X)^T").equal
    assert derivation.compare(r"\log\det(X)\, I + \operatorname{tr}(X) X^{-\top}").equal


def test_gradients_compare_through_their_items():
    """There is no Gradients.compare: each gradient compares itself (README)."""
    gradients = matcalc.derive("a = W x + b; l = ||a||^2", wrt="W, b")
    assert not hasattr(gradients, "compare")
    assert gradients["W"].compare("2 (W x + b) x^T").equal
    assert gradients["b"].compare(r"2(W\mathbf{x} + \mathbf{b})").equal
