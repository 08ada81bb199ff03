"""Which catalog rule a step cites applies to the line before it (issue 23):
the helpers of tests/test_step_replay.py, and the example lines known not
to pass that check yet."""

from __future__ import annotations

from itertools import combinations

from matcalc.calculus.elementwise import derivative
from matcalc.calculus.steps import DIFFERENTIAL, VALUE
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.language import ast as A
from matcalc.language.names import split_error_name
from matcalc.rewriting.canon import canon
from matcalc.rewriting.engine import Context, rewrite

STARTS = {"definition", "backprop", "gradient"}          # as test_step_replay's
UNAPPLIED = "none of"
# engine steps whose cited rules rewrite what the step builds, not the line
# before: the δ's written out, the gradient's transpose
COMPOSITE = {"closed-form", "numerator-layout", "symmetric-gradient"}

# The example lines where no cited rule's left side matches the line before
# as the matcher sees it (issue 23, left open): steps whose rule the engine
# applied with bindings it chose itself, equal only up to comparison forms
# (hadamard-swap, trace-transpose, vec-kron: rewrite_with), vec of a vector
# dropped by the canonical form.  A line that comes to match must leave this
# list, and a new one may not join it.
KNOWN_UNAPPLIED = {
    "examples/01_mlp_softmax_ce_W1#0": {13},   # hadamard-swap
    "examples/02_mlp_softmax_ce_W1_prob#0": {14},   # hadamard-swap
    "examples/08_backprop_sigma_layer#0": {14},   # hadamard-swap
    "examples/24_hadamard_sum#0": {8},   # hadamard-swap
    "examples/28_sum_tanh#0": {9},   # hadamard-swap
    "examples/30_gaussian_precision#0": {9},   # factor-transpose
    "examples/34_jacobian_outer_weights#0": {3},   # vec-kron
    "examples/35_jacobian_sigmoid_layer#0": {6},   # vec-hadamard
    "examples/43_batched_softmax_regression#0": {18},   # hadamard-swap
    "examples/44_batched_softmax_any_targets#0": {18},   # hadamard-swap
    "examples/45_batched_mean_loss_bias#0": {20},   # hadamard-swap
    "examples/46_jacobian_softmax_columns#0": {6},   # vec-kron
    "examples/47_hessian_batched_softmax#0": {18, 33, 35},   # hadamard-swap, vec-kron
    "examples/48_attention_values#0": {8},   # hadamard-swap
    "backprop/05_batch_norm#0": {33},   # hadamard-swap
    "backprop/10_batched_two_layer#0": {14, 15},   # hadamard-swap
    "backprop/11_attention#0": {8, 27},   # hadamard-swap
    "backprop/12_layer_norm#0": {37},   # hadamard-swap
}


def source_of(step, label, last, data):
    """The line a step rewrites: the last about its label, or what its label's
    first line is the differential of (d(l), d(the definition of a name))."""
    if step.rule in STARTS or step.relation != "=":
        return None
    if step.rule in COMPOSITE:
        return None
    if label in last:
        return last[label]
    if label.kind != DIFFERENTIAL or label.function_is_matrix:
        return None
    value = next((expr for other, expr in last.items() if other.kind == VALUE and other.function == label.function), None)
    if value is not None:
        return A.Differential(value)
    definition = dict(data.names).get(label.function)
    return None if definition is None else A.Differential(definition)


def a_cited_rule_applies(step, source, data, catalog) -> bool:
    """At least one catalog rule the step cites rewrites ``source`` (the
    engine's matcher, on the canonical form); a step citing none is not asked."""
    cited = tuple(rule for rule in step.rules if rule in catalog and rule not in ENGINE_STEPS)
    if not cited:
        return True
    varying = set(data.variables) | {name for name, _ in data.names if not split_error_name(name)}
    context = Context(data.env, lambda e: not (A.symbol_names(e) & varying), catalog, derivative)
    forms = [source] + ([A.Vec(source)] if step.label.function_is_matrix else [])   # vec(dF) = J vec(dX)
    return any(_matches_somewhere(rule, canon(form, data.env), context) for form in forms for rule in cited)


def _matches_somewhere(rule, expr, context) -> bool:
    """The rule's left side matches a node of ``expr``, a run of adjacent
    factors of a product or two terms of a sum (where the engine applies it),
    its where-clause and shapes satisfied; whether the canonical form of its
    right side looks different is not asked (tr(u^T v) = tr(v^T u) does not)."""
    for node in A.walk(expr):
        candidates = [node]
        if isinstance(node, A.Product):
            n = len(node.args)
            candidates += [A.Product(node.args[i:j]) for i in range(n) for j in range(i + 2, n + 1) if j - i < n]
        elif isinstance(node, A.Add):
            candidates += [A.Add(pair) for pair in combinations(node.args, 2)]
        if any(rewrite(rule, candidate, context) is not None for candidate in candidates):
            return True
    return False
