"""Every step replays numerically (issue 23, SPEC §3: "a step is a recorded rule
application").  For the examples (examples/*.sh, examples/backprop/*.sh) and a
sample of the random expressions of tests/strategies.py, each line of each
derivation is checked at random data with distinct sizes:

- a line "= ..." equals the last line about the same thing (the function, dl,
  d(a1), a δ, a gradient), with every differential d(X) of a variable replaced
  by a random direction and d(name) by the directional derivative of its
  definition (central differences along those directions);
- the first line of dl is d(the function), and the first line of d(name) is
  that derivative;
- a "terms-in" line (dl ∋ ...) is checked as a selection: it equals the whole dl
  when only its own differential moves;
- "identify" reads C off dl = tr(C^T dX): the line before it equals Σ C ⊙ dX
  when only X moves; one use's share (∂l/∂x ∋ ...) likewise, and
  "sum-over-uses" equals the sum of the shares; "numerator-layout" is the
  transpose of the line before, "symmetric-gradient" its symmetric part;
- a "definition" line is the function as typed;
- every cited rule is in the catalog or is one of the engine's steps, and on
  an "=" line citing catalog rules at least one of them applies: its left side
  matches (as the engine matches, after the canonical form) somewhere in the
  line before about the same thing (d(the definition) for a d(name)'s first line).

A line none of these covers is reported, so a new kind of step cannot pass
unchecked."""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import matcalc
from matcalc.calculus.steps import DIFFERENTIAL, GRADIENT, HESSIAN, JACOBIAN, PART_OF, VALUE, Label
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.errors import MatcalcError
from matcalc.language import ast as A
from matcalc.language.names import split_error_name
from matcalc.numeric.data import defined_points
from matcalc.numeric.evaluate import Point, evaluate
from matcalc.rewriting.catalog import default_catalog

import strategies as S  # tests/ is on the path (conftest), not a package
from textbook_programs import PROGRAMS
from cited_rules import COMPOSITE, OPEN_RULES, UNAPPLIED, \
    a_cited_rule_applies as _a_cited_rule_applies, source_of as _source

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.sh")) + sorted((ROOT / "examples" / "backprop").glob("*.sh"))
STARTS = {"definition", "backprop", "gradient"}          # a new chain of lines begins
TOLERANCE = 1e-6


# ------------------------------------------------------------------ the data
class Replay:
    """Values of every symbol, named value and δ at one random point, and
    the directions of the variables with the derivatives of the names along them."""

    def __init__(self, derivation, variables, seed: int):
        problem = derivation.problem
        self.env = derivation.env
        self.variables = list(variables)
        point = next(defined_points(problem.expr, problem.env, seed))
        self.sizes = point.sizes
        self.values = dict(point.values)
        self.names = []
        for name, definition in list(problem.statements[:-1]) + list(derivation.names):
            if name not in dict(self.names):
                self.names.append((name, definition))
        for name, definition in self.names:
            self.values[name] = evaluate(definition, Point(self.values, self.sizes))
        self.function = problem.expr            # as typed, every name written out
        rng = np.random.default_rng(seed + 1)
        self.directions = {v: self._direction(v, rng) for v in self.variables}
        self.everything = self.tangents()

    def _direction(self, variable, rng):
        """A random direction, symmetric for a symmetric variable: its steps
        may use S^T = S, which a direction off the symmetric matrices breaks."""
        direction = rng.standard_normal(self.values[variable].shape)
        if self.env.symmetric(A.Symbol(variable)):
            direction = (direction + direction.T) / 2
        return direction

    def tangents(self, only: str | None = None) -> dict:
        """The directions of all the variables and each name's derivative along
        them, in order; or only ``only``'s, every other differential zero (the
        terms of dl in d``only``)."""
        if only is not None:
            return {only: self.everything[only]}
        moving = dict(self.directions)
        for name, definition in self.names:
            if split_error_name(name):
                continue                                   # δ's are constants of the sweep
            if A.symbol_names(definition) & set(moving):
                moving[name] = evaluate(A.Differential(definition), self.point(moving))
        return moving

    def point(self, tangents) -> Point:
        return Point(self.values, self.sizes, tangents)

    def value(self, expr, only=None) -> np.ndarray:
        tangents = self.everything if only is None else self.tangents(only)
        return np.asarray(evaluate(expr, self.point(tangents)), dtype=float)


def close(a, b) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.size != b.size:
        return False
    scale = 1.0 + max(np.max(np.abs(a), initial=0), np.max(np.abs(b), initial=0))
    return bool(np.max(np.abs(a.reshape(-1) - b.reshape(-1)), initial=0) <= TOLERANCE * scale)


def read_off_wrt(label: Label) -> str | None:
    """What an identify step reads off: ∂l/∂X → X, δa2 → a2."""
    if label.kind in (GRADIENT, JACOBIAN, HESSIAN):
        return label.wrt
    split = split_error_name(label.function) if label.kind == VALUE else None
    return split[1] if split else None


def selected(expr) -> str:
    found = {node.arg.name for node in A.walk(expr) if isinstance(node, A.Differential) and isinstance(node.arg, A.Symbol)}
    assert len(found) == 1, f"a terms-in line with the differentials {sorted(found)}"
    return found.pop()


# ------------------------------------------------------------------ the replay
def replay(derivation, variables, seed: int = 0, gradients=None) -> list[str]:
    """The lines that do not replay, as messages (empty: all replay)."""
    data = Replay(derivation, variables, seed)
    catalog = default_catalog()
    failures = []
    last: dict = {}               # label → the last line about it in this chain
    whole = None                  # the last dl with all its terms (a selection's source)
    only = None                   # the variable a selection keeps
    shares: dict = {}             # wrt → [its shares' values]
    previous = None
    for number, step in enumerate(derivation.steps, 1):
        where = f"step {number} ({step.rule})"
        for rule in step.rules:
            if rule not in catalog and rule not in ENGINE_STEPS:
                failures.append(f"{where}: cites {rule!r}, which is neither a rule nor an engine step")
        label = step.label
        source = _source(step, label, last, data)
        if source is not None and not _a_cited_rule_applies(step, source, data, catalog):
            failures.append(f"{where}: {UNAPPLIED} {', '.join(step.rules)} applies to {source}")
        try:
            problem = _check(step, label, previous, last, whole, only, shares, data, gradients)
        except MatcalcError as error:                        # an expression the evaluator refuses
            problem = f"not evaluable: {error}"
        if problem:
            failures.append(f"{where}: {problem}")
        if step.rule in STARTS:
            last, whole, only = {}, None, None
        if step.rule == "terms-in":
            only = selected(step.after)
        elif label.kind == DIFFERENTIAL and step.relation == "=" and only is None:
            whole = step.after
        last[label] = step.after
        previous = step
    return failures


def _check(step, label, previous, last, whole, only, shares, data, gradients) -> str:
    after = step.after
    if step.rule == "definition":                 # the function as given: what the user typed
        return "" if close(data.value(data.function), data.value(after)) else "is not the function as typed"
    if step.rule in STARTS:
        return ""
    if step.rule in ("numerator-layout", "symmetric-gradient"):       # another object, said so by the step
        before = data.value(previous.after)
        wanted = before.T if step.rule == "numerator-layout" else (before + before.T) / 2
        return "" if close(wanted, data.value(after)) else f"is not the {step.rule} of the line before"
    if step.rule == "terms-in":
        x = selected(after)
        if whole is None:
            return "a selection with no whole dl before it"
        return "" if close(data.value(whole, x), data.value(after, x)) else "is not the terms of dl in d" + x
    if step.rule == "sum-over-uses":
        wrt = read_off_wrt(label)
        parts = shares.get(wrt, [])
        return "" if parts and close(sum(parts), data.value(after)) else "is not the sum of the shares"
    if step.rule == "closed-form":
        target = gradients.sweep.gradients[label.wrt]
        return "" if close(data.value(target), data.value(after)) else "is not the gradient in δ's"
    if step.rule in ("identify", "identify-jacobian") or (label.kind != DIFFERENTIAL and label not in last
                                                           and previous is not None
                                                           and previous.label.kind == DIFFERENTIAL):
        return _identify(step, previous, only, shares, data)
    if label in last:
        return "" if close(data.value(last[label], only), data.value(after, only)) else "≠ the line before"
    if label.kind == DIFFERENTIAL and label.function_is_matrix:
        dl = next((expr for other, expr in last.items() if other.kind == DIFFERENTIAL
                   and other.function == label.function and not other.function_is_matrix), None)
        if dl is not None:                                     # vec(dF) = J vec(dX)
            return "" if close(data.value(A.Vec(dl)), data.value(after)) else "≠ vec(dF)"
    elif label.kind == DIFFERENTIAL:
        value = next((expr for other, expr in last.items()
                      if other.kind == VALUE and other.function == label.function), None)
        if value is not None:                                 # dl right after l
            return "" if close(data.value(A.Differential(value)), data.value(after)) else "≠ d(the function)"
        if label.function in data.values:                      # d(a1) = ...
            return "" if close(data.value(A.Differential(A.Symbol(label.function))), data.value(after)) \
                else f"≠ d{label.function}"
    return "not checked: no line before it about the same thing"


def _identify(step, previous, only, shares, data) -> str:
    """dl = tr(C^T dX) read as C: the line before equals Σ C ⊙ dX when only X moves."""
    x = read_off_wrt(step.label)
    c = data.value(step.after) if x is not None else None
    if x is not None and "does not depend" in step.note:   # read off no line: l has no d{x} at all
        return "" if not np.any(c) else "a nonzero answer for a function that does not depend on " + x
    if x is None or previous is None:
        return "an answer read off nothing"
    moving = data.tangents(x)
    dl = np.asarray(evaluate(previous.after, data.point(moving)), dtype=float)
    direction = moving[x]
    if step.label.kind in (JACOBIAN, HESSIAN):
        read = c @ direction.reshape(-1, 1, order="F")
        dl = dl.reshape(-1, 1, order="F")
    else:
        read = np.sum(c.reshape(direction.shape) * direction) if c.size == direction.size else None
    if read is None:
        return f"the answer read off has {c.size} entries, d{x} {direction.size}"
    if step.relation == PART_OF:
        shares.setdefault(x, []).append(c)
    elif step.label.kind == GRADIENT or step.label.kind == VALUE:
        shares.pop(x, None)
    return "" if close(dl, read) else f"dl ≠ tr(C^T d{x}) for the C read off"


# ------------------------------------------------------------------ what is replayed
def example_commands(path):
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    for line in lines:
        argv = shlex.split(line)
        if argv[:1] == ["matcalc"] and argv[1] in ("derive", "jacobian", "hessian"):
            yield argv[1], argv[2], dict(zip(argv[3::2], argv[4::2]))


def derivations_of(kind, expression, options):
    function = {"derive": matcalc.derive, "jacobian": matcalc.jacobian, "hessian": matcalc.hessian}[kind]
    extra = {key[2:]: options[key] for key in ("--method", "--layout") if key in options}
    result = function(expression, wrt=options["--wrt"], where=options.get("--where"), **extra)
    if isinstance(result, matcalc.Derivation):
        return [(result, [result.wrt], None)]
    return [(result, list(result), result)]


def replayed(result, variables, gradients, seed=0) -> list[str]:
    if gradients is not None:
        # the sweep's steps are the Gradients'; any one Derivation carries the names
        first = gradients[variables[0]]
        return replay(_Sweep(gradients, first), variables, seed, gradients)
    return replay(result, variables, seed)


class _Sweep:
    """A whole backward pass seen as one derivation (its steps, names, problem)."""

    def __init__(self, gradients, first):
        self.problem, self.steps, self.names, self.env = gradients.problem, gradients.steps, first.names, first.env


def equalities(failures) -> list[str]:
    """The failures but those of a cited rule that does not match (that check
    is made on its own)."""
    return [failure for failure in failures if UNAPPLIED not in failure]


def unexplained(failures) -> list[str]:
    """The failures but a cited rule that does not match on a step of a rule
    still open (OPEN_RULES): the random expressions and textbook programs."""
    return [failure for failure in failures
            if UNAPPLIED not in failure or failure.split("(", 1)[1].split(")", 1)[0] not in OPEN_RULES]


EXAMPLE_CASES = [(path, index, command) for path in EXAMPLES
                 for index, command in enumerate(example_commands(path))]


@pytest.mark.parametrize("path, index, command", EXAMPLE_CASES,
                         ids=[f"{p.parent.name}/{p.stem}#{i}" for p, i, _ in EXAMPLE_CASES])
def test_every_step_of_every_example_replays(path, index, command):
    kind, expression, options = command
    if options.get("--method", "trace") != "trace":
        pytest.skip("the vec and index methods' lines are replayed by tests/test_method_replay.py")
    for result, variables, gradients in derivations_of(kind, expression, options):
        failures = replayed(result, variables, gradients)      # every cited rule applies, too
        assert not failures, "\n".join(failures) + "\n\n" + result.text()


RANDOM_CASES = 40


@pytest.mark.parametrize("index", range(RANDOM_CASES))
def test_every_step_of_a_random_expression_replays(index):
    case = S.random_case(seed=23, index=index)
    if S.structurally_nonsmooth(case):
        pytest.skip("kinked: differences across a kink are not derivatives")
    try:
        single = matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
        every = matcalc.derive(case.expression, wrt=list(case.symbols), where=case.where)
    except MatcalcError:
        pytest.skip("refused")
    try:
        failures = replay(single, [case.wrt], seed=index) + replayed(every, list(every), every, seed=index)
    except StopIteration:
        pytest.skip("no point where the function is defined")
    failures = unexplained(failures)
    assert not failures, "\n".join(failures) + "\n\n" + single.text()


def test_a_dropped_term_under_equals_is_caught():
    """The replay finds the false equality issue 23 reported: a line that keeps
    one term of dl written '=' (as main printed before 'terms-in')."""
    g = matcalc.derive("a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))",
                       wrt="all", where="y: probability vector; x, y: data")
    assert not replayed(g, list(g), g)
    steps = list(g.steps)
    first = next(i for i, step in enumerate(steps) if step.rule == "terms-in")
    steps[first] = replace(steps[first], rule="scalar-trace", rules=("scalar-trace",), relation="=")
    broken = _Sweep(g, g[list(g)[0]])
    broken.steps = tuple(steps)
    failures = replay(broken, list(g), 0, g)
    assert any(f"step {first + 1}" in failure for failure in failures), failures



@pytest.mark.parametrize("case", PROGRAMS, ids=[case.id for case in PROGRAMS])
def test_every_step_of_a_textbook_program_replays(case):
    """The programs of tests/textbook_programs.py, every parameter in one sweep
    (activations written out into their use, dl ∋ lines, shares)."""
    g = matcalc.derive(case.program, wrt=[w.strip() for w in case.wrt.split(",")], where=case.where)
    failures = unexplained(replayed(g, list(g), g, seed=1))
    assert not failures, "\n".join(failures) + "\n\n" + g.text()


def test_a_cited_rule_that_does_not_apply_is_caught():
    """A line whose cited rule's left side matches nowhere in the line before
    is reported, though the line is a true equality (hadamard-swap: no
    ⊙ under a trace in d(A x) + d(-b); vec-kron would apply, vec(I A x))."""
    d = matcalc.derive("||A x - b||^2", wrt="x")
    assert not replay(d, ["x"])
    steps = list(d.steps)
    cited = next(i for i, step in enumerate(steps) if step.rule == "d-product")
    steps[cited] = replace(steps[cited], rule="hadamard-swap", rules=("hadamard-swap",))
    failures = replay(_Cited(d, steps), ["x"])
    assert any(f"step {cited + 1}" in failure and UNAPPLIED in failure for failure in failures), failures


class _Cited:
    """A derivation with its steps replaced."""

    def __init__(self, derivation, steps):
        self.problem, self.names, self.env, self.steps = derivation.problem, derivation.names, derivation.env, tuple(steps)


@pytest.mark.parametrize("expression, wrt, where, layout", [
    ("a^T X b", "X", None, "numerator"),
    ("tr(A X B X^T)", "X", None, "numerator"),
    ("a^T S b + tr(C S)", "S", "S: symmetric", "mixed"),
])
def test_a_transposed_gradient_cites_the_rules_that_transposed_it(expression, wrt, where, layout):
    """Issue 23 item 3: the numerator-layout and symmetric-gradient steps cite
    the transpose rules that pushed G^T in, and each cited rule matches G^T."""
    d = matcalc.derive(expression, wrt=wrt, where=where, layout=layout)
    step = d.steps[-1]
    assert step.rule in COMPOSITE
    cited = [rule for rule in step.rules if rule != step.rule]
    assert cited, step.rules
    data = Replay(d, [wrt], seed=0)
    catalog = default_catalog()
    transposed = replace(step, rules=tuple(cited))
    assert _a_cited_rule_applies(transposed, A.Transpose(step.before), data, catalog)
    replayed_failures = replay(d, [wrt])
    assert not equalities(replayed_failures), replayed_failures
