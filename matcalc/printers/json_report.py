"""A derivation as a JSON-ready dict, for other programs (SPEC §5)."""

from __future__ import annotations

from .labels import label_json, label_latex, label_text
from .latex import symbol_latex, to_latex
from .text import to_text


def json_report(derivation, steps: bool = True) -> dict:
    env = derivation.problem.env
    data = {
        "expression": derivation.problem.source,
        "wrt": derivation.wrt,
        "layout": derivation.layout,
        "label": label_json(derivation.label),
        "answer": {"text": to_text(derivation.printed_result), "latex": to_latex(derivation.printed_result),
                   "named_text": to_text(derivation.named_result), "named_latex": to_latex(derivation.named_result)},
        "names": [{"name": n, "latex_name": symbol_latex(n), "text": to_text(d), "latex": to_latex(d)}
                  for n, d in derivation.names],
        "shapes": {name: [str(env.symbols[name].rows), str(env.symbols[name].cols)]
                   for name in derivation.problem.symbols},
    }
    if steps:
        data["steps"] = [{"lhs": label_text(s.label), "lhs_latex": label_latex(s.label),
                          "rule": s.rule, "rules": list(s.rules),
                          "text": to_text(s.after), "latex": to_latex(s.after),
                          "before": to_text(s.before) if s.before is not None else None,
                          "note": s.note} for s in derivation.steps]
    return data
