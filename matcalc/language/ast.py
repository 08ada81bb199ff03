"""Expression trees: small immutable nodes with structural equality.

Grammar names are AST names (the grammar's ``hadamard`` builds ``Hadamard``).
Sugar is gone by the time a tree exists: ``A - B`` is ``Add(A, Product(-1, B))``,
``A'`` is ``Transpose(A)``, ``sigmoid`` is ``Func("sigma", ..)``, ``E / s`` is
``Product(E, Power(s, -1))``.  Printers, evaluation, shapes and rewriting are
functions over these trees, kept in their own layers.

A node's ``span`` (where it came from in the source text) is excluded from
equality and hashing, so two equal expressions are equal wherever they stand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from operator import methodcaller
from typing import Any, ClassVar, Iterator

from .node_class import TYPES, node, same_objects, types_mask  # noqa: F401  (A.types_mask, A.same_objects)
from .node_facts import SYMBOLS, names_of
from .structure import dump, show_with  # noqa: F401  (A.dump, A.show_with)


@dataclass(frozen=True)
class Expr:
    span: tuple[int, int] | None = field(default=None, compare=False, hash=False,
                                         repr=False, kw_only=True)
    _child_fields: ClassVar[tuple[str, ...]] = ()
    _leaf_fields: ClassVar[tuple[str, ...]] = ()


# ---------------------------------------------------------------- leaves
@node
class Symbol(Expr):
    name: str


@node
class PatternVar(Expr):
    """``?A`` in a rule: matches any expression (``?f`` in ``?f(..)`` a function)."""
    name: str


@node
class Number(Expr):
    """A number.  ``written_one`` marks the token ``1`` as typed, which shape
    inference may read as the all-ones vector (SPEC §1); a 1 that arithmetic
    made, like ``2/2``, is only ever the number."""
    value: Fraction
    written_one: bool = field(default=False, compare=False, repr=False)


@node
class Ones(Expr):
    """The all-ones vector (or matrix) ``1``; its dimensions come from shape inference."""
    rows: Any = None
    cols: Any = None


@node
class Identity(Expr):
    size: Any = None


@node
class Zero(Expr):
    """The zero matrix of a given shape: what a gradient is when l does not depend on X."""
    rows: Any = None
    cols: Any = None


@node
class Commutation(Expr):
    """The commutation matrix K_{m,n}: K vec(A) = vec(A^T) for an m×n matrix A."""
    rows: Any = None
    cols: Any = None


@node
class DimValue(Expr):
    """A dimension used as a number (``mean(A) = sum(A) / (m n)``)."""
    dim: Any


# ---------------------------------------------------------------- n-ary
@node
class Add(Expr):
    args: tuple


@node
class Product(Expr):
    """Matrix product; scalar factors multiply everything (they commute)."""
    args: tuple


@node
class Hadamard(Expr):
    args: tuple


@node
class Kron(Expr):
    args: tuple


# ---------------------------------------------------------------- unary
@node
class Transpose(Expr):
    arg: Expr


@node
class Inverse(Expr):
    arg: Expr


@node
class Power(Expr):
    """Scalar power (any numeric exponent) or integer power of a square matrix.

    ``from_division`` marks the ``s^-1`` that ``E / s`` desugars to, so that
    dividing by a matrix is reported rather than read as an inverse.
    """
    base: Expr
    exponent: Expr
    from_division: bool = field(default=False, compare=False, repr=False)


@node
class ElemPow(Expr):
    """Elementwise power ``A .^ p``; the exponent is a scalar expression."""
    base: Expr
    exponent: Expr


@node
class Func(Expr):
    """An elementwise function applied to every entry: exp, log, sigma, ..."""
    name: str
    arg: Expr


@node
class Softmax(Expr):
    arg: Expr


@node
class LogSoftmax(Expr):
    arg: Expr


@node
class Trace(Expr):
    arg: Expr


@node
class Det(Expr):
    arg: Expr


@node
class LogDet(Expr):
    arg: Expr


@node
class Sum(Expr):
    """Sum of all entries."""
    arg: Expr


@node
class Mean(Expr):
    arg: Expr


@node
class Diag(Expr):
    """vector → diagonal matrix, or square matrix → vector of its diagonal (by shape)."""
    arg: Expr


@node
class Vec(Expr):
    """Column-major stacking of the columns."""
    arg: Expr


@node
class Unvec(Expr):
    """The inverse of vec: the rows×cols matrix whose columns stacked are ``arg``."""
    arg: Expr
    rows: Any = None
    cols: Any = None


@node
class Norm(Expr):
    """Euclidean norm of a vector, Frobenius norm of a matrix."""
    arg: Expr
    subscript: str = field(default="", compare=False)


@node
class Differential(Expr):
    """``d(A)``: the differential of A."""
    arg: Expr


# ---------------------------------------------------------------- helpers
ZERO = Number(Fraction(0))
ONE = Number(Fraction(1))
MINUS_ONE = Number(Fraction(-1))


def number(value) -> Number:
    return Number(Fraction(value))


def split_coefficient(expr: Expr) -> tuple[Fraction, Expr | None]:
    """``-2 A B`` → (-2, ``A B``); a bare number → (value, None)."""
    if isinstance(expr, Number):
        return expr.value, None
    if isinstance(expr, Product) and isinstance(expr.args[0], Number):
        rest = expr.args[1:]
        return expr.args[0].value, rest[0] if len(rest) == 1 else Product(rest)
    return ONE.value, expr          # shared: Fractions are immutable, and this is the usual case


def scaled(coefficient: Fraction, expr: Expr | None) -> Expr:
    """``coefficient`` times ``expr`` as one product (the inverse of split_coefficient)."""
    if expr is None:
        return Number(coefficient)
    if coefficient == 1:
        return expr
    if coefficient == 0:
        return ZERO
    rest = expr.args if isinstance(expr, Product) else (expr,)
    return Product((Number(coefficient),) + tuple(rest))


def joined(cls, parts) -> Expr:
    """One part as itself, several as one n-ary ``cls`` node (Product, Kron, ...)."""
    parts = tuple(parts)
    return parts[0] if len(parts) == 1 else cls(parts)


def product_of(factors) -> Expr:
    """The product of ``factors``; the number 1 when there are none."""
    factors = tuple(factors)
    return joined(Product, factors) if factors else ONE


# children(expr): the sub-expressions of a node, in field order.  A method
# caller, not a function around the method: every pass asks it of every node.
children = methodcaller("_children")
_new = object.__new__


def with_children(expr: Expr, new_children) -> Expr:
    """The same node with its sub-expressions replaced (same count and order)."""
    if type(new_children) is not list and type(new_children) is not tuple:
        new_children = tuple(new_children)
    if same_objects(new_children, expr._children()):
        return expr
    return rebuilt(expr, new_children)


def rebuilt(expr: Expr, new_children) -> Expr:   # with_children where a child (in a list or tuple) is new
    # A copy of every field (span and those outside equality included), the
    # children swapped; no field is computed in __init__, the cached hash and
    # facts are the old node's.  Most nodes hold span and children only.
    fresh = _new(type(expr))
    state = fresh.__dict__
    only = expr._only_child_field
    if only == "args":
        state["span"] = expr.span
        state["args"] = tuple(new_children)
    elif only == "arg":
        state["span"] = expr.span
        state["arg"] = new_children[0]
    else:
        state.update(expr.__dict__)
        state.pop("_hash", None)
        state.pop("_order", None)
        state.pop(SYMBOLS, None)
        state.pop(TYPES, None)
        state.update(zip(expr._child_fields, new_children))
    return fresh


def order_key(expr: Expr) -> tuple:
    """A total order of trees that agrees with equality, for sorting operands
    that commute (u ⊙ v and v ⊙ u): the node's type, its own fields, then its
    children's keys.  Cached in the node like its hash, so a key costs one
    visit per node, where repr would print the whole subtree at every sort."""
    key = expr._order           # the class's None until computed (no KeyError raised for a new node)
    if key is None:
        key = expr.__dict__["_order"] = (type(expr).__name__,
                                         tuple(_leaf_key(getattr(expr, name)) for name in expr._leaf_fields),
                                         tuple(order_key(kid) for kid in expr._children()))
    return key


def _leaf_key(value) -> str:
    # Number(-1) and Number(Fraction(-1)) are equal, and must sort as one.
    return repr(Fraction(value)) if isinstance(value, int) and not isinstance(value, bool) else repr(value)


def walk(expr: Expr) -> Iterator[Expr]:
    """Every node, parents before children."""
    stack = [expr]
    pop = stack.pop
    while stack:
        current = pop()
        yield current
        kids = current._children()
        if kids:
            if len(kids) == 1:          # (the usual node: no reversed copy of one child)
                stack.append(kids[0])
            else:
                stack += kids[::-1]


def holds(expr: Expr, *kinds) -> bool:
    """Whether a node of one of the node classes ``kinds`` occurs in ``expr``
    (no node class has a subclass): asked of the classes the tree keeps in its
    nodes (``types_mask``), not by a walk."""
    bits = 0
    for kind in kinds:
        bits |= kind._type_bit
    return bool(types_mask(expr) & bits)


def unique_nodes(expr: Expr) -> Iterator[Expr]:
    """Every distinct node once: a program written out shares each named
    value's tree wherever it is used, so this is linear in the statements
    where ``walk`` grows with the written-out size."""
    seen, stack = set(), [expr]
    while stack:
        current = stack.pop()
        count = len(seen)
        seen.add(current)               # (one hash: the set grows only for a new node)
        if len(seen) == count:
            continue
        yield current
        stack.extend(reversed(current._children()))


def symbol_names(expr: Expr) -> set:
    """The names of the symbols that occur in ``expr``."""
    return set(names_of(expr, Symbol))          # a set of its own: callers may add to it


def contains(expr: Expr, target: Expr) -> bool:
    # Without the target's node class or symbols (kept in its nodes) it is not here: no walk.
    kind = type(target)
    if type(expr) is kind and expr == target:
        return True                     # (dX asked of itself: the last factor peeled)
    if not types_mask(expr) & kind._type_bit or not names_of(target, Symbol) <= names_of(expr, Symbol):
        return False
    stack = [expr]                      # (walk's order does not matter here: no generator)
    while stack:
        sub = stack.pop()
        if type(sub) is kind and sub == target:
            return True
        stack += sub._children()
    return False


_ABSENT = object()


def substitute(expr: Expr, mapping: dict) -> Expr:
    """Replace every sub-expression that is a key of ``mapping``."""
    found = mapping.get(expr, _ABSENT)
    if found is not _ABSENT:
        return found
    kids = children(expr)
    if not kids:
        return expr
    return with_children(expr, [substitute(k, mapping) for k in kids])


def size(expr: Expr) -> int:
    return sum(1 for _ in walk(expr))


def depth(expr: Expr) -> int:
    kids = children(expr)
    return 1 + max((depth(k) for k in kids), default=0)
