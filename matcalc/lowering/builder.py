"""Expression trees → array statements, every value computed once.

Value numbering: a statement is known by (kind, arguments, parameters), so a
sub-expression met again — written out in an answer, or under another name —
is the value already computed.  Named values keep the program's names and
the δ names of SPEC §7; anything else is a temporary the emitters may
inline.  Products are ordered by ``products``; this module does the rest.
"""

from __future__ import annotations

from fractions import Fraction
from functools import singledispatchmethod

from ..errors import InternalError
from ..language import ast as A
from ..shapes.env import TypeEnv
from .products import product, sum_of_exp
from .program import Op, python_name

# The language's entrywise names that the array vocabulary spells otherwise.
ELEMENTWISE = {"sigma": "sigmoid"}


class Builder:
    """The statements of one function."""

    def __init__(self, env: TypeEnv, taken=()):
        self.env = env
        self.ops: list[Op] = []
        self.op_of: dict[str, Op] = {}
        self._by_key: dict = {}
        self._by_expr: dict = {}
        self.scope: dict = {}            # symbol name → value name; Differential → direction
        self.definitions: dict = {}      # name → the expression it was bound to
        self._taken = set(taken) | set(env.symbols)         # a temporary never takes a program's name (t1)
        self._count = 0

    # ---- statements
    def emit(self, kind: str, args=(), params=()) -> str:
        args, params = tuple(args), tuple(params)
        if kind in ("neg", "transpose") and getattr(self.op_of.get(args[0]), "kind", None) == kind:
            return self.op_of[args[0]].args[0]            # -(-a) = a, (A^T)^T = A
        if kind == "mul" and any(self._is_one(arg) for arg in args):
            return next((arg for arg in args if not self._is_one(arg)), args[0])     # 1 a = a
        # commutative: one key for both orders, the statement in the order written
        key = (kind, tuple(sorted(args)) if kind in ("add", "mul") else args, params)
        if key not in self._by_key:
            self._count += 1
            while f"t{self._count}" in self._taken:
                self._count += 1
            op = Op(f"t{self._count}", kind, args, params)
            self.ops.append(op)
            self.op_of[op.name] = op
            self._by_key[key] = op.name
        return self._by_key[key]

    def _is_one(self, value) -> bool:
        op = self.op_of.get(value)
        return op is not None and op.kind == "const" and op.params[0] == 1

    def const(self, value) -> str:
        return self.emit("const", (), (Fraction(value),))

    def bind(self, name: str, expr: A.Expr, note: tuple = ()) -> str:
        """``name = expr``: the last statement takes the name, or the name is
        another name for a value computed before."""
        start, symbol, name = len(self.ops), name, python_name(name)
        self.definitions[symbol] = expr
        value = self.lower(expr)
        last = self.ops[-1] if self.ops else None
        if last is not None and last.name == value and len(self.ops) > start and not last.named \
                and last.kind not in ("const", "size"):
            renamed = Op(name, last.kind, last.args, last.params, True, note)
            self.ops[-1] = renamed
            del self.op_of[value]
            self.op_of[name] = renamed
            for key, known in list(self._by_key.items()):
                if known == value:
                    self._by_key[key] = name
            for expr_key, known in list(self._by_expr.items()):
                if known == value:
                    self._by_expr[expr_key] = name
            value = name
        self._taken.add(name)
        self.scope[symbol] = value
        return value

    def shape(self, expr):
        if isinstance(expr, A.Differential):
            return self.env.shape(expr.arg)
        return self.env.shape(expr)

    def kind(self, expr) -> str:
        rows, cols = self.shape(expr)
        if rows.is_one and cols.is_one:
            return "scalar"
        return "vector" if cols.is_one else "row" if rows.is_one else "matrix"

    # ---- expressions
    def lower(self, expr: A.Expr) -> str:
        known = self._by_expr.get(expr)
        if known is None:
            known = self._by_expr[expr] = self._lower(expr)
        return known

    @singledispatchmethod
    def _lower(self, expr) -> str:
        raise InternalError(f"code generation does not know {type(expr).__name__}")

    @_lower.register
    def _(self, expr: A.Symbol):
        if expr.name not in self.scope:
            raise InternalError(f"code generation met {expr.name} before its value")
        return self.scope[expr.name]

    @_lower.register
    def _(self, expr: A.Differential):
        return self.scope[expr]

    @_lower.register
    def _(self, expr: A.Number):
        return self.const(expr.value)

    @_lower.register
    def _(self, expr: A.DimValue):
        return self.emit("size", (), (expr.dim,))

    @_lower.register
    def _(self, expr: A.Ones):
        return self.emit("ones", (), self.shape(expr))

    @_lower.register
    def _(self, expr: A.Zero):
        rows, cols = self.shape(expr)
        return self.const(0) if rows.is_one and cols.is_one else self.emit("zeros", (), (rows, cols))

    @_lower.register
    def _(self, expr: A.Identity):
        return self.emit("eye", (), (self.shape(expr)[0],))

    @_lower.register
    def _(self, expr: A.Add):
        return self.sum_of([A.split_coefficient(term) for term in expr.args])

    def sum_of(self, terms) -> str:
        """Σ c_i t_i from (coefficient, expression or value name) pairs; a
        negative coefficient is a subtraction, an all-ones term the number 1
        (it broadcasts), a v 1^T term the column v[:, None]."""
        total = None
        for coefficient, term in terms:
            if term is None:                          # a number alone: t - 2, not t + -2
                value, coefficient = self.const(abs(coefficient)), Fraction(1 if coefficient >= 0 else -1)
            elif isinstance(term, A.Ones):
                value = self.const(1)
            else:
                value = term if isinstance(term, str) else self.lower(term)
            value = self._broadcastable(value)
            if total is None:
                total = self.scaled(coefficient, value)
            elif coefficient < 0:
                total = self.emit("sub", (total, self.scaled(-coefficient, value)))
            else:
                total = self.emit("add", (total, self.scaled(coefficient, value)))
        return self._broadcastable(total, undo=True)

    def _broadcastable(self, value: str, undo: bool = False) -> str:
        """v 1^T inside a sum is v[:, None] (no copy); a sum that is nothing else
        is expanded back to its full shape."""
        op = self.op_of.get(value)
        if op is None:
            return value
        if not undo and op.kind == "expand_cols":
            return self.emit("as_column", op.args, op.params)
        if undo and op.kind == "as_column":
            return self.emit("expand_cols", op.args, op.params)
        return value

    def scaled(self, coefficient, value: str) -> str:
        coefficient = Fraction(coefficient)
        if coefficient == 1:
            return value
        if coefficient == -1:
            return self.emit("neg", (value,))
        op = self.op_of.get(value)
        if op is not None and op.kind == "const":
            return self.const(coefficient * op.params[0])
        return self.emit("mul", (self.const(coefficient), value))

    @_lower.register
    def _(self, expr: A.Product):
        return product(self, expr)

    @_lower.register
    def _(self, expr: A.Hadamard):
        factors = [arg for arg in expr.args if not isinstance(arg, A.Ones)]
        value = self.lower(factors[0])
        for arg in factors[1:]:
            value = self.emit("mul", (value, self.lower(arg)))
        return value

    @_lower.register
    def _(self, expr: A.Kron):
        # a 1-D operand of kron is read as a row: a column vector is made a column first
        operands = [self.emit("as_column", (self.lower(arg),)) if self.kind(arg) == "vector" else self.lower(arg)
                    for arg in expr.args]
        value = operands[0]
        for operand in operands[1:]:
            value = self.emit("kron", (value, operand))
        return self.emit("vec", (value,)) if self.kind(expr) == "vector" else value

    @_lower.register
    def _(self, expr: A.Transpose):
        if self.kind(expr.arg) != "matrix":
            return self.lower(expr.arg)          # a vector is 1-D either way, a scalar 0-d
        return self.emit("transpose", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.Inverse):
        if self.kind(expr.arg) == "scalar":
            return self.emit("div", (self.const(1), self.lower(expr.arg)))
        return self.emit("inv", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.Power):
        if isinstance(expr.base, A.Norm) and expr.exponent == A.number(2):
            return self.emit("sumsq", (self.lower(expr.base.arg),))     # ||x||^2 without a square root
        if self.kind(expr.base) == "scalar":
            if expr.exponent == A.MINUS_ONE:
                return self.emit("div", (self.const(1), self.lower(expr.base)))
            return self.emit("pow", (self.lower(expr.base), self.lower(expr.exponent)))
        power = int(expr.exponent.value)
        base = self.lower(expr.base) if power > 0 else self.emit("inv", (self.lower(expr.base),))
        return base if abs(power) == 1 else self.emit("matrix_power", (base,), (abs(power),))

    @_lower.register
    def _(self, expr: A.ElemPow):
        return self.emit("pow", (self.lower(expr.base), self.lower(expr.exponent)))

    @_lower.register
    def _(self, expr: A.Func):
        stable = stable_log(expr) or (stable_log(self._squashed_written_out(expr)) if expr.name == "log" else None)
        if stable is not None:
            kind, z, negated = stable
            value = self.emit("neg", (self.lower(z),)) if negated else self.lower(z)
            return self.emit("func", (value,), (kind,)) if kind == "log_sigmoid" else self.emit(kind, (value,))
        return self.emit("func", (self.lower(expr.arg),), (ELEMENTWISE.get(expr.name, expr.name),))

    def _squashed_written_out(self, log: A.Func) -> A.Func:
        """log(1 - p) of a named p = σ(z) (or softmax(z)) as log(1 - σ(z)): computed
        from the rounded p, it loses every digit where p rounds to 1 (a backward
        pass's δ of a BCE label: log(1 - p1) - log(p1))."""
        squashed = {A.Symbol(name): definition for name, definition in self.definitions.items()
                    if isinstance(definition, A.Softmax) or (isinstance(definition, A.Func) and definition.name == "sigma")}
        return A.with_children(log, [A.substitute(log.arg, squashed)]) if squashed else log

    @_lower.register
    def _(self, expr: A.Softmax):
        return self.emit("softmax", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.LogSoftmax):
        return self.emit("log_softmax", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.LogDet):
        info = self.env.symbols.get(expr.arg.name) if isinstance(expr.arg, A.Symbol) else None
        kind = "logdet_pd" if info is not None and info.positive_definite else "logdet"
        return self.emit(kind, (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.Diag):
        if self.kind(expr.arg) == "scalar":       # diag of a 1×1 value is that value, a number here
            return self.lower(expr.arg)
        if self.kind(expr.arg) == "vector":
            return self.emit("diag_matrix", (self.lower(expr.arg),))
        return self.emit("diag_vector", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.Vec):
        if self.kind(expr.arg) != "matrix":
            return self.lower(expr.arg)
        return self.emit("vec", (self.lower(expr.arg),))

    @_lower.register
    def _(self, expr: A.Unvec):
        rows, cols = self.shape(expr)
        return self.emit("unvec", (self.lower(expr.arg),), (rows, cols))

    @_lower.register
    def _(self, expr: A.Commutation):
        rows, cols = self.shape(expr)
        return self.emit("commute", (self.emit("eye", (), (rows,)),), (expr.rows, expr.cols))


def _unary(kind):
    def lower(self, expr):
        return self.emit(kind, (self.lower(expr.arg),))
    return lower


for _node, _kind in ((A.Trace, "trace"), (A.Det, "det"), (A.Sum, "sum"), (A.Mean, "mean"), (A.Norm, "norm")):
    Builder._lower.register(_node)(_unary(_kind))


def stable_log(expr: A.Expr):
    """log of what overflows or rounds to 0 before the log is taken, as
    (kind, z, negated): log σ(z) and log(1 - σ(z)) = log σ(-z) are
    log_sigmoid, log softmax(z) is log_softmax, log 1^T exp(z) is logsumexp;
    else None.  evaluate asks the same question (numeric.evaluate)."""
    if not (isinstance(expr, A.Func) and expr.name == "log"):
        return None
    arg = expr.arg
    if isinstance(arg, A.Func) and arg.name == "sigma":
        return "log_sigmoid", arg.arg, False
    if isinstance(arg, A.Softmax):
        return "log_softmax", arg.arg, False
    if sum_of_exp(arg) is not None:
        return "logsumexp", sum_of_exp(arg), False
    if _one_minus_sigma(arg) is not None:
        return "log_sigmoid", _one_minus_sigma(arg), True
    return None


def _one_minus_sigma(expr):
    """z of 1 - σ(z) (or 1 1^T - σ(Z) for a matrix Z), else None."""
    if isinstance(expr, A.Add) and len(expr.args) == 2 and _all_ones(expr.args[0]):
        coefficient, rest = A.split_coefficient(expr.args[1])
        if coefficient == -1 and isinstance(rest, A.Func) and rest.name == "sigma":
            return rest.arg
    return None


def _all_ones(expr) -> bool:
    """1 (the number or the all-ones vector) or the all-ones matrix 1 1^T."""
    if isinstance(expr, A.Number):
        return expr.value == 1
    if isinstance(expr, A.Product) and len(expr.args) == 2:
        left, right = expr.args
        return isinstance(left, A.Ones) and isinstance(right, A.Transpose) and isinstance(right.arg, A.Ones)
    return isinstance(expr, A.Ones)
