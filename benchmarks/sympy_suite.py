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
import time
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


def least_cold_cpu_time(call, repeat: int) -> float:
    """The least CPU seconds of ``repeat`` calls, SymPy's cache emptied before each (untimed)."""
    from sympy.core.cache import clear_cache
    best = float("inf")
    for _ in range(repeat):
        clear_cache()
        started = time.process_time()
        call()
        best = min(best, time.process_time() - started)
    return best


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


# (what, a function's file and name): each phase is the cumulative time of its functions
PHASES = (("the call", (("api.py", "derive"), ("api.py", "jacobian"))),
          ("reading: parse, declarations, shapes", (("api.py", "_request"),)),
          ("  of which Lark's parse and the AST", (("parser.py", "_run"),)),
          ("the differential (d-rules, sweeps, tidying)", (("strategy.py", "differential"),)),
          ("identification (trace / vec method)", (("methods/__init__.py", "gradient"),
                                                   ("methods/__init__.py", "jacobian"))),
          ("simplifying the answer", (("strategy.py", "simplified_answer"),)),
          ("writing the answer out (names)", (("strategy.py", "write_out"),)),
          ("  canonical forms, all phases", (("canon/dispatch.py", "canon"),)),
          ("  rewrite passes, all phases", (("engine.py", "rewrite_everywhere"),)))


def phases(cases, repeat: int) -> None:
    """Where matcalc's time goes over ``cases`` (cProfile; shares of the calls' total)."""
    calls = [matcalc_call(case) for case in cases]
    for call in calls:
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        for call in calls:
            call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    spent = {what: sum(cumulative for (path, _, name), (_, _, _, cumulative, _) in stats.items()
                       if any(path.endswith(file) and name == function for file, function in functions))
             for what, functions in PHASES}
    total = spent["the call"]
    for what, seconds in spent.items():
        print(f"{what:46} {seconds / total * 100:5.1f}%")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", nargs="*", default=None, help="problem names")
    parser.add_argument("--profile", metavar="NAME", help="cProfile matcalc on one problem")
    parser.add_argument("--phases", action="store_true", help="where matcalc's time goes (cProfile)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    by_name = {case.name: case for case in suite.CASES}
    if args.profile:
        profile(by_name[args.profile], args.repeat)
        return 0
    cases = [by_name[name] for name in args.only] if args.only else suite.BOTH
    if args.phases:
        phases(cases, max(1, args.repeat // 10))
        return 0
    rows = []
    print(f"{'problem':58} {'kind':8} {'matcalc ms':>10} {'SymPy ms':>9} {'ratio':>6} {'cold ms':>8} {'ratio':>6}")
    for case in cases:
        ours = least_cpu_time(matcalc_call(case), args.repeat)
        warm = least_cpu_time(sympy_call(case), args.repeat)
        cold = least_cold_cpu_time(sympy_call(case), args.repeat)
        rows.append((case, ours, warm, cold))
        print(f"{case.name:58} {case.command():8} {ours * 1e3:10.3f} {warm * 1e3:9.3f} {warm / ours:6.1f} "
              f"{cold * 1e3:8.3f} {cold / ours:6.1f}", flush=True)
    print(f"\n{len(rows)} problems both answer ({len(suite.CASES) - len(suite.BOTH)} of SymPy's "
          f"{len(suite.CASES)} matcalc cannot say: by a symbol absent from the expression or by one entry); "
          f"matcalc median {statistics.median(row[1] for row in rows) * 1e3:.3f} ms")
    for column, what in ((2, "SymPy warm (its cache kept, as in a session)"),
                         (3, "SymPy cold (its cache emptied before each call)")):
        ratios = [row[column] / row[1] for row in rows]
        lost = [f"{row[0].name} ({row[column] / row[1]:.2f}x)" for row in rows if row[column] < row[1]]
        print(f"{what}: median {statistics.median(row[column] for row in rows) * 1e3:.3f} ms; "
              f"median ratio SymPy/matcalc {statistics.median(ratios):.1f}x (range {min(ratios):.1f}-"
              f"{max(ratios):.1f}x); SymPy faster on {len(lost)}: {', '.join(lost) or 'none'}")
    slowest = sorted(rows, key=lambda row: -row[1])[:5]
    print("slowest for matcalc: " + ", ".join(f"{case.name} {ours * 1e3:.2f} ms" for case, ours, *_ in slowest))
    return 0


if __name__ == "__main__":
    sys.exit(main())
