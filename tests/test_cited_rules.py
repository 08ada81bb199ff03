"""The matcher of tests/cited_rules.py sees a rule's left side as the engine's
canonical form writes it (issue 23): ?A^T is any matrix, an end factor of a
long product may be the identity, a vector is its own vec; and it still
refuses a rule whose left side is not there."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from matcalc.api import _problem
from matcalc.language import ast as A
from matcalc.rewriting.catalog import default_catalog

from cited_rules import a_cited_rule_applies

WHERE = "A, B, X, Y: n×m; S, Z: n×n; W: matrix; x, u, v: vector"


def _applies(rule: str, text: str, moving: str) -> bool:
    """Whether ``rule`` applies to ``text`` with the symbol ``moving`` written d(moving)."""
    problem = _problem(text, WHERE)

    def differential(node):
        if node == A.Symbol(moving):
            return A.Differential(node)
        kids = A.children(node)
        return A.with_children(node, [differential(k) for k in kids]) if kids else node

    data = SimpleNamespace(variables=[moving], names=(), env=problem.env)
    step = SimpleNamespace(rules=(rule,), label=SimpleNamespace(function_is_matrix=False))
    return a_cited_rule_applies(step, differential(problem.expr), data, default_catalog())


@pytest.mark.parametrize("rule, text, moving", [
    ("hadamard-swap", "tr(1 1^T (A ⊙ X))", "X"),              # ?A = 1 1^T, its own transpose
    ("hadamard-swap", "tr((u - v)^T W (x ⊙ x))", "x"),         # ?A^T a row written as a product
    ("hadamard-swap", "tr(S ⊙ Z)", "Z"),                      # ?A = I: nothing before the ⊙
    ("hadamard-swap", "tr(1^T (v ⊙ u))", "u"),                # 1^T is the transpose of 1
    ("hadamard-swap", "tr(v (x^T ⊙ u^T))", "u"),              # ?A = v^T
    ("factor-transpose", "u^T - v^T", "u"),                   # -v^T = (-v)^T
    ("factor-transpose", "S^{-T} Z^T + Z^T S^{-T}", "Z"),       # each term reads as a transpose (of Z S^{-1}, S^{-1} Z)
    ("vec-kron", "W x", "W"),                                 # vec(I dW x): a vector is its own vec
    ("vec-kron", "vec(A (B ⊙ X)^T Y)", "X"),                  # ?A ?X ?B as it stands
    ("vec-hadamard", "u ⊙ v", "v"),                           # vec(u ⊙ dv)
    ("hadamard-distribute-right", "A ⊙ (B + X) ⊙ Y", "X"),    # a run of a flat ⊙: (B + X) ⊙ Y
    ("factor-scalar", "tr(S) + tr(S) tr(Z)", "Z"),             # tr(S) 1 + tr(S) tr(dZ), tr(S) in front already
])
def test_a_rule_applied_as_the_canonical_form_writes_it_is_seen(rule, text, moving):
    assert _applies(rule, text, moving)


@pytest.mark.parametrize("rule, text, moving", [
    ("hadamard-swap", "tr(A^T X)", "X"),                      # no ⊙ under the trace
    ("distribute-left", "X + Y", "X"),                        # not I (X + Y): any sum would do
    ("d-product", "X", "X"),                                  # not d(I X): any d(.) would do
    ("factor-transpose", "u + v", "u"),                       # not (u^T)^T + (v^T)^T: no transposes to take out
    ("vec-kron", "u ⊙ v", "v"),                               # no product in the vec
    ("hadamard-distribute-right", "A ⊙ X ⊙ (B + Y)", "X"),    # the sum is last: no (?A + ?B) ⊙ ?C run
])
def test_a_rule_whose_left_side_is_not_there_is_refused(rule, text, moving):
    assert not _applies(rule, text, moving)


@pytest.mark.parametrize("text, applies", [("tr(Z^2)", True), ("tr(Z^3)", True), ("tr(Z^7)", True),
                                           ("tr(diag(x)^2)", True), ("tr(Z)", False), ("tr(Z S)", False)])
def test_the_trace_of_any_whole_power_is_what_d_trace_power_states(text, applies):
    """d-trace-power is stated for ?X^?k, so the matcher confirms it for each
    whole k the engine applies it to (d(tr(diag(b)^2)), seed 5 case 59)."""
    problem = _problem(text, WHERE)
    data = SimpleNamespace(variables=list(A.symbol_names(problem.expr)), names=(), env=problem.env)
    step = SimpleNamespace(rules=("d-trace-power",), label=SimpleNamespace(function_is_matrix=False))
    assert a_cited_rule_applies(step, A.Differential(problem.expr), data, default_catalog()) == applies


def test_the_engine_applies_the_rules_it_binds_itself_to_the_line_exactly(monkeypatch):
    """rewrite_with (the rules whose bindings the engine chooses: hadamard-swap,
    cyclic, trace-scalar, vec-kron, ...) never needs the looser comparison form
    for the examples: each such left side is the line in canonical form."""
    import test_step_replay as replay_tests
    from matcalc.rewriting import engine

    needed, loose = [], engine.comparison_form

    def comparison_form(expr, env):
        needed.append(expr)
        return loose(expr, env)
    monkeypatch.setattr(engine, "comparison_form", comparison_form)
    derived = 0
    for path, _, (kind, expression, options) in replay_tests.EXAMPLE_CASES:
        replay_tests.derivations_of(kind, expression, options)
        derived += 1
        assert not needed, f"{path.name}: a rule applied up to comparison form only, to {needed[0]}"
    assert derived > 50
