"""Hostile property tests for the two doors users push on: programs that bind a
reserved name, and bad values handed to ``Derivation.evaluate``.

Every refusal must be a ``matcalc.MatcalcError`` naming what is wrong; any other
exception escaping is a failure.  Anchors (hand-written NumPy gradients,
``check()``, the same program with an ordinary name) keep the properties from
passing vacuously.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc

RESERVED = ("I ones exp log sin cos tan tanh sqrt abs sigma sigmoid relu softplus softmax logsoftmax "
            "tr trace det logdet inv sum mean diag vec kron norm").split()
ORDINARY = ("a1", "h2", "z3", "u4", "g5")
FIRST = ("A x", "x + b", "x", "-x", "A x + b")                    # a vector over x, A, b
NEXT = ("A {p}", "{p} + b", "{p}", "-{p}", "A {p} + x")            # a vector over the previous name
LAST = ("{p}^T {p}", "b^T {p}", "{p}^T A {p}", "{p}^T x", "sum({p})")  # a scalar over the previous name
ALONE = ("x^T x", "x^T A x", "b^T x", "sum(A x)")                  # a one-statement program
FUZZ = settings(max_examples=60, deadline=None, derandomize=True)


@functools.lru_cache(maxsize=None)
def derived(expression: str, wrt: str, where: str | None = None):
    with warnings.catch_warnings():
        warnings.simplefilter("error", matcalc.MatcalcWarning)    # a generated program uses every statement
        return matcalc.derive(expression, wrt=wrt, where=where)


# ------------------------------------------------------------------ 1. reserved names bound in programs
@st.composite
def programs(draw):
    """(reserved name, the program binding it, the same program with an ordinary name)."""
    count = draw(st.integers(1, 3))
    slot = draw(st.integers(0, count - 1))
    reserved = draw(st.sampled_from(RESERVED))
    names = draw(st.lists(st.sampled_from(ORDINARY), min_size=count, max_size=count, unique=True))
    shapes = [draw(st.sampled_from(ALONE if count == 1 else FIRST if i == 0 else LAST if i == count - 1 else NEXT))
              for i in range(count)]

    def write(bound: str) -> str:
        lhs = [bound if i == slot else name for i, name in enumerate(names)]
        return "; ".join(f"{lhs[i]} = {shape.format(p=lhs[i - 1] if i else '')}" for i, shape in enumerate(shapes))
    return reserved, write(reserved), write("q9")


def assert_refused_by_name(program: str, name: str):
    with pytest.raises(matcalc.MatcalcError) as refusal:
        matcalc.derive(program, wrt="x")
    assert f"'{name}'" in str(refusal.value) and "reserved" in str(refusal.value), str(refusal.value)


@FUZZ
@given(programs())
def test_a_program_binding_a_reserved_name_is_refused_by_name(case):
    name, program, ordinary = case
    assert_refused_by_name(program, name)
    assert derived(ordinary, "x").check() < 1e-6       # the refusal is the name's doing, nothing else's


@pytest.mark.parametrize("name", RESERVED)             # every name, whatever Hypothesis happens to draw
@pytest.mark.parametrize("template", ["{n} = A x; l = {n}^T b", "h2 = A x; {n} = h2^T h2"])
def test_every_reserved_name_is_refused(name, template):
    assert_refused_by_name(template.format(n=name), name)


# ------------------------------------------------------------------ 2. bad values handed to evaluate
@dataclass(frozen=True)
class Case:
    expression: str
    wrt: str
    dims: dict                        # symbol (ASCII) → its dimensions, by name
    sizes: dict                       # dimension → size (3, 4, 5: distinct)
    gradient: Callable                # hand-written NumPy, from ASCII-keyed values
    where: str | None = None
    declared: frozenset = frozenset()     # dimensions whose size `where` fixes
    inverted: str | None = None           # a symbol the answer inverts


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _inv(v):
    return np.linalg.inv(v["X"])


CASES = [
    Case("x^T A x", "x", {"x": "n", "A": "nn"}, {"n": 3}, lambda v: (v["A"] + v["A"].T) @ v["x"],
         where="x: 3", declared=frozenset("n")),
    Case("a^T X b", "X", {"a": "m", "X": "mn", "b": "n"}, {"m": 3, "n": 4}, lambda v: np.outer(v["a"], v["b"])),
    Case("sum(exp(W x))", "W", {"W": "mn", "x": "n"}, {"m": 5, "n": 4},
         lambda v: np.outer(np.exp(v["W"] @ v["x"]), v["x"])),
    Case("tr(inv(X) A)", "X", {"X": "nn", "A": "nn"}, {"n": 5},
         lambda v: -(_inv(v) @ v["A"] @ _inv(v)).T, inverted="X"),
    Case("a^T inv(X) b", "X", {"a": "n", "X": "nn", "b": "n"}, {"n": 4},
         lambda v: -_inv(v).T @ np.outer(v["a"], v["b"]) @ _inv(v).T, inverted="X"),
    Case("y^T log(softmax(W x))", "W", {"y": "m", "W": "mn", "x": "n"}, {"m": 3, "n": 5},
         lambda v: np.outer(v["y"] - _softmax(v["W"] @ v["x"]) * v["y"].sum(), v["x"])),
    Case("beta x^T Σ x", "x", {"beta": "", "x": "n", "Sigma": "nn"}, {"n": 4},
         lambda v: v["beta"] * (v["Sigma"] + v["Sigma"].T) @ v["x"]),   # Σ is given as "Sigma" or "Σ"
]
IDS = [case.expression for case in CASES]


def good_values(case: Case, seed: int, sizes: dict | None = None) -> dict:
    """ASCII-keyed values; an inverted matrix is k I + 0.3 R (well conditioned)."""
    rng, sizes = np.random.default_rng(seed), sizes or case.sizes
    values = {s: rng.normal(size=tuple(sizes[d] for d in dims)) for s, dims in case.dims.items()}
    if case.inverted:
        n = sizes[case.dims[case.inverted][0]]
        values[case.inverted] = n * np.eye(n) + 0.3 * rng.normal(size=(n, n))
    return {s: float(v) if v.ndim == 0 else v for s, v in values.items()}


RAISE = object()


def singular(draw, rng, n, rounded):
    m = rng.normal(size=(n, n))
    if rounded:                                         # singular, but LU's pivot is rounding noise, not 0
        if draw(st.booleans()):
            m[draw(st.integers(1, n - 1))] = m[0]
            return m
        k = draw(st.integers(1, n - 1))
        return rng.normal(size=(n, k)) @ rng.normal(size=(k, n))
    kind, i = draw(st.sampled_from(["zeros", "zero row", "zero column"])), draw(st.integers(0, n - 1))
    if kind == "zero row":
        m[i] = 0
    elif kind == "zero column":
        m[:, i] = 0
    return np.zeros((n, n)) if kind == "zeros" else m


def corrupt(kind, case, values, draw, rng):
    """(values as handed to evaluate, the symbol named by the refusal or None, and
    RAISE or the ASCII-keyed values whose gradient evaluate must return)."""
    given = dict(values)
    key = symbol = draw(st.sampled_from(sorted(case.dims)))
    value = values[symbol]
    if kind == "missing":
        del given[key]
    elif kind == "text":
        given[key] = draw(st.sampled_from(["abc", "", "x", "[1, 2]", "1,2"]))
    elif kind == "none":
        given[key] = None
    elif kind == "three-d":
        given[key] = np.reshape(value, np.shape(value) + (1,) * (3 - np.ndim(value)))
    elif kind == "ragged":
        given[key] = draw(st.sampled_from([[1.0, [2.0, 3.0]], [[1.0, 2.0], [3.0]], [[1.0], 2.0]]))
    elif kind == "numeric string":                       # "2.5", or ["0.1", "-1.3", ...]
        given[key] = np.asarray(value).astype(str).tolist()
    elif kind == "wrong length":                         # where a `where` fixes the size
        symbol = next(s for s, dims in case.dims.items() if dims and dims[0] in case.declared)
        size = draw(st.sampled_from([0, 1, 2, 4, 5, 7]))
        given[symbol] = good_values(case, 0, {**case.sizes, case.dims[symbol][0]: size})[symbol]
    elif kind == "disagreeing sizes":                    # one axis of a shared dimension, off by a little
        shared = [(s, axis) for s, dims in case.dims.items() for axis, d in enumerate(dims)
                  if sum(ds.count(d) for ds in case.dims.values()) > 1]
        symbol, axis = draw(st.sampled_from(shared))
        shape = list(np.shape(values[symbol]))
        shape[axis] += draw(st.sampled_from([-2, -1, 1, 2]))
        given[symbol] = rng.normal(size=shape)
    elif kind in ("singular", "rounded singular"):
        given["X"] = singular(draw, rng, len(values["X"]), kind == "rounded singular")
        return given, None, RAISE
    elif kind == "consistent resize":                    # every symbol agrees: fine unless `where` says no
        dim = draw(st.sampled_from(sorted({d for dims in case.dims.values() for d in dims})))
        size = draw(st.integers(1, 6))
        resized = good_values(case, draw(st.integers(0, 99)), {**case.sizes, dim: size})
        same = dim not in case.declared or size == case.sizes[dim]
        return resized, None, resized if same else RAISE
    elif kind == "extra key":
        extra = draw(st.sampled_from(["zz", "unused", "Q7", "λ", "", 7, None]))
        given[extra] = draw(st.sampled_from(["junk", None, np.ones((2, 2, 2)), [1, [2]], 1.0]))
        return given, None, values
    elif kind == "other spelling":                       # names as written or spelled, lists, columns
        given = {"Σ" if k == "Sigma" else k: v for k, v in given.items()}
        key = "Σ" if key == "Sigma" else key
        if np.ndim(value) == 1:
            given[key] = draw(st.sampled_from([value.reshape(-1, 1), value.tolist()]))
        elif np.ndim(value) == 2:
            given[key] = value.tolist()
        return given, None, values
    return given, symbol, RAISE


KINDS = ["missing", "text", "none", "three-d", "ragged", "wrong length", "disagreeing sizes", "singular",
         "consistent resize", "extra key", "other spelling",
         "numeric string",          # "2" is text, not a number (it was read as 2.0)
         "rounded singular"]        # a repeated row rounds to a pivot of 1e-17 (it was inverted to 1e16)


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data())
def test_evaluate_answers_or_refuses_clearly(kind, data):
    applicable = [c for c in CASES if (kind != "wrong length" or c.declared)
                  and (kind not in ("singular", "rounded singular") or c.inverted)]
    case = data.draw(st.sampled_from(applicable), label="case")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    derivation = derived(case.expression, case.wrt, case.where)
    given, symbol, expected = corrupt(kind, case, good_values(case, seed), data.draw, np.random.default_rng(seed))
    if expected is RAISE:
        with pytest.raises(matcalc.MatcalcError) as refusal:   # anything else escapes and fails the test
            derivation.evaluate(given)
        message = str(refusal.value)
        assert message.strip() and (symbol is None or symbol in message), message
        return
    answer = derivation.evaluate(given)
    wanted = np.asarray(case.gradient(expected))
    # a vector's gradient comes back in the shape the vector was given in (SPEC §4)
    shape = np.shape(given[case.wrt]) if len(case.dims[case.wrt]) == 1 else wanted.shape
    assert isinstance(answer, np.ndarray) and answer.shape == shape, (answer.shape, shape)
    assert np.all(np.isfinite(answer))
    np.testing.assert_allclose(answer.reshape(wanted.shape), wanted, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ 3. correctness anchors
@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=15, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1))
def test_evaluate_matches_the_hand_written_gradient(case, seed):
    values = good_values(case, seed)
    answer = derived(case.expression, case.wrt, case.where).evaluate(values)
    np.testing.assert_allclose(answer, case.gradient(values), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CASES, ids=IDS)
@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**63))
def test_check_agrees_with_finite_differences_for_any_seed(case, seed):
    assert derived(case.expression, case.wrt, case.where).check(seed=seed) < 1e-6


@settings(max_examples=8, deadline=None, derandomize=True)
@given(seed=st.integers(-2**63, -1))
def test_a_negative_seed_is_refused_clearly(seed):
    # a seed is a whole number from 0 up (numpy's rule); refused as a MatcalcError, not a ValueError
    with pytest.raises(matcalc.MatcalcError, match="seed"):
        derived("x^T A x", "x", "x: 3").check(seed=seed)
