"""Each derivation the page asks for runs in a child process, so one past
the limits (a runaway rewrite, a huge Hessian check) is stopped by the clock
or the memory cap while the server goes on serving."""

from __future__ import annotations

import multiprocessing
import resource

from ..errors import LimitError, MatcalcError
from ..service import Request, answer_json, error_json

MEMORY_LIMIT = 4 * 2**30          # bytes of address space a derivation may take
# The fork server is a clean single-threaded parent with matcalc loaded:
# forking the threaded web server itself is not safe, and a fresh interpreter
# per request would import matcalc every time.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["matcalc.service"])


def _derive_in_child(connection, request: Request) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:
        connection.send((200, answer_json(request)))
    except MatcalcError as error:
        connection.send((400, error_json(error)))
    except MemoryError:
        connection.send((400, error_json(LimitError(
            f"the derivation needed more than {MEMORY_LIMIT // 2**30} GiB of memory and was stopped"))))
    except Exception as error:  # a bug in matcalc, not in the input
        connection.send((500, {"error": {"kind": "InternalError", "span": None,
                                         "message": f"internal error ({type(error).__name__}: {error})",
                                         "text": f"internal error ({type(error).__name__}: {error}); "
                                                 "please report it with the expression"}}))
    finally:
        connection.close()


def derive_limited(request: Request, seconds: float) -> tuple[int, dict]:
    """(HTTP status, JSON) of the request, derived in a child process that
    is stopped after ``seconds``."""
    receiving, sending = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_derive_in_child, args=(sending, request), daemon=True)
    child.start()
    sending.close()
    try:
        if receiving.poll(seconds):
            return receiving.recv()
        return 400, error_json(LimitError(f"the derivation took longer than {seconds:g} s and was stopped"))
    except EOFError:                # the child died without answering
        return 400, error_json(LimitError("the derivation was stopped: it ran out of resources"))
    finally:
        receiving.close()
        if child.is_alive():
            child.kill()
        child.join()
