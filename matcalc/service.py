"""One request in, one JSON-ready answer out (SPEC §5's JSON): what the
CLI's ``--format json`` prints and what the web page's ``/api/derive``
returns, so the two never drift apart."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

from . import api
from .errors import MatcalcError, MatcalcWarning

CHECK_TOLERANCE = 1e-5          # a check is ok below this relative error
KINDS = {"gradient": api.derive, "jacobian": api.jacobian, "hessian": api.hessian}
COMMANDS = {"derive": "gradient", "jacobian": "jacobian", "hessian": "hessian"}


@dataclass(frozen=True)
class Request:
    expression: str
    wrt: str
    where: str = ""
    kind: str = "gradient"              # gradient | jacobian | hessian
    method: str = "trace"
    layout: str | None = None           # None: the kind's own (mixed for gradients)
    steps: bool = True
    check: bool = False
    input: str | None = None            # "text" or "latex"; None: a backslash means LaTeX (SPEC §11)
    compare: str = ""                   # a hand-derived answer to check (SPEC §10)
    code: str = ""                      # a target (numpy, torch, jax): the generated module too (SPEC §8, §9)


def derivation_for(request: Request, caught_warnings: list | None = None):
    """The Derivation (or Gradients) a request asks for; MatcalcError on bad input."""
    if request.kind not in KINDS:
        raise MatcalcError(f"kind must be one of {', '.join(KINDS)}, not '{request.kind}'")
    options = {"where": request.where, "method": request.method}
    if request.layout:
        options["layout"] = request.layout
    if request.input:
        options["input"] = request.input
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", MatcalcWarning)
        derivation = KINDS[request.kind](request.expression, wrt=request.wrt, **options)
    if caught_warnings is not None:
        caught_warnings.extend(str(w.message) for w in caught)
    return derivation


def check_json(derivation, progress=None) -> dict:
    """``check()`` as JSON: JSON has no Infinity, so a mismatch that large is null."""
    error = derivation.check(progress=progress)
    finite = math.isfinite(error)
    return {"max_relative_error": error if finite else None, "ok": finite and error < CHECK_TOLERANCE}


def error_json(error: MatcalcError) -> dict:
    return {"error": {"kind": type(error).__name__, "message": error.message,
                      "text": error.render(), "span": list(error.span) if error.span else None}}


def answer_json(request: Request) -> dict:
    """The request's derivation as §5's JSON, with its LaTeX block to copy,
    its warnings and (when asked) the numeric check; MatcalcError on bad input."""
    caught: list[str] = []
    derivation = derivation_for(request, caught)
    data = derivation.json(request.steps)
    data["kind"] = request.kind
    data["latex"] = derivation.latex(steps=request.steps)
    data["warnings"] = caught
    if request.check:
        data["check"] = check_json(derivation)
    if request.compare:
        data["compare"] = comparison_for(derivation, request.compare, input=request.input).json()
    if request.code:
        data["code"] = code_json(derivation, request.code)
    return data


def comparison_for(derivation, candidate: str = "", steps_file: str = "", input: str | None = None):
    """The verdict on a hand-derived answer, or on a whole hand derivation in
    ``steps_file`` (SPEC §10); one symbol's derivation only.  ``input`` as
    the expression's (SPEC §11): "text", "latex" or None (a backslash means LaTeX)."""
    if isinstance(derivation, api.Gradients):
        raise MatcalcError("compare takes one symbol's gradient: ask for one wrt symbol")
    if steps_file:
        from .compare.steps import read_steps_file
        return read_steps_file(derivation, steps_file, input)
    return derivation.compare(candidate, input)


def code_json(derivation, target: str) -> dict:
    """The generated module, or why there is none (the derivation is shown either way)."""
    try:
        return {"target": target, "text": derivation.to_python(target)}
    except MatcalcError as error:
        return {"target": target, "error": error.render()}
