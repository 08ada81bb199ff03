"""A deep network written out as one expression is derived like its program
(issue 24): a value used several times (a GRU cell's state in every gate of
the next step, a layer norm's W x) is named once and goes through the same
backward sweep, so the work is the program's, not the product of its uses.
Work is counted (TypeEnv.work, the units of the work limit), never timed."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc
from matcalc.language.limits import READING_WORK
from matcalc.calculus.naming import by_sweep, shared_values
from matcalc.language import ast as A
from matcalc.printers.text import to_text
from matcalc.shapes import env as env_module


def gru(steps: int) -> str:
    statements, state = [], "h0"
    for t in range(1, steps + 1):
        statements += [f"z{t} = sigma(Wz x{t} + Uz {state})", f"r{t} = sigma(Wr x{t} + Ur {state})",
                       f"n{t} = tanh(Wn x{t} + Un (r{t} ⊙ {state}))",
                       f"h{t} = (1 - z{t}) ⊙ n{t} + z{t} ⊙ {state}"]
        state = f"h{t}"
    return "; ".join(statements + [f"l = ||{state} - y||^2"])


def layer_norm_network(layers: int) -> str:
    statements, value = [], "x"
    for k in range(1, layers + 1):
        statements += [f"a{k} = W{k} {value}", f"m{k} = a{k} - mean(a{k}) 1",
                       f"v{k} = m{k} / sqrt(mean(m{k} ⊙ m{k}) + eps)", f"h{k} = tanh(g{k} ⊙ v{k} + c{k})"]
        value = f"h{k}"
    return "; ".join(statements + [f"l = ||{value} - y||^2"])


def written_out(program: str) -> str:
    """The program as one expression: each name replaced by its definition, in parentheses."""
    *statements, last = [part.strip() for part in program.split(";")]
    definitions: dict = {}

    def expand(text: str) -> str:
        for name, definition in definitions.items():
            text = re.sub(rf"\b{name}\b", f"({definition})", text)
        return text
    for statement in statements:
        name, definition = (part.strip() for part in statement.split("=", 1))
        definitions[name] = expand(definition)
    return expand(last.split("=", 1)[1])


CASES = {
    "GRU, 2 steps": (gru(2), "x1, x2, y, h0: data", "Uz"),
    "GRU, 3 steps": (gru(3), "x1, x2, x3, y, h0: data", "Wn"),
    "layer norm, 2 layers": (layer_norm_network(2), "x, y, eps: data", "W1"),
    "layer norm, 3 layers": (layer_norm_network(3), "x, y, eps: data", "W1"),
    "GRU, 2 steps, every parameter": (gru(2), "x1, x2, y, h0: data", "all"),
    "layer norm, 3 layers, every parameter": (layer_norm_network(3), "x, y, eps: data", "all"),
}


def work(derivation) -> int:
    return (derivation.sweep.env if hasattr(derivation, "sweep") else derivation.env).work


def derivation_work(derivation) -> int:
    """The work beyond reading the input: reading costs what was typed (READING_WORK a part),
    so a program's text is cheaper to read than the same network written out."""
    problem = derivation.problem
    typed = [definition for _, definition in problem.statements] or [problem.expr]
    return work(derivation) - READING_WORK * sum(A.size(tree) for tree in typed)


@pytest.mark.parametrize("case", CASES)
def test_written_out_it_costs_about_what_its_program_does(case, monkeypatch):
    # (the work is measured, not limited: the written-out forms once took up to 2.2× the program's
    # units, and minutes where they are not counted)
    monkeypatch.setattr(env_module, "MAX_WORK", 10 * env_module.MAX_WORK)
    program, where, wrt = CASES[case]
    expression = written_out(program)
    as_program = matcalc.derive(program, wrt=wrt, where=where)
    as_expression = matcalc.derive(expression, wrt=wrt, where=where)
    # (layer norm written out: 1.22× — its shared values are found in the tree, the program names them)
    assert derivation_work(as_expression) <= 1.3 * derivation_work(as_program)
    assert as_expression.check() < 1e-8


def test_the_written_out_gru_is_derived_by_the_sweep_in_names():
    program, where, _ = CASES["GRU, 2 steps"]
    derivation = matcalc.derive(written_out(program), wrt="Uz", where=where)
    names = dict(derivation.names)
    # h1, used by each gate of step 2, is one named value, written once
    assert "v" in names and A.size(names["v"]) < 40
    # the state's two uses (a layer keeps its number whatever is asked: the GRU's second gate is a4)
    assert to_text(derivation.printed_result) == "δa4 v^T + δa1 h0^T"


def test_values_used_more_than_once_are_found_in_the_expression_as_a_graph():
    problem = matcalc.derive("sum(tanh(W x) + tanh(W x) ⊙ tanh(W x)) + a^T x + a^T x", wrt="W").problem
    shared = {to_text(node) for node in shared_values(problem.expr, ["W"])}
    assert shared == {"tanh(W x)"}          # not W x (only inside tanh(W x)), not a^T x (no W)


@pytest.mark.parametrize("expression, wrt", [
    ("-y^T log(sigma(X w)) - (1 - y)^T log(1 - sigma(X w)) + lambda/2 w^T w", "w"),   # shared, but small
    ("sigma(W x)^T sigma(W x)", "W"),
    ("x^T A x", "x"),
])
def test_a_textbook_expression_keeps_its_own_derivation(expression, wrt):
    problem = matcalc.derive(expression, wrt=wrt).problem
    assert not by_sweep(problem.expr, wrt)


def test_a_check_evaluates_each_distinct_part_of_a_written_out_network_once():
    from matcalc.language.graph import graph
    from matcalc.numeric.data import defined_points
    from matcalc.numeric.evaluate import evaluate
    from matcalc.numeric.program import ProgramValues
    program, where, _ = CASES["GRU, 3 steps"]
    problem = matcalc.derive(written_out(program), wrt="Wn", where=where).problem
    distinct = len(graph(problem.expr)[1])
    assert A.size(problem.expr) > 10 * distinct            # the tree repeats its parts
    point = next(defined_points(problem.expr, problem.env, 0))
    values = ProgramValues(((problem.function_name, problem.expr),), point)
    assert sum(A.size(definition) for _, definition in values.statements) < 2 * distinct
    assert np.array_equal(values.value, evaluate(problem.expr, point))    # the same operations, once each
