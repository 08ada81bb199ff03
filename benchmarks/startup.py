"""Start-up benchmark: the wall time of one small command in a fresh process.

    python benchmarks/startup.py [--repeat 10]

Runs ``python -m matcalc derive "a^T x" --wrt x`` ``--repeat`` times (after
one run that lets Python write its bytecode caches and matcalc its rule
cache), reports the median and the fastest wall time, the fastest CPU time
of the child (user + system: the wall time of a shared machine is mostly
waiting), the same for ``python -c pass`` and ``python -c "import lark"``
for comparison, and which heavy libraries the command imported: a small
problem needs neither SymPy nor NumPy.  This is a measurement, not a
test: it always exits 0.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

COMMAND = [sys.executable, "-m", "matcalc", "derive", "a^T x", "--wrt", "x"]
PROBE = ("import sys, matcalc.cli; matcalc.cli.main(['derive', 'a^T x', '--wrt', 'x']); "
         "print('imported:', ' '.join(m for m in ('sympy', 'numpy', 'lark') if m in sys.modules), "
         "file=sys.stderr)")


def _timed(command: list, env: dict, repeat: int) -> tuple[list, list]:
    """(wall seconds, CPU seconds of the child) of ``repeat`` runs."""
    wall, cpu = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, env=env, capture_output=True, check=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(COMMAND, env=env, capture_output=True, check=True)      # writes the .pyc files
    times, cpu = _timed(COMMAND, env, options.repeat)
    python_cpu = _timed([sys.executable, "-c", "pass"], env, options.repeat)[1]
    lark_cpu = _timed([sys.executable, "-c", "import lark"], env, options.repeat)[1]
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    imported = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "?"
    print(f"`{' '.join(COMMAND[1:4])} \"a^T x\" --wrt x`: median {statistics.median(times):.3f} s, "
          f"fastest {min(times):.3f} s over {options.repeat} runs; CPU {min(cpu):.3f} s "
          f"(python -c pass {min(python_cpu):.3f} s, import lark {min(lark_cpu):.3f} s); {imported}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
