"""Every rule of the catalog (``rules/*.rules``) checked numerically (SPEC §3).

A rule's pattern variables become fresh symbols with the rule's own shapes,
every dimension gets its own size (3, 4, 5, ...) so a wrong transpose cannot
pass, and both sides are evaluated at a random point.  ``d(E)`` evaluates as
the directional derivative of E along random tangents, so a differential rule
is checked against central differences.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from matcalc.language import ast as A
from matcalc.language import functions
from matcalc.numeric.evaluate import Point, evaluate
from matcalc.calculus.elementwise import derivative
from matcalc.rewriting.catalog import Rule, default_catalog as catalog
from matcalc.rewriting.engine import Context, instantiate
from matcalc.shapes.env import SymbolType, TypeEnv

REQUIRED_RULES = """
    d-const d-sum d-product d-transpose d-inverse d-trace d-det d-logdet d-hadamard
    d-kron d-vec d-diag d-sum-entries d-mean d-elementwise d-softmax d-logsoftmax
    d-norm d-norm-squared d-frobenius d-frobenius-squared d-power scalar-trace
    trace-sum trace-scalar trace-transpose cyclic hadamard-swap transpose-product
""".split()

# Central differences with step 1e-6 are accurate to about 1e-9.
TOLERANCE = 1e-6


def function_variables(rule: Rule) -> set[str]:
    """The ``?f`` of ``?f(..)`` and ``?f'(..)``."""
    return {node.name.rstrip("'") for side in (rule.lhs, rule.rhs) for node in A.walk(side)
            if isinstance(node, A.Func) and node.name.startswith("?")}


def rule_cases():
    for name, rule in catalog().items():
        if function_variables(rule):
            for function in functions.ELEMENTWISE:
                yield pytest.param(name, function, id=f"{name}({function})")
        else:
            yield pytest.param(name, None, id=name)


def needs_positive_data(expr: A.Expr) -> bool:
    """log, sqrt and a power with a fractional exponent are real only for x > 0."""
    return any(isinstance(node, A.ElemPow)
               or isinstance(node, A.Func) and node.name in ("log", "sqrt")
               for node in A.walk(expr))


def draw_value(rng, info: SymbolType, words: set, sizes: dict, positive: bool) -> np.ndarray:
    rows, cols = info.rows.value(sizes), info.cols.value(sizes)
    # Entries at least 0.5 away from 0, where abs, sign, relu and step are smooth.
    magnitude = rng.uniform(0.5, 1.5, (rows, cols))
    if "probability" in words:
        return magnitude / magnitude.sum(axis=0, keepdims=True)     # each column sums to one
    value = magnitude if positive else magnitude * rng.choice([-1.0, 1.0], (rows, cols))
    if "symmetric" in words:
        value = (value + value.T) / 2
    if info.kind == "matrix" and info.rows == info.cols:
        # ||0.3 V||_2 <= 0.45 n, so every eigenvalue of n I + 0.3 V lies in the
        # disc of radius 0.45 n around n: well conditioned, with det > 0 (logdet).
        value = rows * np.eye(rows) + 0.3 * value
    return value


def power_exponents(rule: Rule) -> set:
    """The pattern variables standing as a matrix power's exponent (?k of ?X^?k)."""
    return {node.exponent.name for node in A.walk(rule.lhs)
            if isinstance(node, A.Power) and isinstance(node.exponent, A.PatternVar)}


def evaluate_sides(rule: Rule, function: str | None, rng, exponent: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Both sides of ``rule`` on random data, ``?f`` bound to ``function``."""
    sizes = {dim: size for size, dim in enumerate(rule.env.dim_names(), start=3)}
    env, bindings = TypeEnv(), {}
    for variable, info in rule.env.symbols.items():
        name = variable.lstrip("?")
        env.add_symbol(name, (info.rows, info.cols), info.kind, symmetric=info.symmetric,
                       positive_definite=info.positive_definite, probability=info.probability)
        bindings[variable] = A.Symbol(name)
    bindings.update(dict.fromkeys(function_variables(rule), function))
    # ?k of a matrix power ?X^?k stands for a whole number: one from 2 to 5 is drawn (or given)
    k = int(rng.integers(2, 6)) if exponent is None else exponent
    bindings.update((variable, A.number(k)) for variable in power_exponents(rule))
    context = Context(env, derivative=derivative)
    lhs = instantiate(rule, rule.lhs, bindings, context)
    rhs = instantiate(rule, rule.rhs, bindings, context)

    positive = needs_positive_data(lhs)
    values, tangents = {}, {}
    for variable, info in rule.env.symbols.items():
        name = variable.lstrip("?")
        words = set(rule.conditions.get(variable, ()))
        words |= {flag for flag in ("symmetric", "probability") if getattr(info, flag)}
        values[name] = draw_value(rng, info, words, sizes, positive)
        if "constant" not in words:
            tangents[name] = rng.standard_normal(values[name].shape)
    point = Point(values, sizes, tangents)
    left, right = evaluate(lhs, point), evaluate(rhs, point)
    if rule.rhs == A.ZERO:
        # A rule's 0 is the zero of its left side's shape (rules.rewrite uses zero_like).
        right = np.zeros_like(left)
    return left, right


@pytest.mark.parametrize("name, function", list(rule_cases()))
def test_rule_holds_numerically(name, function):
    rule = catalog()[name]
    rng = np.random.default_rng(zlib.crc32(f"{name} {function}".encode()))
    left, right = evaluate_sides(rule, function, rng)
    assert left.shape == right.shape, f"{rule.source}: sides are {left.shape} and {right.shape}"
    error = np.linalg.norm(left - right)
    scale = max(np.linalg.norm(left), np.linalg.norm(right))
    if rule.rhs == A.ZERO:          # a sum that vanishes: rounding is measured against the data's size
        scale = max(scale, 1.0)
    assert error <= TOLERANCE * scale, (
        f"{rule.source}: relative error {error / scale:.2e}\nleft:\n{left}\nright:\n{right}")


@pytest.mark.parametrize("name", [name for name, rule in catalog().items() if power_exponents(rule)])
@pytest.mark.parametrize("k", [2, 3, 4, 7])
def test_a_rule_with_an_open_power_holds_for_every_whole_k(name, k):
    """d-trace-power is stated for ?X^?k: it holds, and is checked, for each k."""
    rule = catalog()[name]
    left, right = evaluate_sides(rule, None, np.random.default_rng(k), exponent=k)
    assert np.linalg.norm(left - right) <= TOLERANCE * max(np.linalg.norm(left), 1.0), (rule.source, k)


@pytest.mark.parametrize("name", list(catalog()))
def test_rule_has_explanation(name):
    assert catalog()[name].explanation.strip()


def test_catalog_has_required_rules():
    missing = [name for name in REQUIRED_RULES if name not in catalog()]
    assert not missing, f"rules missing from the catalog: {missing}"
