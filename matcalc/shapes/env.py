"""The type environment: the shapes and assumptions of one problem's symbols,
and the shape of any typed expression."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import LimitError
from ..language import ast as A
from ..language import index_ast as I
from ..language.limits import MAX_WORK
from .dims import ONE, Dim, Shape


@dataclass
class SymbolType:
    kind: str                        # scalar | vector | matrix
    rows: Dim
    cols: Dim
    symmetric: bool = False
    positive_definite: bool = False
    probability: bool = False


@dataclass
class TypeEnv:
    """Shapes and assumptions of the symbols of one problem.

    ``memo`` holds, for the passes above (canonical forms, comparison forms),
    results that are pure functions of an expression and this environment:
    one table per pass, named by the pass, living as long as the problem.
    ``work`` counts what those passes did (``spend``)."""
    symbols: dict[str, SymbolType] = field(default_factory=dict)
    free_dims: dict[str, str] = field(default_factory=dict)   # sizes no symbol fixes: {"n": "I"}
    _shapes: dict = field(default_factory=dict, repr=False)
    _scalars: dict = field(default_factory=dict, repr=False, compare=False)   # expr → is_scalar
    memo: dict[str, dict] = field(default_factory=dict, repr=False)
    work: int = field(default=0, repr=False)

    def memo_for(self, purpose: str) -> dict:
        return self.memo.setdefault(purpose, {})

    def spend(self, units: int) -> None:
        """Count rewriting work for this problem; past MAX_WORK the call is
        refused (README "Limits"), the same on every machine."""
        self.work += units
        if self.work > MAX_WORK:
            raise LimitError(
                f"the derivation needs more than {MAX_WORK:,} units of rewriting work and was stopped; "
                "a sum of many terms that share nothing can be derived a few terms at a time")

    def memoized(self, purpose: str, expr: A.Expr, compute):
        """``compute(expr, self)``, once per expression for this problem."""
        table = self.memo_for(purpose)
        known = table.get(expr)
        if known is None:
            known = table[expr] = compute(expr, self)
        return known

    def shape(self, expr: A.Expr) -> Shape:
        cached = self._shapes.get(expr)
        if cached is None:
            cached = self._shapes[expr] = _shape_of(expr, self)
        return cached

    def is_scalar(self, expr) -> bool:
        # The most asked question of every pass: one look-up once answered.
        known = self._scalars.get(expr)
        if known is None:
            rows, cols = self.shape(expr)
            known = self._scalars[expr] = rows.is_one and cols.is_one
        return known

    def is_vector(self, expr) -> bool:
        rows, cols = self.shape(expr)
        return cols.is_one and not rows.is_one

    def is_row(self, expr) -> bool:
        rows, cols = self.shape(expr)
        return rows.is_one and not cols.is_one

    def is_square(self, expr) -> bool:
        rows, cols = self.shape(expr)
        return rows == cols

    def is_matrix(self, expr) -> bool:
        rows, cols = self.shape(expr)
        return not rows.is_one and not cols.is_one

    def symmetric(self, expr) -> bool:
        """Known symmetric (SPEC §2 Structure): a declared symmetric symbol, I,
        diag(v), M^T M, M M^T, M^T S M and every product that reads the same
        transposed, sums and scalar multiples of symmetric matrices, and their
        inverses and powers."""
        while isinstance(expr, (A.Inverse, A.Power)):
            expr = expr.arg if isinstance(expr, A.Inverse) else expr.base
        if isinstance(expr, A.Identity):
            return True
        if isinstance(expr, A.Diag):
            return self.is_vector(expr.arg)
        if isinstance(expr, (A.Hadamard, A.Add, A.Kron)):   # (A ⊗ B)^T = A^T ⊗ B^T
            return all(self.symmetric(a) for a in expr.args)
        if isinstance(expr, A.Product):
            # (a1 ... ak)^T = ak^T ... a1^T: symmetric when a_i^T = a_(k+1-i).
            factors = [f for f in expr.args if not self.is_scalar(f)]
            if not factors or not self.is_square(expr):
                return False
            pairs = zip(factors[:len(factors) // 2], reversed(factors))
            middle = factors[len(factors) // 2] if len(factors) % 2 else None
            return all(self._mirrored(a, b) for a, b in pairs) and (middle is None or self.symmetric(middle))
        return isinstance(expr, A.Symbol) and expr.name in self.symbols and (
            self.symbols[expr.name].symmetric or self.symbols[expr.name].positive_definite)

    def _mirrored(self, a, b) -> bool:
        """a = b^T, with the transpose where canonical forms put it (into ⊙ and
        + operands, reversing products, dropped from symmetric matrices and
        turning 1 into 1^T), or both the same symmetric matrix."""
        return (_unordered(a) == _unordered(self._transposed(b)) or a == A.Transpose(b) or b == A.Transpose(a)
                or (a == b and self.symmetric(a)))

    def _transposed(self, expr):
        """expr^T pushed in as far as structure allows: (A ⊙ B)^T = A^T ⊙ B^T,
        (A + B)^T = A^T + B^T, (A ⊗ B)^T = A^T ⊗ B^T, (A B)^T = B^T A^T,
        (A^T)^T = A, S^T = S for every S known symmetric."""
        if isinstance(expr, A.Transpose):
            return expr.arg
        if isinstance(expr, A.Ones) and expr.rows is not None:
            return A.Ones(expr.cols, expr.rows)
        if isinstance(expr, (A.Hadamard, A.Add, A.Kron)):       # (A ⊗ B)^T = A^T ⊗ B^T too
            return type(expr)(tuple(self._transposed(a) for a in expr.args))
        if isinstance(expr, A.Product):
            # scalars stay in front, as canon puts them: (γ W)^T = γ W^T
            scalars = [a for a in expr.args if self.is_scalar(a)]
            return A.Product(tuple(scalars) + tuple(self._transposed(a) for a in reversed(expr.args)
                                                    if not self.is_scalar(a)))
        if isinstance(expr, (A.Number, A.DimValue)) or self.symmetric(expr):
            return expr                   # also K^{-1} of a symmetric K and diag(v), as canon leaves them
        return A.Transpose(expr)

    def probability(self, expr) -> bool:
        return isinstance(expr, A.Symbol) and expr.name in self.symbols and self.symbols[expr.name].probability

    def add_symbol(self, name: str, shape: Shape, kind: str | None = None, **flags) -> None:
        rows, cols = shape
        if kind is None:
            kind = "scalar" if rows.is_one and cols.is_one else "vector" if cols.is_one else "matrix"
        self.symbols[name] = SymbolType(kind, rows, cols, **flags)

    def dim_names(self) -> list[str]:
        names = []
        for symbol in self.symbols.values():
            for dim in (symbol.rows, symbol.cols):
                for name in dim.names:
                    if name not in names:
                        names.append(name)
        return names + [name for name in self.free_dims if name not in names]


def _unordered(expr):
    """expr with the terms of its sums and ⊙ products in one order (they commute)."""
    kids = A.children(expr)
    if not kids:
        return expr
    kids = [_unordered(k) for k in kids]
    if isinstance(expr, (A.Add, A.Hadamard)):
        kids = sorted(kids, key=A.order_key)
    return A.with_children(expr, kids)


def _shape_of(expr, env: TypeEnv) -> Shape:
    """The shape of a typed expression (assumed well formed)."""
    t = type(expr)
    if t is A.Symbol:
        info = env.symbols[expr.name]
        return info.rows, info.cols
    if t in (A.Number, A.DimValue):
        return ONE, ONE
    if t in (A.Ones, A.Zero):
        return expr.rows, expr.cols
    if t is A.Identity:
        return expr.size, expr.size
    if t is A.Commutation:
        size = expr.rows * expr.cols
        return size, size
    if t is A.Unvec:
        return expr.rows, expr.cols
    if t is A.Add:
        for arg in expr.args:
            if not (type(arg) is A.Number and arg.value == 0):
                return env.shape(arg)
        return ONE, ONE
    if t is A.Hadamard:
        # a scalar operand scales (α ⊙ x is α x): the shape is the others'
        for arg in expr.args:
            shape = env.shape(arg)
            if not (shape[0].is_one and shape[1].is_one):
                return shape
        return ONE, ONE
    if t is A.Product:
        rows = cols = ONE
        for arg in expr.args:
            r, c = env.shape(arg)
            if r.is_one and c.is_one:
                continue
            if rows.is_one and cols.is_one:
                rows, cols = r, c        # after a 1×1 partial product the chain restarts
            else:
                cols = c
        return rows, cols
    if t is A.Kron:
        rows, cols = ONE, ONE
        for arg in expr.args:
            r, c = env.shape(arg)
            rows, cols = rows * r, cols * c
        return rows, cols
    if t is A.Transpose:
        rows, cols = env.shape(expr.arg)
        return cols, rows
    if t in (A.Inverse, A.Func, A.Softmax, A.LogSoftmax, A.Differential):
        return env.shape(expr.arg)
    if t in (A.Power, A.ElemPow):
        return env.shape(expr.base)
    if t in (A.Trace, A.Det, A.LogDet, A.Sum, A.Mean, A.Norm, I.Entry, I.IndexSum, I.Delta):
        return ONE, ONE
    if t is A.Diag:
        rows, cols = env.shape(expr.arg)
        return (rows, rows) if cols.is_one else (rows, ONE)
    if t is A.Vec:
        rows, cols = env.shape(expr.arg)
        return rows * cols, ONE
    if t is A.PatternVar:
        info = env.symbols.get(expr.name)
        if info is None:
            raise KeyError(expr.name)
        return info.rows, info.cols
    raise TypeError(f"no shape for {t.__name__}")


