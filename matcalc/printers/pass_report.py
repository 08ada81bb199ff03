"""A backward pass (SPEC §7) in every format: the program, each statement's
derivation, then the backprop equations, a δ per line with the gradients it
gives beside it."""

from __future__ import annotations

from .labels import function_lines, label_json, label_latex, label_text, shapes_line
from .latex import symbol_latex, to_latex
from .json_report import named_json, shapes_json, step_json
from .latex_report import aligned_rows, step_lines_latex
from .markdown_report import step_table
from .text import symbol_text, to_text
from .text_report import step_lines
from .symbols import input_json, spellings_of, symbols_json

GRADIENTS_APART = "        "
ROW_WIDTH = 100          # gradients read off together share a line up to this width


def _equations(gradients) -> list:
    """The backprop equations in order, each gradient as asked for (its
    layout, the symmetric part for a symmetric parameter), and after it its
    closed form where the sweep found one."""
    found = []
    for label, expr in gradients.sweep.equations:
        if label.kind != "gradient":
            found.append((label, expr))
            continue
        derivation = gradients[label.wrt]
        found.append((derivation.label, derivation.named_result))
        closed = gradients.sweep.shown_closed_forms.get(label.wrt)
        if closed is not None and derivation.label.layout != "numerator":
            found.append((derivation.label, closed))
    return found


def _equation_rows(gradients) -> list[list]:
    """The equations grouped: a δ, then the gradients read off right after it
    on one row, as long as the row is short enough to read."""
    rows: list[list] = []
    for label, expr in _equations(gradients):
        previous = rows[-1][-1][0] if rows else None
        # (a closed form, the same label again, reads as a line of its own)
        if label.kind == "gradient" and previous is not None and previous.kind == "gradient" \
                and previous != label and len(_row_text(rows[-1] + [(label, expr)])) <= ROW_WIDTH:
            rows[-1].append((label, expr))
        else:
            rows.append([(label, expr)])
    return rows


def _row_text(row) -> str:
    return GRADIENTS_APART.join(f"{label_text(label)} = {to_text(expr)}" for label, expr in row)


def _header(gradients) -> list[str]:
    problem, sweep = gradients.problem, gradients.sweep
    lines = function_lines(problem) + ["shapes  " + shapes_line(gradients)]
    invented = sweep.invented if problem.statements else sweep.statements[:-1] + sweep.invented
    if invented:
        lines.append("names   " + "   ".join(f"{symbol_text(n)} = {to_text(d)}" for n, d in invented))
    return lines


def pass_text(gradients, steps: bool = True) -> str:
    sweep = gradients.sweep
    lines = _header(gradients) + [""]
    if steps:
        lines += step_lines(sweep.steps) + [""]
    lines += [_row_text(row) for row in _equation_rows(gradients)]
    return "\n".join(lines)


def pass_latex(gradients, steps: bool = False) -> str:
    sweep, spellings = gradients.sweep, spellings_of(gradients.problem)
    lines = [r"\begin{align*}"]
    if steps:
        lines += step_lines_latex(sweep.steps, spellings) + [r"&\text{so} \\"]
    for row in _equation_rows(gradients):
        if len(row) == 1:
            lines += aligned_rows(label_latex(row[0][0], spellings), row[0][1], spellings=spellings)
            continue
        lines.append(r" \qquad ".join(f"{label_latex(label, spellings)} &= {to_latex(expr, spellings)}" if i == 0
                                      else f"{label_latex(label, spellings)} = {to_latex(expr, spellings)}"
                                      for i, (label, expr) in enumerate(row)) + r" \\")
    lines[-1] = lines[-1].removesuffix(r" \\")
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def pass_markdown(gradients, steps: bool = True) -> str:
    sweep = gradients.sweep
    parts = ["$$" + pass_latex(gradients, False) + "$$"]
    if steps:
        parts += [""] + step_table(sweep.steps, spellings_of(gradients.problem))
    return "\n".join(parts)


def pass_json(gradients, steps: bool = True) -> dict:
    problem, sweep = gradients.problem, gradients.sweep
    spellings = spellings_of(problem)
    data = {
        "expression": problem.source,
        "wrt": list(gradients),
        "program": [named_json(n, d, spellings) for n, d in sweep.statements],
        "names": [named_json(n, d, spellings) for n, d in sweep.invented],
        "deltas": [{"name": n, "symbol": symbol_text(n), "latex_symbol": symbol_latex(n, spellings),
                    "text": to_text(d), "latex": to_latex(d, spellings)} for n, d in sweep.deltas],
        "gradients": {name: {"label": label_json(d.label, spellings), "named_text": to_text(d.named_result),
                             "latex": to_latex(d.named_result, spellings)} for name, d in gradients.items()},
        "equations": [{"label": label_json(label, spellings), "text": to_text(e), "latex": to_latex(e, spellings)}
                      for label, e in _equations(gradients)],
        "shapes": shapes_json(problem),
        "symbols": symbols_json(problem),
        "input": input_json(problem),
    }
    if steps:
        data["steps"] = [step_json(s, spellings) for s in sweep.steps]
    return data
