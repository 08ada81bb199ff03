"""The index method's differential stage (SPEC §3): the shared stage's lines
written by components.

The function and each named value get a line by components after the names
are given (``l = -Σ_i y_i logsoftmax(a2)_i``, ``a1_i = Σ_j W1_ij x_j``,
``h1_i = σ(a1_i)``), and every differential line is shown by components
(``da2_i = Σ_j W2_ij dh1_j``), each citing its d-rule and the index rules that
wrote it.  The differential itself (what the method then reads the derivative
off) is the shared stage's.
"""

from __future__ import annotations

from dataclasses import replace

from ...errors import DerivationError
from ...language import ast as A
from ...language import index_ast as I
from ..steps import DIFFERENTIAL, VALUE, Label, Step
from ..trace_method import push_transposes
from .components import Indices, Writer, render

COMPOUND = (A.Product, A.Add, A.Transpose, A.Hadamard, A.Trace, A.Sum, A.Mean, A.Diag, A.Kron, A.Vec)


def by_components(taken, first_new: int, context, define: bool = True):
    """``taken`` (a strategy.Differential) with its steps from ``first_new`` on
    by components; ``define``: the values and the function get a line by
    components before the first differential."""
    env = context.env
    steps = list(taken.steps[:first_new])
    shown: set = set()               # rules of writing constants entry by entry, cited once
    defined = False
    for step in taken.steps[first_new:]:
        if step.label.kind == DIFFERENTIAL and define and not defined:
            # the values by components, then the function: a1_i = Σ_j W1_ij x_j, ..., l = -Σ_i y_i ...
            function = steps[-1].after if steps and steps[-1].label.kind == VALUE else None
            values = list(taken.names) + ([(taken.function, function)] if function is not None else [])
            steps += [line for line in (_definition(name, definition, env, context, shown)
                                        for name, definition in values) if line]
            defined = True
        steps.append(_written(step, env, context, shown))
    return replace(taken, steps=tuple(_chained(steps, first_new)))


def _chained(steps, first_new):
    """Each step's ``before`` is the line above it again (lines were added)."""
    out = list(steps[:first_new])
    for step in steps[first_new:]:
        before = out[-1].after if out and step.before is not None else step.before
        out.append(replace(step, before=before))
    return out


def _free_indices(expr, env, indices: Indices):
    rows, cols = env.shape(expr)
    return (None if rows.is_one else indices.fresh(), None if cols.is_one else indices.fresh())


def _components(expr, env, context, carries, shown: set):
    """(tree, free indices, rules) of ``expr`` by components, or None where the
    index method has no rule; a rule of writing a constant entry by entry
    ((1 - h)_i = 1 - h_i) is cited the first time only (``shown``)."""
    indices = Indices.for_problem(env)
    free = _free_indices(expr, env, indices)
    used: list[str] = []
    try:
        terms = Writer(env, indices, carries, used, lambda m: push_transposes(A.Transpose(m), context)).components(
            expr, free)
    except DerivationError:
        return None
    entrywise: list[str] = []
    tree = render(terms, env, entrywise)
    cited = list(dict.fromkeys(used + [rule for rule in entrywise if rule not in shown])) or entrywise[:1]
    shown.update(entrywise)
    return tree, free, cited


def _written(step: Step, env, context, shown: set) -> Step:
    if step.label.kind != DIFFERENTIAL or step.label.index:
        return step
    written = _components(step.after, env, context, _carries_differential, shown)
    if written is None or written[0] == step.after or not _has_indices(written[0]):
        return step           # (a line with no index left is the shared stage's, as it wrote it)
    shown, free, used = written
    free_text = "".join(i for i in free if i)
    # a scalar's differential by components (dl = Σ_i ...) is the same line as before: the same label
    label = replace(step.label, index=free_text + "|") if free_text else step.label
    return replace(step, after=shown, rules=tuple(dict.fromkeys(step.rules + tuple(used))), label=label,
                   matrix_form=step.after)


def _definition(name, definition, env, context, shown: set) -> Step | None:
    written = _components(definition, env, context, _compound, shown)
    if written is None or not written[2]:
        return None
    shown, free, used = written
    label = Label(VALUE, name, index="".join(i for i in free if i) + "|")
    return Step(used[0], label, shown, None, tuple(used), "")


def _has_indices(expr) -> bool:
    return any(isinstance(node, I.INDEX_NODES) for node in A.walk(expr))


def _carries_differential(expr) -> bool:
    return A.holds(expr, A.Differential)


def _compound(expr) -> bool:
    """Written out by components: products, sums, transposes ...; an
    elementwise function is written entry by entry when shown (σ(a1_i))."""
    return isinstance(expr, COMPOUND)
