"""Facts kept in the nodes (language/node_facts.py) and the AST builder's own
walk of Lark's tree (issue 24, fixed cost): the same answers as computing
them afresh, on the project's random expressions, on trees rebuilt by
with_children, and on trees too deep to recurse into."""

from __future__ import annotations

import sys

import pytest

from lark import v_args
from lark.visitors import Transformer_NonRecursive

from matcalc.language import ast as A
from matcalc.language import parser
from matcalc.language.parser import parse_program
from matcalc.language.transformer import RULE_METHODS, Build
from strategies import random_case


def walked_symbols(expr) -> set:
    """The symbols of a tree by visiting every node: the definition the cache must agree with."""
    return {node.name for node in A.walk(expr) if isinstance(node, A.Symbol)}


def subtrees(expr) -> list:
    return list(A.walk(expr))


@pytest.mark.parametrize("index", range(40))
def test_symbols_of_every_subtree_agree_with_a_walk(index):
    tree = parse_program(random_case(24, index).expression).result
    nodes = subtrees(tree)
    # Asked leaves first, then the root, then every node again: the cache is
    # filled in different orders and must give one answer.
    for node in reversed(nodes):
        assert A.symbol_names(node) == walked_symbols(node)
    for node in nodes:
        assert A.symbol_names(node) == walked_symbols(node)


def test_a_rebuilt_node_does_not_keep_its_old_symbols():
    tree = parse_program("A x + b").result
    assert A.symbol_names(tree) == {"A", "x", "b"}
    product = tree.args[0]
    rebuilt = A.with_children(product, [A.Symbol("W"), product.args[1]])
    assert A.symbol_names(rebuilt) == {"W", "x"}
    assert A.symbol_names(A.with_children(tree, [rebuilt, tree.args[1]])) == {"W", "x", "b"}
    assert A.symbol_names(tree) == {"A", "x", "b"}          # the original is unchanged


def test_callers_may_change_the_set_they_get():
    tree = parse_program("A x").result
    names = A.symbol_names(tree)
    names.add("z")
    assert A.symbol_names(tree) == {"A", "x"}


def test_a_tree_deeper_than_the_recursion_limit():
    depth = sys.getrecursionlimit() * 3
    tree = A.Symbol("x")
    for level in range(depth):
        tree = A.Transpose(tree) if level % 2 else A.Func("exp", tree)
    assert A.symbol_names(tree) == {"x"}


def test_shared_subtrees_are_visited_once():
    # a_i = a_{i-1} a_{i-1} written out: 2^60 leaves, 61 distinct nodes.
    tree = A.Symbol("x")
    for _ in range(60):
        tree = A.Product((tree, tree))
    assert A.symbol_names(tree) == {"x"}


# The builder's methods called by Lark's Transformer_NonRecursive with
# v_args(meta=True), as before issue 24's fixed-cost round.
_LarksOwnWalk = v_args(meta=True)(type("_LarksOwnWalk", (Build, Transformer_NonRecursive),
                                       {"transform": Transformer_NonRecursive.transform, **RULE_METHODS}))


@pytest.mark.parametrize("index", range(40))
def test_the_builders_walk_builds_what_larks_walk_builds(index):
    """Same trees, same spans on every node (the carets of error messages), same programs."""
    text = random_case(25, index).expression
    tree = parser._parser().parse(text, start="program")
    ours = Build(False, frozenset()).transform(tree)
    reference = _LarksOwnWalk(False, frozenset()).transform(tree)
    assert ours == reference
    for mine, theirs in zip(A.walk(ours.result), A.walk(reference.result), strict=True):
        assert (type(mine), mine.span) == (type(theirs), theirs.span)
