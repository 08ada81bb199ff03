"""An activation written out into its only use (issue 23; SPEC §7, seed 000).

A program's statement is differentiated together with the activation v = f(u)
it alone uses where that makes δu shorter as printed: ``yh = softmax(a2);
l = -y^T log(yh)`` is read as ``l = -y^T log(softmax(a2))`` and gives the
seed's δa2 = yh - y, where two steps give (diag(yh) - yh yh^T) δyh with
δyh = -y ./ yh.  v keeps its name wherever it appears.
"""

from __future__ import annotations

from ..errors import MatcalcError
from ..language import ast as A
from ..language.names import display_name, error_name
from ..rewriting.canon import canon
from ..shapes.env import TypeEnv
from .strategy import differential, gradient_from


def inner(delta: A.Expr, value: A.Expr, env: TypeEnv) -> A.Expr:
    """⟨δ, v⟩: δ v for a scalar, δ^T v for a vector, tr(δ^T v) for a matrix."""
    if env.is_scalar(value):
        return A.Product((delta, value))
    product = A.Product((A.Transpose(delta), value))
    return product if env.shape(value)[1].is_one else A.Trace(product)


def fused_statement(name, definition, taken, inputs, earlier, uses, varying, parameters, letter, env,
                    function, catalog, chosen, delta):
    """The statement differentiated together with the activations it alone
    uses (SPEC §7, seed 000): ``yh = softmax(a2); l = -y^T log(yh)`` read as
    ``l = -y^T log(softmax(a2))`` gives δa2 = yh - y, where two steps give
    (diag(yh) - yh yh^T) δyh with δyh = -y ./ yh.  An activation v = f(u) is
    written out when it has no other use and δu, as printed, comes out
    shorter that way than through δv; v keeps its name wherever it appears.
    Returns (the differential, its inputs, ((v, u), ...), a note naming what
    was written out) or None."""
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
    fused_definition = canon(A.substitute(definition, {A.Symbol(v): d for v, d in candidates}), env)
    fused_seed = fused_definition if delta is None else inner(delta, fused_definition, env)
    fused_inputs = varying_inputs(fused_definition, varying)
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
    return together, fused_inputs, tuple(chosen_pairs), note


def varying_inputs(definition, varying) -> list:
    """The varying symbols of a definition, in the order they are first written."""
    found = []
    for node in A.walk(definition):
        if isinstance(node, A.Symbol) and node.name in varying and node.name not in found:
            found.append(node.name)
    return found


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


__all__ = ["fused_statement", "inner", "varying_inputs"]
