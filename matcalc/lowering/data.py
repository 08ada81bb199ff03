"""How a generated module's self-check draws its random inputs.

The kinds follow the where-clause and what the function needs: probability
vectors have columns summing to one, positive definite and symmetric
matrices are made so, square matrices that are inverted or whose
determinant is taken are drawn near the identity, and entries are positive
where a logarithm or a root needs them.  Distinct dimensions get distinct
sizes (3, 4, 5, ...) so a wrong transpose cannot pass.
"""

from __future__ import annotations

from ..language import ast as A
from ..language import functions


def sizes_for(env) -> dict:
    return {name: 3 + index for index, name in enumerate(env.dim_names())}


def input_data(problem, name: str) -> str:
    """normal | positive | probability | symmetric | positive_definite | near_identity."""
    info = problem.env.symbols[name]
    if info.probability:
        return "probability"
    if info.positive_definite:
        return "positive_definite"
    if _inverted(problem.expr) and info.rows == info.cols and not info.rows.is_one:
        return "near_identity_symmetric" if info.symmetric else "near_identity"
    if info.symmetric:
        return "symmetric"
    return "positive" if _needs_positive(problem.expr) else "normal"


def _inverted(expr) -> bool:
    return any(isinstance(node, (A.Det, A.LogDet, A.Inverse)) or
               (isinstance(node, A.Power) and isinstance(node.exponent, A.Number) and node.exponent.value < 0
                and not isinstance(node.base, (A.Number,)))
               for node in A.walk(expr))


def _needs_positive(expr) -> bool:
    for node in A.walk(expr):
        if isinstance(node, A.Func) and functions.elementwise(node.name).domain != "real":
            return True
        if isinstance(node, (A.Power, A.ElemPow)) and not (isinstance(node.exponent, A.Number)
                                                            and node.exponent.value.denominator == 1):
            return True
    return False
