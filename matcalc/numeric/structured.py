"""Structured factors applied without building them.

A Kronecker Jacobian such as ``(I ⊗ K_{m,n} ⊗ I) (I ⊗ vec(X) + vec(X) ⊗ I)``
has a first factor of (m n)^4 entries, almost all zero: at 14×14 that is
11 GB dense for an answer of 60 MB.  In a product such a factor is an
operator instead, applied to what stands next to it:

- ``I`` is nothing to do;
- ``K_{m,n}`` permutes rows (``K vec(A) = vec(A^T)``);
- ``diag(v)`` scales rows;
- ``A1 ⊗ … ⊗ Ak`` acts on each axis of the right side reshaped as a tensor,
  ``(A ⊗ B) vec(Y) = vec(B Y A^T)`` (Matrix Cookbook (520)), each ``Ai``
  itself dense or one of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod

import numpy as np

from ..language import ast as A


@dataclass(frozen=True)
class Dense:
    value: np.ndarray

    @property
    def shape(self):
        return self.value.shape

    def apply(self, right):
        return self.value @ right

    def transposed(self):
        return Dense(self.value.T)


@dataclass(frozen=True)
class Identity:
    size: int

    @property
    def shape(self):
        return self.size, self.size

    def apply(self, right):
        return right

    def transposed(self):
        return self


@dataclass(frozen=True)
class Permutation:
    """Row i of the result is row ``source[i]`` of the right side."""
    source: np.ndarray

    @property
    def shape(self):
        return len(self.source), len(self.source)

    def apply(self, right):
        return right[self.source]

    def transposed(self):
        return Permutation(np.argsort(self.source))


@dataclass(frozen=True)
class RowScaling:
    scale: np.ndarray            # n×1

    @property
    def shape(self):
        return len(self.scale), len(self.scale)

    def apply(self, right):
        return self.scale * right

    def transposed(self):
        return self


@dataclass(frozen=True)
class Kronecker:
    factors: tuple

    @property
    def shape(self):
        return prod(f.shape[0] for f in self.factors), prod(f.shape[1] for f in self.factors)

    def apply(self, right):
        # Entry (j1, …, jk) of a column sits at j1 c2…ck + … + jk (np.kron's
        # order), so a C-order reshape gives one axis per factor.
        columns = right.shape[1]
        tensor = right.reshape(tuple(f.shape[1] for f in self.factors) + (columns,))
        for axis, factor in enumerate(self.factors):
            moved = np.moveaxis(tensor, axis, 0)
            rest = moved.shape[1:]
            applied = factor.apply(moved.reshape(moved.shape[0], -1))
            tensor = np.moveaxis(applied.reshape((applied.shape[0],) + rest), 0, axis)
        return tensor.reshape(self.shape[0], columns)

    def transposed(self):
        return Kronecker(tuple(f.transposed() for f in self.factors))


def commutation_source(rows: int, cols: int) -> np.ndarray:
    """Row i of K_{rows,cols} picks the entry of vec(A) that lands at
    position i of vec(A^T), for A rows×cols."""
    return np.arange(rows * cols).reshape((rows, cols), order="F").T.reshape(-1, order="F")


def diagonal(matrix: np.ndarray) -> np.ndarray:
    """diag(M) of a square matrix: its diagonal as a column."""
    return np.diag(matrix).reshape(-1, 1).copy()


def operator(expr: A.Expr, evaluate, dim):
    """``expr`` as an operator when it is structured; its value when telling
    took it (``diag(M)`` of a matrix: M is evaluated once, not again); else
    None (it is then evaluated densely).  ``evaluate`` evaluates a subtree,
    ``dim`` a size."""
    if isinstance(expr, A.Identity):
        return Identity(dim(expr.size))
    if isinstance(expr, A.Commutation):
        return Permutation(commutation_source(dim(expr.rows), dim(expr.cols)))
    if isinstance(expr, A.Diag):
        value = evaluate(expr.arg)
        return RowScaling(value) if value.shape[1] == 1 and value.shape[0] > 1 else diagonal(value)
    if isinstance(expr, A.Transpose):
        inner = operator(expr.arg, evaluate, dim)
        if isinstance(inner, np.ndarray):
            return inner.T
        return inner.transposed() if inner is not None else None
    if isinstance(expr, A.Kron):
        parts = [operator(arg, evaluate, dim) for arg in expr.args]
        if all(part is None for part in parts):
            return None
        return Kronecker(tuple(Dense(part) if isinstance(part, np.ndarray) else
                               part if part is not None else Dense(evaluate(arg))
                               for part, arg in zip(parts, expr.args)))
    return None


def dense(op) -> np.ndarray:
    """The operator as a matrix (only for a product of operators alone)."""
    return op.apply(np.eye(op.shape[1]))


def _is_number(part) -> bool:
    return isinstance(part, np.ndarray) and part.shape == (1, 1)


def chain(parts: list, times, fits) -> np.ndarray:
    """The product of ``parts``, each an array or an operator.  Runs of
    arrays multiply left to right with ``times`` (which reads a 1×1 partial
    product as a scalar); operators are applied to their right neighbour, or,
    at the right end, to the transposed left side: M O = (O^T M^T)^T."""
    runs: list = []
    for part in parts:
        if isinstance(part, np.ndarray) and runs and isinstance(runs[-1], np.ndarray):
            fits(runs[-1].shape[0], part.shape[1])
            runs[-1] = times(runs[-1], part)
        else:
            runs.append(part)
    # A 1×1 factor or partial product beside an operator is a number times it:
    # s diag(v) is the matrix s diag(v), not diag(v) applied to s (a column).
    scale = 1.0
    if len(runs) > 1:
        scale = prod(run[0, 0] for run in runs if _is_number(run))
        runs = [run for run in runs if not _is_number(run)]
    trailing = []
    while runs and not isinstance(runs[-1], np.ndarray):
        trailing.insert(0, runs.pop())
    if not runs:                     # operators only: the rightmost one is built
        last = trailing.pop()
        fits(*last.shape)
        runs, trailing = trailing + [dense(last)], []
    result = runs.pop()
    for part in reversed(runs):
        fits(part.shape[0], result.shape[1])
        result = times(part, result) if isinstance(part, np.ndarray) else part.apply(result)
    for op in trailing:
        fits(result.shape[0], op.shape[1])
        result = op.transposed().apply(result.T).T
    return scale * result
