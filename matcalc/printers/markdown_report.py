"""A derivation in Markdown, for notebooks and issues."""

from __future__ import annotations

from .labels import label_text
from .latex_report import latex_report
from .text import symbol_text, to_text


def markdown_report(derivation, steps: bool = True) -> str:
    parts = [f"**{label_text(derivation.label)}** = `{to_text(derivation.printed_result)}`", "",
             "$$" + latex_report(derivation, False) + "$$"]
    if steps:
        parts += [""] + step_table(derivation.steps)
        if derivation.names:
            parts += ["", "where " + ", ".join(f"`{symbol_text(n)} = {to_text(d)}`"
                                                for n, d in derivation.names)]
    return "\n".join(parts)


def step_table(steps) -> list[str]:
    """The steps as a Markdown table: number, label, expression, rules."""
    rows = ["| # | | expression | rule |", "|---|---|---|---|"]
    for number, step in enumerate(steps, 1):
        rows.append(f"| {number} | {label_text(step.label)} | `{to_text(step.after)}` | {', '.join(step.rules)} |")
    return rows
