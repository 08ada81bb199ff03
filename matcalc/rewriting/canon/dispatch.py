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
    cache = env.memo_for("canon")
    done = cache.get(expr)              # (most calls ask for a tree already seen)
    return done if done is not None else _canon(expr, env, cache)


def _canon(expr: A.Expr, env: TypeEnv, cache: dict) -> A.Expr:
    done = cache.get(expr)
    if done is not None:
        return done
    kids = expr._children()
    env.spend(1 + len(kids))
    rebuilt = expr
    if len(kids) == 1:                  # the usual node: one child
        kid = _canon(kids[0], env, cache)
        if kid is not kids[0]:
            rebuilt = A.with_children(expr, (kid,))
    elif kids:
        canonical = [_canon(k, env, cache) for k in kids]
        for new, old in zip(canonical, kids):
            if new is not old:
                rebuilt = A.with_children(expr, canonical)
                break
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
