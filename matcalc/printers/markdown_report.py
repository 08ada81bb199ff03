"""A derivation in Markdown, for notebooks and issues: the answer and every
step as math (``$…$``, which GitHub and Jupyter typeset), in a table."""

from __future__ import annotations

from ..calculus.steps import labels_shown
from .labels import label_latex
from .latex import symbol_latex, to_latex
from .latex_report import RELATIONS_LATEX, latex_report
from .symbols import spellings_of


def markdown_report(derivation, steps: bool = True) -> str:
    spellings = spellings_of(derivation.problem)
    label = label_latex(derivation.label, spellings)
    if not derivation.names:
        parts = ["$$" + latex_report(derivation, False) + "$$"]
    else:                           # the answer in names, the names, then written out
        parts = [f"$${label} = {to_latex(derivation.named_result, spellings)}$$", "",
                 "where " + ", ".join(inline_math(f"{symbol_latex(n, spellings)} = {to_latex(d, spellings)}")
                                      for n, d in derivation.names)
                 + "; written out,", "", "$$" + latex_report(derivation, False) + "$$"]
    if steps:
        parts += [""] + step_table(derivation.steps, spellings)
    return "\n".join(parts)


def inline_math(latex: str) -> str:
    # A | would end a table cell; \vert is the same bar in math.
    return "$" + latex.replace("|", r"\vert ") + "$"


def step_table(steps, spellings: dict | None = None) -> list[str]:
    """The steps as a Markdown table: number, label (when it changes), expression, rules."""
    rows = ["| # | | | rule |", "|---:|---:|:---|:---|"]
    for number, (step, show) in enumerate(zip(steps, labels_shown(steps)), 1):
        shown = inline_math(label_latex(step.label, spellings)) if show else ""
        relation = RELATIONS_LATEX[step.relation]
        rows.append(f"| {number} | {shown} | {inline_math(relation + ' ' + to_latex(step.after, spellings))} "
                    f"| {', '.join(step.rules)} |")
    return rows
