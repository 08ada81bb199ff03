"""A derivation is a value: immutable steps, each with a structured label.

A label says what its line is about — the function (``l = ...``), a
differential (``dl``, ``da2``), or the answer: a gradient, a Jacobian or a
Hessian, of which function, with respect to what, in which layout.  Printers
spell labels out in text and LaTeX; nothing here is a string that anyone
parses back.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..language import ast as A
from ..language.records import quick_init
from ..shapes.env import TypeEnv

# The relation of a line that keeps only some of the terms of its label: the
# terms of dl in one differential, or one use's share of a gradient.
PART_OF = "∋"

# The kinds of label.  "value" is the function or a named value itself.
VALUE, DIFFERENTIAL, GRADIENT, JACOBIAN, HESSIAN = "value", "differential", "gradient", "jacobian", "hessian"


@quick_init
@dataclass(frozen=True)
class Label:
    kind: str                      # value | differential | gradient | jacobian | hessian
    function: str                  # l, f, F, g, or a named value (a2)
    wrt: str = ""
    layout: str = "mixed"          # mixed | numerator (a gradient's transpose)
    function_is_matrix: bool = False   # a Jacobian of F is written with vec(F)
    wrt_is_matrix: bool = False        # with respect to vec(X)
    wrt_is_scalar: bool = False        # ∂f/∂x, not ∂f/∂x^T
    index: str = ""                    # a component (the index method): ∂l/∂W_pq, ∂f_i/∂x_q


def value_label(name: str) -> Label:
    return Label(VALUE, name)


def differential_label(name: str) -> Label:
    return Label(DIFFERENTIAL, name)


def answer_label(kind: str, function: str, wrt: str, env: TypeEnv, function_expr: A.Expr | None = None,
                 layout: str = "mixed") -> Label:
    """The label of an answer, its vec forms read off the shapes: vec(F) for
    an F with several columns, vec(X) likewise, and no ^T for a scalar x."""
    x_rows, x_cols = env.shape(A.Symbol(wrt))
    function_is_matrix = function_expr is not None and not env.shape(function_expr)[1].is_one
    return Label(kind, function, wrt, layout, function_is_matrix, not x_cols.is_one, x_rows.is_one)


@quick_init
@dataclass(frozen=True)
class Step:
    rule: str                      # the main rule (a catalog name or an ENGINE_STEPS name)
    label: Label                   # what the line is about
    after: A.Expr
    before: A.Expr | None = None
    rules: tuple[str, ...] = ()
    note: str = ""                 # plain text for the reader ("with s = softmax(a2)")
    relation: str = "="            # "∋": the line keeps some of the terms of its label (dl ∋ tr(δ^T dW h))
    # a line shown by components (the index method): the same line in matrix
    # form, what its catalog rules rewrote (a test checks them on it)
    matrix_form: A.Expr | None = field(default=None, compare=False, repr=False)


@quick_init
@dataclass(frozen=True)
class Outcome:
    """What a derivation found, and how: the answer and every step."""
    answer: A.Expr                 # in terms of the named values
    expanded: A.Expr | None        # names written out (None: written out when asked, by the api)
    steps: tuple[Step, ...]
    names: tuple                   # ((name, definition), ...)
    env: TypeEnv
    label: Label

    def then(self, step: Step, answer: A.Expr, expanded: A.Expr) -> "Outcome":
        """This outcome followed by one more step (symmetric gradient, layout)."""
        return replace(self, answer=answer, expanded=expanded, steps=self.steps + (step,),
                       label=step.label)


# Rules whose line states its label afresh, never as "= the line above":
# the sum of a gradient's shares follows the last share.
RESTATING_RULES = frozenset({"sum-over-uses"})


def labels_shown(steps) -> list[bool]:
    """Which lines print their label: a line continues the one above ("= ...")
    only when it is about the same thing, is an equality, and does not restate."""
    shown, previous = [], None
    for step in steps:
        shown.append(step.label != previous or step.relation != "=" or step.rule in RESTATING_RULES)
        previous = step.label
    return shown


class StepLog:
    """Collects the steps of a derivation as it is made; each step is final
    when added (``Step`` is frozen), and ``steps`` hands out the tuple."""

    def __init__(self, steps=()):
        self._steps = list(steps)

    def add(self, rule: str, label: Label, after: A.Expr, rules=None, note: str = "", relation: str = "=",
            matrix_form: A.Expr | None = None) -> None:
        before = self._steps[-1].after if self._steps else None
        cited = tuple(dict.fromkeys(rules or [rule]))        # each rule cited once
        self._steps.append(Step(rule, label, after, before, cited, note, relation, matrix_form))

    def restate_last(self, step: "Step") -> None:
        """``step`` shows as the last line does (by components, a rewrite in
        matrix form may read the same): the last line cites its rules too and
        stands for its matrix form."""
        last = self._steps[-1]
        self._steps[-1] = replace(last, rules=tuple(dict.fromkeys(last.rules + step.rules)),
                                  matrix_form=step.matrix_form)

    def start(self, rule: str, label: Label, after: A.Expr, note: str = "", rules=None) -> None:
        """The first line of a derivation (or of its second stage): no 'before'."""
        self._steps.append(Step(rule, label, after, None, tuple(dict.fromkeys(rules or [rule])), note))

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(self._steps)

    @property
    def last(self) -> Step | None:
        return self._steps[-1] if self._steps else None

    def __len__(self) -> int:
        return len(self._steps)
