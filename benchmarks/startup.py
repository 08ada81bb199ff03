"""Start-up benchmark: the wall time of one small command in a fresh process.

    python benchmarks/startup.py [--repeat 10]

Runs ``python -m matcalc derive "a^T x" --wrt x`` ``--repeat`` times (after
one run that lets Python write its bytecode caches), reports the median and
the fastest wall time, and which heavy libraries the command imported: a
small problem needs neither SymPy nor NumPy.  This is a measurement, not a
test: it always exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

COMMAND = [sys.executable, "-m", "matcalc", "derive", "a^T x", "--wrt", "x"]
PROBE = ("import sys, matcalc.cli; matcalc.cli.main(['derive', 'a^T x', '--wrt', 'x']); "
         "print('imported:', ' '.join(m for m in ('sympy', 'numpy', 'lark') if m in sys.modules), "
         "file=sys.stderr)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(COMMAND, env=env, capture_output=True, check=True)      # writes the .pyc files
    times = []
    for _ in range(options.repeat):
        start = time.perf_counter()
        subprocess.run(COMMAND, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    probe = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True)
    imported = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else "?"
    print(f"`{' '.join(COMMAND[1:4])} \"a^T x\" --wrt x`: median {statistics.median(times):.3f} s, "
          f"fastest {min(times):.3f} s over {options.repeat} runs; {imported}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
