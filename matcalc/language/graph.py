"""An expression as the graph it is: a written-out program repeats its
values (a GRU cell's state in every gate of the next step), and these
functions visit each distinct part once."""

from __future__ import annotations

from . import ast as A


def graph(expr: A.Expr) -> tuple[dict, list]:
    """(each distinct part → how many places use it, the distinct parts,
    each after its own parts).  Linear in the distinct parts, however often
    the tree repeats them."""
    uses: dict = {}
    order = []
    stack = [(expr, False)]
    while stack:
        node, parts_done = stack.pop()
        if parts_done:
            order.append(node)
            continue
        uses[node] = uses.get(node, 0) + 1
        if uses[node] == 1:
            stack.append((node, True))
            stack.extend((kid, False) for kid in A.children(node))
    return uses, order
