"""The strategy of a derivation, phase by phase (SPEC §3):

definitions → names for intermediate values → dl → d(name) for each name →
chain → the method (trace rules until tr(C^T dX), or vec rules until
vec(dF) = J vec(dX)) → identify → simplify.

The differential is taken once over a set of variables (``differential``) and
identified per variable; each phase is a few lines that pick rules from the
catalog, and the rewriting itself is done by the rewriting layer.  Steps are
values; nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..language import ast as A
from ..language.names import display_name
from ..language.node_facts import names_of
from ..rewriting.canon import canon, zero_like
from ..rewriting.catalog import Catalog, default_catalog
from ..rewriting.engine import Context, rewrite_everywhere
from ..shapes.env import TypeEnv
from .answers import answer_form_steps, without_undone_lines
from .differential import collect, sweeps
from .elementwise import derivative
from .elementwise_algebra import simplify_elementwise
from .methods import METHOD_STEPS, Method, Recorder, method_named
from .naming import Namer, depending, fold_names, softmax_names
from .scalars import simplify_coefficients
from .steps import (PART_OF, DIFFERENTIAL, GRADIENT, HESSIAN, JACOBIAN, Label, Outcome, StepLog, answer_label,
                    differential_label, value_label)
from .expansion import MAX_ROUNDS as EXPAND_ROUNDS, expand_steps
from .written_out import SOFTMAX_DEFINITIONS, record_written_out, write_out

# Steps that are bookkeeping of the method rather than identities.
ENGINE_STEPS = {
    "definition": "the function as given",
    "names": "name the intermediate values",
    "canonical": "the canonical form: the silent identities of rules/canonical.rules",
    "differential": "the differential of both sides: l = v gives dl = dv",
    "chain": "substitute the differentials of the named values (chain rule)",
    "identify": "dl = tr(C^T dX) means ∂l/∂X = C",
    "scalar-algebra": "algebra of the scalar entries, done by SymPy: both sides are equal entry by entry",
    "identify-jacobian": "vec(dF) = J vec(dX) means ∂vec(F)/∂vec(X)^T = J",
    "gradient": "the gradient, derived above",
    "symmetric-gradient": "for symmetric X only (G + G^T)/2 is a gradient in the space of symmetric matrices",
    "numerator-layout": "numerator layout: the transpose of the gradient",
    "substitute-definition": "a named value written out by its definition, to be differentiated together "
                             "with its only use",
    "terms-in": "the terms of dl in one differential, the others set to zero: dl ∋ these terms",
    "d-definition": "dv = d(what v names): the differential of a named value is that of its definition",
    "backprop": "dl = tr(δv^T dv): the part of dl that flows through v, with δv = ∂l/∂v",
    "sum-over-uses": "a value used in several places: ∂l/∂v is the sum of what each use sends back",
    "written-out": "the named values written out by their definitions",
    "closed-form": "the δ's written out in the program's names: a centred c has 1^T c = 0 (centered-sum), "
                   "and xh = c / σ stands for c = σ xh",
    **METHOD_STEPS,
}
PROBABILITY_SUMS = ("probability-sum", "probability-sum-transposed", "probability-columns-sum",
                    "probability-columns-sum-transposed", "probability-columns-ones")
SOFTMAX_JACOBIAN_SUMS = ("softmax-jacobian-sum", "softmax-jacobian-sum-right")
SIMPLIFY_DL = PROBABILITY_SUMS + SOFTMAX_JACOBIAN_SUMS + ("ones-hadamard",)
SIMPLIFY_ANSWER = ("trace-of-scalar", "transpose-product", "transpose-sum", "transpose-hadamard",
                   "kron-mixed-product") + PROBABILITY_SUMS + (
                   "hadamard-column-sums", "trace-of-diag", "sum-kron", "sum-kron-scaled",
                   "diag-ones-right", "diag-ones-left", "inverse-product",
                   "inverse-transposed-cancels", "inverse-transposed-cancels-right",
                   "factor-left", "factor-right", "centered-sum", "centered-sum-transposed", "mean-of-sum", "mean-of-product",
                   "trace-scalar", "diag-merge", "diag-merge-difference", "diag-of-outer", "diag-times-ones",
                   "ones-times-diag", "diag-of-ones-outer", "kron-identity-row-vec", "kron-row-identity-vec",
                   "softmax-definition", "softmax-definition-sum") + SOFTMAX_JACOBIAN_SUMS
DEFINITIONS = SOFTMAX_DEFINITIONS + ("log-softmax",)


@dataclass(frozen=True)
class Differential:
    """dl of a function over a set of variables, with the steps that took it."""
    dl: A.Expr
    context: Context
    steps: tuple                 # the steps that took it (a gradient continues from them)
    names: list                  # [(name, definition)], innermost first
    function: str
    variables: frozenset         # what d was taken over (the names not included)


# ---------------------------------------------------------------- the answers
def derive_gradient(expr: A.Expr, wrt: str, env: TypeEnv, function: str = "l",
                    method: str = "trace", catalog: Catalog | None = None, names=()) -> Outcome:
    """∂l/∂X for a scalar l: dl brought to tr(C^T dX), by the rules of ``catalog``
    (the rules that ship with matcalc unless a catalog is given); ``names`` are
    the values a program named, kept wherever they occur."""
    chosen = method_named(method)
    take = chosen.differential_stage(differential)
    taken = take(expr, {wrt}, env, function, names=depending(names, {wrt}), catalog=catalog)
    return gradient_from(taken, wrt, chosen)


def gradient_from(taken: Differential, wrt: str, method: Method) -> Outcome:
    """The gradient wrt one of the variables of a differential."""
    X, env, context, log = A.Symbol(wrt), taken.context.env, taken.context, StepLog(taken.steps)
    label = answer_label(GRADIENT, taken.function, wrt, env)
    dl = _only(taken, wrt)
    if dl != taken.dl and A.contains(dl, A.Differential(X)):
        log.add("terms-in", differential_label(taken.function), dl, note=f"the terms in d{display_name(wrt)}",
                relation=PART_OF)
    if not A.contains(dl, A.Differential(X)):
        gradient = canon(zero_like(X, env), env)
        log.add("identify", label, gradient, note=f"{taken.function} does not depend on {wrt}")
        return _finish(gradient, log, taken.names, context, label)
    if env.is_scalar(X):
        gradient = canon(A.substitute(dl, {A.Differential(X): A.ONE}), env)
    else:
        d_label = differential_label(taken.function)
        gradient = method.gradient(dl, X, context, Recorder(log, d_label, taken.function))
    log.add("identify", label, gradient)
    folding = _folding(taken.names)

    def record(rule, after, rules):
        # what the algebra wrote out has a name: h1 for a1 ⊙ σ(a1)
        named = fold_names(after, folding, env)
        log.add(rule, label, named, tuple(rules) + (("names",) if named != after else ()))

    gradient = fold_names(simplified_answer(gradient, taken.names, context, record), folding, env)
    return _finish(gradient, log, taken.names, context, label)


def simplified_answer(answer, names, context, record, with_algebra: bool = True):
    """The answer read off, simplified, each change recorded as a step:
    scalar algebra (SymPy) on its own line, then the answer rules.
    Entrywise algebra comes before the answer rules (cancelled quotients
    collect) and after them (factoring brings entrywise terms under one
    matrix: what SymPy left a sum of products, W^T S - W^T Y)."""
    env = context.env
    start, lines = answer, []
    answer = _simplified(answer, names, context, lambda *line: lines.append(line), with_algebra)
    kept = without_undone_lines(start, lines, env)
    for line in kept:
        record(*line)
    return kept[-1][1] if kept else start


def _simplified(answer, names, context, record, with_algebra):
    env = context.env

    def algebra(expr):
        simplified = simplify_elementwise(simplify_coefficients(expr, env, names), env, names)
        if simplified != expr:
            record("scalar-algebra", simplified, ("scalar-algebra",))
        return simplified

    def rules(expr):
        simplified, used = rewrite_everywhere(SIMPLIFY_ANSWER, expr, context)
        if simplified != expr:
            record(used[0] if used else "canonical", simplified, used or ("canonical",))
        for rules_used, after in answer_form_steps(simplified, env):
            record(rules_used[0], after, rules_used)
            simplified = after
        return simplified

    if A.holds(answer, A.Unvec):
        # unvec(g) read off g^T vec(dX): (A ⊗ B) vec(Y) = vec(B Y A^T) in g,
        # so that unvec(vec(B Y A^T)) reads B Y A^T
        folded, used = rewrite_everywhere(("kron-vec",), answer, context)
        if used:
            record(used[0], folded, used)
            answer = folded
    if not with_algebra:
        return rules(answer)
    answer = rules(algebra(answer))
    entrywise = simplify_elementwise(answer, env, names)
    if entrywise != answer:
        record("scalar-algebra", entrywise, ("scalar-algebra",))
        answer = rules(entrywise)
    return answer


def derive_jacobian(expr: A.Expr, wrt: str, env: TypeEnv, function: str = "F",
                    method: str = "trace", catalog: Catalog | None = None, names=()) -> Outcome:
    """∂vec(F)/∂vec(X)^T: dF brought to vec(dF) = J vec(dX) (numerator layout)."""
    chosen = method_named(method)
    take = chosen.differential_stage(differential)
    taken = take(expr, {wrt}, env, function, names=depending(names, {wrt}), catalog=catalog)
    label = answer_label(JACOBIAN, function, wrt, env, expr, "numerator")
    return _jacobian_from(taken, expr, wrt, chosen, label)


def derive_hessian(expr: A.Expr, wrt: str, env: TypeEnv, function: str = "l",
                   method: str = "trace", catalog: Catalog | None = None, names=()) -> Outcome:
    """The Jacobian of the gradient g = ∂l/∂x (n×n; mn×mn in vec order for a matrix)."""
    gradient = derive_gradient(expr, wrt, env, function, method, catalog, names)
    g = "g" if "g" not in env.symbols else "g_" + wrt
    answer, note = gradient.answer, f"{g} = ∂{function}/∂{wrt}"
    if A.holds(answer, A.Unvec):
        # The Hessian is ∂vec(G)/∂vec(X)^T, and vec(unvec(v)) = v: differentiate vec(G).
        context = Context(env, catalog=catalog or default_catalog())
        answer, used = rewrite_everywhere(("vec-add", "vec-scalar"), canon(A.Vec(answer), env), context)
        note = f"{g} = vec(∂{function}/∂{wrt})"
    else:
        used = []
    chosen = method_named(method)
    taken = chosen.differential_stage(differential)(answer, {wrt}, env, g, gradient.steps, list(gradient.names),
                                                    first=("gradient", note, ("gradient", *used)), catalog=catalog)
    label = answer_label(HESSIAN, function, wrt, env, layout="numerator")
    return _jacobian_from(taken, answer, wrt, chosen, label)


def _jacobian_from(taken: Differential, expr, wrt, method: Method, label: Label) -> Outcome:
    X, env, context, log = A.Symbol(wrt), taken.context.env, taken.context, StepLog(taken.steps)
    dF = taken.dl
    if not A.contains(dF, A.Differential(X)):
        rows, cols = env.shape(expr)
        x_rows, x_cols = env.shape(X)
        jacobian = canon(A.Zero(rows * cols, x_rows * x_cols), env)
        log.add("identify-jacobian", label, jacobian, note=f"{taken.function} does not depend on {wrt}")
        return _finish(jacobian, log, taken.names, context, label)
    vec_label = Label(DIFFERENTIAL, taken.function, function_is_matrix=not env.shape(expr)[1].is_one)
    recorded = len(log)
    jacobian, used = method.jacobian(dF, X, context, Recorder(log, vec_label, taken.function))
    if used and len(log) == recorded:                        # the method wrote no lines of its own
        vectorized = canon(A.Product((jacobian, A.Vec(A.Differential(X)))), env)
        if vectorized != dF:
            log.add(used[0], vec_label, vectorized, used)
    log.add("identify-jacobian", label, jacobian)
    jacobian = simplified_answer(jacobian, taken.names, context,
                                 lambda rule, after, rules: log.add(rule, label, after, rules),
                                 with_algebra=label.kind == HESSIAN)
    return _finish(jacobian, log, taken.names, context, label)


# ---------------------------------------------------------------- the differential
def differential(expr, variables, env, function, steps=(), names=(), first=("definition", ""),
                 catalog: Catalog | None = None, name_layers: bool = True) -> Differential:
    """definitions → names → dl → d(name) for each name → chain, over a set of
    variables.  ``names`` are values named before (a Hessian's gradient keeps
    its a1, s); ``first`` is the rule and note of the first line; without
    ``name_layers`` no layer gets names of matcalc's own (a statement of a
    program, whose layers the user named)."""
    log = StepLog(steps)
    rules = catalog or default_catalog()
    value, d = value_label(function), differential_label(function)

    # 1. definitions that make the derivative shorter: exp(z) / (1^T exp(z)) is
    #    softmax(z), log(softmax(z)) is logsoftmax(z).
    expr = canon(expr, env)
    log.start(first[0], value, expr, note=first[1], rules=first[2] if len(first) > 2 else None)
    defined, used = rewrite_everywhere(DEFINITIONS, expr, Context(env, catalog=rules))
    if used:
        log.add(used[0], value, defined, used)

    # 2. names for intermediate values.
    namer = Namer(env, variables, names, name_layers)
    named = namer.visit(defined, top=True)
    names = namer.names
    varying = set(variables) | {name for name, _ in names}
    # (a tree keeps the names it holds: asked of it, not copied into a new set)
    context = Context(env, lambda e: varying.isdisjoint(names_of(e, A.Symbol)), rules, derivative)
    if named != defined:
        log.add("names", value, named)

    # 3. the differential of l, then of each named value.
    pending = _differentiate(A.Differential(named), varying, context, _folding(names))
    tidying, settled = _tidied(pending[-1][1] if pending else A.Differential(named), context)
    pending += tidying
    dl = pending[-1][1] if pending else A.Differential(named)
    tidy = dl if settled else None       # tidying it again would change nothing
    dl, note = _fold_softmax(dl, names, env)
    for index, (rule, after, rules) in enumerate(pending):
        last = index == len(pending) - 1
        log.add(rule, d, dl if last else after, rules, note if last else "")
    if not pending:                  # l = z2: dl = dz2, a line of its own before anything is read off it
        log.add("differential", d, dl)
    dl = collect(dl, context, d, log)
    differentials = {}
    needed = _differentiated_names(dl) if names else set()      # (no names: no walk)
    folded = _folding(names)                       # the softmax names included
    for name, definition in reversed(names):
        if name in needed:
            steps = _differentiate(A.Differential(definition), varying, context, folded)
            for rule, after, rules in steps:
                log.add(rule, differential_label(name), after, rules)
            differentials[name] = steps[-1][1] if steps else A.Differential(definition)
            needed |= _differentiated_names(differentials[name])

    # 4. chain: substitute the named differentials back, outermost first.
    if differentials:
        # each d(name) written out in the inner ones first, then all put in at once
        # (one pass over dl, not one per name)
        written: dict = {}
        for name in reversed(differentials):
            written[A.Differential(A.Symbol(name))] = A.substitute(differentials[name], written)
        dl = canon(A.substitute(dl, written), env)
        log.add("chain", d, dl)
    for rule, after, rules in (_tidied(dl, context)[0] if dl != tidy else ()):
        log.add(rule, d, after, rules)
        dl = after
    return Differential(dl, context, log.steps, names, function, frozenset(variables))


def _only(taken: Differential, wrt: str):
    """dl with the differentials of the other variables set to zero: the part
    of a differential taken over several variables that belongs to ``wrt``."""
    if len(taken.variables) == 1:
        return taken.dl
    env = taken.context.env
    parts = env.memoized("parts by variable", (taken.dl, taken.variables), _parts_by_variable)
    return parts[wrt] if wrt in parts else canon(zero_like(taken.dl, env), env)


def _parts_by_variable(key, env) -> dict:
    """Each variable → the terms of dl in its differential, the others' set to
    zero: the terms are sorted out once, not dl rewritten once per variable
    (a loss over hundreds of parameters)."""
    dl, variables = key
    terms = dl.args if isinstance(dl, A.Add) else (dl,)
    parts: dict[str, list] = {}
    for term in terms:
        present = _differentiated_names(term) & variables
        for variable in present:
            others = {A.Differential(A.Symbol(v)): A.Zero(*env.shape(A.Symbol(v)))
                      for v in present if v != variable}
            parts.setdefault(variable, []).append(A.substitute(term, others) if others else term)
    return {variable: canon(A.joined(A.Add, part), env) for variable, part in parts.items()}


def _differentiated_names(expr) -> set:
    return {node.arg.name for node in A.walk(expr)
            if isinstance(node, A.Differential) and isinstance(node.arg, A.Symbol)}


def _folding(names) -> dict:
    """Each named value → its name."""
    return {definition: A.Symbol(name) for name, definition in names}


def _differentiate(start, variables, context, folded: dict) -> list:
    """One (rule, expression, rules) per sweep of the d-rules, the named values
    folded back into their names."""
    def named(expr):                  # a sweep's result is canonical already
        return fold_names(expr, folded, context.env) if folded else expr
    return [(sweep.rules[0], named(sweep.result), sweep.rules) for sweep in sweeps(start, variables, context)]


def _tidied(dl, context) -> tuple[list, bool]:
    """Products distributed over the sums that carry d, then the dl rules:
    the (rule, expression, rules) of each change, and whether the result is
    a fixed point (distributing stopped by itself and no dl rule applied), so
    that tidying it again, when nothing changed it since, can be skipped."""
    changes = [(used[0], expanded, used) for used, expanded in expand_steps(dl, context)]
    settled = len(changes) < EXPAND_ROUNDS
    expanded = changes[-1][1] if changes else dl
    simplified, used = rewrite_everywhere(SIMPLIFY_DL, expanded, context)
    if used:
        changes.append((used[0], simplified, used))
    return changes, settled and not used


def _fold_softmax(dl, names, env):
    """softmax(a2) that a rule brought in gets the name s, as in the books.
    Returns (dl, the note for its line)."""
    if not A.holds(dl, A.Softmax):
        return dl, ""
    softmaxes = [n for n in A.walk(dl) if isinstance(n, A.Softmax) and isinstance(n.arg, A.Symbol)]
    if not softmaxes:
        return dl, ""
    named = softmax_names(softmaxes, names, env)
    last, name = list(named.items())[-1]
    # one substitution for all of them: a sum of 100 cross-entropies is not 100 passes
    return canon(A.substitute(dl, named), env), f"with {name.name} = softmax({last.arg.name})"


def simplify_answer(expr, context) -> tuple:
    """The answer rules, then the book form: (expression, the rules used)."""
    simplified, used = rewrite_everywhere(SIMPLIFY_ANSWER, expr, context)
    for rules, after in answer_form_steps(simplified, context.env):
        used += rules
        simplified = after
    return simplified, used


def _finish(answer, log: StepLog, names, context, label: Label) -> Outcome:
    expanded = record_written_out(log, label, answer, names, context)
    return Outcome(answer, expanded, log.steps, tuple(names), context.env, label)
