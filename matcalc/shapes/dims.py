"""Resolved dimensions: a number, a name such as ``n``, or a product such as
``mn`` (for ``vec`` and ``⊗``), and how shapes read in messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Dim:
    """A resolved dimension: ``coef`` times the product of named dimensions."""
    coef: int = 1
    names: tuple[str, ...] = ()

    def __post_init__(self):
        # Every shape query asks is_one (is this 1x1, a vector?): an attribute
        # set once, outside equality and order, not a property computed each time.
        object.__setattr__(self, "is_one", self.coef == 1 and not self.names)

    def __mul__(self, other: "Dim") -> "Dim":
        return Dim(self.coef * other.coef, tuple(sorted(self.names + other.names)))

    def __str__(self) -> str:
        if not self.names:
            return str(self.coef)
        joiner = "" if all(len(n) == 1 for n in self.names) else "·"
        text = joiner.join(self.names)
        return text if self.coef == 1 else f"{self.coef}{joiner}{text}"

    def value(self, sizes: dict[str, int]) -> int:
        result = self.coef
        for name in self.names:
            result *= sizes[name]
        return result


ONE = Dim()
Shape = tuple  # (rows: Dim, cols: Dim)


def describe(shape: Shape) -> str:
    """'is p×n' / 'has length n' / 'is a scalar' — for error messages."""
    rows, cols = shape
    if rows.is_one and cols.is_one:
        return "is a scalar"
    if cols.is_one:
        return f"has length {rows}"
    if rows.is_one:
        return f"is a row vector of length {cols}"
    return f"is {rows}×{cols}"


def shape_text(shape: Shape) -> str:
    rows, cols = shape
    if rows.is_one and cols.is_one:
        return "scalar"
    if cols.is_one:
        return str(rows)
    return f"{rows}×{cols}"

