"""The page's overhead: ``GET /api/derive`` against the same derivation in-process.

    python benchmarks/web_overhead.py [--repeat 10]

Starts ``matcalc serve`` on a free port of 127.0.0.1 (this checkout first on
the path), waits until it answers, then for each request below reports the
fastest wall time of ``--repeat`` requests (a request runs in a child
process, so CPU time of this process would not see it), the fastest
in-process time of ``service.answer_json`` on the same request (warm), and
their difference: what the server adds to a derivation (issue 24: under
50 ms; the MLP under 0.3 s in all).  Wall time on a shared machine is noisy:
the fastest of several runs is reported.  This is a measurement, not a
test: it always exits 0.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matcalc.service import Request, answer_json   # noqa: E402

REQUESTS = [
    ("x^T A x", {"expr": "x^T A x", "wrt": "x"}),
    ("MLP wrt W1", {"expr": "-y^T log(softmax(W2 sigma(W1 x)))", "wrt": "W1", "where": "y: probability vector"}),
    ("MLP wrt W1, check", {"expr": "-y^T log(softmax(W2 sigma(W1 x)))", "wrt": "W1",
                           "where": "y: probability vector", "check": "1"}),
    ("backprop wrt all", {"expr": "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))",
                          "wrt": "all", "where": "y: probability vector; x, y: data"}),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def in_process(query: dict, repeat: int) -> float:
    request = Request(query["expr"], query["wrt"], query.get("where", ""), check="check" in query)
    answer_json(request)                                 # warm
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        answer_json(request)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=10)
    options = parser.parse_args()
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "matcalc", "serve", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/derive"
    client = httpx.Client(timeout=30)     # one client: its set-up (an SSL context) is not the server's
    try:
        first = None
        while first is None and time.perf_counter() - started < 60:
            try:
                start = time.perf_counter()
                client.get(url, params=REQUESTS[0][1])
                first = time.perf_counter() - start
            except httpx.TransportError:
                time.sleep(0.05)
        print(f"server ready {time.perf_counter() - started:.2f} s after start; first request {first:.3f} s")
        baseline = float("inf")
        for _ in range(options.repeat):           # refused in the server itself: HTTP alone, no child
            start = time.perf_counter()
            client.get(url, params={"expr": ""})
            baseline = min(baseline, time.perf_counter() - start)
        print(f"HTTP alone (an empty expression, answered without a child): {baseline * 1000:.0f} ms")
        print(f"{'request':<20} {'/api/derive':>12} {'in-process':>11} {'overhead':>9}   (fastest of {options.repeat}, wall)")
        for label, query in REQUESTS:
            best = float("inf")
            for _ in range(options.repeat):
                start = time.perf_counter()
                response = client.get(url, params=query)
                best = min(best, time.perf_counter() - start)
                assert response.status_code == 200, response.text[:300]
            local = in_process(query, options.repeat)
            print(f"{label:<20} {best:>10.3f} s {local:>9.3f} s {(best - local) * 1000:>6.0f} ms")
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
