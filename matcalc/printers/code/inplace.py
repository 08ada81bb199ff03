"""Writing into an array that dies (NumPy): ``H1 = np.tanh(A1, out=A1)``.

An array a function computed itself, which no later statement reads, is a
buffer the next entrywise statement of its shape can write into: no new
array is allocated and the one already in the cache is reused (NumPy frees
and re-allocates a new array for every value otherwise: on the benchmark's
tanh network in float64 a new array costs as much as a tanh of it).

NumPy already reuses a temporary on the left of ``+ - * /`` (and on either
side of ``+ *``); a temporary on the right of ``-``, ``/``, ``**`` or inside a
function (tanh' = ``1 - H ** 2``) it cannot, so such a temporary is made a
statement of its own (``promoted``) for the next statement to write into.

Only what is certain is rewritten: the statement's shape is known from the
inputs' (``shape_of``) and equals the buffer's, the buffer is a fresh array
(never an input, a view or a broadcast), and neither it nor any view of it
is read after the statement, by name or inside an inlined expression.
"""

from __future__ import annotations

from ...shapes.dims import ONE

# kinds whose value is a new array of its own (for a non-scalar shape)
FRESH = {"add", "sub", "mul", "div", "neg", "pow", "func", "matmul", "outer", "softmax", "log_softmax",
         "row_scale", "col_scale", "solve"}
# kinds whose value has the shape of the first operand
SAME_SHAPE = {"neg", "func", "softmax", "log_softmax"}
BROADCAST = {"add", "sub", "mul", "div", "pow", "col_scale"}
SCALAR = {"const", "size", "dot", "sum", "mean", "sumsq", "norm", "trace", "det", "logdet", "logdet_pd"}
# kinds whose value never shares memory with an operand (the rest may be views of theirs)
UNSHARED = FRESH | SCALAR | {"sum_rows", "sum_cols", "logsumexp", "inv", "matrix_power", "diag_matrix", "kron",
                             "ones", "zeros", "eye"}


def input_shapes(inputs) -> dict:
    """Code name → shape as NumPy sees it: a vector 1-D, a scalar 0-d."""
    return {item.code: () if item.kind == "scalar" else (item.rows,) if item.kind == "vector"
            else (item.rows, item.cols) for item in inputs}


def shape_of(ops, inputs: dict) -> dict:
    """Value name → its shape, a tuple of Dims (ONE where an axis is 1), or
    None where it is not known for certain."""
    shapes = dict(inputs)
    for op in ops:
        args = [shapes.get(a) for a in op.args]
        shapes[op.name] = None if any(a is None for a in args) and op.kind not in SCALAR else _shape(op, args)
    return shapes


def _shape(op, args):
    kind = op.kind
    if kind in SCALAR:
        return ()
    if kind in SAME_SHAPE:
        return args[0]
    if kind in BROADCAST:
        return _broadcast(*args)
    if kind == "row_scale":
        return args[1]
    if kind == "solve":
        return args[1]
    if kind == "transpose" and len(args[0]) == 2:
        return args[0][::-1]
    if kind == "as_column" and len(args[0]) == 1:
        return (args[0][0], ONE)
    if kind == "outer" and all(len(a) == 1 for a in args):
        return (args[0][0], args[1][0])
    if kind in ("sum_rows", "sum_cols") and len(args[0]) == 2:
        return (args[0][0 if kind == "sum_rows" else 1],)
    if kind == "matmul":
        return _matmul(*args)
    return None


def _broadcast(a, b):
    a, b = (ONE,) * (len(b) - len(a)) + a, (ONE,) * (len(a) - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x != y and not x.is_one and not y.is_one:
            return None
        out.append(y if x.is_one else x)
    return tuple(out)


def _matmul(a, b):
    if len(a) == 2 and len(b) == 2 and a[1] == b[0]:
        return (a[0], b[1])
    if len(a) == 2 and len(b) == 1 and a[1] == b[0]:
        return (a[0],)
    if len(a) == 1 and len(b) == 2 and a[0] == b[0]:
        return (b[1],)
    return None


def buffers(statements, ops, shapes: dict, returned, can_write) -> dict:
    """Statement name → the dying array it writes into.  ``statements``:
    (op, the names its printed text reads) in order; ``can_write(op)``: the
    target has an ``out=`` form for it."""
    op_of = {op.name: op for op, _ in statements}          # a buffer is a statement's value, by name
    bases = {}                               # value → the fresh arrays it may share memory with
    for op in ops:
        bases[op.name] = {op.name} if op.kind in FRESH else set() if op.kind in UNSHARED \
            else set().union(*(bases.get(a, set()) for a in op.args))
    last_read = {}
    for index, (op, reads) in enumerate(statements):
        for name in reads:
            for base in bases.get(name, set()) | {name}:
                last_read[base] = index
    for name in returned:
        for base in bases.get(name, set()) | {name}:
            last_read[base] = len(statements)
    chosen = {}
    for index, (op, _) in enumerate(statements):
        shape = shapes.get(op.name)
        if not shape or not can_write(op):
            continue
        for arg in op.args:
            source = op_of.get(arg)
            if source is not None and source.kind in FRESH and shapes.get(arg) == shape \
                    and last_read.get(arg) == index and arg not in chosen.values():
                chosen[op.name] = arg
                break
    return chosen


def promoted(ops, shapes: dict, uses: dict, can_write) -> set:
    """Temporaries to print as statements, so that the one entrywise
    statement using them can write into them (``t = H ** 2``, then
    ``np.subtract(1, t, out=t)``), and that statement itself."""
    op_of = {op.name: op for op in ops}
    chosen = set()
    for op in ops:
        if not can_write(op) or not shapes.get(op.name):
            continue
        late = op.args[1:] if op.kind in ("sub", "div", "pow") else op.args if op.kind == "func" else ()
        for arg in late:
            temporary = op_of.get(arg)
            if temporary is not None and temporary.kind in FRESH and not temporary.named \
                    and uses.get(arg) == 1 and shapes.get(arg) == shapes[op.name]:
                chosen |= {arg, op.name}
    return chosen
