"""Start-up work a command does not do (issue 24, speed round 2): the
package loads its API on first use and the --format list loads no printer.
Counted in fresh interpreters (modules imported), never timed:
benchmarks/startup.py times it."""

from __future__ import annotations

import subprocess
import sys

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
