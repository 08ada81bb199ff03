"""Programs typed as the seeds write them print the seeds' δ's (issue 23, SPEC §7).

A δ is simplified through the named values: ``yh = softmax(a2); l = -y^T log(yh)``
is differentiated as ``-y^T log(softmax(a2))`` (the activation's only use), so
δa2 = yh - y as in seed 000, not (diag(yh) - yh yh^T) δyh.  Each case checks
the printed δ and the numbers (central differences on random data)."""

from __future__ import annotations

import re

import pytest

import matcalc
from matcalc.calculus.steps import PART_OF

MLP = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; yh = softmax(a2); l = -y^T log(yh)"

SEED_PROGRAMS = {
    # seed 000: the MLP with softmax cross-entropy, the softmax named
    "mlp, y a probability vector": (MLP, "y: probability vector; x, y: data",
                                     ["δa2 = yh - y", "δh1 = W2^T δa2", "δa1 = δh1 ⊙ h1 ⊙ (1 - h1)"], ["δyh"]),
    # SPEC §1: without the assumption 1^T y = 1 stays
    "mlp, any y": (MLP, "x, y: data", ["δa2 = yh 1^T y - y"], ["δyh"]),
    # seed 003: softmax regression on a batch, samples as columns
    "batched softmax": ("A = W X; P = softmax(A); l = -sum(Y ⊙ log(P))", "Y: probability vector; X, Y: data",
                        ["δA = P - Y", "∂l/∂W = δA X^T"], ["δP"]),
    # logistic regression with a named σ and binary cross-entropy
    "binary cross-entropy": ("z = w^T x + b; p = sigma(z); l = -y log(p) - (1 - y) log(1 - p)",
                             "x, y: data; y, b: scalar", ["δz = p - y", "∂l/∂w = δz x"], ["δp"]),
}


@pytest.mark.parametrize("case", SEED_PROGRAMS)
def test_a_program_as_the_seeds_write_it_prints_their_deltas(case):
    program, where, printed, absent = SEED_PROGRAMS[case]
    g = matcalc.derive(program, wrt="all", where=where)
    # the summary's equations, several to a row: "∂l/∂W2 = δa2 h1^T        ∂l/∂b2 = δa2"
    equations = [piece for row in g.text(steps=False).splitlines() for piece in re.split(r"\s{3,}", row.strip())]
    for line in printed:
        assert line in equations, (line, equations)
    for name in absent:
        assert not any(equation.startswith(name + " =") for equation in equations), equations
    assert g.check() < 1e-6


def test_the_activation_written_out_is_a_step_of_its_own():
    g = matcalc.derive(MLP, wrt="all", where="y: probability vector; x, y: data")
    rules = [step.rule for step in g.steps]
    assert rules[:2] == ["definition", "substitute-definition"]
    assert "yh" in g.steps[1].note


def test_an_activation_kept_where_two_steps_are_as_short():
    """h1 = σ(a1) used once by a2 = W2 h1 + b2: δh1 and δa1 stay the seeds' two lines."""
    g = matcalc.derive(MLP, wrt="all", where="y: probability vector; x, y: data")
    deltas = dict(g.sweep.deltas)
    assert "δh1" in deltas and "δa1" in deltas


def test_a_line_that_keeps_some_terms_of_dl_says_so():
    """Issue 23: never '=' for a dropped term.  Each parameter's terms of dl
    are selected by a 'terms-in' line, printed dl ∋ ..., and the line before
    it holds every term."""
    g = matcalc.derive(MLP, wrt="all", where="y: probability vector; x, y: data")
    steps = g.steps
    selections = [i for i, step in enumerate(steps) if step.rule == "terms-in"]
    assert len(selections) == 5          # W2, h1, b2 from dl through a2; W1, b1 through a1
    for i in selections:
        assert steps[i].relation == PART_OF
        sums = [step.after.args for step in steps[:i] if step.label == steps[i].label and hasattr(step.after, "args")]
        assert any(steps[i].after in terms and len(terms) > 1 for terms in sums)
    text = g.text()
    assert "dl     ∋ δa2^T dW2 h1" in text


def test_batch_norm_states_its_gradient_once():
    g = matcalc.derive("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
                       "l = w^T (gamma xh + beta 1)", wrt="x, gamma, beta", where="eps: scalar; w: data")
    assert g.text(steps=False).count("∂l/∂x =") == 1
    shares = [step for step in g.steps if step.label.kind == "gradient" and step.label.wrt == "x"
              and step.rule == "identify"]
    assert len(shares) == 2 and all(step.relation == PART_OF for step in shares)
    assert g.check() < 1e-6


def test_scalar_algebra_is_a_step_of_its_own():
    """The binary cross-entropy's (1 - y) p - y (1 - p) becomes p - y on a line
    that says SymPy did it, not inside 'identify'."""
    g = matcalc.derive("z = w^T x + b; p = sigma(z); l = -y log(p) - (1 - y) log(1 - p)", wrt="all",
                       where="x, y: data; y, b: scalar")
    text = g.text()
    assert "δz    = (1 - y) p - y (1 - p)" in text and "= p - y" in text
    algebra = [step for step in g.steps if step.rule == "scalar-algebra"]
    assert algebra and algebra[0].label.kind == "value"


NAMED_VALUES = {
    # swish: h1 = a1 ⊙ σ(a1) is written h1 wherever it stands
    "swish": ("a1 = W1 x; h1 = a1 ⊙ sigma(a1); l = sum(h1)", "W1", "x: data",
              ["δa1 = δh1 ⊙ σ(a1) ⊙ (1 + a1 - h1)"], ["a1 ⊙ σ(a1)"]),
    # attention with the softmax inside the statement: A, never softmax(K^T Q / c)
    "attention": ("A = softmax(K^T Q / c); O = V A; l = sum(G ⊙ O)", "Q", "c: scalar; G: data",
                  ["∂l/∂Q = K (A ⊙ (δA - 1 1^T (δA ⊙ A))) / c"], ["softmax(K^T Q / c)"]),
    # M = H H^T is symmetric by construction, and so is δM
    "gram matrix": ("H = tanh(W X); M = H H^T; l = logdet(M + I)", "W", "",
                    ["δM = (M + I)^{-1}", "δH = 2 δM H"], ["^{-T}", "δM + δM^T"]),
}


@pytest.mark.parametrize("case", NAMED_VALUES)
def test_a_named_value_stands_where_its_name_can(case):
    program, wrt, where, printed, absent = NAMED_VALUES[case]
    d = matcalc.derive(program, wrt=wrt, where=where or None)
    text = d.text()
    for line in printed:
        assert line in text, text
    # the steps and the answer in names (not the program, nor the answer written out)
    after_definition = "\n".join(str(step.after) for step in d.steps) + "\n" + str(d.named_result)
    for written in absent:
        # (d(softmax(K^T Q / c)) is the differential being taken, dA = d(its definition))
        shown = after_definition.replace(f"d({written})", "")
        assert not re.search(r"(?<!\w)" + re.escape(written), shown), (written, text)
    assert d.check() < 1e-6


def test_the_same_expression_gets_the_same_names_whatever_it_is_differentiated_by():
    """Issue 23: wrt W2 the second pre-activation was a1, wrt W1 a2."""
    expression = "-y^T log(softmax(W2 sigma(W1 x)))"
    first = dict(matcalc.derive(expression, wrt="W1", where="y: probability vector").names)
    second = dict(matcalc.derive(expression, wrt="W2", where="y: probability vector").names)
    assert {"a2", "s"} <= set(first) & set(second) and "a1" not in second
    assert str(first["s"]) == str(second["s"]) == "softmax(a2)"


def test_eps_and_epsilon_print_apart():
    d = matcalc.derive("eps * x^T x + epsilon * 1^T x", wrt="x")
    assert str(d.result) == "2 ϵ x + ε 1"
    assert r"\epsilon" in d.latex() and r"\varepsilon" in d.latex()
    again = matcalc.derive("ϵ * x^T x + ε * 1^T x", wrt="x")     # what is printed reads back
    assert str(again.result) == str(d.result)
    assert d.check() < 1e-6


def test_an_answer_and_its_steps_print_in_matcalcs_language():
    d = matcalc.derive("x^T A x", wrt="x")
    assert str(d.result) == repr(d.result) == "(A + A^T) x"
    assert "Product(" not in repr(d.steps[-1])


def test_one_gradient_of_a_program_is_also_shown_written_out():
    d = matcalc.derive("a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; l = -y^T log(softmax(a2))", wrt="W1",
                       where="y: probability vector")
    assert str(d.named_result) == "δa1 x^T"
    assert "= ((W2^T (softmax(W2 σ(W1 x)) - y)) ⊙ σ(W1 x) ⊙ (1 - σ(W1 x))) x^T" in d.text()
    assert d.check() < 1e-6


ANSWERS = {
    # 1^T (diag(s) - s s^T) = 0: a softmax's outputs sum to one whatever W is
    "sum of a softmax": (matcalc.derive, "sum(softmax(W x))", "W", None, "0", "softmax-jacobian-sum-right"),
    # like diag terms merge (and SymPy collects what is inside)
    "hessian of a sigmoid layer": (matcalc.hessian, "sum(sigma(W1 x))", "x", None,
                                   "W1^T diag(h1 + 2 h1 .^ 3 - 3 h1 .^ 2) W1", "diag-merge-difference"),
    # a scalar comes out of the trace: no tr(-δS^T ...) of a scalar
    # the diagonal of an outer product with ones: diag(y 1^T) = y
    "weighted sum of entries": (matcalc.derive, "1^T diag(x) y", "x", None, "y", "diag-of-ones-outer"),
    "trace against a diagonal": (matcalc.derive, "tr(diag(x) A)", "x", None, "diag(A)", "trace-diag"),
    "scale of attention scores": (matcalc.derive, "S = K^T Q / c; l = sum(G ⊙ S)", "c", "c: scalar; G: data",
                                  "-tr(δS^T K^T Q) / c^2", "trace-scalar"),
}


@pytest.mark.parametrize("case", ANSWERS)
def test_an_answer_is_folded_by_a_named_rule(case):
    function, expression, wrt, where, printed, rule = ANSWERS[case]
    d = function(expression, wrt=wrt, where=where)
    assert str(d.named_result) == printed
    assert any(rule in step.rules for step in d.steps)
    assert d.check() < 1e-6


def test_a_users_delta_name_is_kept_and_its_delta_takes_another_letter():
    """SPEC §7: the user's δh prints as δh (not deltah); its error value is Δδh."""
    g = matcalc.derive("δh = W x; l = sum(tanh(δh))", wrt="all")
    text = g.text()
    assert "δh = W x" in text and "deltah" not in text
    assert "Δδh = 1 - tanh(δh) .^ 2" in text
    assert g.check() < 1e-6


def test_a_minus_sign_goes_into_a_difference():
    """-(y - W x) x^T reads (W x - y) x^T (rule sign-into-sum)."""
    d = matcalc.derive("a3 = W x; r = y - a3; l = 1/2 r^T r", wrt="W", where="x, y: data")
    assert "= (W x - y) x^T" in d.text()
    e = matcalc.derive("1/2 (y - W x)^T (y - W x)", wrt="W")
    assert str(e.result) == "(W x - y) x^T" and any("sign-into-sum" in s.rules for s in e.steps)
    assert d.check() < 1e-6 and e.check() < 1e-6


def test_a_deep_expression_read_as_a_program_shows_how_it_was_read():
    """program_of's definitions (log-softmax) and names are lines of their own,
    not a first line that already reads -y^T logsoftmax(a9)."""
    layers = "x"
    for k in range(1, 9):
        layers = f"sigma(W{k} {layers})"
    d = matcalc.derive(f"-y^T log(softmax(W9 {layers}))", wrt="W1", where="y: probability vector")
    assert [step.rule for step in d.steps[:3]] == ["definition", "log-softmax", "names"]
    assert "log(softmax(W9" in str(d.steps[0].after) and str(d.steps[2].after) == "-y^T logsoftmax(a9)"
    assert d.check() < 1e-6


def test_an_activation_written_out_below_the_loss_says_so():
    """c = log(yh) is its own statement: δa2 comes from δc through log-softmax."""
    g = matcalc.derive("a2 = W x; yh = softmax(a2); c = log(yh); l = -y^T c", wrt="all",
                       where="x, y: data; y: probability vector")
    assert "δa2 = δc - yh 1^T δc" in g.text(steps=False)
    assert any("yh = softmax(a2) written out" in step.note for step in g.steps if step.rule == "backprop")
    assert g.check() < 1e-6
