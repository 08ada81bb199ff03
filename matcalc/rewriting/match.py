"""Pattern matching of rule sides against expressions.

A pattern variable ``?A`` matches any sub-expression (subject to the rule's
where-clause); ``?f(..)`` matches any elementwise function.  A pattern
product/sum/Hadamard with k operands matches a node with n ≥ k operands by
splitting the operands into k contiguous groups, every split tried in turn,
so ``tr(?A ?B)`` offers each cyclic cut of a product.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from typing import Callable, Iterator

from ..language import ast as A
from ..shapes.dims import Dim

NARY = (A.Add, A.Product, A.Hadamard, A.Kron)
LONG_PRODUCT = 8


def _splits(n: int, k: int, first=(), last=()):
    """Ways to cut n operands into k non-empty contiguous groups; ``first`` and
    ``last``, when given, are the only sizes the first and last group may have."""
    if k == 2:
        cuts = _cuts(n)
        if first or last:
            allowed = set(first) if first else {n - size for size in last}
            if first and last:
                allowed &= {n - size for size in last}
            cuts = [cut for cut in sorted(allowed) if 0 < cut < n]
        for cut in cuts:
            yield [(0, cut), (cut, n)]
        return
    for cuts in combinations(range(1, n), k - 1):
        bounds = (0,) + cuts + (n,)
        if (first and bounds[1] not in first) or (last and n - bounds[-2] not in last):
            continue
        yield [(bounds[i], bounds[i + 1]) for i in range(k)]


@lru_cache(maxsize=64)
def _cuts(n: int) -> tuple:
    """The cuts of n operands into two groups, in the order they are tried.
    Middle cuts first in a long product: (A1 … An)^T by transpose-product is
    then log n rounds deep, not n.  A short one is cut as a person would,
    first factor first: (dA B C)^T = (B C)^T dA^T."""
    if n > LONG_PRODUCT:
        return tuple(sorted(range(1, n), key=lambda cut: abs(2 * cut - n)))
    return tuple(range(1, n))


def matches(pattern: A.Expr, expr: A.Expr, bindings: dict,
            accept: Callable[[str, A.Expr], bool]) -> Iterator[dict]:
    """Every extension of ``bindings`` under which ``pattern`` equals ``expr``."""
    kind = type(pattern)                # (no class derives from a pattern's node classes)
    if kind is A.PatternVar:
        bound = bindings.get(pattern.name)
        if bound is None:
            if accept(pattern.name, expr):
                yield {**bindings, pattern.name: expr}
        elif bound == expr:
            yield bindings
        return
    if kind is not type(expr):
        return                          # (every pattern but a variable matches its own node type only)
    if kind is A.Func and pattern.name.startswith("?"):
        bound = bindings.get(pattern.name)
        if bound is None or bound == expr.name:
            yield from matches(pattern.arg, expr.arg, {**bindings, pattern.name: expr.name}, accept)
        return
    counted = counted_variable(pattern) if kind is A.DimValue else None
    if counted is not None:
        # numel(?v) matches a size; the engine checks that it is ?v's (sizes_fit).
        yield {**bindings, ("numel", counted): expr.dim}
        return
    if kind is A.Ones or kind is A.Identity or kind is A.Zero:
        if _same_orientation(pattern, expr):
            yield bindings
        return
    if isinstance(pattern, NARY):
        yield from _match_operands(pattern, expr, bindings, accept)
        return
    if isinstance(pattern, (A.Number, A.Symbol)):
        if pattern == expr:
            yield bindings
        return
    if isinstance(pattern, A.Func) and pattern.name != expr.name:
        return
    yield from _match_sequence(A.children(pattern), A.children(expr), bindings, accept)


NUMEL = "numel "


def size_placeholder(expr: A.Expr) -> A.Expr:
    """A pattern's numel(?v) as the size it stands for (a DimValue named after
    ?v), so that canon puts it where an expression's sizes stand: ?v^T 1 / numel(?v)
    is matched in the form n^{-1} w^T 1 that derivations have."""
    if isinstance(expr, A.Func) and expr.name == "numel" and isinstance(expr.arg, A.PatternVar):
        return A.DimValue(Dim(1, (NUMEL + expr.arg.name,)))
    kids = A.children(expr)
    return A.with_children(expr, [size_placeholder(k) for k in kids]) if kids else expr


def counted_variable(pattern) -> A.PatternVar | None:
    """The ?v of a size placeholder, else None."""
    if isinstance(pattern, A.DimValue) and len(pattern.dim.names) == 1 and pattern.dim.names[0].startswith(NUMEL):
        return A.PatternVar(pattern.dim.names[0][len(NUMEL):])
    return None


def _same_orientation(pattern, expr) -> bool:
    """A row of ones matches rows of ones only, a column columns only."""
    if not isinstance(pattern, A.Ones) or pattern.rows is None or expr.rows is None:
        return True
    return pattern.rows.is_one == expr.rows.is_one and pattern.cols.is_one == expr.cols.is_one


def _match_operands(pattern, expr, bindings, accept):
    wanted = pattern.args
    orders = [expr.args]
    kind = type(expr)
    # (the orders below start with a number: a product that does not has only its own)
    if kind is A.Product and type(expr.args[0]) is A.Number:
        if len(expr.args) > 2:
            # A number commutes with every factor: -W^T y is also W^T (-y), so
            # ?A ?B + ?A ?C factors W^T s - W^T y.
            orders.append(expr.args[1:] + expr.args[:1])
        if type(wanted[0]) is A.Number and wanted[0] == A.MINUS_ONE and expr.args[0].value < 0 \
                and expr.args[0] != A.MINUS_ONE:
            # -2 (a - b) x is -(a - b) x 2 and -2 (a - b): a pattern's sign takes a
            # negative number's, its size goes last or stays first.
            size = A.Number(-expr.args[0].value)
            orders += [(A.MINUS_ONE,) + expr.args[1:] + (size,), (A.MINUS_ONE, size) + expr.args[1:]]
        number = bindings.get(wanted[0].name) if type(wanted[0]) is A.PatternVar else None
        if type(number) is A.Number and expr.args[0] == A.Number(-number.value):
            # -1/2 B is 1/2 (-B): ?c ?A + ?c ?B factors 1/2 A - 1/2 B (a number up to sign).
            orders.append((number, A.MINUS_ONE) + expr.args[1:])
    for given in orders:
        if len(wanted) > len(given):
            continue            # -2 (a - b) has two operands, -1 2 (a - b) three
        first, last = _spans(wanted[0], kind, bindings), _spans(wanted[-1], kind, bindings)
        for split in _splits(len(given), len(wanted), first, last):
            groups = [given[a] if b - a == 1 else kind(given[a:b]) for a, b in split]     # (as A.joined)
            yield from _match_sequence(wanted, groups, bindings, accept)


def _spans(pattern, kind, bindings) -> tuple:
    """How many operands a pattern variable already bound can cover: one,
    or as many as its value has (?A ?B + ?A ?C: once ?A is a prefix of the
    first product, only one cut of the second can match; every cut tried
    made factoring two long products quadratic).  Empty when it is unbound."""
    bound = bindings.get(pattern.name) if isinstance(pattern, A.PatternVar) else None
    if bound is None:
        return ()
    return (1, len(bound.args)) if type(bound) is kind else (1,)


def _match_sequence(patterns, exprs, bindings, accept):
    if len(patterns) != len(exprs):
        return
    if len(patterns) == 1:              # (a last pattern: its matches, one generator fewer)
        yield from matches(patterns[0], exprs[0], bindings, accept)
        return
    if not patterns:
        yield bindings
        return
    other_patterns, other_exprs = patterns[1:], exprs[1:]
    for extended in matches(patterns[0], exprs[0], bindings, accept):
        yield from _match_sequence(other_patterns, other_exprs, extended, accept)
