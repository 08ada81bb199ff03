"""Backpropagation: every parameter of a program in one backward sweep (SPEC §2, §7).

The program's statements ``v = f(u1, u2, W)`` are visited last to first.  The
error value δv = ∂l/∂v of a statement is the sum of what its uses sent back;
the part of dl that flows through v is tr(δv^T dv), and bringing
tr(δv^T df) to Σ tr(C_u^T du) by the trace method (the same differential and
identification as a single gradient, with δv a constant) sends C_u to each
input u: a named value's δ, or a parameter's gradient.  Each δ is derived
once, in the program's names, and reused by everything below it, so the cost
and the printed size are linear in the program.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property

from ..language import ast as A
from ..language.limits import written_out_size
from ..language.names import display_name, error_letter, error_name, split_name
from ..rewriting.canon import canon, zero_like
from ..rewriting.catalog import Catalog, default_catalog
from ..rewriting.engine import Context, rewrite_everywhere
from ..shapes.env import TypeEnv
from .methods import method_named
from .naming import Namer, depending, shared_values
from .steps import GRADIENT, PART_OF, VALUE, Outcome, Step, StepLog, answer_label, differential_label, value_label
from .closed_form import closed_forms
from .fusion import fused_statement, inner, varying_inputs
from .strategy import DEFINITIONS, differential, gradient_from, simplify_answer
from .written_out import record_written_out


@dataclass(frozen=True)
class Sweep:
    """What one backward pass found: δ's, gradients, and the steps that made them."""
    steps: tuple[Step, ...]
    statements: tuple              # ((name, definition), ...) first to last, as written
    invented: tuple                # ((name, definition), ...) matcalc's names (s = softmax(a2))
    deltas: tuple                  # ((δ name, expression), ...) in the order derived
    gradients: dict                # parameter → its gradient, in names and δ's
    done_at: dict                  # parameter → how many steps lead to its gradient
    equations: tuple               # ((label, expression), ...): the backprop equations in order
    env: TypeEnv
    function: str
    closed_forms: dict             # parameter → its gradient with the δ's written out, where that is textbook

    @cached_property
    def shown_closed_forms(self) -> dict:
        """The closed forms shorter than the gradient in δ's: the ones printed."""
        return {p: e for p, e in self.closed_forms.items() if A.size(e) < A.size(self.gradients[p])}

    @cached_property
    def names(self) -> tuple:
        """Every name an answer may use, each after what its definition uses
        (the function itself is none of them)."""
        written = {name for name, _ in self.statements}
        return self.statements[:-1] + tuple(n for n in self.invented if n[0] not in written) + self.deltas


def backward(statements, parameters, env: TypeEnv, function: str, method: str = "trace",
             catalog: Catalog | None = None, written_as: A.Expr | None = None) -> Sweep:
    """One backward sweep over ``statements`` (the last one is ``function``)
    for the gradients of ``parameters``.  ``written_as``: the expression the
    statements were read from (``program_of``), whose definitions and names
    are then the first lines."""
    chosen = method_named(method)
    parameters = tuple(parameters)
    letter = error_letter(list(env.symbols) + [name for name, _ in statements])
    varying = set(parameters) | {name for name, _ in depending(statements, parameters)}
    _known_symmetric(statements, env)
    # in canonical form, so that a definition met again in a step folds into its name
    statements = tuple((name, canon(definition, env)) for name, definition in statements)
    statements, preactivations = _preactivations(statements, varying, env)
    varying |= {name for name, _ in preactivations}
    # Only the statements the function uses send anything back (an unused
    # statement, which gets a warning, is no use of a parameter).
    live = {statements[-1][0]}
    for name, definition in reversed(statements):
        if name in live:
            live |= A.symbol_names(definition)
    uses = {name: [] for name in varying}
    for name, definition in statements:
        if name in varying and name in live:
            for used in varying_inputs(definition, varying):
                uses[used].append(name)

    log, invented, deltas, gradients, done_at, equations = StepLog(), list(preactivations), [], {}, {}, []
    sent: dict[str, list] = {}                 # value or parameter → contributions
    known = {name for name, _ in statements}
    for index in range(len(statements) - 1, -1, -1):
        name, definition = statements[index]
        is_loss = index == len(statements) - 1
        if name not in varying or not (is_loss or sent.get(name)):
            continue
        if is_loss:
            seed, first = definition, ("definition", "")
            if written_as is not None:
                first = ("names", "")
                _record_reading(log, written_as, name, env, catalog)
        else:
            delta = A.Symbol(error_name(letter, name))
            env.add_symbol(delta.name, env.shape(A.Symbol(name)))
            total = _total(sent[name], env)
            if env.is_matrix(total) and env.is_square(total) and env.symmetric(total):
                # δM = (M + I)^{-1} of a symmetric M: δM^T is δM, δM + δM^T is 2 δM
                env.symbols[delta.name] = replace(env.symbols[delta.name], symmetric=True)
            deltas.append((delta.name, total))
            equations.append((value_label(delta.name), total))
            if len(sent[name]) > 1:
                log.add("sum-over-uses", value_label(delta.name), total,
                        note=f"{display_name(name)} is used by " + ", ".join(map(display_name, uses[name])))
            seed = inner(delta, definition, env)
            first = ("backprop", "")
        inputs = varying_inputs(definition, varying)
        taken = chosen.differential_stage(differential)(    # the method writes the differential (components)
            seed, set(inputs), env, function, names=((name, definition),) if not is_loss else (),
            first=first, catalog=catalog, name_layers=False)
        fused = fused_statement(name, definition, taken, inputs, statements[:index], uses, varying, parameters,
                                letter, env, function, catalog, chosen, delta if not is_loss else None)
        if fused is not None:
            taken, inputs, written, written_note = fused
            for value, used in written:
                # u used by v alone and now by the statement: one use (z in q = exp(z); l = sum(q) - y^T z)
                uses[used] = list(dict.fromkeys(name if user == value else user for user in uses[used]))
            if is_loss and written_as is None:
                log.start("definition", value_label(name), definition)
        for new_name, new_definition in taken.names:
            if new_name not in known:
                known.add(new_name)
                invented.append((new_name, new_definition))
        opening = None if is_loss else (inner(delta, A.Differential(A.Symbol(name)), env), _joined(
            f"{display_name(delta.name)} = ∂{display_name(function)}/∂{display_name(name)}",
            f"{written_note} written out" if fused is not None else ""))
        _record_local(log, taken.steps, opening, function, env, None if is_loss else (name, definition))
        for used in inputs:
            outcome = gradient_from(taken, used, chosen)
            final = len(uses[used]) == 1
            target = (value_label(error_name(letter, used)) if used not in parameters
                      else answer_label(GRADIENT, function, used, env))
            for step in outcome.steps[len(taken.steps):]:
                if step.label.kind == GRADIENT:
                    # one use's share of a gradient is a term of it, not all of it
                    share = not final and (step.rule == "identify" or bool(step.label.index))  # (∂l/∂W_pq ∋ ...)
                    note = _joined(step.note, f"through {display_name(name)}") if share and step.rule == "identify" \
                        else step.note
                    label = target if final else answer_label(GRADIENT, function, used, env)
                    # a line by components keeps its indices (the index method: δa2_p = s_p - y_p)
                    step = replace(step, label=replace(label, index=step.label.index), note=note,
                                   relation=PART_OF if share else step.relation)
                log.add(step.rule, step.label, step.after, step.rules, step.note, step.relation, step.matrix_form)
            sent.setdefault(used, []).append(outcome.answer)
            if used in parameters and len(sent[used]) == len(uses[used]):
                gradients[used] = _total(sent[used], env)
                if len(sent[used]) > 1:
                    log.add("sum-over-uses", target, gradients[used],
                            note=f"{display_name(used)} is used by " + ", ".join(map(display_name, uses[used])))
                done_at[used] = len(log)
                equations.append((answer_label(GRADIENT, function, used, env), gradients[used]))
    for parameter in parameters:
        if parameter not in gradients:           # l does not depend on it
            gradients[parameter] = canon(zero_like(A.Symbol(parameter), env), env)
            log.add("identify", answer_label(GRADIENT, function, parameter, env), gradients[parameter],
                    note=f"{function} does not depend on {parameter}")
            done_at[parameter] = len(log)
            equations.append((answer_label(GRADIENT, function, parameter, env), gradients[parameter]))
    # No value written out where its name exists: a gradient that came out
    # as a δ's expression (∂l/∂ε and δs2 in batch norm, -2 (r - x) and δr)
    # is written with the δ.
    by_delta = _delta_names(deltas, env)
    gradients = {p: _with_deltas(g, by_delta, env) for p, g in gradients.items()}
    equations = [(label, gradients[label.wrt] if label.kind == GRADIENT else expr) for label, expr in equations]
    context = Context(env, catalog=catalog or default_catalog())
    # batch norm's gradient as the textbook writes it
    found = closed_forms({p: gradients[p] for p in parameters}, deltas, statements[:-1], context, simplify_answer)
    closed = {parameter: expr for parameter, (expr, _) in found.items()}
    for parameter, (expr, rules) in found.items():
        if A.size(expr) >= A.size(gradients[parameter]):
            continue            # printed only where it is shorter than the δ form
        log.add("closed-form", answer_label(GRADIENT, function, parameter, env), expr, ("closed-form",) + rules,
                note="the δ's written out")
    return Sweep(log.steps, statements, tuple(invented), tuple(deltas), gradients, done_at, tuple(equations),
                 env, function, closed)


def sweep_of(statements, expr: A.Expr, parameters, env: TypeEnv, function: str, method: str = "trace") -> Sweep:
    """The backward sweep of a program, or of an expression read as one
    (``program_of``), whose reading is then its first lines."""
    if statements:
        return backward(statements, parameters, env, function, method)
    return backward(program_of(expr, parameters, env, function), parameters, env, function, method, written_as=expr)


def program_of(expr: A.Expr, parameters, env: TypeEnv, function: str,
               catalog: Catalog | None = None) -> tuple:
    """An expression as the program a textbook would write for it: its
    intermediate values named as a single gradient names them (a1 = W1 x,
    h1 = σ(a1), ...), and every value used more than once named too (v = ...),
    the function last."""
    expr = canon(expr, env)
    expr, _ = rewrite_everywhere(DEFINITIONS, expr, Context(env, catalog=catalog or default_catalog()))
    namer = Namer(env, parameters, shared=shared_values(expr, parameters))
    top = namer.visit(expr, top=True)
    return tuple(namer.names) + ((function, top),)


# A written-out answer longer than this (parts) is no help to a reader: the
# answer stays in names and δ's, written out only when asked (Derivation.result).
MAX_SHOWN_WRITTEN_OUT = 200


def outcome_for(sweep: Sweep, parameter: str, written_out: bool = False) -> Outcome:
    """One parameter's gradient as a derivation of its own: the sweep's steps
    up to it, the answer in names and δ's (written out when asked).  With
    ``written_out`` (one gradient of a program, shown as for an expression)
    the answer with the names written out is shown too, where it is short."""
    label = answer_label(GRADIENT, sweep.function, parameter, sweep.env)
    answer, expanded = sweep.gradients[parameter], None
    log = StepLog(sweep.steps[:sweep.done_at[parameter]])
    if written_out and written_out_size(answer, sweep.names) <= MAX_SHOWN_WRITTEN_OUT:
        shown = StepLog(log.steps)                # the lines of the written-out form, if it is shown
        expanded = record_written_out(shown, label, answer, sweep.names, Context(sweep.env))
        if A.size(expanded) > MAX_SHOWN_WRITTEN_OUT:
            expanded = None
        else:
            log = shown
    return Outcome(answer, expanded, log.steps, sweep.names, sweep.env, label)


def _record_reading(log: StepLog, expr, function, env, catalog) -> None:
    """The first lines of an expression read as a program: as written, then
    the definitions that ``program_of`` applied (log-softmax); the names follow."""
    expr = canon(expr, env)
    log.start("definition", value_label(function), expr)
    defined, used = rewrite_everywhere(DEFINITIONS, expr, Context(env, catalog=catalog or default_catalog()))
    if used:
        log.add(used[0], value_label(function), defined, used)


def _known_symmetric(statements, env) -> None:
    """A named value symmetric by construction (M = H H^T, SPEC §2 Structure)
    is symmetric wherever its name stands: (M + I)^{-T} is (M + I)^{-1}."""
    for name, definition in statements[:-1]:
        info = env.symbols.get(name)
        if info is not None and not info.symmetric and env.is_matrix(definition) and env.is_square(definition) \
                and env.symmetric(definition):
            env.symbols[name] = replace(info, symmetric=True)


def _preactivations(statements, varying, env):
    """``h2 = tanh(W h1 + U x2 + b)`` is ``a2 = W h1 + U x2 + b; h2 = tanh(a2)``,
    as a textbook writes a layer, so that δa2 = δh2 ⊙ (1 - h2 .^ 2) is derived
    once and every gradient of the layer reads δa2.  ``varying``: the
    parameters and the values that depend on them.  Returns (the statements,
    the names made)."""
    taken = set(env.symbols) | {name for name, _ in statements}
    result, made = [], []
    for index, (name, definition) in enumerate(statements):
        inner = definition.arg if isinstance(definition, A.Func) else None
        if index < len(statements) - 1 and inner is not None and not isinstance(inner, A.Symbol) \
                and A.symbol_names(inner) & varying:
            _, suffix = split_name(name)
            preactivation = next(candidate for candidate in (f"a{suffix}", f"z{suffix}", f"a_{name}", f"a_{name}_")
                                 if candidate not in taken)
            taken.add(preactivation)
            env.add_symbol(preactivation, env.shape(inner))
            result.append((preactivation, inner))
            made.append((preactivation, inner))
            definition = A.with_children(definition, [A.Symbol(preactivation)])
        result.append((name, definition))
    return tuple(result), made


def _delta_names(deltas, env) -> dict:
    """δ expression (and its negation) → the δ."""
    named = {}
    for name, definition in deltas:
        # (a δ that is a constant, δh = 1, or a bare name stays as it is)
        if not isinstance(definition, A.Symbol) and A.symbol_names(definition):
            named[definition] = A.Symbol(name)
            named[canon(A.Product((A.Number(-1), definition)), env)] = canon(
                A.Product((A.Number(-1), A.Symbol(name))), env)
    return named


def _with_deltas(expr, named, env):
    folded = A.substitute(expr, named)
    return canon(folded, env) if folded != expr else expr


def _total(terms, env):
    """One term per use, as the uses sent them."""
    return terms[0] if len(terms) == 1 else canon(A.Add(tuple(terms)), env)


def _joined(*notes) -> str:
    return "; ".join(note for note in notes if note)


def _record_local(log: StepLog, steps, opening, function, env, defined=None) -> None:
    """The steps of one statement's differential, up to where identification starts.

    Below the loss, the local function tr(δv^T f) is no value of the program:
    its first line is ``opening``, dl = tr(δv^T dv), and a rewrite of the
    local function itself (a definition, names) is shown as a line of dl.
    ``defined`` is v and its definition: the line after the opening writes dv
    as d(definition) under a rule of its own ("d-definition"), and the d-rules
    that follow cite what they did to it."""
    d = differential_label(function)
    restating, after_trace = set(), False       # after_trace: the d-definition line of a dropped d-trace
    if opening is not None:
        log.add("backprop", d, opening[0], note=opening[1])
        steps = steps[1:]
        restating = A.symbol_names(opening[0])        # δv and v
    for step in steps:
        if opening is not None and step.label.kind == VALUE:
            step = replace(step, label=d, after=A.Differential(step.after))
        if restating and all(A.symbol_names(node.arg) <= restating for node in A.walk(step.after)
                             if isinstance(node, A.Differential)):
            continue        # d(δ^T v), δ^T dv again: the definition folded back into its name
        if restating and defined is not None:
            written = _definition_written_in(opening[0], defined)
            shown = step.after if step.matrix_form is None else step.matrix_form    # (by components: its matrix form)
            if written is not None and written != shown:
                log.add("d-definition", d, written)
                if step.rule == "d-trace":       # tr(d(δ^T f)): d-trace undone by the line above, dropped
                    restating, after_trace = set(), True
                    continue
            if written == shown:                 # the index method's line keeps the index rules that wrote it
                step = replace(step, rule="d-definition", rules=("d-definition",) + _index_rules(step))
            elif written is not None and canon(written, env) == shown:
                restating = set()    # δ^T d(f) again as canon writes it (δ^T = δ for a symmetric δ): no rule applied
                continue
            elif written is not None:
                step = _recited(step, opening[0], defined, env)
        elif after_trace:
            step = _recited(step, opening[0], defined, env)
        after_trace = False
        restating = set()
        last = log.last
        if last is not None and last.after == step.after and last.label == step.label:
            if step.matrix_form is not None:
                log.restate_last(step)
            continue
        log.add(step.rule, step.label, step.after, step.rules, step.note, step.relation, step.matrix_form)


def _index_rules(step) -> tuple:
    """The rules of writing a line by components (not in the catalog: rules/index.components)."""
    return () if step.matrix_form is None else tuple(r for r in step.rules if r not in default_catalog())


def _definition_written_in(opening, defined):
    """tr(δv^T dv) with dv written d(v's definition); None if dv is not in it."""
    name, definition = defined
    dv = A.Differential(A.Symbol(name))
    if not any(node == dv for node in A.walk(opening)):
        return None
    return A.substitute(opening, {dv: A.Differential(definition)})


def _recited(step, opening, defined, env):
    """The first step on the line δ^T d(f) (dv written as d(definition)) cites
    what it did to d(f), not to the d(δ^T f) the engine differentiated:
    d(δ^T c f) cut after δ^T c shows as d(c f) = c df (d-scalar-product), and
    δ^T d(log(exp(x))) after δ^T d(log(a1)) only writes a fused name out."""
    name, definition = defined
    definition = canon(definition, env)
    if "d-product" in step.rules and isinstance(definition, A.Product) and env.is_scalar(definition.args[0]):
        kept = tuple(rule for rule in step.rules if rule != "d-product" or len(definition.args) > 2)
        return replace(step, rule="d-scalar-product", rules=tuple(dict.fromkeys(("d-scalar-product",) + kept)))
    dv = A.Differential(A.Symbol(name))
    shown = step.after if step.matrix_form is None else step.matrix_form    # (by components: its matrix form)
    if any(canon(A.substitute(opening, {dv: node}), env) == shown
           for node in A.walk(shown) if isinstance(node, A.Differential)):
        return replace(step, rule="substitute-definition", rules=("substitute-definition",) + _index_rules(step))
    return step


__all__ = ["Sweep", "backward", "inner", "outcome_for", "program_of", "sweep_of"]
