"""check() ends on deep programs (issue 24): a gradient is checked along a few
directions, not entry by entry; each statement is computed once per point and
moving a parameter recomputes only the statements after it; the answers of
a whole backward pass are evaluated once per point.  The work is counted
(evaluations), never timed; and the check still catches wrong answers."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.numeric import check, directional, joint, program
from matcalc.numeric.program import ProgramValues
from matcalc.service import CHECK_TOLERANCE
from networks import tanh_network

MLP = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"


class Counts:
    def __init__(self, monkeypatch):
        self.function, self.statements, self.answers = 0, 0, 0
        moved, evaluate, answers = ProgramValues.moved_many, program.evaluate, check.evaluate_named

        def counted_moved(values, displacements):
            self.function += 1
            return moved(values, displacements)

        def counted_evaluate(expr, point):
            self.statements += 1
            return evaluate(expr, point)

        def counted_answers(*args):
            self.answers += 1
            return answers(*args)

        monkeypatch.setattr(ProgramValues, "moved_many", counted_moved)
        monkeypatch.setattr(program, "evaluate", counted_evaluate)
        monkeypatch.setattr(check, "evaluate_named", counted_answers)


def _checked(depth: int, monkeypatch, width: str | None = "n", damping: str = "") -> tuple[Counts, float, int]:
    source, where = tanh_network(depth, width, damping)
    gradients = matcalc.derive(source, wrt="all", where=where)
    counts = Counts(monkeypatch)
    error = gradients.check()
    return counts, error, len(gradients)


def test_the_function_is_evaluated_a_bounded_number_of_times_per_parameter(monkeypatch):
    counts, error, parameters = _checked(6, monkeypatch)
    assert error < 1e-8
    directions = 1 + directional.RANDOM_DIRECTIONS
    assert counts.function <= parameters * directions * 2 * directional.HALVINGS * check.REFERENCE_POINTS
    monkeypatch.undo()
    wide, wide_error, _ = _checked(6, monkeypatch, width="20")
    assert wide_error < 1e-8
    # 400 entries per matrix instead of 9: about as many evaluations (entry by entry, 44× as many);
    # a wider random network is more curved, so its differences take a few more halvings
    assert wide.function < 2 * counts.function


def test_a_checks_evaluations_grow_linearly_with_depth(monkeypatch):
    shallow, error, _ = _checked(6, monkeypatch)
    monkeypatch.undo()
    deep, deep_error, _ = _checked(24, monkeypatch)
    assert error < joint.SPLIT and deep_error < joint.SPLIT
    assert deep.function < 4 * 1.5 * shallow.function           # 4× the depth: about 4× the evaluations


@pytest.mark.parametrize("width", ["n", None])
def test_a_checks_statement_evaluations_grow_linearly_with_depth(width, monkeypatch):
    # every parameter moves at once along joint directions: a sweep of the program per difference,
    # not half a sweep per parameter (which grew as L²/2: 92,000 statement evaluations at L = 64).
    # (A chaotic network's curvature grows with its depth, and its differences need more halvings:
    # that is the function's difficulty, not the check's; this network is damped.)
    shallow, error, _ = _checked(16, monkeypatch, width, damping=" / 4")
    monkeypatch.undo()
    deep, deep_error, _ = _checked(32, monkeypatch, width, damping=" / 4")
    assert error < joint.SPLIT and deep_error < joint.SPLIT
    assert deep.statements <= 2.2 * shallow.statements


def test_a_right_deep_program_is_checked_in_a_few_sweeps(monkeypatch):
    counts, error, parameters = _checked(64, monkeypatch)
    assert parameters == 128 and error < joint.SPLIT
    # a few joint directions, a few halvings each, a point or two: not a sweep per parameter
    assert counts.function < parameters
    assert counts.statements < 10 * 65 * (1 + directional.RANDOM_DIRECTIONS) * 2


def test_the_answers_of_a_pass_are_evaluated_once_per_point(monkeypatch):
    counts, _, parameters = _checked(8, monkeypatch)
    assert parameters == 16
    assert counts.answers <= check.REFERENCE_POINTS


def test_progress_is_told_of_every_gradient_and_of_the_end():
    heard = []
    source, where = tanh_network(3)
    matcalc.derive(source, wrt="all", where=where).check(progress=lambda done, total: heard.append((done, total)))
    assert heard[-1] == (6, 6)
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)


def test_the_cli_shows_progress_once_a_check_runs_longer_than_a_second(run_cli, monkeypatch):
    clock = iter(range(0, 1000, 2))             # every reading of the clock is 2 s later
    monkeypatch.setattr("matcalc.cli.time.monotonic", lambda: next(clock))
    source, where = tanh_network(2)
    status, out, err = run_cli("derive", source, "--wrt", "all", "--where", where, "--check", "--no-steps")
    assert status == 0 and "(ok)" in out
    assert err.rstrip().endswith("check: 4/4 gradients checked")


# ---- soundness: a wrong answer is still caught
def _wrong(gradients, name, monkeypatch, wrong):
    derivation = gradients[name]
    monkeypatch.setattr(derivation, "outcome", replace(derivation.outcome, answer=wrong(derivation.outcome.answer)))
    return gradients


def _scaled(factor):
    return lambda answer: A.Product((A.Number(Fraction(factor)), answer))


@pytest.mark.parametrize("name", ["W1", "W2", "W3", "b2"])
@pytest.mark.parametrize("wrong", ["transposed", "scaled by 1.01"])
def test_a_wrong_gradient_among_many_is_caught(name, wrong, monkeypatch):
    source, where = tanh_network(3)
    gradients = matcalc.derive(source, wrt="all", where=where)
    assert gradients.check() < 1e-8
    change = A.Transpose if wrong == "transposed" else _scaled(Fraction(101, 100))
    error = _wrong(gradients, name, monkeypatch, change).check()
    assert error > 1e-3 and not error < CHECK_TOLERANCE
    if wrong == "transposed" and name.startswith("b"):
        assert error == np.inf                  # a vector's transpose has another shape


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2"])
def test_a_scaled_mlp_gradient_is_measured_as_such(name, monkeypatch):
    gradients = matcalc.derive(MLP, wrt="all", where="y: probability vector; x, y: data")
    error = _wrong(gradients, name, monkeypatch, _scaled(Fraction(101, 100))).check()
    assert 0.9e-2 < error < 1.1e-2                  # |1.01 g - g| / |1.01 g|


@pytest.mark.parametrize("depth, name", [(3, "W2"), (3, "b3"), (8, "W1"), (8, "W5"), (32, "W17"), (32, "b31")])
@pytest.mark.parametrize("entry", [0, -1])
def test_one_entry_changed_is_caught(depth, name, entry, monkeypatch):
    """check() given an answer right but for one entry (off by 1% of the largest)."""
    source, where = tanh_network(depth)
    gradients = matcalc.derive(source, wrt="all", where=where)
    assert gradients.check() < joint.SPLIT
    answers_at = check._answers_at

    def one_entry_off(names, answers, point, env):
        values = answers_at(names, answers, point, env)
        if name in values:
            wrong = values[name] = values[name].copy()
            wrong.reshape(-1)[entry] += 0.01 * np.max(np.abs(wrong))
        return values

    monkeypatch.setattr(check, "_answers_at", one_entry_off)
    assert gradients.check() > 10 * CHECK_TOLERANCE


def test_a_gradient_that_is_not_symmetric_is_caught_for_a_symmetric_matrix(monkeypatch):
    derivation = matcalc.derive("tr(A S B)", wrt="S", where="S: symmetric")
    assert derivation.check() < 1e-9
    # the symmetric part of Aᵀ Bᵀ is right along every symmetric direction; the answer is not symmetric
    wrong = A.Transpose(A.Product((A.Symbol("B"), A.Symbol("A"))))
    monkeypatch.setattr(derivation, "outcome", replace(derivation.outcome, expanded=wrong))
    assert derivation.check() > 1e-3


@pytest.mark.filterwarnings("ignore:a = W x is never used")
def test_a_parameter_the_function_does_not_use_is_checked_too():
    # (its data were not drawn: the function has no W; it once raised KeyError 'W')
    gradients = matcalc.derive("a = W x; l = sum(x)", wrt="all")
    assert gradients.check() < 1e-9
    wrong = A.Product((A.Number(Fraction(1, 100)), A.Symbol("W")))      # not zero
    derivation = gradients["W"]
    derivation.outcome = replace(derivation.outcome, answer=wrong, expanded=wrong)
    assert derivation.check() > 1e-3


def test_a_joint_checks_figure_is_a_plain_number_for_json():
    # (a NumPy float made the page's check answer 500: its verdict, a NumPy bool, is not JSON)
    from matcalc.service import check_json
    import json
    gradients = matcalc.derive(MLP, wrt="all", where="y: probability vector; x, y: data")
    assert json.loads(json.dumps(check_json(gradients)))["ok"] is True
    assert type(gradients.check()) is float
