"""Entrywise algebra by SymPy (SPEC §2; issue 13 item 2): quotients cancel,
σ is recognised, and the logistic-loss gradients read as a textbook's."""

from __future__ import annotations

import pytest

import matcalc
from matcalc.printers.text import to_text

CASES = [
    # softplus' = σ: the logistic regression gradient
    ("sum(log(1 + exp(X w))) - y^T X w", "w", None, "X^T (σ(X w) - y)"),
    # x ./ x = 1: log σ(z)' = 1 - σ(z)
    ("sum(log(sigma(y ⊙ (X w))))", "w", None, "X^T (y ⊙ (1 - σ(y ⊙ (X w))))"),
    # exp(-z) ./ (1 + exp(-z)) = σ(-z)
    ("sum(log(1 + exp(-y ⊙ (X w))))", "w", None, "-X^T (y ⊙ σ(-y ⊙ (X w)))"),
    ("sum(w ./ w)", "w", None, "0"),
]


@pytest.mark.parametrize("expression, wrt, where, textbook", CASES)
def test_entrywise_quotients_simplify(expression, wrt, where, textbook):
    d = matcalc.derive(expression, wrt=wrt, where=where)
    assert to_text(d.result) == textbook
    assert d.check() < 1e-6


def test_the_textbook_derivative_of_sigma_is_left_as_it_is():
    d = matcalc.derive("sum(sigma(W x))", wrt="W")
    assert to_text(d.result) == "(σ(W x) ⊙ (1 - σ(W x))) x^T"
    assert d.check() < 1e-6


def test_deviations_from_the_mean_sum_to_zero():
    # 1^T (x - mean(x) 1) = 0 (rule centered-sum): the factor's derivative and its value vanish
    d = matcalc.derive("1^T (x - mean(x) 1) a^T x", wrt="x")
    assert to_text(d.result) == "0"
    assert d.check() < 1e-6
