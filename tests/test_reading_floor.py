"""Issue 24, the floor: what reading skips or counts another way gives what
the full work gives, on the project's random expressions and programs."""

from __future__ import annotations

import warnings

import pytest

from matcalc import api
from matcalc.language import ast as A
from matcalc.language.limits import node_count
from program_strategies import random_program
from strategies import random_case

TEXTS = ["x^T A x", "sqrt(x^T x) + log(alpha)", "tr(X^-1) + (x^T x)^2", "a = x + y; b = a a^T; tr(b b)",
         "(i ones) ⊙ x ⊙ y", "sin(i) A B x", "x .^ i", "2 mu x", "i x"]


def _problems():
    for text in TEXTS:
        yield api._problem(text, "i: scalar")
    for index in range(30):
        case = random_case(27, index)
        yield api._problem(case.expression, case.where)
    for index in range(10):
        program = random_program(27, index)
        yield api._problem(program.text, program.where)


@pytest.fixture(scope="module")
def problems():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # (unused statements of the random programs)
        return list(_problems())


def test_the_domain_checks_run_only_on_a_tree_that_holds_a_power_or_a_function(problems):
    """_problem looks for x^-1 of a zero and log of a negative constant only where
    types_mask says a Power or a Func occurs: exactly the trees a walk finds one in."""
    for problem in problems:
        walked = any(isinstance(node, (A.Power, A.Func)) for node in A.unique_nodes(problem.expr))
        assert A.holds(problem.expr, A.Power, A.Func) == walked


def test_the_reading_work_counts_every_node_as_size_does(problems):
    for problem in problems:
        trees = [definition for _, definition in problem.statements] or [problem.expr]
        assert node_count(trees) == sum(A.size(tree) for tree in trees)
    shared = A.Symbol("x")
    for _ in range(6):
        shared = A.Product((shared, shared))
    assert node_count([shared, shared]) == 2 * A.size(shared) == 2 * 127
