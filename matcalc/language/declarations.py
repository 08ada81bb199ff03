"""Declarations (``--where``): ``"alpha, c: scalar; S: symmetric; A: 3 x 4"``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Token

from ..errors import LimitError, ParseError
from .limits import MAX_SIZE
from .names import default_kind
from .records import quick_init
from .syntax_errors import shortened, token_span


@quick_init
@dataclass(frozen=True)
class Declaration:
    kind: str                       # scalar | vector | matrix
    symmetric: bool = False
    positive_definite: bool = False
    probability: bool = False
    square: bool = False            # symmetric, positive definite or declared square
    rows: object = None             # int, a dimension name, or None
    cols: object = None
    data: bool = False              # not a parameter: --wrt all leaves it out (SPEC §1)
    span: tuple[int, int] | None = field(default=None, compare=False)
    # An upper-case name declared only "probability vector": a matrix with
    # probability columns, unless the function is a scalar only when it is a vector.
    matrix_or_vector: bool = field(default=False, compare=False)



_KIND_WORDS = {
    ("positive", "definite"): "positive definite",
    ("probability", "vector"): "probability vector",
    ("symmetric", "matrix"): "symmetric",
    ("column", "vector"): "vector",
    ("pd",): "positive definite", ("spd",): "positive definite",
    ("probability",): "probability vector", ("symmetric",): "symmetric",
    ("scalar",): "scalar", ("vector",): "vector", ("matrix",): "matrix",
    ("square",): "square", ("data",): "data",
}
_KINDS_HELP = "scalar, vector, matrix, symmetric, positive definite, probability vector, data"
_GLUED_SIZE = re.compile(r"x(\d+)")


def _size_value(text: str, token: Token) -> int:
    """A declared dimension: a positive whole number up to MAX_SIZE."""
    if not re.fullmatch(r"\d+", text) or not text.strip("0"):
        raise ParseError(f"a size must be a positive whole number, not '{shortened(text)}'",
                         span=token_span(token))
    if len(text.lstrip("0")) > len(str(MAX_SIZE)) or int(text) > MAX_SIZE:
        raise LimitError(f"the size {shortened(text)} is over the limit of {MAX_SIZE:,}",
                         span=token_span(token))
    return int(text)


def interpret_spec(tokens, span) -> Clause:
    """``positive definite``, ``3 x 4``, ``symmetric n x n``, ``p×n`` → what one clause says."""
    words = []
    for token in tokens:
        text = str(token)
        # "3x4" lexes as NUMBER "3", NAME "x4": split the size back apart.
        m = _GLUED_SIZE.fullmatch(text)
        if token.type == "NAME" and m and words and words[-1][0] == "dim":
            words.append(("times", token))
            words.append(("dim", _size_value(m.group(1), token), token))
            continue
        if token.type == "NUMBER":
            words.append(("dim", _size_value(text, token), token))
        elif token.type == "TIMES" or text in ("x", "by"):
            words.append(("times", token))
        else:
            words.append(("word", text.lower(), token))

    kinds, dims = [], []
    i = 0
    while i < len(words):
        entry = words[i]
        if entry[0] == "word":
            if i + 1 < len(words) and words[i + 1][0] == "word" and (entry[1], words[i + 1][1]) in _KIND_WORDS:
                kinds.append(_KIND_WORDS[entry[1], words[i + 1][1]])
                i += 2
                continue
            if (entry[1],) in _KIND_WORDS:
                kinds.append(_KIND_WORDS[(entry[1],)])
                i += 1
                continue
            # A lower-case word that is not a kind is a dimension name ("p x n").
            if dims or (i + 1 < len(words) and words[i + 1][0] == "times") or len(words) == 1:
                if len(words) == 1:
                    raise ParseError(f"unknown kind '{entry[1]}'; expected one of {_KINDS_HELP}, "
                                     "or a size such as '3 x 4'", span=token_span(entry[2]))
                dims.append(str(entry[2]))
                i += 1
                continue
            raise ParseError(f"unknown kind '{entry[1]}'; expected one of {_KINDS_HELP}, "
                             "or a size such as '3 x 4'", span=token_span(entry[2]))
        if entry[0] == "dim":
            dims.append(entry[1])
        elif entry[0] == "times":
            if not dims or i + 1 == len(words) or words[i + 1][0] == "times":
                raise ParseError("a size reads 'rows x cols'", span=token_span(entry[1]))
        i += 1

    if len(dims) > 2:
        raise ParseError("a size has at most two dimensions, 'rows x cols'", span=span)
    words_given = set(kinds)
    words_given.discard("data")
    base_kinds = {"scalar", "vector", "matrix"} & words_given
    if len(base_kinds) > 1 or ("scalar" in words_given and len(words_given) > 1):
        raise ParseError(f"conflicting kinds: {' and '.join(sorted(words_given))}", span=span)
    if not kinds and not dims:
        raise ParseError(f"expected a kind ({_KINDS_HELP}) or a size", span=span)
    clause = Clause(base_kinds.pop() if base_kinds else None,
                    "symmetric" in kinds or "positive definite" in kinds, "positive definite" in kinds,
                    "probability vector" in kinds, "square" in kinds, tuple(dims), "data" in kinds, span)
    if len(dims) == 2 and (clause.symmetric or clause.square) and dims[0] != dims[1]:
        raise ParseError("a symmetric matrix is square", span=span)
    return clause


@quick_init
@dataclass(frozen=True)
class Clause:
    """What one clause says about a name, before it is combined with the
    name's other clauses and its default kind: ``A: symmetric; A: 4 x 4`` is
    two clauses that together declare a symmetric 4×4 matrix."""
    kind: str | None                # scalar | vector | matrix, when a word says so
    symmetric: bool = False
    positive_definite: bool = False
    probability: bool = False
    square: bool = False
    dims: tuple = ()                # () | (n,) | (rows, cols)
    data: bool = False
    span: tuple[int, int] | None = field(default=None, compare=False)

    def words(self) -> str:
        """The clause as typed, for a message that names a conflict."""
        structure = ["positive definite" if self.positive_definite else "symmetric" if self.symmetric else None,
                     "probability vector" if self.probability else None, "square" if self.square else None]
        size = " x ".join(str(d) for d in self.dims)
        return ", ".join(w for w in [self.kind, *structure, size or None, "data" if self.data else None] if w)


def combined(name: str, earlier: Clause | None, later: Clause) -> Clause:
    """Two clauses about one name as one: kind, structure, size and data add up
    in any order; a kind or a size said twice differently is a conflict that
    names both."""
    if earlier is None:
        return later
    for mine, theirs in ((earlier.kind, later.kind), (earlier.dims, later.dims)):
        if mine and theirs and mine != theirs:
            raise ParseError(f"{name} is declared twice: '{earlier.words()}' and '{later.words()}'",
                             span=later.span)
    return Clause(earlier.kind or later.kind, earlier.symmetric or later.symmetric,
                  earlier.positive_definite or later.positive_definite, earlier.probability or later.probability,
                  earlier.square or later.square, earlier.dims or later.dims, earlier.data or later.data, later.span)


def declaration_of(name: str, clause: Clause) -> Declaration:
    """A name's clauses, combined, as its declaration: the kind is the one
    declared, else the one the structure or the size needs, else the name's
    default (an upper-case ``Y: probability vector`` is a matrix whose columns
    are probability vectors)."""
    default = default_kind(name)
    structured = clause.symmetric or clause.square
    kind = clause.kind
    if kind is None:
        if structured or len(clause.dims) == 2:
            kind = "matrix"
        elif clause.dims:
            kind = "vector"
        elif clause.probability:
            kind = "matrix" if default == "matrix" else "vector"
        else:
            kind = default
    if kind == "scalar" and (structured or clause.probability or clause.dims):
        raise ParseError(f"{name} is declared '{clause.words()}': a scalar has no size or structure",
                         span=clause.span)
    if kind == "vector" and structured:
        raise ParseError(f"{name} is declared '{clause.words()}': a vector is not a square matrix",
                         span=clause.span)
    rows = cols = None
    if len(clause.dims) == 2:
        rows, cols = clause.dims
        if kind == "vector" and cols != 1:
            raise ParseError("a vector's size is its length, e.g. 'x: 5'", span=clause.span)
        if structured and rows != cols:
            raise ParseError("a symmetric matrix is square", span=clause.span)
    elif clause.dims:
        rows = clause.dims[0]
        if kind == "matrix" and (structured or not clause.probability):
            cols = rows            # "S: symmetric 4": a 4×4 matrix
    return Declaration(kind, clause.symmetric, clause.positive_definite, clause.probability,
                       structured, rows, 1 if kind == "vector" else cols, clause.data, clause.span,
                       matrix_or_vector=clause.kind is None and kind == "matrix" and clause.probability
                       and not (structured or clause.dims))


def vector_reading(where: str | None, declarations: dict) -> str | None:
    """The declarations again with every upper-case ``Y: probability vector``
    read as a vector (seed 004: ``-Y^T log(softmax(Z))``, ``Z: vector``), or
    None when there is none to read so."""
    either = [name for name, declaration in declarations.items() if declaration.matrix_or_vector]
    return f"{where}; {', '.join(either)}: vector" if either else None
