"""Facts kept in the nodes (language/node_facts.py) and the AST builder's own
walk of Lark's tree (issue 24, fixed cost): the same answers as computing
them afresh, on the project's random expressions, on trees rebuilt by
with_children, and on trees too deep to recurse into."""

from __future__ import annotations

import sys
import warnings

import pytest

from lark import v_args
from lark.visitors import Transformer_NonRecursive

from matcalc.errors import MatcalcError, MatcalcWarning
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
# v_args(meta=True) on Lark's parse tree, as before issue 24's fixed-cost rounds.
_LarksOwnWalk = v_args(meta=True)(type("_LarksOwnWalk", (Build, Transformer_NonRecursive),
                                       {"transform": Transformer_NonRecursive.transform, **RULE_METHODS}))


def _larks_walk(text: str, start: str = "program", pattern_mode: bool = False):
    tree = parser._parser().parse(text, start=start)
    return _LarksOwnWalk(pattern_mode, frozenset()).transform(tree)


def _same_trees(ours, reference) -> None:
    assert ours == reference
    for mine, theirs in zip(A.walk(ours), A.walk(reference), strict=True):
        assert (type(mine), mine.span) == (type(theirs), theirs.span)


@pytest.mark.parametrize("index", range(40))
def test_the_builders_reductions_build_what_larks_walk_builds(index):
    """Same trees, same spans on every node (the carets of error messages), same programs."""
    text = random_case(25, index).expression
    ours, reference = parse_program(text), _larks_walk(text)
    assert ours == reference
    _same_trees(ours.result, reference.result)


@pytest.mark.parametrize("text", [
    "((a + b))^T (x)", "(x)^T A (x)", "-(A x)' (B x)", "kron(A + B, (C)) + sum((x))", "2 ||(x)||_F^2 + ||A x - b||",
    "sum(log(sigma(W2 (W1 x + b1))))", "x^{-T} .^ (2) ⊙ y ./ z", "a = x + (y); b = (a) a; (b)^T b",
    "\n; y = x ; \n tr((y y^T))^(1/2)", "(i ones) ⊙ x ⊙ y", "x .^ -2 + kron(A, (B))"])
def test_spans_of_parenthesised_and_inlined_parts(text):
    """A part in parentheses spans them where it is an operand (Lark's containers)."""
    ours, reference = parse_program(text), _larks_walk(text)
    assert ours == reference
    for (_, mine), (_, theirs) in zip(ours.bindings, reference.bindings, strict=True):
        _same_trees(mine, theirs)
    _same_trees(ours.result, reference.result)


def test_declarations_and_rules_build_what_larks_walk_builds():
    text = "alpha, c: scalar; S: symmetric, 3 x 3; y: vector, probability vector, data"
    assert parser._run(text, "declarations") == _larks_walk(text, "declarations")
    rule = "trace-cyclic: tr(?A ?B) = tr(?B ?A) where ?A: constant square; ?B, ?C: matrix  # why"
    ours, reference = parser.parse_rule(rule), _larks_walk(rule, "rule", pattern_mode=True)
    assert ours == reference
    for mine, theirs in ((ours.lhs, reference.lhs), (ours.rhs, reference.rhs)):
        _same_trees(mine, theirs)


@pytest.mark.parametrize("text, message", [
    ("foo(x) +", "the input ends too early"),            # the syntax error, not the unknown function before it
    ("Tr(A) ) + x", r"unexpected '\)'"),   # not "'Tr' is not a function"
    ("foo(x) + bar(y)", "unknown function 'foo'"),       # the first error, as a walk after parsing finds it
    ("x^T (y ./ 0) + foo(z)", "divi"),
])
def test_the_first_error_is_the_one_a_walk_after_parsing_finds(text, message):
    with pytest.raises(MatcalcError, match=message) as ours:
        parse_program(text)
    assert ours.value.source == text


def test_a_norm_warning_is_said_only_when_the_text_parses():
    with pytest.warns(MatcalcWarning, match="subgradient"):
        parse_program("||x||_1 + y")
    with pytest.raises(MatcalcError, match="ends too early"), warnings.catch_warnings():
        warnings.simplefilter("error", MatcalcWarning)
        parse_program("||x||_1 +")
