"""Room on the stack for deep trees, scoped to the calls that walk them.

Trees are at most ``MAX_DEPTH`` (200) levels deep, and derivations a few
times that; the recursive passes need more than Python's default 1000
frames.  The limit is raised only while a public call runs, and restored
when the last one running ends (calls may overlap in threads).
"""

from __future__ import annotations

import functools
import sys
import threading

DEEP = 10_000

_lock = threading.Lock()
_running = 0
_saved = 0


def deep_recursion(function):
    """Decorator: ``function`` runs with a recursion limit of at least DEEP."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        global _running, _saved
        with _lock:
            if _running == 0:
                _saved = sys.getrecursionlimit()
                sys.setrecursionlimit(max(_saved, DEEP))
            _running += 1
        try:
            return function(*args, **kwargs)
        finally:
            with _lock:
                _running -= 1
                if _running == 0:
                    sys.setrecursionlimit(_saved)
    return wrapper
