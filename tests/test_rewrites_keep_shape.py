"""Every rewrite keeps the shape of what it rewrites (STYLE: invariants asserted).

All rewrites of the engine end in ``engine.right_side``, and the product
rule's terms (one per side of d-product at each cut) in
``differential.cut_terms``; here both are wrapped to compare the shape of each
result with the shape of the expression it replaces, while every example and
a set of harder problems are derived.  A wrong rule, or a rule applied where
its shapes do not fit, fails at once.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

import matcalc
from matcalc.calculus import differential
from matcalc.rewriting import engine

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.sh"))

MORE = [
    ("derive", "tr(X A X^T B)", "X", None),
    ("derive", "sum(log(1 + exp(X w))) - y^T X w", "w", None),
    ("derive", "logdet(S + alpha I) + y^T inv(S + alpha I) y", "S", "S: symmetric; alpha: scalar"),
    ("derive", "a^T (A ⊗ B) vec(X)", "X", None),
    ("derive", "||sigma(W2 tanh(W1 x + b1) + b2) - y||^2", "W1", None),
    ("jacobian", "softmax(W x)", "W", None),
    ("jacobian", "X^{-1} A X", "X", None),
    ("hessian", "sum(exp(A x)) + x^T B x", "x", None),
]


def example_commands():
    for path in EXAMPLES:
        line = next(l for l in path.read_text(encoding="utf-8").splitlines()
                    if l.strip() and not l.startswith("#"))
        argv = shlex.split(line)[1:]
        named = dict(zip(argv[2::2], argv[3::2]))
        yield pytest.param(argv[0], argv[1], named["--wrt"], named.get("--where"), id=path.stem)


@pytest.fixture
def shapes_checked(monkeypatch):
    seen = []
    original = engine.right_side

    def checked(rule, bindings, subject, context):
        result = original(rule, bindings, subject, context)
        before, after = context.env.shape(subject), context.env.shape(result)
        assert before == after, f"rule {rule.name} turned a {before} expression into a {after} one"
        seen.append(rule.name)
        return result

    def checked_terms(rule_name, pieces, pending, context):
        terms, constant = original_terms(rule_name, pieces, pending, context)
        for term in terms:
            before, after = context.env.shape(pending), context.env.shape(term)
            assert before == after, f"rule {rule_name} turned a {before} expression into a {after} one"
        seen.append(rule_name)
        return terms, constant

    original_terms = differential.cut_terms
    monkeypatch.setattr(engine, "right_side", checked)
    monkeypatch.setattr(differential, "cut_terms", checked_terms)
    return seen


@pytest.mark.parametrize("command, expression, wrt, where", [*example_commands(), *MORE])
def test_every_rewrite_keeps_the_shape(shapes_checked, command, expression, wrt, where):
    derivation = getattr(matcalc, command)(expression, wrt=wrt, where=where)
    assert shapes_checked, "no rewrite went through the checked path"
    assert derivation.check() < 1e-6
