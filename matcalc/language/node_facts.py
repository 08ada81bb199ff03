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
    subtree is visited once).  A node without the fact reads the class's
    None (node_class.node), so asking is one attribute look-up."""
    known = expr._symbols
    if known is not None:
        return known
    stack = [expr]
    while stack:
        node = stack[-1]
        kids = node._children()
        missing = [kid for kid in kids if kid._symbols is None]
        if missing:
            stack += missing
            continue
        stack.pop()
        if node._symbols is not None:         # a shared subtree, stacked twice
            continue
        if isinstance(node, symbol_class):
            known = frozenset((node.name,))
        elif len(kids) == 1:
            known = kids[0]._symbols
        else:
            known = _NONE.union(*[kid._symbols for kid in kids])
        node.__dict__[SYMBOLS] = known
    return expr._symbols
