"""Formulas as papers and textbooks typeset them read right (SPEC §11, issue 28 item 7).

``tests/data/latex_formulas.toml`` holds formulas from the Matrix Cookbook,
Magnus & Neudecker, PRML, Deep Learning, Boyd & Vandenberghe, attention,
Gaussian processes and NMF, typed as their sources print them, and homework
typed as students type it (``hw_``: loose spacing, ``\\cdot``, ``^T`` and
``^\\top`` mixed, ``\\left( \\right)``), each with its
equivalent in matcalc's language, written before matcalc was run on them.
The LaTeX reading's derivative must equal the plain one numerically, on the
same random data (distinct sizes); at least 95% must read, and the rest are
refused with a clear message.
"""

from __future__ import annotations

import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.numeric.data import random_point

FORMULAS = tomllib.loads((Path(__file__).parent / "data" / "latex_formulas.toml").read_text(encoding="utf-8"))["formula"]
# Formulas matcalc refuses, with the reason (each must be refused with a MatcalcError).
REFUSED: dict[str, str] = {}
COMMANDS = {"derive": matcalc.derive, "jacobian": matcalc.jacobian}


def both(formula):
    """(the plain derivation, the LaTeX one)."""
    command = COMMANDS[formula.get("command", "derive")]
    where = formula.get("where", "")
    shared = "" if "\\" in where else where          # a where in LaTeX spelling is the LaTeX side's
    plain_where = "; ".join(w for w in (shared, formula.get("plain_where", "")) if w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", matcalc.MatcalcWarning)
        plain = command(formula["plain"], wrt=formula.get("plain_wrt", formula["wrt"]), where=plain_where or None,
                        input="text")
        latex = command(formula["latex"], wrt=formula["wrt"], where=where or None, input="latex")
    return plain, latex


def test_the_set_is_large_and_mostly_read():
    assert len(FORMULAS) >= 60
    assert len([f for f in FORMULAS if f["id"].startswith("hw_")]) >= 20    # typed as in homework
    assert len({f["id"] for f in FORMULAS}) == len(FORMULAS)
    assert len(REFUSED) <= 0.05 * len(FORMULAS)


@pytest.mark.parametrize("formula", FORMULAS, ids=[f["id"] for f in FORMULAS])
def test_latex_reads_as_its_plain_equivalent(formula):
    if formula["id"] in REFUSED:
        with pytest.raises(matcalc.MatcalcError):
            both(formula)
        return
    plain, latex = both(formula)
    assert sorted(latex.problem.symbols) == sorted(plain.problem.symbols)
    for seed in (1, 2):
        point = random_point(plain.problem.expr, plain.problem.env, seed)
        expected = plain.evaluate(point.values)
        found = latex.evaluate(point.values)
        assert found.shape == expected.shape
        assert np.allclose(found, expected, rtol=1e-9, atol=1e-9), (latex.problem.source, plain.problem.source)
