"""Batched data and attention (issue 13 item 4, SPEC §1): softmax and
logsoftmax of a matrix act on each column, ``Y: probability vector`` on a
matrix says every column sums to one, and the answers read as a textbook
prints them.  Every answer is also checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from matcalc.numeric.data import random_point
from matcalc.printers.text import to_text

PROBABILITY = "Y: probability vector"


def named(derivation) -> str:
    return to_text(derivation.named_result)


@pytest.mark.parametrize("expression, where, answer", [
    ("-sum(Y ⊙ log(softmax(W X)))", PROBABILITY, "(S - Y) X^T"),
    ("-sum(Y ⊙ logsoftmax(W X))", PROBABILITY, "(S - Y) X^T"),
    ("-sum(Y ⊙ log(softmax(W X)))", None, "(S diag(Y^T 1) - Y) X^T"),
    ("-sum(Y ⊙ log(softmax(W2 sigma(W1 X))))", PROBABILITY, None),
    ("sum(G ⊙ (V softmax(K^T Q / c)))", "c: scalar", None),
])
def test_batched_softmax_losses_read_as_the_textbook(expression, where, answer):
    wrt = "W1" if "W1" in expression else "V" if "V" in expression else "W"
    d = matcalc.derive(expression, wrt=wrt, where=where)
    assert d.check() < 1e-6
    if answer:
        assert named(d) == answer


def test_the_mean_over_the_batch_divides_once():
    d = matcalc.derive("mean(-1^T (Y ⊙ log(softmax(W X))))", wrt="W", where=PROBABILITY)
    batch = d.env.symbols["X"].cols
    assert named(d) == f"(S - Y) X^T / {batch}"
    assert d.check() < 1e-6


def test_a_batched_network_has_the_backprop_equations_with_matrices():
    g = matcalc.derive("A1 = W1 X + b1 1^T; H1 = sigma(A1); A2 = W2 H1 + b2 1^T; "
                       "l = -sum(Y ⊙ log(softmax(A2)))", wrt="all", where=f"{PROBABILITY}; X, Y: data")
    deltas = {name: to_text(d) for name, d in g.sweep.deltas}
    assert deltas["δA2"] == "S - Y"
    assert deltas["δA1"] == "δH1 ⊙ H1 ⊙ (1 1^T - H1)"
    assert {n: named(d) for n, d in g.items()} == {"W1": "δA1 X^T", "b1": "δA1 1", "W2": "δA2 H1^T",
                                                   "b2": "δA2 1"}
    assert g.check() < 1e-6


def test_attention_gradients_wrt_queries_keys_and_values():
    g = matcalc.derive("A = K^T Q / c; P = softmax(A); O = V P; l = sum(G ⊙ O)", wrt="Q, K, V",
                       where="c: scalar; G: data")
    deltas = {name: to_text(d) for name, d in g.sweep.deltas}
    assert deltas["δA"] == "P ⊙ (δP - 1 1^T (δP ⊙ P))"
    assert {n: named(d) for n, d in g.items()} == {"Q": "K δA / c", "K": "Q δA^T / c", "V": "δO P^T"}
    assert g.check() < 1e-6


@pytest.mark.parametrize("command, expression, where", [
    (matcalc.jacobian, "softmax(Z)", None),
    (matcalc.jacobian, "logsoftmax(Z)", None),
    (matcalc.jacobian, "softmax(W X)", None),
    (matcalc.hessian, "-sum(Y ⊙ log(softmax(W X)))", PROBABILITY),
    (matcalc.hessian, "sum(logsoftmax(Z) ⊙ Y)", None),
])
def test_jacobians_and_hessians_of_the_columnwise_forms(command, expression, where):
    wrt = "W" if "W" in expression else "Z"
    assert command(expression, wrt=wrt, where=where).check() < 1e-6


def test_softmax_of_a_matrix_is_the_softmax_of_each_column():
    d = matcalc.jacobian("softmax(Z)", wrt="Z", where="Z: 3 x 4")
    Z = np.random.default_rng(0).standard_normal((3, 4)) * 3
    J = d.evaluate({"Z": Z})
    for column in range(4):
        s = np.exp(Z[:, column]) / np.exp(Z[:, column]).sum()
        block = J[3 * column:3 * column + 3, 3 * column:3 * column + 3]
        assert np.allclose(block, np.diag(s) - np.outer(s, s))


def test_probability_columns_are_drawn_summing_to_one():
    d = matcalc.derive("-sum(Y ⊙ log(softmax(W X)))", wrt="W", where=PROBABILITY)
    Y = random_point(d.problem.expr, d.problem.env, seed=3).values["Y"]
    assert Y.shape[1] > 1 and np.allclose(Y.sum(axis=0), 1) and (Y > 0).all()


def test_a_lower_case_probability_vector_stays_a_vector():
    d = matcalc.derive("-y^T log(softmax(W x))", wrt="W", where="y: probability vector")
    assert named(d) == "(s - y) x^T" and d.check() < 1e-6
