"""Products as written: ``f1 op f2 op f3 ...`` (juxtaposition, ``*``, ``/``,
``⊙``, ``./``, ``⊗``) folded left to right into n-ary nodes, for the
transformer (``Build``), which makes each node through ``builder._made``."""

from __future__ import annotations

from fractions import Fraction

from lark import Token

from ..errors import ParseError
from . import ast as A


# Which n-ary node each product-level operator builds (None: juxtaposition).
_PRODUCT_KINDS = {None: A.Product, "STAR": A.Product, "SLASH": A.Product,
                  "HADAMARD": A.Hadamard, "ELDIV": A.Hadamard, "KRON": A.Kron}


class ProductChain:
    """Folds ``f1 op f2 op f3 ...`` left to right into n-ary nodes: operands
    are collected while the operator keeps building the same kind of node
    (``*``, ``/`` and juxtaposition all build a Product), and the run is closed
    into one node when the kind changes (``A B ⊙ C`` is ``(A B) ⊙ C``)."""

    def __init__(self, builder, start: int, first: A.Expr):
        self.builder = builder
        self.start = start
        self.kind = None
        self.operands = [first]

    def append(self, operator: Token | None, operand: A.Expr) -> None:
        operator_type = operator.type if operator else None
        kind = _PRODUCT_KINDS[operator_type]
        if self.kind is not None and kind is not self.kind:
            self.operands = [self._close()]
        self.kind = kind
        if operator_type in ("SLASH", "ELDIV"):
            refuse_zero_divisor(operand, operand.span)
        if operator_type == "SLASH":
            self._divide(operand)
        elif operator_type == "ELDIV":
            reciprocal = A.ElemPow(operand, A.MINUS_ONE, span=operand.span)
            self.operands.append(self.builder._made(reciprocal, operand))
        else:
            self.operands.append(operand)

    def _divide(self, divisor: A.Expr) -> None:
        if len(self.operands) == 1 and isinstance(self.operands[0], A.Number) \
                and isinstance(divisor, A.Number):
            # A fraction of two literals is a number: "1/2 x^T x".
            span = (self.start, _end(divisor, self.start))
            self.operands[0] = A.Number(self.operands[0].value / divisor.value, span=span)
            return
        reciprocal = A.Power(divisor, A.MINUS_ONE, from_division=True, span=divisor.span)
        self.operands.append(self.builder._made(reciprocal, divisor))

    def _close(self) -> A.Expr:
        if len(self.operands) == 1:
            return self.operands[0]
        span = (self.start, _end(self.operands[-1], self.start))
        return self.builder._made(self.kind(tuple(self.operands), span=span), *self.operands)

    def finish(self) -> A.Expr:
        return self._close()


def _end(node: A.Expr, default: int) -> int:
    return node.span[1] if node.span else default


def refuse_zero_divisor(divisor: A.Expr, span, exponent=Fraction(-1)) -> None:
    """A literal 0 divided by, inverted or raised to a negative power is
    refused here: later passes would carry 0^-1 along and fail obscurely."""
    if isinstance(divisor, A.Number) and divisor.value == 0 and exponent < 0:
        raise ParseError("division by zero", span=span)
