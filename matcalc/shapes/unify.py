"""Unification of dimensions being inferred (union-find with products).

A dimension variable may be bound to a number or to a product of other
variables (``vec`` and ``⊗`` multiply dimensions); ``m·n = s·n`` unifies
m with s, since sizes are positive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


class Var:
    """A dimension being inferred (union-find).  ``id`` orders variables within
    one inference; the Unifier numbers them, so no count outlives it."""
    __slots__ = ("parent", "bound", "poly", "hint", "id")

    def __init__(self, id: int, poly=False, hint=None):
        self.parent = self
        self.bound = None          # an int or a Prod once known
        self.poly = poly           # may still turn out to be 1 (the literal "1")
        self.hint = hint           # a user's name for it ("p" from "W1: p x n")
        self.id = id

    def root(self) -> "Var":
        node = self
        while node.parent is not node:
            node.parent = node.parent.parent
            node = node.parent
        return node


@dataclass(frozen=True)
class Prod:
    terms: tuple


def normal(term) -> tuple[int, tuple]:
    """A dimension term as (coefficient, sorted free variable roots)."""
    if isinstance(term, int):
        return term, ()
    if isinstance(term, Prod):
        coef, roots = 1, ()
        for t in term.terms:
            c, r = normal(t)
            coef, roots = coef * c, roots + r
        return coef, tuple(sorted(roots, key=lambda v: v.id))
    root = term.root()
    if root.bound is not None:
        return normal(root.bound)
    return 1, (root,)


def written(term) -> tuple:
    """The free variable roots of a term in the order they were written (normal
    sorts them): vec(G^T) is cols(G)·rows(G), not the other way round."""
    if isinstance(term, int):
        return ()
    if isinstance(term, Prod):
        return tuple(root for t in term.terms for root in written(t))
    root = term.root()
    return written(root.bound) if root.bound is not None else (root,)


class Unifier:
    def __init__(self):
        self.trail = []   # (var, field, old value) to undo a failed attempt
        self.created = 0

    def new_var(self, poly=False, hint=None) -> Var:
        self.created += 1
        return Var(self.created, poly, hint)

    def _set(self, var, name, value):
        self.trail.append((var, name, getattr(var, name)))
        setattr(var, name, value)

    def undo(self, mark: int) -> None:
        while len(self.trail) > mark:
            var, name, old = self.trail.pop()
            setattr(var, name, old)

    def unify(self, a, b) -> bool:
        ca, ra = normal(a)
        cb, rb = normal(b)
        if (ca, ra) == (cb, rb):
            return True
        shared = ra and rb and not set(ra).isdisjoint(rb)     # most pairs share no root: nothing to count
        common = Counter(ra) & Counter(rb) if shared else None
        if common:
            # Sizes are positive: m·n = s·n says m = s.
            rest_a = list((Counter(ra) - common).elements())
            rest_b = list((Counter(rb) - common).elements())
            return self.unify(Prod((ca, *rest_a)), Prod((cb, *rest_b)))
        if len(rb) == 1 and cb == 1:
            return self._bind(rb[0], (ca, ra))
        if len(ra) == 1 and ca == 1:
            return self._bind(ra[0], (cb, rb))
        if ca == cb and len(ra) == len(rb) and ra:
            # Two products of as many unknown sizes: pair them as written first
            # (vec(D) = vec(G^T) makes G D's transpose), else in a fixed order.
            for left, right in ((written(a), written(b)), (ra, rb)):
                if len(left) != len(right):
                    continue
                mark = len(self.trail)
                if all(self.unify(x, y) for x, y in zip(left, right)):
                    return True
                self.undo(mark)
        return False

    def _bind(self, var: Var, target) -> bool:
        coef, roots = target
        if var in roots:
            return False
        if len(roots) == 1 and coef == 1:
            other = roots[0]
            if var.hint and other.hint and var.hint != other.hint:
                return False     # two differently named dimensions ("p" and "n")
            self._set(var, "parent", other)
            if not var.poly and other.poly:
                self._set(other, "poly", False)
            if var.hint and not other.hint:
                self._set(other, "hint", var.hint)
            return True
        if not roots and coef == 1 and not var.poly:
            return False         # a vector or matrix dimension is never 1
        value = coef if not roots else Prod((coef,) + roots)
        self._set(var, "bound", value)
        return True
