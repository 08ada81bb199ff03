"""Timing benchmark: matcalc on every ``examples/*.sh`` vs SymPy's MatrixSymbol diff.

    python benchmarks/bench.py [--repeat 30] [--sympy-repeat 5] [--budget 100]

For every example script (``#`` comment lines plus one ``matcalc derive "EXPR"
--wrt X [--where "..."] --check`` line) it times the full matcalc derivation
with every step plus its ``.text()`` rendering, after one warm-up call, and
reports the median and the maximum.  The very first call in the process (which
loads the grammar and the rule catalog) is reported separately once as the
cold start.

For the examples that ``benchmarks/sympy_cases.py`` maps to a SymPy
``MatrixSymbol`` expression (keyed by the example's expression string and wrt
symbol) it also times building the expression and ``.diff(X)`` in SymPy, and
checks SymPy's answer numerically on random data against central finite
differences of the same SymPy-built function (and reports whether matcalc's
``Derivation.evaluate`` agrees on that data).  Unmapped examples show "—".

This is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import statistics
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
DASH = "—"
TOLERANCE = 1e-5


# --------------------------------------------------------------------------- examples

class Example:
    def __init__(self, path, command, expr, wrt, where, layout, error=None):
        self.path = path
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.command = command          # derive / jacobian / hessian
        self.expr = expr
        self.wrt = wrt
        self.where = where
        self.layout = layout
        self.error = error              # could not parse the script


def _command_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        lines.append(current.strip())
        current = ""
    if current.strip():
        lines.append(current.strip())
    return [line for line in lines if "matcalc" in line]


def parse_example(path: str) -> Example:
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = _command_lines(text)
    if len(lines) != 1:
        return Example(path, None, None, None, None, "mixed",
                       error=f"expected one matcalc line, found {len(lines)}")
    try:
        tokens = shlex.split(lines[0], comments=True)
    except ValueError as exc:
        return Example(path, None, lines[0], None, None, "mixed", error=f"shlex: {exc}")
    # find the program name: `matcalc`, `.../matcalc`, or `python -m matcalc`
    start = None
    for i, token in enumerate(tokens):
        if token == "matcalc" or token.endswith("/matcalc"):
            start = i + 1
            break
    if start is None or start >= len(tokens):
        return Example(path, None, lines[0], None, None, "mixed", error="no matcalc command")
    command = tokens[start]
    rest = tokens[start + 1:]
    expr, wrt, where, layout = None, None, None, "mixed"
    i = 0
    while i < len(rest):
        token = rest[i]
        value = None
        if token.startswith("--") and "=" in token:
            token, value = token.split("=", 1)
        elif token in ("--wrt", "--where", "--layout", "--format") and i + 1 < len(rest):
            value = rest[i + 1]
            i += 1
        if token == "--wrt":
            wrt = value
        elif token == "--where":
            where = value
        elif token == "--layout":
            layout = value
        elif token.startswith("--"):
            pass                        # --check, --no-steps, --format ...
        elif expr is None:
            expr = token
        i += 1
    if expr is None or wrt is None:
        return Example(path, command, expr, wrt, where, layout, error="no expression or no --wrt")
    return Example(path, command, expr, wrt, where or None, layout)


def find_examples() -> list[Example]:
    paths = sorted(glob.glob(os.path.join(ROOT, "examples", "*.sh")))
    return [parse_example(path) for path in paths]


# --------------------------------------------------------------------------- matcalc

def _ms(seconds: float) -> float:
    return seconds * 1000.0


def run_matcalc(matcalc, example: Example):
    function = getattr(matcalc, example.command)
    derivation = function(example.expr, wrt=example.wrt, where=example.where, layout=example.layout)
    derivation.text()
    return derivation


def time_matcalc(matcalc, example: Example, repeat: int, budget_s: float):
    """Warm up once, then time up to `repeat` calls (stopping early past budget_s)."""
    run_matcalc(matcalc, example)                           # warm-up
    times = []
    started = time.perf_counter()
    for _ in range(repeat):
        t0 = time.perf_counter()
        derivation = run_matcalc(matcalc, example)
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget_s and len(times) >= 3:
            break
    return derivation, times


# --------------------------------------------------------------------------- SymPy

def _numeric(sp, expr, values):
    """Evaluate a SymPy (matrix) expression at explicit numpy values → numpy array.

    Tries ``lambdify``, then a small tree walker for matrix expressions, then
    substituting explicit matrices and ``doit()`` (slow, but handles SymPy's
    array expressions such as ``PermuteDims``)."""
    import numpy as np
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    try:
        function = sp.lambdify(symbols, expr, modules="numpy")
        out = np.asarray(function(*[values[s.name] for s in symbols]), dtype=float)
        return out
    except Exception:
        pass
    try:
        return np.asarray(_walk(sp, expr, values), dtype=float)
    except Exception:
        pass
    substitution = {}
    for s in symbols:
        value = np.asarray(values[s.name], dtype=float)
        substitution[s] = sp.Float(float(value)) if value.ndim == 0 else sp.ImmutableMatrix(value)
    substituted = expr.subs(substitution).doit()
    if hasattr(substituted, "as_explicit"):
        try:
            substituted = substituted.as_explicit()
        except Exception:
            pass
    if hasattr(substituted, "tolist"):
        return np.array(substituted.tolist(), dtype=float)
    return np.array(float(sp.N(substituted.doit())), dtype=float)


def _walk(sp, expr, values):
    """numpy value of a SymPy matrix expression built from the usual node types."""
    import numpy as np
    from sympy.matrices.expressions import (Determinant, HadamardPower, HadamardProduct, Identity,
                                            Inverse, MatAdd, MatMul, MatPow, MatrixSymbol,
                                            OneMatrix, Trace, Transpose, ZeroMatrix)
    from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

    def go(e):
        if isinstance(e, (MatrixSymbol, sp.Symbol)):
            return np.asarray(values[e.name], dtype=float)
        if e.is_Number:
            return float(e)
        if isinstance(e, OneMatrix):
            return np.ones((int(e.shape[0]), int(e.shape[1])))
        if isinstance(e, ZeroMatrix):
            return np.zeros((int(e.shape[0]), int(e.shape[1])))
        if isinstance(e, Identity):
            return np.eye(int(e.shape[0]))
        if isinstance(e, MatMul):
            out = 1.0
            for arg in e.args:
                value = go(arg)
                out = out @ value if np.ndim(out) == 2 and np.ndim(value) == 2 else out * value
            return out
        if isinstance(e, (MatAdd, sp.Add)):
            out = 0.0
            for arg in e.args:
                out = out + go(arg)
            return out
        if isinstance(e, sp.Mul):
            out = 1.0
            for arg in e.args:
                out = out * go(arg)
            return out
        if isinstance(e, Transpose):
            return go(e.arg).T
        if isinstance(e, Inverse):
            return np.linalg.inv(go(e.arg))
        if isinstance(e, MatPow):
            return np.linalg.matrix_power(go(e.base), int(e.exp))
        if isinstance(e, Trace):
            return np.trace(go(e.arg))
        if isinstance(e, Determinant):
            return np.linalg.det(go(e.arg))
        if isinstance(e, HadamardProduct):
            out = 1.0
            for arg in e.args:
                out = out * go(arg)
            return out
        if isinstance(e, HadamardPower):
            return go(e.base) ** go(e.exp)
        if isinstance(e, ElementwiseApplyFunction):
            function = sp.lambdify(e.function.variables, e.function.expr, modules="numpy")
            return np.vectorize(function, otypes=[float])(go(e.expr))
        if isinstance(e, sp.Pow):
            return go(e.base) ** go(e.exp)
        if isinstance(e, sp.Function) and len(e.args) == 1:
            x = sp.Dummy("x")
            return sp.lambdify(x, e.func(x), modules="numpy")(go(e.args[0]))
        raise TypeError(f"cannot evaluate {type(e).__name__}")

    return go(expr)


def _scalar(array) -> float:
    import numpy as np
    array = np.asarray(array, dtype=float)
    if array.size != 1:
        raise ValueError(f"the function is not scalar (shape {array.shape})")
    return float(array.reshape(-1)[0])


def _finite_differences(sp, function_expr, wrt_name, values, step=1e-6):
    """Central differences of the SymPy-built scalar function, entry by entry."""
    import numpy as np
    symbols = sorted(function_expr.free_symbols, key=lambda s: s.name)
    try:
        compiled = sp.lambdify(symbols, function_expr, modules="numpy")
        compiled(*[values[s.name] for s in symbols])

        def f(vals):
            return _scalar(compiled(*[vals[s.name] for s in symbols]))
    except Exception:
        def f(vals):
            return _scalar(_numeric(sp, function_expr, vals))
    base = values[wrt_name]
    gradient = np.zeros_like(base)
    for index in np.ndindex(*base.shape):
        direction = np.zeros_like(base)
        direction[index] = step
        plus = f(dict(values, **{wrt_name: base + direction}))
        minus = f(dict(values, **{wrt_name: base - direction}))
        gradient[index] = (plus - minus) / (2 * step)
    return gradient, f(values)


def _relative_error(answer, reference) -> float:
    import numpy as np
    scale = max(float(np.max(np.abs(reference))), 1e-6)
    return float(np.max(np.abs(answer - reference)) / scale)


def _matcalc_function_value(derivation, values):
    """The original function evaluated by matcalc (internal API; None when unavailable)."""
    try:
        from matcalc.numeric.evaluate import evaluate
        point, _ = derivation._point(values)
        return _scalar(evaluate(derivation.problem.expr, point))
    except Exception:
        return None


def sympy_case(sp, case, derivation, repeat: int, budget_s: float, seed: int = 0):
    """→ (median ms or None, verdict str)."""
    import numpy as np

    built, wrt_symbol = case.build()
    # timing: build the expression and differentiate (cache cleared before each call)
    from sympy.core.cache import clear_cache
    times, answer, failure = [], None, None
    started = time.perf_counter()
    for _ in range(repeat):
        clear_cache()
        t0 = time.perf_counter()
        try:
            expression, wrt = case.build()
            answer = expression.diff(wrt)
        except Exception as exc:                            # SymPy cannot do it
            failure = f"{type(exc).__name__}: {exc}"
            break
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - started > budget_s and len(times) >= 3:
            break
    if failure is not None:
        return None, _short(f"diff raises {failure}")
    median = _ms(statistics.median(times))
    if answer.has(sp.Derivative) or type(answer).__name__ == "ArrayDerivative":
        return median, "no (left unevaluated)"

    # numbers: random data with the declared kinds, distinct sizes from the case
    values = case.data(seed)
    try:
        reference, f_value = _finite_differences(sp, built, wrt_symbol.name, values)
    except Exception as exc:
        return median, _short(f"? (could not evaluate the function: {exc})")
    try:
        got = _numeric(sp, answer, values)
    except Exception as exc:
        return median, _short(f"no (answer not evaluable: {type(exc).__name__})")
    shape = values[wrt_symbol.name].shape
    if got.size == 1 and np.prod(shape) != 1:
        if abs(float(got.reshape(-1)[0])) < 1e-300:
            got = np.zeros(shape)                           # a ZeroMatrix printed as 0
        else:
            return median, f"no (scalar answer, shape {shape} expected)"
    if got.size != np.prod(shape):
        return median, f"no (answer has shape {got.shape}, expected {shape})"
    got = got.reshape(shape)
    error = _relative_error(got, reference)
    if case.symmetric(wrt_symbol.name) and error >= TOLERANCE:
        # SymPy knows no symmetry: accept the gradient in the symmetric space too
        sym_ref = (reference + reference.T) / 2
        error = min(error, _relative_error((got + got.T) / 2, sym_ref))
    if error < TOLERANCE:
        verdict = f"yes ({error:.0e})"
    else:
        shown = _short(sp.sstr(answer), 40)
        verdict = f"**no**: rel. err {error:.1e}, answer `{shown}`"

    # cross-checks with matcalc on the same data
    notes = []
    if derivation is not None:
        mc_value = _matcalc_function_value(derivation, values)
        if mc_value is not None and abs(mc_value - f_value) > 1e-8 * max(1.0, abs(f_value)):
            notes.append("mapping differs from matcalc's function!")
        try:
            mc = np.asarray(derivation.evaluate(values), dtype=float).reshape(shape)
            mc_ref = reference
            if case.symmetric(wrt_symbol.name):
                mc_ref = (reference + reference.T) / 2
            if _relative_error(mc, mc_ref) >= TOLERANCE:
                notes.append("matcalc disagrees with FD")
        except Exception as exc:
            notes.append(_short(f"matcalc evaluate: {exc}", 40))
    if notes:
        verdict += "; " + "; ".join(notes)
    return median, verdict


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


# --------------------------------------------------------------------------- main

def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed matcalc calls per example")
    parser.add_argument("--sympy-repeat", type=int, default=5, help="timed SymPy diffs per example")
    parser.add_argument("--budget", type=float, default=100.0,
                        help="rough total seconds; per-example loops stop early past their share")
    options = parser.parse_args(argv)

    examples = find_examples()
    if not examples:
        print("no examples/*.sh found under", ROOT)
        return 0
    sys.path.insert(0, HERE)
    sys.dont_write_bytecode = True          # leave no __pycache__ next to the benchmark
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    t0 = time.perf_counter()
    import matcalc
    import_ms = _ms(time.perf_counter() - t0)
    cold_ms, cold_example = None, None
    for example in examples:                                # cold start: first call in the process
        if example.error is None:
            cold_example = example
            t0 = time.perf_counter()
            try:
                run_matcalc(matcalc, example)
            except Exception:
                pass
            cold_ms = _ms(time.perf_counter() - t0)
            break

    import numpy  # noqa: F401  (imported after the cold start so it does not count)
    import sympy as sp
    import sympy_cases

    share = options.budget / max(len(examples), 1)
    rows = []
    for example in examples:
        row = {"example": example, "mc_median": None, "mc_max": None, "mc_error": None,
               "sp_median": None, "sp_verdict": DASH}
        derivation = None
        if example.error is not None:
            row["mc_error"] = example.error
        else:
            try:
                derivation, times = time_matcalc(matcalc, example, options.repeat, share * 0.5)
                row["mc_median"] = _ms(statistics.median(times))
                row["mc_max"] = _ms(max(times))
            except Exception as exc:
                row["mc_error"] = f"{type(exc).__name__}: {exc}"
        # SymPy's MatrixSymbol.diff is compared on gradients only.
        case = sympy_cases.lookup(example.expr, example.wrt, example.where) \
            if example.expr and example.command == "derive" else None
        if case is not None:
            try:
                row["sp_median"], row["sp_verdict"] = sympy_case(
                    sp, case, derivation, options.sympy_repeat, share * 0.4)
            except Exception as exc:
                row["sp_verdict"] = _short(f"bench error: {type(exc).__name__}: {exc}")
                traceback.print_exc(file=sys.stderr)
        rows.append(row)
        if sys.stderr.isatty():
            print(".", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)

    # ---- the table
    try:
        from importlib.metadata import version
        matcalc_version = version("matcalc")
    except Exception:
        matcalc_version = getattr(matcalc, "__version__", "?")
    print(f"matcalc {matcalc_version} · SymPy {sp.__version__} · "
          f"Python {sys.version.split()[0]} · {len(examples)} examples")
    print()
    print(f"Cold start: `import matcalc` {import_ms:.0f} ms; first derivation "
          f"({cold_example.name if cold_example else DASH}, loads grammar and rules) "
          f"{cold_ms:.0f} ms." if cold_ms is not None else "Cold start: no runnable example.")
    print()
    print("| example | matcalc median ms | max ms | SymPy median ms | SymPy correct? |")
    print("|---|---:|---:|---:|---|")
    for row in rows:
        example = row["example"]
        what = {"derive": "∂/∂", "jacobian": "Jacobian wrt ", "hessian": "Hessian wrt "}[example.command]
        label = f"{example.name}: `{example.expr}` {what}{example.wrt}" if example.expr else example.name
        if example.where:
            label += f" ({example.where})"
        if row["mc_error"] is not None:
            mc_med, mc_max = _short("error: " + row["mc_error"], 110), DASH
        else:
            mc_med, mc_max = f"{row['mc_median']:.1f}", f"{row['mc_max']:.1f}"
        sp_med = f"{row['sp_median']:.1f}" if row["sp_median"] is not None else DASH
        print(f"| {_cell(label)} | {_cell(mc_med)} | {mc_max} | {sp_med} | {_cell(row['sp_verdict'])} |")

    # ---- summary
    medians = [r["mc_median"] for r in rows if r["mc_median"] is not None]
    maxima = [r["mc_max"] for r in rows if r["mc_max"] is not None]
    attempted = [r for r in rows if r["sp_verdict"] != DASH]
    correct = [r for r in rows if str(r["sp_verdict"]).startswith("yes")]
    # "both can do": matcalc ran, and SymPy returned an answer that checks out numerically
    both = [r for r in correct if r["mc_median"] is not None and r["sp_median"] is not None]
    slower = [r["example"].name for r in both if r["mc_median"] >= r["sp_median"]]
    errors = [r for r in rows if r["mc_error"] is not None]
    print()
    if medians:
        worst = max(rows, key=lambda r: r["mc_max"] or -1)
        summary = (f"**Summary:** median of matcalc medians {statistics.median(medians):.1f} ms; "
                   f"worst max {max(maxima):.1f} ms ({worst['example'].name}); "
                   f"{len(errors)} matcalc error(s). ")
    else:
        summary = "**Summary:** no example ran in matcalc. "
    if both:
        ratios = [r["sp_median"] / r["mc_median"] for r in both]
        summary += (f"SymPy attempted {len(attempted)} example(s) and was right on "
                    f"{len(correct)}; matcalc faster than SymPy on every one of the {len(both)} "
                    f"that both can do: "
                    f"{'yes' if not slower else 'no (slower on ' + ', '.join(slower) + ')'} "
                    f"(SymPy/matcalc median ratio {statistics.median(ratios):.1f}×, "
                    f"range {min(ratios):.1f}–{max(ratios):.1f}×).")
    else:
        summary += f"SymPy attempted {len(attempted)} example(s); none that both can do."
    print(summary)
    print()
    print("matcalc times: full derivation with every step + `.text()`, after one warm-up call. "
          "SymPy times: building the MatrixSymbol expression + `.diff(X)` (SymPy cache cleared "
          "before each call), no rendering. SymPy correct?: its answer vs central finite "
          "differences of the same SymPy-built function on random data (max relative error); "
          "'—' = no SymPy formulation (softmax). Both can do = matcalc ran and SymPy's "
          "answer checked out.")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:                                       # a measurement: never fail
        traceback.print_exc()
    sys.exit(0)
