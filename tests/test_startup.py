"""What the command line loads (issue 24): a small problem, its parse and
--help need neither SymPy nor NumPy nor the web stack; those load when a
derivation needs scalar algebra, numbers or the page.  Counted in a fresh
interpreter (imported modules), never timed: benchmarks/startup.py times it."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("sympy", "numpy", "starlette", "uvicorn", "anyio", "httpx")
PROBE = """
import sys
{code}
print(" ".join(m for m in {heavy!r} if m in sys.modules))
"""


def loaded(code: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


@pytest.mark.parametrize("code", [
    "import matcalc.cli",
    "import matcalc",
    "import matcalc.cli, contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    matcalc.cli.main(['derive', 'a^T x', '--wrt', 'x'])",
    "import matcalc.cli, contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    matcalc.cli.main(['derive', 'a1 = W1 x + b1; l = ||W2 a1 - y||^2', '--wrt', 'all'])",
    "import matcalc; matcalc.derive('-y^T log(softmax(W x))', wrt='W', where='y: probability vector').text()",
])
def test_a_small_problem_loads_no_heavy_library(code):
    assert loaded(code) == []


def test_numbers_load_numpy_and_elementwise_algebra_sympy():
    assert loaded("import matcalc; matcalc.derive('x^T A x', wrt='x').check()") == ["numpy"]
    assert "sympy" in loaded("import matcalc; matcalc.derive('sum(tanh(x) .^ 3)', wrt='x').text()")


def test_the_command_freezes_what_it_loaded_and_main_does_not(monkeypatch, capsys):
    """``matcalc`` as a command tells the cycle collector to leave the loaded
    objects alone, at its start and at its end (the pass at exit would look
    at all of them); ``main``, which the tests and other programs call, leaves
    the collector as it is.  Counted, not timed."""
    import gc

    from matcalc import cli
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    assert cli.main(["derive", "a^T x", "--wrt", "x"]) == 0 and frozen == []
    monkeypatch.setattr(sys, "argv", ["matcalc", "derive", "a^T x", "--wrt", "x"])
    assert cli.command() == 0 and len(frozen) == 2
    assert capsys.readouterr().out.count("∂l/∂x") >= 1
    monkeypatch.setattr(sys, "argv", ["matcalc", "derive", "x^T", "--wrt", "x"])
    assert cli.command() == 2 and len(frozen) == 4            # an error ends the command the same way


def test_python_m_matcalc_and_the_script_run_the_command():
    import tomllib
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    assert tomllib.loads((root / "pyproject.toml").read_text())["project"]["scripts"]["matcalc"] == "matcalc.cli:command"
    done = subprocess.run([sys.executable, "-c", "import sys, gc, runpy\nsys.argv = ['matcalc', 'derive', 'a^T x', "
                           "'--wrt', 'x']\ntry:\n    runpy.run_module('matcalc', run_name='__main__')\n"
                           "except SystemExit as exit:\n    print('status', exit.code, 'frozen', gc.get_freeze_count() > 0, "
                           "'collecting', gc.isenabled())"],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.split()[-6:] == ["status", "0", "frozen", "True", "collecting", "True"], done.stderr[-2000:]
