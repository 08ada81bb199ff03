"""The identification methods behind one interface (SPEC §3 "Three methods").

A method takes a differential that is linear in dX and reads the derivative
off it, recording its rewrites as steps: the trace method brings dl to
tr(C^T dX) (gradients) and uses the vec rules for vec(dF) = J vec(dX)
(Jacobians).  The index and vec methods will be entries of ``METHODS``.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ..errors import MatcalcError
from ..language import ast as A
from ..rewriting.engine import Context
from .trace_method import identify_gradient
from .vec_method import Vectorizer

Record = Callable[[str, A.Expr, list], None]      # (rule, expression, rules used) → a step


class Method(Protocol):
    name: str

    def gradient(self, dl: A.Expr, X: A.Symbol, context: Context, record: Record) -> A.Expr:
        """C with dl = tr(C^T dX), for a scalar l and a vector or matrix X."""

    def jacobian(self, dF: A.Expr, X: A.Symbol, context: Context) -> tuple[A.Expr, list]:
        """(J, rules used) with vec(dF) = J vec(dX)."""


class TraceMethod:
    name = "trace"

    def gradient(self, dl, X, context, record):
        return identify_gradient(dl, X, context, record)

    def jacobian(self, dF, X, context):
        used: list[str] = []
        return Vectorizer(X, context).jacobian(dF, used), used


METHODS = {"trace": TraceMethod()}


def method_named(name: str) -> Method:
    if name not in METHODS:
        raise MatcalcError(f"unknown method '{name}'; matcalc derives by: {', '.join(METHODS)}")
    return METHODS[name]
