"""Resolution: the dimensions found by inference become ``Dim`` values with
names a reader knows (the user's ``p`` from ``W1: p x n``, else n, m, p, ...
from the innermost symbol outwards), and the symbols' shapes a ``TypeEnv``."""

from __future__ import annotations

from fractions import Fraction

from ..language import ast as A
from .dims import ONE, Dim
from .env import TypeEnv
from .unify import normal


def resolve(inference, trees) -> tuple[list, TypeEnv]:
    """The inferred dimensions as Dims with names, the trees with their ones and
    identities sized, and the TypeEnv of the symbols."""
    normals = {}              # symbol → the normal forms of its rows and cols, found once
    for symbol, (rows, cols) in inference.symbols.items():
        normals[symbol] = (normal(rows), normal(cols))
    names = _assign_names(inference, normals)
    # Only a 1, I or ones has a size to write into the tree (inference says
    # whether it met one): else every tree is already its resolved self.
    free = _name_free_dims(inference, trees, names) if inference.sized else {}
    known: dict = {(1, ()): ONE}     # (coefficient, roots) → its Dim: the 1 of every scalar resolved once

    def named(key) -> Dim:
        found = known.get(key)
        if found is None:
            found = known[key] = resolve_dim(key, names)
        return found

    env = TypeEnv(free_dims=free)
    for symbol, (rows, cols) in normals.items():
        declaration = inference.declarations.get(symbol)
        flags = {}
        if declaration is not None:
            flags = dict(symmetric=declaration.symmetric,
                         positive_definite=declaration.positive_definite,
                         probability=declaration.probability)
        env.add_symbol(symbol, (named(rows), named(cols)), **flags)
    resolved = [resolve_tree(tree, lambda term: named(normal(term))) for tree in trees] if inference.sized \
        else list(trees)
    return resolved, env

def _assign_names(inference, normals) -> dict[int, str]:
    """Letters for unnamed dimensions: vectors' lengths first, from the
    innermost (right-most) symbol outwards, so ``W1 x`` reads W1: m×n, x: n."""
    names: dict[int, str] = {}
    vectors, others = [], []
    for symbol in reversed(inference.order):
        (vectors if normals[symbol][1] == (1, ()) else others).append(symbol)
    taken = None
    for symbol in vectors + others:
        for _, roots in normals[symbol]:
            for root in roots:
                if not root.hint and root.id not in names:
                    if taken is None:
                        taken = set(inference.symbols) | {v.hint for v in inference.named_dims.values()}
                    names[root.id] = letter(len(names), taken)
    return names

def _name_free_dims(inference, trees, names) -> dict[str, str]:
    """Letters for the sizes of I and 1 that no symbol fixes (the n of
    ``alpha tr(I)``); returns {letter: "I" or "1"}, what each one sizes."""
    taken = set(inference.symbols) | {v.hint for v in inference.named_dims.values()} | set(names.values())
    free: dict[str, str] = {}
    for tree in trees:
        for node in A.walk(tree):
            terms = ((node.size,) if isinstance(node, A.Identity)
                     else (node.rows, node.cols) if isinstance(node, A.Ones) else ())
            for term in terms:
                for root in normal(term)[1]:
                    if not (root.poly or root.hint or root.id in names):
                        names[root.id] = letter(len(names), taken)
                        free[names[root.id]] = "I" if isinstance(node, A.Identity) else "1"
    return free


_LETTERS = "n m p q k r s t u v w l j i a b c d e f g h o x y z".split()


def letter(index: int, taken: set) -> str:
    """The index-th of the letters not taken (counted, not listed: asked once per dimension)."""
    left = index
    for candidate in _LETTERS:
        if candidate not in taken:
            if not left:
                return candidate
            left -= 1
    return f"d{index}"


def resolve_dim(normal_form, names) -> Dim:
    """A dimension (its ``normal`` form) named: a root by its hint or its letter."""
    coef, roots = normal_form
    labels = []
    for root in roots:
        if root.poly:
            continue          # a "1" whose size nothing fixed is the number 1
        labels.append(root.hint or names.get(root.id) or f"d{root.id}")
    return Dim(coef, tuple(sorted(labels)))


def resolve_tree(tree, dim):
    def visit(node):
        if isinstance(node, A.Ones):
            rows, cols = dim(node.rows), dim(node.cols)
            if rows.is_one and cols.is_one:
                return A.Number(Fraction(1), span=node.span)
            return A.Ones(rows, cols, span=node.span)
        if isinstance(node, A.Identity):
            return A.Identity(dim(node.size), span=node.span)
        kids = A.children(node)
        if not kids:
            return node
        return A.with_children(node, [visit(k) for k in kids])
    return visit(tree)
