"""matcalc against tensorgrad on the networks of ``backprop_scaling.py``.

    python benchmarks/tensorgrad_compare.py [--depths 4 8 16 32 64] [--repeat 3]

For each depth L, the CPU time (``time.process_time``, the fastest of
``--repeat`` runs: the machine may be shared) of

* matcalc: ``derive(network, wrt=[W1, ..., WL])`` and ``.text()`` of the
  whole pass, every step printed;
* tensorgrad (if importable; ``pip install tensorgrad``, 0.3 measured):
  building the same network (``W_k @ h``, ``sigmoid``, cross-entropy of a
  softmax), ``tg.grad(loss, params)`` and ``tg.compile(grads=...)``, which
  resolves every gradient in one shared sweep; no step is printed.

and the ratio time(L) / time(smallest L) / (L / smallest L), which stays near
1 for time linear in L.  This is a measurement, not a test: it always exits 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from backprop_scaling import WHERE, network, weights   # noqa: E402


def best_of(repeat: int, run) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best


def matcalc_run(depth: int):
    import matcalc
    return lambda: matcalc.derive(network(depth), wrt=weights(depth), where=WHERE).text()


def tensorgrad_run(depth: int):
    import sympy
    import tensorgrad as tg
    import tensorgrad.functions as F

    def run():
        sizes = sympy.symbols(" ".join(f"i{k}" for k in range(depth + 1)))
        value, params = tg.Variable("x", sizes[0]), []
        for k in range(1, depth + 1):
            params.append(tg.Variable(f"W{k}", sizes[k], sizes[k - 1]))
            value = params[-1] @ value
            if k < depth:
                value = F.sigmoid(value)
        exp = F.exp(value)
        loss = -(tg.Variable("y", sizes[depth]) @ F.log(exp / F.sum(exp)))
        tg.compile(grads=tg.grad(loss, params))
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    sys.setrecursionlimit(100_000)              # tensorgrad recurses through the network
    runners = {"matcalc": matcalc_run}
    try:
        import tensorgrad  # noqa: F401
        runners["tensorgrad"] = tensorgrad_run
    except ImportError as missing:
        print(f"tensorgrad is not installed ({missing}): matcalc alone")
    for runner in runners.values():
        runner(2)()                             # imports, grammar, rules: once, untimed
    times = {name: {depth: best_of(options.repeat, runner(depth)) for depth in options.depths}
             for name, runner in runners.items()}
    first = options.depths[0]
    print(f"CPU seconds, fastest of {options.repeat}; (ratio: time / time(L={first}) / (L / {first}))")
    print("| L | " + " | ".join(runners) + " |")
    print("|---:|" + "---:|" * len(runners))
    for depth in options.depths:
        cells = [f"{times[name][depth]:.3f} ({times[name][depth] / times[name][first] / (depth / first):.2f})"
                 for name in runners]
        print(f"| {depth} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
