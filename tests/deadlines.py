"""A limit on the CPU time of a block of test code (SIGPROF: Linux and macOS).

The limit counts this process's own CPU time (ITIMER_PROF), not the clock on
the wall: a machine whose cores other processes keep busy gives the block
less of the clock, not more work, and the suite must pass there too.  The
limits are far above what the blocks take (each test says its figure)."""

from __future__ import annotations

import signal
import time
from contextlib import contextmanager


class TookTooLong(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception``
    on the way can swallow it."""


@contextmanager
def deadline(seconds: float):
    """Interrupt the block after ``seconds`` of this process's CPU time (the
    engine is pure Python, so the signal gets through), failing instead of
    hanging the test run."""
    def expire(signum, frame):
        raise TookTooLong(f"did not finish in {seconds} s of CPU time")
    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def cpu_seconds() -> float:
    """This process's CPU time so far: what a test measures a block by."""
    return time.process_time()
