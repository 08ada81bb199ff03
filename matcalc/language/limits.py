"""Limits that keep every later (recursive) pass safe; see README "Limits".

The parser checks them as it builds (depth and size of the tree, and of a
program with its names written out; the length of number literals).
"""

from __future__ import annotations

from fractions import Fraction

from lark import Token

from ..errors import LimitError
from . import ast as A
from .syntax_errors import shortened, token_span

MAX_INPUT_CHARS = 100_000
MAX_DEPTH = 200              # nesting levels; a flat chain a + b + ... is one level
# A program's statements are each at most MAX_DEPTH deep; written out, a deep
# network nests more (a 128-layer σ network about 400 levels), and only the
# function's values and finite differences walk that tree.
MAX_WRITTEN_OUT_DEPTH = 600
MAX_NODES = 5_000            # nodes of the input's tree (a program's statements together)
MAX_NUMBER_DIGITS = 100      # a literal's digits: 10^(10^9) would take minutes to build
MAX_NUMBER_EXPONENT = 100    # |e| in 1e100
MAX_SIZE = 1_000_000         # a declared dimension, "A: 3 x 4"
# Work of one call: each node the canonicalizer simplifies or a rewriting
# pass visits, counted with its operands (a product of 3,000 factors costs
# 3,001), and the input as it is read (READING_WORK).  At 15-35 µs a unit,
# at most about 1.5 s of CPU, so that a refusal, too, comes in under 2 s on a
# busy machine; every input the README answers needs at most 43,000 (a
# product of 3,000 matrices).
MAX_WORK = 50_000
# Reading the input (parsing it and inferring its shapes) is work too, charged
# before the first rewrite: about as much per part as 4 rewriting units, so a
# sum at the size limit spends its budget in the time that one of few parts does.
READING_WORK = 4


def too_deep(span, written_out: bool = False) -> LimitError:
    what = "the program, with its names written out," if written_out else "the expression"
    limit = MAX_WRITTEN_OUT_DEPTH if written_out else MAX_DEPTH
    return LimitError(f"{what} nests more than {limit} levels deep", span=span)


def too_big(span) -> LimitError:
    return LimitError(f"the expression has more than {MAX_NODES:,} parts (symbols, numbers and "
                      "operations)", span=span)


def number_value(token: Token) -> Fraction:
    """The exact value of a NUMBER token, refused before it is built if it is
    absurdly long or large (Fraction("1e999999999") would not finish)."""
    text = str(token)
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", ""))
    exponent_digits = exponent.lstrip("+-")
    if digits > MAX_NUMBER_DIGITS or len(exponent_digits) > len(str(MAX_NUMBER_EXPONENT)) \
            or (exponent_digits and int(exponent_digits) > MAX_NUMBER_EXPONENT):
        raise LimitError(f"the number '{shortened(text)}' is too long or too large (at most "
                         f"{MAX_NUMBER_DIGITS} digits and an exponent up to e{MAX_NUMBER_EXPONENT})",
                         span=token_span(token))
    return Fraction(text)


def check_written_out(statements) -> None:
    """The function is the last statement with the earlier names written out
    (substituted): a chain of definitions nests as deep as all of them
    together.  Measure that depth without building the tree, and refuse it
    if it is too deep for the recursive passes (the evaluation of the
    function).  Its size is no limit (issue 24): every pass works on the
    statements, each named value's tree shared wherever it is used, and only
    printing the written-out answer is refused (``Derivation.result``)."""
    measured: dict[str, int] = {}    # name → depth written out
    for statement in statements:
        name, expr = statement if isinstance(statement, tuple) else (None, statement)
        depth = _written_out_depth(expr, measured)
        if name is not None:
            measured[name] = depth
    is_program = len(statements) > 1
    if depth > (MAX_WRITTEN_OUT_DEPTH if is_program else MAX_DEPTH):
        raise too_deep(expr.span, written_out=is_program)


def _written_out_depth(expr: A.Expr, measured: dict) -> int:
    """The depth of ``expr`` with the names in ``measured`` written out.
    Recursive: a statement is at most MAX_DEPTH deep, checked as it was built."""
    if isinstance(expr, A.Symbol) and expr.name in measured:
        return measured[expr.name]
    depth = 0
    for kid in A.children(expr):        # a loop, not max() over a generator: once per node of every input
        kid_depth = _written_out_depth(kid, measured)
        if kid_depth > depth:
            depth = kid_depth
    return min(depth + 1, MAX_WRITTEN_OUT_DEPTH + 1)


def node_count(trees) -> int:
    """How many nodes the trees have, a shared one counted wherever it occurs (``A.size`` of each, summed)."""
    count, stack = 0, list(trees)
    while stack:
        count += 1
        stack.extend(stack.pop()._children())
    return count


def written_out_size(expr: A.Expr, names) -> int:
    """How many nodes ``expr`` has with ``names`` ((name, definition), each
    after what it uses) written out, counted without building it."""
    sizes: dict[str, int] = {}

    def size(tree) -> int:
        return sum(sizes.get(node.name, 1) if isinstance(node, A.Symbol) else 1 for node in A.walk(tree))

    for name, definition in names:
        sizes[name] = min(size(definition), MAX_NODES + 1)
    return size(expr)
