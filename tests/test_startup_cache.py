"""Start-up work a command does not redo (issue 24, speed round 2): the
package loads its API on first use, the --format list loads no printer, and
the rule catalog parsed by one run is read by the next (``rule_cache``).
Counted in fresh interpreters (modules imported, rules parsed), never timed:
benchmarks/startup.py times it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from matcalc.resources import data_dir
from matcalc.rewriting import rule_cache

PROBE = """
import sys, contextlib, io
{code}
print(0, " ".join(sorted(m for m in sys.modules if m.startswith("matcalc") or m == "lark")))
"""
COUNTING_PROBE = """
import sys, contextlib, io
import matcalc.language.parser as parser
parsed = []
parse_rule = parser.parse_rule
def counted(text):
    parsed.append(text)
    return parse_rule(text)
parser.parse_rule = counted
import matcalc.rewriting.catalog as catalog
catalog.parse_rule = counted
{code}
print(len(parsed), " ".join(sorted(m for m in sys.modules if m.startswith("matcalc") or m == "lark")))
"""
DERIVE = ("import matcalc.cli\nwith contextlib.redirect_stdout(io.StringIO()):\n"
          "    assert matcalc.cli.main(['derive', 'a^T x', '--wrt', 'x']) == 0")


def probe(code: str, cache: str, counting: bool = True) -> tuple[int, set]:
    """(rules parsed, matcalc modules and lark imported) by ``code`` in a fresh interpreter."""
    environment = dict(os.environ, MATCALC_CACHE_DIR=cache)
    done = subprocess.run([sys.executable, "-c", (COUNTING_PROBE if counting else PROBE).format(code=code)], capture_output=True, text=True,
                          timeout=120, env=environment)
    assert done.returncode == 0, done.stderr[-2000:]
    parsed, _, modules = done.stdout.strip().partition(" ")
    return int(parsed), set(modules.split())


def test_importing_the_package_loads_neither_the_api_nor_the_parser(tmp_path):
    _, modules = probe("import matcalc\nassert matcalc.MatcalcError", str(tmp_path), counting=False)
    assert "matcalc.api" not in modules and "lark" not in modules
    _, modules = probe("import matcalc\nassert callable(matcalc.derive)", str(tmp_path), counting=False)
    assert "matcalc.api" in modules


def test_a_text_derivation_loads_only_the_text_printer(tmp_path):
    _, modules = probe(DERIVE, str(tmp_path))
    assert "matcalc.printers.text_report" in modules
    assert not {"matcalc.printers.latex_report", "matcalc.printers.html_report", "matcalc.printers.json_report",
                "matcalc.printers.markdown_report"} & modules


def test_the_next_run_reads_the_rules_the_first_one_parsed(tmp_path):
    first, _ = probe(DERIVE, str(tmp_path))
    assert first > 100                              # the whole catalog, parsed once and kept
    assert len(list(tmp_path.glob("rules-*.pickle"))) == 1
    second, _ = probe(DERIVE, str(tmp_path))
    assert second == 0


def test_without_a_cache_the_rules_are_parsed_as_needed(tmp_path):
    parsed, _ = probe(DERIVE, "off")
    assert 0 < parsed < 60                          # only the rules the derivation looks at


def test_a_broken_cache_is_ignored(tmp_path):
    probe(DERIVE, str(tmp_path))
    cached, = tmp_path.glob("rules-*.pickle")
    cached.write_bytes(b"not a pickle")
    parsed, _ = probe(DERIVE, str(tmp_path))
    assert parsed > 100                             # parsed again (and written again)
    assert probe(DERIVE, str(tmp_path))[0] == 0


def test_an_edited_rule_file_is_a_new_cache(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for path in Path(data_dir("rules")).glob("*.rules"):
        (rules / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    before = rule_cache.fingerprint(rules)
    edited = rules / "trace.rules"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert rule_cache.fingerprint(rules) != before
