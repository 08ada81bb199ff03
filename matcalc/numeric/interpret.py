"""NumPy runs the lowered statements (``matcalc.lowering``): the answers that
``evaluate`` and ``check()`` compute are the generated code's statements, so
the two cannot disagree.

The interpreter adds only what a library call cannot know: a matrix too
large to allocate is refused before it is (``MAX_ENTRIES``), and a matrix
that is singular but for rounding is refused before it is inverted or
solved with (``SINGULAR_CONDITION``).
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..errors import LimitError
from ..language import ast as A
from ..language import functions
from ..lowering.builder import Builder
from ..lowering.program import Op
from .structured import commutation_source

MAX_ENTRIES = 2**26         # 512 MB of float64, as evaluate
SINGULAR_CONDITION = 1e13   # past this an inverse has no correct digit left


def run(ops, values: dict, sizes: dict, dtype=np.float64) -> dict:
    """name → value of every statement, in order; ``values`` holds the inputs,
    and the arrays a statement makes (ones, zeros, I) are of ``dtype``."""
    values = dict(values)
    for op in ops:
        values[op.name] = _one(op, [None if a is None else values[a] for a in op.args], sizes, dtype)
    return values


def _fits(*shape) -> tuple:
    if prod(shape) > MAX_ENTRIES:
        raise LimitError(f"evaluating this needs a {' × '.join(f'{n:,}' for n in shape)} array, more than the "
                         f"{MAX_ENTRIES:,} entries allowed")
    return shape


def _regular(matrix):
    if np.all(np.isfinite(matrix)) and np.linalg.cond(matrix) > SINGULAR_CONDITION:
        raise np.linalg.LinAlgError("singular matrix")
    return matrix


def _array_shape(params, sizes) -> tuple:
    rows, cols = params
    dims = [dim.value(sizes) for dim in (rows, cols) if not dim.is_one]
    return _fits(*dims) if dims else ()


def _elementwise(name, x):
    if name == "log_sigmoid":                      # log σ(z) = -log(1 + e^{-z})
        return STABLE_LOGS[name](x)
    return functions.elementwise("sigma" if name == "sigmoid" else name).numpy(np, x)


def _softmax(z):
    e = np.exp(z - z.max(axis=0))
    return e / e.sum(axis=0)


def _log_softmax(z):
    shifted = z - z.max(axis=0)
    return shifted - np.log(np.exp(shifted).sum(axis=0))


def _logsumexp(z):
    top = z.max(axis=0)
    return top + np.log(np.exp(z - top).sum(axis=0))


def _logdet(matrix):
    sign, logabs = np.linalg.slogdet(matrix)
    return logabs if sign > 0 else np.nan


STABLE_LOGS = {"log_sigmoid": lambda z: -np.logaddexp(0, -z), "log_softmax": _log_softmax,
               "logsumexp": _logsumexp}


def _kron_apply(parts, sizes, permutations, r):
    tensor = r.reshape(tuple(sizes) + (-1,))
    for axis, (part, swap) in enumerate(zip(parts, permutations)):
        if swap:
            moved = np.moveaxis(tensor, axis, 0)
            permuted = _commute(moved.reshape(moved.shape[0], -1), *swap).reshape(moved.shape)
            tensor = np.moveaxis(permuted, 0, axis)
        elif part is not None:
            tensor = np.moveaxis(np.tensordot(part, tensor, axes=([1], [axis])), 0, axis)
    return tensor.reshape((-1,) + r.shape[1:])


def _outer(u, v):
    _fits(u.size, v.size)
    return np.outer(u, v)


def _matmul(a, b):
    if a.ndim == 2 and b.ndim == 2:
        _fits(a.shape[0], b.shape[1])
    return a @ b


def _kron(a, b):
    _fits(np.size(a), np.size(b))
    return np.kron(a, b)


def _commute(r, m, n):
    return r[commutation_source(m, n)]


BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "matmul": _matmul,
    "dot": np.dot, "outer": _outer, "row_scale": lambda v, a: v[:, None] * a, "col_scale": np.multiply,
    "pow": np.power, "solve": lambda a, b: np.linalg.solve(_regular(a), b), "kron": _kron,
}
UNARY = {
    "neg": np.negative, "transpose": lambda a: a.T, "as_column": lambda v: v[:, None],
    "sum": np.sum, "sum_rows": lambda a: a.sum(axis=1), "sum_cols": lambda a: a.sum(axis=0), "mean": np.mean,
    "softmax": _softmax, "log_softmax": _log_softmax, "logsumexp": _logsumexp,
    "inv": lambda a: np.linalg.inv(_regular(a)), "trace": np.trace, "det": np.linalg.det,
    "logdet": _logdet, "logdet_pd": _logdet, "norm": np.linalg.norm, "sumsq": lambda a: np.sum(a * a),
    "diag_vector": np.diagonal, "vec": lambda a: a.T.reshape(-1),
}


def _one(op: Op, args, sizes, dtype):
    kind, params = op.kind, op.params
    if kind in BINARY:
        return BINARY[kind](*args)
    if kind in UNARY:
        return UNARY[kind](*args)
    if kind == "const":
        return float(params[0])
    if kind == "size":
        return float(params[0].value(sizes))
    if kind in ("ones", "zeros"):
        return (np.ones if kind == "ones" else np.zeros)(_array_shape(params, sizes), dtype=dtype)
    if kind == "eye":
        n = params[0].value(sizes)
        return np.eye(*_fits(n, n), dtype=dtype)
    if kind == "func":
        return _elementwise(params[0], args[0])
    if kind == "matrix_power":
        return np.linalg.matrix_power(args[0], params[0])
    if kind == "diag_matrix":
        _fits(args[0].size, args[0].size)
        return np.diag(args[0])
    if kind == "unvec":
        rows, cols = (dim.value(sizes) for dim in params)
        return args[0].reshape(cols, rows).T
    if kind == "reshape":
        return np.reshape(args[0], tuple(dim.value(sizes) for dim in params))
    if kind in ("expand_cols", "expand_rows"):
        shape = tuple(dim.value(sizes) for dim in params)
        return np.broadcast_to(args[0][:, None] if kind == "expand_cols" else args[0], _fits(*shape))
    if kind == "commute":
        return _commute(args[0], *(dim.value(sizes) for dim in params))
    if kind == "kron_apply":
        permutations = [swap and tuple(dim.value(sizes) for dim in swap) for swap in params[-1]]
        return _kron_apply(args[:-1], [dim.value(sizes) for dim in params[:-2]], permutations, args[-1])
    raise NotImplementedError(f"the interpreter does not run '{kind}'")


def evaluate_answers(names, answers: dict, values: dict, sizes: dict, env) -> dict:
    """Each of ``answers`` (key → expression in the named values) as a 2-D
    array, from the lowered statements: every named value computed once, in
    order, and only those the answers use."""
    inputs = {name: _as_lowered(value, env.symbols.get(name)) for name, value in values.items()}
    key = (tuple(names), tuple(answers.items()), tuple(sorted(values)))
    memo = env.memo_for("lowered answers")          # lowered once per derivation, not per call
    if key not in memo:
        memo[key] = _lowered(names, answers, values, env)
    ops, lowered = memo[key]
    dtype = np.result_type(*inputs.values()) if inputs else np.float64   # float32 in, float32 out
    computed = run(ops, inputs, sizes, dtype)
    found = {}
    for key, expr in answers.items():
        rows, cols = (dim.value(sizes) for dim in env.shape(expr))
        value = np.asarray(computed[lowered[key]], dtype=dtype)
        found[key] = (np.broadcast_to(value, (rows, cols)) if value.size == 1 else value).reshape(rows, cols).copy()
    return found


def _lowered(names, answers: dict, values, env) -> tuple:
    """(the statements, answer key → its value's name)."""
    needed = set().union(*(A.symbol_names(expr) for expr in answers.values()))
    for name, definition in reversed(names):
        if name in needed:
            needed |= A.symbol_names(definition)
    builder = Builder(env, taken=set(values) | {name for name, _ in names})
    for name in values:
        builder.scope[name] = name
    for name, definition in names:
        if name in needed and name not in values:
            builder.bind(name, definition)
    lowered = {key: builder.lower(expr) for key, expr in answers.items()}
    return tuple(builder.ops), lowered


def _as_lowered(value, info):
    """A 2-D value (evaluate's convention) in the lowering's: vectors 1-D, scalars 0-d."""
    if info is None or not (info.rows.is_one or info.cols.is_one):
        return value
    if info.rows.is_one and info.cols.is_one:
        return value.reshape(())
    return value.reshape(-1)
