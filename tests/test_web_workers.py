"""The page's workers (web/jobs.py, web/preload.py; issue 24): children are
forked from a fork server that has loaded and warmed up what derivations
need, one ahead of the next request; each request still gets its own
answer, in its own child, and the time limit still stops a runaway one.
(How fast they are is a benchmark's business: benchmarks/web_overhead.py.)"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from matcalc.service import Request
from matcalc.web import jobs

RUNAWAY = "tr(" + " ".join(f"X A{i}" for i in range(1, 45)) + ")"


def test_the_preload_loads_what_every_derivation_needs():
    probe = ("import sys, matcalc.web.preload; "
             "print(' '.join(m for m in ('sympy', 'numpy', 'lark') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["sympy", "numpy", "lark"]


def test_requests_in_turn_and_at_once_each_get_their_own_answer():
    jobs.start()
    asked = [("x^T A x", "(A + A^T) x"), ("a^T x", "a"), ("x^T x", "2 x")] * 2
    for expression, answer in asked[:3]:
        status, data = jobs.derive_limited(Request(expression, "x"), 60)
        assert status == 200 and data["answer"]["text"] == answer
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda pair: jobs.derive_limited(Request(pair[0], "x"), 60), asked))
    assert [data["answer"]["text"] for _, data in answers] == [answer for _, answer in asked]


def test_a_runaway_request_is_stopped_and_the_next_is_answered():
    jobs.start()
    status, data = jobs.derive_limited(Request(RUNAWAY, "X", check=True), 0.01)
    assert status == 400 and "was stopped" in data["error"]["message"]
    status, data = jobs.derive_limited(Request("a^T x", "x"), 60)
    assert status == 200 and data["answer"]["text"] == "a"
