"""Rule sides with bindings put in by builders made once per side
(rewriting/instances.py, issue 24): for every side of every rule, the same
tree as the definition, node by node: a variable is its binding, ?f(..) the
bound function, ?f'(..) the context's derivative, numel/identity/commutation
and 1, 0, I sized from the bindings, anything else rebuilt around its built
children."""

from __future__ import annotations

import pytest

from matcalc.language import ast as A
from matcalc.rewriting import engine
from matcalc.rewriting.catalog import default_catalog
from matcalc.rewriting.instances import dimension_map
from matcalc.shapes.env import TypeEnv

CATALOG = default_catalog()


def problem_of(rule):
    """An environment holding a symbol for each variable of ``rule``, with
    the variable's shape, and the bindings of the variables to those symbols."""
    env = TypeEnv()
    bindings = {}
    for name, info in rule.env.symbols.items():
        symbol = "V" + name.lstrip("?")
        env.add_symbol(symbol, (info.rows, info.cols), info.kind)
        bindings[name] = A.Symbol(symbol)
    for node in A.walk(rule.lhs):
        if isinstance(node, A.Func) and node.name.startswith("?"):
            bindings[node.name.rstrip("'")] = "exp"
    return env, bindings


def marked_derivative(function, arg, shape):
    return A.Func(function + "_prime", arg)


def defined(node, rule, bindings, env):
    """The side with the bindings put in, as the engine defines it."""
    again = lambda kid: defined(kid, rule, bindings, env)
    kind = type(node)
    resized = lambda dim: _resized(dim, dimension_map(rule, bindings, env))
    if kind is A.PatternVar:
        return bindings[node.name]
    if kind is A.Func and node.name.startswith("?"):
        function = bindings[node.name.rstrip("'")]
        if node.name.endswith("'"):
            return marked_derivative(function, again(node.arg), None)
        return A.Func(function, again(node.arg))
    if kind is A.Func and node.name == "numel":
        rows, cols = env.shape(again(node.arg))
        return A.DimValue(rows * cols)
    if kind is A.Func and node.name == "identity":
        return A.Identity(env.shape(again(node.arg))[0])
    if kind is A.Func and node.name == "commutation":
        left, right = (env.shape(again(part))[0] for part in node.arg.args)
        return A.Commutation(left, right)
    if kind in (A.Ones, A.Zero):
        return kind(resized(node.rows), resized(node.cols))
    if kind is A.Identity:
        return A.Identity(resized(node.size))
    return A.with_children(node, [again(kid) for kid in A.children(node)])


def _resized(dim, sizes):
    result = type(dim)(dim.coef)
    for name in dim.names:
        result = result * sizes[name]
    return result


@pytest.mark.parametrize("name", list(CATALOG))
def test_every_side_is_built_as_defined(name):
    rule = CATALOG[name]
    env, bindings = problem_of(rule)
    context = engine.Context(env, catalog=CATALOG, derivative=marked_derivative)
    for side in (rule.lhs, rule.rhs, rule.pattern):
        built = engine.instantiate(rule, side, bindings, context)
        assert built == defined(side, rule, bindings, env)
        assert engine.instantiate(rule, side, bindings, context) == built      # the builder, made once, again

