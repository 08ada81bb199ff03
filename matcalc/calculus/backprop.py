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

from ..errors import MatcalcError
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
from .strategy import DEFINITIONS, differential, gradient_from, simplify_answer, write_out


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


def inner(delta: A.Expr, value: A.Expr, env: TypeEnv) -> A.Expr:
    """⟨δ, v⟩: δ v for a scalar, δ^T v for a vector, tr(δ^T v) for a matrix."""
    if env.is_scalar(value):
        return A.Product((delta, value))
    product = A.Product((A.Transpose(delta), value))
    return product if env.shape(value)[1].is_one else A.Trace(product)


def backward(statements, parameters, env: TypeEnv, function: str, method: str = "trace",
             catalog: Catalog | None = None) -> Sweep:
    """One backward sweep over ``statements`` (the last one is ``function``)
    for the gradients of ``parameters``."""
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
            for used in _inputs(definition, varying):
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
        inputs = _inputs(definition, varying)
        taken = chosen.differential_stage(differential)(    # the method writes the differential (components)
            seed, set(inputs), env, function, names=((name, definition),) if not is_loss else (),
            first=first, catalog=catalog, name_layers=False)
        fused = _fused(name, definition, seed, taken, inputs, statements[:index], uses, varying, parameters,
                       letter, env, function, catalog, chosen, delta if not is_loss else None)
        if fused is not None:
            taken, inputs, written = fused
            for value, used in written:
                # u used by v alone and now by the statement: one use (z in q = exp(z); l = sum(q) - y^T z)
                uses[used] = list(dict.fromkeys(name if user == value else user for user in uses[used]))
            if is_loss:
                log.start("definition", value_label(name), definition)
        for new_name, new_definition in taken.names:
            if new_name not in known:
                known.add(new_name)
                invented.append((new_name, new_definition))
        opening = None if is_loss else (inner(delta, A.Differential(A.Symbol(name)), env),
                                        f"{display_name(delta.name)} = ∂{display_name(function)}/∂{display_name(name)}")
        _record_local(log, taken.steps, opening, function)
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
                log.add(step.rule, step.label, step.after, step.rules, step.note, step.relation)
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
    closed = closed_forms({p: gradients[p] for p in parameters}, deltas, statements[:-1], context, simplify_answer)
    for parameter, expr in closed.items():
        if A.size(expr) >= A.size(gradients[parameter]):
            continue            # printed only where it is shorter than the δ form
        log.add("closed-form", answer_label(GRADIENT, function, parameter, env), expr, note="the δ's written out")
    return Sweep(log.steps, statements, tuple(invented), tuple(deltas), gradients, done_at, tuple(equations),
                 env, function, closed)


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
    if written_out and written_out_size(answer, sweep.names) <= MAX_SHOWN_WRITTEN_OUT:
        expanded = write_out(answer, sweep.names, Context(sweep.env))
        if A.size(expanded) > MAX_SHOWN_WRITTEN_OUT:
            expanded = None
    return Outcome(answer, expanded, sweep.steps[:sweep.done_at[parameter]], sweep.names, sweep.env, label)


def _known_symmetric(statements, env) -> None:
    """A named value symmetric by construction (M = H H^T, SPEC §2 Structure)
    is symmetric wherever its name stands: (M + I)^{-T} is (M + I)^{-1}."""
    for name, definition in statements[:-1]:
        info = env.symbols.get(name)
        if info is not None and not info.symmetric and env.is_matrix(definition) and env.is_square(definition) \
                and env.symmetric(definition):
            env.symbols[name] = replace(info, symmetric=True)


def _fused(name, definition, seed, taken, inputs, earlier, uses, varying, parameters, letter, env, function,
           catalog, chosen, delta):
    """The statement differentiated together with the activations it alone
    uses (SPEC §7, seed 000): ``yh = softmax(a2); l = -y^T log(yh)`` read as
    ``l = -y^T log(softmax(a2))`` gives δa2 = yh - y, where two steps give
    (diag(yh) - yh yh^T) δyh with δyh = -y ./ yh.  An activation v = f(u) is
    written out when it has no other use and δu, as printed, comes out
    shorter that way than through δv; v keeps its name wherever it appears.  Returns (the
    differential, its inputs, ((v, u), ...)) or None."""
    definitions = dict(earlier)
    candidates = []
    for value in inputs:
        activation = definitions.get(value)
        if value in parameters or len(uses.get(value, ())) != 1 or not _is_activation(activation, varying):
            continue
        # Only where it can pay: v under a log of the statement (log(yh), log(1 - p)), or u used
        # by the statement too.  Through a linear use (a2 = W2 h1 + b2) the δ's are already the
        # seeds' two lines, and a deep network is not differentiated twice.
        if not (_under_log(value, definition) or activation.arg.name in inputs):
            continue
        candidates.append((value, activation))
    if not candidates:
        return None
    written = dict(candidates)
    fused_definition = canon(A.substitute(definition, {A.Symbol(v): d for v, d in candidates}), env)
    fused_seed = fused_definition if delta is None else inner(delta, fused_definition, env)
    fused_inputs = _inputs(fused_definition, varying)
    names = tuple(candidates) + (((name, fused_definition),) if delta is not None else ())
    note = ", ".join(f"{display_name(v)} = {_function_name(d)}({display_name(d.arg.name)})" for v, d in candidates)
    first = ("substitute-definition", note) if delta is None else ("backprop", "")
    try:
        together = chosen.differential_stage(differential)(fused_seed, set(fused_inputs), env, function, names=names,
                                                           first=first, catalog=catalog, name_layers=False)
    except MatcalcError:   # a form the fused statement cannot take: the two steps stand
        return None
    chosen_pairs = []
    for value, activation in candidates:
        u = activation.arg.name
        through = gradient_from(together, u, chosen).answer
        in_steps = _two_steps(value, activation, letter, env, function, catalog, chosen)
        if u in inputs:         # z in q = exp(z); l = sum(q) - y^T z: δz also has the statement's own share
            in_steps = canon(A.Add((in_steps, gradient_from(taken, u, chosen).answer)), env)
        if A.size(through) < A.size(in_steps):
            chosen_pairs.append((value, u))
    if len(chosen_pairs) != len(candidates):
        return None
    return together, fused_inputs, tuple(chosen_pairs)


def _under_log(value, definition) -> bool:
    """v inside a log (a cross-entropy's log(yh), log(1 - p)): the log of an
    activation is where writing it out shortens the δ (log-softmax, log σ)."""
    return any(isinstance(node, A.Func) and node.name == "log" and value in A.symbol_names(node)
               for node in A.walk(definition))


def _function_name(activation) -> str:
    if isinstance(activation, A.Func):
        return "σ" if activation.name == "sigma" else activation.name
    return "softmax" if isinstance(activation, A.Softmax) else "logsoftmax"


def _is_activation(definition, varying) -> bool:
    return isinstance(definition, (A.Func, A.Softmax, A.LogSoftmax)) and isinstance(definition.arg, A.Symbol) \
        and definition.arg.name in varying


def _two_steps(value, activation, letter, env, function, catalog, chosen):
    """δu of v = f(u) as the two steps print it, through δv."""
    delta = A.Symbol(error_name(letter, value))
    env.add_symbol(delta.name, env.shape(A.Symbol(value)))
    taken = differential(inner(delta, activation, env), {activation.arg.name}, env, function,
                         names=((value, activation),), catalog=catalog, name_layers=False)
    return gradient_from(taken, activation.arg.name, chosen).answer


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


def _inputs(definition, varying) -> list:
    """The varying symbols of a definition, in the order they are first written."""
    found = []
    for node in A.walk(definition):
        if isinstance(node, A.Symbol) and node.name in varying and node.name not in found:
            found.append(node.name)
    return found


def _total(terms, env):
    """One term per use, as the uses sent them."""
    return terms[0] if len(terms) == 1 else canon(A.Add(tuple(terms)), env)


def _joined(*notes) -> str:
    return "; ".join(note for note in notes if note)


def _record_local(log: StepLog, steps, opening, function) -> None:
    """The steps of one statement's differential, up to where identification starts.

    Below the loss, the local function tr(δv^T f) is no value of the program:
    its first line is ``opening``, dl = tr(δv^T dv), and a rewrite of the
    local function itself (a definition, names) is shown as a line of dl."""
    d = differential_label(function)
    restating = set()
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
        restating = set()
        last = log.last
        if last is not None and last.after == step.after and last.label == step.label:
            continue
        log.add(step.rule, step.label, step.after, step.rules, step.note, step.relation)


__all__ = ["Sweep", "backward", "inner", "outcome_for", "program_of"]
