"""The canonicalizer: children first, then the one simplifier of the node's type.

Each module of this package registers the simplifiers of its node types;
``simplify`` applies the one registered for a node whose children are already
canonical, ``canon`` a whole tree (memoized per problem in ``env.memo``).
"""

from __future__ import annotations

from ...language import ast as A
from ...shapes.env import TypeEnv

SIMPLIFIERS: dict = {}


def register(*node_types):
    def add(simplifier):
        for node_type in node_types:
            SIMPLIFIERS[node_type] = simplifier
        return simplifier
    return add


def canon(expr: A.Expr, env: TypeEnv) -> A.Expr:
    cache = env.memo.get("canon")       # (memo_for's table, asked directly: canon is called most)
    if cache is None:
        cache = env.memo_for("canon")
    done = cache.get(expr)              # (most calls ask for a tree already seen)
    return done if done is not None else _canon(expr, env, cache)


def _canon(expr: A.Expr, env: TypeEnv, cache: dict) -> A.Expr:
    """The canonical form of ``expr``, which ``cache`` does not hold (each
    child is looked up here, before a call: one look-up per node)."""
    kids = expr._children()
    env.spend(1 + len(kids))
    rebuilt = expr
    if len(kids) == 1:                  # the usual node: one child
        kid = kids[0]
        new = cache.get(kid)
        if new is None:
            new = _canon(kid, env, cache)
        if new is not kid:
            rebuilt = A.rebuilt(expr, (new,))
    elif kids:
        canonical = []
        for kid in kids:
            new = cache.get(kid)
            canonical.append(new if new is not None else _canon(kid, env, cache))
        if not A.same_objects(canonical, kids):
            rebuilt = A.rebuilt(expr, canonical)
    simplifier = SIMPLIFIERS.get(type(rebuilt))
    done = simplifier(rebuilt, env) if simplifier else rebuilt
    # One entry per distinct object: each store hashes its key and may compare it.
    cache[expr] = done
    if rebuilt is not expr:
        cache[rebuilt] = done
    if done is not rebuilt and done is not expr:
        cache[done] = done
    return done


def simplify(expr: A.Expr, env: TypeEnv) -> A.Expr:
    """The canonical form of a node whose children are canonical."""
    simplifier = SIMPLIFIERS.get(type(expr))
    return simplifier(expr, env) if simplifier else expr
