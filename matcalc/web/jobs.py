"""Each derivation the page asks for runs in a child process, so one past
the limits (a runaway rewrite, a huge Hessian check) is stopped by the clock
or the memory cap while the server goes on serving."""

from __future__ import annotations

import multiprocessing
import resource
import threading

from ..errors import LimitError, MatcalcError
from ..service import Request, answer_json, error_json

MEMORY_LIMIT = 4 * 2**30          # bytes of address space a derivation may take
# The fork server is a clean single-threaded parent with matcalc loaded and
# warmed up (web/preload.py: SymPy, NumPy, grammar, rules): forking the
# threaded web server itself is not safe, and a fresh interpreter per request
# would import matcalc every time.
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["matcalc.web.preload"])


# One child forked ahead of the next request (a list of at most one worker,
# guarded by the lock; None while a thread forks it).  Which child answers
# changes nothing in the answer.
_SPARE: list = []
_SPARE_LOCK = threading.Lock()
_WARM_UP = Request("x^T A x", "x")


def start() -> None:
    """Start the fork server (and its warm-up) and fork the first spare child
    now, not at the first request."""
    from multiprocessing import forkserver
    forkserver.ensure_running()
    _keep_a_spare()


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


def _serve_in_child(requests, answers) -> None:
    """A spare child: it derives one small problem while it waits (the pages a
    derivation writes are copied from the fork server now, not during a
    request), then the request it is sent."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    if not requests.poll(0):        # (a request already waiting goes first)
        answer_json(_WARM_UP)
    try:
        request = requests.recv()
    except EOFError:                # the server stopped
        return
    _derive_in_child(answers, request)


def _fork_worker() -> tuple:
    """(child, connection to send it a request, connection its answer comes on)."""
    request_out, request_in = _CONTEXT.Pipe(duplex=False)
    answer_out, answer_in = _CONTEXT.Pipe(duplex=False)
    child = _CONTEXT.Process(target=_serve_in_child, args=(request_out, answer_in), daemon=True)
    child.start()
    request_out.close()
    answer_in.close()
    return child, request_in, answer_out


def _worker() -> tuple:
    """The spare child if there is one (forked ahead: a request does not wait
    for a fork), else a new one."""
    with _SPARE_LOCK:
        if _SPARE and _SPARE[0] is not None:
            return _SPARE.pop()
    return _fork_worker()


def _keep_a_spare() -> None:
    with _SPARE_LOCK:
        if _SPARE:
            return
        _SPARE.append(None)          # this thread forks it; others need not
    worker = _fork_worker()
    with _SPARE_LOCK:
        _SPARE[_SPARE.index(None)] = worker


def derive_limited(request: Request, seconds: float) -> tuple[int, dict]:
    """(HTTP status, JSON) of the request, derived in a child process that
    is stopped after ``seconds``."""
    child, requests, receiving = _worker()
    try:
        requests.send(request)
        requests.close()
        threading.Thread(target=_keep_a_spare, daemon=True).start()    # forked while this child derives
        if receiving.poll(seconds):
            return receiving.recv()
        return 400, error_json(LimitError(f"the derivation took longer than {seconds:g} s and was stopped"))
    except (EOFError, BrokenPipeError):     # the child died without answering
        return 400, error_json(LimitError("the derivation was stopped: it ran out of resources"))
    finally:
        receiving.close()
        if child.is_alive():         # it has answered, or is stopped: no need to wait for its exit
            child.kill()
        child.join()
