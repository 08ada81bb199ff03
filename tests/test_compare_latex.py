"""A hand-derived answer typed in LaTeX (SPEC §10 "matcalc's language or
LaTeX", §11), issue #27 with #28: ``compare`` reads a candidate with a
backslash as LaTeX, in the problem's symbols under either spelling.

Each case holds a LaTeX candidate and the same answer in matcalc's language:
the two must read to the same value on the test's own random data (sizes
3, 4, 5, ...), get the same verdict, and the verdict's claim is checked on
that data as ``test_compare`` checks it (equal: the answer's value; factor:
the factor times it; missing-term: off by the term named; ...).
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import matcalc
from test_compare import KINDS, Case, close, regular_draw, verify, verify_assumption
from webserver import server  # noqa: F401  (the session fixture)

# kind | function | wrt | where | candidate in LaTeX | the same in matcalc's language
LATEX_CASES = [
    ("equal", "x^T A x", "x", "", r"\mathbf{A}\mathbf{x} + \mathbf{A}^\top \mathbf{x}", "A x + A^T x"),
    ("equal", "x^T A x", "x", "", r"\left(A + A^{\mathsf{T}}\right) x", "(A + A^T) x"),
    ("equal", "x^T A x", "x", "A: symmetric", r"2\,\mathbf{A}\mathbf{x}", "2 A x"),
    ("equal", "logdet(X)", "X", "", r"X^{-\top}", "inv(X)^T"),
    ("equal", "logdet(X)", "X", "", r"(X^{\top})^{-1}", "inv(X^T)"),
    ("equal", "1^T sigma(a)", "a", "", r"\sigma(a) \odot (\mathbf{1} - \sigma(a))", "sigma(a) .* (1 - sigma(a))"),
    ("equal", "||A x - b||^2", "x", "", r"2A^\top(A\mathbf{x} - \mathbf{b})", "2 A^T (A x - b)"),
    ("equal", "||A x - b||^2", "x", "", r"-2\mathbf{A}^T(\mathbf{b} - \mathbf{A}\mathbf{x})", "-2 A^T (b - A x)"),
    ("equal", "tr(A X B)", "X", "", r"A^\top B^\top", "A^T B^T"),
    ("equal", "-y^T log(softmax(a))", "a", "y: probability vector", r"\operatorname{softmax}(a) - \mathbf{y}",
     "softmax(a) - y"),
    ("equal", "||X A^T - B||_F^2", "X", "", r"2\left(X A^\top - B\right) A", "2 (X A^T - B) A"),
    ("equal", "det(X)", "X", "", r"\det(X)\, X^{-\top}", "det(X) inv(X)^T"),
    ("equal", "sum(tanh(x))", "x", "", r"\mathbf{1} - \tanh(x) \odot \tanh(x)", "1 - tanh(x) .* tanh(x)"),
    ("equal", "log(1^T exp(a))", "a", "", r"\frac{\exp(a)}{\mathbf{1}^\top \exp(a)}", "exp(a) / (1^T exp(a))"),
    ("equal", "0.5 ||x||^2", "x", "", r"\tfrac12 \cdot 2\mathbf{x}", "1/2 * 2 x"),
    ("transpose", "logdet(X)", "X", "", r"\mathbf{X}^{-1}", "inv(X)"),
    ("transpose", "tr(A X)", "X", "X: n x n", r"\mathbf{A}", "A"),
    ("sign", "||A x - b||^2", "x", "", r"2A^\top(\mathbf{b} - A\mathbf{x})", "2 A^T (b - A x)"),
    ("factor", "||A x - b||^2", "x", "", r"A^\top(A\mathbf{x} - \mathbf{b})", "A^T (A x - b)"),
    ("factor", "x^T x", "x", "", r"\frac{2}{3}\mathbf{x}", "2/3 x"),
    ("missing-term", "||y - X w||^2 + lambda ||w||^2", "w", "", r"2X^\top(X\mathbf{w} - \mathbf{y})",
     "2 X^T (X w - y)"),
    ("order", "tr(A X B)", "X", "", r"B^\top A^\top", "B^T A^T"),
    ("symmetric-only", "x^T A x", "x", "", r"2\mathbf{A}\mathbf{x}", "2 A x"),
    ("layout", "y^T W x", "W", "", r"\mathbf{x} \mathbf{y}^{\top}", "x y^T"),
    ("shape", "x^T A x", "x", "", r"A + A^\top", "A + A^T"),
    ("different", "x^T A x", "x", "", r"A^{-1} \mathbf{x}", "inv(A) x"),
    ("different", "logdet(X)", "X", "", r"\log|X|\, X", "logdet(X) X"),
]


def _case(kind, function, wrt, where, latex, _plain) -> Case:
    return Case(kind, "gradient", function, wrt, where, latex)


@pytest.mark.parametrize("kind, function, wrt, where, latex, plain", LATEX_CASES, ids=lambda v: str(v))
def test_a_latex_candidate_gets_the_verdict_of_its_plain_form(kind, function, wrt, where, latex, plain):
    derivation = matcalc.derive(function, wrt=wrt, where=where)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matcalc.MatcalcWarning)
        verdict = derivation.compare(latex)
    same = derivation.compare(plain)
    assert verdict.kind == kind == same.kind, verdict.text()
    assert verdict.detail == same.detail
    assert verdict.candidate == latex and verdict.read_as        # as typed, and as read
    assert f"{latex} (read as " in verdict.text()
    case = _case(kind, function, wrt, where, latex, plain)
    for seed in (1, 2):
        values = regular_draw(derivation, where, seed)
        if verdict.reading:                                      # the LaTeX reads to the plain form's value
            assert close(verdict.evaluate(values), same.evaluate(values))
        verify(derivation, case, verdict, values)
        if kind == "symmetric-only":
            verify_assumption(derivation, case, verdict, seed)


def test_every_kind_has_a_latex_case():
    assert {case[0] for case in LATEX_CASES} == set(KINDS)
    assert all("\\" in case[4] for case in LATEX_CASES)        # a backslash: each is read as LaTeX


# ------------------------------------------------------------ the user's notation

LAYER = r"\frac{1}{2}\left\| \mathbf{W}^{(1)} \mathbf{x} - \mathbf{y} \right\|_2^2"


@pytest.mark.parametrize("candidate", [
    r"(\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y})\mathbf{x}^\top",      # the problem's spelling
    r"\left(W_1 \mathbf{x} - \mathbf{y}\right) \mathbf{x}^T",           # another LaTeX spelling of W1
    r"(W1 \mathbf{x} - \mathbf{y}) \mathbf{x}^{\top}",                  # the plain name inside LaTeX
    "(W1 x - y) x^T",                                                   # matcalc's language
])
def test_either_spelling_of_a_name_is_the_problems_symbol(candidate):
    derivation = matcalc.derive(LAYER, wrt=r"\mathbf{W}^{(1)}")
    verdict = derivation.compare(candidate)
    assert verdict.equal, verdict.text()
    rng = np.random.default_rng(7)
    values = {"W1": rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "y": rng.standard_normal(3)}
    expected = np.outer(values["W1"] @ values["x"] - values["y"], values["x"])
    assert close(verdict.evaluate(values), expected)
    assert close(derivation.evaluate(values), expected)


def test_the_verdicts_latex_is_in_the_users_notation():
    derivation = matcalc.derive(LAYER, wrt=r"\mathbf{W}^{(1)}")
    verdict = derivation.compare(r"2(\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y})\mathbf{x}^\top")
    assert verdict.kind == "factor" and verdict.detail == "2"
    assert r"\partial \mathbf{W}^{(1)}" in verdict._repr_latex_() + verdict._repr_markdown_()
    assert r"\mathbf{W}^{(1)}" in verdict.latex_answer and r"\mathbf{x}" in verdict.latex_answer
    assert verdict.latex_candidate == r"2(\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y})\mathbf{x}^\top"
    plain = derivation.compare("2 (W1 x - y) x^T")                  # a plain candidate, printed in LaTeX
    assert plain.kind == "factor" and r"\mathbf{W}^{(1)}" in plain.latex_candidate
    assert verdict.json()["read_as"] == "2 (W1 x - y) x^T" and plain.json()["read_as"] is None


def test_a_gradient_of_a_backward_pass_compares_latex():
    gradients = matcalc.derive(r"\mathbf{a} = W_1 \mathbf{x} + \mathbf{b}; \ell = \|\mathbf{a}\|^2",
                               wrt=r"W_1, \mathbf{b}")
    assert gradients["W1"].compare(r"2(W_1\mathbf{x} + \mathbf{b})\mathbf{x}^\top").equal
    assert gradients[r"\mathbf{b}"].compare(r"\mathbf{a}").detail == "1/2"


@pytest.mark.parametrize("candidate, message, caret", [
    (r"\mathbf{B}\mathbf{x}", "'B' is not a symbol of the problem", r"\mathbf{B}"),
    (r"\mathbf{A} + \mathbf{x}", "shapes differ", None),
    (r"\frac{\mathbf{A}\mathbf{x}}", "", None),
    (r"\arg\min_x A x", "", None),
])
def test_an_unreadable_latex_candidate_is_a_clear_error_on_the_latex(candidate, message, caret):
    derivation = matcalc.derive("x^T A x", wrt="x")
    with pytest.raises(matcalc.MatcalcError) as caught:
        derivation.compare(candidate)
    error = caught.value
    assert message in str(error) and error.source == candidate
    if caret:
        assert error.span is not None and candidate[error.span[0]:error.span[1]] == caret


def test_input_says_which_language_the_candidate_is_in():
    derivation = matcalc.derive("x^T A x", wrt="x")
    same = derivation.compare("A x + A^T x", input="latex")
    assert same.read_as == "A x + A^T x" and same.equal and "read as" not in same.text()   # said once
    with pytest.raises(matcalc.MatcalcError):
        derivation.compare(r"A x + A^\top x", input="text")     # the backslash is not matcalc's language
    with pytest.raises(matcalc.MatcalcError, match="input must be"):
        derivation.compare("A x", input="tex")


# ------------------------------------------------------------ a hand derivation in LaTeX

STEPS = r"""\begin{aligned}
\ell &= \mathbf{x}^\top A \mathbf{x} \\
\mathrm{d}\ell &= \mathrm{d}\mathbf{x}^\top A \mathbf{x} + \mathbf{x}^\top A\, \mathrm{d}\mathbf{x} \\
 &= \mathbf{x}^\top A^\top \mathrm{d}\mathbf{x} + \mathbf{x}^\top A\, d\mathbf{x} \\
\frac{\partial \ell}{\partial \mathbf{x}} &= (A + A^\top)\mathbf{x}
\end{aligned}"""


def test_a_hand_derivation_in_latex_is_checked_line_by_line():
    from matcalc.compare.steps import check_steps
    derivation = matcalc.derive("x^T A x", wrt="x")
    checked = check_steps(derivation, STEPS)
    assert checked.equal and len(checked.lines) == 4 and checked.answer.equal
    wrong = STEPS.replace(r"A^\top \mathrm{d}\mathbf{x}", r"A \mathrm{d}\mathbf{x}")
    checked = check_steps(derivation, wrong)
    assert checked.first_wrong.number == 4 and "only if A is symmetric" in checked.first_wrong.why


def test_a_hand_derivation_in_latex_with_the_users_names():
    from matcalc.compare.steps import check_steps
    derivation = matcalc.derive(LAYER, wrt=r"\mathbf{W}^{(1)}")
    lines = "\n".join([
        r"\mathrm{d}l = (\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y})^\top \mathrm{d}\mathbf{W}^{(1)} \mathbf{x}",
        r"\nabla_{\mathbf{W}^{(1)}} l = (\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y})\mathbf{x}^\top",
    ])
    checked = check_steps(derivation, lines)
    assert checked.equal, checked.text()
    checked = check_steps(derivation, lines.replace(r"\mathbf{x}^\top", r"2\mathbf{x}^\top"))
    assert checked.first_wrong.number == 2 and "(factor)" in checked.first_wrong.why


@pytest.mark.parametrize("differential, answer", [
    (r"\mathrm{d}\ell", r"\frac{\partial \ell}{\partial \mathbf{x}}"),
    (r"d\ell", r"\frac{d\ell}{d\mathbf{x}}"),
    (r"d \ell", r"\partial \ell / \partial \mathbf{x}"),
    (r"\text{d} l", r"\nabla_x \ell"),
    ("dl", "∂l/∂x"),
])
def test_the_left_sides_as_typeset(differential, answer):
    from matcalc.compare.steps import check_steps
    derivation = matcalc.derive("x^T A x", wrt="x")
    wrong = check_steps(derivation, f"{differential} = 2 \\mathbf{{x}}^\\top A\\, d\\mathbf{{x}}\n{answer} = 2 A x")
    assert wrong.first_wrong.number == 1 and "only if A is symmetric" in wrong.first_wrong.why
    right = check_steps(derivation, f"{differential} = \\mathbf{{x}}^\\top (A + A^T) d\\mathbf{{x}}\n{answer} = 2 A x")
    assert right.lines[0].follows and not right.lines[1].follows and right.answer.kind == "symmetric-only"


# ------------------------------------------------------------ the command line

def test_the_cli_compares_a_latex_answer(run_cli):
    status, out, err = run_cli("derive", r"\mathbf{x}^\top \mathbf{A} \mathbf{x}", "--wrt", r"\mathbf{x}",
                               "--compare", r"2\mathbf{A}\mathbf{x}", "--no-steps")
    assert status == 1, err
    assert re.search(r"Different \(symmetric-only\): 2\\mathbf\{A\}\\mathbf\{x\} \(read as 2 A x\)", out)
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", r"(A + A^\top)\mathbf{x}")
    assert status == 0 and "Equal:" in out
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare", r"\mathbf{B}\mathbf{x}")
    assert status == 2 and "not a symbol" in err and r"\mathbf{B}" in err and "Traceback" not in err


# ------------------------------------------------------------ the page's API

def test_the_page_api_compares_a_latex_answer(server):
    import httpx
    params = {"expr": r"\frac12\|\mathbf{W}^{(1)}\mathbf{x} - \mathbf{y}\|^2", "wrt": r"\mathbf{W}^{(1)}",
              "compare": r"(W_1\mathbf{x} - \mathbf{y})\mathbf{x}^\top"}
    response = httpx.get(server.url + "/api/derive", params=params, timeout=600)
    assert response.status_code == 200
    verdict = response.json()["compare"]
    assert verdict["equal"] and verdict["read_as"] == "(W1 x - y) x^T"
    response = httpx.get(server.url + "/api/derive", params={**params, "compare": r"\mathbf{B}\mathbf{x}"}, timeout=600)
    assert response.status_code == 400 and "not a symbol" in response.json()["error"]["message"]


def test_the_cli_checks_a_latex_steps_file(run_cli, tmp_path):
    steps = tmp_path / "steps.tex"
    steps.write_text(STEPS, encoding="utf-8")
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare-steps", str(steps), "--no-steps")
    assert status == 0 and "Every line follows from the one before (4 lines)" in out, err
    steps.write_text(STEPS.replace(r"A^\top \mathrm{d}\mathbf{x}", r"A \mathrm{d}\mathbf{x}"), encoding="utf-8")
    status, out, err = run_cli("derive", "x^T A x", "--wrt", "x", "--compare-steps", str(steps), "--no-steps")
    assert status == 1 and "Line 4 does not follow" in out


@pytest.mark.parametrize("labelled, kind", [
    (r"\frac{\partial \ell}{\partial \mathbf{x}} = 2A\mathbf{x}", "symmetric-only"),
    (r"\nabla_{\mathbf{x}} \ell = (A + A^\top)\mathbf{x}", "equal"),
    ("∂l/∂x = A x + A^T x", "equal"),
    ("dl/dx = x^T (A + A^T)", "layout"),
])
def test_an_answer_written_with_its_label(labelled, kind):
    """Students paste the whole line: the label is checked and the answer after it compared."""
    derivation = matcalc.derive("x^T A x", wrt="x")
    verdict = derivation.compare(labelled)
    answer = labelled.split("=", 1)[1].strip()
    assert verdict.kind == kind == derivation.compare(answer).kind and verdict.candidate == answer
    values = regular_draw(derivation, "", 1)
    assert close(verdict.evaluate(values), derivation.compare(answer).evaluate(values))


def test_a_label_of_another_gradient_is_refused():
    with pytest.raises(matcalc.MatcalcError, match=r"is not ∂l/∂x, the answer derived"):
        matcalc.derive("x^T A x", wrt="x").compare(r"\nabla_{\mathbf{A}} \ell = \mathbf{x}\mathbf{x}^\top")
