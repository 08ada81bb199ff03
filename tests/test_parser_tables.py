"""The shipped LALR tables (grammar/matcalc.tables.json) are current and parse as the grammar does."""

from __future__ import annotations

import json

import lark
import pytest

from matcalc.language import parser, parser_tables

TEXT = parser_tables.GRAMMAR.read_text(encoding="utf-8")
SHIPPED = json.loads(parser_tables.TABLES.read_text(encoding="utf-8"))["made_from"]
# The shipped tables are Lark's own serialization, made by one Lark; with another
# (pyproject allows lark>=1.1.7,<2) matcalc builds its tables from the grammar
# instead, and comparing the two is meaningless.
made_by_this_lark = pytest.mark.skipif(SHIPPED["lark"] != lark.__version__,
                                       reason=f"the shipped tables were made by Lark {SHIPPED['lark']}, "
                                              f"this is Lark {lark.__version__}")

INPUTS = [
    ("program", "-y^T log(softmax(W2 sigma(W1 x)))"),
    ("program", "a1 = W1 x + b1; h1 = σ(a1); l = ||h1 - y||^2"),
    ("program", "||a|| ||b|| + tr(X^{-1} A)' ⊙ B ./ C"),
    ("program", "vec(X)^T (A ⊗ B) vec(X) + x_t_1^T kron(A, B) 1"),
    ("declarations", "alpha, c: scalar; S: symmetric; A: 3 x 4"),
    ("rule", "trace-cyclic: tr(?A ?B) = tr(?B ?A)  # cyclic"),
]


def test_the_shipped_tables_were_made_from_this_grammar():
    assert SHIPPED["grammar_sha256"] == parser_tables.fingerprint(TEXT)["grammar_sha256"], (
        "grammar/matcalc.tables.json is stale: run python -c \"import matcalc.language.parser as p; p.write_tables()\"")


@made_by_this_lark
def test_the_shipped_tables_were_made_from_this_grammar_and_this_lark():
    stored = parser_tables.stored_parser(TEXT)
    assert stored is not None, ("grammar/matcalc.tables.json is missing or stale: run "
                                "python -c \"import matcalc.language.parser as p; p.write_tables()\"")


@made_by_this_lark
@pytest.mark.parametrize("start, text", INPUTS)
def test_the_shipped_tables_parse_as_the_grammar_does(start, text):
    shipped = parser_tables.stored_parser(TEXT, postlex=parser._NormBars(), propagate_positions=True)
    built = parser.build_parser(TEXT)
    tree, expected = shipped.parse(text, start=start), built.parse(text, start=start)
    assert tree == expected
    assert [t.meta.column for t in tree.iter_subtrees()] == [t.meta.column for t in expected.iter_subtrees()]


@made_by_this_lark
@pytest.mark.parametrize("bad", ["W x +", "a^T (x", "tr(X))"])
def test_syntax_errors_are_the_same_either_way(bad):
    shipped = parser_tables.stored_parser(TEXT, postlex=parser._NormBars(), propagate_positions=True)
    built = parser.build_parser(TEXT)
    errors = []
    for lark_parser in (shipped, built):
        with pytest.raises(Exception) as caught:
            lark_parser.parse(bad, start="program")
        error = caught.value
        errors.append((type(error), error.line, error.column, sorted(getattr(error, "expected", ()))))
    assert errors[0] == errors[1]


def test_an_edited_grammar_is_not_parsed_with_the_old_tables():
    assert parser_tables.stored_parser(TEXT + "\n// edited\n") is None

