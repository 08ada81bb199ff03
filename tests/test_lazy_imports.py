"""Start-up work a command does not do (issue 24, speed round 2): the
package loads its API on first use and the --format list loads no printer.
Counted in fresh interpreters (modules imported), never timed:
benchmarks/startup.py times it."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys, contextlib, io
{code}
print(" ".join(sorted(m for m in sys.modules if m.startswith("matcalc") or m == "lark")))
"""
DERIVE = ("import matcalc.cli\nwith contextlib.redirect_stdout(io.StringIO()):\n"
          "    assert matcalc.cli.main(['derive', 'a^T x', '--wrt', 'x']) == 0")
PRINTERS = {"matcalc.printers.text_report", "matcalc.printers.latex_report", "matcalc.printers.html_report",
            "matcalc.printers.json_report", "matcalc.printers.markdown_report", "matcalc.printers.pass_report"}


def imported(code: str) -> set:
    """The matcalc modules (and lark) that ``code`` imports in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return set(done.stdout.split())


def test_importing_the_package_loads_neither_the_api_nor_the_parser():
    modules = imported("import matcalc\nassert matcalc.MatcalcError")
    assert "matcalc.api" not in modules and "lark" not in modules
    assert "matcalc.api" in imported("import matcalc\nassert callable(matcalc.derive)")


def test_the_format_list_loads_no_printer():
    assert not PRINTERS & imported("import matcalc.cli")


def test_a_text_derivation_loads_only_the_text_printer():
    assert PRINTERS & imported(DERIVE) == {"matcalc.printers.text_report"}
    pass_text = "import matcalc\nmatcalc.derive('l = ||W x||^2', wrt='all').text()"
    assert "matcalc.printers.pass_report" in imported(pass_text)


# What a one-symbol derive in matcalc's language does not use (issue 24, round 3).
ON_FIRST_USE = {
    "matcalc.calculus.methods.index": "import matcalc\nmatcalc.derive('x^T A x', wrt='x', method='index').text()",
    "matcalc.calculus.methods.vec": "import matcalc\nmatcalc.derive('x^T A x', wrt='x', method='vec').text()",
    "matcalc.printers.code.numpy": "import matcalc\nmatcalc.derive('x^T A x', wrt='x').to_python('numpy')",
    "matcalc.lowering": "import matcalc\nmatcalc.derive('x^T A x', wrt='x').to_python('jax')",
    "matcalc.language.latex.reader": "import matcalc\nmatcalc.derive('\\\\mathbf{x}^\\\\top \\\\mathbf{x}', wrt='x')",
    "matcalc.calculus.backprop": "import matcalc\nmatcalc.derive('a = W x; l = a^T a', wrt='W')",
    "matcalc.printers.latex": "import matcalc\nmatcalc.derive('x^T A x', wrt='x').latex()",
    "matcalc.reading": "import matcalc\nmatcalc.read('x^T A x')",
}


def test_a_small_derive_loads_neither_methods_nor_emitters_nor_the_latex_reader_nor_the_sweep():
    assert not set(ON_FIRST_USE) & imported(DERIVE)


@pytest.mark.parametrize("module", sorted(ON_FIRST_USE))
def test_each_loads_when_it_is_used(module):
    assert module in imported(ON_FIRST_USE[module])


def test_a_small_derive_takes_its_rules_from_the_stored_catalog():
    """No rule is parsed (rules/parsed.txt has them), yet the rules are used."""
    code = ("import matcalc.rewriting.catalog as catalog\nparsed = []\nread_rule = catalog.read_rule\n"
            "catalog.read_rule = lambda *line: parsed.append(line) or read_rule(*line)\n" + DERIVE +
            "\nprint('parsed', len(parsed), 'used', len(catalog.default_catalog()._rules))")
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    words = done.stdout.split()
    assert words[:2] == ["parsed", "0"] and words[2] == "used" and int(words[3]) > 10, done.stdout
