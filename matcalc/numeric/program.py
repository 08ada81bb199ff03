"""A program's value at a point, each statement computed once, and its value
with one symbol moved, recomputing only the statements that depend on that
symbol (the forward values of the others are shared).

Finite differences of a deep program along one parameter then cost the
statements after that parameter's first use, not the whole written-out
function (whose size can grow with the depth of the program).
"""

from __future__ import annotations

import numpy as np

from ..language import ast as A
from ..language.graph import graph
from .evaluate import Point, evaluate


class ProgramValues:
    """``statements`` ((name, definition), ...), the function last, at ``point``."""

    def __init__(self, statements, point: Point):
        statements = _needed(_shared_parts_named(_squashed_values_inside_logs(statements)))
        self.statements = statements
        self.point = point
        self.uses = [A.symbol_names(definition) for _, definition in statements]
        values = dict(point.values)
        for name, definition in statements:
            values[name] = evaluate(definition, Point(values, point.sizes))
        self.values = values
        self._dependents: dict = {}

    @property
    def value(self) -> np.ndarray:
        """The function's value (the last statement)."""
        return self.values[self.statements[-1][0]]

    def dependents(self, symbol: str) -> list:
        """Indices of the statements whose value depends on ``symbol``, in order."""
        if symbol not in self._dependents:
            changed, found = {symbol}, []
            for index, uses in enumerate(self.uses):
                if uses & changed:
                    found.append(index)
                    changed.add(self.statements[index][0])
            self._dependents[symbol] = found
        return self._dependents[symbol]

    def moved(self, symbol: str, displacement: np.ndarray) -> np.ndarray:
        """The function's value with ``symbol`` moved by ``displacement``."""
        return self.moved_many({symbol: displacement})

    def moved_many(self, displacements: dict) -> np.ndarray:
        """The function's value with each symbol of ``displacements`` moved by
        its displacement: the statements that depend on any of them are recomputed, once."""
        values = dict(self.values)
        for symbol, displacement in displacements.items():
            values[symbol] = self.values[symbol] + displacement
        moved = Point(values, self.point.sizes)
        indices = sorted(set().union(*(self.dependents(symbol) for symbol in displacements)))
        for index in indices:
            name, definition = self.statements[index]
            values[name] = evaluate(definition, moved)
        return values[self.statements[-1][0]]


def _shared_parts_named(statements) -> list:
    """Each part of a definition that occurs in it more than once (a GRU cell
    written out repeats its state in every gate of the next step) computed
    once, as a statement of its own named ``shared N`` (a name no input can
    have): the function's value is the same, its cost that of its distinct parts."""
    result = []
    for name, definition in statements:
        uses, order = graph(definition)
        named: dict = {}
        for node in order:                       # inner parts first
            # (σ(z) and constants such as 1 1^T stay whole: log σ(z) and log(1 1^T - σ(Z)) are
            # evaluated as -log(1 + e^{-z}), which a name would hide)
            if uses[node] > 1 and A.children(node) and not (isinstance(node, A.Func) and node.name == "sigma") \
                    and A.symbol_names(node):
                part = f"shared {len(result) + 1}"
                result.append((part, A.substitute(node, named)))
                named[node] = A.Symbol(part)
        result.append((name, A.substitute(definition, named)))
    return result


def _squashed_values_inside_logs(statements) -> list:
    """A named p = σ(z) or softmax(z) written out inside a log: log(p) is
    log σ(z), log(1 - p) is log(1 - σ(z)), which evaluate computes stably
    (``stable_log``), as it does the written-out function.  Computed from the
    rounded p, a p that rounds to 1 makes l piecewise constant there (its
    differences 0, or l infinite) where the written-out l is smooth and finite."""
    squashed, result = {}, []
    for name, definition in statements:
        definition = _inside_logs(definition, squashed) if squashed else definition
        result.append((name, definition))
        if isinstance(definition, A.Softmax) or (isinstance(definition, A.Func) and definition.name == "sigma"):
            squashed[A.Symbol(name)] = definition
    return result


def _inside_logs(expr: A.Expr, squashed: dict) -> A.Expr:
    if isinstance(expr, A.Func) and expr.name == "log":
        return A.with_children(expr, [A.substitute(expr.arg, squashed)])
    kids = A.children(expr)
    return A.with_children(expr, [_inside_logs(kid, squashed) for kid in kids]) if kids else expr


def _needed(statements) -> list:
    """The statements the function (the last one) uses, directly or not: an
    unused statement is not evaluated (it may be undefined where the function is not)."""
    needed = set(A.symbol_names(statements[-1][1]))
    kept = [statements[-1]]
    for name, definition in reversed(statements[:-1]):
        if name in needed:
            needed |= A.symbol_names(definition)
            kept.append((name, definition))
    return kept[::-1]
