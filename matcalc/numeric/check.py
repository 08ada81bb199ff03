"""How right an answer is: the max relative error of the answer against
finite differences of the function itself, on random data (``check()``).

The data are the first random point at which the function is finite
(``data.defined_points``) and its finite differences settle to within
``TRUSTED`` of the error scale, so that the number measures the answer and
not the reference.  If the differences settle nowhere (kinks or poles near
every point tried), the point where they came closest is used.
"""

from __future__ import annotations

import numpy as np

from ..errors import DerivationError
from ..language import ast as A
from ..shapes.env import TypeEnv
from .data import defined_points, refuse_oversized
from .differences import error_floor, gradient_with_error, hessian_with_error, jacobian_with_error
from .evaluate import evaluate, evaluate_named

TRUSTED = 1e-8            # finite differences trusted to this relative error (100× below 1e-6)
REFERENCE_POINTS = 4      # points tried before settling for the most trustworthy one


def check_answer(function: A.Expr, env: TypeEnv, wrt: str, kind: str, answer: A.Expr,
                 transposed: bool = False, seed: int = 0, names=()) -> float:
    """Max relative error of ``answer`` (a gradient, Jacobian or Hessian of
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
    elif kind == "hessian":
        numeric, uncertainty = hessian_with_error(function, wrt, point)
    else:
        numeric, uncertainty = gradient_with_error(function, wrt, point, env)
    if not np.all(np.isfinite(numeric)):
        return np.inf, np.inf
    try:
        with np.errstate(all="ignore"):
            answer = evaluate_named(names, {0: answer_expr}, point, env)[0]
    except np.linalg.LinAlgError:       # the answer inverts a matrix that the function does not
        answer = np.array([[np.nan]])
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
