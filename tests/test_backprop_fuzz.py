"""Every symbol of a generated expression at once: the backward sweep (SPEC §7)
against the independent oracle of tests/strategies.py, on random cases.

For each case the single-symbol derivation is the reference for what matcalc
can do: where it answers, the sweep over all the symbols must answer too, and
each of its gradients must match the oracle's own finite differences."""

from __future__ import annotations

from dataclasses import replace

import pytest

import matcalc
from matcalc.errors import MatcalcError

import strategies as S  # tests/ is on the path (conftest), not a package

CASES = 120


def _examined(index):
    case = S.random_case(seed=12, index=index)
    try:
        matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
    except MatcalcError:
        return None                                  # refused one at a time: nothing to compare
    if S.structurally_nonsmooth(case):
        return None
    try:
        points = S.usable_points(case)
    except S.OutOfDomain:
        return None
    return case, points


@pytest.mark.parametrize("index", range(CASES))
def test_all_symbols_at_once_agree_with_the_oracle(index):
    examined = _examined(index)
    if examined is None:
        pytest.skip("no case to compare (refused, kinked or no smooth point)")
    case, points = examined
    symbols = list(case.symbols)
    gradients = matcalc.derive(case.expression, wrt=symbols, where=case.where)
    assert list(gradients) == symbols
    for name in symbols:
        try:
            error = S.gradient_error(replace(case, wrt=name), gradients[name], points)
        except S.OutOfDomain as reason:          # the oracle's own differences, not matcalc
            pytest.skip(str(reason))
        assert error <= S.TOLERANCE, f"{case!r} wrt {name}: relative error {error:.2e}"
    assert gradients.text()
