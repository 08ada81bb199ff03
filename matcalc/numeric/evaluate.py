"""Numeric evaluation of expression trees with NumPy.

Every value is a 2-D array (a scalar is 1×1, a vector n×1), so one set of
rules covers all kinds.  ``d(E)`` evaluates as the directional derivative of
E along the tangents given for its symbols (central differences), which is
what lets the test suite check every differential rule numerically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import singledispatch

import numpy as np

from ..errors import LimitError, MatcalcError
from ..language import ast as A
from ..language import functions
from ..language.names import ascii_name
from ..lowering.builder import stable_log
from ..lowering.quotients import exp_quotient_fused
from . import interpret, structured


@dataclass
class Point:
    values: dict                      # symbol name → 2-D array
    sizes: dict                       # dimension name → int
    tangents: dict = field(default_factory=dict)
    step: float = 1e-6
    # Each distinct sub-expression's value at this point, computed once: a
    # program written out shares each named value's tree wherever it is used,
    # and is evaluated in the time of its statements (issue 24).
    memo: dict = field(default_factory=dict, compare=False, repr=False)


def evaluate(expr: A.Expr, point: Point) -> np.ndarray:
    # A fresh memo: the caller may change point.values between two calls.
    return _eval(expr, replace(point, memo={}))


def evaluate_named(names, answers: dict, point: Point, env=None) -> dict:
    """Each of ``answers`` (key → expression in the named values), with every
    named value computed once, in order (a backward pass: linear, however
    often a δ is used).  With the problem's ``env``, the lowered statements
    the generated code runs (``interpret``): the answers of ``evaluate`` and
    ``check()`` are the generated code's."""
    if env is not None:
        return interpret.evaluate_answers(names, answers, point.values, point.sizes, env)
    needed = set().union(*(A.symbol_names(expr) for expr in answers.values()))
    for name, definition in reversed(names):      # only what the answers use (not an unused statement)
        if name in needed:
            needed |= A.symbol_names(definition)
    values = dict(point.values)
    for name, definition in names:
        if name in needed:
            values[name] = _eval(definition, Point(values, point.sizes))
    with_names = Point(values, point.sizes)
    return {key: _eval(expr, with_names) for key, expr in answers.items()}


def answer_shape(kind: str, function: A.Expr, wrt: str, env, point: Point) -> tuple[int, int]:
    """The shape of a gradient (mixed layout), Jacobian ∂vec(F)/∂vec(X)^T or
    Hessian of ``function`` wrt ``wrt`` at ``point`` (SPEC §2)."""
    wrt_shape = point.values[wrt].shape
    if kind == "gradient":
        return wrt_shape
    unknowns = wrt_shape[0] * wrt_shape[1]
    if kind == "hessian":
        return unknowns, unknowns
    rows, cols = env.shape(function)
    return _dim(rows, point) * _dim(cols, point), unknowns


def _dim(dim, point: Point) -> int:
    return dim.value(point.sizes)


def _times(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if left.shape == (1, 1):
        return left[0, 0] * right
    if right.shape == (1, 1):
        return left * right[0, 0]
    return left @ right


def _scalar(value: np.ndarray) -> float:
    return value.reshape(-1)[0]


@singledispatch
def _eval(expr, point: Point) -> np.ndarray:
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


@_eval.register
def _(expr: A.Symbol, point):
    return point.values[expr.name]


_eval.register(A.PatternVar)(lambda expr, point: point.values[expr.name])


@_eval.register
def _(expr: A.Number, point):
    return np.array([[float(expr.value)]])


@_eval.register
def _(expr: A.DimValue, point):
    return np.array([[float(_dim(expr.dim, point))]])


MAX_ENTRIES = 2**26         # 512 MB of float64: a larger matrix is refused before it is allocated


def _fits(rows: int, cols: int) -> tuple[int, int]:
    if rows * cols > MAX_ENTRIES:
        raise LimitError(f"evaluating this needs a {rows:,}×{cols:,} matrix, more than the "
                         f"{MAX_ENTRIES:,} entries allowed")
    return rows, cols


@_eval.register
def _(expr: A.Ones, point):
    return np.ones(_fits(_dim(expr.rows, point), _dim(expr.cols, point)))


@_eval.register
def _(expr: A.Zero, point):
    return np.zeros(_fits(_dim(expr.rows, point), _dim(expr.cols, point)))


@_eval.register
def _(expr: A.Identity, point):
    size = _dim(expr.size, point)
    _fits(size, size)
    return np.eye(size)


@_eval.register
def _(expr: A.Add, point):
    values = [_eval(a, point) for a in expr.args]
    total = values[0]
    for value in values[1:]:
        total = total + value
    return total


@_eval.register
def _(expr: A.Product, point):
    # exp(E) / (exp(E) + K)^2 without inf / inf, as the lowering computes it (lowering/quotients.py)
    args = exp_quotient_fused(_ScalarTest(point), expr.args)
    # I ⊗ K ⊗ I, K, diag(v) act on their neighbours, never built (structured.py)
    values = [structured.operator(a, lambda sub: _eval(sub, point), lambda dim: _dim(dim, point))
              for a in args]
    values = [_eval(a, point) if value is None else value for a, value in zip(args, values)]
    # a 1×1 factor or partial product is a scalar (s^T q v): _times, and structured.chain beside operators
    return structured.chain(values, _times, _fits)


class _ScalarTest:
    """What exp_quotient_fused asks of a lowering, for a tree without types:
    whether a factor is a scalar (by its value, which the memo keeps)."""
    definitions: dict = {}

    def __init__(self, point):
        self.point = point

    def kind(self, factor) -> str:
        with np.errstate(over="ignore"):
            return "scalar" if _eval(factor, self.point).size == 1 else "array"


@_eval.register
def _(expr: A.Hadamard, point):
    result = _eval(expr.args[0], point)
    for arg in expr.args[1:]:
        result = result * _eval(arg, point)
    return result


@_eval.register
def _(expr: A.Kron, point):
    result = _eval(expr.args[0], point)
    for arg in expr.args[1:]:
        value = _eval(arg, point)
        _fits(result.shape[0] * value.shape[0], result.shape[1] * value.shape[1])
        result = np.kron(result, value)
    return result


_eval.register(A.Transpose)(lambda expr, point: _eval(expr.arg, point).T)

# Past this condition number an inverse has no correct digit left: the
# matrix is singular but for rounding (a repeated row rounds to a pivot of
# 1e-17, and inv returns entries of 1e16 instead of failing).
SINGULAR_CONDITION = 1e13


@_eval.register
def _(expr: A.Inverse, point):
    matrix = _eval(expr.arg, point)
    if np.all(np.isfinite(matrix)) and np.linalg.cond(matrix) > SINGULAR_CONDITION:
        raise np.linalg.LinAlgError("singular matrix")
    return np.linalg.inv(matrix)


@_eval.register
def _(expr: A.Power, point):
    base = _eval(expr.base, point)
    exponent = float(_scalar(_eval(expr.exponent, point)))
    if base.shape == (1, 1):
        return base ** exponent
    return np.linalg.matrix_power(base, int(exponent))


@_eval.register
def _(expr: A.ElemPow, point):
    return _eval(expr.base, point) ** _scalar(_eval(expr.exponent, point))


@_eval.register
def _(expr: A.Func, point):
    stable = stable_log(expr)
    if stable is not None:
        # log σ(z) = -log(1 + e^{-z}) (log of a σ(z) rounded near 1 loses every
        # digit of the small answer), log softmax, logsumexp: as the generated code
        kind, z, negated = stable
        value = interpret.STABLE_LOGS[kind](-_eval(z, point) if negated else _eval(z, point))
        return value.reshape(1, -1) if kind == "logsumexp" else value      # a row here, 1-D in the lowering
    return functions.elementwise(expr.name).numpy(np, _eval(expr.arg, point))


def _softmax(z):
    """Column by column, shifted by each column's largest entry (no overflow)."""
    shifted = np.exp(z - z.max(axis=0, keepdims=True))
    return shifted / shifted.sum(axis=0, keepdims=True)


_eval.register(A.Softmax)(lambda expr, point: _softmax(_eval(expr.arg, point)))


@_eval.register
def _(expr: A.LogSoftmax, point):
    z = _eval(expr.arg, point)
    top = z.max(axis=0, keepdims=True)
    return z - (top + np.log(np.exp(z - top).sum(axis=0, keepdims=True)))


_eval.register(A.Trace)(lambda expr, point: np.array([[np.trace(_eval(expr.arg, point))]]))
_eval.register(A.Det)(lambda expr, point: np.array([[np.linalg.det(_eval(expr.arg, point))]]))


@_eval.register
def _(expr: A.LogDet, point):
    sign, logabs = np.linalg.slogdet(_eval(expr.arg, point))
    return np.array([[logabs if sign > 0 else np.nan]])


_eval.register(A.Sum)(lambda expr, point: np.array([[_eval(expr.arg, point).sum()]]))
_eval.register(A.Mean)(lambda expr, point: np.array([[_eval(expr.arg, point).mean()]]))
_eval.register(A.Norm)(lambda expr, point: np.array([[np.linalg.norm(_eval(expr.arg, point))]]))


@_eval.register
def _(expr: A.Diag, point):
    value = _eval(expr.arg, point)
    if value.shape[1] == 1:
        _fits(value.shape[0], value.shape[0])
        return np.diag(value[:, 0])
    return structured.diagonal(value)


_eval.register(A.Vec)(lambda expr, point: _eval(expr.arg, point).reshape(-1, 1, order="F"))


@_eval.register
def _(expr: A.Unvec, point):
    shape = (_dim(expr.rows, point), _dim(expr.cols, point))
    return _eval(expr.arg, point).reshape(shape, order="F")


@_eval.register
def _(expr: A.Commutation, point):
    rows, cols = _dim(expr.rows, point), _dim(expr.cols, point)
    _fits(rows * cols, rows * cols)
    return np.eye(rows * cols)[structured.commutation_source(rows, cols)]


@_eval.register
def _(expr: A.Differential, point):
    if isinstance(expr.arg, (A.Symbol, A.PatternVar)):
        tangent = point.tangents.get(expr.arg.name)
        if tangent is not None:
            return tangent
        return np.zeros_like(_eval(expr.arg, point))
    h = point.step
    def moved(sign):
        values = {name: value + sign * h * point.tangents[name] if name in point.tangents else value
                  for name, value in point.values.items()}
        return _eval(expr.arg, Point(values, point.sizes, point.tangents, point.step))
    return (moved(+1) - moved(-1)) / (2 * h)


_eval_once = _eval


def _eval(expr, point: Point) -> np.ndarray:      # every evaluation above recurses through here
    known = point.memo.get(expr)
    if known is None:
        known = point.memo[expr] = _eval_once(expr, point)
    return known


def bind_values(values, names, env, keep_dtype: bool = False) -> tuple[Point, dict]:
    """The Point of a user's values (SPEC §4 ``evaluate``): numbers, vectors as
    1-D arrays or n×1 columns, matrices; names as written (``Σ``) or spelled
    (``Sigma``).  Sizes bind the symbolic dimensions and must agree with each
    other and with declared sizes.  Returns (point, the shapes as given).
    Values are copied as float64, or with ``keep_dtype`` float32 stays float32
    (evaluate: float32 in, float32 out, as the generated code)."""
    if not isinstance(values, Mapping):
        raise MatcalcError("evaluate takes a dict: symbol name → number or array")
    given = {}
    for key, value in values.items():
        name = ascii_name(str(key))
        if name in given:
            raise MatcalcError(f"evaluate was given {name} twice (as {key} and as another spelling)")
        given[name] = value
    arrays, shapes, sizes, set_by = {}, {}, {}, {}
    for name in names:
        if name not in given:
            raise MatcalcError(f"evaluate needs a value for {name}")
        not_numbers = MatcalcError(f"the value of {name} is not a number or an array of numbers")
        if given[name] is None:
            raise not_numbers
        try:
            array = np.asarray(given[name])
        except (TypeError, ValueError):              # a ragged list
            raise not_numbers from None
        if array.dtype.kind not in "iuf":             # text ("2" too), None, booleans, complex numbers
            raise not_numbers
        if array.size == 0:
            raise MatcalcError(f"the value of {name} has no entries")
        # float32 and float64 are kept; others are float64 (LAPACK has no float16 or long double)
        array = array.astype(array.dtype if keep_dtype and array.dtype in (np.float32, np.float64) else float)
        if array.ndim > 2:
            raise MatcalcError(f"the value of {name} has {array.ndim} dimensions; matcalc takes "
                               "numbers, vectors and matrices")
        shapes[name] = array.shape
        array = array.reshape(1, 1) if array.ndim == 0 else array.reshape(-1, 1) if array.ndim == 1 else array
        info = env.symbols[name]
        for dim, size in zip((info.rows, info.cols), array.shape):
            if not dim.names and dim.coef != size:
                raise MatcalcError(f"{name} has {size} where its shape says {dim.coef} "
                                   f"({name} is {info.rows}×{info.cols})")
            if len(dim.names) == 1 and dim.coef == 1:
                known = dim.names[0]
                if sizes.setdefault(known, size) != size:
                    given_shape = "×".join(str(n) for n in array.shape)
                    raise MatcalcError(f"{name} is {given_shape}, but {name} is {info.rows}×{info.cols} with "
                                       f"{known} = {sizes[known]} (from {set_by[known]})")
                set_by.setdefault(known, name)
        arrays[name] = array
    return Point(arrays, sizes), shapes
