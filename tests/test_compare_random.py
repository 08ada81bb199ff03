"""``compare`` on the soundness suite's random expressions (issue #27): each
answer, written out, compared with itself transformed — transposed, scaled,
negated, one term dropped — must get the matching kind.  What "matching"
means is decided here from the numbers (``Derivation.evaluate`` on the
oracle's own data): a transposed answer that is symmetric is equal, not
transposed; a dropped term that is zero leaves the answer equal."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
import strategies as S
from matcalc.language import ast as A
from matcalc.printers.text import to_text

SEED, COUNT = 27, 60
LONGEST = 300              # characters of an answer written out; longer ones are left out


def close(a, b) -> bool:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    return a.shape == b.shape and np.max(np.abs(a - b)) <= 1e-7 * max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-3)


def usable(index: int):
    """(case, derivation, answer text, the oracle's points as given), or a reason to leave it out."""
    case = S.random_case(SEED, index)
    try:
        derivation = matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
        text = to_text(derivation.result)
        if len(text) > LONGEST:
            return "the answer is long"
        if not derivation.compare(text).equal:
            return "the printed answer does not read back alone"     # the 1 of sum(1 ⊗ X)
        points = [S.given(case, point) for point in S.usable_points(case, 2)]
    except (matcalc.MatcalcError, S.OutOfDomain) as error:
        return f"not derived: {type(error).__name__}"
    return case, derivation, text, points


CASES = {index: usable(index) for index in range(COUNT)}


def values(verdict, derivation, points):
    """(candidate, answer) at each point, 2-D."""
    found = []
    for given in points:
        answer = np.asarray(derivation.evaluate(given), dtype=float)
        answer = answer.reshape(-1, 1) if answer.ndim == 1 else np.atleast_2d(answer)
        found.append((np.atleast_2d(verdict.evaluate(given)), answer))
    return found


def check(verdict, derivation, text: str, found, transformed: str) -> None:
    """The verdict on a transformed answer, against the numbers at the oracle's points."""
    rows, cols = derivation.json()["shapes"][derivation.wrt]
    same_shape = transformed != "transposed" or rows == cols
    confirmed = all(close(c, g) for c, g in found)
    zero = all(np.max(np.abs(g)) < 1e-9 for _, g in found)     # the numbers cannot tell kinds apart
    if text == "0":
        assert verdict.kind == "equal"                          # 0 is a zero of any shape
    elif verdict.kind == "equal":
        assert confirmed                                        # equal is never wrong
    elif confirmed and same_shape and not zero:
        pytest.fail(f"equal at the oracle's points, but {verdict.kind}: {verdict.text()}")
    elif transformed == "dropped" and verdict.kind == "factor":
        # the dropped term was a multiple of the rest (I ⊙ S and I ⊙ S^T): a factor it is
        ratios = [np.sum(c * g) / np.sum(g * g) for c, g in found]
        assert all(close(c, ratios[0] * g) for c, g in found)
    else:
        # The oracle may draw square what matcalc's shapes leave m×n: whether a
        # transpose has the same shape is matcalc's symbolic shape.
        expected = {"transposed": "transpose" if rows == cols else "layout", "scaled": "factor",
                    "negated": "sign", "dropped": "missing-term"}[transformed]
        assert verdict.kind == expected, verdict.text()
        assert verdict.detail == {"scaled": "3", "negated": "-1"}.get(transformed, verdict.detail)


def transformations(derivation, text):
    yield "transposed", f"({text})^T"
    yield "scaled", f"3 ({text})"
    yield "negated", f"-({text})"
    if isinstance(derivation.result, A.Add):
        yield "dropped", " + ".join(f"({to_text(term)})" for term in derivation.result.args[:-1])


@pytest.mark.parametrize("index", range(COUNT))
def test_transformed_answer_gets_the_matching_kind(index):
    if isinstance(CASES[index], str):
        pytest.skip(CASES[index])
    case, derivation, text, points = CASES[index]
    for transformed, candidate in transformations(derivation, text):
        verdict = derivation.compare(candidate)
        check(verdict, derivation, text, values(verdict, derivation, points), transformed)


def test_most_random_cases_are_compared():
    compared = [index for index, case in CASES.items() if not isinstance(case, str)]
    assert len(compared) >= COUNT // 2, {i: c for i, c in CASES.items() if isinstance(c, str)}
