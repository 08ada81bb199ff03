"""A derivation in LaTeX: the answer, or every step as one ``align*`` block."""

from __future__ import annotations

from .labels import label_latex
from .latex import symbol_latex, to_latex


def latex_report(derivation, steps: bool = False) -> str:
    answer = f"{label_latex(derivation.label)} = {to_latex(derivation.printed_result)}"
    if not steps:
        return answer
    lines = [r"\begin{align*}"] + step_lines_latex(derivation.steps)
    if derivation.names:
        names = ",\\ ".join(f"{symbol_latex(n)} = {to_latex(d)}" for n, d in derivation.names)
        lines.append(rf"&\text{{where }} {names} \\")
    lines.append(answer.replace(" = ", " &= ", 1))
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def step_lines_latex(steps) -> list[str]:
    """One ``align*`` row per step: label (when it changes), expression, rules."""
    lines, previous = [], None
    for step in steps:
        label = label_latex(step.label)
        shown = label if label != previous else ""
        previous = label
        lines.append(rf"{shown} &= {to_latex(step.after)} && \text{{{', '.join(step.rules)}}} \\")
    return lines
