"""matcalc against SymPy on SymPy's own matrix-derivative suite, side by side in one run.

    python benchmarks/sympy_suite.py [--repeat 30] [--only NAME ...] [--profile NAME]

The problems are ``sympy_suite_cases.CASES``: every ``.diff`` of SymPy's
``matrices/expressions/tests/test_derivatives.py``.  For each one both answer,
after one warm-up call of each, it takes the least CPU time (``process_time``)
of ``--repeat`` calls of ``matcalc.derive(...)`` (``matcalc.jacobian`` for a
vector or matrix function), end to end from the expression string, and of
SymPy's ``expression.diff(wrt)`` on the expression built once (SymPy's caches
warm, as in a session).  It prints each problem's times and the ratio
SymPy / matcalc, the median ratio, the slowest problems and those SymPy wins.
``--profile NAME`` prints the cProfile of matcalc's calls on one problem
instead.  Whether the answers are right is ``tests/test_sympy_suite.py``'s
business.  A measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import matcalc  # noqa: E402
import sympy_suite_cases as suite  # noqa: E402
from tensorgrad_compare import best_of  # noqa: E402


def least_cpu_time(call, repeat: int) -> float:
    """The least CPU seconds of ``repeat`` calls, after one warm-up call."""
    call()
    return best_of(repeat, call)


def matcalc_call(case):
    function = getattr(matcalc, case.command())
    return lambda: function(case.matcalc, case.wrt, case.where)


def sympy_call(case):
    expression, wrt = case.build()
    return lambda: expression.diff(wrt)


def profile(case, repeat: int) -> None:
    call = matcalc_call(case)
    call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=None, help="problem names")
    parser.add_argument("--profile", metavar="NAME", help="cProfile matcalc on one problem")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    by_name = {case.name: case for case in suite.CASES}
    if args.profile:
        profile(by_name[args.profile], args.repeat)
        return 0
    cases = [by_name[name] for name in args.only] if args.only else suite.BOTH
    rows = []
    print(f"{'problem':58} {'kind':8} {'matcalc ms':>10} {'SymPy ms':>9} {'ratio':>7}")
    for case in cases:
        ours = least_cpu_time(matcalc_call(case), args.repeat)
        theirs = least_cpu_time(sympy_call(case), args.repeat)
        rows.append((case, ours, theirs, theirs / ours))
        print(f"{case.name:58} {case.command():8} {ours * 1e3:10.3f} {theirs * 1e3:9.3f} {theirs / ours:7.1f}",
              flush=True)
    ratios = [ratio for *_, ratio in rows]
    print(f"\n{len(rows)} problems both answer ({len(suite.CASES) - len(suite.BOTH)} of SymPy's "
          f"{len(suite.CASES)} matcalc cannot say: by a symbol absent from the expression or by one entry)")
    print(f"median ratio SymPy/matcalc {statistics.median(ratios):.1f}x (range {min(ratios):.1f}-{max(ratios):.1f}x); "
          f"matcalc median {statistics.median(r[1] for r in rows) * 1e3:.3f} ms, "
          f"SymPy median {statistics.median(r[2] for r in rows) * 1e3:.3f} ms")
    slowest = sorted(rows, key=lambda row: -row[1])[:5]
    print("slowest for matcalc: " + ", ".join(f"{case.name} {ours * 1e3:.2f} ms" for case, ours, *_ in slowest))
    lost = [row for row in rows if row[3] < 1]
    print(f"SymPy faster on {len(lost)}: " + (", ".join(f"{case.name} ({ratio:.2f}x)" for case, _, _, ratio in lost)
                                              or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
