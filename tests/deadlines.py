"""A time limit for a block of test code (SIGALRM: Linux and macOS)."""

from __future__ import annotations

import signal
from contextlib import contextmanager


class TookTooLong(BaseException):
    """Raised by the alarm; a BaseException so that no ``except Exception``
    on the way can swallow it."""


@contextmanager
def deadline(seconds: float):
    """Interrupt the block after ``seconds`` (the engine is pure Python, so
    the alarm gets through), failing instead of hanging the test run."""
    def expire(signum, frame):
        raise TookTooLong(f"did not finish in {seconds} s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
