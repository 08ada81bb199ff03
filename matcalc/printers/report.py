"""A whole derivation as text, LaTeX, Markdown or JSON (SPEC §3, §5)."""

from __future__ import annotations

import re

from ..shapes.dims import shape_text
from .latex import symbol_latex, to_latex
from .text import symbol_text, to_text


def _shapes_line(derivation) -> str:
    env = derivation.problem.env
    infos = [(name, env.symbols[name]) for name in derivation.problem.symbols]
    parts = [f"{symbol_text(name)}: {shape_text((info.rows, info.cols))}"
             + (" (symmetric)" if info.symmetric and not info.positive_definite else "")
             + (" (positive definite)" if info.positive_definite else "")
             + (" (probability)" if info.probability else "")
             for name, info in infos]
    return "   ".join(parts)


def _kind_text(declaration) -> str:
    kind = ("probability vector" if declaration.probability else "positive definite"
            if declaration.positive_definite else "symmetric" if declaration.symmetric else None)
    if declaration.rows is None:
        return kind or declaration.kind
    if declaration.cols in (None, 1):                    # "x: 5 x 1", as declared
        return f"{kind or 'vector'} of length {declaration.rows}"
    return f"{kind + ' ' if kind else ''}{declaration.rows}×{declaration.cols}"


def _lhs_text(label: str) -> str:
    if label.startswith("d") and not label.startswith("∂"):
        return "d" + symbol_text(label[1:])
    if label.startswith("∂"):                      # ∂l/∂theta reads ∂l/∂θ, as the answer does
        return re.sub(r"(?<=∂)[A-Za-z][A-Za-z0-9_]*", lambda name: symbol_text(name.group()), label)
    return label


def answer_label(derivation) -> str:
    if derivation.kind != "gradient":
        return derivation.label
    f = derivation.problem.function_name
    return f"∂{symbol_text(f)}/∂{symbol_text(derivation.wrt)}"


def text_report(derivation, steps: bool = True) -> str:
    problem = derivation.problem
    lines = []
    header = f"{symbol_text(problem.function_name)} = {to_text(problem.expr)}"
    where = problem.declarations
    if where:
        header += "        where " + "; ".join(
            f"{symbol_text(n)}: {_kind_text(d)}" for n, d in where.items())
    lines.append(header)
    lines.append("shapes  " + _shapes_line(derivation))
    if derivation.names:
        lines.append("names   " + "   ".join(f"{symbol_text(n)} = {to_text(d)}" for n, d in derivation.names))
    lines.append("")
    if steps:
        rows = []
        previous = None
        for step in derivation.steps:
            label = _lhs_text(step.lhs)
            shown = label if label != previous else ""
            previous = label
            rule = ", ".join(step.rules) + (f"  ({step.note})" if step.note and "{" not in step.note else "")
            rows.append((shown, to_text(step.after), rule))
        width_lhs = max(len(r[0]) for r in rows)
        width_expr = min(max(len(r[1]) for r in rows), 90)
        for number, (lhs, expr, rule) in enumerate(rows, 1):
            lines.append(f"{number:>3}  {lhs:<{width_lhs}} = {expr:<{width_expr}}  {rule}")
        lines.append("")
    lines.append(f"{answer_label(derivation)} = {to_text(derivation.named_result)}")
    if derivation.names and derivation.result != derivation.named_result:
        lines.append(" " * len(answer_label(derivation)) + f" = {to_text(derivation.result)}")
    return "\n".join(lines)


def _latex_lhs(label: str) -> str:
    if label.startswith("∂"):
        f, x = label[1:].split("/∂")
        x = x.split()[0]
        return rf"\frac{{\partial {symbol_latex(f)}}}{{\partial {symbol_latex(x)}}}"
    if label.startswith("d"):
        return r"\mathrm{d}" + symbol_latex(label[1:])
    return symbol_latex(label)


def latex_report(derivation, steps: bool = False) -> str:
    f, x = derivation.problem.function_name, derivation.wrt
    answer = rf"\frac{{\partial {symbol_latex(f)}}}{{\partial {symbol_latex(x)}}} = {to_latex(derivation.result)}"
    if not steps:
        return answer
    lines = [r"\begin{align*}"]
    previous = None
    for step in derivation.steps:
        label = _latex_lhs(step.lhs)
        shown = label if label != previous else ""
        previous = label
        rule = ", ".join(step.rules)
        lines.append(rf"{shown} &= {to_latex(step.after)} && \text{{{rule}}} \\")
    if derivation.names:
        names = ",\\ ".join(f"{symbol_latex(n)} = {to_latex(d)}" for n, d in derivation.names)
        lines.append(rf"&\text{{where }} {names} \\")
    lines.append(answer.replace(" = ", " &= ", 1))
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def markdown_report(derivation, steps: bool = True) -> str:
    parts = [f"**{answer_label(derivation)}** = `{to_text(derivation.result)}`", "",
             "$$" + latex_report(derivation, False) + "$$"]
    if steps:
        parts += ["", "| # | | expression | rule |", "|---|---|---|---|"]
        for number, step in enumerate(derivation.steps, 1):
            parts.append(f"| {number} | {_lhs_text(step.lhs)} | `{to_text(step.after)}` | "
                         f"{', '.join(step.rules)} |")
        if derivation.names:
            parts += ["", "where " + ", ".join(f"`{symbol_text(n)} = {to_text(d)}`"
                                                for n, d in derivation.names)]
    return "\n".join(parts)


def json_report(derivation, steps: bool = True) -> dict:
    data = {
        "expression": derivation.problem.source,
        "wrt": derivation.wrt,
        "layout": derivation.layout,
        "answer": {"text": to_text(derivation.result), "latex": to_latex(derivation.result),
                   "named_text": to_text(derivation.named_result)},
        "names": [{"name": n, "text": to_text(d), "latex": to_latex(d)} for n, d in derivation.names],
        "shapes": {name: [str(info.rows), str(info.cols)]
                   for name, info in ((n, derivation.problem.env.symbols[n])
                                      for n in derivation.problem.symbols)},
    }
    if steps:
        data["steps"] = [{"lhs": s.lhs, "rule": s.rule, "rules": s.rules,
                          "text": to_text(s.after), "latex": to_latex(s.after),
                          "before": to_text(s.before) if s.before is not None else None,
                          "note": s.note} for s in derivation.steps]
    return data
