"""Every step of the vec and index methods replays numerically (issue 26,
SPEC §3 "Three methods"), as tests/test_step_replay.py does for the trace
method: every example (examples/*.sh, examples/backprop/*.sh), run with each
method, and random expressions of tests/strategies.py, at random data with
distinct sizes.

Each line is read as one array, flattened in vec order (column-major), so
that the forms of one quantity compare directly:

- a matrix line is its value, differentials d(X) taken along random directions;
- a line by components (``dh1_i = h1_i (1 - h1_i) da1_i``, ``∂l/∂W_pq = ...``)
  is evaluated with einsum (numeric/indexed.py), its axes in the order its
  label names them (of, then by), so ``∂F_ij/∂X_pq`` flattens to the
  Jacobian J with vec(dF) = J vec(dX), and ``∂l/∂W_pq`` to vec(∂l/∂W);
- ``vec(dF) = J vec(dX)`` is vec(dF), ``∂l/∂vec(W)^T`` is vec(∂l/∂W).

A line about something already said (the function, a differential, a value,
an answer) equals the last line about it; the first line of a differential
is the derivative of its value; the first line of an answer or a δ
(identify, identify-vec, identify-index, identify-jacobian) is read off the
differential above it: J vec(dX) = that differential when only X moves.
Every cited rule is a rule of the catalog, an index rule or an engine step.
A line none of these covers is reported.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import matcalc
import strategies as S  # tests/ is on the path (conftest), not a package
from matcalc.calculus.methods import METHODS
from matcalc.calculus.methods.index_rules import index_catalog
from matcalc.calculus.steps import DIFFERENTIAL, GRADIENT, HESSIAN, JACOBIAN, PART_OF, VALUE
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.errors import MatcalcError
from matcalc.language import ast as A
from matcalc.language.names import split_error_name
from matcalc.numeric.evaluate import evaluate
from matcalc.numeric.indexed import evaluate_indexed, has_indices
from matcalc.rewriting.catalog import default_catalog
from cited_rules import UNAPPLIED, a_cited_rule_applies, source_of
from test_step_replay import (EXAMPLE_CASES, STARTS, Replay, _Sweep, close, derivations_of, read_off_wrt,
                              selected)

NOT_EQUALITIES = {"symmetric-gradient", "numerator-layout"}   # another object, said so by the step

OTHER_METHODS = sorted(set(METHODS) - {"trace"})
ANSWERS = (GRADIENT, JACOBIAN, HESSIAN)
IDENTIFY = {"identify", "identify-vec", "identify-index", "identify-jacobian"}
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def vec_order(value) -> np.ndarray:
    return np.asarray(value, dtype=float).reshape(-1, order="F")


def chain_key(label) -> tuple:
    """What a line is about, whatever its form (components, vec, matrix)."""
    if label.kind in ANSWERS:
        return ("answer", label.function, label.wrt)
    return (label.kind, label.function)


class Lines:
    """The vec-order value of each line at the replay's point."""

    def __init__(self, data: Replay, values: dict):
        self.data = data
        self.values = values                         # the function, the names, the gradient g = ...

    def index_sizes(self, label) -> dict:
        """How far each index of the label runs: F_ij over F's rows and columns, ∂l/∂W_pq over W's."""
        of, _, by = label.index.partition("|")
        sizes = {}
        for indices, name in ((of, label.function), (by, read_off_wrt(label))):
            if indices:
                dims = [n for n in np.shape(self.values[name]) if n != 1]
                assert len(dims) == len(indices), f"{name} has {len(dims)} dimensions, not {indices}"
                sizes.update(zip(indices, dims))
        return sizes

    def value(self, step, only=None) -> np.ndarray:
        tangents = self.data.everything if only is None else self.data.tangents(only)
        point = self.data.point(tangents)
        of, _, by = step.label.index.partition("|")
        order = list(of + by)
        if not has_indices(step.after):
            value = vec_order(evaluate(step.after, point))
            if order and value.size == 1:             # δh_p = 1: the same number for every p
                value = np.full(int(np.prod(list(self.index_sizes(step.label).values()))), value[0])
            return value
        got = evaluate_indexed(step.after, point)
        value = np.asarray(got.value, dtype=float)
        for index in order:
            if index not in got.indices:           # h_q as ∂l/∂W2_pq: constant along p
                value = np.expand_dims(value, -1) * np.ones(self.index_sizes(step.label)[index])
                got = type(got)(value, got.indices + (index,))
        unknown = set(got.indices) - set(order)
        assert not unknown, f"free indices {sorted(unknown)} that the label does not name"
        value = np.transpose(value, [got.indices.index(i) for i in order]) if order else value
        return vec_order(value)


def replay(derivation, variables, seed: int = 0) -> list[str]:
    """The lines that do not replay, as messages (empty: all replay)."""
    data = Replay(derivation, variables, seed)
    known_rules = set(default_catalog()) | set(ENGINE_STEPS) | set(index_catalog())
    function = derivation.problem.function_name
    point = data.point(data.everything)
    values = dict(data.values) | {function: evaluate(derivation.problem.expr, point)}
    lines = Lines(data, values)
    differentials = dict(data.everything) | {function: evaluate(A.Differential(derivation.problem.expr), point)}
    failures = []
    last: dict = {}                 # chain key → (the last line about it, its value)
    whole = only = previous = None  # the dl a selection is taken from, the variable it keeps
    by_label: dict = {}             # label → its last line in matrix form (the cited-rule check's, as the trace replay's)
    catalog = default_catalog()
    shares: dict = {}
    for number, step in enumerate(derivation.steps, 1):
        where = f"step {number} ({step.rule})"
        failures += [f"{where}: cites {rule!r}, which is no rule" for rule in step.rules if rule not in known_rules]
        failures += _unapplied(step, where, by_label, data, catalog)
        try:
            problem = _check(step, previous, last, whole, only, shares, lines, values, differentials)
        except MatcalcError as error:
            problem = f"not evaluable: {error}"
        if problem:
            failures.append(f"{where}: {problem}")
        if step.rule in STARTS:
            last, whole, only, by_label = {}, None, None, {}
        by_label[step.label] = step.after if step.matrix_form is None else step.matrix_form
        if step.rule in STARTS and step.label.kind == VALUE and step.label.function not in values:
            # the function under its own name (F, f), or the gradient g = ... a Hessian goes on from
            values[step.label.function] = evaluate(step.after, point)
            differentials[step.label.function] = evaluate(A.Differential(step.after), point)
        if step.rule == "terms-in":
            only = selected(step.after)
        elif step.label.kind == DIFFERENTIAL and step.relation == "=" and only is None:
            whole = step
        if step.rule == "backprop":
            only = None
        _keep_share(step, previous, shares, lines)
        last[chain_key(step.label)] = step
        previous = step
    return failures


# Random expressions (seed 23) with a line whose cited catalog rule does not
# apply to the line before (issue 23): (method, case, rule).  Empty: every
# line applies a rule it cites.  A list that may only stay empty.
RANDOM_UNAPPLIED: set[tuple[str, int, str]] = set()


def _unapplied(step, where, by_label, data, catalog) -> list[str]:
    """The trace replay's check that a cited catalog rule applies to the line
    before (tests/cited_rules.py), on lines in matrix form: a line the index
    method shows by components is checked on its matrix form (Step.matrix_form),
    the line before likewise (the catalog's matcher reads no indices)."""
    source = source_of(step, step.label, by_label, data)
    after = step.after if step.matrix_form is None else step.matrix_form
    if source is None or has_indices(source) or has_indices(after) \
            or a_cited_rule_applies(_matrix_part(step), source, data, catalog):
        return []
    return [f"{where}: {UNAPPLIED} {', '.join(step.rules)} applies to {source}"]


def _matrix_part(step):
    """The step as its matrix form's rules cite it: a line by components cites
    the shared stage's rules, then those the component writer used
    (index_stage._written), from the first index rule on; a catalog rule among
    the writer's (distribute-scalar on k (dx + dq)_i) rewrote the components,
    not the matrix form."""
    if step.matrix_form is None:
        return step
    index_rules = set(index_catalog())
    first = next((i for i, rule in enumerate(step.rules) if rule in index_rules), len(step.rules))
    return SimpleNamespace(rules=step.rules[:first], label=step.label)


def _check(step, previous, last, whole, only, shares, lines, values, differentials) -> str:
    label, key = step.label, chain_key(step.label)
    if step.rule in NOT_EQUALITIES:
        return ""
    if step.rule in STARTS:
        return "" if label.kind != VALUE or label.function not in values or close(vec_order(values[label.function]), lines.value(step)) \
            else "≠ the value it defines"
    if step.rule == "terms-in":
        x = selected(step.after)
        if whole is None:
            return "a selection with no whole dl before it"
        return "" if close(lines.value(whole, x), lines.value(step, x)) else "is not the terms of dl in d" + x
    if step.rule == "sum-over-uses":
        parts = shares.get(read_off_wrt(label), [])
        return "" if parts and close(sum(parts), lines.value(step)) else "is not the sum of the shares"
    if step.rule == "closed-form":
        return ""                           # the answer in δ's: the trace replay's (the methods share it)
    if "does not depend" in step.note:                     # read off no line: l has no dX at all
        return "" if not np.any(lines.value(step)) else "a nonzero answer for a function that does not depend on it"
    if previous is not None and (label.kind in ANSWERS or split_error_name(label.function)):
        if previous.label.kind == DIFFERENTIAL:
            return _read_off(step, previous, lines)
        if key not in last and previous.label.kind in ANSWERS:     # ∂g_i/∂x_q read as the Hessian
            return "" if close(lines.value(previous), lines.value(step)) else "≠ the Jacobian it is read as"
    if key in last:
        return "" if close(lines.value(last[key], only), lines.value(step, only)) else "≠ the line before"
    if label.kind == VALUE and label.function in values:
        return "" if close(vec_order(values[label.function]), lines.value(step)) else f"≠ {label.function}"
    if label.kind == DIFFERENTIAL and label.function in differentials:
        return "" if close(vec_order(differentials[label.function]), lines.value(step)) else f"≠ d{label.function}"
    if label.kind == DIFFERENTIAL and label.function in dict(lines.data.names) and not split_error_name(label.function):
        # a name of constants only (s2 = softmax(q) when M moves): no tangent, its differential is 0
        return "" if not np.any(lines.value(step)) else f"≠ d{label.function}, which is 0"
    return "not checked: no line before it about the same thing"


def _keep_share(step, previous, shares, lines) -> None:
    """One use's share of a gradient (∂l/∂W ∋ δa3 h2^T): its last line is the share."""
    x = read_off_wrt(step.label)
    if step.rule == "sum-over-uses":
        shares.pop(x, None)
    elif step.relation == PART_OF and x is not None:
        same_use = (previous is not None and previous.relation == PART_OF
                    and chain_key(previous.label) == chain_key(step.label))
        uses = shares.setdefault(x, [])
        if same_use and uses:
            uses[-1] = lines.value(step)
        else:
            uses.append(lines.value(step))


def _read_off(step, previous, lines) -> str:
    """An answer J read off the differential above it: J vec(dX) = that differential when only X moves."""
    x = read_off_wrt(step.label)
    if x is None:
        return "an answer read off nothing"
    read = lines.value(step)
    differential = lines.value(previous, x)
    direction = lines.data.tangents(x)[x].reshape(-1, order="F")
    if read.size != differential.size * direction.size:
        return f"the answer read off has {read.size} entries, d{x} {direction.size}"
    jacobian = read.reshape(differential.size, direction.size, order="F")
    return "" if close(differential, jacobian @ direction) else f"d ≠ J vec(d{x}) for the J read off"


# ------------------------------------------------------------------ what is replayed
def replayed(result, variables, gradients, seed=0) -> list[str]:
    if gradients is not None:
        return replay(_Sweep(gradients, gradients[variables[0]]), variables, seed)
    return replay(result, variables, seed)


def with_method(kind, expression, options, method):
    return derivations_of(kind, expression, {**options, "--method": method})


@pytest.mark.parametrize("method", OTHER_METHODS)
@pytest.mark.parametrize("path, index, command", EXAMPLE_CASES,
                         ids=[f"{p.parent.name}/{p.stem}#{i}" for p, i, _ in EXAMPLE_CASES])
def test_every_step_of_every_example_replays(path, index, command, method):
    kind, expression, options = command
    try:
        derivations = with_method(kind, expression, options, method)
    except matcalc.DerivationError as error:
        assert "method=" in error.message, error.message        # a refusal names another method
        pytest.skip(error.message)
    for result, variables, gradients in derivations:
        failures = replayed(result, variables, gradients)      # every cited rule applies, too
        assert not failures, "\n".join(failures) + "\n\n" + result.text()


RANDOM_CASES = 40


def random_derivations(case, method):
    """One gradient, every gradient in one sweep, and the Hessian, each as
    (derivation, variables, gradients); a refused one is left out."""
    requests = ((matcalc.derive, case.wrt), (matcalc.derive, list(case.symbols)), (matcalc.hessian, case.wrt))
    for command, wrt in requests:
        try:
            result = command(case.expression, wrt=wrt, where=case.where, method=method)
        except MatcalcError:
            continue
        if isinstance(result, matcalc.Derivation):
            yield result, [result.wrt], None
        else:
            yield result, list(result), result


@pytest.mark.parametrize("method", OTHER_METHODS)
@pytest.mark.parametrize("index", range(RANDOM_CASES))
def test_every_step_of_a_random_expression_replays(index, method):
    case = S.random_case(seed=23, index=index)
    if S.structurally_nonsmooth(case):
        pytest.skip("kinked: differences across a kink are not derivatives")
    derivations = list(random_derivations(case, method))
    if not derivations:
        pytest.skip("refused")
    for result, variables, gradients in derivations:
        try:
            failures = replayed(result, variables, gradients, seed=index)
        except StopIteration:
            pytest.skip("no point where the function is defined")
        failures = [failure for failure in failures if UNAPPLIED not in failure
                    or (method, index, failure.split("(", 1)[1].split(")", 1)[0]) not in RANDOM_UNAPPLIED]
        assert not failures, "\n".join(failures) + "\n\n" + result.text()


class _Edited:
    """A derivation with one line replaced."""

    def __init__(self, derivation, number, after):
        from dataclasses import replace
        self.problem, self.names, self.env = derivation.problem, derivation.names, derivation.env
        steps = list(derivation.steps)
        steps[number] = replace(steps[number], after=after)
        self.steps = tuple(steps)


@pytest.mark.parametrize("method, rule", [("index", "delta-contract"), ("index", "index-outer"),
                                          ("vec", "vec-kron"), ("vec", "kron-vec")])
def test_a_wrong_line_is_caught(method, rule):
    """The replay finds a line of either method that is not equal to the one above it."""
    d = matcalc.derive("sum(sigma(W x))", wrt="W", method=method)
    assert not replay(d, ["W"])
    number = next(i for i, step in enumerate(d.steps) if step.rule == rule)
    doubled = A.Product((A.Number(2), d.steps[number].after))
    failures = replay(_Edited(d, number, doubled), ["W"])
    assert any(f"step {number + 1} " in failure for failure in failures), failures


def test_a_backward_sweep_by_components_writes_each_differential_by_components():
    """Below the loss the index method owns the differential stage too: the
    lines after dl = δa2^T da2 are by components, and they replay."""
    program = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
    g = matcalc.derive(program, wrt="all", where="x, y: data; y: probability vector", method="index")
    text = " ".join(g.text().split())
    assert "= Σ_i δa2_i d(W2 h1 + b2)_i" in text
    # the same dl by components: its label is the line above's (not restated)
    number = next(i for i, step in enumerate(g.steps) if "Σ_i δa2_i d(W2 h1 + b2)_i" in str(step.after))
    assert g.steps[number].label == g.steps[number - 1].label
    assert "= Σ_i δh1_i h1_i (1 - h1_i) da1_i" in text
    assert not replayed(g, list(g), g)


def test_a_vec_line_citing_a_rule_that_does_not_apply_is_caught():
    """The vec method's lines are checked as the trace method's: a cited
    catalog rule must apply to the line before (kron-vec on (x ⊗ I) g reads
    g as vec(g), a vector being its own vec); citing trace-sum there is caught."""
    from dataclasses import replace
    d = matcalc.derive("sum(sigma(W x))", wrt="W", method="vec")
    assert not replay(d, ["W"])
    number = next(i for i, step in enumerate(d.steps) if step.rule == "kron-vec")
    edited = _Edited(d, number, d.steps[number].after)
    steps = list(edited.steps)
    steps[number] = replace(steps[number], rule="trace-sum", rules=("trace-sum",))
    edited.steps = tuple(steps)
    failures = replay(edited, ["W"])
    assert any(f"step {number + 1} " in failure and UNAPPLIED in failure for failure in failures), failures


def test_a_line_by_components_is_checked_on_its_matrix_form():
    """A line the index method writes by components keeps its matrix form
    (Step.matrix_form); the catalog rules it cites are checked there, against
    the matrix form of the line before: citing d-inverse for d-elementwise is caught."""
    from dataclasses import replace
    program = "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))"
    g = matcalc.derive(program, wrt="all", where="x, y: data; y: probability vector", method="index")
    assert not replayed(g, list(g), g)
    number = next(i for i, step in enumerate(g.steps) if step.rule == "d-elementwise")
    step = g.steps[number]
    assert step.matrix_form is not None and has_indices(step.after) and not has_indices(step.matrix_form)
    edited = _Edited(_Sweep(g, g[list(g)[0]]), number, step.after)
    steps = list(edited.steps)
    steps[number] = replace(step, rule="d-inverse", rules=("d-inverse",) + step.rules[1:])
    edited.steps = tuple(steps)
    failures = replay(edited, list(g))
    assert any(f"step {number + 1} " in failure and UNAPPLIED in failure for failure in failures), failures


@pytest.mark.parametrize("seed, index, method", [(5, 59, "trace"), (5, 152, "trace"), (11, 5, "trace"),
                                                 (13, 110, "trace"), (5, 44, "vec"), (11, 67, "vec"),
                                                 (11, 67, "index"), (11, 88, "vec"), (13, 115, "index"),
                                                 (11, 101, "vec"), (11, 149, "vec"), (13, 109, "vec"),
                                                 (13, 109, "index")])
def test_the_random_cases_of_other_seeds_replay(seed, index, method):
    """Cases of seeds 5, 11 and 13 whose cited rules did not apply (issue 23):
    d-trace-power on tr(diag(b)^2), hadamard-distribute-right inside a flat ⊙,
    a scalar sum distributed (distribute-scalar-sum), factor-scalar on
    δa2 + δa2 θ / exp(c), commutation-vec on K_{p,n} 1 and K_{n,n}^2 vec(M); ds2 = 0 for a name of
    constants (the replay knew no ds2); Σ_i δ_ii, which the evaluator summed as a
    vector; (A w ⊗ I_mp) vec(M) unvectorized with M p×m where vec(M) was meant
    (kron-vec cited on vec(M) as its own vec); (exp(λ) P)^{-T} = P^{-1} / exp(λ)
    for a positive definite P, replayed along a symmetric dP.  Every line replays."""
    import test_step_replay as trace_replay
    case = S.random_case(seed=seed, index=index)
    for result, variables, gradients in random_derivations(case, method):
        check = trace_replay.replayed if method == "trace" else replayed
        failures = check(result, variables, gradients, seed=index)
        assert not failures, "\n".join(failures) + "\n\n" + result.text()
