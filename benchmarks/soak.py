"""Soak run: many generated inputs through ``matcalc.derive``, each answer
checked against finite differences of the input's own meaning.

    python benchmarks/soak.py --examples 10000 [--seed S] [--jobs 2] [--max-depth 4] [--first F]
    python benchmarks/soak.py --seed S --case I        # replay one case, verbosely
    python benchmarks/soak.py --emphasis scalar-groups=20,scaled-inverse=3   # hunt one class

Cases come from the grammar in ``tests/strategies.py`` (the one the property
tests use), drawn from ``random.Random`` seeded by (seed, case number), so any
case can be replayed alone.  Outcomes, most severe first:

  wrong       the answer disagrees with finite differences of the input's meaning
  meaning     matcalc evaluates the input to something other than what it says
  printed     the printed answer does not evaluate to the answer (or does not parse)
  check       Derivation.check() says > 1e-6 although the answer is right
  exception   an exception that is not a MatcalcError (with traceback)
  timeout     no answer within --timeout seconds
  error       a MatcalcError on a valid, differentiable input (grouped by message)
  round-trip  the text printer does not round-trip, or LaTeX that does not parse
  skipped     the generator's own limits (no smooth, finite point): not matcalc's fault
  ok

Exit status 1 if any case is neither ok nor skipped.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import signal
import sys
import time
import traceback
import warnings
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))

import strategies as S  # noqa: E402  (tests/ is not a package)

SEVERITY = ["wrong", "meaning", "printed", "check", "exception", "timeout", "error", "round-trip",
            "skipped", "ok"]


class CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise CaseTimeout()


def error_category(error: Exception) -> str:
    """A MatcalcError's message with the expression-specific parts dropped:
    the lower-case words only, so equal causes group together."""
    first_line = str(error).splitlines()[0]
    words = re.findall(r"(?<![\w^.])[a-z]{3,}(?![\w(])", first_line)
    return f"{type(error).__name__}: {' '.join(words)}"


def exception_category(error: Exception) -> str:
    """The exception's type and the innermost matcalc frame it came from."""
    frames = traceback.extract_tb(error.__traceback__)
    inside = [f for f in frames if "matcalc" in f.filename] or frames
    where = f"{os.path.basename(inside[-1].filename)}:{inside[-1].lineno}" if inside else "?"
    return f"{type(error).__name__} at {where}"


def examine(case) -> list[tuple[str, str, str]]:
    """Every problem found with one case: (outcome, category, detail)."""
    import matcalc
    from matcalc.errors import MatcalcError
    try:
        derivation = matcalc.derive(case.expression, wrt=case.wrt, where=case.where)
    except MatcalcError as error:
        if type(error).__name__ == "ShapeError" and _sizes_undeclarable(case):
            # kron(W - B, X A) with X A of mq×np: a declaration cannot say "mq", so
            # no reader can type it; the generator's limit, not a refusal of valid input
            return [("skipped", "sizes a declaration cannot write (a product of dimensions)",
                     str(error).splitlines()[0])]
        return [("error", error_category(error), str(error).splitlines()[0])]
    try:
        if S.structurally_nonsmooth(case):
            return [("skipped", "a kink by construction", "")]
        points = S.usable_points(case)
        error = S.gradient_error(case, derivation, points)
    except S.OutOfDomain as reason:
        return [("skipped", "no smooth finite point", str(reason)[:80])]
    except CaseTimeout:
        raise
    except Exception as failure:       # the answer itself cannot be evaluated
        return [("wrong", f"answer cannot be evaluated: {exception_category(failure)}",
                 f"answer {_text(derivation.printed_result)}\n{traceback.format_exc()}")]
    return (_answer_problems(case, derivation, points[0], error)
            + _printed_answer_problems(case, derivation, points[0])
            + _printer_problems(case, derivation, points[0]))


def _sizes_undeclarable(case) -> bool:
    return any(spec.shape.has_product_dim for spec in case.symbols.values())


def _text(tree) -> str:
    from matcalc.printers.text import to_text
    return to_text(tree)


def _answer_problems(case, derivation, point, error) -> list:
    """The gradient, matcalc's reading of the input, and check()."""
    problems = []
    if error > S.TOLERANCE:
        problems.append(("wrong", "wrong gradient", f"relative error {error:.2e}; answer {_text(derivation.printed_result)}"))
    meaning = S.meaning_error(case, derivation, point)
    if meaning > 1e-8:
        problems.append(("meaning", "matcalc reads the input differently from what it says",
                         f"relative difference {meaning:.2e}; matcalc's reading: {_text(derivation.problem.expr)}"))
    check = _guarded("check", lambda: derivation.check(), problems)
    if check is not None and not check <= S.TOLERANCE:
        if error > S.TOLERANCE:
            category = "check() agrees it is wrong"
        elif _guarded("check", lambda: S.check_reference_is_inaccurate(case, derivation), problems):
            category = "check() false alarm: its own finite differences are inaccurate"
        else:
            category = "check() above tolerance for a right answer"
        problems.append(("check", category, f"check() = {check:.2e}, own error {error:.2e}"))
    return problems


def _printed_answer_problems(case, derivation, point) -> list:
    """The printed answer, read back with the source's shapes, must be the answer."""
    problems = []
    printed = _guarded("printed", lambda: S.printed_answer_error(case, derivation, point), problems)
    if printed is not None and printed[0] > S.TOLERANCE:
        problems.append(("printed", "printed answer is not the answer",
                         f"relative error {printed[0]:.2e}: {printed[1]}"))
    # Two notations that cannot be read back at all get their own group.
    if S.answer_outside_language(derivation):
        label = "answer notation outside the input language (K_{m,n}, unvec)"
    elif S.answer_uses_dimension(derivation):
        label = "a dimension printed as a number reads back as a symbol"
    else:
        return problems
    # Reading such an answer back fails one way or another (a KeyError for the
    # size of a "vector" n that is a dimension): all of it is this one cause.
    return [("printed", label, detail) for _, _, detail in problems]


def _printer_problems(case, derivation, point) -> list:
    """The text printer's round trip, canon's idempotence, LaTeX."""
    problems = []
    for problem in _guarded("round-trip", lambda: S.text_round_trip_problems(case, derivation, point),
                            problems) or []:
        problems.append(("round-trip", "text printer: " + problem.split(" ", 1)[0] + "...", problem))
    if _guarded("round-trip", lambda: S.canon_is_idempotent(derivation), problems) is False:
        problems.append(("round-trip", "canon is not idempotent (canon(canon(e)) != canon(e))",
                         S.printed_input_text(derivation)))
    for label in ("input", "answer", "steps"):
        latex = _guarded("round-trip", lambda: _latex_of(case, label, derivation), problems)
        for problem in S.latex_problems(latex) if latex else []:
            problems.append(("round-trip", f"LaTeX of the {label}: {re.sub(r'[0-9]', '', problem)[:60]}", problem))
    return problems


def _latex_of(case, label, derivation) -> str:
    if label == "answer":
        return derivation.latex()
    if label == "steps":
        return derivation.latex(steps=True)
    from matcalc.language.parser import parse_declarations, parse_program
    from matcalc.printers.latex import to_latex
    return to_latex(parse_program(case.expression, parse_declarations(case.where)).result)


def _guarded(outcome, action, problems):
    """Run one check; a failure inside it is itself a problem to report."""
    from matcalc.errors import MatcalcError
    try:
        return action()
    except CaseTimeout:
        raise
    except S.OutOfDomain:
        return None
    except S.UnreadableSizes as error:
        problems.append(("printed", "sizes the printed answer does not fix read back otherwise", str(error)))
    except MatcalcError as error:
        problems.append((outcome, f"{outcome}: {error_category(error)}", str(error).splitlines()[0]))
    except Exception as error:
        problems.append(("exception", f"{outcome}: {exception_category(error)}", traceback.format_exc()))
    return None


def run_one(job) -> dict:
    """One case, under an alarm; returns a picklable summary."""
    seed, index, max_depth, timeout, features, emphasis = job
    case = S.random_case(seed, index, max_depth, features, emphasis)
    warnings.simplefilter("ignore", RuntimeWarning)     # overflow while probing domains is expected
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(timeout)
    try:
        problems = examine(case)
    except CaseTimeout:
        problems = [("timeout", "timeout", f"more than {timeout} s")]
    except Exception as error:
        problems = [("exception", exception_category(error), traceback.format_exc())]
    finally:
        signal.alarm(0)
    problems.sort(key=lambda p: SEVERITY.index(p[0]))
    outcome = problems[0][0] if problems else "ok"
    return {"index": index, "case": repr(case), "expression": case.expression, "outcome": outcome,
            "problems": problems, "seconds": time.perf_counter() - start}


def summarize(results: list[dict], elapsed: float, show: int) -> str:
    counts = Counter(r["outcome"] for r in results)
    lines = [f"{len(results)} cases in {elapsed:.1f} s "
             f"({1000 * elapsed / max(len(results), 1):.1f} ms per case, slowest "
             f"{max((r['seconds'] for r in results), default=0):.2f} s)"]
    lines.append("  " + "   ".join(f"{o}: {counts[o]}" for o in SEVERITY if counts[o]))
    groups = defaultdict(list)
    for r in results:
        for outcome, category, detail in r["problems"]:
            if outcome != "skipped":
                groups[(outcome, category)].append((r, detail))
    for (outcome, category), members in sorted(groups.items(), key=lambda g: (SEVERITY.index(g[0][0]), -len(g[1]))):
        lines.append(f"\n[{outcome}] {category} — {len(members)} case(s); shortest:")
        members.sort(key=lambda m: len(m[0]["expression"]))
        for r, detail in members[:show]:
            lines.append(f"  #{r['index']}: {r['case']}")
            if detail:
                lines.append("      " + detail.strip().replace("\n", "\n      ")[-1500:])
    return "\n".join(lines)


def run_all(run, jobs: list, processes: int, chunksize: int) -> list:
    """``run(job)`` of every job, in ``processes`` processes, sorted by case number."""
    if processes > 1:
        with multiprocessing.Pool(processes) as pool:
            results = list(pool.imap_unordered(run, jobs, chunksize=chunksize))
    else:
        results = [run(job) for job in jobs]
    return sorted(results, key=lambda r: r["index"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first", type=int, default=0, help="first case number (to run a seed in chunks)")
    parser.add_argument("--max-depth", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=30, help="seconds per case")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--show", type=int, default=3, help="examples shown per category")
    parser.add_argument("--case", type=int, help="replay this one case and print it in full")
    parser.add_argument("--exclude", default="", help="comma-separated generator features to leave out, "
                        "e.g. the KNOWN_BROKEN ones of tests/test_soundness.py")
    parser.add_argument("--emphasis", default="", help="comma-separated FEATURE=WEIGHT, e.g. "
                        "scalar-groups=20,scaled-inverse=3: those constructs that many times as often")
    options = parser.parse_args(argv)
    features = S.FEATURES - {f.strip() for f in options.exclude.split(",") if f.strip()}
    emphasis = {name.strip(): int(weight) for name, weight in
                (item.split("=") for item in options.emphasis.split(",") if item.strip())}

    if options.case is not None:
        result = run_one((options.seed, options.case, options.max_depth, options.timeout, features, emphasis))
        print(result["case"])
        print(f"outcome: {result['outcome']} ({result['seconds']:.2f} s)")
        for outcome, category, detail in result["problems"]:
            print(f"  [{outcome}] {category}\n    {detail}")
        return 0 if result["outcome"] in ("ok", "skipped") else 1

    jobs = [(options.seed, i, options.max_depth, options.timeout, features, emphasis)
            for i in range(options.first, options.first + options.examples)]
    start = time.perf_counter()
    results = run_all(run_one, jobs, options.jobs, chunksize=20)
    print(summarize(results, time.perf_counter() - start, options.show))
    return 1 if any(r["outcome"] not in ("ok", "skipped") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
