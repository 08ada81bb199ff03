"""A derivation (one gradient, a backward pass, a Jacobian, a Hessian) → a Module.

The forward values come first, under the program's names (or the names the
derivation gave its layers), then the function's value, then the δ's of the
backward sweep in the order they were derived, then the answers: the
statements a person would write, each computed once (``builder``).
"""

from __future__ import annotations

from dataclasses import replace

from ..calculus.steps import GRADIENT, JACOBIAN
from ..calculus.strategy import derive_gradient, differential
from ..language import ast as A
from ..shapes.dims import shape_text
from .builder import Builder
from .data import input_data, sizes_for
from .program import Function, Input, Module, python_name


def lower(derivation) -> Module:
    """A ``Derivation`` or ``Gradients`` of the api, read through its problem,
    its answers' named forms and its steps."""
    problem = derivation.problem
    env = problem.env
    many = hasattr(derivation, "sweep")
    kind = GRADIENT if many else derivation.kind
    answers = {name: d for name, d in derivation.items()} if many else {derivation.wrt: derivation}
    names = derivation.sweep.names if many else derivation.names
    steps = derivation.sweep.steps if many else derivation.steps
    inputs = tuple(Input(name, env.symbols[name].rows, env.symbols[name].cols, _kind(env, name),
                         input_data(problem, name)) for name in problem.symbols)
    params = tuple(i.code for i in inputs)
    function = problem.function_name
    if kind == GRADIENT:
        backward = frozenset(n for n, _ in derivation.sweep.deltas) if many else frozenset()
        functions = (_gradients(problem, names, answers, steps, params, backward),)
    elif kind == JACOBIAN:
        functions = (_jacobian(problem, derivation, params),)
    else:
        functions = _hessian(problem, derivation, params)
    shapes = tuple((i.name, shape_text((i.rows, i.cols))) for i in inputs)
    layout = next(iter(answers.values())).layout if kind == GRADIENT else "numerator"
    return Module(kind, problem.source, _where(problem.declarations), inputs, functions,
                  tuple(answers), shapes, sizes_for(env), _meetings(problem), layout, method_of(steps))


def method_of(steps) -> str:
    """The method (SPEC §3) the steps were derived by: the index and vec
    methods identify the answer by their own rule."""
    rules = {rule for step in steps for rule in (step.rules or (step.rule,))}
    return next((method for method in ("index", "vec") if f"identify-{method}" in rules), "trace")


def _meetings(problem) -> dict:
    """(a, b) → the smallest part of the function that uses both inputs: where
    their shapes must agree (W1 x), for the shape checks' messages."""
    statements = problem.statements or (("", problem.expr),)
    trees = [definition for _, definition in statements]
    found = {}
    for tree in trees:
        for node in A.walk(tree):
            used = [name for name in problem.symbols if name in A.symbol_names(node)]
            for i, a in enumerate(used):
                for b in used[i + 1:]:
                    if (a, b) not in found or A.size(node) < A.size(found[(a, b)]):
                        found[(a, b)] = node
    return found


def _kind(env, name) -> str:
    rows, cols = env.symbols[name].rows, env.symbols[name].cols
    return "scalar" if rows.is_one and cols.is_one else "vector" if cols.is_one else "matrix"


def _where(declarations) -> str:
    parts = []
    for name, declared in declarations.items():
        words = [word for word, flag in (("symmetric", declared.symmetric),
                                         ("positive definite", declared.positive_definite),
                                         ("probability vector", declared.probability),
                                         ("data", declared.data)) if flag] or [declared.kind]
        parts.append(f"{name}: {', '.join(words)}")
    return "; ".join(parts)


def _builder(problem, params) -> Builder:
    taken = set(params) | set(problem.env.symbols)
    builder = Builder(problem.env, taken)
    for name in problem.symbols:
        builder.scope[name] = python_name(name)
    return builder


def _forward(builder, problem, names, backward=frozenset(), name=None) -> str:
    """The program's statements (or the derivation's layer names) and the
    function's value; returns the value's name."""
    statements = problem.statements[:-1] if problem.statements else ()
    for named, definition in statements + tuple(n for n in names if n[0] not in backward and not _is_delta(n[0])):
        if named not in builder.scope:
            builder.bind(named, definition)
    last = problem.statements[-1][1] if problem.statements else problem.expr
    return builder.bind(name or problem.function_name, last)


def _is_delta(name: str) -> bool:
    """An error value's name (δa2, or another letter's when the user took δ)."""
    return not name[:1].isascii() and len(name) > 1


# Rules every δ cites; a comment names the ones that say what is special about it.
BOOKKEEPING = {"definition", "identify", "backprop", "names", "chain", "scalar-trace", "trace-scalar", "cyclic",
               "d-product", "d-const", "d-sum", "d-trace", "d-sum-entries", "distribute-left",
               "distribute-right", "sum-linear", "sum-entries", "factor-right", "factor-left", "factor-transpose",
               "d-scalar-product", "hadamard-distribute-left", "hadamard-distribute-right", "factor-scalar"}


def _notes(steps) -> dict:
    """δ name → the rules of the steps that derived it, for a comment."""
    notes, since = {}, []
    for step in steps:
        if step.rule == "identify" and step.label.kind == "value":
            rules = [r for r in dict.fromkeys(since) if r not in BOOKKEEPING]
            notes[step.label.function] = ", ".join(rules[:3])
            since = []
        elif step.rule in ("identify", "backprop"):
            since = []
        else:
            since.extend(step.rules or (step.rule,))
    return notes


def _gradients(problem, names, answers, steps, params, backward) -> Function:
    builder = _builder(problem, params)
    loss = _forward(builder, problem, names, backward)
    first_delta = len(builder.ops)
    notes = _notes(steps)
    for name, definition in names:
        if name not in builder.scope:
            builder.bind(name, definition, (f"{name} = ", definition,
                                            f"   ({notes[name]})" if notes.get(name) else ""))
    results = {}
    for wrt, derivation in answers.items():
        transposed = "^T" if derivation.layout == "numerator" and not _kind(problem.env, wrt) == "scalar" else ""
        results[wrt] = builder.bind(f"grad_{wrt}", derivation.named_result,
                                    (f"∂{problem.function_name}/∂{wrt}{transposed} = ", derivation.printed_result))
    sections = {builder.ops[first_delta].name: "backward pass"} if len(builder.ops) > first_delta else {}
    return _pruned(Function("loss_and_gradients", params, tuple(builder.ops), (loss, results),
                            f"The value of {problem.function_name} and its gradients.", sections))


def _as_matrix(builder, expr, rows, cols) -> str:
    """A Jacobian or Hessian as a 2-D array, whatever shape its formula has (a row for a scalar)."""
    value = builder.lower(expr)
    if builder.kind(expr) == "matrix":
        return value
    op = builder.op_of.get(value)
    if op is not None and op.kind == "const":
        value = builder.emit("mul", (value, builder.emit("ones", (), (rows, cols))))
    return builder.emit("reshape", (value,), (rows, cols))


def _pruned(function: Function) -> Function:
    """Without the statements nothing returned depends on."""
    needed = set()
    for item in function.returns:
        needed |= set(item.values()) if isinstance(item, dict) else {item}
    kept = []
    for op in reversed(function.ops):
        if op.name in needed:
            kept.append(op)
            needed |= {arg for arg in op.args if arg is not None}
    return replace(function, ops=tuple(reversed(kept)))


def _jacobian(problem, derivation, params) -> Function:
    builder = _builder(problem, params)
    function = derivation.label.function
    value = _forward(builder, problem, derivation.names, name=function)
    rows, cols = problem.env.shape(problem.expr)
    x_rows, x_cols = problem.env.shape(A.Symbol(derivation.wrt))
    jacobian = _as_matrix(builder, derivation.named_result, rows * cols, x_rows * x_cols)
    return _pruned(Function("value_and_jacobian", params, tuple(builder.ops), (value, jacobian),
                            f"{function} and its Jacobian ∂vec({function})/∂vec({derivation.wrt})^T."))


def _hessian(problem, derivation, params) -> tuple:
    env, wrt = problem.env, derivation.wrt
    x_rows, x_cols = env.shape(A.Symbol(wrt))
    unknowns = x_rows * x_cols
    gradient = derive_gradient(problem.expr, wrt, env, problem.function_name,
                               names=problem.statements[:-1])
    builder = _builder(problem, params)
    loss = _forward(builder, problem, gradient.names)
    g = builder.bind(f"grad_{wrt}", gradient.answer, (f"∂{problem.function_name}/∂{wrt} = ", gradient.answer))
    first = Function("loss_and_gradient", params, tuple(builder.ops), (loss, {wrt: g}),
                     f"The value of {problem.function_name} and its gradient.")

    builder = _builder(problem, params)
    _forward(builder, problem, derivation.names)
    hessian = _as_matrix(builder, derivation.named_result, unknowns, unknowns)
    second = Function("hessian", params, tuple(builder.ops), (hessian,),
                      f"The Hessian of {problem.function_name} wrt vec({wrt}), {unknowns}×{unknowns}.")

    # H v = vec(dG) with vec(dX) = v: the differential of the gradient in the
    # direction v, which never forms H.
    # A gradient written unvec(g) (the vec method's answer) is differentiated as g: H v = dg.
    flat = _vec_form(gradient.answer) if any(isinstance(n, A.Unvec) for n in A.walk(gradient.answer)) else None
    taken = differential(flat or gradient.answer, {wrt}, env, "g", names=list(gradient.names))
    v = "v" if "v" not in env.symbols else "direction"
    builder = _builder(problem, params + (v,))
    direction = v if x_cols.is_one else builder.emit("unvec", (v,), (x_rows, x_cols))
    builder.scope[A.Differential(A.Symbol(wrt))] = direction
    _forward(builder, problem, taken.names)
    product = builder.lower(taken.dl)
    if builder.kind(A.Symbol(wrt)) != "vector" and flat is None:
        product = builder.emit("vec", (product,))
    third = Function("hessian_vector_product", params + (v,), tuple(builder.ops), (product,),
                     f"H {v} for a direction {v} of length {unknowns} (vec order), from the differential "
                     f"of the gradient: H itself is never formed.", direction=v)
    return _pruned(first), _pruned(second), _pruned(third)



def _vec_form(expr: A.Expr) -> A.Expr:
    """vec(expr) with vec(unvec(g)) = g taken where it stands: at the top, in
    a sum, under a number (vec is linear); elsewhere vec(expr) as written."""
    if isinstance(expr, A.Unvec):
        return expr.arg
    if isinstance(expr, A.Add):
        return A.Add(tuple(_vec_form(term) for term in expr.args))
    coefficient, rest = A.split_coefficient(expr)
    if coefficient != 1 and rest is not None:
        return A.scaled(coefficient, _vec_form(rest))
    return A.Vec(expr)
