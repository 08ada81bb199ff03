"""Facts about a tree kept in its nodes, as the structural hash is: a node is
immutable, so what it contains is computed once, whichever pass asks.

Every pass asks which symbols a sub-expression holds (is it constant? does it
carry dX?): walking the subtree at each question made that the most repeated
walk of a derivation.  A fact is stored in the node's instance dict (a frozen
dataclass forbids setattr, not the dict) under a private key, which
``ast.with_children`` drops from the copy it makes.
"""

from __future__ import annotations

SYMBOLS = "_symbols"
_NONE: frozenset = frozenset()


def names_of(expr, symbol_class) -> frozenset:
    """The names of the ``symbol_class`` nodes in ``expr``, children before
    parents without recursion (a written-out program is deep; each shared
    subtree is visited once)."""
    known = expr.__dict__.get(SYMBOLS)
    if known is not None:
        return known
    stack = [expr]
    while stack:
        node = stack[-1]
        state = node.__dict__
        if SYMBOLS in state:
            stack.pop()
            continue
        kids = node._children()
        missing = [kid for kid in kids if SYMBOLS not in kid.__dict__]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        if isinstance(node, symbol_class):
            state[SYMBOLS] = frozenset((node.name,))
        elif len(kids) == 1:
            state[SYMBOLS] = kids[0].__dict__[SYMBOLS]
        else:
            state[SYMBOLS] = _NONE.union(*(kid.__dict__[SYMBOLS] for kid in kids))
    return expr.__dict__[SYMBOLS]
