"""A derivation in LaTeX: the answer, or every step as one ``align*`` block."""

from __future__ import annotations

from ..calculus.steps import labels_shown
from .labels import label_latex
from .latex import latex_lines, symbol_latex, to_latex
from .symbols import spellings_of


def latex_report(derivation, steps: bool = False) -> str:
    spellings = spellings_of(derivation.problem)          # the user's notation (SPEC §11)
    label = label_latex(derivation.label, spellings)
    if not steps:
        return f"{label} = {to_latex(derivation.printed_result, spellings)}"
    lines = [r"\begin{align*}"] + step_lines_latex(derivation.steps, spellings)
    if derivation.names:
        lines.append(rf"&\text{{where }} {names_latex(derivation.names, spellings)} \\")
    last = derivation.steps[-1] if derivation.steps else None
    last_shows_answer = last is not None and labels_shown(derivation.steps)[-1] \
        and (label_latex(last.label, spellings), last.after) == (label, derivation.printed_result)
    if derivation.names or not last_shows_answer:
        lines += aligned_rows(label, derivation.printed_result, spellings=spellings)   # unless the last step is it
    lines[-1] = lines[-1].removesuffix(r" \\")
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def names_latex(names, spellings: dict | None = None) -> str:
    r"""a_{1} = W_{1} x,\ h_{1} = \sigma(a_{1}): the named values on one line."""
    return ",\\ ".join(f"{symbol_latex(n, spellings)} = {to_latex(d, spellings)}" for n, d in names)


RELATIONS_LATEX = {"=": "=", "∋": r"\ni"}


def aligned_rows(label: str, expr, note: str = "", relation: str = "=", spellings: dict | None = None) -> list[str]:
    """``label &= expr && note``, a long sum continued on indented rows."""
    first, *more = latex_lines(expr, spellings=spellings)
    rows = [rf"{label} &{RELATIONS_LATEX[relation]} {first}" + (rf" && {note}" if note else "") + r" \\"]
    return rows + [rf"&\quad {line} \\" for line in more]


def step_lines_latex(steps, spellings: dict | None = None) -> list[str]:
    """Rows of an ``align*`` block per step: label (when it changes), expression, rules."""
    lines = []
    for step, show in zip(steps, labels_shown(steps)):
        label = label_latex(step.label, spellings) if show else ""
        lines += aligned_rows(label, step.after, rf"\text{{{', '.join(step.rules)}}}", step.relation, spellings)
    return lines
