"""A derivation as a JSON-ready dict, for other programs (SPEC §5)."""

from __future__ import annotations

from ..calculus.steps import RESTATING_RULES
from .labels import label_json, label_latex, label_text
from .latex_report import RELATIONS_LATEX
from .latex import symbol_latex, to_latex
from .text import to_text
from .symbols import input_json, spellings_of, symbols_json


def json_report(derivation, steps: bool = True) -> dict:
    spellings = spellings_of(derivation.problem)          # LaTeX in the user's notation (SPEC §11)
    data = {
        "expression": derivation.problem.source,
        "wrt": derivation.wrt,
        "layout": derivation.layout,
        "label": label_json(derivation.label, spellings),
        "answer": {"text": to_text(derivation.printed_result),
                   "latex": to_latex(derivation.printed_result, spellings),
                   "named_text": to_text(derivation.named_result),
                   "named_latex": to_latex(derivation.named_result, spellings)},
        "names": [named_json(n, d, spellings) for n, d in derivation.names],
        "shapes": shapes_json(derivation.problem),
        "symbols": symbols_json(derivation.problem),
        "input": input_json(derivation.problem),
    }
    if steps:
        data["steps"] = [{**step_json(s, spellings), "before": to_text(s.before) if s.before is not None else None}
                         for s in derivation.steps]
    return data


def named_json(name: str, definition, spellings: dict | None = None) -> dict:
    """A named value (a1 = W1 x) for other programs."""
    return {"name": name, "latex_name": symbol_latex(name, spellings), "text": to_text(definition),
            "latex": to_latex(definition, spellings)}


def step_json(step, spellings: dict | None = None) -> dict:
    return {"lhs": label_text(step.label), "lhs_latex": label_latex(step.label, spellings), "rule": step.rule,
            "rules": list(step.rules), "text": to_text(step.after), "latex": to_latex(step.after, spellings),
            "note": step.note, "relation": step.relation, "relation_latex": RELATIONS_LATEX[step.relation],
            "restates": step.relation != "=" or step.rule in RESTATING_RULES}


def shapes_json(problem) -> dict:
    """symbol → [rows, cols], as dimension names or sizes."""
    env = problem.env
    return {name: [str(env.symbols[name].rows), str(env.symbols[name].cols)] for name in problem.symbols}
