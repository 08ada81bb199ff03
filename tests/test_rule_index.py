"""What the engine reads off the rules ahead (rewriting/rule_index.py, issue
24): the tests made ahead of a left side (below its root, for one neither a
variable nor n-ary; at its root, for any) answer as the engine's _may_match
does, on every subtree of the project's random expressions and of the rules'
own sides."""

from __future__ import annotations

import pytest

from matcalc.language import ast as A
from matcalc.language.parser import parse_program
from matcalc.rewriting import engine
from matcalc.rewriting.catalog import default_catalog
from matcalc.rewriting.rule_index import NARY, root_test, rule_pass
from strategies import random_case

CATALOG = default_catalog()


def subjects() -> list:
    trees = [parse_program(random_case(24, index).expression).result for index in range(60)]
    trees += [CATALOG[name].pattern for name in CATALOG] + [CATALOG[name].rhs for name in CATALOG]
    return [node for tree in trees for node in A.walk(tree)]


SUBJECTS = subjects()


UNARY = [name for name in CATALOG if not isinstance(CATALOG[name].pattern, (A.PatternVar, *NARY))]


@pytest.mark.parametrize("name", UNARY)
def test_the_test_made_ahead_answers_as_may_match(name):
    pattern = CATALOG[name].pattern
    (candidate,) = rule_pass((name,), CATALOG).at(type(pattern))
    same_type = [subject for subject in SUBJECTS if type(subject) is type(pattern)]
    answers = set()
    for subject in same_type:
        made_ahead = candidate.below is None or candidate.below(subject)
        assert made_ahead == engine._may_match(pattern, subject), subject
        answers.add(made_ahead)
    if candidate.below is None:
        assert answers <= {True}


@pytest.mark.parametrize("name", list(CATALOG))
def test_the_root_test_answers_as_may_match(name):
    pattern = CATALOG[name].pattern
    test = root_test(name, CATALOG[name], CATALOG)
    answers = {test(subject) for subject in SUBJECTS}
    for subject in SUBJECTS:
        assert test(subject) == engine._may_match(pattern, subject), subject
    assert True in answers
