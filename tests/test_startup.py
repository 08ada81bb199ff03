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
