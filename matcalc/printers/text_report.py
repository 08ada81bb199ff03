"""A whole derivation as plain text: header, one numbered line per step, the answer."""

from __future__ import annotations

from ..calculus.steps import labels_shown
from .labels import function_lines, label_text, shapes_line
from .text import symbol_text, to_text

MAX_EXPRESSION_COLUMN = 90


def text_report(derivation, steps: bool = True) -> str:
    problem = derivation.problem
    lines = function_lines(problem) + ["shapes  " + shapes_line(derivation)]
    written = {name for name, _ in problem.statements}
    names = [(n, d) for n, d in derivation.names if n not in written]
    if names:
        lines.append("names   " + "   ".join(f"{symbol_text(n)} = {to_text(d)}" for n, d in names))
    lines.append("")
    if steps:
        lines += step_lines(derivation.steps) + [""]
    answer = label_text(derivation.label)
    lines.append(f"{answer} = {to_text(derivation.named_result)}")
    if derivation.names and derivation.printed_result != derivation.named_result:
        lines.append(" " * len(answer) + f" = {to_text(derivation.printed_result)}")
    return "\n".join(lines)


def step_lines(steps) -> list[str]:
    """One numbered line per step: label (when it changes), expression, rules."""
    rows = []
    for step, show in zip(steps, labels_shown(steps)):
        rule = ", ".join(step.rules) + (f"  ({step.note})" if step.note else "")
        rows.append((label_text(step.label) if show else "", step.relation, to_text(step.after), rule))
    width_lhs = max(len(r[0]) for r in rows)
    width_expr = min(max(len(r[2]) for r in rows), MAX_EXPRESSION_COLUMN)
    return [f"{number:>3}  {lhs:<{width_lhs}} {relation} {expr:<{width_expr}}  {rule}"
            for number, (lhs, relation, expr, rule) in enumerate(rows, 1)]
