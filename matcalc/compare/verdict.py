"""``Derivation.compare``: a hand-derived answer against matcalc's (SPEC §10).

The verdict is a value: whether the candidate is equal, the kind of mistake
and its detail, the evidence (points, sizes, largest relative difference,
whether the canonical forms agree too) and, when it is not equal, a small
witness.  ``text()`` is the paragraph the CLI prints; ``json()`` what the
page and other programs read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import MatcalcError, ShapeError
from ..language import ast as A
from ..printers.labels import label_latex, label_text
from ..printers.latex import to_latex
from ..printers.symbols import spellings_of
from ..printers.text import symbol_text, to_text
from ..rewriting.canon import canon
from ..rewriting.comparison import comparison_form
from .kinds import Compared, Finding, decide
from .latex_lines import without_label
from .numbers import close, difference_beyond_rounding, samples, shown, sizes_used, witness
from .reading import candidate_input, definitions_of, pointed_at, read_candidate, reorderings_that_fit
from .variants import terms


@dataclass(frozen=True)
class Witness:
    values: tuple              # ((symbol, its value as text), ...)
    answer: str                # the answer's value there
    candidate: str             # the candidate's, or "undefined"

    def text(self) -> str:
        at = ", ".join(f"{name} = {value}" for name, value in self.values)
        return f"at {at}: the answer is {self.answer}, yours is {self.candidate}"

    def json(self) -> dict:
        return {"values": dict(self.values), "answer": self.answer, "candidate": self.candidate}


@dataclass(frozen=True)
class Comparison:
    """The verdict on one candidate answer (immutable)."""
    kind: str                  # SPEC §10: equal, transpose, sign, factor, missing-term, order, ...
    detail: str                # the factor, the term, the reordered product or the assumption
    candidate: str             # as typed
    answer: str                # matcalc's answer, text
    label: str                 # ∂l/∂x, ...
    reason: str
    points: int
    sizes: tuple
    max_difference: float      # over the points, candidate against answer
    symbolic: bool             # the canonical forms agree too
    witness: Witness | None
    latex_label: str = field(default="", repr=False)
    latex_answer: str = field(default="", repr=False)
    latex_candidate: str = field(default="", repr=False)
    reading: tuple = field(default=(), repr=False, compare=False)   # (candidate expression, env) for evaluate
    read_as: str = ""          # a LaTeX candidate in matcalc's language (SPEC §11)

    def evaluate(self, values: dict):
        """The candidate's value at ``values`` (as ``Derivation.evaluate`` takes them), a 2-D array."""
        import numpy as np
        from ..numeric.evaluate import bind_values, evaluate
        if not self.reading:
            raise MatcalcError(f"{self.candidate} cannot be evaluated: its shapes do not fit")
        expr, env = self.reading
        from ..language.names import ascii_name
        given = {ascii_name(str(key)) for key in values} & set(env.symbols) if isinstance(values, dict) else set()
        point, _ = bind_values(values, sorted(A.symbol_names(expr) | given), env)   # every value fixes sizes
        try:
            with np.errstate(all="ignore"):
                return evaluate(expr, point)
        except KeyError as size:     # 1^T 1 alone: no value given fixes the size
            raise MatcalcError(f"the values do not fix the size {size.args[0]} that {self.candidate} needs") from None

    @property
    def equal(self) -> bool:
        return self.kind == "equal"

    def evidence(self) -> str:
        sizes = ", ".join(str(s) for s in self.sizes)
        return (f"equal at {self.points} random points, sizes {sizes}, "
                f"max relative difference {self.max_difference:.0e}")

    def as_read(self) -> str:
        """The candidate as typed, and for LaTeX as matcalc read it."""
        shown = self.read_as and self.read_as != self.candidate
        return f"{self.candidate} (read as {self.read_as})" if shown else self.candidate

    def text(self) -> str:
        if self.equal:
            how = "; also symbolically" if self.symbolic else " (the canonical forms differ: numerically only)"
            return f"Equal: {self.as_read()} is {self.label} = {self.answer}: {self.evidence()}{how}."
        kind = "" if self.kind == "different" else f" ({self.kind})"
        lines = [f"Different{kind}: {self.as_read()} is not {self.label} = {self.answer}; "
                 f"{self.reason}."]
        if self.witness is not None:
            lines.append(f"Witness: {self.witness.text()}.")
        return "\n".join(lines)

    def json(self) -> dict:
        return {"equal": self.equal, "kind": self.kind, "detail": self.detail,
                "candidate": self.candidate, "read_as": self.read_as or None, "answer": self.answer, "label": self.label,
                "reason": self.reason, "points": self.points, "sizes": list(self.sizes),
                "max_relative_difference": self.max_difference if self.equal else None,
                "symbolic": self.symbolic,
                "witness": self.witness.json() if self.witness else None, "text": self.text()}

    def __str__(self) -> str:
        return self.text()

    def _repr_markdown_(self) -> str:
        verdict = "**Equal**" if self.equal else f"**Different** ({self.kind})"
        body = self.text().split(": ", 1)[1].replace("\n", "  \n")
        return (f"{verdict}: ${self.latex_candidate}$ against "
                f"${self.latex_label} = {self.latex_answer}$. {body}")

    def _repr_latex_(self) -> str:
        sign = "=" if self.equal else r"\neq"
        verdict = r"\text{equal}" if self.equal else rf"\text{{{self.kind}}}"
        return rf"$${self.latex_candidate} {sign} {self.latex_answer} \quad ({verdict})$$"


def _written_out(derivation) -> A.Expr | None:
    try:
        return derivation.result
    except MatcalcError:                 # too large to write out: no terms, no symbolic check
        return None


def _symbolic(written, candidate, env) -> bool:
    if written is None:
        return False
    try:
        if comparison_form(written, env) == comparison_form(candidate, env):
            return True
        # (A + A^T) x and A x + A^T x: multiplied out, the like terms collect alike
        written_terms, candidate_terms = terms(written), terms(candidate)
        return None not in (written_terms, candidate_terms) and \
            comparison_form(A.joined(A.Add, written_terms), env) == comparison_form(A.joined(A.Add, candidate_terms), env)
    except (MatcalcError, RecursionError):
        return False


def compare_answer(derivation, text: str, input: str | None = None) -> Comparison:
    """The verdict on ``text`` (matcalc's language or LaTeX, SPEC §10) as
    ``derivation``'s answer (a gradient, a Jacobian or a Hessian; in the
    derivation's layout)."""
    text = without_label(text, derivation)               # ∂l/∂x = 2 A x, as students write it
    plain, latex = candidate_input(text, input)
    with pointed_at(latex):
        found = _compared(derivation, plain)
    spellings = spellings_of(derivation.problem)         # the verdict in the user's notation (SPEC §11)
    if latex is None and not spellings:
        return found
    shown = {"latex_label": label_latex(derivation.label, spellings),
             "latex_answer": to_latex(_printed(derivation, _written_out(derivation)), spellings)}
    if latex is not None:
        shown.update(candidate=text.strip(), read_as=plain.strip(), latex_candidate=text.strip())
    elif found.reading:
        shown["latex_candidate"] = to_latex(found.reading[0], spellings)
    return replace(found, **shown)


def _compared(derivation, text: str) -> Comparison:
    problem = derivation.problem
    env = problem.env
    try:
        candidate = read_candidate(text, env, problem.symbols, definitions_of(problem.statements),
                                   shape=_answer_shape(derivation))
    except ShapeError as error:
        return _misfit(derivation, text, error)
    answer, names = derivation.printed_result, derivation.names     # δ's and named values computed once
    written = _written_out(derivation)
    measured = () if written is None else (written,)
    if canon(candidate, env) == A.ZERO:
        candidate = A.Zero(*_answer_shape(derivation))         # 0 is a zero of any shape
    found = samples(problem.expr, env, answer, names, candidate, measured)
    shown_tidy = lambda expr: to_text(_tidy(expr, env))
    other_layout = "numerator" if derivation.kind == "gradient" and derivation.layout == "mixed" else "denominator"
    finding: Finding = decide(Compared(problem.expr, env, answer, names, written, candidate, shown_tidy, other_layout),
                              found)
    equal = finding.kind == "equal"
    found_witness = None
    if not equal:
        found_witness = _witness(problem.expr, env, answer, names, candidate, finding.transposed, measured)
    difference = max(difference_beyond_rounding(s) for s in found)
    printed = _printed(derivation, written)
    return Comparison(finding.kind, finding.detail, text.strip(), to_text(printed), label_text(derivation.label),
                      finding.reason, len(found), tuple(sizes_used(found)), difference,
                      equal and _symbolic(written, candidate, env), found_witness,
                      label_latex(derivation.label), to_latex(printed), to_latex(candidate), (candidate, env))


def _printed(derivation, written) -> A.Expr:
    """The answer as the verdict shows it: written out unless that is long (a backward pass's δ's)."""
    return written if written is not None and A.size(written) <= 200 else derivation.printed_result


def _answer_shape(derivation) -> tuple:
    """The answer's shape in the problem's dimensions (SPEC §2)."""
    env, wrt = derivation.problem.env, derivation.problem.env.symbols[derivation.wrt]
    if derivation.kind == "gradient":
        shape = (wrt.rows, wrt.cols)
        return shape[::-1] if derivation.layout == "numerator" else shape
    unknowns = wrt.rows * wrt.cols
    if derivation.kind == "hessian":
        return unknowns, unknowns
    rows, cols = env.shape(derivation.problem.expr)
    return rows * cols, unknowns


def _tidy(expr: A.Expr, env) -> A.Expr:
    """A term or reordering as a reader writes it (2 A^T (-1) b is -2 A^T b)."""
    try:
        return canon(expr, env)
    except MatcalcError:
        return expr


def _misfit(derivation, text: str, error: ShapeError) -> Comparison:
    """A candidate whose shapes do not fit is bad input, unless reordering the
    factors of one product makes it fit and equal: then the mistake is the order."""
    problem = derivation.problem
    answer, names = derivation.printed_result, derivation.names
    tree, fitting = reorderings_that_fit(text, problem.env, problem.symbols, definitions_of(problem.statements))
    for variant in fitting:
        found = samples(problem.expr, problem.env, answer, names, variant)
        if all(close(s.candidate, s.answer, s.floor) for s in found):
            printed = _printed(derivation, _written_out(derivation))
            right = to_text(_tidy(variant, problem.env))
            mismatch = error.message.split(": ", 1)[-1]          # "X^T is m×p but ... is n×m (...)"
            reason = f"its shapes do not fit ({mismatch}); with the factors in another order, {right} is the answer"
            return Comparison("order", right, text.strip(), to_text(printed), label_text(derivation.label),
                              reason, len(found), tuple(sizes_used(found)), float("inf"), False, None,
                              label_latex(derivation.label), to_latex(printed), to_latex(tree))
    raise error


def _witness(function, env, answer, names, candidate, transposed, measured) -> Witness | None:
    found = witness(function, env, answer, names, candidate, transposed, measured)
    if found is None:
        return None
    point, expected, got = found
    used = [name for name in env.symbols if name in point.values]
    return Witness(tuple((symbol_text(name), shown(point.values[name])) for name in used), shown(expected),
                   "undefined" if got is None else shown(got))
