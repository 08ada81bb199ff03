"""Numeric evaluation of index notation (SPEC §3, the index method) with einsum.

An expression with free indices evaluates to an array with one axis per
index: ``A_ik B_kj`` to an i×k×j array, ``Σ_k A_ik B_kj`` to the i×j array
``A B``, ``δ_ij`` to the identity.  This is how the index rules of
``rules/index.components`` and every line of an index derivation are checked
against the matrix forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import ascii_letters

import numpy as np

from ..errors import MatcalcError
from ..language import ast as A
from ..language import index_ast as I
from ..language import functions
from .evaluate import Point, evaluate

INDEX_NODES = I.INDEX_NODES


@dataclass(frozen=True)
class Indexed:
    value: np.ndarray                 # one axis per index, in the order of ``indices``
    indices: tuple[str, ...]


def has_indices(expr: A.Expr) -> bool:
    return any(isinstance(node, INDEX_NODES) for node in A.walk(expr))


def evaluate_indexed(expr: A.Expr, point: Point) -> Indexed:
    if not has_indices(expr):
        value = evaluate(expr, point)
        if value.shape != (1, 1):
            raise MatcalcError("a matrix in index notation must carry its indices")
        return Indexed(np.asarray(value[0, 0], dtype=float), ())
    if isinstance(expr, I.Entry):
        return _entry(evaluate(expr.arg, point), expr.row, expr.col)
    if isinstance(expr, I.Delta):
        return _entry(np.eye(expr.size.value(point.sizes)), expr.row, expr.col)     # δ_ii = 1 for each i
    if isinstance(expr, I.IndexSum):
        body = evaluate_indexed(expr.arg, point)
        if expr.index not in body.indices:          # Σ_i c = n c
            return Indexed(body.value * expr.size.value(point.sizes), body.indices)
        return Indexed(body.value.sum(axis=body.indices.index(expr.index)),
                       tuple(i for i in body.indices if i != expr.index))
    if isinstance(expr, A.Product):
        return product([evaluate_indexed(A.product_of(run), point) for run in _runs(expr.args)])
    if isinstance(expr, A.Add):
        terms = [evaluate_indexed(arg, point) for arg in expr.args]
        indices, sizes = _union(terms)
        return Indexed(sum(_aligned(term, indices, sizes) for term in terms), indices)
    if isinstance(expr, A.Func):
        inner = evaluate_indexed(expr.arg, point)
        value = functions.elementwise(expr.name).numpy(np, inner.value.reshape(1, -1) if inner.indices
                                                       else inner.value.reshape(1, 1))
        return Indexed(np.asarray(value).reshape(inner.value.shape), inner.indices)
    if isinstance(expr, A.Power) and not has_indices(expr.exponent):
        inner = evaluate_indexed(expr.base, point)
        return Indexed(inner.value ** evaluate(expr.exponent, point)[0, 0], inner.indices)
    raise MatcalcError(f"cannot evaluate {type(expr).__name__.lower()}(...) in index notation")


def _runs(factors) -> list[list]:
    """The factors with each run of matrices that carry no index kept together:
    in ``(y^T ⊙ y^T) 1 x_p`` the row times the column is one number."""
    runs: list[list] = []
    for factor in factors:
        if runs and not has_indices(factor) and not has_indices(runs[-1][-1]):
            runs[-1].append(factor)
        else:
            runs.append([factor])
    return runs


def _entry(matrix: np.ndarray, row: str, col: str) -> Indexed:
    if not col:
        if matrix.shape[1] == 1:
            return Indexed(matrix[:, 0], (row,))
        if matrix.shape[0] == 1:              # a row's one index runs along it: d(x^T)_i
            return Indexed(matrix[0, :], (row,))
        raise MatcalcError("a matrix entry needs two indices")
    if row == col:
        return Indexed(np.diagonal(matrix).copy(), (row,))
    return Indexed(matrix, (row, col))


def product(factors) -> Indexed:
    """The entrywise product over the union of the indices (no index summed)."""
    indices, _ = _union(factors)
    if not indices:
        return Indexed(np.asarray(np.prod([f.value for f in factors]), dtype=float), ())
    letter = dict(zip(indices, ascii_letters))
    spec = ",".join("".join(letter[i] for i in f.indices) for f in factors) + "->" + \
        "".join(letter[i] for i in indices)
    return Indexed(np.einsum(spec, *[f.value for f in factors]), indices)


def _union(terms):
    indices: list[str] = []
    sizes: dict[str, int] = {}
    for term in terms:
        for axis, index in enumerate(term.indices):
            if index not in sizes:
                indices.append(index)
                sizes[index] = term.value.shape[axis]
    return tuple(indices), sizes


def _aligned(term: Indexed, indices, sizes) -> np.ndarray:
    """``term`` with its axes in the order of ``indices``, constant along the missing ones."""
    ones = [Indexed(np.ones(sizes[i]), (i,)) for i in indices if i not in term.indices]
    full = product([term] + ones) if ones else term
    order = [full.indices.index(i) for i in indices]
    return np.transpose(full.value, order) if order else full.value
