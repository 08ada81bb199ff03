"""Issue 23 item 1 (part B): a line applies the rule it cites.

- Distributing over the sums that carry d is one line per rule: ⊙ over a sum
  (hadamard-distribute-left), then the product, then tr / sum / mean.
- A scalar times a vector is differentiated by d-scalar-product (γ xh is no
  matrix product: its factors do not conform as d-product's must), a scalar's
  power by d-scalar-power, and a scalar every term of an answer shares is put in
  front by factor-scalar (2 A - 2 B = 2 (A - B)).
Each cited rule's left side matches the line before (tests/cited_rules.py), and
each line equals the one before at random data (tests/test_step_replay.py)."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.api import _problem
from matcalc.calculus.closed_form import closed_forms
from matcalc.calculus.strategy import simplify_answer
from matcalc.language import ast as A
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import Point, evaluate
from matcalc.printers.text import to_text
from matcalc.rewriting.canon import canon
from matcalc.rewriting.catalog import default_catalog
from matcalc.rewriting.engine import Context, rewrite

from cited_rules import UNAPPLIED
from test_step_replay import equalities, replay, replayed

EXPANDING = {"hadamard-distribute-left", "hadamard-distribute-right", "distribute-left", "distribute-right",
             "distribute-scalar", "trace-sum", "sum-linear", "mean-linear"}


def typed(text: str, where: str | None):
    """The canonical typed expression, its environment and a random point."""
    problem = _problem(text, where)
    expr = canon(problem.expr, problem.env)
    return expr, problem.env, random_point(expr, problem.env, seed=5)


@pytest.mark.parametrize("program, wrt, where", [
    ("A = K^T Q / c; P = softmax(A); O = V P; l = sum(G ⊙ O)", "Q,K,V", "c: scalar; G: data"),
    ("A1 = W1 X + b1 1^T; H1 = sigma(A1); A2 = W2 H1 + b2 1^T; l = -sum(Y ⊙ log(softmax(A2)))", "all",
     "Y: probability vector; X, Y: data"),
    ("mean(-1^T (Y ⊙ log(softmax(W X + b 1^T))))", "b", "Y: probability vector"),
])
def test_distributing_is_one_line_per_rule(program, wrt, where):
    result = matcalc.derive(program, wrt=wrt if "," not in wrt else wrt.split(","), where=where)
    steps = result.steps
    expanding = [step for step in steps if step.rule in EXPANDING]
    assert expanding, [step.rule for step in steps]
    for step in expanding:
        assert step.rules == (step.rule,), (step.rule, step.rules)
    kinds = {step.rule for step in expanding}
    assert "hadamard-distribute-left" in kinds and kinds & {"trace-sum", "sum-linear", "mean-linear"}
    single = isinstance(result, matcalc.Derivation)
    variables, gradients = ([result.wrt], None) if single else (list(result), result)
    failures = replayed(result, variables, gradients, seed=3)
    # every line replays; no expanding line cites a rule that does not apply
    # (other lines' rules may be tests/cited_rules.py's OPEN_RULES)
    assert not [f for f in failures if UNAPPLIED not in f or f.split("(")[1].split(")")[0] in EXPANDING], failures


@pytest.mark.parametrize("expression, wrt, where, wanted", [
    ("logdet(inv(K + W W^T)) / 3", "W", "K: spd", {"distribute-right", "distribute-scalar"}),   # -(dK + ...) M
    ("sum(c (W x + V y))", "W,V", "c: scalar", {"distribute-scalar", "sum-linear"}),     # c (dW x + dV y)
])
def test_a_sum_between_factors_is_distributed_one_side_a_line(expression, wrt, where, wanted):
    """The factors after a sum, then those before it, each by its own rule; a
    scalar before a vector's sum by distribute-scalar (a number times a vector
    is no matrix product, so distribute-left's shapes do not fit)."""
    variables = wrt.split(",")
    d = matcalc.derive(expression, wrt=variables, where=where)
    single = isinstance(d, matcalc.Derivation)
    steps = d.steps
    expanding = [step for step in steps if step.rule in EXPANDING]
    assert wanted <= {step.rule for step in expanding}, [step.rule for step in steps]
    assert all(step.rules == (step.rule,) for step in expanding)
    assert not (replay(d, variables) if single else replayed(d, list(d), d))


def test_the_scalar_rules_apply_to_batch_norm():
    """γ xh, β 1 and c / sqrt(s2 + ε): d-scalar-product and d-scalar-power, each
    matching the line before, and the whole sweep replays."""
    g = matcalc.derive("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
                       "l = w^T (gamma xh + beta 1)", wrt=["x", "gamma", "beta"], where="eps: scalar; w: data")
    cited = {rule for step in g.steps for rule in step.rules}
    assert {"d-scalar-product", "d-scalar-power"} <= cited
    assert "d-power" not in cited                   # the entrywise rule is not cited for a scalar's power
    assert not [f for f in replayed(g, list(g), g) if "d-scalar" in f]


def test_d_scalar_power_matches_a_scalar_power():
    """The rule is written d(?a .^ ?p) (after ^ only a number can stand); for a
    scalar ?a the catalog matches it as ?a^?p, the form expressions have."""
    base, env, point = typed("(s + t)^(3/2)", "s, t: scalar")
    assert isinstance(base, A.Power)
    context = Context(env, lambda e: not A.symbol_names(e), default_catalog())
    result = rewrite("d-scalar-power", A.Differential(base), context)
    assert result is not None
    tangents = {name: np.array([[0.7]]) for name in ("s", "t")}
    moving = Point(point.values, point.sizes, tangents)
    wanted = (evaluate(base, Point({k: v + 1e-6 * tangents[k] for k, v in point.values.items()}, point.sizes))
              - evaluate(base, Point({k: v - 1e-6 * tangents[k] for k, v in point.values.items()}, point.sizes))) / 2e-6
    assert np.allclose(evaluate(result, moving), wanted, rtol=1e-5)


@pytest.mark.parametrize("text, factors", [
    ("1/2 A - 1/2 B", True),        # a number up to sign
    ("2 A + 2 B", True),
    ("c A - c B", True),            # a scalar symbol
    ("2 A + 3 B", False),           # different numbers: nothing shared
    ("c A + B", False),
])
def test_factor_scalar_takes_out_a_shared_scalar(text, factors):
    expr, env, point = typed(text, "c: scalar; A, B: matrix")
    context = Context(env, lambda e: False, default_catalog())
    result = rewrite("factor-scalar", expr, context)
    assert (result is not None) == factors, result
    if result is not None:
        assert isinstance(result, A.Product) and isinstance(result.args[-1], A.Add)
        assert np.allclose(evaluate(expr, point), evaluate(result, point))


def test_an_answer_cites_factor_scalar_and_it_applies():
    """||V h - y||^2 summed over three steps: ∂l/∂V = 2 (...) (answers._common_factor)."""
    g = matcalc.derive("a1 = W h0 + U x1 + b; h1 = tanh(a1); a2 = W h1 + U x2 + b; h2 = tanh(a2); "
                       "a3 = W h2 + U x3 + b; h3 = tanh(a3); l = ||V h1 - y1||^2 + ||V h2 - y2||^2 + ||V h3 - y3||^2",
                       wrt="all", where="x1, x2, x3, y1, y2, y3: data")
    assert any(step.rule == "factor-scalar" for step in g.steps)
    assert not replayed(g, list(g), g)


# ------------------------------------------------------------------ item 2: rewrites that dropped their rules
def test_kron_vec_after_identify_is_a_line_of_its_own():
    """unvec(g) read off g^T vec(dX): (B ⊗ A^T) vec(C) = vec(A^T C B^T) is a
    kron-vec line after identify (it was done inside identify, uncited), and
    the replay finds kron-vec's left side in the line before."""
    d = matcalc.derive("vec(C)^T vec(A X B)", wrt="X")
    rules = [step.rule for step in d.steps]
    assert rules[-2:] == ["identify", "kron-vec"], rules
    assert isinstance(d.steps[-2].after, A.Unvec) and not any(isinstance(n, A.Unvec) for n in A.walk(d.result))
    assert not replay(d, ["X"])


def test_a_written_out_answer_shows_the_rules_that_made_it():
    """log-sum-exp: ∂l/∂x = exp(x) / a1 with a1 = 1^T exp(x) is softmax(x)
    written out; the lines say so (written-out, softmax-definition) and replay."""
    d = matcalc.derive("log(1^T exp(x))", wrt="x")
    assert [step.rule for step in d.steps[-2:]] == ["written-out", "softmax-definition"]
    assert to_text(d.result) == "softmax(x)" and d.steps[-1].after == d.result
    assert not replay(d, ["x"])


def test_a_written_out_answer_without_rules_adds_no_line():
    d = matcalc.derive("-y^T log(softmax(W2 sigma(W1 x)))", wrt="W1", where="y: probability vector")
    assert "written-out" not in [step.rule for step in d.steps]


def test_the_closed_form_cites_what_the_answer_rules_did():
    """closed_form finishes with the answer rules (strategy.simplify_answer),
    which now say which rules they used: each is cited on the closed form."""
    program = ("mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); "
               "l = w^T (gamma xh + beta 1)")
    g = matcalc.derive(program, wrt=["x", "gamma", "beta"], where="eps: scalar; w: data")
    sweep = g.sweep
    finished = []

    def spying(expr, context):
        result = simplify_answer(expr, context)
        finished.append(result)
        return result

    statements = sweep.statements[:-1]
    found = closed_forms(dict(sweep.gradients), sweep.deltas, statements, Context(sweep.env), spying)
    assert "x" in found and finished
    assert any(rules for _, rules in finished), "the answer rules did nothing: a dropped rule would not show"
    for parameter, (closed, cited) in found.items():
        made = [rules for result, rules in finished if result == closed]
        assert made and set(made[0]) <= set(cited), (parameter, made, cited)


def test_simplify_answer_says_which_rules_it_used():
    expr, env, point = typed("2 A - 2 B", "A, B: matrix")
    context = Context(env, lambda e: not A.symbol_names(e), default_catalog())
    simplified, rules = simplify_answer(expr, context)
    assert "factor-scalar" in rules and isinstance(simplified, A.Product)
    assert np.allclose(evaluate(expr, point), evaluate(simplified, point))
    unchanged, none = simplify_answer(A.Symbol("A"), context)
    assert unchanged == A.Symbol("A") and not none


# ------------------------------------------------------------------ item 3: -δr for r = y - a3
def test_a_delta_keeps_the_users_name_and_its_sign():
    """Issue 23 item 3 ("no -r for r = y - a3 when a3 - y is shorter"): δa3 is
    -δr, kept because a3 - y is not shorter (δr is a name: one symbol) and
    would write the program's r out where its name can stand (issue 23 item 2).
    The seeds' "output minus truth" is the written-out gradient, (W x - y) x^T,
    by a sign-into-sum line that replays."""
    g = matcalc.derive("a3 = W x; r = y - a3; l = 1/2 r^T r", wrt="all", where="x, y: data")
    deltas = dict(g.sweep.deltas)
    kept, textbook = deltas["δa3"], _problem("a3 - y", "a3, y: vector").expr
    assert to_text(kept) == "-δr"
    assert A.size(kept) < A.size(textbook)
    single = matcalc.derive("a3 = W x; r = y - a3; l = 1/2 r^T r", wrt="W", where="x, y: data")
    assert to_text(single.result) == "(W x - y) x^T"
    assert [step.rule for step in single.steps[-2:]] == ["written-out", "sign-into-sum"]
    assert not replay(single, ["W"])
    assert single.check() < 1e-6 and g.check() < 1e-6


@pytest.mark.parametrize("expression, wrt, where, rule, answer", [
    ("gamma (tr(Y) - tr(B)) / exp(tau)", "tau", "gamma, tau: scalar", "sign-into-sum-scaled",
     "γ (tr(B) - tr(Y)) / exp(τ)"),
    ("(y - W x)^T (y - W x) / c", "W", "c: scalar", "sign-into-sum-scaled", "2 (W x - y) x^T / c"),
    ("1/2 (y - W x)^T (y - W x)", "W", None, "sign-into-sum", "(W x - y) x^T"),
])
def test_a_sign_into_a_difference_cites_a_rule_that_applies(expression, wrt, where, rule, answer):
    """-γ (a - b) / s: scalars before the difference (sign-into-sum-scaled);
    -2 (a - b) x: the pattern's sign is the number's (the matcher reads it as
    -(a - b) x 2). The last line cites the rule and the replay finds it."""
    d = matcalc.derive(expression, wrt=wrt, where=where)
    assert d.steps[-1].rules == (rule,) and to_text(d.result) == answer
    assert not replay(d, [wrt])


def test_no_line_restates_d_definition_for_a_symmetric_delta():
    """tr(δH1^T d(tanh(A1))) with δH1 symmetric: the local sweep's d-product,
    d-const line was the same line as canon writes it (δH1^T = δH1), citing
    rules applied to d(δH1^T f), not to the line shown; it is dropped."""
    g = matcalc.derive("tr(tanh(X gamma + -X))", wrt=["X", "gamma"], where="gamma: scalar; X: symmetric, m × m")
    steps = g.steps
    after_definition = [steps[i + 1] for i, step in enumerate(steps[:-1]) if step.rule == "d-definition"]
    assert after_definition and all(step.rule != "d-product" for step in after_definition), \
        [step.rule for step in after_definition]
    failures = replayed(g, list(g), g)
    assert not [f for f in failures if UNAPPLIED not in f or "d-" in f.split("(")[1].split(")")[0][:2]], failures


def test_a_symmetric_gradient_cites_what_its_book_form_did():
    """(G + G^T)/2 is brought to book form (answers.answer_form): the rules it
    applied (here factor-transpose: (x - μ) (x^T - μ^T) = (x - μ) (x - μ)^T)
    are cited on the symmetric-gradient line, not dropped."""
    d = matcalc.derive("1/2 logdet(P) - 1/2 (x - mu)^T P (x - mu)", wrt="P", where="mu: vector; P: positive definite")
    step = d.steps[-1]
    assert step.rule == "symmetric-gradient" and "factor-transpose" in step.rules, step.rules
    assert not equalities(replay(d, ["P"]))


@pytest.mark.parametrize("expression, collected", [
    ("a^T X^{-1} b", "-1/2 X^{-1} (a b^T + b a^T) X^{-1}"),
    ("tr(A X^{-1} B)", "-1/2 X^{-1} (A^T B^T + B A) X^{-1}"),
])
def test_the_factors_g_and_g_transposed_share_are_collected_on_a_line_of_their_own(expression, collected):
    """For a symmetric X, (G + G^T)/2 of G = -X^{-1} a b^T X^{-1} is written
    -1/2 X^{-1} (a b^T + b a^T) X^{-1}, as the books do, by factor-left and
    factor-right on the line after the symmetric-gradient line."""
    d = matcalc.derive(expression, wrt="X", where="X: symmetric")
    assert str(d.result) == collected
    assert d.steps[-2].rule == "symmetric-gradient"
    assert {"factor-left", "factor-right"} <= set(d.steps[-1].rules), d.steps[-1].rules
    assert not replay(d, ["X"]) and d.check() < 1e-6


@pytest.mark.parametrize("expression, wrt, where, rule, answer", [
    ("(cos(eta)^3 - h^T A v)^2", "h", "eta: scalar", "sign-into-sum-scaled", "2 (h^T A v - cos(η)^3) A v"),
    ("tr(M ⊙ M) - tanh(gamma)", "gamma", "gamma: scalar", "sign-into-difference", "tanh(γ)^2 - 1"),
    ("-a^T C (y - x)", "a", None, "sign-into-sum-left", "C (x - y)"),
])
def test_a_difference_turned_round_cites_a_rule_that_applies(expression, wrt, where, rule, answer):
    """-2 (a - b) A v with a scalar a - b: no matrix product (a - b) (A v 2)
    conforms, so sign-into-sum does not apply; the number's size is the
    scalar of sign-into-sum-scaled (the matcher reads -2 as -1 2), a bare
    -(a - b) is sign-into-difference, and -C (y - x) past a matrix C is
    sign-into-sum-left."""
    d = matcalc.derive(expression, wrt=wrt, where=where)
    assert d.steps[-1].rules == (rule,) and to_text(d.result) == answer
    assert not replay(d, [wrt]) and d.check() < 1e-6


def test_a_line_the_next_one_undoes_is_not_printed():
    """Scalar algebra writes 3 (1 - h1) λ^2 as -3 λ^2 (h1 - 1) and
    sign-into-sum-scaled writes it back; h2 (r + 1) expanded to h2 + h2 r and
    factored back to h2 (1 + r): neither pair is printed (issue 23)."""
    for expression, wrt, where in [("log(sigma(lambda lambda (lambda / softplus(rho))))", "lambda", "lambda, rho: scalar"),
                                   ("log(det(L)) ./ exp(c - tau) ./ (||(a - h) .^ 2||^2 + 1)", "tau",
                                    "L: positive definite; c, tau: scalar")]:
        d = matcalc.derive(expression, wrt=wrt, where=where)
        assert d.steps[-1].rule == "identify", d.text()
        assert not replay(d, [wrt]) and d.check() < 1e-6


@pytest.mark.parametrize("program", [
    "g1 = log(exp(x)); l = ||W (w theta) - g1||",        # a fused name written out: substitute-definition
    "z1 = z; g2 = s 0.5; 1^T (sigmoid(z1) + g2)",          # d(1/2 s) = 1/2 ds: d-scalar-product
    "A1 = Sigma + Sigma; l = mean(sin(A1))",               # tr(δA1^T d(2 Σ)) after a dropped d-trace
])
def test_a_line_of_a_backward_pass_cites_what_it_did_to_d_of_the_definition(program):
    """Below dl = δv^T dv = δv^T d(f), a line cites the rule applied to d(f),
    not the d-product that cut δv^T off d(δv^T f)."""
    g = matcalc.derive(program, wrt="all")
    assert not replayed(g, list(g), g), g.text()
    assert g.check() < 1e-6
