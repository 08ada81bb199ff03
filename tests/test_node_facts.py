"""Facts kept in the nodes (language/node_facts.py) and the AST builder's own
walk of Lark's tree (issue 24, fixed cost): the same answers as computing
them afresh, on the project's random expressions, on trees rebuilt by
with_children, and on trees too deep to recurse into."""

from __future__ import annotations

import sys
import warnings

import pytest

from lark import v_args
from lark.exceptions import UnexpectedInput
from lark.visitors import Transformer_NonRecursive

from matcalc.errors import MatcalcError, MatcalcWarning
from matcalc.language import ast as A
from matcalc.language import parser, parser_tables, reductions
from matcalc.language.parser import parse_program
from matcalc.language.syntax_errors import syntax_error
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


@pytest.mark.parametrize("index", range(12))
def test_contains_agrees_with_a_walk(index):
    """contains answers from the node classes and symbols a tree keeps
    (types_mask, names_of) before it walks: the same answer as a walk, for
    every pair of subtrees, and for their differentials (the usual target)."""
    tree = parse_program(random_case(24, index).expression).result
    nodes = subtrees(tree)
    targets = nodes + [A.Differential(node) for node in nodes if isinstance(node, A.Symbol)]
    holder = A.Product((tree, A.Differential(nodes[-1])))
    for expr in nodes + [holder]:
        for target in targets:
            assert A.contains(expr, target) == any(node == target for node in A.walk(expr))


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


@pytest.mark.parametrize("text, start", [
    ("a +", "program"), ("a + * b", "program"), ("a $ b", "program"), ("(a", "program"), ("a)", "program"),
    ("tr(", "program"), ("x^", "program"), ("||x", "program"), ("x = ", "program"), ("; ;", "program"),
    ("a b = c", "program"), ("x^T^T^", "program"), ("f(x,)", "program"), ("\\\n", "program"),
    ("a:", "declarations"), (": scalar", "declarations"), ("a b: scalar", "declarations"),
    ("a, : scalar", "declarations"), ("r: ?A = ", "rule"), ("r: ?A = ?A where ?A", "rule"),
])
def test_a_syntax_error_is_the_one_larks_own_parse_raises(text, start):
    """The parse loop over Lark's table (reductions.parse) fails where Lark's
    parser fails, with the same error: same place, same tokens expected."""
    with pytest.raises(UnexpectedInput) as theirs:
        parser._parser().parse(text, start=start)
    with pytest.raises(MatcalcError) as ours:
        parser._run(text, start, pattern_mode=start == "rule")
    assert str(ours.value) == str(syntax_error(theirs.value, text))


def test_the_parse_loop_reads_a_table_built_from_the_grammar_as_the_shipped_one():
    """Without the shipped tables (an edited grammar) the table is Lark's fresh one."""
    built = parser.build_parser(parser_tables.GRAMMAR.read_text(encoding="utf-8"))
    table = reductions.actions(built, reductions.callbacks(built, RULE_METHODS))
    for text in ("a = x + (y); b = (a) a; (b)^T b", "||A x - b||_F^2 + tr(X^{-T}) x^T .^ 2"):
        assert reductions.parse(built, table, Build(False, frozenset()), text, "program") == parse_program(text)


def test_a_rebuilt_node_hashes_as_a_fresh_one():
    """The cached hash is the node's own: a copy by with_children (either way
    it copies: exp(..) and ^2 by the general copy, + and products directly) computes its own."""
    tree = parse_program("exp(A x) + (A x)^2").result
    old_hashes = [hash(node) for node in A.walk(tree)]
    expected = parse_program("exp(W x) + (W x)^2").result
    rebuilt = A.substitute(tree, {A.Symbol("A"): A.Symbol("W")})
    for mine, fresh, old in zip(A.walk(rebuilt), A.walk(expected), A.walk(tree), strict=True):
        assert mine == fresh and hash(mine) == hash(fresh)
        assert (hash(mine) == hash(old)) == (mine == old)
    assert [hash(node) for node in A.walk(tree)] == old_hashes
