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


def test_a_pass_is_possible_where_one_of_its_rules_needs_no_more_than_the_tree_holds():
    """RulePass.possible(mask), asked once per mask, answers as the needed
    node classes read directly: True where a rule needs no probability
    vector, "probability" where only such a rule may match, else False."""
    from matcalc.calculus.strategy import DEFINITIONS, SIMPLIFY_ANSWER, SIMPLIFY_DL
    masks = {A.types_mask(subject) for subject in SUBJECTS}
    answers = set()
    for names in (tuple(SIMPLIFY_ANSWER), tuple(SIMPLIFY_DL), tuple(DEFINITIONS), tuple(CATALOG)):
        rules = rule_pass(names, CATALOG)
        for mask in masks:
            needing = [probability for bits, probability in rules.needed_bits if mask & bits == bits]
            expected = True if False in needing else "probability" if needing else False
            assert rules.possible(mask) == expected and rules.possible(mask) == expected
            answers.add(expected)
    assert answers == {True, False, "probability"}        # every answer is asked
