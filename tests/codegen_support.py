"""Shared by the code generation tests: the examples as derivations, random
values in the generated code's conventions, and running a generated module."""

from __future__ import annotations

import shlex
from functools import lru_cache
from pathlib import Path

import numpy as np

import matcalc
from matcalc.numeric.data import defined_points
from matcalc.numeric.differences import gradient_with_error, hessian_with_error, jacobian_with_error
from matcalc.numeric.evaluate import bind_values

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.sh")) + sorted((ROOT / "examples" / "backprop").glob("*.sh"))


def command_of(path):
    """(command, expression, wrt, where) of an example's one command line."""
    line = next(line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#"))
    argv = shlex.split(line)[1:]
    named = dict(zip(argv[2::2], argv[3::2]))
    return argv[0], argv[1], named["--wrt"], named.get("--where")


@lru_cache(maxsize=None)
def derivation_of(path):
    """(command, derivation) of an example, derived once for all the code generation tests."""
    command, expr, wrt, where = command_of(path)
    return command, getattr(matcalc, command)(expr, wrt=wrt, where=where)


def generated(derivation, target="numpy") -> dict:
    """The module's namespace, as imported (not run as a script)."""
    namespace = {"__name__": "generated"}
    exec(compile(derivation.to_python(target), "<generated>", "exec"), namespace)
    return namespace


def user_values(derivation, seed=1, dtype=np.float64) -> dict:
    """Random values as a user passes them: vectors 1-D, scalars numbers."""
    problem = derivation.problem
    point = next(defined_points(problem.expr, problem.env, seed))     # in the domain, regular
    values = {}
    for name in problem.symbols:
        info, array = problem.env.symbols[name], point.values[name]
        if info.rows.is_one and info.cols.is_one:
            values[name] = float(array[0, 0])
        elif info.cols.is_one:
            values[name] = array[:, 0].astype(dtype)
        else:
            values[name] = array.astype(dtype)
    return values


def arguments(derivation) -> tuple:
    return tuple(derivation.problem.symbols)


def finite_differences(command, derivation, values, wrt):
    """The answer by finite differences of the function itself (numeric.differences)."""
    problem = derivation.problem
    point, _ = bind_values(values, problem.symbols, problem.env)
    if command == "jacobian":
        return jacobian_with_error(problem.expr, wrt, point)[0]
    if command == "hessian":
        return hessian_with_error(problem.expr, wrt, point)[0]
    return gradient_with_error(problem.expr, wrt, point, problem.env)[0]
