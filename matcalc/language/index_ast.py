"""Index notation nodes (SPEC §3 "Three methods": the index method).

The index method writes functions by components; every node here is a
scalar, and an index is a name with the size it runs to.  Same kind of node
as ``ast`` (immutable, structural equality), kept apart so that the matrix
language stays as it is.
"""

from __future__ import annotations

from typing import Any

from .ast import Expr, node


@node
class Entry(Expr):
    """A component of a matrix or vector: ``A_ij`` (``col`` empty for a vector's ``x_i``)."""
    arg: Expr
    row: str = ""
    col: str = ""


@node
class IndexSum(Expr):
    """``Σ_i arg``: the sum over a repeated index running from 1 to ``size``."""
    arg: Expr
    index: str = ""
    size: Any = None


@node
class Delta(Expr):
    """The Kronecker delta ``δ_ij`` (1 when the indices are equal, else 0)."""
    row: str = ""
    col: str = ""
    size: Any = None


INDEX_NODES = (Entry, IndexSum, Delta)
