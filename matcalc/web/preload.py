"""What every derivation needs, loaded once in the page's fork server
(``web/jobs.py`` preloads this module) rather than in each child it forks:
SymPy and NumPy, the grammar, the rules, and the derivatives of the usual
elementwise functions, which ``calculus.elementwise`` builds once per
function.  A child starts with all of it (copy-on-write), so a request
costs its own derivation plus a fork (issue 24: the MLP took 1.4 s, of
which 0.95 s was importing SymPy again).

Importing this module does the work: that is how a fork server is told
what to load (``multiprocessing``'s ``set_forkserver_preload``).
"""

from __future__ import annotations

import gc

import numpy  # noqa: F401  (numbers: evaluate, check)
import sympy  # noqa: F401  (scalar algebra of elementwise derivatives)

from ..errors import MatcalcError
from ..language import functions
from ..service import Request, answer_json

# Derivations that touch what users' derivations touch: softmax, a backward
# pass, a Jacobian, a Hessian, a check (and below, every elementwise function).
WARM_UP = (
    Request("-y^T log(softmax(W2 sigma(W1 x)))", "W1", "y: probability vector", check=True),
    Request("a1 = W1 x + b1; h1 = tanh(a1); l = ||relu(W2 h1) - y||^2", "all", "x, y: data"),
    Request("sigma(W x)", "W", kind="jacobian"),
    Request("logdet(X) + tr(inv(X) A)", "X", "X: positive definite", kind="hessian"),
)


def warm_up() -> None:
    for request in WARM_UP:
        answer_json(request)
    for name in functions.ELEMENTWISE:      # each function's derivative, built by SymPy once here
        try:
            answer_json(Request(f"sum({name}(x))", "x"))
        except MatcalcError:                # step and sign have none
            pass
    # What is loaded now lives as long as the server: the garbage collector of
    # each child leaves it alone, rather than touch (and so copy) every page of it.
    gc.collect()
    gc.freeze()


warm_up()
