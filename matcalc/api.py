"""The public API (SPEC §4): ``derive``, ``jacobian``, ``hessian`` → ``Derivation``."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .calculus.answers import finished_gradient
from .calculus.steps import GRADIENT, Outcome
from .calculus.strategy import derive_gradient, derive_hessian, derive_jacobian
from .errors import DerivationError, MatcalcError, MatcalcWarning
from .language import ast as A
from .language import functions
from .language.names import ascii_name
from .language.parser import parse_declarations, parse_program
from .printers import formats
from .printers.text import to_text
from .recursion import deep_recursion
from .rewriting.canon import canon
from .shapes.dims import describe
from .shapes.env import TypeEnv
from .shapes.infer import infer

if TYPE_CHECKING:
    import numpy as np

LAYOUTS = ("mixed", "numerator")


@dataclass(frozen=True)
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
    _warn_unused(program, expression)
    expr = program.result
    # A program is a sequence of definitions; the function is the last one.
    for name, definition in reversed(program.bindings):
        expr = A.substitute(expr, {A.Symbol(name): definition})
    (typed,), _, env = infer([expr], expression, declarations, show=to_text)
    for node in A.walk(typed):
        if isinstance(node, A.Power) and canon(node.base, env) == A.ZERO and isinstance(node.exponent, A.Number) \
                and node.exponent.value < 0:
            raise DerivationError("the expression divides by zero", source=expression, span=node.span)
        if isinstance(node, A.Func) and isinstance(constant := canon(node.arg, env), A.Number) \
                and not functions.elementwise(node.name).defined_at(constant.value):
            raise DerivationError(f"{to_text(node)} is not defined: {node.name} takes "
                                  f"{functions.elementwise(node.name).domain} numbers only",
                                  source=expression, span=node.span)
    return Problem(expression, typed, env, declarations, program.result_name or "l",
                   tuple(env.symbols), bool(program.result_name))


def _warn_unused(program, source: str) -> None:
    """A statement whose value nothing after it uses (SPEC §1 Programs)."""
    later = [A.symbol_names(program.result)]
    for name, definition in reversed(program.bindings):
        if not any(name in used for used in later):
            written = source[slice(*definition.span)] if definition.span else to_text(definition)
            warnings.warn(MatcalcWarning(f"{name} = {written} is never used"), stacklevel=6)  # the caller of derive
        later.append(A.symbol_names(definition))


def _request(expression, wrt, where, layout) -> tuple[Problem, str]:
    """The parsed, typed problem and the wrt symbol, or a MatcalcError."""
    if layout not in LAYOUTS:
        raise MatcalcError(f"layout must be 'mixed' or 'numerator', not '{layout}'")
    problem = _problem(expression, where)
    if not isinstance(wrt, str) or not wrt.strip():
        raise MatcalcError("say which symbol to differentiate with respect to (--wrt)")
    name = ascii_name(wrt.strip())
    if name not in problem.symbols:
        known = ", ".join(sorted(problem.env.symbols)) or "none"
        raise MatcalcError(f"'{wrt}' does not appear in the expression; its symbols are: {known}")
    return problem, name


def _require_scalar(problem, command):
    if not problem.env.is_scalar(problem.expr):
        raise DerivationError(
            f"{command} needs a scalar function, but {to_text(problem.expr)} "
            f"{describe(problem.env.shape(problem.expr))}; use jacobian for vector or matrix functions")


@deep_recursion
def derive(expression: str, wrt: str, where: str | None = None, layout: str = "mixed",
           method: str = "trace") -> "Derivation":
    """The gradient of a scalar function with every step (SPEC §2, §3)."""
    problem, name = _request(expression, wrt, where, layout)
    _require_scalar(problem, "derive")
    outcome = derive_gradient(problem.expr, name, problem.env, problem.function_name, method)
    return Derivation(problem, finished_gradient(outcome, layout))


@deep_recursion
def jacobian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator",
             method: str = "trace") -> "Derivation":
    """∂vec(F)/∂vec(X)^T (numerator layout: rows follow F, columns follow X; SPEC §2).

    ``layout`` is accepted for symmetry with ``derive``; a Jacobian is always
    in numerator layout."""
    problem, name = _request(expression, wrt, where, layout)
    function = problem.function_name
    if not problem.named:
        function = "F" if problem.env.is_matrix(problem.expr) else "f"
    return Derivation(problem, derive_jacobian(problem.expr, name, problem.env, function, method))


@deep_recursion
def hessian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator",
            method: str = "trace") -> "Derivation":
    """The Jacobian of the gradient: n×n for a vector, mn×mn in vec order for a matrix."""
    problem, name = _request(expression, wrt, where, layout)
    _require_scalar(problem, "hessian")
    return Derivation(problem, derive_hessian(problem.expr, name, problem.env, problem.function_name, method))


class Derivation:
    """An answer with its derivation (an immutable ``Outcome``); renders in
    every format of ``printers.formats``, evaluates and checks itself."""

    def __init__(self, problem: Problem, outcome: Outcome):
        self.problem = problem
        self.outcome = outcome

    # ---- what it is
    @property
    def label(self):
        """What the answer is: its kind (gradient, jacobian, hessian), function, wrt, layout."""
        return self.outcome.label

    @property
    def kind(self) -> str:
        return self.outcome.label.kind

    @property
    def wrt(self) -> str:
        return self.outcome.label.wrt

    @property
    def layout(self) -> str:
        return self.outcome.label.layout

    # ---- the answer
    @property
    def result(self) -> A.Expr:
        """The answer with every named value written out."""
        return self.outcome.expanded

    @property
    def named_result(self) -> A.Expr:
        """The answer in terms of the named intermediate values."""
        return self.outcome.answer

    @property
    def names(self) -> tuple:
        return self.outcome.names

    @property
    def steps(self) -> tuple:
        return self.outcome.steps

    @property
    def env(self) -> TypeEnv:
        return self.outcome.env

    # ---- rendering
    @deep_recursion
    def render(self, format: str, steps: bool = True):
        """The derivation in one of ``printers.formats.FORMATS`` (text, latex, ...)."""
        return formats.render(format, self, steps)

    def text(self, steps: bool = True) -> str:
        return self.render("text", steps)

    def latex(self, steps: bool = False) -> str:
        return self.render("latex", steps)

    def markdown(self, steps: bool = True) -> str:
        return self.render("markdown", steps)

    def json(self, steps: bool = True) -> dict:
        return self.render("json", steps)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Derivation ∂/∂{self.wrt} = {to_text(self.result)}>"

    def _repr_latex_(self) -> str:
        return "$$" + self.latex(steps=False) + "$$"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    # ---- numbers
    @deep_recursion
    def evaluate(self, values: dict) -> "np.ndarray":
        import numpy as np                          # NumPy is imported when numbers are asked for
        from .numeric.evaluate import bind_values, evaluate
        point, shapes = bind_values(values, self.problem.symbols, self.problem.env)
        try:
            with np.errstate(all="ignore"):
                answer = evaluate(self.result, point)
        except np.linalg.LinAlgError:
            raise MatcalcError("the answer inverts a singular matrix at these values") from None
        if self.layout == "numerator" or self.kind != GRADIENT:
            return answer
        given = shapes.get(self.wrt)
        if given is not None and len(given) < 2:
            return answer.reshape(given)
        return answer

    @deep_recursion
    def check(self, seed: int = 0) -> float:
        """Max relative error of ``evaluate`` against central finite differences
        of the original function, on random data with distinct sizes
        (``numeric.check``)."""
        from .numeric.check import check_answer
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise MatcalcError(f"the seed of check() is a whole number from 0 up, not {seed!r}")
        transposed = self.layout == "numerator" and self.kind == GRADIENT
        return check_answer(self.problem.expr, self.problem.env, self.wrt, self.kind, self.result,
                            transposed, seed)

