"""Expressions near a candidate that name a mistake when one of them equals
the answer: the terms of a sum (a missing, extra or wrongly signed term) and
products with their factors in another order (``x g^T`` for ``g x^T``)."""

from __future__ import annotations

from itertools import product as cartesian

from ..language import ast as A

MAX_TERMS = 24        # a longer expansion names no single missing term a reader would look for
MAX_ORDERS = 60


def terms(expr: A.Expr) -> list[A.Expr] | None:
    """The terms of ``expr`` multiplied out (products, ⊙ and transposes
    distributed over sums): ``(A + A^T) x`` → ``A x``, ``A^T x``.  None when
    there would be more than MAX_TERMS."""
    if isinstance(expr, A.Add):
        found = []
        for arg in expr.args:
            inner = terms(arg)
            if inner is None or len(found) + len(inner) > MAX_TERMS:
                return None
            found += inner
        return found
    if isinstance(expr, A.Transpose):
        inner = terms(expr.arg)
        return None if inner is None else [A.Transpose(t) for t in inner]
    if isinstance(expr, (A.Product, A.Hadamard)):
        parts = [terms(arg) for arg in expr.args]
        if any(p is None for p in parts):
            return None
        count = 1
        for p in parts:
            count *= len(p)
        if count > MAX_TERMS:
            return None
        return [type(expr)(_flat(type(expr), combo)) for combo in cartesian(*parts)]
    return [expr]


def summands(expr: A.Expr) -> list[A.Expr]:
    """The terms of a sum as written, not multiplied out."""
    if isinstance(expr, A.Add):
        return [term for arg in expr.args for term in summands(arg)]
    return [expr]


def term_candidates(expr: A.Expr) -> list[A.Expr]:
    """The terms of ``expr`` as written, then multiplied out (each once)."""
    return list(dict.fromkeys(summands(expr) + (terms(expr) or [])))


def _flat(kind, parts) -> tuple:
    flat = []
    for part in parts:
        flat.extend(part.args if isinstance(part, kind) else (part,))
    return tuple(flat)


def _base(factor: A.Expr) -> tuple[A.Expr, bool]:
    return (factor.arg, True) if isinstance(factor, A.Transpose) else (factor, False)


def _reorderings(factors: tuple, bases: bool = True) -> list[tuple]:
    """The factors reversed, each pair swapped, and (with ``bases``) each
    pair's bases swapped with the transposes left where they stand
    (``x g^T`` → ``g x^T``)."""
    found = [tuple(reversed(factors))]
    for i in range(len(factors)):
        for j in range(i + 1, len(factors)):
            swapped = list(factors)
            swapped[i], swapped[j] = factors[j], factors[i]
            found.append(tuple(swapped))
            (base_i, t_i), (base_j, t_j) = _base(factors[i]), _base(factors[j])
            if bases and t_i != t_j:
                bases = list(factors)
                bases[i] = A.Transpose(base_j) if t_i else base_j
                bases[j] = A.Transpose(base_i) if t_j else base_i
                found.append(tuple(bases))
    return [f for f in dict.fromkeys(found) if f != factors]


def _reorderings_of_product(node) -> list[tuple]:
    """A product's reorderings with its numbers kept in front (2 X^T M → 2 M X^T, not M X^T 2)."""
    numbers = tuple(f for f in node.args if isinstance(f, A.Number))
    others = tuple(f for f in node.args if not isinstance(f, A.Number))
    if len(others) < 2:
        return []
    return [numbers + factors for factors in _reorderings(others, bases=isinstance(node, A.Product))]


def reordered(expr: A.Expr) -> list[A.Expr]:
    """``expr`` with the factors of one of its products (matrix or Kronecker)
    in another order (each a candidate for what was meant); at most MAX_ORDERS."""
    found: list[A.Expr] = []

    def visit(node, rebuild):
        if len(found) >= MAX_ORDERS:
            return
        if isinstance(node, (A.Product, A.Kron)):
            for factors in _reorderings_of_product(node):
                found.append(rebuild(type(node)(factors)))
        kids = A.children(node)
        for index, kid in enumerate(kids):
            def inner(new, index=index, node=node, kids=kids):
                return rebuild(A.with_children(node, kids[:index] + (new,) + kids[index + 1:]))
            visit(kid, inner)

    visit(expr, lambda new: new)
    return found[:MAX_ORDERS]
