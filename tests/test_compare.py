"""Checking a hand-derived answer (SPEC §10, issue #27): ``Derivation.compare``.

``data/compare_cases.txt`` holds candidate answers as students write them,
each with the verdict it must get.  Every verdict is also checked here on
the test's own random data (sizes 3, 4, 5, ... per dimension, two size sets,
the where-clause respected), through the public API only: an ``equal``
candidate has the answer's value; a ``factor`` candidate is the factor times
the answer; a ``missing-term`` candidate differs by the term named; an
``order`` candidate's named reordering has the answer's value; a
``symmetric-only`` candidate is right once the named matrix is drawn
symmetric and wrong otherwise; and so on.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import matcalc

CASES_FILE = Path(__file__).parent / "data" / "compare_cases.txt"
KINDS = ("equal", "transpose", "sign", "factor", "missing-term", "order", "symmetric-only", "layout",
         "shape", "different")
COMMANDS = {"gradient": matcalc.derive, "jacobian": matcalc.jacobian, "hessian": matcalc.hessian}


@dataclasses.dataclass(frozen=True)
class Case:
    kind: str
    what: str
    function: str
    wrt: str
    where: str
    candidate: str

    def __str__(self) -> str:
        return f"{self.function} wrt {self.wrt} [{self.where}]: {self.candidate} → {self.kind}"


def read_cases() -> list[Case]:
    cases = []
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, what, function, wrt, where, candidate = (part.strip() for part in line.split(" | "))
            cases.append(Case(kind, what, function, wrt, "" if where == "-" else where, candidate))
    return cases


CASES = read_cases()


# ---------------------------------------------------------------- the test's own data

def declared(where: str) -> dict:
    """name → what the where-clause says of it (symmetric, positive definite, probability vector)."""
    found = {}
    for part in where.split(";"):
        if ":" in part:
            names, kind = part.split(":", 1)
            for name in names.split(","):
                found[name.strip()] = kind.strip()
    return found


def draw(derivation, where: str, seed: int, assume: tuple = (), reverse: bool = False) -> dict:
    """Values for every symbol: distinct sizes per dimension (3, 4, 5, ... or 4, 5, 6, ...,
    in reverse order with ``reverse``: X^T X is singular for a wide X),
    vectors as columns; square matrices near the identity (det and inverses are then
    safe); symmetric / positive definite / probability vectors as declared.
    ``assume`` = (name, "symmetric" | "probability vector") draws one symbol so."""
    rng = np.random.default_rng(seed)
    shapes = derivation.json()["shapes"]
    dims = list(dict.fromkeys(d for shape in shapes.values() for d in shape if not d.isdigit()))
    sizes = {d: 3 + seed % 2 + i for i, d in enumerate(dims[::-1] if reverse else dims)}
    kinds = declared(where)
    if assume:
        kinds[assume[0]] = assume[1]
    values = {}
    for name, (rows, cols) in shapes.items():
        r, c = (sizes.get(rows) or int(rows)), (sizes.get(cols) or int(cols))
        kind = kinds.get(name, "")
        value = rng.standard_normal((r, c))
        if "probability" in kind:
            value = rng.uniform(0.5, 1.5, (r, c))
            value /= value.sum(axis=0, keepdims=True)
        elif r == c > 1:
            value = np.eye(r) + 0.3 * value / np.sqrt(r)
            if "positive" in kind:
                value = value @ value.T
            elif "symmetric" in kind:
                value = (value + value.T) / 2
        values[name] = float(value[0, 0]) if (r, c) == (1, 1) else value
    return values


def regular_draw(derivation, where: str, seed: int, assume: tuple = ()) -> dict:
    """``draw``, with the sizes in reverse order where the answer inverts a singular matrix."""
    values = draw(derivation, where, seed, assume)
    try:
        derivation.evaluate(values)
    except matcalc.MatcalcError:
        values = draw(derivation, where, seed, assume, reverse=True)
    return values


def close(a, b) -> bool:
    a, b = np.atleast_2d(a), np.atleast_2d(b)
    if a.shape != b.shape:
        return False
    return np.max(np.abs(a - b)) <= 1e-7 * max(np.max(np.abs(a)), np.max(np.abs(b)), 1e-300)


def value_of(derivation, text: str, values: dict) -> np.ndarray:
    """An expression in the problem's symbols, evaluated (through the public compare)."""
    return np.atleast_2d(derivation.compare(text).evaluate(values))


def factor_value(detail: str, values: dict) -> float:
    """A factor as the verdict writes it: 2, -1/2, 1/α, 3 α."""
    written = detail.replace("α", f"({values.get('alpha', 0.0)!r})").replace(" ", " * ")
    assert re.fullmatch(r"[-0-9/*(). e]+", written), detail
    return float(eval(written))


def verify(derivation, case: Case, verdict, values: dict) -> None:
    """The verdict's claim, on the test's data."""
    answer = np.asarray(derivation.evaluate(values))
    answer = answer.reshape(-1, 1) if answer.ndim == 1 else np.atleast_2d(answer)
    kind, detail = verdict.kind, verdict.detail
    if kind == "order" and not verdict.reading:          # its shapes do not fit: only the reordering evaluates
        with pytest.raises(matcalc.MatcalcError):
            verdict.evaluate(values)
        assert close(value_of(derivation, detail, values), answer)
        return
    mine = np.atleast_2d(verdict.evaluate(values))
    if kind == "equal":
        assert close(mine, answer)
        return
    assert not close(mine, answer)
    if kind in ("transpose", "layout"):
        assert close(mine, answer.T)
        assert (mine.shape == answer.shape) == (kind == "transpose")
    elif kind == "sign" and detail == "-1":
        assert close(mine, -answer)
    elif kind == "sign":
        term = value_of(derivation, detail, values)
        assert close(mine, answer - 2 * term) or close(mine - 2 * term, answer)
    elif kind == "factor":
        assert close(mine, factor_value(detail, values) * answer)
    elif kind == "missing-term":
        term = value_of(derivation, detail, values)
        assert close(mine, answer - term) or close(mine, answer + term) or close(mine - term, answer)
    elif kind == "order":
        assert close(value_of(derivation, detail, values), answer)
    elif kind == "shape":
        assert mine.shape not in (answer.shape, answer.T.shape)
    elif kind == "different":
        assert not close(mine, -answer) and not close(mine, answer.T)


def verify_assumption(derivation, case: Case, verdict, seed: int) -> None:
    """symmetric-only: right once the named symbol is drawn so, wrong as drawn before."""
    name, _, assumption = verdict.detail.partition(" is ")
    assumption = "symmetric" if assumption == "symmetric" else "probability vector"
    values = regular_draw(derivation, case.where, seed, assume=(name, assumption))
    answer = np.asarray(derivation.evaluate(values))
    answer = answer.reshape(-1, 1) if answer.ndim == 1 else np.atleast_2d(answer)
    assert close(verdict.evaluate(values), answer)


# ---------------------------------------------------------------- the set

@pytest.mark.parametrize("case", CASES, ids=str)
def test_verdict(case):
    derivation = COMMANDS[case.what](case.function, wrt=case.wrt, where=case.where)
    verdict = derivation.compare(case.candidate)
    assert verdict.kind == case.kind, verdict.text()
    assert verdict.equal == (case.kind == "equal")
    assert (verdict.detail != "") == (case.kind in ("sign", "factor", "missing-term", "order", "symmetric-only"))
    for seed in (1, 2):
        verify(derivation, case, verdict, regular_draw(derivation, case.where, seed))
        if case.kind == "symmetric-only":
            verify_assumption(derivation, case, verdict, seed)


def test_the_set_is_large_and_covers_every_kind():
    counts = Counter(case.kind for case in CASES)
    assert len(CASES) >= 60
    assert counts["equal"] * 3 >= len(CASES)
    assert set(counts) == set(KINDS), set(KINDS) - set(counts)
    mistakes = [case for case in CASES if case.kind != "equal"]
    named = [case for case in mistakes if case.kind != "different"]
    assert len(named) >= 0.85 * len(mistakes)


# ---------------------------------------------------------------- the value

def test_done_means_symmetric_only_names_a_and_shows_a_2x2_witness():
    verdict = matcalc.derive("x^T A x", wrt="x").compare("2 A x")
    assert (verdict.equal, verdict.kind) == (False, "symmetric-only")
    assert "A" in verdict.detail and "symmetric" in verdict.detail
    assert re.search(r"A = \[\[-?\d+, -?\d+\], \[-?\d+, -?\d+\]\]", verdict.text())
    witness = verdict.json()["witness"]
    a = np.array(eval(witness["values"]["A"]), dtype=float)     # the witness itself: integers, 2×2
    x = np.array(eval(witness["values"]["x"]), dtype=float)
    assert a.shape == (2, 2) and not close(a, a.T)
    assert close((a + a.T) @ x, np.array(eval(witness["answer"]), dtype=float))
    assert close(2 * a @ x, np.array(eval(witness["candidate"]), dtype=float))


def test_equal_says_how_it_was_decided():
    verdict = matcalc.derive("x^T A x", wrt="x").compare("A x + A^T x")
    text = verdict.text()
    assert verdict.equal and verdict.symbolic
    assert re.search(r"equal at 5 random points, sizes 3, 4, 5, max relative difference \d+e[-+]\d+; "
                     r"also symbolically", text), text
    assert verdict.max_difference < 1e-12


def test_the_verdict_is_immutable_and_serializable():
    verdict = matcalc.derive("x^T A x", wrt="x").compare("A x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        verdict.kind = "equal"
    data = verdict.json()
    assert data["kind"] == "missing-term" and data["detail"] == "A^T x" and data["equal"] is False
    assert data["text"] == verdict.text() == str(verdict)


def test_jupyter_displays_the_verdict():
    verdict = matcalc.derive("x^T A x", wrt="x").compare("2 A x")
    assert verdict._repr_latex_().startswith("$$") and r"\neq" in verdict._repr_latex_()
    assert "**Different** (symmetric-only)" in verdict._repr_markdown_()


def test_each_gradient_of_a_backward_pass_compares():
    gradients = matcalc.derive("a = W x + b; l = ||a||^2", wrt="W, b")
    assert gradients["W"].compare("2 (W x + b) x^T").equal
    assert gradients["b"].compare("W x + b").kind == "factor"
    assert gradients["b"].compare("W x + b").detail == "1/2"


def test_a_program_name_in_the_candidate_stands_for_its_value():
    derivation = matcalc.derive("a1 = W1 x; h1 = sigma(a1); l = y^T h1", wrt="W1")
    assert derivation.compare("(y .* h1 .* (1 - h1)) x^T").equal
    assert derivation.compare("(y .* h1) x^T").kind != "equal"


def test_numerator_layout_answers_compare_in_their_layout():
    derivation = matcalc.derive("y^T W x", wrt="W", layout="numerator")
    assert derivation.compare("x y^T").equal
    assert derivation.compare("y x^T").kind == "layout"


def test_factor_detail_is_a_nice_fraction():
    derivation = matcalc.derive("x^T x", wrt="x")
    assert derivation.compare("2/3 x").detail == "1/3"
    assert derivation.compare("-6 x").detail == "-3"
    assert Fraction(derivation.compare("0.5 x").detail) == Fraction(1, 4)


@pytest.mark.parametrize("candidate, message", [
    ("B x", "'B' is not a symbol of the problem"),
    ("A x +", "syntax error"),
    ("A + x", "shapes differ"),
    ("a = A x; a", "one expression"),
])
def test_an_unreadable_candidate_is_a_clear_error(candidate, message):
    derivation = matcalc.derive("x^T A x", wrt="x")
    with pytest.raises(matcalc.MatcalcError) as caught:
        derivation.compare(candidate)
    assert message in str(caught.value)


def test_the_same_comparison_gives_the_same_text():
    first = matcalc.derive("x^T A x", wrt="x").compare("2 A x")
    again = matcalc.derive("x^T A x", wrt="x").compare("2 A x")
    assert first == again and first.text() == again.text()


@pytest.mark.parametrize("function, wrt, candidate, kind", [
    # 1 - tanh(11)^2 is 1e-9: the answer is small, and a factor 2 is still a factor 2
    ("tanh(8 + x^T x)", "x", "4 (1 - tanh(8 + x^T x)^2) x", "factor"),
    # ... while the same written with cancellation loses 7 digits to rounding, and is equal
    ("tanh(8 + x^T x)", "x", "2 x - 2 tanh(8 + x^T x)^2 x", "equal"),
    # sum(softmax(a)) is 1: its gradient is 0, evaluated as 1e-17
    ("sum(softmax(a))", "a", "0", "equal"),
    ("sum(softmax(a))", "a", "1/1000 a", "different"),
])
def test_rounding_is_not_a_difference_and_small_is_not_zero(function, wrt, candidate, kind):
    assert matcalc.derive(function, wrt=wrt).compare(candidate).kind == kind
