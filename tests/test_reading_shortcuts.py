"""The reading's shortcuts (issue 24, fixed cost, round five): each one gives
exactly what the full work gives, on every rule of the catalog and on the
project's random expressions."""

from __future__ import annotations

import itertools
import warnings

import pytest

from matcalc import api
from matcalc.errors import MatcalcError
from matcalc.rewriting.catalog import default_catalog
from matcalc.shapes import infer as inference_module
from matcalc.shapes import resolve as resolve_module
from strategies import random_case


@pytest.fixture
def resolved_both_ways(monkeypatch):
    """Every resolution made twice: as inference found it (a 1, I or ones met
    or not) and as if it had met one (the walks that write sizes in)."""
    real = resolve_module.resolve
    seen = []

    def both(inference, trees):
        quick_trees, quick_env = real(inference, trees)
        met = inference.sized
        inference.sized = True
        try:
            full_trees, full_env = real(inference, trees)
        finally:
            inference.sized = met
        assert quick_trees == full_trees and quick_env == full_env
        assert [tree.span for tree in quick_trees] == [tree.span for tree in full_trees]
        if not met:                    # nothing to write: the very trees inference made
            assert all(q is f for q, f in zip(quick_trees, full_trees, strict=True))
        seen.append(met)
        return quick_trees, quick_env

    monkeypatch.setattr(inference_module, "resolve", both)
    return seen


def test_every_rule_resolves_alike(resolved_both_ways):
    catalog = default_catalog()
    for name in catalog:
        catalog.read(name)
    assert True in resolved_both_ways and False in resolved_both_ways    # both ways were met


@pytest.mark.parametrize("seed", range(4))
def test_random_expressions_resolve_alike(resolved_both_ways, seed):
    for index in range(40):
        case = random_case(30 + seed, index)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                api._problem(case.expression, case.where)
            except MatcalcError:
                pass
    assert resolved_both_ways


@pytest.mark.parametrize("text, where", [
    ("x^T A x", None), ("alpha tr(I)", "alpha: scalar"), ("1^T x + tr(I) + ones^T y", None), ("a = W x; b = 1 - a; b^T b", None),
    ("sum(X .^ 2) + alpha", "alpha: scalar; X: p x q")])
def test_chosen_inputs_resolve_alike(resolved_both_ways, text, where):
    api._problem(text, where)
    assert resolved_both_ways


def test_the_nth_free_letter():
    letters = resolve_module._LETTERS
    for taken in (set(), {"n"}, {"n", "m", "x"}, set(letters[:20]), set(letters)):
        available = [c for c in letters if c not in taken]           # the letters, listed
        for index in range(len(letters) + 3):
            expected = available[index] if index < len(available) else f"d{index}"
            assert resolve_module.letter(index, taken) == expected


def test_shared_roots_still_unify_by_their_cofactors():
    """m·n = s·n gives m = s (the counted path); m = s and m·n = p shortcut nothing."""
    from matcalc.shapes.unify import Prod, Unifier, normal
    unifier = Unifier()
    m, n, s, p = (unifier.new_var() for _ in range(4))
    assert unifier.unify(Prod((m, n)), Prod((s, n)))
    assert normal(m) == normal(s)
    assert unifier.unify(Prod((m, n)), p)
    assert normal(p) == normal(Prod((s, n)))
    for a, b in itertools.permutations([Prod((2, m)), Prod((3, m))], 2):
        assert not unifier.unify(a, b)
