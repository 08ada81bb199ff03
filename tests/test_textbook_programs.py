"""Textbook programs (tests/textbook_programs.py; issue 23, item 6): the
backprop equations each source prints, written by hand before matcalc ran.

For every program:
(a) each textbook line is right: ∂l/∂v (a named value's δ, the value moved
    with everything after it recomputed) or ∂l/∂P by central differences of
    the program, at random data with distinct sizes;
(b) matcalc prints that δ or gradient, at most 1.3 times as long as the
    textbook's (characters, whitespace removed), and its gradients check.
"""

from __future__ import annotations

import re
import statistics
import warnings
from functools import lru_cache

import numpy as np
import pytest

import matcalc
from matcalc.numeric.data import defined_points
from matcalc.numeric.evaluate import Point, evaluate
from matcalc.printers.text import to_text

from textbook_programs import PROGRAMS  # tests/ is on the path (conftest)

MAX_RATIO = 1.3
TOLERANCE = 1e-6
STEP = 1e-6
BY_ID = {program.id: program for program in PROGRAMS}


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def statement_name(label: str) -> str:
    """δa2 → tb_d_a2, W2 → tb_g_W2: the textbook line as a statement of its own."""
    return f"tb_d_{label[1:]}" if label.startswith("δ") else f"tb_g_{label}"


def joint_program(case) -> str:
    """The program with each textbook line as a statement before the loss,
    typed together (the textbook's 1's get their sizes; `+ 0 * v` gives a line
    the shape of what it is the derivative by)."""
    statements = [s.strip() for s in case.program.split(";")]
    lines = []
    for label, expr in case.lines:
        written = re.sub(r"δ(\w+)", lambda m: statement_name("δ" + m[1]), expr)
        target = label[1:] if label.startswith("δ") else label
        lines.append(f"{statement_name(label)} = ({written}) + 0 * {target}")
    return "; ".join(statements[:-1] + lines + statements[-1:])


@lru_cache(maxsize=None)
def typed(case_id: str):
    """(the statements typed, their values at a random point, the point)."""
    case = BY_ID[case_id]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")          # the textbook lines are not used by the loss
        first = case.wrt.split(",")[0].strip()
        problem = matcalc.derive(joint_program(case), wrt=first, where=case.where).problem
    point = next(defined_points(problem.expr, problem.env, seed=5))
    values = dict(point.values)
    for name, definition in problem.statements[:-1]:
        values[name] = evaluate(definition, Point(values, point.sizes))
    return problem, values, point.sizes


def loss_with(problem, values, sizes, moved: str, value) -> float:
    """The loss with ``moved`` set to ``value`` and everything after it recomputed."""
    current = dict(values)
    current[moved] = value
    program = [(n, d) for n, d in problem.statements if not n.startswith("tb_")]
    after = moved not in dict(program)              # a parameter: everything is after it
    for name, definition in program[:-1]:
        if after and name != moved:
            current[name] = evaluate(definition, Point(current, sizes))
        after = after or name == moved
    return float(np.asarray(evaluate(program[-1][1], Point(current, sizes))).reshape(-1)[0])


def central_differences(problem, values, sizes, name) -> np.ndarray:
    base = np.asarray(values[name], dtype=float)
    gradient = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        step = np.zeros_like(base)
        step[index] = STEP
        gradient[index] = (loss_with(problem, values, sizes, name, base + step)
                           - loss_with(problem, values, sizes, name, base - step)) / (2 * STEP)
    return gradient


@lru_cache(maxsize=None)
def derived(case_id: str):
    case = BY_ID[case_id]
    return matcalc.derive(case.program, wrt=[w.strip() for w in case.wrt.split(",")], where=case.where)


def printed(g, label: str) -> str | None:
    if label.startswith("δ"):
        return next((to_text(expr) for name, expr in g.sweep.deltas if name == label), None)
    return to_text(g[label].named_result)


def ratios(case) -> dict:
    g = derived(case.id)
    found = {}
    for label, textbook in case.lines:
        shown = printed(g, label)
        found[label] = len(compact(shown)) / len(compact(textbook)) if shown is not None else np.inf
    return found


IDS = [case.id for case in PROGRAMS]


@pytest.mark.parametrize("case_id", IDS)
def test_the_textbook_lines_are_the_derivatives(case_id):
    """(a) each hand-written line against central differences of the program."""
    case = BY_ID[case_id]
    problem, values, sizes = typed(case_id)
    for label, expr in case.lines:
        target = label[1:] if label.startswith("δ") else label
        numeric = central_differences(problem, values, sizes, target)
        line = np.broadcast_to(np.asarray(values[statement_name(label)], dtype=float), numeric.shape)
        scale = max(float(np.max(np.abs(numeric))), 1e-6)
        assert np.max(np.abs(line - numeric)) / scale <= 1e-5, f"{label} = {expr} is not ∂l/∂{target}"


@pytest.mark.parametrize("case_id", IDS)
def test_matcalc_prints_the_textbook_lines_as_short(case_id):
    """(b) matcalc prints each δ and gradient within 1.3× of the textbook, and checks."""
    case = BY_ID[case_id]
    g = derived(case_id)
    found = ratios(case)
    too_long = {label: (printed(g, label), textbook, round(found[label], 2))
                for label, textbook in case.lines if found[label] > MAX_RATIO}
    assert not too_long, too_long
    assert g.check() < TOLERANCE


def test_enough_programs_and_the_figures():
    assert len(PROGRAMS) >= 20
    every = [r for case in PROGRAMS for r in ratios(case).values()]
    within = sum(r <= MAX_RATIO for r in every)
    assert within == len(every), f"{within} of {len(every)} lines within {MAX_RATIO}×"
    assert statistics.median(every) <= 1.0
