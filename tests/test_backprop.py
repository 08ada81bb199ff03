"""Many parameters at once: one backward sweep in the program's names (SPEC §2, §4, §5, §7; issue 12)."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.cli import main
from matcalc.language import ast as A
from matcalc.numeric.data import random_point
from matcalc.numeric.differences import gradient_with_error
from matcalc.numeric.evaluate import bind_values, evaluate_named
from matcalc.printers.text import to_text

MLP = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
PROBABILITY = "y: probability vector"


def _reference(gradients, name, seed=3):
    """∂l/∂name by finite differences of the written-out function, and the point."""
    problem = gradients.problem
    values = random_point(problem.expr, problem.env, seed=seed).values
    point, _ = bind_values(values, problem.symbols, problem.env)
    return gradient_with_error(problem.expr, name, point, problem.env)[0], values


def test_the_mlp_reads_as_the_four_backprop_equations():
    g = matcalc.derive(MLP, wrt="W1, b1, W2, b2", where=PROBABILITY)
    assert list(g) == ["W1", "b1", "W2", "b2"]
    equations = g.text().split("\n\n")[-1].splitlines()
    assert equations == ["δa2 = s - y",
                         "∂l/∂W2 = δa2 h1^T        ∂l/∂b2 = δa2",
                         "δh1 = W2^T δa2",
                         "δa1 = δh1 ⊙ h1 ⊙ (1 - h1)",
                         "∂l/∂W1 = δa1 x^T        ∂l/∂b1 = δa1"]
    assert g.check() < 1e-6


@pytest.mark.parametrize("wrt", [["W1", "W2"], "W1,W2", "W1, W2"])
def test_every_way_of_asking_for_several(wrt):
    g = matcalc.derive(MLP, wrt=wrt, where=PROBABILITY)
    assert set(g) == {"W1", "W2"}
    assert g["W2"].named_result == matcalc.derive(MLP, wrt="W2", where=PROBABILITY).named_result


def test_all_means_every_symbol_not_declared_data():
    g = matcalc.derive(MLP, wrt="all", where=PROBABILITY + "; x, y: data")
    assert list(g) == ["W1", "b1", "W2", "b2"]
    everything = matcalc.derive(MLP, wrt="all", where=PROBABILITY)
    assert set(everything) == {"W1", "b1", "W2", "b2", "x", "y"}


def test_each_gradient_is_a_derivation_that_agrees_with_finite_differences():
    g = matcalc.derive(MLP, wrt="all", where=PROBABILITY + "; x: data")
    for name, derivation in g.items():
        numeric, values = _reference(g, name)
        answer = np.asarray(derivation.evaluate(values)).reshape(numeric.shape)
        assert np.max(np.abs(answer - numeric)) <= 1e-6 * max(1.0, np.max(np.abs(numeric))), name
        assert derivation.check() < 1e-6
        assert "∂l/∂" + name in derivation.text()
    values = {name: value.ravel() if value.shape[1] == 1 else value for name, value in values.items()}
    together = g.evaluate(values)
    assert set(together) == set(g)
    assert together["b1"].ndim == 1                  # a vector given 1-D comes back 1-D
    for name, derivation in g.items():
        assert np.allclose(np.asarray(together[name]).ravel(), np.asarray(derivation.evaluate(values)).ravel())


def test_the_whole_pass_in_every_format():
    g = matcalc.derive(MLP, wrt="W1,W2", where=PROBABILITY)
    latex = g.latex(steps=True)
    assert latex.startswith(r"\begin{align*}") and r"\delta_{a_{2}}" in latex
    assert "hadamard-swap" in g.markdown()
    data = g.json()
    assert [d["symbol"] for d in data["deltas"]] == ["δa2", "δh1", "δa1"]
    assert data["gradients"]["W1"]["named_text"] == "δa1 x^T"


def test_a_weight_used_twice_gets_one_term_per_use():
    g = matcalc.derive("a = W x; h = tanh(a); r = W^T h; l = ||r - x||^2", wrt=["W"], where="x: data")
    assert len(g["W"].named_result.args) == 2             # δa x^T + h δr^T, as the two uses sent them
    assert "sum-over-uses" in g["W"].text()
    assert g.check() < 1e-6


def test_a_program_with_one_wrt_uses_the_sweep_and_the_users_names():
    d = matcalc.derive(MLP, wrt="W1", where=PROBABILITY)
    assert to_text(d.named_result) == "δa1 x^T"
    assert "h2" not in d.text() and "a3" not in d.text()
    assert d.check() < 1e-6


@pytest.mark.parametrize("program, wrt, message", [
    ("a = b + x; b = a + x; l = sum(b)", "x", "b is used before it is defined"),
    ("a = W x; a = W a; l = sum(a)", "W", "a is defined twice"),
    ("a = W a; l = sum(a)", "W", "a is used in its own definition"),
    (MLP, "W1,W1", "'W1' is asked for twice"),
    (MLP, "h1", "it is a value the program defines"),
    (MLP, "W1,z", "'z' does not appear"),
])
def test_bad_programs_and_bad_wrt_get_one_line_and_exit_2(program, wrt, message, capsys):
    assert main(["derive", program, "--wrt", wrt]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_a_data_symbol_asked_for_by_name_is_derived_alone_or_in_a_list(capsys):
    """One rule (issue 24): asking for a data symbol by name derives it; `all` leaves it out."""
    assert main(["derive", MLP, "--wrt", "W1,x", "--where", "x: data", "--check", "--no-steps"]) == 0
    out = capsys.readouterr().out
    assert "∂l/∂x" in out and "(ok)" in out
    assert main(["derive", MLP, "--wrt", "x", "--where", "x: data", "--check", "--no-steps"]) == 0
    assert "(ok)" in capsys.readouterr().out
    assert main(["derive", MLP, "--wrt", "all", "--where", "x: data", "--no-steps"]) == 0
    assert "∂l/∂x" not in capsys.readouterr().out


def test_the_cli_prints_the_pass_and_checks_it(capsys):
    assert main(["derive", MLP, "--wrt", "all", "--where", PROBABILITY + "; x, y: data", "--check"]) == 0
    out = capsys.readouterr().out
    assert "δa1 = δh1 ⊙ h1 ⊙ (1 - h1)" in out and "(ok)" in out


def test_jacobian_and_hessian_take_one_symbol(capsys):
    assert main(["hessian", MLP, "--wrt", "W1,W2"]) == 2
    assert "takes one symbol" in capsys.readouterr().err


BATCH_NORM = "mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); l = w^T (gamma xh + beta 1)"


def test_batch_norm_in_the_programs_names_without_invented_ones():
    g = matcalc.derive(BATCH_NORM, wrt="x, gamma, beta", where="eps: scalar; w: data")
    deltas = {name: to_text(expr) for name, expr in g.sweep.deltas}
    assert deltas["δs2"] == "-1/2 δxh^T c / (s2 + ϵ)^{3/2}"      # sqrt(u)^2 u^{1/2} is u^{3/2}
    assert "a1" not in g.text() and "h1" not in g.text()
    assert to_text(g["x"].named_result) == "δc + δμ 1 / n"
    assert g.check() < 1e-6


@pytest.mark.parametrize("command", ["hessian", "jacobian"])
def test_jacobians_and_hessians_of_programs_keep_the_users_names(command):
    program = ("a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; l = -y^T log(softmax(a2))" if command == "hessian"
               else "a = W x; h = tanh(a); f = V h")
    d = getattr(matcalc, command)(program, wrt="x", where="y: probability vector" if command == "hessian" else None)
    text = d.text()
    assert ("dh1" in text or "dh " in text) and "a3" not in text and "h2" not in text
    assert d.check() < 1e-6


def test_a_layer_written_in_one_statement_gets_its_preactivation_delta():
    g = matcalc.derive("h1 = tanh(W h0 + U x1 + b); h2 = tanh(W h1 + U x2 + b); l = ||V h2 - y||^2",
                       wrt="all", where="x1, x2, y: data")
    assert to_text(g["W"].named_result) == "δa2 h1^T + δa1 h0^T"      # one term per time step
    assert "δa2 = δh2 ⊙ (1 - h2 .^ 2)" in g.text()
    assert all(len(line) <= 100 for line in g.text().split("\n\n")[-1].splitlines())
    assert g.check() < 1e-6


def test_an_unused_statement_is_no_use_of_a_parameter():
    # q = W a is never used: W's gradient is what a sends back, not 0.
    with pytest.warns(matcalc.MatcalcWarning, match="never used"):
        g = matcalc.derive("a = W x; q = W a; l = sum(a)", wrt="W, x")
    assert to_text(g["W"].named_result) == "δa x^T"
    assert g.check() < 1e-6


def test_the_pass_prints_each_gradient_in_the_layout_asked_for():
    g = matcalc.derive("a = W x; h = tanh(a); l = sum(h)", wrt="all", layout="numerator")
    assert "∂l/∂W^T = x δa^T" in g.text() and "∂l/∂x^T = δa^T W" in g.text()
    assert g.check() < 1e-6


NORMALIZATIONS = {
    "batch norm": ("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
                   "l = w^T (gamma xh + beta 1)", "x, gamma, beta", "x",
                   "γ (w - mean(w) 1 - mean(w ⊙ xh) xh) / (s2 + ϵ)^{1/2}"),
    "layer norm": ("mu = mean(h); c = h - mu 1; s2 = mean(c ⊙ c); hh = c / sqrt(s2 + eps); "
                   "l = w^T (g ⊙ hh + b)", "h, g, b", "h",
                   "(w ⊙ g - mean(w ⊙ g) 1 - mean(w ⊙ g ⊙ hh) hh) / (s2 + ϵ)^{1/2}"),
}


@pytest.mark.parametrize("case", NORMALIZATIONS)
def test_a_normalization_layer_gets_its_textbook_closed_form(case):
    """Issue 12 item 5: after the δ's, ∂l/∂x with the δ's written out, 1^T c = 0
    for the centred c, and c = σ xh: the seed 002 form, checked numerically.
    Issue 23: it is printed only where it is shorter than the δ form (here it
    is not), so the pass states ∂l/∂x once."""
    program, wrt, x, textbook = NORMALIZATIONS[case]
    g = matcalc.derive(program, wrt=wrt, where="eps: scalar; w: data")
    closed = g.sweep.closed_forms[x]
    assert to_text(closed) == textbook
    assert "closed-form" not in g.text() and textbook not in g.text()
    summary = g.text(steps=False)
    assert summary.count(f"∂l/∂{to_text(A.Symbol(x))} =") == 1
    values = random_point(g.problem.expr, g.problem.env, seed=2).values
    point, _ = bind_values(values, g.problem.symbols, g.problem.env)
    found = evaluate_named(g.sweep.statements[:-1], {x: closed}, point)[x]
    assert np.allclose(found.reshape(-1), np.asarray(g[x].evaluate(values)).reshape(-1), rtol=1e-9, atol=1e-12)
    assert g.check() < 1e-6


def test_a_network_without_normalization_has_no_closed_form_line():
    g = matcalc.derive("a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))",
                       wrt="all", where="x, y: data; y: probability vector")
    assert g.sweep.closed_forms == {} and "closed-form" not in g.text()
