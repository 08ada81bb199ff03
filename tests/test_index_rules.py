"""Every rule of the index method (``rules/index.components``) checked
numerically (SPEC §3): both sides evaluated with einsum on random matrices,
every dimension its own size (3, 4, 5, ...), so a swapped index cannot pass."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from matcalc.calculus.methods.index_rules import index_catalog, parse_index_rule
from matcalc.language import functions
from matcalc.numeric.evaluate import Point
from matcalc.numeric.indexed import Indexed, evaluate_indexed

POSITIVE_ONLY = {"log", "sqrt"}


def cases():
    for name, rule in index_catalog().items():
        if "?f" in rule.source:
            for function in functions.ELEMENTWISE:
                yield pytest.param(name, function, id=f"{name}({function})")
        else:
            yield pytest.param(name, None, id=name)


def random_point(env, rng, positive: bool) -> Point:
    sizes = {dim: size for size, dim in enumerate(env.dim_names(), start=3)}
    values = {}
    for name, info in env.symbols.items():
        rows, cols = info.rows.value(sizes), info.cols.value(sizes)
        value = rng.uniform(0.5, 1.5, (rows, cols))
        if not positive:
            value = value * rng.choice([-1.0, 1.0], (rows, cols))
        if rows == cols and rows > 1:
            value = rows * np.eye(rows) + 0.3 * value        # well conditioned, det > 0
        values[name] = value
    return Point(values, sizes)


def aligned(side: Indexed, order) -> np.ndarray:
    assert set(side.indices) == set(order), (side.indices, order)
    return np.transpose(side.value, [side.indices.index(i) for i in order]) if order else side.value


@pytest.mark.parametrize("name, function", list(cases()))
def test_index_rule_holds(name, function):
    rule = index_catalog()[name]
    lhs, rhs, env = parse_index_rule(rule, function or "exp")
    rng = np.random.default_rng(zlib.crc32(f"{name}{function}".encode()))
    point = random_point(env, rng, positive=function in POSITIVE_ONLY)
    with np.errstate(all="ignore"):
        left, right = evaluate_indexed(lhs, point), evaluate_indexed(rhs, point)
    a, b = aligned(left, left.indices), aligned(right, left.indices)
    assert np.all(np.isfinite(a)) and a.size
    assert np.allclose(a, b, rtol=1e-10, atol=1e-12), f"{rule.source}\n{a}\n{b}"


def test_a_wrong_rule_fails():
    """The check can fail: a swapped index is caught."""
    from matcalc.calculus.methods.index_rules import IndexRule
    wrong = IndexRule("wrong", "[A B]_ij", "Σ_k [A]_ki [B]_kj", "A: square; B: square", "", "wrong")
    lhs, rhs, env = parse_index_rule(wrong)
    point = random_point(env, np.random.default_rng(0), positive=False)
    left, right = evaluate_indexed(lhs, point), evaluate_indexed(rhs, point)
    assert not np.allclose(aligned(left, left.indices), aligned(right, left.indices))


def test_steps_cite_only_catalog_rules():
    names = set(index_catalog())
    assert {"index-product", "index-transpose", "index-hadamard", "index-trace", "index-softmax",
            "index-inverse", "index-det", "delta-contract", "index-outer"} <= names


# The rules as data against the code that applies them: the index method's
# writer (calculus/methods/components.py) writes each rule's left side by
# components, and where it cites the rule, what it wrote equals the rule's
# right side at random data.  (The rewrite engine does not match these rules:
# see the module docstring of matcalc/calculus/methods/index_rules.py.)
WRITER_RULES = {"index-product", "index-transpose", "index-hadamard", "index-add", "index-trace",
                "index-sum-entries", "index-diag", "index-diag-of-matrix", "index-vec", "index-kron"}
# rules the writer applies where it shows an entry of a constant ((1 - h)_i = 1 - h_i)
ENTRY_RULES = {"index-function", "index-scale", "index-identity", "index-ones", "index-softmax", "index-add",
               "index-hadamard", "index-transpose"}


def written_entry_by_entry(lhs, env):
    from matcalc.calculus.methods.components import entry
    used: list = []
    return entry(lhs.arg, tuple(i for i in (lhs.row, lhs.col) if i), env, used), used


def written_by_the_writer(lhs, env):
    """The left side written by the index method's writer, and the rules it cited."""
    from matcalc.calculus.methods.components import Indices, Writer, render
    from matcalc.language import ast as A
    from matcalc.language import index_ast as I
    leaves = (A.Symbol, A.Number, A.Identity, A.Ones)
    expr, free = (lhs.arg, (lhs.row or None, lhs.col or None)) if isinstance(lhs, I.Entry) else (lhs, (None, None))
    taken = {node.row for node in A.walk(lhs) if isinstance(node, I.Entry)} | \
        {node.col for node in A.walk(lhs) if isinstance(node, I.Entry)}
    used: list = []
    writer = Writer(env, Indices(taken | set(env.symbols)), lambda e: not isinstance(e, leaves), used,
                    lambda m: A.Transpose(m))
    return render(writer.components(expr, free), env, used), used


@pytest.mark.parametrize("name, write", [(name, written_by_the_writer) for name in sorted(WRITER_RULES)]
                         + [(name, written_entry_by_entry) for name in sorted(ENTRY_RULES)])
def test_the_writer_applies_each_rule_as_written(name, write):
    rule = index_catalog()[name]
    lhs, rhs, env = parse_index_rule(rule, "exp")
    written, used = write(lhs, env)
    assert name in used, (name, used)
    point = random_point(env, np.random.default_rng(zlib.crc32(name.encode())), positive=False)
    by_code, by_rule = evaluate_indexed(written, point), evaluate_indexed(rhs, point)
    got = aligned(by_code, by_rule.indices)
    assert got.shape == by_rule.value.shape and np.allclose(got, by_rule.value, rtol=1e-10, atol=1e-12), \
        f"{rule.source}\nwritten: {written}"


def test_a_delta_with_one_index_twice_is_one_on_the_diagonal():
    """Σ_i δ_ii = n (tr(I), the index method's l = Σ_i δ_ii + ...): δ_ii is 1
    for each i, so the sum counts, as Σ_i A_ii takes A's diagonal."""
    from matcalc.language import index_ast as I
    from matcalc.shapes.dims import Dim
    n = Dim(1, ("n",))
    point = Point({}, {"n": 4})
    assert float(evaluate_indexed(I.IndexSum(I.Delta("i", "i", n), "i", n), point).value) == 4.0
    assert evaluate_indexed(I.Delta("i", "j", n), point).value.shape == (4, 4)
