"""The public API (SPEC §4): ``derive``, ``jacobian``, ``hessian`` → ``Derivation``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .calculus.answers import finished_gradient
from .calculus.steps import GRADIENT, Outcome
from .calculus.naming import by_sweep
from .calculus.strategy import derive_gradient, derive_hessian, derive_jacobian, write_out
from .compare import Comparable
from .errors import DerivationError, InternalError, LimitError, MatcalcError
from .language import ast as A
from .language import functions
from .language.limits import MAX_NODES, READING_WORK, node_count, written_out_size
from .language.names import unused_name
from .language.declarations import vector_reading
from .language.notices import warn_layout, warn_undeclared, warn_unused_statements
from .language.parser import parse_declarations, parse_program
from .language.records import quick_init
from .language.typed_input import TypedInput, typed_input
from .printers import code, formats
from .printers.labels import label_text
from .printers.text import to_text
from .recursion import deep_recursion
from .rewriting.canon import canon
from .rewriting.engine import Context
from .shapes.dims import describe
from .shapes.env import TypeEnv
from .shapes.infer import infer

if TYPE_CHECKING:
    import numpy as np

LAYOUTS = ("mixed", "numerator")


@quick_init
@dataclass(frozen=True)
class Problem:
    source: str
    expr: A.Expr
    env: TypeEnv
    declarations: dict
    function_name: str
    symbols: tuple = ()            # the user's symbols, before any names are added
    named: bool = False            # the function was given a name (a program's last statement)
    statements: tuple = ()         # a program's ((name, typed definition), ...), the function last
    typed: TypedInput | None = None   # the input as typed (LaTeX: its spellings, SPEC §11)


def _problem(expression: str, where: str | None, second_reading: bool = False,
             as_typed: TypedInput | None = None, unnamed=None) -> Problem:
    """``unnamed(expr, env)``: the function's name when the input names none (else l)."""
    if not isinstance(expression, str):
        raise MatcalcError("the expression must be a string")
    declarations = parse_declarations(where or "")
    program = parse_program(expression, declarations)
    if not second_reading:        # the same statements read again: their warnings are said once
        warn_unused_statements(program, expression, to_text, stacklevel=5)    # the caller of derive
    # A program is a sequence of definitions; the function is the last one.
    # The statements are typed, then written out in order, each name's typed
    # definition shared wherever it is used: the cost is the statements', not
    # the written-out tree's (issue 24: four stacked layer norms).
    bindings = dict(program.bindings)
    typed_trees, typed_bindings, env = infer([program.result], expression, declarations, predefined=bindings,
                                             show=to_text)
    written: dict = {}
    for name, definition in zip(bindings, typed_bindings):
        written[A.Symbol(name)] = A.substitute(definition, written)
    typed = A.substitute(typed_trees[0], written) if written else typed_trees[0]
    env.spend(READING_WORK * node_count((*typed_bindings, typed_trees[0])))
    function_name = program.result_name or "l"
    statements = ()
    if bindings:
        statements = tuple(zip(bindings, typed_bindings)) + ((function_name, typed_trees[0]),)
    for node in A.unique_nodes(typed) if A.holds(typed, A.Power, A.Func) else ():
        if isinstance(node, A.Power) and isinstance(node.exponent, A.Number) and node.exponent.value < 0 \
                and canon(node.base, env) == A.ZERO:
            raise DerivationError("the expression divides by zero", source=expression, span=node.span)
        # Only a function defined on part of the line (log, sqrt) can be undefined at a constant.
        if isinstance(node, A.Func) and (entry := functions.elementwise(node.name)).domain != "real" \
                and isinstance(constant := canon(node.arg, env), A.Number) \
                and not entry.defined_at(constant.value):
            raise DerivationError(f"{to_text(node)} is not defined: {node.name} takes "
                                  f"{entry.domain} numbers only",
                                  source=expression, span=node.span)
    if unnamed is not None and not program.result_name:
        function_name = unnamed(typed, env)         # the statements keep l, as a program's last
    return Problem(expression, typed, env, declarations, function_name,
                   tuple(name for name in env.symbols if name not in bindings), bool(program.result_name),
                   statements, as_typed)


def _request(expression, wrt, where, layout, input=None, unnamed=None) -> tuple[Problem, list, bool]:
    """The typed problem, the wrt symbols, whether several were asked for (a list, "W1, b1", "all")."""
    if layout not in LAYOUTS:
        raise MatcalcError(f"layout must be 'mixed' or 'numerator', not '{layout}'")
    with (typed := typed_input(expression, input)).used():          # matcalc's language or LaTeX (SPEC §11)
        declared = typed.where(where)
        problem = _problem(typed.plain, declared, as_typed=typed, unnamed=unnamed)
        if not problem.env.is_scalar(problem.expr) and (vectors := vector_reading(declared, problem.declarations)):
            problem = next((p for p in [_problem(typed.plain, vectors, True, typed, unnamed)]
                            if p.env.is_scalar(p.expr)), problem)
        typed.say_shape_notes(problem)                                 # softmax of a matrix (SPEC §11)
    if isinstance(wrt, (list, tuple)) and all(isinstance(w, str) for w in wrt):
        asked, many = [w.strip() for w in wrt], True
    elif isinstance(wrt, str):
        asked = [w.strip() for w in wrt.split(",")]
        many = len(asked) > 1 or asked == ["all"]
    else:
        raise MatcalcError("wrt is a symbol's name, names separated by commas, a list of names, or 'all'")
    if not any(asked) or not all(asked):
        raise MatcalcError("say which symbol to differentiate with respect to (wrt is empty)")
    warn_undeclared(problem.declarations, problem.env.symbols, stacklevel=4)
    # Data symbols: derived when asked for by name (alone or in a list); "all" leaves them out.
    if asked == ["all"]:
        names = [s for s in problem.symbols if not getattr(problem.declarations.get(s), "data", False)]
        if not names:
            raise MatcalcError("every symbol is declared data: there is no parameter to differentiate by")
        return problem, names, True
    names = []
    for written in asked:
        name = typed.name_of(written)
        if name not in problem.symbols:
            known = ", ".join(problem.symbols) or "none"
            defined = " (it is a value the program defines)" if name in problem.env.symbols else ""
            raise MatcalcError(f"'{written}' does not appear in the expression{defined}; "
                               f"its symbols are: {known}")
        if name in names:
            raise MatcalcError(f"'{written}' is asked for twice")
        names.append(name)
    return problem, names, many


def _one(request, command) -> tuple[Problem, str]:
    problem, names, many = request
    if many:
        raise MatcalcError(f"{command} takes one symbol to differentiate with respect to, not several")
    return problem, names[0]


def _require_scalar(problem, command):
    if not problem.env.is_scalar(problem.expr):
        raise DerivationError(
            f"{command} needs a scalar function, but {to_text(problem.expr)} "
            f"{describe(problem.env.shape(problem.expr))}; use jacobian for vector or matrix functions")


@deep_recursion
def derive(expression: str, wrt: str, where: str | None = None, layout: str = "mixed",
           method: str = "trace", input: str | None = None) -> "Derivation":
    """The gradient of a scalar function with every step (SPEC §2, §3); with
    several wrt symbols (a list, "W1, b1", or "all") a ``Gradients`` mapping
    from one backward sweep (SPEC §7).  A program is derived by that sweep
    even for one symbol, so its steps use the program's names."""
    problem, names, many = _request(expression, wrt, where, layout, input)
    _require_scalar(problem, "derive")
    if not (many or problem.statements or by_sweep(problem.expr, names[0])):
        outcome = derive_gradient(problem.expr, names[0], problem.env, problem.function_name, method)
        return Derivation(problem, finished_gradient(outcome, layout))
    from .calculus.backprop import outcome_for, sweep_of     # loads with the first program or list of wrt
    sweep = sweep_of(problem.statements, problem.expr, names, problem.env, problem.function_name, method)
    gradients = {name: Derivation(problem, finished_gradient(outcome_for(sweep, name, written_out=not many), layout))
                 for name in names}
    return Gradients(problem, sweep, gradients) if many else gradients[names[0]]


@deep_recursion
def jacobian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator",
             method: str = "trace", input: str | None = None) -> "Derivation":
    """∂vec(F)/∂vec(X)^T (numerator layout: rows follow F, columns follow X; SPEC §2).

    ``layout`` is accepted for symmetry with ``derive``; a Jacobian is always
    in numerator layout."""
    problem, name = _one(_request(expression, wrt, where, layout, input, _jacobian_name), "jacobian")
    warn_layout(layout, stacklevel=3)
    return Derivation(problem, derive_jacobian(problem.expr, name, problem.env, problem.function_name, method,
                                               names=problem.statements[:-1]))


def _jacobian_name(expr, env) -> str:
    """The header and the label name one function, never one of its symbols:
    F for a matrix function, else f (given as the problem is made, not by a copy)."""
    return unused_name("F" if env.is_matrix(expr) else "f", env.symbols)


@deep_recursion
def hessian(expression: str, wrt: str, where: str | None = None, layout: str = "numerator",
            method: str = "trace", input: str | None = None) -> "Derivation":
    """The Jacobian of the gradient: n×n for a vector, mn×mn in vec order for a matrix."""
    problem, name = _one(_request(expression, wrt, where, layout, input), "hessian")
    _require_scalar(problem, "hessian")
    return Derivation(problem, derive_hessian(problem.expr, name, problem.env, problem.function_name, method,
                                              names=problem.statements[:-1]))


class _Rendered(code.PythonCode):
    """text, LaTeX, Markdown and JSON, from ``render`` (the format registry)."""

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

    def _repr_latex_(self) -> str:
        # aligned, not align*: text/latex is pasted into $$ … $$ when a notebook becomes a PDF
        return "$$" + self.latex(steps=False).replace("align*", "aligned") + "$$"

    def _repr_markdown_(self) -> str:
        return self.markdown()

    def _repr_html_(self) -> str:
        return self.render("html")


class Derivation(_Rendered, Comparable):
    """An answer with its derivation (an immutable ``Outcome``); renders in
    every format of ``printers.formats``, evaluates, checks and compares itself."""

    def __init__(self, problem: Problem, outcome: Outcome):
        self.problem = problem
        self.outcome = outcome
        self._written_out = (None, None)

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
        outcome = self.outcome
        if outcome.expanded is not None:
            return outcome.expanded
        if self._written_out[0] is not outcome:        # written out once, when first asked
            if written_out_size(outcome.answer, outcome.names) > MAX_NODES:
                raise LimitError(f"the answer with its names written out has more than {MAX_NODES:,} parts; "
                                 "named_result has it in the program's names")
            self._written_out = (outcome, write_out(outcome.answer, outcome.names, Context(outcome.env)))
        return self._written_out[1]

    @property
    def printed_result(self) -> A.Expr:
        """The answer as reports print it: written out where the derivation
        wrote it out (one gradient), in names and δ's for a backward pass."""
        return self.outcome.expanded if self.outcome.expanded is not None else self.outcome.answer

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

    def __repr__(self) -> str:
        return f"<Derivation {label_text(self.label)} = {to_text(self.printed_result)}>"

    # ---- numbers
    @deep_recursion
    def evaluate(self, values: dict) -> "np.ndarray":
        expr, names = self._for_numbers()
        found, shapes, point = _evaluated(self.problem, {self.wrt: expr}, names, values)
        return self._as_given(found[self.wrt], shapes, point)

    def _for_numbers(self) -> tuple:
        """(the answer, the names it uses): written out where the derivation
        wrote it out; in names and δ's for a backward pass (each computed once)."""
        if self.outcome.expanded is not None:
            return self.outcome.expanded, ()
        return self.outcome.answer, self.outcome.names

    def _as_given(self, answer, shapes: dict, point):
        """The answer's value, checked to have the shape the answer must have; a
        gradient of a vector given 1-D comes back 1-D (SPEC §4)."""
        from .numeric.evaluate import answer_shape
        expected = answer_shape(self.kind, self.problem.expr, self.wrt, self.problem.env, point)
        if self.layout == "numerator" and self.kind == GRADIENT:
            expected = expected[::-1]
        if answer.shape != expected:
            raise InternalError(f"the answer {to_text(self.printed_result)} evaluates to a "
                                f"{answer.shape[0]}×{answer.shape[1]} array, but {label_text(self.label)} "
                                f"is {expected[0]}×{expected[1]}")
        given = shapes.get(self.wrt)
        if self.layout == "numerator" or self.kind != GRADIENT or given is None or len(given) >= 2:
            return answer
        return answer.reshape(given)

    @deep_recursion
    def check(self, seed: int = 0, progress=None) -> float:
        """Max relative error of ``evaluate`` against central finite differences
        of the original function, on random data with distinct sizes
        (``numeric.check``); ``progress(done, total)`` hears of each gradient settled."""
        from .numeric.check import check_problem
        expr, names = self._for_numbers()
        return check_problem(self.problem, self.kind, self.layout, {self.wrt: expr}, names, seed, progress)


def _evaluated(problem: Problem, answers: dict, names, values: dict) -> tuple[dict, dict]:
    """(key → the value of each answer, the shapes the values were given in, the point)."""
    import numpy as np                          # NumPy is imported when numbers are asked for
    from .numeric.evaluate import evaluate_named
    from .numeric.values import bound_values
    point, shapes = bound_values(problem.typed.named(values) if problem.typed else values, problem.symbols, problem.env)
    try:
        with np.errstate(all="ignore"):
            return evaluate_named(names, answers, point, problem.env), shapes, point
    except np.linalg.LinAlgError:
        raise MatcalcError("the answer inverts a singular matrix at these values") from None


class Gradients(_Rendered, Mapping):
    """The gradients of every parameter asked for, from one backward sweep
    (SPEC §4, §7): a Mapping name → Derivation, and the whole pass renders,
    evaluates and checks itself."""

    def __init__(self, problem: Problem, sweep, gradients: dict):
        self.problem = problem
        self.sweep = sweep
        self._gradients = gradients

    def __getitem__(self, name: str) -> Derivation:
        return self._gradients[self.problem.typed.name_of(name) if isinstance(name, str) else name]

    def __iter__(self):
        return iter(self._gradients)

    def __len__(self) -> int:
        return len(self._gradients)

    @property
    def steps(self) -> tuple:
        return self.sweep.steps

    @deep_recursion
    def render(self, format: str, steps: bool = True):
        return formats.render_pass(format, self, steps)

    def __repr__(self) -> str:
        return f"<Gradients of {self.problem.function_name} wrt {', '.join(self)}>"

    @deep_recursion
    def evaluate(self, values: dict) -> dict:
        """name → the gradient's value; every named value and δ is computed once."""
        answers = {name: d.named_result for name, d in self.items()}
        found, shapes, point = _evaluated(self.problem, answers, self.sweep.names, values)
        return {name: derivation._as_given(found[name], shapes, point) for name, derivation in self.items()}

    @deep_recursion
    def check(self, seed: int = 0, progress=None) -> float:
        """The largest ``check()`` of the gradients, every named value computed once per point."""
        from .numeric.check import check_problem
        answers, layout = {name: d.named_result for name, d in self.items()}, next(iter(self.values())).layout
        return check_problem(self.problem, GRADIENT, layout, answers, self.sweep.names, seed, progress)
