"""Scaling benchmark: ``check()`` of every gradient of a deep tanh network.

    python benchmarks/check_scaling.py [--depths 8 16 32 64] [--repeat 3] [--width n]

The network of depth L is the matcalc program

    h1 = tanh(W1 x + b1); ...; hL = tanh(WL h(L-1) + bL); l = ||hL - y||^2

with ``where="x, y: data; W1, ..., WL: n x n"`` (``--width 0``: every layer a
size of its own, 3, 4, 5, ... up to L + 3, as matcalc draws undeclared sizes).
For every depth it reports the CPU time (``time.process_time``, the fastest
of ``--repeat`` runs: the machine is shared) of ``derive(..., wrt="all")`` and
of ``.check()``, the check's time per layer, its number of function
evaluations (l with parameters moved) and of statement evaluations, and
the check's figure.  This is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import matcalc                                        # noqa: E402
from matcalc.numeric import program                   # noqa: E402
from networks import tanh_network                     # noqa: E402  (tests/networks.py)


def counting(function, counts: dict, key: str):
    def counted(*args):
        counts[key] += 1
        return function(*args)
    return counted


def measure(depth: int, width: str, repeat: int) -> tuple:
    """(derive seconds, check seconds, l evaluations, statement evaluations, check())."""
    source, where = tanh_network(depth, None if width == "0" else width)
    best_derive = best_check = float("inf")
    moved, evaluate = program.ProgramValues.moved_many, program.evaluate
    for _ in range(repeat):
        start = time.process_time()
        gradients = matcalc.derive(source, wrt="all", where=where)
        best_derive = min(best_derive, time.process_time() - start)
        counts = {"function": 0, "statements": 0}
        program.ProgramValues.moved_many = counting(moved, counts, "function")
        program.evaluate = counting(evaluate, counts, "statements")
        start = time.process_time()
        try:
            error = gradients.check()
        finally:
            program.ProgramValues.moved_many, program.evaluate = moved, evaluate
        best_check = min(best_check, time.process_time() - start)
    return best_derive, best_check, counts["function"], counts["statements"], error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[8, 16, 32, 64])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--width", default="n", help="the layers' size (n: one symbolic size, drawn as 3; "
                                                     "0: a size per layer)")
    options = parser.parse_args()
    matcalc.derive("sum(tanh(x))", wrt="x").check()          # grammar, rules, SymPy loaded first
    print(f"tanh network, W_k: {options.width} x {options.width}; CPU seconds, fastest of {options.repeat}")
    print(f"{'L':>4} {'derive':>8} {'check':>8} {'check/L':>8} {'l evals':>8} {'stmt evals':>11} {'error':>9}")
    for depth in options.depths:
        try:
            derive, check, function, statements, error = measure(depth, options.width, options.repeat)
        except matcalc.MatcalcError as failure:
            print(f"{depth:>4} refused: {failure}")
            continue
        print(f"{depth:>4} {derive:>8.3f} {check:>8.3f} {check / depth * 1000:>6.1f}ms {function:>8} "
              f"{statements:>11} {error:>9.1e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
