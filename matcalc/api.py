"""The public API (SPEC §4): ``derive`` → ``Derivation``."""

from __future__ import annotations

import sys
from fractions import Fraction
from dataclasses import dataclass

import numpy as np

from .calculus.strategy import Outcome, Step, answer_form, derive_gradient, derive_jacobian
from .calculus.trace_method import push_transposes
from .errors import DerivationError, MatcalcError
from .language import ast as A
from .language.names import ascii_name
from .language.parser import parse_declarations, parse_program
from .numeric.evaluate import Point, evaluate
from .printers import text as text_printer
from .rewriting.canon import canon
from .rewriting.engine import Context
from .shapes.dims import describe
from .shapes.env import TypeEnv
from .shapes.infer import infer

# Trees are at most parse.MAX_DEPTH deep, and derivations a few times that;
# the recursive passes need more than Python's default 1000 frames.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


@dataclass
class Problem:
    source: str
    expr: A.Expr
    env: TypeEnv
    declarations: dict
    function_name: str
    symbols: tuple = ()            # the user's symbols, before any names are added
    named: bool = False            # the function was given a name (a program's last statement)


def _problem(expression: str, where: str | None) -> Problem:
    if not isinstance(expression, str):
        raise MatcalcError("the expression must be a string")
    declarations = parse_declarations(where or "")
    program = parse_program(expression, declarations)
    expr = program.result
    # A program is a sequence of definitions; the function is the last one.
    for name, definition in reversed(program.bindings):
        expr = A.substitute(expr, {A.Symbol(name): definition})
    (typed,), _, env = infer([expr], expression, declarations, show=text_printer.to_text)
    if any(isinstance(n, A.Power) and canon(n.base, env) == A.ZERO and isinstance(n.exponent, A.Number)
           and n.exponent.value < 0 for n in A.walk(typed)):
        raise DerivationError("the expression divides by zero")
    return Problem(expression, typed, env, declarations, program.result_name or "l",
                   tuple(env.symbols), bool(program.result_name))


def _check_wrt(problem: Problem, wrt: str) -> str:
    if not isinstance(wrt, str) or not wrt.strip():
        raise MatcalcError("say which symbol to differentiate with respect to (--wrt)")
    name = ascii_name(wrt.strip())
    if name not in problem.symbols:
        known = ", ".join(sorted(problem.env.symbols)) or "none"
        raise MatcalcError(f"'{wrt}' does not appear in the expression; its symbols are: {known}")
    return name


def derive(expression: str, wrt: str, where: str | None = None, layout: str = "mixed") -> "Derivation":
    """The gradient of a scalar function with every step (SPEC §2, §3)."""
    problem, name = _request(expression, wrt, where, layout)
    env = problem.env
    _require_scalar(problem, "derive")
    outcome = derive_gradient(problem.expr, name, env, problem.function_name)
    info = env.symbols[name]
    if info.symmetric or info.positive_definite:
        _symmetrize(outcome, name)
    if layout == "numerator" and not env.is_scalar(A.Symbol(name)):
        _to_numerator_layout(outcome, name)
    return Derivation(problem, name, outcome, layout)


def jacobian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator") -> "Derivation":
    """∂vec(F)/∂vec(X)^T (numerator layout: rows follow F, columns follow X; SPEC §2).

    ``layout`` is accepted for symmetry with ``derive``; a Jacobian is always
    in numerator layout."""
    problem, name = _request(expression, wrt, where, layout)
    if problem.function_name == "l" and not problem.named:
        problem.function_name = "F" if problem.env.is_matrix(problem.expr) else "f"
    outcome = derive_jacobian(problem.expr, name, problem.env, problem.function_name)
    return Derivation(problem, name, outcome, "numerator", kind="jacobian")


def hessian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator") -> "Derivation":
    """The Jacobian of the gradient: n×n for a vector, mn×mn in vec order for a matrix."""
    problem, name = _request(expression, wrt, where, layout)
    env = problem.env
    _require_scalar(problem, "hessian")
    gradient = derive_gradient(problem.expr, name, env, problem.function_name)
    g = "g" if "g" not in env.symbols else "g_" + name
    steps = gradient.steps
    first = len(steps)
    outcome = derive_jacobian(gradient.gradient, name, env, g, steps=steps, names=gradient.names)
    steps[first].rule, steps[first].rules = "gradient", ["gradient"]
    steps[first].note = f"{g} = ∂{problem.function_name}/∂{name}"
    steps[-1].lhs = _hessian_label(problem.function_name, name, env)
    return Derivation(problem, name, outcome, "numerator", kind="hessian")


def _hessian_label(f: str, x: str, env) -> str:
    if env.is_scalar(A.Symbol(x)) or env.is_vector(A.Symbol(x)):
        return f"∂²{f}/∂{x}∂{x}^T"
    return f"∂²{f}/∂vec({x})∂vec({x})^T"


def _request(expression, wrt, where, layout) -> tuple[Problem, str]:
    """The parsed, typed problem and the wrt symbol, or a MatcalcError."""
    if layout not in ("mixed", "numerator"):
        raise MatcalcError(f"layout must be 'mixed' or 'numerator', not '{layout}'")
    problem = _problem(expression, where)
    return problem, _check_wrt(problem, wrt)


def _require_scalar(problem, command):
    if not problem.env.is_scalar(problem.expr):
        raise DerivationError(
            f"{command} needs a scalar function, but {text_printer.to_text(problem.expr)} "
            f"{_describe(problem.env, problem.expr)}; use jacobian for vector or matrix functions")


def _describe(env, expr) -> str:
    return describe(env.shape(expr))


def _pushed(expr, env):
    """The transpose of an answer, pushed in, in answer form again."""
    return answer_form(push_transposes(expr, Context(env)), env)


def _symmetrize(outcome: Outcome, name: str) -> None:
    env = outcome.env
    half = A.Number(Fraction(1, 2))
    def sym(g):
        return answer_form(canon(A.Product((half, A.Add((g, _pushed(A.Transpose(g), env))))), env), env)
    outcome.gradient, outcome.expanded = sym(outcome.gradient), sym(outcome.expanded)
    last = outcome.steps[-1]
    outcome.steps.append(Step("symmetric-gradient", last.lhs, outcome.gradient, last.after,
                              ["symmetric-gradient"], f"{name} is symmetric"))


def _to_numerator_layout(outcome: Outcome, name: str) -> None:
    env = outcome.env
    outcome.gradient = _pushed(A.Transpose(outcome.gradient), env)
    outcome.expanded = _pushed(A.Transpose(outcome.expanded), env)
    last = outcome.steps[-1]
    outcome.steps.append(Step("numerator-layout", last.lhs + "  (numerator layout)", outcome.gradient,
                              last.after, ["numerator-layout"]))


class Derivation:
    """An answer with its derivation; renders as text, LaTeX, JSON, Markdown."""

    def __init__(self, problem: Problem, wrt: str, outcome: Outcome, layout: str,
                 kind: str = "gradient"):
        self.problem = problem
        self.wrt = wrt
        self.outcome = outcome
        self.layout = layout
        self.kind = kind              # gradient | jacobian | hessian

    @property
    def label(self) -> str:
        """What the answer is: ∂l/∂W1, ∂vec(F)/∂vec(X)^T, ∂²l/∂x∂x^T."""
        return self.outcome.steps[-1].lhs.replace("  (numerator layout)", "")

    # ---- the answer
    @property
    def result(self) -> A.Expr:
        """The answer with every named value written out."""
        return self.outcome.expanded

    @property
    def named_result(self) -> A.Expr:
        """The answer in terms of the named intermediate values."""
        return self.outcome.gradient

    @property
    def names(self) -> list:
        return self.outcome.names

    @property
    def steps(self) -> list[Step]:
        return self.outcome.steps

    @property
    def env(self) -> TypeEnv:
        return self.outcome.env

    # ---- rendering
    def text(self, steps: bool = True) -> str:
        from .printers.report import text_report
        return text_report(self, steps)

    def latex(self, steps: bool = False) -> str:
        from .printers.report import latex_report
        return latex_report(self, steps)

    def markdown(self, steps: bool = True) -> str:
        from .printers.report import markdown_report
        return markdown_report(self, steps)

    def json(self, steps: bool = True) -> dict:
        from .printers.report import json_report
        return json_report(self, steps)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Derivation ∂/∂{self.wrt} = {text_printer.to_text(self.result)}>"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex(steps=False) + "$$"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    # ---- numbers
    def evaluate(self, values: dict) -> np.ndarray:
        point, shapes = self._point(values)
        answer = evaluate(self.result, point)
        if self.layout == "numerator" or self.kind != "gradient":
            return answer
        given = shapes.get(self.wrt)
        if given is not None and len(given) < 2:
            return answer.reshape(given)
        return answer

    def _point(self, values: dict):
        arrays, shapes, sizes = {}, {}, {}
        for name in self.problem.symbols:
            info = self.problem.env.symbols[name]
            if name not in values:
                raise MatcalcError(f"evaluate needs a value for {name}")
            array = np.asarray(values[name], dtype=float)
            shapes[name] = array.shape
            if array.ndim == 0:
                array = array.reshape(1, 1)
            elif array.ndim == 1:
                array = array.reshape(-1, 1)
            arrays[name] = array
            for dim, size in zip((info.rows, info.cols), array.shape):
                if len(dim.names) == 1 and dim.coef == 1:
                    if sizes.setdefault(dim.names[0], size) != size:
                        raise MatcalcError(f"{name} has a size that does not match the other values "
                                           f"(dimension {dim.names[0]} is {sizes[dim.names[0]]})")
        return Point(arrays, sizes), shapes

    def check(self, seed: int = 0) -> float:
        """Max relative error of ``evaluate`` against central finite differences
        of the original function, on random data with distinct sizes.

        The data are the first random point at which the function is finite
        (``numeric.defined_points``) and its finite differences settle to
        within ``numeric.TRUSTED`` of the error scale, so that the number
        measures the answer and not the reference.  If the differences settle
        nowhere (kinks or poles near every point tried), the point where they
        came closest is used."""
        from .numeric.check import REFERENCE_POINTS, TRUSTED, defined_points, refuse_oversized
        refuse_oversized(self.problem.expr, self.problem.env, self.wrt, self.kind)
        closest = None
        for tried, point in enumerate(defined_points(self.problem.expr, self.problem.env, seed)):
            if tried == REFERENCE_POINTS:
                break
            error, uncertainty = self._check_at(point)
            if uncertainty <= TRUSTED:
                return error
            if np.isfinite(uncertainty) and (closest is None or uncertainty < closest[1]):
                closest = (error, uncertainty)
        if closest is None:
            raise DerivationError("could not find data on which the function is defined")
        return closest[0]

    def _check_at(self, point) -> tuple[float, float]:
        """(relative error of the answer, relative error of the finite
        differences themselves as their extrapolation estimates it) at ``point``."""
        from .numeric.check import error_floor, gradient_with_error, hessian_with_error, jacobian_with_error
        expr, env = self.problem.expr, self.problem.env
        if self.kind == "jacobian":
            numeric, uncertainty = jacobian_with_error(expr, self.wrt, point)
        elif self.kind == "hessian":
            numeric, uncertainty = hessian_with_error(expr, self.wrt, point)
        else:
            numeric, uncertainty = gradient_with_error(expr, self.wrt, point, env)
        if not np.all(np.isfinite(numeric)):
            return np.inf, np.inf
        try:
            with np.errstate(all="ignore"):
                answer = evaluate(self.result, point)
        except np.linalg.LinAlgError:       # the answer inverts a matrix that the function does not
            answer = np.array([[np.nan]])
        if self.layout == "numerator" and self.kind == "gradient":
            answer = answer.T
        if answer.shape != numeric.shape and answer.size == 1:
            answer = np.broadcast_to(answer, numeric.shape)
        scale = max(float(np.max(np.abs(numeric))), error_floor(evaluate(expr, point)))
        if answer.shape != numeric.shape or not np.all(np.isfinite(answer)):
            return np.inf, uncertainty / scale
        # The answer's own size counts too: an answer far too large is compared on its scale.
        scale = max(scale, float(np.max(np.abs(answer))))
        return float(np.max(np.abs(answer - numeric))) / scale, uncertainty / scale
