"""The calculus passes skip work that a cheap look at the tree shows cannot
do anything (issue 24): each look is a necessary condition of its pass.  Here
every look that says "nothing to do" is checked against the pass itself, run
anyway, on the trees of real derivations: generated problems (the soak
grammar of tests/strategies.py), SymPy's suite and cases found by soaks.  The
cases found by soaks are checked numerically as well.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from pathlib import Path

import pytest

import matcalc
import strategies as S
from matcalc.calculus import answers, differential, elementwise_algebra, expansion, naming, scalars
from matcalc.language import ast as A
from matcalc.rewriting.engine import rewrite_everywhere

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import sympy_suite_cases as suite  # noqa: E402

# (expression, wrt, where): soak finds whose differentials the looks must not skip
FOUND = [
    # a non-d factor taken out first lays bare the dw two terms then share (seed 7, case 77)
    ("(exp(w') .^ (1/2) log(softmax(w)))^2", "w", None),
    # a sum inside a term: taking its common factor out could make two terms' factors equal
    ("tr((x^T a + x^T b) A X) + tr(x^T (a + b) A X)", "X", None),
    ("x^T A x + x^T B x", "x", None),
    ("a^T X b + a^T X c", "X", None),
    ("2 x^T A x - 2 x^T x", "x", None),
]
GENERATED = [(case.expression, case.wrt, case.where) for case in (S.random_case(41, index) for index in range(60))]
SUITE = [(case.matcalc, case.wrt, case.where) for case in suite.BOTH if case.command() == "derive"]


@pytest.fixture
def looks_checked(monkeypatch):
    """Wraps each look so that a "nothing" is checked by running the pass."""
    skipped = Counter()

    original_collect = differential.collect

    def collect(dl, context, label, log):
        if not differential._may_collect(dl):
            collected, used = rewrite_everywhere(("factor-right", "factor-left"), dl, context)
            assert not used or differential._differentials(collected) >= differential._differentials(dl), \
                f"collect skipped a collection of {dl}"
            skipped["collect"] += 1
        return original_collect(dl, context, label, log)

    original_expand_steps = expansion.expand_steps

    def expand_steps(expr, context):
        steps = original_expand_steps(expr, context)
        last = steps[-1][1] if steps else expr
        if not expansion._rewritable_by_expand(last):
            assert expansion.expand(last, context)[1] == [], f"expansion stopped early at {last}"
            skipped["expand"] += 1
        return steps

    original_visit = naming.Namer.visit

    def visit(self, node, top=False):
        if top and not self.shared and not any(isinstance(n, naming.NAMED_AROUND) for n in A.walk(node)):
            names_before = list(self.names)
            assert original_visit(self, node, top) is node
            walked = self._visited(node, top)        # the namer's own visit, without the look
            assert walked == node and self.names == names_before, f"naming skipped in {node}"
            skipped["naming"] += 1
        return original_visit(self, node, top)

    original_undone = answers.without_undone_lines

    def without_undone_lines(start, lines, env):
        expressions = [start] + [line[1] for line in lines]
        for first in expressions:
            for second in expressions:
                occurrences = [Counter(n.name for n in A.walk(e) if isinstance(n, A.Symbol)) for e in (first, second)]
                if occurrences[0] != occurrences[1]:
                    assert answers._unordered(first, env) != answers._unordered(second, env)
                    skipped["undone"] += 1
                if answers._key_root(first, env) != answers._key_root(second, env):
                    assert answers._unordered(first, env) != answers._unordered(second, env)
                    skipped["undone root"] += 1
        return original_undone(start, lines, env)

    def look_checked(module, name, does_nothing, kind):
        """The look ``module.name(expr, env)``, wrapped: where it says "nothing", so must ``does_nothing``."""
        original = getattr(module, name)

        def look(expr, env):
            may = original(expr, env)
            if not may:
                assert does_nothing(expr, env), f"{kind} skipped in {expr}"
                skipped[kind] += 1
            return may
        monkeypatch.setattr(module, name, look)

    look_checked(answers, "_may_change_form", lambda expr, env: answers._form_changes(expr, env) == [], "answer form")
    look_checked(elementwise_algebra, "_may_shorten",
                 lambda expr, env: not any(elementwise_algebra._is_quotient(node)
                                           or elementwise_algebra._sum_of_products(node, env) for node in A.walk(expr)),
                 "entrywise")

    original_simplify_coefficients = scalars.simplify_coefficients

    def simplify_coefficients(expr, env, names):
        if not scalars._may_collect(expr):
            assert scalars._collected(expr, env, names) is expr, f"scalar algebra skipped in {expr}"
            skipped["coefficients"] += 1
        return original_simplify_coefficients(expr, env, names)

    monkeypatch.setattr(scalars, "simplify_coefficients", simplify_coefficients)
    monkeypatch.setattr("matcalc.calculus.strategy.simplify_coefficients", simplify_coefficients)
    monkeypatch.setattr(differential, "collect", collect)
    monkeypatch.setattr("matcalc.calculus.strategy.collect", collect)
    monkeypatch.setattr(expansion, "expand_steps", expand_steps)
    monkeypatch.setattr("matcalc.calculus.strategy.expand_steps", expand_steps)
    monkeypatch.setattr(naming.Namer, "visit", visit)
    monkeypatch.setattr(answers, "without_undone_lines", without_undone_lines)
    monkeypatch.setattr("matcalc.calculus.strategy.without_undone_lines", without_undone_lines)
    return skipped


@pytest.mark.parametrize("expression, wrt, where", FOUND)
def test_the_found_cases_are_right(looks_checked, expression, wrt, where):
    assert matcalc.derive(expression, wrt=wrt, where=where).check() < 1e-6


@pytest.mark.parametrize("expression, wrt, where", SUITE + GENERATED)
def test_a_skipped_pass_would_have_done_nothing(looks_checked, expression, wrt, where):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            matcalc.derive(expression, wrt=wrt, where=where)
        except matcalc.MatcalcError:
            pass                            # refused before or during the passes: the looks ran up to there


def test_the_looks_are_exercised(looks_checked):
    """Each look says "nothing" on some of these problems (else the test above checks nothing)."""
    for expression, wrt, where in FOUND + SUITE[:20]:
        matcalc.derive(expression, wrt=wrt, where=where)
    assert {"collect", "expand", "naming", "undone", "undone root", "answer form", "coefficients",
            "entrywise"} <= set(looks_checked), looks_checked
