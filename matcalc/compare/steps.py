"""``--compare-steps FILE``: a whole hand derivation, one ``lhs = rhs`` line
per step, checked line by line (SPEC §10).

    l = x^T A x
    dl = dx^T A x + x^T A dx
       = x^T A^T dx + x^T A dx
    ∂l/∂x = (A + A^T) x

A line of the function (``l = ...``) must equal the line of ``l`` before it
(the first, the function); a differential line (``dl = ...``, with ``dx``
the differential of x) must equal the one before it as a function of the
differentials, on random data and random ``dx`` (the first, the true
differential); a line of a program's name (``h1 = ...``, ``dh1 = ...``) its
definition or that definition's differential; the answer line
(``∂l/∂x = ...`` or ``dl/dx = ...``) is compared with the answer.  The first
line that does not follow is named with why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MatcalcError, ParseError
from ..language import ast as A
from ..language.limits import MAX_INPUT_CHARS
from ..numeric.evaluate import Point
from ..printers.labels import label_text
from ..printers.text import to_text
from ..rewriting.comparison import comparison_form
from .kinds import assumed, assumptions
from .numbers import TOLERANCE, close, relative_difference, rounding_floor, samples, value_of
from .latex_lines import GRADIENT_LABEL, LATEX_FRAME, check_label, latex_line, plain_lhs
from .reading import candidate_input, definitions_of, pointed_at, read_candidate
from .verdict import Comparison, compare_answer

# Differentials of composite expressions are evaluated by central differences
# (step 1e-6): agreement to 1e-9 is typical, a wrong step differs by far more.
DIFFERENTIAL_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Line:
    number: int                # in the file, from 1
    text: str                  # as written
    follows: bool
    why: str = ""


@dataclass(frozen=True)
class StepsCheck:
    lines: tuple               # a Line for each line checked, up to the first that does not follow
    answer: Comparison | None  # the verdict on the answer line, when there is one

    @property
    def equal(self) -> bool:
        return all(line.follows for line in self.lines)

    @property
    def first_wrong(self) -> Line | None:
        return next((line for line in self.lines if not line.follows), None)

    def text(self) -> str:
        wrong = self.first_wrong
        if wrong is None:
            tail = f" {self.answer.text()}" if self.answer else " (there is no answer line ∂l/∂X = ...)"
            return f"Every line follows from the one before ({len(self.lines)} lines).{tail}"
        return f"Line {wrong.number} does not follow from the one before: {wrong.text}\n{wrong.why}"

    def json(self) -> dict:
        wrong = self.first_wrong
        return {"equal": self.equal, "lines": [vars(line) for line in self.lines],
                "first_wrong": wrong.number if wrong else None,
                "answer": self.answer.json() if self.answer else None, "text": self.text()}


def read_steps_file(derivation, path: str, input: str | None = None) -> StepsCheck:
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read(MAX_INPUT_CHARS + 1)
    except OSError as error:
        raise MatcalcError(f"cannot read the steps file {path}: {error.strerror}") from None
    if len(text) > MAX_INPUT_CHARS:
        raise MatcalcError(f"the steps file has more than {MAX_INPUT_CHARS:,} characters")
    return check_steps(derivation, text, input)


def check_steps(derivation, text: str, input: str | None = None) -> StepsCheck:
    """Each line in matcalc's language or LaTeX (a backslash, or ``input``), as the answer."""
    problem = derivation.problem
    definitions = definitions_of(problem.statements)
    answer, names = derivation.printed_result, derivation.names
    points = _with_tangents(samples(problem.expr, problem.env, answer, names, problem.expr), derivation.wrt)
    function = problem.function_name
    before = {function: problem.expr, "d" + function: A.Differential(problem.expr)}
    for name, definition in definitions.items():
        before.setdefault(name, definition)
        before.setdefault("d" + name, A.Differential(definition))
    read = lambda rhs: read_candidate(rhs, problem.env, problem.symbols, definitions, differentials=True)
    checked, comparison, lhs = [], None, None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#") or LATEX_FRAME.fullmatch(line):
            continue
        left, equals, rhs = latex_line(line).partition("=")
        if not equals or not rhs.strip():
            raise ParseError(f"line {number} is not 'lhs = rhs': {line.strip()}")
        lhs = plain_lhs(left, problem.typed) or lhs
        if lhs is None:
            raise ParseError(f"line {number} has no left side: {line.strip()}")
        gradient = GRADIENT_LABEL.match(lhs.replace(" ", ""))
        if gradient and lhs not in before:
            check_label(gradient, derivation, f"line {number}: {lhs}")
            comparison = compare_answer(derivation, rhs, input)
            why = "" if comparison.equal else comparison.text()
            checked.append(Line(number, line.strip(), comparison.equal, why))
        elif lhs in before:
            expr = _read_line(read, rhs, number, input)
            differential = lhs.startswith("d") and lhs not in problem.env.symbols
            why = _difference(before[lhs], expr, points, differential, derivation)
            if why and lhs == "d" + function:
                why += _matcalc_step_from(before[lhs], derivation)
            checked.append(Line(number, line.strip(), not why, why))
            before[lhs] = expr
        else:
            known = ", ".join(list(before) + [label_text(derivation.label)])
            raise ParseError(f"line {number}: '{lhs}' is none of {known}")
        if not checked[-1].follows:
            break
    if not checked:
        raise ParseError("the steps file has no 'lhs = rhs' line")
    return StepsCheck(tuple(checked), comparison)


def _read_line(read, rhs, number, input):
    try:
        plain, latex = candidate_input(rhs, input, differentials=True)     # LaTeX: \mathrm{d}\mathbf{x} is dx
        with pointed_at(latex):
            return read(plain)
    except MatcalcError as error:
        raise type(error)(f"line {number}: {error.message}", source=error.source, span=error.span) from None


def _with_tangents(found, wrt) -> list[Point]:
    points = []
    for index, sample in enumerate(found):
        rng = np.random.default_rng(100 + index)
        shape = sample.point.values[wrt].shape
        points.append(Point(sample.point.values, sample.point.sizes, {wrt: rng.standard_normal(shape)}))
    return points


def _difference(expected, got, points, differential: bool, derivation) -> str:
    """Why ``got`` is not ``expected`` at the points ('' when it is); a
    ``differential`` line is compared as a function of the differentials."""
    tolerance = DIFFERENTIAL_TOLERANCE if differential else TOLERANCE
    pairs = [(value_of(expected, point), value_of(got, point), point) for point in points]
    pairs = [(a, b, point) for a, b, point in pairs if a is not None]
    # a differential is a central difference quotient: rounding grows by 1/step
    amplified = 1 / points[0].step if differential else 1
    wrong = [(a, b, point) for a, b, point in pairs if relative_difference(a, b) > tolerance
             and not close(a, b, amplified * rounding_floor((expected,), got, point))]
    if not wrong:
        return ""
    a, b, _ = wrong[0]
    if b is None:
        return "its right side cannot be evaluated where the line before can"
    if a.shape != b.shape:
        return f"its right side is {b.shape[0]}×{b.shape[1]} where the line before is {a.shape[0]}×{a.shape[1]}"
    ratios = [float(np.sum(b * a) / np.sum(a * a)) if b is not None and b.shape == a.shape and np.sum(a * a)
              else np.nan for a, b, _ in pairs]
    factor = f" (it is {ratios[0]:.4g} times it)" if np.allclose(ratios, ratios[0], rtol=1e-6) else ""
    wrt = f"d{derivation.wrt}" if differential else "the data"
    return (f"the two sides differ as functions of {wrt} on random data: relative difference "
            f"{relative_difference(a, b):.2g}{factor}{_assumption_needed(expected, got, points, tolerance, derivation)}")


def _assumption_needed(expected, got, points, tolerance, derivation) -> str:
    """'; it holds only if A is symmetric, ...' when that assumption makes the step right."""
    for name, assumption in assumptions(derivation.problem.expr, derivation.problem.env):
        moved = [assumed(point, name, assumption) for point in points]
        if all(relative_difference(value_of(expected, p), value_of(got, p)) <= tolerance for p in moved):
            what = "symmetric" if assumption == "symmetric" else "a probability vector"
            return f"; it holds only if {name} is {what}, which the where-clause does not say"
    return ""


def _matcalc_step_from(previous: A.Expr, derivation) -> str:
    """Where the line before is one of matcalc's own differential steps (or
    the differential not yet taken), matcalc's next step and its rules."""
    function, env = derivation.problem.function_name, derivation.problem.env
    written: dict = {}
    for name, definition in derivation.names:
        written[A.Symbol(name)] = A.substitute(definition, written)
    steps = [step for step in derivation.steps if step.label.kind == "differential" and step.label.function == function]
    if not steps:
        return ""
    following = steps[0] if isinstance(previous, A.Differential) and previous.arg == derivation.problem.expr else None
    try:
        shown = comparison_form(previous, env)
        for step, after in zip(steps, steps[1:]):
            if following is None and comparison_form(A.substitute(step.after, written), env) == shown:
                following = after
    except MatcalcError:                 # a form matcalc cannot compare: no hint
        return ""
    if following is None:
        return ""
    return (f"; matcalc's step here is d{function} = {to_text(following.after)} "
            f"({', '.join(following.rules)})")
