"""The work limit (README "Limits"): a derivation that needs more than
``MAX_WORK`` units of rewriting work is refused with a ``LimitError``, the
same on every machine, and the count belongs to one call (issue: soundness
round two, "make every documented limit hold in time").

Inside the size limit, a sum of several hundred terms that share nothing once
took 4-9 s, and every parameter of 600 two-layer terms 15 s; they are now
refused once the work is spent.  What the README answers (a product of 3,000
matrices, ``tr(X A1 … X A44)``, ``a^T A^400 x``) stays under the limit.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import matcalc
from matcalc.language.limits import MAX_WORK
from matcalc.shapes import env as env_module

from deadlines import deadline  # tests/ is on sys.path


def terms(term: str, count: int) -> str:
    return " + ".join(term.replace("#", str(i)) for i in range(count))


def test_a_sum_of_many_distinct_terms_is_refused_by_the_work_limit():
    with deadline(30):
        with pytest.raises(matcalc.LimitError, match=f"more than {MAX_WORK:,} units of rewriting work"):
            matcalc.derive(terms("sum(sigma(W# tanh(V# x)))", 600), wrt="all")


def test_the_refusal_is_the_same_every_time():
    """Counted, not timed: the same call is refused at the same point."""
    messages = set()
    for _ in range(2):
        with pytest.raises(matcalc.LimitError) as refused:
            matcalc.derive(terms("x^T A# x", 999), wrt="x")
        messages.add(str(refused.value))
    assert len(messages) == 1


def test_work_is_counted_per_call(monkeypatch):
    """Two calls of two thirds of the limit each are both answered: nothing
    carries over from one call to the next."""
    expression = terms("x^T A# x", 250)           # about 36,000 units
    first = matcalc.derive(expression, wrt="x")
    spent = first.problem.env.work
    monkeypatch.setattr(env_module, "MAX_WORK", spent * 3 // 2)
    second = matcalc.derive(expression, wrt="x")
    assert second.problem.env.work == spent
    assert second.text() == first.text()


def test_the_limit_is_what_stops_it(monkeypatch):
    """Just below the work it needs, an input is refused; at it, answered."""
    expression = terms("||A# x - b#||^2", 20)
    needed = matcalc.derive(expression, wrt="x").problem.env.work
    monkeypatch.setattr(env_module, "MAX_WORK", needed - 1)
    with pytest.raises(matcalc.LimitError, match=f"more than {needed - 1:,} units"):
        matcalc.derive(expression, wrt="x")
    monkeypatch.setattr(env_module, "MAX_WORK", needed)
    assert matcalc.derive(expression, wrt="x").check() < 1e-6


@pytest.mark.parametrize("expression, wrt", [
    ("a^T " + " ".join(f"A{i}" for i in range(3000)) + " x", "x"),
    ("tr(" + " ".join(f"X A{i}" for i in range(1, 45)) + ")", "X"),
    ("a^T A^400 x", "A"),
    ("sum(" + " ⊙ ".join(f"x{i}" for i in range(2000)) + ")", "x7"),
    (" + ".join(f"x^T A{i} x" for i in range(250)), "x"),
], ids=["a product of 3,000 matrices", "tr(X A1 … X A44)", "a^T A^400 x", "a Hadamard chain of 2,000",
        "250 quadratic forms"])
def test_what_the_readme_answers_stays_under_the_limit(expression, wrt):
    """With a fifth of the limit to spare, so that a small change in the
    engine does not turn a documented answer into a refusal."""
    derivation = matcalc.derive(expression, wrt=wrt)
    assert derivation.problem.env.work < 0.85 * MAX_WORK, derivation.problem.env.work


def test_the_cli_refuses_it_in_one_line_with_status_2():
    done = subprocess.run([sys.executable, "-m", "matcalc", "derive", terms("y#^T log(softmax(W# x))", 624),
                           "--wrt", "x"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "units of rewriting work" in lines[0], done.stderr
