"""How right an answer is: the max relative error of the answer against
finite differences of the function itself, on random data (``check()``).

The gradients of a program are checked all at once along a few joint
directions that move every parameter (``joint``; a group found wrong is
halved down to single parameters, each checked along its own directions,
``directional``), each statement computed once per point (``program``):
the cost grows linearly with the program, not with the number of entries
of the parameters nor with the square of its depth.  A
Jacobian or Hessian is checked entry by entry (their size is limited).

The data are the first random point at which the function is finite
(``data.defined_points``) and its finite differences settle to within
``TRUSTED`` of the error scale, so that the number measures the answer and
not the reference (for gradients, points of smaller data are tried in turn).
If the differences settle nowhere (kinks or poles near every point tried),
the point where they came closest is used.
"""

from __future__ import annotations

from itertools import islice, zip_longest

import numpy as np

from ..errors import DerivationError, MatcalcError
from ..language import ast as A
from ..shapes.env import TypeEnv
from .data import defined_points, refuse_oversized
from .differences import error_floor, hessian_with_error, jacobian_with_error
from .evaluate import Point, evaluate, evaluate_named
from .joint import program_errors
from .program import ProgramValues

TRUSTED = 1e-8            # finite differences trusted to this relative error (100× below 1e-6)
SMALL_DATA = 1 / 8        # the scale of the data tried for gradients whose differences did not settle
REFERENCE_POINTS = 4      # points tried before settling for the most trustworthy one


def check_problem(problem, kind: str, layout: str, answers: dict, names, seed: int, progress=None) -> float:
    """The largest error of ``answers`` (wrt → expression in ``names``: a
    Jacobian or Hessian, or gradients, in ``layout``) of an ``api.Problem``."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise MatcalcError(f"the seed of check() is a whole number from 0 up, not {seed!r}")
    if kind != "gradient":
        (wrt, answer), = answers.items()
        return check_answer(problem.expr, problem.env, wrt, kind, answer, False, seed, names)
    statements = problem.statements or ((problem.function_name, problem.expr),)
    errors = check_gradients(problem.expr, statements, problem.env, answers, names,
                             layout == "numerator", seed, progress)
    return max(errors.values())


def check_gradients(function: A.Expr, statements, env: TypeEnv, answers: dict, names=(),
                    transposed: bool = False, seed: int = 0, progress=None) -> dict:
    """wrt → max relative error of the gradient ``answers[wrt]`` (an
    expression that may use ``names``; ``transposed`` in numerator layout) of
    ``function``, which ``statements`` ((name, definition), ..., the function
    last) compute.  ``progress(done, total)`` is told of each gradient settled
    (done = total at the end)."""
    for wrt in answers:
        refuse_oversized(function, env, wrt, "gradient")
    settled, closest, undefined = {}, {}, set()
    for point in _points(function, env, seed):
        pending = [wrt for wrt in answers if wrt not in settled]
        if not pending:
            break
        point = _with_unused(point, env, answers, seed)
        with np.errstate(all="ignore"):
            program = ProgramValues(statements, point)
            if not np.all(np.isfinite(program.value)):
                # finite written out (data.defined_points) but not statement by statement,
                # which computes some forms less stably: this point will not do, another is tried
                continue
            values = _answers_at(names, {wrt: answers[wrt] for wrt in pending}, point, env)
        rng = np.random.default_rng(seed)
        symmetric = {wrt: env.symbols[wrt].symmetric or env.symbols[wrt].positive_definite for wrt in pending}
        found = program_errors(program, {wrt: values[wrt].T if transposed else values[wrt] for wrt in pending},
                               symmetric, rng, TRUSTED)
        for wrt, (error, uncertainty) in found.items():
            if np.isnan(error):                 # the answer is undefined here, the function is not
                undefined.add(wrt)
            elif uncertainty <= TRUSTED:
                settled[wrt] = error
                if progress is not None and len(settled) < len(answers):
                    progress(len(settled), len(answers))
            elif np.isfinite(uncertainty) and (wrt not in closest or uncertainty < closest[wrt][1]):
                closest[wrt] = (error, uncertainty)
    for wrt in answers:
        if wrt not in settled:
            if wrt in closest:
                settled[wrt] = closest[wrt][0]
            elif wrt in undefined:
                settled[wrt] = np.inf   # undefined at every point tried
            else:
                raise DerivationError("could not find data on which the function is defined")
    if progress is not None:
        progress(len(answers), len(answers))
    return settled


def _points(function, env, seed: int):
    """Points of unit-sized data and of smaller data in turn: a deep random
    network on unit-sized weights is chaotic (slopes of 1e10, whose differences
    are rounding noise), on smaller ones it is not."""
    sources = (islice(defined_points(function, env, seed), REFERENCE_POINTS),
               islice(defined_points(function, env, seed, scale=SMALL_DATA), REFERENCE_POINTS))
    for pair in zip_longest(*sources):
        yield from (point for point in pair if point is not None)


def _with_unused(point: Point, env: TypeEnv, answers, seed: int) -> Point:
    """``point`` with values for the parameters the function does not use (a
    statement nothing uses): the data are drawn for the function's symbols,
    and such a gradient, zero, is checked as any other."""
    unused = [wrt for wrt in answers if wrt not in point.values]
    if not unused:
        return point
    rng = np.random.default_rng(seed)
    values = dict(point.values)
    for wrt in unused:
        info = env.symbols[wrt]
        values[wrt] = rng.standard_normal((info.rows.value(point.sizes), info.cols.value(point.sizes)))
    return Point(values, point.sizes)


def _answers_at(names, answers: dict, point, env: TypeEnv) -> dict:
    """The answers' values at ``point``, computed as the generated code computes them (the lowering)."""
    try:
        return evaluate_named(names, answers, point, env)
    except np.linalg.LinAlgError:       # the answer inverts a matrix that the function does not
        return {key: np.array([[np.nan]]) for key in answers}


def check_answer(function: A.Expr, env: TypeEnv, wrt: str, kind: str, answer: A.Expr,
                 transposed: bool = False, seed: int = 0, names=()) -> float:
    """Max relative error of ``answer`` (a Jacobian or Hessian of
    ``function`` wrt ``wrt``; ``transposed`` in numerator layout), which may
    use ``names`` ((name, definition), ...)."""
    refuse_oversized(function, env, wrt, kind)
    closest, undefined = None, False
    for tried, point in enumerate(defined_points(function, env, seed)):
        if tried == REFERENCE_POINTS:
            break
        error, uncertainty = _check_at(function, env, wrt, kind, answer, transposed, point, names)
        if np.isnan(error):
            # The answer is undefined here though the function is not: 0/0 at
            # ||relu(-ρ) v|| = 0, where the norm has its kink.  Another point.
            undefined = True
            continue
        if uncertainty <= TRUSTED:
            return error
        if np.isfinite(uncertainty) and (closest is None or uncertainty < closest[1]):
            closest = (error, uncertainty)
    if closest is None:
        if undefined:
            return np.inf           # undefined at every point tried
        raise DerivationError("could not find data on which the function is defined")
    return closest[0]


def _check_at(function, env, wrt, kind, answer_expr, transposed, point, names=()) -> tuple[float, float]:
    """(relative error of the answer, relative error of the finite
    differences themselves as their extrapolation estimates it) at ``point``."""
    if kind == "jacobian":
        numeric, uncertainty = jacobian_with_error(function, wrt, point)
    else:
        numeric, uncertainty = hessian_with_error(function, wrt, point)
    if not np.all(np.isfinite(numeric)):
        return np.inf, np.inf
    with np.errstate(all="ignore"):
        answer = _answers_at(names, {0: answer_expr}, point, env)[0]
    if transposed:
        answer = answer.T
    scale = max(float(np.max(np.abs(numeric))), error_floor(evaluate(function, point)))
    if answer.shape != numeric.shape:
        return np.inf, uncertainty / scale
    if not np.all(np.isfinite(answer)):
        return np.nan, uncertainty / scale
    # The answer's own size counts too: an answer far too large is compared on its scale.
    scale = max(scale, float(np.max(np.abs(answer))))
    return float(np.max(np.abs(answer - numeric))) / scale, uncertainty / scale
