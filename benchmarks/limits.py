"""Benchmark: sums of distinct terms at the size limit (README "Limits").

    python benchmarks/limits.py [--kinds quadratic tanh ...] [--fraction 1.0]

For each kind of term it finds the most terms ``t0 + t1 + …`` (each term with
symbols of its own, so nothing is shared) that the size limit admits, times
``matcalc.derive(..).text()`` in a fresh interpreter (CPU seconds, after a
warm-up call that loads the grammar, the rules and SymPy) and prints one row
per kind: answered, or refused by the work limit (README "Limits").
``--fraction 0.5`` measures at half the limit instead.  The
engine's cost is about linear in the number of distinct terms
(tests/test_linear_cost.py), so the rows say what one distinct term costs.
This is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

KINDS = {
    "quadratic": ("x^T A# x", "x"),
    "bilinear": ("a#^T W b#", "W"),
    "least-squares": ("||A# x - b#||^2", "x"),
    "tanh": ("sum(tanh(A# x))", "x"),
    "cross-entropy": ("y#^T log(softmax(W# x))", "x"),
    "two-layer": ("sum(sigma(W# tanh(V# x)))", "x"),
}

PROBE = """
import json, sys, time
import matcalc
from matcalc.api import _problem
matcalc.derive("sum(sigma(x))", wrt="x").check()
term, wrt, fraction = json.loads(sys.argv[1])
def written(count):
    return " + ".join(term.replace("#", str(i)) for i in range(count))
low, high = 1, 20_000
while low < high:                                   # the most terms the size limit admits
    middle = (low + high + 1) // 2
    try:
        _problem(written(middle), None)
        low = middle
    except matcalc.LimitError:
        high = middle - 1
count = max(1, int(low * fraction))
started = time.process_time()
try:
    matcalc.derive(written(count), wrt=wrt).text()
    outcome = "answered"
except matcalc.LimitError:
    outcome = "refused"
print(json.dumps({"terms": count, "seconds": time.process_time() - started, "outcome": outcome}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--fraction", type=float, default=1.0, help="of the most terms admitted")
    options = parser.parse_args(argv)
    print(f"{'kind':15s} {'term':28s} {'terms':>6s} {'CPU s':>7s} {'ms/term':>8s}  outcome")
    for kind in options.kinds:
        term, wrt = KINDS[kind]
        done = subprocess.run([sys.executable, "-c", PROBE, json.dumps([term, wrt, options.fraction])],
                              capture_output=True, text=True)
        if done.returncode != 0:
            print(f"{kind:15s} {term:28s} failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        row = json.loads(done.stdout)
        print(f"{kind:15s} {term:28s} {row['terms']:6d} {row['seconds']:7.2f} "
              f"{1000 * row['seconds'] / row['terms']:8.2f}  {row['outcome']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
