"""The parsed rules shipped as data (rules/parsed.txt, issue 24: start-up)
are current, read back as the rules' lines read, and are what a catalog uses.
Counted (rules parsed), never timed: benchmarks/startup.py times it.
(test_rules.py checks every rule of the default catalog numerically, so the
stored forms are checked against numbers too.)"""

from __future__ import annotations

import shutil
from fractions import Fraction

import pytest

from matcalc.language import ast as A
from matcalc.resources import data_dir
from matcalc.rewriting import catalog as catalog_module
from matcalc.rewriting import rule_data
from matcalc.rewriting.catalog import Catalog

RULES = data_dir("rules")
REMAKE = 'python -c "from matcalc.rewriting import catalog; catalog.write_parsed_rules()"'


@pytest.fixture
def parses(monkeypatch):
    """The names of the rules read from their lines (parsed) while the test runs."""
    names = []
    original = catalog_module.read_rule

    def counting(line, origin, ruleset=""):
        names.append(line.partition(":")[0].strip())
        return original(line, origin, ruleset)

    monkeypatch.setattr(catalog_module, "read_rule", counting)
    return names


def test_the_shipped_rules_are_current():
    """Made from today's rules by today's parser, shapes and canonical forms."""
    shipped = (RULES / rule_data.FILE_NAME).read_text(encoding="utf-8")
    assert rule_data.to_text(Catalog(RULES)) == shipped, f"rules/parsed.txt is stale: run {REMAKE}"


def test_every_stored_rule_is_the_rule_its_line_reads_as(parses):
    catalog = Catalog(RULES)
    for name in catalog:
        stored, read = catalog[name], catalog.read(name)
        assert (stored.lhs, stored.rhs, stored.pattern) == (read.lhs, read.rhs, read.pattern), name
        assert (stored.conditions, stored.env.symbols, stored.env.free_dims) == \
               (read.conditions, read.env.symbols, read.env.free_dims), name
        # Spans and the fields equality ignores (written_one, from_division) too.
        assert rule_data.encode_rule(stored, "") == rule_data.encode_rule(read, ""), name
    assert len(parses) == len(catalog)          # only the catalog.read calls parsed


def test_a_catalog_parses_no_stored_rule(parses):
    catalog = Catalog(RULES)
    assert len(list(catalog.values())) == len(catalog) > 100
    assert parses == []


def test_an_edited_rule_is_parsed_again_and_the_others_are_not(tmp_path, parses):
    for path in RULES.iterdir():
        shutil.copy(path, tmp_path / path.name)
    trace = tmp_path / "trace.rules"
    text = trace.read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("cyclic:"))
    trace.write_text(text.replace(line, line.split("#")[0] + "# edited: a new explanation"), encoding="utf-8")
    catalog = Catalog(tmp_path)
    assert catalog["cyclic"].explanation == "edited: a new explanation"
    assert catalog["cyclic"].lhs == Catalog(RULES)["cyclic"].lhs
    assert [catalog[name] for name in catalog] and parses == ["cyclic"]


def test_a_directory_without_stored_rules_parses_them(tmp_path, parses):
    (tmp_path / "mine.rules").write_text("swap: ?A ⊙ ?B = ?B ⊙ ?A  # commutes\n", encoding="utf-8")
    catalog = Catalog(tmp_path)
    assert str(catalog["swap"]) == "swap: ?A ⊙ ?B = ?B ⊙ ?A" and parses == ["swap"]


@pytest.mark.parametrize("tree", [
    A.Number(Fraction(-3, 4)),
    A.Number(Fraction(1), written_one=True, span=(3, 4)),
    A.Power(A.Symbol("x"), A.Number(Fraction(-1)), from_division=True),
    A.Norm(A.Symbol("x"), subscript="1"),
    A.Product((A.Symbol("A", span=(0, 1)), A.Transpose(A.Symbol("x")))),
])
def test_trees_and_their_hidden_fields_read_back(tree):
    back = rule_data.decode(rule_data.encode(tree))
    assert back == tree and rule_data.encode(back) == rule_data.encode(tree)
    assert [getattr(back, f) for f in ("span", "written_one", "from_division", "subscript") if hasattr(tree, f)] == \
           [getattr(tree, f) for f in ("span", "written_one", "from_division", "subscript") if hasattr(tree, f)]


def test_a_value_the_data_cannot_hold_is_refused():
    with pytest.raises(TypeError, match="cannot store"):
        rule_data.encode(A.Symbol(object()))
