"""The index method's rules, ``rules/index.components`` (SPEC §3).

A line is ``name: lhs = rhs [where declarations]  # explanation`` with the
sides in index notation: ``[M]_ij`` an entry of a matrix written in matcalc's
language, ``{s}`` a scalar, ``Σ_k`` a sum, ``δ_ij`` a delta.  ``index_catalog``
reads the names and explanations (what a step cites); ``parse_index_rule``
builds both sides as trees of ``Entry``, ``IndexSum`` and ``Delta`` nodes,
typed jointly, for the numeric check of every rule.

The rewrite engine does not match these rules; the index method's writer
(``components.py``) and reassembler (``reassembly.py``) apply them and cite
them by name.  Matching them would need what the engine's patterns do not
have: variables that bind index letters (``?i``), a right side that makes a
fresh summed index (``Σ_k`` with k new to the whole line), and sides that are
sums of products of entries rather than trees (delta-contract removes a sum
and renames an index across a whole term, wherever the δ stands).  Instead
``tests/test_index_rules.py`` checks the code against the data: the writer
writes each rule's left side, and where it cites the rule, what it wrote
equals the rule's right side numerically.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from lark import Lark, Transformer

from ...errors import MatcalcError
from ...language import ast as A
from ...language import index_ast as I
from ...language.parser import parse_declarations, parse_program
from ...resources import data_file
from ...shapes.infer import infer

GRAMMAR = r"""
?start: sum
?sum: term | sum "+" term -> add | sum "-" term -> subtract
?term: "-" term -> negate | sums | product | product sums -> times
?sums: "Σ_" INDEX term -> index_sum
?product: atom | product atom -> times
?atom: "[" MATRIX "]_" INDICES -> entry
     | "δ_" INDICES -> delta
     | "{" MATRIX "}" -> scalar
     | FUNCTION "(" sum ")" -> function
     | NUMBER -> number
     | "(" sum ")"
NUMBER: /[0-9]+/
MATRIX: /[^\[\]{}]+/
INDICES: /[a-z]{1,2}/
INDEX: /[a-z]/
FUNCTION: /\??[a-z]+/
%ignore " "
"""


@dataclass(frozen=True)
class IndexRule:
    name: str
    lhs: str
    rhs: str
    where: str
    explanation: str
    source: str


@lru_cache(maxsize=1)
def index_catalog() -> dict:
    """name → IndexRule, in file order (``rules/index.components``)."""
    rules = {}
    path = data_file("rules", "index.components")
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        text, _, explanation = line.partition("#")
        name, _, body = text.partition(":")
        body, _, where = body.partition(" where ")
        lhs, equals, rhs = body.partition(" = ")
        if not (equals and name.strip()):
            raise MatcalcError(f"{path.name}:{number}: expected 'name: lhs = rhs'")
        rules[name.strip()] = IndexRule(name.strip(), lhs.strip(), rhs.strip(), where.strip(),
                                        explanation.strip(), line)
    return rules


class _Build(Transformer):
    def entry(self, items):
        matrix, indices = items
        return I.Entry(parse_program(str(matrix).strip()).result, indices[0], indices[1:])

    def delta(self, items):
        return I.Delta(items[0][0], items[0][1:])

    def scalar(self, items):
        return parse_program(str(items[0]).strip()).result

    def number(self, items):
        return A.number(int(items[0]))

    def function(self, items):
        return A.Func(str(items[0]), items[1])

    def index_sum(self, items):
        return I.IndexSum(items[1], str(items[0]))

    def times(self, items):
        return A.Product(tuple(items))

    def add(self, items):
        return A.Add(tuple(items))

    def subtract(self, items):
        return A.Add((items[0], A.Product((A.MINUS_ONE, items[1]))))

    def negate(self, items):
        return A.Product((A.MINUS_ONE, items[0]))


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(GRAMMAR, parser="earley")


def parse_index_rule(rule: IndexRule, function: str = "exp"):
    """(lhs, rhs, env): both sides typed together, every sum and delta sized
    by the entries that share its index; ``?f`` is ``function``."""
    sides = [_Build().transform(_parser().parse(side.replace("?f", function))) for side in (rule.lhs, rule.rhs)]
    matrices = list(dict.fromkeys(node.arg if isinstance(node, I.Entry) else node
                                  for side in sides for node in _matrix_parts(side)))
    typed, _, env = infer(matrices, rule.source, parse_declarations(rule.where))
    by_source = dict(zip(matrices, typed))
    sides = [_typed(side, by_source) for side in sides]
    sizes = {}
    for side in sides:
        for node in A.walk(side):
            if isinstance(node, I.Entry):
                rows, cols = env.shape(node.arg)
                sizes.setdefault(node.row, rows)
                if node.col:
                    sizes.setdefault(node.col, cols)
    return _sized(sides[0], sizes), _sized(sides[1], sizes), env


def _matrix_parts(side):
    """The pieces written in matcalc's language: entries' matrices and scalars."""
    if isinstance(side, I.Entry):
        yield side
    elif isinstance(side, (I.IndexSum, I.Delta, A.Add, A.Product, A.Func)) and not _plain(side):
        for kid in A.children(side):
            yield from _matrix_parts(kid)
    elif not isinstance(side, I.Delta):
        yield side


def _plain(node) -> bool:
    return not any(isinstance(n, (I.Entry, I.IndexSum, I.Delta)) for n in A.walk(node))


def _typed(side, by_source):
    if isinstance(side, I.Entry):
        return I.Entry(by_source[side.arg], side.row, side.col)
    if side in by_source and _plain(side):
        return by_source[side]
    kids = A.children(side)
    return A.with_children(side, [_typed(kid, by_source) for kid in kids]) if kids else side


def _sized(side, sizes):
    if isinstance(side, I.IndexSum):
        return I.IndexSum(_sized(side.arg, sizes), side.index, sizes[side.index])
    if isinstance(side, I.Delta):
        return I.Delta(side.row, side.col, sizes[side.row])
    kids = A.children(side)
    return A.with_children(side, [_sized(kid, sizes) for kid in kids]) if kids else side
