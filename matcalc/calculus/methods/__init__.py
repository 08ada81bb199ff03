"""The methods behind one interface (SPEC §3 "Three methods").

A method owns the two stages that differ between the books: how the
differential is written (``differential_stage``: given the shared stage of
``strategy.differential``, the method returns the stage it uses) and how the
derivative is read off it (``gradient``, ``jacobian``), recording every
rewrite through the ``record`` it is handed (the one ``StepLog`` of the
derivation).  The trace method brings dl to tr(C^T dX); the vec method writes
vec(dl) = (∂l/∂vec X)^T vec(dX) through a chain of Jacobians and
un-vectorizes; the index method writes components with sums and Kronecker
deltas.  A fourth method is one module and one entry of ``METHODS``.
"""

from __future__ import annotations

from typing import Callable, Protocol

from ...errors import MatcalcError
from ...language import ast as A
from ...rewriting.engine import Context
from ..trace_method import identify_gradient
from .recording import Recorder

Record = Recorder          # record(rule, expression, rules used[, label]) → a step
# The methods' bookkeeping steps, beside strategy.ENGINE_STEPS.
METHOD_STEPS = {
    "identify-vec": "dl = g^T vec(dX) means ∂l/∂vec(X) = g",
    "identify-index": "the entries of X are independent variables: ∂X_ab/∂X_pq = δ_ap δ_bq",
}


class Method(Protocol):
    name: str

    def differential_stage(self, shared: Callable) -> Callable:
        """The function that takes the differential (``shared``: the d-rules
        on named values, then the chain rule, as strategy.differential)."""

    def gradient(self, dl: A.Expr, X: A.Symbol, context: Context, record: Record) -> A.Expr:
        """G = ∂l/∂X for a scalar l, from dl linear in dX."""

    def jacobian(self, dF: A.Expr, X: A.Symbol, context: Context, record: Record) -> tuple[A.Expr, list]:
        """(J, rules used) with vec(dF) = J vec(dX); a method that records its
        own steps leaves the strategy nothing to summarize."""


class TraceMethod:
    name = "trace"

    def differential_stage(self, shared):
        return shared

    def gradient(self, dl, X, context, record):
        return identify_gradient(dl, X, context, record)

    def jacobian(self, dF, X, context, record):
        # a Jacobian is read off vec(dF) = J vec(dX): the vec method's lines, a rule a line
        return _vec_method().jacobian(dF, X, context, record)


# The other methods' modules load when one is asked for, not with every derivation.
def _index_method() -> Method:
    from .index import IndexMethod
    return IndexMethod()


def _vec_method() -> Method:
    from .vec import VecMethod
    return VecMethod()


_MAKERS = {"trace": TraceMethod, "index": _index_method, "vec": _vec_method}
METHODS = tuple(_MAKERS)        # the names, in the order the help lists them


def method_named(name: str) -> Method:
    if name not in _MAKERS:
        raise MatcalcError(f"unknown method '{name}'; matcalc derives by: {', '.join(METHODS)}")
    return _MAKERS[name]()
