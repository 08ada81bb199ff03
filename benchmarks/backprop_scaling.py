"""Scaling benchmark: backpropagation through deep sigmoid networks.

    python benchmarks/backprop_scaling.py [--depths 4 8 16 32 64 128] [--repeat 3] [--budget 20]

The network of depth L is the matcalc program

    a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; ...; aL = WL h(L-1); l = -y^T log(softmax(aL))

with ``where="y: probability vector; x, y: data"``.  For every depth it times

* all at once: ``matcalc.derive(program, wrt=["W1", ..., "WL"])`` (one backward
  sweep) plus ``.text()`` of the whole pass, best of ``--repeat`` (one run from
  L = 64 up), and the printed size in characters;
* one at a time: ``matcalc.derive(program, wrt="Wk").text()`` for every k, the
  total time and total printed size of a single pass over k; once one depth
  takes more than ``--budget`` seconds the larger depths are skipped ("—").

A depth that matcalc refuses (its input limits) is reported, not fatal.  For L <= 64
it reports whether ``g.check()`` is below 1e-6.  A first, untimed call loads the
grammar and rules.  This is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
import time
import traceback

WHERE = "y: probability vector; x, y: data"
DASH = "—"
CHECK_TOLERANCE = 1e-6
CHECK_MAX_DEPTH = 64        # (check() along directions: about a second at L = 64)


def network(depth: int) -> str:
    """The matcalc program of a sigmoid network with `depth` weight matrices."""
    statements, previous = [], "x"
    for k in range(1, depth + 1):
        statements.append(f"a{k} = W{k} {previous}")
        if k < depth:
            statements.append(f"h{k} = sigma(a{k})")
            previous = f"h{k}"
    statements.append(f"l = -y^T log(softmax(a{depth}))")
    return "; ".join(statements)


def weights(depth: int) -> list[str]:
    return [f"W{k}" for k in range(1, depth + 1)]


def all_at_once(matcalc, depth: int, repeat: int):
    """→ (best seconds, printed chars, the Gradients)."""
    program, best = network(depth), float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        gradients = matcalc.derive(program, wrt=weights(depth), where=WHERE)
        text = gradients.text()
        best = min(best, time.perf_counter() - t0)
    return best, len(text), gradients


def one_at_a_time(matcalc, depth: int):
    """→ (total seconds, total printed chars) of deriving every Wk separately."""
    program, chars = network(depth), 0
    t0 = time.perf_counter()
    for name in weights(depth):
        chars += len(matcalc.derive(program, wrt=name, where=WHERE).text())
    return time.perf_counter() - t0, chars


def _error(exc: Exception) -> str:
    return f"refused ({type(exc).__name__}: {str(exc).splitlines()[0]})"


def _ratio(results: dict, key: int, big: int, small: int) -> str:
    missing = [f"L={d}" for d in (big, small) if d not in results]
    if not missing:
        return f"{results[big][key] / results[small][key]:.1f}×"
    return f"{DASH} ({' and '.join(missing)} not measured)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128])
    parser.add_argument("--repeat", type=int, default=3, help="all-at-once runs per depth (best)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="seconds; one-at-a-time stops after a depth that took longer")
    options = parser.parse_args(argv)

    import matcalc
    matcalc.derive(network(2), wrt=weights(2), where=WHERE).text()     # warm-up: grammar, rules

    rows, once, notes, one_enabled = [], {}, [], True
    for depth in options.depths:
        row = [str(depth), DASH, DASH, DASH, DASH]
        try:
            seconds, chars, gradients = all_at_once(matcalc, depth, 1 if depth >= 64 else options.repeat)
            once[depth] = (seconds, chars)
            row[1:3] = [f"{seconds:.3f}", f"{chars:,}"]
            if depth <= CHECK_MAX_DEPTH:
                error = gradients.check()
                notes.append(f"L={depth}: g.check() = {error:.1e} "
                             f"({'below' if error < CHECK_TOLERANCE else '**not** below'} 1e-6)")
        except Exception as exc:                    # e.g. a LimitError: report, go on
            notes.append(f"L={depth}: {_error(exc)}")
            row[1] = f"refused ({type(exc).__name__})"
        if one_enabled and depth in once:
            try:
                seconds, chars = one_at_a_time(matcalc, depth)
                row[3:5] = [f"{seconds:.3f}", f"{chars:,}"]
                one_enabled = seconds <= options.budget
            except Exception as exc:
                row[3], one_enabled = _error(exc), False
        rows.append(row)
        print(f"L={depth} done", file=sys.stderr, flush=True)

    print(f"matcalc {importlib.metadata.version('matcalc')} · Python {sys.version.split()[0]} · "
          f"sigmoid networks, depths {', '.join(map(str, options.depths))}")
    print()
    print("| L | all at once (s) | printed chars | one at a time (s) | printed chars |")
    print("|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    print()
    print(f"- all at once, time(128)/time(16): {_ratio(once, 0, 128, 16)}; "
          f"size(128)/size(16): {_ratio(once, 1, 128, 16)}")
    deepest = max(once, default=0)
    if 128 not in once and 16 in once and deepest > 16:
        print(f"- deepest measured instead, time({deepest})/time(16): "
              f"{_ratio(once, 0, deepest, 16)}; size({deepest})/size(16): "
              f"{_ratio(once, 1, deepest, 16)} (depth ratio {deepest / 16:.0f}×)")
    under = (f"{'yes' if once[64][0] < 2 else 'no'} ({once[64][0]:.3f} s)" if 64 in once
             else f"{DASH} (not measured)")
    print(f"- L=64 all at once under 2 s: {under}")
    print("\n".join(f"- {line}" for line in notes))
    print()
    print(f"all at once: one sweep for every Wk + `.text()`, best of {options.repeat} (1 from L=64). "
          f"one at a time: each Wk separately + `.text()`; — after a depth over {options.budget:g} s.")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception:                                       # a measurement: never fail
        traceback.print_exc()
    sys.exit(0)
