"""Program soak (issue 24): random realistic programs derived ``--wrt all``
(now and then a list that names a data symbol), every gradient checked against torch.autograd of an independent torch reading
of the same forward pass, plus the Gradients' own ``check()``.

    python benchmarks/program_soak.py --count 500 --seed 1 [--jobs 2] [--first 0]
    python benchmarks/program_soak.py --seed 1 --case 17        # one program, verbosely

Programs come from ``tests/program_strategies.py``, a pure function of
(seed, index), so any case can be replayed alone.  Outcomes, most severe first:

  wrong      a gradient differs from autograd's (relative error > 1e-6)
  check      check() > 1e-6 although every gradient agrees with autograd
  internal   an InternalError, or an exception that is not a MatcalcError
  refused    a MatcalcError on a valid, differentiable program
  timeout    a LimitError (the work limit) or no answer within --timeout s
  slow       right, but derive + evaluate took more than --slow s (wall clock,
             after one warm-up derivation per process: a measure of a busy
             machine as much as of matcalc, so never a failure)
  ok

Exit status 1 if any case is wrong, check, internal, refused or timeout.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
sys.path.insert(0, os.path.dirname(HERE))

from soak import run_all  # noqa: E402  (benchmarks/soak.py: the same pool, case by case)

SEVERITY = ["wrong", "check", "internal", "refused", "timeout", "slow", "ok"]
TOLERANCE = 1e-6


class CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CaseTimeout()


def relative_error(answer, reference) -> float:
    import numpy as np
    scale = max(float(np.max(np.abs(reference), initial=0.0)), 1e-8)
    return float(np.max(np.abs(answer - reference), initial=0.0)) / scale


def gradient_errors(program, gradients, seed: int) -> dict:
    """name -> relative error of matcalc's gradient against autograd's, at one random point."""
    import numpy as np
    values = program.values(seed)
    found = gradients.evaluate(values)
    _, reference = program.torch_gradients(values)
    by_name = {gradients.problem.typed.name_of(name) if gradients.problem.typed else name: value
               for name, value in found.items()}
    errors = {}
    for name, expected in reference.items():
        key = gradients.problem.typed.name_of(name) if gradients.problem.typed else name
        if key not in by_name:
            errors[name] = float("inf")         # a parameter --wrt all left out
            continue
        errors[name] = relative_error(np.asarray(by_name[key]).reshape(expected.shape), expected)
    return errors


def failure(error: Exception, where: str) -> tuple[str, str, str]:
    """(outcome, category, detail) of an exception from derive, evaluate or check."""
    from matcalc.errors import InternalError, LimitError, MatcalcError
    first = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, InternalError):
        return "internal", f"{where}{type(error).__name__}: {first[:80]}", traceback.format_exc()
    if isinstance(error, LimitError):
        return "timeout", f"{where}LimitError: {first[:60]}", str(error)
    if isinstance(error, MatcalcError):
        return "refused", f"{where}{type(error).__name__}: {first[:70]}", str(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "matcalc" in f.filename]
    at = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
    return "internal", f"{where}{type(error).__name__} at {at}", traceback.format_exc()


def examine(program, seed: int, slow: float, method: str = "trace") -> tuple[str, str, str, float]:
    """(outcome, category, detail, seconds) of one program."""
    import matcalc
    start = time.perf_counter()
    try:
        gradients = matcalc.derive(program.text, wrt=program.wrt_text, where=program.where or None, method=method)
        errors = gradient_errors(program, gradients, seed)
    except CaseTimeout:
        raise
    except Exception as error:
        return (*failure(error, ""), 0.0)
    seconds = time.perf_counter() - start
    worst = max(errors, key=errors.get)
    if errors[worst] > TOLERANCE:
        return "wrong", "gradient differs from autograd", f"{worst}: relative error {errors[worst]:.2e}", seconds
    try:
        own = gradients.check(seed=seed)
    except CaseTimeout:
        raise
    except Exception as error:
        return (*failure(error, "check(): "), seconds)
    if not own <= TOLERANCE:
        return "check", "check() above tolerance for right answers", f"check() = {own:.2e}", seconds
    if seconds > slow:
        return "slow", f"derive + evaluate > {slow} s", f"{seconds:.2f} s", seconds
    return "ok", "", "", seconds


def _warmed_up() -> None:
    """One small derivation and check per process before any is timed: the
    first derivation loads SymPy and the rules, which is not the program's cost."""
    global _WARM
    if not _WARM:
        import matcalc
        matcalc.derive("h = tanh(W x); l = sum(h)", wrt="all", where="x: data").check()
        _WARM = True


_WARM = False


def run_one(job) -> dict:
    import torch
    from program_strategies import random_program
    seed, index, timeout, slow, method = job
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")         # declared-but-unused notes are not what this soak judges
    _warmed_up()
    program = random_program(seed, index)
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout)
    start = time.perf_counter()
    try:
        outcome, category, detail, seconds = examine(program, seed * 100003 + index, slow, method)
    except CaseTimeout:
        outcome, category, detail, seconds = "timeout", f"no answer within {timeout} s", "", timeout
    finally:
        signal.alarm(0)
    return {"index": index, "text": program.text, "where": program.where, "wrt": program.wrt_text, "families": program.families,
            "statements": len(program.statements), "outcome": outcome, "category": category,
            "detail": detail, "seconds": seconds, "total": time.perf_counter() - start}


def summarize(results: list, elapsed: float, show: int) -> str:
    counts = Counter(r["outcome"] for r in results)
    families = Counter(f for r in results for f in r["families"])
    derive = sorted(r["seconds"] for r in results if r["outcome"] in ("ok", "slow"))
    lines = [f"{len(results)} programs in {elapsed:.1f} s ({1000 * elapsed / max(len(results), 1):.0f} ms each; "
             f"statements {min(r['statements'] for r in results)}–{max(r['statements'] for r in results)}; "
             f"derive + evaluate median {1000 * derive[len(derive) // 2] if derive else 0:.0f} ms, "
             f"slowest {max(derive, default=0):.2f} s)",
             "  " + "   ".join(f"{o}: {counts[o]}" for o in SEVERITY if counts[o]),
             "  made of: " + ", ".join(f"{f} {n}" for f, n in families.most_common())]
    groups = defaultdict(list)
    for r in results:
        if r["outcome"] != "ok":
            groups[(r["outcome"], r["category"])].append(r)
    for (outcome, category), members in sorted(groups.items(), key=lambda g: (SEVERITY.index(g[0][0]), -len(g[1]))):
        lines.append(f"\n[{outcome}] {category} — {len(members)} program(s); shortest:")
        for r in sorted(members, key=lambda r: len(r["text"]))[:show]:
            lines.append(f"  #{r['index']}: {r['text']!r}\n      wrt {r['wrt']}; where {r['where']!r}")
            if r["detail"]:
                lines.append("      " + r["detail"].strip().replace("\n", "\n      ")[-1200:])
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--first", type=int, default=0, help="first case number (to run a seed in chunks)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=60, help="seconds per program")
    parser.add_argument("--slow", type=float, default=2.0, help="seconds above which a right answer is slow")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--show", type=int, default=3, help="programs shown per category")
    parser.add_argument("--case", type=int, help="replay this one program and print it in full")
    parser.add_argument("--method", default="trace", choices=("trace", "index", "vec"),
                        help="derive by this method (SPEC §3); a refusal naming another method is counted as one")
    options = parser.parse_args(argv)

    if options.case is not None:
        r = run_one((options.seed, options.case, options.timeout, options.slow, options.method))
        print(f"{r['text']}\nwrt {r['wrt']}; where {r['where']}\noutcome: {r['outcome']} {r['category']} ({r['seconds']:.2f} s)")
        print(r["detail"])
        return 0 if r["outcome"] in ("ok", "slow") else 1

    jobs = [(options.seed, i, options.timeout, options.slow, options.method)
            for i in range(options.first, options.first + options.count)]
    start = time.perf_counter()
    results = run_all(run_one, jobs, options.jobs, chunksize=10)
    print(summarize(results, time.perf_counter() - start, options.show))
    return 1 if any(r["outcome"] not in ("ok", "slow") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
