"""LaTeX input (SPEC §11, issue 28): detection, names, refusals, matcalc.read, CLI and API."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import matcalc
from matcalc.cli import main
from matcalc.language.parser import parse_program
from matcalc.reading import read
from webserver import server  # noqa: F401  (the session fixture)


def plain_of(latex: str) -> str:
    return read(latex, input="latex").expression


@pytest.mark.parametrize("latex, plain", [
    (r"\mathbf{y}^\top \log \operatorname{softmax}(W_2 \mathbf{x})", "y^T log(softmax(W2 x))"),
    (r"x^TPx", "x^T P x"),
    (r"\log\det X", "logdet(X)"),
    (r"\ln\sigma(a)", "log(sigma(a))"),
    (r"\mathrm{tr}\, X^T A X", "tr(X^T A X)"),
    (r"\operatorname{Tr}(A) + \text{Tr}(B) + \mathrm{Tr}(C)", "tr(A) + tr(B) + tr(C)"),
    (r"\tfrac12 x^\top x", "1/2 x^T x"),
    (r"\lVert X \rVert_F^2", "||X||_F^{2}"),
    (r"\|\mathbf{x}\|_2^2", "||x||_2^{2}"),
    (r"\max\{0, W x\}", "relu(W x)"),
    (r"\mathbf{1}_n^\top \mathbf{x}", "ones^T x"),
    (r"x^\top (A + \lambda I_n)^{-1} x", "x^T (A + lambda I)^{-1} x"),
    (r"A^{\mathrm{T}} + B^\intercal + C^{\top} + D^{-\top}", "A^T + B^T + C^T + D^{-T}"),
    (r"\mathbf{W}^{(1)} + W_1 + W_{1}", "W1 + W1 + W1"),
    (r"h^{(t)} + x_t + \hat{y} + \tilde{x} + \bar{x} + x^*", "h_t + x_t + yhat + xtilde + xbar + xstar"),
    (r"S_{\mathrm{B}}", "S_B"),
    (r"A \odot B \circ C \otimes D \oslash E \cdot F", "A ⊙ B ⊙ C ⊗ D ./ E * F"),
    (r"\left( \mathbf{a} + \mathbf{b} \right)^\top \big(\mathbf{c}\big)", "(a + b)^T (c)"),
    (r"\exp(a) + e^{b} + \tanh a + \sqrt{c}", "exp(a) + exp(b) + tanh(a) + sqrt(c)"),
    (r"\frac{\mathbf{a}^\top \mathbf{b}}{\alpha}", "a^T b / alpha"),
    (r"a = W x \\ l = a^\top a", "a = W x; l = a^T a"),
    (r"\begin{aligned} a &= W x, \quad l &= a^\top a \end{aligned}", "a = W x; l = a^T a"),
    (r"\sigma\!\left(\mathbf{w}^{\!\top}\mathbf{x}\right)", "sigma(w^T x)"),
    (r"\exp\left\{-\tfrac{1}{2}\mathbf{x}^{\rm T}\mathbf{x}\right\} + \mathrm{e}^{a}", "exp(-1/2 x^T x) + exp(a)"),
    (r"{\bf x}^{\scriptscriptstyle\top} {\rm tr}(A) \|X\|_{\rm F}", "x^T tr(A) ||X||_F"),
    (r"{\cal L} := \mathbf{x}^\top \mathbf{x}", "L = x^T x"),
    (r"\|\mathbf{w}\|_1 + \frac{\mathbf{a}^\top \mathbf{b}}{\sqrt{d_k}}", "sum(abs(w)) + a^T b / sqrt(d_k)"),
])
def test_reads_as(latex, plain):
    assert plain_of(latex) == plain
    parse_program(plain)                          # and the plain text is in matcalc's language


@pytest.mark.parametrize("latex, message, caret", [
    (r"\arg\min_x \|x\|", "optimisation", r"\arg"),
    (r"\langle A, B \rangle", "inner product", r"\langle"),
    (r"x^\top A x = 1", "left side", r"x^\top A x "),
    (r"\sum_i x_i", "sum over an index", r"\sum"),
    (r"\frac{\partial l}{\partial W}", "derivative already", r"\partial"),
    (r"\operatorname{rank}(A)", "unknown function", r"\operatorname{rank}"),
    (r"\mu + \boldsymbol{\mu}", "both read as mu", r"\boldsymbol{\mu}"),
    (r"\|A\|_1", "only the 2-norm", "_1"),
    (r"|\mathbf{x}|", "could be its norm", "|"),
    (r"\begin{pmatrix} a \end{pmatrix}", "environment 'pmatrix'", r"\begin"),
])
def test_refusals_point_at_the_latex(latex, message, caret):
    with pytest.raises(matcalc.ParseError) as caught:
        read(latex)
    error = caught.value
    assert message in error.message
    assert error.source == latex
    assert latex[slice(*error.span)].startswith(caret.strip())


def test_shape_errors_point_at_the_latex():
    latex = r"\mathbf{x}^\top A \mathbf{y} + B \mathbf{x}"
    with pytest.raises(matcalc.ShapeError) as caught:
        matcalc.derive(latex, wrt="x")
    assert caught.value.source == latex and caught.value.span is not None
    assert "read as: x^T A y + B x" in caught.value.message


def test_ambiguous_readings_are_said():
    assert any("det" in note for note in read(r"|\Sigma| + |\mathbf{a}^\top \mathbf{b}|").notes)
    assert read(r"|\mathbf{a}^\top \mathbf{b}|").expression == "abs(a^T b)"
    assert any("transpose" in note for note in read("x' A x", input="latex").notes)
    assert any("σ" in note for note in read(r"\sigma^2 \mathbf{x}").notes)
    reading = read(r"(y - \mathbf{w}^\top \mathbf{x})^2")
    assert {s.name: s.kind for s in reading.symbols}["y"] == "scalar"
    with pytest.warns(matcalc.MatcalcWarning, match="scalar"):
        matcalc.derive(r"(y - \mathbf{w}^\top \mathbf{x})^2", wrt="w")


def test_bold_greek_is_a_vector_and_plain_greek_a_scalar():
    symbols = {s.name: s for s in read(r"\boldsymbol{\mu}^\top \boldsymbol{\Sigma} \boldsymbol{\mu} + \lambda").symbols}
    assert (symbols["mu"].kind, symbols["Sigma"].kind, symbols["lambda"].kind) == ("vector", "matrix", "scalar")
    assert symbols["mu"].latex == r"\boldsymbol{\mu}"


def test_detection_and_explicit_input():
    assert read("x^T A x").input == "text"
    assert read(r"\mathbf{x}^\top A \mathbf{x}").input == "latex"
    assert read("x'Ax", input="latex").expression == "x^T A x"
    with pytest.raises(matcalc.MatcalcError, match="input must be"):
        read("x", input="html")


def test_wrt_where_and_evaluate_accept_either_spelling():
    latex = r"-\mathbf{y}^\top \log \operatorname{softmax}(\mathbf{W}^{(2)} \sigma(\mathbf{W}^{(1)} \mathbf{x}))"
    by_latex = matcalc.derive(latex, wrt=r"\mathbf{W}^{(1)}", where=r"\mathbf{y}: probability vector")
    by_name = matcalc.derive(latex, wrt="W1", where="y: probability vector")
    plain = matcalc.derive("-y^T log(softmax(W2 sigma(W1 x)))", wrt="W1", where="y: probability vector")
    rng = np.random.default_rng(0)
    values = {"W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(5, 4)), "x": rng.normal(size=3),
              "y": np.full(5, 0.2)}
    spelled = {r"\mathbf{W}^{(1)}": values["W1"], "W_2": values["W2"], r"\mathbf{x}": values["x"], "y": values["y"]}
    expected = plain.evaluate(values)
    assert np.allclose(by_latex.evaluate(spelled), expected)
    assert np.allclose(by_name.evaluate(values), expected)
    gradients = matcalc.derive(latex, wrt="all", where="y, x: data")
    assert set(gradients) == {"W1", "W2"} and gradients[r"\mathbf{W}^{(2)}"] is gradients["W2"]


def test_the_issue_example_and_the_seed_program():
    d = matcalc.derive(r"\mathbf{y}^\top \log \operatorname{softmax}(W_2 \mathbf{x})", wrt="W_2")
    assert d.check() < 1e-6
    assert d.latex().startswith(r"\frac{\partial l}{\partial W_{2}} = ") and r"\mathbf{y}" in d.latex()
    seed = r"""\begin{aligned}
    \boldsymbol{a}_1 &= W_1 \boldsymbol{x} \\ \boldsymbol{h}_1 &= \sigma(\boldsymbol{a}_1) \\
    \boldsymbol{a}_2 &= W_2 \boldsymbol{h}_1 \\ \hat{\boldsymbol{y}} &= \operatorname{softmax}(\boldsymbol{a}_2) \\
    l &= -\boldsymbol{y}^T \log(\hat{\boldsymbol{y}}) \end{aligned}"""
    plain = "a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; yhat = softmax(a2); l = -y^T log(yhat)"
    assert matcalc.derive(seed, wrt="W_1").text() == matcalc.derive(plain, wrt="W1").text()


def test_read_api_text_and_json():
    reading = read(r"\frac{1}{2}\|A\mathbf{x} - \mathbf{b}\|_2^2")
    assert reading.expression == "1/2 ||A x - b||_2^{2}"
    assert [(s.name, s.latex, s.kind) for s in reading.symbols] == [
        ("A", "A", "matrix"), ("x", r"\mathbf{x}", "vector"), ("b", r"\mathbf{b}", "vector")]
    assert reading.text().startswith("read as: 1/2 ||A x - b||_2^{2}")
    assert json.loads(json.dumps(reading.json()))["symbols"][1]["latex"] == r"\mathbf{x}"
    assert reading.name_of(r"\mathbf{x}") == "x"


def test_derivation_json_lists_the_symbols():
    data = matcalc.derive(r"\mathbf{a}^\top \mathbf{W}^{(1)} \mathbf{b}", wrt="W1").json()
    assert {"name": "W1", "latex": r"\mathbf{W}^{(1)}", "kind": "matrix", "shape": data["symbols"][1]["shape"]} \
        in data["symbols"]


def test_cli_read_and_input(capsys):
    assert main(["read", r"\mathbf{x}^\top A \mathbf{x}"]) == 0
    assert "read as: x^T A x" in capsys.readouterr().out
    assert main(["read", r"\mathbf{x}^\top A \mathbf{x}", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["expression"] == "x^T A x"
    assert main(["derive", "x'Ax", "--wrt", "x", "--input", "latex", "--no-steps"]) == 0
    assert "A x + A^T x" in capsys.readouterr().out.replace("(A + A^T) x", "A x + A^T x")
    assert main(["derive", r"\langle A, B\rangle", "--wrt", "A"]) == 2
    error = capsys.readouterr().err
    assert "inner product" in error and "^" in error and "Traceback" not in error
    assert main(["derive", "-\\mathbf{x}^\\top \\mathbf{x}", "--wrt", r"\mathbf{x}", "--format", "json"]) == 0


def test_deep_latex_is_refused_cleanly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(matcalc.MatcalcError):
            matcalc.derive("\\left(" * 3000 + "x" + "\\right)" * 3000, wrt="x")


def test_the_page_api_reads_latex(server):
    import httpx
    response = httpx.get(server.url + "/api/derive", params={"expr": "x'Ax", "wrt": "x", "input": "latex"}, timeout=600)
    assert response.status_code == 200
    data = response.json()
    assert data["expression"] == "x^T A x" and any("transpose" in w for w in data["warnings"])
    assert [s["name"] for s in data["symbols"]] == ["x", "A"]
    bad = httpx.get(server.url + "/api/derive", params={"expr": r"\langle A, B\rangle", "wrt": "A"}, timeout=600)
    assert bad.status_code == 400 and "inner product" in bad.json()["error"]["message"]


def test_more_readings_are_said():
    assert read(r"f(\mathbf{x}) = \mathbf{x}^\top A \mathbf{x}").notes == (
        r"read the left side f(\mathbf{x}) as the name f",)
    assert read(r"\log|\boldsymbol{\Sigma}|").notes == (r"read \log|\boldsymbol{\Sigma}| as logdet(Sigma)",)
    assert "column by column" in read(r"\operatorname{tr}(G^\top \operatorname{softmax}(K^\top Q))").notes[0]
    assert read(r"\mathbf{v}^\top \operatorname{softmax}(K^\top \mathbf{q})").notes == ()
    assert read(r"\lambda(\mathbf{a} + \mathbf{b})").notes == (r"read \lambda(…) as the scalar lambda times (…), not a function",)


def test_a_line_continuation_is_not_latex():
    assert read("x^T A \\\nx").input == "text"


PIECES = [r"\mathbf{x}", r"\mathbf{W}^{(1)}", "W_1", "x", "A", r"\sigma", "(", ")", r"\left(", r"\right)", "^T",
          r"^\top", "^{-1}", "^2", "_2", "_F", r"\|", "|", "+", "-", r"\frac", "{", "}", r"\log", r"\det",
          r"\operatorname{tr}", r"\odot", r"\cdot", "'", r"\\", ";", ",", r"\quad", "=", r"\hat{y}", r"\max\{0,",
          r"\}", r"\sqrt", "e^{", r"\tfrac12", r"\mathbf{1}_n", "I_n", r"\big(", r"\lVert", r"\rVert",
          r"\begin{aligned}", r"\end{aligned}", "&", r"\boldsymbol{\mu}", "^{(t)}", "^*", r"\langle", r"\sum", "_",
          "^", r"\mathrm{d}", r"\intercal", "\n", r"\\[2pt]", "[", "]", r"\{"]


def test_random_latex_gets_an_answer_or_a_clear_refusal():
    """Pieces of LaTeX thrown together: read, or a MatcalcError; never another exception."""
    import random
    rng = random.Random(28)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(400):
            text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 20)))
            try:
                read(text, input="latex")
            except matcalc.MatcalcError as error:
                assert error.message


@pytest.mark.parametrize("deep", ["\\hat{" * 5000 + "x" + "}" * 5000, "\\left(" * 3000 + "x" + "\\right)" * 3000,
                                  "\\sqrt{" * 3000 + "x" + "}" * 3000])
def test_deep_latex_is_a_limit_error(deep):
    with pytest.raises(matcalc.LimitError, match="levels deep"):
        matcalc.derive(deep, wrt="x")


def test_every_cut_of_the_textbook_formulas_reads_or_is_refused():
    """Each formula of the set cut short anywhere: read (into text the parser takes) or a MatcalcError."""
    import tomllib
    from pathlib import Path
    from matcalc.language.latex import read_latex
    formulas = tomllib.loads((Path(__file__).parent / "data" / "latex_formulas.toml").read_text(encoding="utf-8"))
    for formula in formulas["formula"]:
        latex = formula["latex"]
        for cut in range(1, len(latex)):
            try:
                parse_program(read_latex(latex[:cut]).plain)
            except matcalc.MatcalcError as error:
                assert error.message
