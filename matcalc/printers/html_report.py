"""A derivation as an HTML fragment (``--format html``, and what a notebook
shows through ``_repr_html_``): the answer as display math, in the program's
names with the names below it, the steps folded underneath.  Jupyter
typesets the ``\\[ … \\]`` with its own MathJax, so the fragment carries no script."""

from __future__ import annotations

from html import escape

from .labels import label_latex
from .latex import to_latex
from .latex_report import latex_report, names_latex
from .pass_report import pass_latex
from .symbols import spellings_of


def html_report(derivation, steps: bool = True) -> str:
    spellings = spellings_of(derivation.problem)
    label = label_latex(derivation.label, spellings)
    if derivation.names:
        answer = [f"{label} = {to_latex(derivation.named_result, spellings)}",
                  rf"\text{{where }} {names_latex(derivation.names, spellings)}",
                  latex_report(derivation, False)]
    else:
        answer = [latex_report(derivation, False)]
    return _fragment(answer, latex_report(derivation, True) if steps else None, len(derivation.steps))


def pass_html(gradients, steps: bool = True) -> str:
    return _fragment([pass_latex(gradients, False)], pass_latex(gradients, True) if steps else None,
                     len(gradients.steps))


def _fragment(displays: list[str], steps: str | None, count: int) -> str:
    shown = "".join(f"\\[{escape(latex)}\\]" for latex in displays)
    folded = f"<details><summary>{count} steps</summary>\\[{escape(steps)}\\]</details>" if steps else ""
    return f'<div class="matcalc">{shown}{folded}</div>'
