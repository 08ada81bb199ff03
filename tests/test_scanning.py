"""The parse loop's own drive of Lark's contextual lexer (language/scanning.py):
the very tokens Lark's lexer thread hands its parser (type, text, positions,
lines and columns, the norm bars as the post-lexer reads them), and Lark's
parse, with its error, wherever a text does not read."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from lark import Token

from matcalc.language import parser, reductions, scanning
from matcalc.language.transformer import Build
from strategies import random_case

RULES = Path(__file__).resolve().parent.parent / "rules"


def _fields(token) -> tuple:
    return (token.type, str(token), type(token.value), token.value, token.start_pos, token.end_pos, token.line, token.column,
            token.end_line, token.end_column)


def larks_tokens(text: str, start: str) -> list:
    """The tokens Lark's own interactive parser is fed (lexer thread, line counter, post-lexer),
    and the end it makes after them (InteractiveParser.exhaust_lexer and feed_eof)."""
    reading = parser._SOURCE.set(text)
    try:
        tokens = list(parser._parser().parse_interactive(text, start).iter_parse())
    finally:
        parser._SOURCE.reset(reading)
    end = Token.new_borrow_pos("$END", "", tokens[-1]) if tokens else Token("$END", "", 0, 1, 1)
    return [_fields(token) for token in tokens + [end]]


def scanned_tokens(text: str, start: str) -> tuple[list, object]:
    """The tokens ``scanning.read`` feeds its table (the end included), and what it built."""
    seen = []

    def recorded(stream):
        for token in stream:
            seen.append(_fields(token))
            yield token

    def run(table, states, values, stream, end_state, builder):
        return reductions.run(table, states, values, recorded(stream), end_state, builder)

    postlex = parser._NormBars._read_bars_of(text) if parser.has_bars(text) else None
    with mock.patch.object(scanning, "run", run):
        built = scanning.read(parser._scanners(), parser._actions(), Build(start == "rule", frozenset()),
                              text, start, postlex)
    return seen, built


def _rule_lines() -> list[str]:
    return [line for path in sorted(RULES.glob("*.rules"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


TEXTS = [
    "i x", "x^T A x", "\n; y = x ; \n tr((y y^T))^(1/2)", "a = x + (y)\r\nb = (a) a\n(b)^T b",
    "x^T \\\n A x", "2 ||(x)||_F^2 + ||A x - b||", "‖A x − b‖² + ||x||_2", "||2 ||x|| x||",
    "sum(log(sigma(W2 (W1 x + b1))))", "x^{-T} .^ (2) ⊙ y ./ z", "α·x ⊗ y + Xᵀ X⁻¹ + T",
    "where + constant x", "\tx\f+ y  ", "x \\\n",
]
DECLARATIONS = ["i: scalar", "alpha, c: scalar; S: symmetric, 3 x 3; y: vector, probability vector, data",
                "A: 3 × 4\n B: matrix", "x: vector\r\n\\\n y: vector"]


@pytest.mark.parametrize("text, start", [(text, "program") for text in TEXTS]
                         + [(text, "declarations") for text in DECLARATIONS]
                         + [(random_case(26, index).expression, "program") for index in range(40)]
                         + [(random_case(26, index).where, "declarations") for index in range(40)
                            if random_case(26, index).where.strip()])
def test_the_tokens_are_larks(text, start):
    seen, built = scanned_tokens(text, start)
    assert seen == larks_tokens(text, start)
    assert built == parser._run(text, start) == reference_build(text, start)


def reference_build(text: str, start: str):
    """What the parse loop builds with Lark's own lexer thread (``reductions.parse``)."""
    reading = parser._SOURCE.set(text)
    try:
        return reductions.parse(parser._parser(), parser._actions(), Build(start == "rule", frozenset()), text, start)
    finally:
        parser._SOURCE.reset(reading)


def test_every_rule_line_scans_as_lark_lexes_it():
    lines = _rule_lines()
    assert len(lines) > 100
    for line in lines:
        seen, built = scanned_tokens(line, "rule")
        assert seen == larks_tokens(line, "rule"), line
        assert built == reference_build(line, "rule"), line


@pytest.mark.parametrize("text, start", [
    ("a $ b", "program"), ("a + * b", "program"), ("foo(x) +", "program"), ("||x", "program"),
    ("x ]", "program"), ("a:", "declarations"), ("a b: scalar", "declarations"), ("r: ?A = ", "rule"),
    ("x ? y", "program"), ("x\n\n ] y", "program"),
])
def test_a_text_that_does_not_read_is_handed_to_larks_parse(text, start):
    """``Unread``, for the parse with Lark's lexer thread to raise its error (tests/test_node_facts.py
    checks that error against Lark's own parse)."""
    with pytest.raises(scanning.Unread):
        scanned_tokens(text, start)


def test_settled_unit_rules_read_as_a_turn_per_rule_does():
    """reductions' table goes through a chain of unit rules in one step (_Goto): the
    table without those steps builds the same values and refuses the same texts."""
    table = parser._actions()
    assert any(isinstance(move, reductions._Goto) for moves in table.values() for move in moves.values())
    plain = {state: {symbol: move.state if isinstance(move, reductions._Goto) else move
                     for symbol, move in moves.items()} for state, moves in table.items()}
    texts = [(text, "program") for text in TEXTS] + [(text, "declarations") for text in DECLARATIONS] \
        + [(line, "rule") for line in _rule_lines()[:60]] + [(random_case(28, i).expression, "program") for i in range(20)]
    for text, start in texts + [("a + * b", "program"), ("foo(x) +", "program"), ("a b: scalar", "declarations")]:
        results = []
        for moves in (table, plain):
            try:
                results.append(scanning.read(parser._scanners(), moves, Build(start == "rule", frozenset()), text,
                                             start, parser._NormBars._read_bars_of(text) if parser.has_bars(text)
                                             else None))
            except scanning.Unread:
                results.append("unread")
        assert results[0] == results[1], text
