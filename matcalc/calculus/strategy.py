"""The strategy of a gradient derivation, phase by phase (SPEC §3):

definitions → names for intermediate values → dl → d(name) for each name →
chain → scalar-trace → trace rules until tr(C^T dX) → identify → simplify.

Each phase is a few lines that pick rules from the catalog; the rewriting
itself is done by ``rules``/``differential``/``identify``.  Steps are values;
nothing here prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..language import ast as A
from ..rewriting.canon import canon
from ..language.ast import scaled, split_coefficient
from .differential import sweeps
from ..errors import DerivationError
from .trace_method import Identifier, expand
from .elementwise import derivative
from .scalars import simplify_coefficients
from .vec_method import Vectorizer
from ..rewriting.engine import Context, rewrite_everywhere
from ..shapes.env import TypeEnv

# Steps that are bookkeeping of the method rather than identities.
ENGINE_STEPS = {
    "definition": "the function as given",
    "names": "name the intermediate values",
    "chain": "substitute the differentials of the named values (chain rule)",
    "identify": "dl = tr(C^T dX) means ∂l/∂X = C",
    "identify-jacobian": "vec(dF) = J vec(dX) means ∂vec(F)/∂vec(X)^T = J",
    "gradient": "the gradient, derived above",
    "symmetric-gradient": "for symmetric X only (G + G^T)/2 is a gradient in the space of symmetric matrices",
    "numerator-layout": "numerator layout: the transpose of the gradient",
    "linearity": "sum, mean, vec and diag are linear",
    "collect": "collect like terms",
}
SIMPLIFY_DL = ("probability-sum", "probability-sum-transposed", "ones-hadamard")
SIMPLIFY_ANSWER = ("trace-of-scalar", "transpose-product", "transpose-sum", "transpose-hadamard",
                   "kron-mixed-product", "probability-sum", "probability-sum-transposed",
                   "factor-left", "factor-right")
MAX_ROUNDS = 60
SOFTMAX_DEFINITIONS = ("softmax-definition", "softmax-definition-sum")


@dataclass
class Step:
    rule: str                  # the main rule (a catalog name or an ENGINE_STEPS name)
    lhs: str                   # what the line is about: "l", "dl", "da2", "∂l/∂W1"
    after: A.Expr
    before: A.Expr | None = None
    rules: list = field(default_factory=list)
    note: str = ""


@dataclass
class Outcome:
    gradient: A.Expr               # in terms of the named values
    expanded: A.Expr               # names substituted back
    steps: list
    names: list                    # [(name, definition)]
    env: TypeEnv


class _Namer:
    """Names the compound arguments of nonlinear functions (a1 = W1 x) and
    nested function values (h1 = σ(a1)), innermost first."""

    def __init__(self, env: TypeEnv, depends):
        self.env = env
        self.depends = depends
        self.names: list = []
        self.layer = 0

    def fresh(self, stem: str, index: int | None) -> str:
        candidate = f"{stem}{index if index is not None else ''}"
        taken = set(self.env.symbols) | {n for n, _ in self.names}
        while candidate in taken:
            index = (index or 1) + 1
            candidate = f"{stem}{index}"
        return candidate

    def bind(self, stem, index, definition) -> A.Symbol:
        for name, existing in self.names:
            if existing == definition:
                return A.Symbol(name)
        name = self.fresh(stem, index)
        self.env.add_symbol(name, self.env.shape(definition))
        self.names.append((name, definition))
        return A.Symbol(name)

    def visit(self, node, top=False):
        kids = A.children(node)
        if not kids:
            return node
        node = A.with_children(node, [self.visit(k) for k in kids])
        if not self.depends(node):
            return node
        if isinstance(node, (A.Func, A.Softmax, A.LogSoftmax)) and not isinstance(node.arg, A.Symbol) \
                and self.depends(node.arg):
            self.layer += 1
            node = A.with_children(node, [self.bind("a", self.layer, node.arg)])
        if isinstance(node, A.Norm) and not isinstance(node.arg, A.Symbol):
            node = A.with_children(node, [self.bind("r", None, node.arg)])
        # The value of a layer (h1 = σ(a1)) is named when its argument was.
        layer_output = isinstance(node, (A.Func, A.Softmax)) and any(
            node.arg == A.Symbol(name) for name, _ in self.names)
        if not top and layer_output:
            return self.bind("h" if isinstance(node, A.Func) else "s",
                             self.layer if isinstance(node, A.Func) else None, node)
        return node


def derive_gradient(expr: A.Expr, wrt: str, env: TypeEnv, function_name: str = "l") -> Outcome:
    """∂l/∂X for a scalar l: dl brought to tr(C^T dX)."""
    X = A.Symbol(wrt)
    work = _differential_phase(expr, wrt, env, function_name)
    dl, context, add = work.dl, work.context, work.add
    if not A.contains(dl, A.Differential(X)):
        gradient = canon(A.Zero(*env.shape(X)), env) if not env.is_scalar(X) else A.ZERO
        add("identify", f"∂{function_name}/∂{wrt}", gradient, ["identify"],
            note=f"{function_name} does not depend on {wrt}")
        return _finish(gradient, work.steps, work.names, env)
    if env.is_scalar(X):
        gradient = canon(A.substitute(dl, {A.Differential(X): A.ONE}), env)
    else:
        gradient = _identify_matrix(dl, X, context, work.d_name, add)
    gradient = simplify_coefficients(gradient, env, work.names)
    gradient = _simplify(gradient, context)
    add("identify", f"∂{function_name}/∂{wrt}", gradient, ["identify"])
    return _finish(gradient, work.steps, work.names, env)


def derive_jacobian(expr: A.Expr, wrt: str, env: TypeEnv, function_name: str = "F",
                    steps: list | None = None, names=()) -> Outcome:
    """∂vec(F)/∂vec(X)^T: dF brought to vec(dF) = J vec(dX) (numerator layout)."""
    X = A.Symbol(wrt)
    work = _differential_phase(expr, wrt, env, function_name, steps, names)
    dF, context, add = work.dl, work.context, work.add
    rows, cols = env.shape(expr)
    x_rows, x_cols = env.shape(X)
    vec_of = lambda name, columns: name if columns.is_one else f"vec({name})"
    lhs = f"∂{vec_of(function_name, cols)}/∂{vec_of(wrt, x_cols)}" + ("" if x_rows.is_one else "^T")
    if not A.contains(dF, A.Differential(X)):
        jacobian = canon(A.Zero(rows * cols, x_rows * x_cols), env)
        add("identify-jacobian", lhs, jacobian, ["identify-jacobian"],
            note=f"{function_name} does not depend on {wrt}")
        return _finish(jacobian, work.steps, work.names, env)
    used: list[str] = []
    jacobian = Vectorizer(X, context).jacobian(dF, used)
    jacobian = _simplify(jacobian, context)
    vectorized = canon(A.Product((jacobian, A.Vec(A.Differential(X)))), env)
    if used and vectorized != dF:      # a vector differential is already its vec
        add(used[0], vec_of(work.d_name, cols), vectorized, used)
    add("identify-jacobian", lhs, jacobian, ["identify-jacobian"])
    return _finish(jacobian, work.steps, work.names, env)


@dataclass
class _Work:
    dl: A.Expr
    context: Context
    steps: list
    names: list
    d_name: str
    add: object


def _differential_phase(expr, wrt, env, function_name, steps=None, names=()) -> _Work:
    """definitions → names → dl → d(name) for each name → chain.  ``names``
    are values named before (a Hessian's gradient keeps its a1, s)."""
    steps = [] if steps is None else steps
    d_name = "d" + function_name

    def add(rule, lhs, after, rules=None, note=""):
        steps.append(Step(rule, lhs, after, steps[-1].after if steps else None,
                          list(dict.fromkeys(rules or [rule])), note))     # each rule cited once

    # 1. definitions that make the derivative shorter: exp(z) / (1^T exp(z)) is
    #    softmax(z), log(softmax(z)) is logsoftmax(z).
    expr = canon(expr, env)
    steps.append(Step("definition", function_name, expr, rules=["definition"]))
    defined, used = rewrite_everywhere(SOFTMAX_DEFINITIONS + ("log-softmax",), expr, Context(env))
    if used:
        add(used[0], function_name, defined, used)
    expr = defined

    # 2. names for intermediate values.
    depends_on_x = lambda e: wrt in A.symbol_names(e) or any(
        n in A.symbol_names(e) for n, _ in namer.names)
    namer = _Namer(env, depends_on_x)
    namer.names = list(names)
    named = namer.visit(expr, top=True)
    names = namer.names
    variables = {wrt} | {n for n, _ in names}
    context = Context(env, lambda e: not (A.symbol_names(e) & variables), derivative=derivative)
    if named != expr:
        add("names", function_name, named, ["names"],
            note="names: " + "   ".join(f"{n} = {{{i}}}" for i, (n, _) in enumerate(names)))

    # 3. the differential of l, then of each named value.
    dl = _differentiate(A.Differential(named), variables, context, d_name, add, names)
    dl = _tidy(dl, context, d_name, add)
    dl = _fold_softmax(dl, names, env, steps)
    dl = _collect(dl, context, d_name, add)
    differentials = {}
    needed = _differentiated_names(dl)
    for name, definition in reversed(names):
        if name in needed:
            differentials[name] = _differentiate(A.Differential(definition), variables, context,
                                                 "d" + name, add, names)
            needed |= _differentiated_names(differentials[name])

    # 4. chain: substitute the named differentials back, outermost first.
    if differentials:
        for name in differentials:
            dl = canon(A.substitute(dl, {A.Differential(A.Symbol(name)): differentials[name]}), env)
        add("chain", d_name, dl, ["chain"])
    dl = _tidy(dl, context, d_name, add)
    return _Work(dl, context, steps, names, d_name, add)


def _differentiated_names(expr) -> set:
    return {node.arg.name for node in A.walk(expr)
            if isinstance(node, A.Differential) and isinstance(node.arg, A.Symbol)}


def _differentiate(start, variables, context, lhs, add, names):
    current = start
    folded = {definition: A.Symbol(name) for name, definition in names}
    for sweep in sweeps(start, variables, context):
        current = canon(A.substitute(sweep.result, folded), context.env)
        add(sweep.rules[0], lhs, current, sweep.rules)
    return current


def _fold_softmax(dl, names, env, steps):
    """softmax(a2) that a rule brought in gets the name s, as in the books."""
    named = {definition: name for name, definition in names}
    softmaxes = [n for n in A.walk(dl) if isinstance(n, A.Softmax) and isinstance(n.arg, A.Symbol)]
    for node in dict.fromkeys(softmaxes):
        name = named.get(node)
        if name is None:
            name = next(candidate for candidate in ("s", *(f"s{k}" for k in range(2, len(names) + 3)))
                        if candidate not in env.symbols)
            env.add_symbol(name, env.shape(node))
            names.append((name, node))
            named[node] = name
        dl = canon(A.substitute(dl, {node: A.Symbol(name)}), env)
        if steps:
            steps[-1].after = dl
            steps[-1].note = f"with {name} = softmax({node.arg.name})"
    return dl


def _transpose_out(expr, env):
    """s^T - y^T = (s - y)^T and (1^T y) s^T - y^T = ((1^T y) s - y)^T, inside
    products; returns (expr, changed)."""
    changed = False

    def visit(node):
        nonlocal changed
        kids = A.children(node)
        if kids:
            node = A.with_children(node, [visit(k) for k in kids])
        if isinstance(node, A.Add):
            inner = []
            for term in node.args:
                coefficient, rest = split_coefficient(term)
                if rest is None:
                    return node
                factors = list(rest.args) if isinstance(rest, A.Product) else [rest]
                matrices = [f for f in factors if not env.is_scalar(f)]
                if len(matrices) != 1 or not isinstance(matrices[0], A.Transpose):
                    return node
                # c s^T = (c s)^T with the scalars c where they stand
                untransposed = [f.arg if f is matrices[0] else f for f in factors]
                inner.append(scaled(coefficient, A.product_of(untransposed)))
            changed = True
            return canon(A.Transpose(A.Add(tuple(inner))), env)
        return node

    result = visit(expr)
    return canon(result, env), changed


def _collect(dl, context, lhs, add):
    """Σ c_i^T dv = (Σ c_i)^T dv: one coefficient per differential."""
    collected, used = rewrite_everywhere(("factor-right", "factor-left"), dl, context)
    collected, transposed = _transpose_out(collected, context.env)
    if transposed:
        used.append("transpose-sum")
    if used:
        add(used[0], lhs, collected, used)
    return collected


def _tidy(dl, context, lhs, add):
    expanded, used = expand(dl, context)
    if expanded != dl:
        add(used[0] if used else "distribute-left", lhs, expanded, used)
    simplified, used = rewrite_everywhere(SIMPLIFY_DL, expanded, context)
    if used:
        add(used[0], lhs, simplified, used)
    return simplified


def _identify_matrix(dl, X, context, lhs, add):
    identifier = Identifier(X, context)
    env = context.env
    pairs = identifier.as_traces(dl)
    as_traces = _render_traces(pairs, env)
    if as_traces != dl:
        add("scalar-trace", lhs, as_traces, ["scalar-trace"])
    # Each round peels at least one layer around dX: deep networks need more.
    for _ in range(max(MAX_ROUNDS, 3 * A.depth(dl))):
        if all(identifier.done(trace) for _, trace in pairs):
            break
        used: list[str] = []
        pairs = [(c, t) if identifier.done(t) else identifier.step(c, t, used) for c, t in pairs]
        pairs = [(c, canon(t, env)) for c, t in pairs]
        if used:        # regrouping a product or unwrapping tr(tr(..)) is no rule
            add(used[0], lhs, _render_traces(pairs, env), used)
    else:
        raise DerivationError("could not bring dl into the form tr(C^T dX)")
    parts = [identifier.gradient_part(c, t) for c, t in pairs]
    return canon(A.Add(tuple(parts)) if len(parts) > 1 else parts[0], env)


def _render_traces(pairs, env):
    terms = [canon(A.Product((c, t)), env) for c, t in pairs]
    return terms[0] if len(terms) == 1 else A.Add(tuple(terms))


def _simplify(expr, context):
    simplified, _ = rewrite_everywhere(SIMPLIFY_ANSWER, expr, context)
    return answer_form(simplified, context.env)


def answer_form(expr, env):
    """An answer as the books write it: 1/2 (A + A^T), (x - μ)^T rather than
    x^T - μ^T, s 1^T y."""
    expr, _ = _transpose_out(_common_number(expr), env)
    return canon(_sum_of_entries_last(expr, env), env)


def _sum_of_entries_last(expr, env):
    """(1^T y) s is written s 1^T y, as the books write softmax(a) 1^T y - y
    (canon keeps a valid chain as it stands; only answers are written so)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_sum_of_entries_last(k, env) for k in kids])
    number, rest = split_coefficient(expr)
    if isinstance(rest, A.Product) and len(rest.args) == 2:
        scalar, vector = rest.args
        if isinstance(scalar, A.Product) and len(scalar.args) == 2 and isinstance(scalar.args[0], A.Ones) \
                and scalar.args[0].rows.is_one and env.is_vector(vector):
            return scaled(number, A.Product((vector,) + scalar.args))
    return expr


def _common_number(expr):
    """1/2 A + 1/2 A^T = 1/2 (A + A^T): a number every term of a sum shares
    stands in front of it (not a sign alone: s - y stays as it is)."""
    kids = A.children(expr)
    if kids:
        expr = A.with_children(expr, [_common_number(k) for k in kids])
    if not isinstance(expr, A.Add):
        return expr
    split = [split_coefficient(term) for term in expr.args]
    coefficients = {coefficient for coefficient, _ in split}
    if len(coefficients) != 1 or abs(split[0][0]) == 1 or any(rest is None for _, rest in split):
        return expr
    return A.Product((A.Number(split[0][0]), A.Add(tuple(rest for _, rest in split))))


def _finish(gradient, steps, names, env) -> Outcome:
    # Definitions refer to earlier names only: write them out in order, then
    # substitute all at once (one pass, however deep the network).
    written_out: dict = {}
    for name, definition in names:
        written_out[A.Symbol(name)] = A.substitute(definition, written_out)
    expanded = canon(A.substitute(gradient, written_out), env)
    # exp(x) / a1 with a1 = 1^T exp(x), written out, is softmax(x)
    expanded, _ = rewrite_everywhere(SOFTMAX_DEFINITIONS, expanded, Context(env))
    return Outcome(gradient, expanded, steps, names, env)
