"""Structure the simplifier knows (SPEC §2, issue 13 item 1): M^T M, M M^T,
M^T S M, S + c I, sums and scalar multiples of symmetric matrices, and their
inverses and powers are symmetric, so ^{-T} folds and symmetric pairs merge."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.api import _problem
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import evaluate
from matcalc.printers.text import to_text

SYMMETRIC = ["X^T X", "X X^T", "X^T S X", "S + 2 I", "3 X^T X - S", "inv(X^T X)", "(X X^T)^2",
             "inv(S + alpha I)", "X^T X + X^T S X", "x x^T", "diag(x) + S", "X^T inv(S) X"]
NOT_SYMMETRIC = ["X^T Y", "Z Z", "X S", "x y^T", "S X^T X", "X^T X S"]
WHERE = "S: symmetric; alpha: scalar; X: 5 x 3"


def _typed(text):
    problem = _problem(f"tr(({text}) A)", WHERE)
    return problem.expr.arg.args[0], problem          # the matrix inside tr((...) A)


@pytest.mark.parametrize("text", SYMMETRIC)
def test_what_is_known_symmetric_is_symmetric_on_random_data(text):
    expr, problem = _typed(text)
    assert problem.env.symmetric(expr), text
    value = evaluate(expr, random_point(problem.expr, problem.env, seed=4))
    np.testing.assert_allclose(value, value.T, atol=1e-9)


@pytest.mark.parametrize("text", NOT_SYMMETRIC)
def test_what_is_not_known_symmetric(text):
    expr, problem = _typed(text)
    assert not problem.env.symmetric(expr), text


@pytest.mark.parametrize("expression, wrt, where, textbook", [
    ("a^T inv(X^T X) a", "X", None, "-2 X (X^T X)^{-1} a a^T (X^T X)^{-1}"),
    ("y^T inv(S + alpha I) y", "S", "S: symmetric; alpha: scalar", "-(S + α I)^{-1} y y^T (S + α I)^{-1}"),
    ("x^T A^T A x", "x", None, "2 A^T A x"),
    ("x^T (B^T S B + 2 I) x", "x", "S: symmetric", "2 (B^T S B + 2 I) x"),
])
def test_textbook_answers_use_symmetry(expression, wrt, where, textbook):
    d = matcalc.derive(expression, wrt=wrt, where=where)
    assert to_text(d.result) == textbook
    assert d.check() < 1e-6


def test_symmetry_is_seen_whichever_way_a_transpose_is_written():
    # (W1 ⊙ C)^T is canonically W1^T ⊙ C^T: I + (W1^T ⊙ C^T)(W1 ⊙ C) is still
    # M^T M-shaped; seeing it in one form and not the other broke hadamard-swap.
    d = matcalc.derive("logdet((I + (W1 ∘ C)^T (W1 ∘ C)) ⊙ Q)", wrt="W1", where="W1: matrix; C: matrix; Q: spd")
    assert d.check() < 1e-6


def test_the_binary_cross_entropy_gradient_is_the_textbook_one():
    d = matcalc.derive("-y^T log(sigma(X w)) - (1 - y)^T log(1 - sigma(X w))", wrt="w")
    assert to_text(d.result) == "X^T (σ(X w) - y)"
    assert d.check() < 1e-6
