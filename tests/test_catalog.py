"""The rule catalog is data handed to the engine (issue: architecture, item 5).

Lines are parsed by the grammar's ``rule`` start symbol and checked when a
rule is loaded; a catalog of one's own runs the same strategies.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from matcalc.api import _problem
from matcalc.calculus.strategy import derive_gradient
from matcalc.errors import MatcalcError
from matcalc.numeric.data import random_point
from matcalc.numeric.evaluate import evaluate
from matcalc.printers.text import to_text
from matcalc.language import ast as A
from matcalc.rewriting.canon import canon
from matcalc.rewriting.catalog import Catalog, default_catalog
from matcalc.rewriting.engine import Context, instantiate
from matcalc.shapes.env import TypeEnv

RULES = Path(__file__).resolve().parent.parent / "rules"


def catalog_of(tmp_path: Path, text: str) -> Catalog:
    (tmp_path / "mine.rules").write_text(text, encoding="utf-8")
    return Catalog(tmp_path)


def test_a_right_side_may_use_only_what_the_left_side_binds(tmp_path):
    catalog = catalog_of(tmp_path, "made-up: tr(?A) = tr(?B)   # ?B comes from nowhere\n")
    with pytest.raises(MatcalcError, match=r"mine.rules:1: rule made-up: the right side uses \?B"):
        catalog["made-up"]


def test_a_rule_defined_twice_is_refused(tmp_path):
    with pytest.raises(MatcalcError, match="mine.rules:2: rule twice defined twice"):
        catalog_of(tmp_path, "twice: ?A^T^T = ?A  # one\ntwice: ?A = ?A^T^T  # two\n")


def test_a_line_that_is_no_rule_names_its_place(tmp_path):
    catalog = catalog_of(tmp_path, "# a comment\n\nbroken: tr(?A = ?A  # unbalanced\n")
    with pytest.raises(MatcalcError, match="mine.rules:3: syntax error"):
        catalog["broken"]


def test_where_clauses_are_read_once_into_conditions():
    rules = default_catalog()
    assert rules["d-const"].conditions == {"?C": {"constant"}}
    assert rules["d-power"].conditions == {"?p": {"constant", "scalar"}}
    assert rules["probability-sum"].conditions == {"?y": {"vector", "probability"}}
    assert rules["trace-kron"].conditions == {"?A": {"square"}, "?B": {"square"}}
    assert rules["cyclic"].explanation == "cyclic permutation, Matrix Cookbook (16)"


def test_the_engine_runs_on_the_catalog_it_is_given(tmp_path):
    """The Hadamard product rule written the other way round: the derivation
    follows the given catalog (its lines read differently) and stays right."""
    for path in RULES.glob("*.rules"):
        shutil.copy(path, tmp_path / path.name)
    differentials = tmp_path / "differentials.rules"
    text = differentials.read_text(encoding="utf-8")
    standard = "d-hadamard: d(?A ⊙ ?B) = d(?A) ⊙ ?B + ?A ⊙ d(?B)"
    assert standard in text
    differentials.write_text(text.replace(standard, "d-hadamard: d(?A ⊙ ?B) = ?A ⊙ d(?B) + d(?A) ⊙ ?B"),
                             encoding="utf-8")

    problem = _problem("a^T (x ⊙ (A x))", None)
    ours = derive_gradient(problem.expr, "x", problem.env, catalog=Catalog(tmp_path))
    theirs = derive_gradient(problem.expr, "x", problem.env)
    assert to_text(ours.steps[2].after) == "a^T (x ⊙ d(A x) + dx ⊙ (A x))"
    assert to_text(theirs.steps[2].after) == "a^T (dx ⊙ (A x) + x ⊙ d(A x))"
    point = random_point(problem.expr, problem.env, seed=3)
    np.testing.assert_allclose(evaluate(ours.expanded, point), evaluate(theirs.expanded, point))
    A, x, a = point.values["A"], point.values["x"], point.values["a"]
    np.testing.assert_allclose(evaluate(ours.expanded, point), a * (A @ x) + A.T @ (a * x))


CANONICAL = [name for name, rule_ in ((n, default_catalog()[n]) for n in default_catalog())
             if rule_.ruleset == "canonical"]


@pytest.mark.parametrize("name", CANONICAL)
def test_canonical_forms_apply_the_silent_rules(name):
    """Each rule of rules/canonical.rules is what canon does: both sides, with
    fresh symbols of the rule's shapes, have one canonical form (the rule test
    checks the identity itself numerically)."""
    rule = default_catalog()[name]
    env = TypeEnv()
    bindings = {}
    for variable, info in rule.env.symbols.items():
        env.add_symbol(variable.lstrip("?"), (info.rows, info.cols), info.kind,
                       symmetric="symmetric" in rule.conditions.get(variable, ()))
        bindings[variable] = A.Symbol(variable.lstrip("?"))
    context = Context(env)
    sides = [canon(instantiate(rule, side, bindings, context), env) for side in (rule.lhs, rule.rhs)]
    assert sides[0] == sides[1], f"{rule}: canon gives {to_text(sides[0])} and {to_text(sides[1])}"


def test_there_are_silent_rules():
    assert len(CANONICAL) >= 12
