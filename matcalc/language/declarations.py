"""Declarations (``--where``): ``"alpha, c: scalar; S: symmetric; A: 3 x 4"``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lark import Token

from ..errors import LimitError, ParseError
from .limits import MAX_SIZE
from .names import default_kind
from .syntax_errors import shortened, token_span


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


def _size_value(text: str, token: Token) -> int:
    """A declared dimension: a positive whole number up to MAX_SIZE."""
    if not re.fullmatch(r"\d+", text) or not text.strip("0"):
        raise ParseError(f"a size must be a positive whole number, not '{shortened(text)}'",
                         span=token_span(token))
    if len(text.lstrip("0")) > len(str(MAX_SIZE)) or int(text) > MAX_SIZE:
        raise LimitError(f"the size {shortened(text)} is over the limit of {MAX_SIZE:,}",
                         span=token_span(token))
    return int(text)


def interpret_spec(tokens, span) -> Declaration:
    """``positive definite``, ``3 x 4``, ``symmetric n x n``, ``p×n`` → Declaration."""
    words = []
    for token in tokens:
        text = str(token)
        # "3x4" lexes as NUMBER "3", NAME "x4": split the size back apart.
        m = re.fullmatch(r"x(\d+)", text)
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
            pair = tuple(w[1] for w in words[i:i + 2] if w[0] == "word")
            if len(pair) == 2 and pair in _KIND_WORDS:
                kinds.append(_KIND_WORDS[pair])
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

    data = "data" in kinds
    kinds = [kind for kind in kinds if kind != "data"]
    if data and not kinds and not dims:
        return Declaration(None, data=True, span=span)      # the kind is the name's default
    base_kinds = {"scalar", "vector", "matrix"} & set(kinds)
    if len(base_kinds) > 1 or ("scalar" in kinds and len(set(kinds)) > 1):
        raise ParseError(f"conflicting kinds: {' and '.join(sorted(set(kinds)))}", span=span)

    if len(dims) > 2:
        raise ParseError("a size has at most two dimensions, 'rows x cols'", span=span)
    kind = kinds[-1] if kinds else None
    symmetric = "symmetric" in kinds or "positive definite" in kinds
    positive_definite = "positive definite" in kinds
    probability = "probability vector" in kinds
    if kind in ("symmetric", "positive definite", "square"):
        kind = "matrix"
    if kind == "probability vector":
        kind = "vector"
    rows = cols = None
    if len(dims) == 2:
        rows, cols = dims
        if kind is None:
            kind = "matrix"
    elif len(dims) == 1:
        rows = dims[0]
        if kind is None:
            kind = "vector"
        elif kind == "matrix":
            cols = rows            # "S: symmetric 4": a 4×4 matrix
    if kind is None:
        raise ParseError(f"expected a kind ({_KINDS_HELP}) or a size", span=span)
    if kind == "scalar" and dims:
        raise ParseError("a scalar has no size", span=span)
    if kind == "vector" and len(dims) == 2 and dims[1] != 1:
        raise ParseError("a vector's size is its length, e.g. 'x: 5'", span=span)
    if kind == "vector" and len(dims) == 2:
        rows = dims[0]
    if (symmetric or "square" in kinds) and rows is not None and cols is not None and rows != cols:
        raise ParseError("a symmetric matrix is square", span=span)
    return Declaration(kind, symmetric, positive_definite, probability,
                       symmetric or "square" in kinds, rows, 1 if kind == "vector" else cols, data, span)


def merged(name: str, earlier: Declaration | None, later: Declaration) -> Declaration | None:
    """A name's declaration after one more: ``data`` adds to what a name is
    (``y: probability vector; x, y: data``); two kinds are declared twice (None)."""
    if earlier is None:
        if later.probability and later.kind == "vector" and later.rows is None and default_kind(name) == "matrix":
            return replace(later, kind="matrix", cols=None)     # Y: probability vector — each column is one
        if later.kind is not None:
            return later
        kind = default_kind(name)
        return replace(later, kind=kind, cols=1 if kind == "vector" else None)
    if later.kind is None:
        return replace(earlier, data=True)
    if earlier.data and not (earlier.symmetric or earlier.probability or earlier.rows is not None) \
            and earlier.kind == default_kind(name):
        return replace(later, data=True)        # "x: data; x: 3" — data came first
    return None

