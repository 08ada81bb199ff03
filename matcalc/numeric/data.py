"""Random data on which a function is defined, for checking answers.

What keeps the data honest whatever the function: square matrices that are
inverted or whose determinant is taken are drawn near the identity
(determinant near 1, so ``exp(det(U))`` does not overflow), and when the
function still overflows the data are scaled down (``exp`` of a sum over
3·4·5 positive terms); the function must be finite and every matrix it
inverts regular, with the sizes also tried in reverse order (``UᵀU`` is
singular for a wide U).  Distinct dimensions get distinct sizes (3, 4, 5, ...)
so that a wrong transpose cannot pass.
"""

from __future__ import annotations

import numpy as np

from ..errors import LimitError
from ..language import ast as A
from ..language import functions
from ..shapes.env import TypeEnv
from .evaluate import MAX_ENTRIES, Point, evaluate

LARGE = 1e10              # a function value this large means data too large for the function
ILL_CONDITIONED = 1e8     # a matrix to invert with a larger condition number counts as singular


def _needs_positive(expr: A.Expr) -> bool:
    for node in A.unique_nodes(expr):
        if isinstance(node, A.Func) and functions.elementwise(node.name).domain != "real":
            return True
        if isinstance(node, (A.Power, A.ElemPow)) and isinstance(node.exponent, A.Number) \
                and node.exponent.value.denominator != 1:
            return True
        if isinstance(node, A.ElemPow) and not isinstance(node.exponent, A.Number):
            return True                  # A .^ p with a variable p is exp(p log A)
    return False


def _inverted(expr) -> list:
    """The arguments of det, logdet, inverses and negative powers in ``expr``:
    the function and its derivative are smooth only where they are regular."""
    found = []
    for node in A.unique_nodes(expr):
        if isinstance(node, (A.Det, A.LogDet, A.Inverse)):
            found.append(node.arg)
        elif isinstance(node, A.Power) and isinstance(node.exponent, A.Number) and node.exponent.value < 0:
            found.append(node.base)
    return found


def random_point(expr: A.Expr, env: TypeEnv, seed: int, scale: float = 1.0,
                 reverse: bool = False, shrunk: frozenset = frozenset(), first_size: int = 3) -> Point:
    """Values for every symbol: distinct sizes 3, 4, 5, ... per dimension (in
    the opposite order with ``reverse``); positive entries where logs or roots
    need them; declared kinds respected.  Square matrices that are inverted
    or whose determinant is taken are drawn as I + 0.3 R / √n: well
    conditioned, determinant positive and near 1 (not growing like nⁿ with
    the size).  ``scale`` shrinks the random part of every value (not the
    identity of those square matrices, nor probability vectors) for functions
    that overflow on unit-sized data; the symbols in ``shrunk`` are drawn ten
    times smaller (b - A x > 0 needs a small A x).  ``first_size`` is the
    smallest size (another for each point of a comparison)."""
    rng = np.random.default_rng(seed)
    sizes = _sizes(env, reverse, first_size)
    positive = _needs_positive(expr)
    inverts = bool(_inverted(expr))
    values = {}
    used = A.symbol_names(expr)
    for name, info in env.symbols.items():
        if name not in used:
            continue
        rows, cols = info.rows.value(sizes), info.cols.value(sizes)
        if info.probability:
            p = rng.uniform(0.5, 1.5, size=(rows, cols))
            values[name] = p / p.sum(axis=0, keepdims=True)        # every column sums to one
            continue
        if positive:
            value = scale * rng.uniform(0.5, 1.5, size=(rows, cols))
        else:
            value = scale * rng.standard_normal((rows, cols))
        if name in shrunk:
            value = value / 10
        if rows == cols and rows > 1:
            if info.positive_definite:
                value = value @ value.T / rows + np.eye(rows)
            elif info.symmetric:
                value = (value + value.T) / 2
            if inverts and not info.positive_definite:
                value = np.eye(rows) + 0.3 * value / np.sqrt(rows)
        values[name] = value
    return Point(values, sizes)


def _sizes(env: TypeEnv, reverse: bool = False, first: int = 3) -> dict:
    names = env.dim_names()
    return {name: first + i for i, name in enumerate(names[::-1] if reverse else names)}


MAX_CHECK_ENTRIES = 1_000_000     # all the random data of one check together
# A gradient is checked along a few directions whatever its size (numeric.directional).
MAX_CHECK_UNKNOWNS = {"gradient": MAX_CHECK_ENTRIES, "jacobian": 1_000, "hessian": 100}


def refuse_oversized(expr: A.Expr, env: TypeEnv, wrt: str, kind: str) -> None:
    """A check draws data at the declared sizes and takes one difference
    quotient per entry of ``wrt`` (per pair, for a Hessian): refuse sizes
    that would take gigabytes or hours, before allocating anything."""
    sizes = _sizes(env)
    used = A.symbol_names(expr) | {wrt}
    count = {name: info.rows.value(sizes) * info.cols.value(sizes)
             for name, info in env.symbols.items() if name in used}
    if sum(count.values()) > MAX_CHECK_ENTRIES:
        raise LimitError(f"a check would draw {sum(count.values()):,} random numbers at the declared "
                         f"sizes; matcalc checks at most {MAX_CHECK_ENTRIES:,} (declare smaller sizes to check)")
    rows, cols = env.shape(expr)
    if kind == "jacobian" and rows.value(sizes) * cols.value(sizes) * count[wrt] > MAX_ENTRIES:
        raise LimitError(f"a check computes a {rows.value(sizes) * cols.value(sizes):,}×{count[wrt]:,} "
                         f"Jacobian by differences; matcalc checks at most {MAX_ENTRIES:,} entries "
                         "(declare smaller sizes to check)")
    if count[wrt] > MAX_CHECK_UNKNOWNS[kind]:
        raise LimitError(f"a check takes a difference quotient for each of the {count[wrt]:,} entries of "
                         f"{wrt}; matcalc checks a {kind} in at most {MAX_CHECK_UNKNOWNS[kind]:,} "
                         "(declare smaller sizes to check)")


def _regular(expr: A.Expr, point: Point) -> bool:
    """Every matrix that ``expr`` inverts or takes the determinant of is far
    from singular at ``point`` (a wide U makes UᵀU singular for all data)."""
    for arg in _inverted(expr):
        value = evaluate(arg, point)
        if not np.all(np.isfinite(value)) or np.linalg.cond(value) > ILL_CONDITIONED:
            return False
    return True


def defined_points(expr: A.Expr, env: TypeEnv, seed: int, attempts: int = 12, scale: float = 1.0,
                   first_size: int = 3):
    """Random points where ``expr`` is finite and its inverted matrices are
    regular, in the order to try them.  Each attempt draws new data (a NaN is
    a point outside the domain, such as the log of a negative number); every
    other attempt takes the sizes in reverse order (UᵀU is singular for every
    U with fewer rows than columns); after a value that overflowed or is
    larger than ``LARGE`` the data are also halved, since such values come
    from exp or powers of sums that grow with the size of the data; ``scale``
    is the first scale of the data (``random_point``)."""
    names = sorted(A.symbol_names(expr) & set(env.symbols))
    for attempt in range(attempts):
        # From the third attempt on, some symbols are drawn smaller, in turn, for a
        # domain such as b - A x > 0 that unit-sized data miss.
        shrunk = frozenset(name for index, name in enumerate(names) if attempt >= 2 and (attempt >> 1) >> index & 1)
        point = random_point(expr, env, seed + attempt, scale, reverse=attempt % 2 == 1, shrunk=shrunk,
                             first_size=first_size)
        try:
            with np.errstate(all="ignore"):
                value = evaluate(expr, point)
                regular = _regular(expr, point)
        except np.linalg.LinAlgError:
            continue
        if np.all(np.isfinite(value)) and regular:
            yield point
        with np.errstate(invalid="ignore"):
            if np.any(np.abs(value) > LARGE):          # inf included, NaN not
                scale /= 2


