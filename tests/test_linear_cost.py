"""Deriving a sum of n distinct terms costs work linear in n (SPEC §2: "cost
linear in the size of the program").  Work is counted, not timed: calls of
the canonicalizer's node simplifier, of the engine's rewriting pass and of
the like-term key.  Each was once quadratic here: the chain substituted one
named differential per pass over dl, every softmax name had a pass of its
own, and the like-term key of every term was computed again whenever its sum
was (300 cross-entropies took 55 s).  Wrt every parameter, dl was written
again without the other differentials for each one, and every statement
was searched for means once per gradient (300 two-layer terms wrt all took
19 s; ``A.substitute`` and ``A.symbol_names`` are counted too).  (The namer's lookups, also quadratic
once, and the softmax names, which scanned every name, are plain loops and
one lookup each: benchmarks/limits.py times them.)"""

from __future__ import annotations

import pytest

import matcalc
from matcalc.language import ast as A
from matcalc.rewriting import engine
from matcalc.rewriting.canon import dispatch, sums
from matcalc.shapes import env as env_module

TERMS = {
    "quadratic forms": ("x^T A# x", "x"),
    "every parameter of two-layer networks": ("sum(sigma(W# tanh(V# x)))", "all"),
    "cross-entropies": ("y#^T log(softmax(W# x))", "x"),
    "two-layer networks": ("sum(sigma(W# tanh(V# x)))", "x"),
    "least squares": ("||A# x - b#||^2", "x"),
}


@pytest.fixture
def work(monkeypatch):
    # The cost is what is measured here, not the limit: 80 two-layer terms wrt
    # every parameter need more than MAX_WORK.
    monkeypatch.setattr(env_module, "MAX_WORK", 10 * env_module.MAX_WORK)
    counts = {"steps": 0}

    def counted(module, name):
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            counts["steps"] += 1
            return original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)

    counted(dispatch, "simplify")
    counted(engine, "_rewrite_once_uncached")
    counted(sums, "_like_key")
    counted(A, "substitute")
    counted(A, "symbol_names")
    return counts


def steps_for(work, term, wrt, count) -> int:
    work["steps"] = 0
    derivation = matcalc.derive(" + ".join(term.replace("#", str(i)) for i in range(count)), wrt=wrt)
    derivation.text()
    return work["steps"]


@pytest.mark.parametrize("kind", TERMS)
def test_twice_the_terms_is_twice_the_work(work, kind):
    term, wrt = TERMS[kind]
    small, large = steps_for(work, term, wrt, 40), steps_for(work, term, wrt, 80)
    assert large < 2.3 * small, f"{small} steps for 40 terms, {large} for 80"


def test_a_sum_of_cross_entropies_is_right():
    """The one-pass chain and softmax naming still give every term its own s."""
    derivation = matcalc.derive(" + ".join(f"y{i}^T log(softmax(W{i} x))" for i in range(4)), wrt="x",
                                where="; ".join(f"y{i}: probability vector" for i in range(4)))
    assert derivation.check() < 1e-8
    assert all(f"W{i}^T (y{i} - s{i + 1 if i else ''})" in derivation.text(steps=False)
               for i in range(4)), derivation.text(steps=False)
