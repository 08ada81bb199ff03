"""The output formats, one registry for the CLI's ``--format`` and the API.

A format is a function (derivation, steps) → str (or a JSON-ready dict); a
new format (generated code is next) is one module and one entry here.
"""

from __future__ import annotations

from ..errors import MatcalcError


# Each printer is imported when it is used, so that the CLI's --format list
# does not load every printer (start-up time); plain imports, not import_module.
def _text(derivation, steps):
    from .text_report import text_report
    return text_report(derivation, steps)


def _latex(derivation, steps):
    from .latex_report import latex_report
    return latex_report(derivation, steps)


def _json(derivation, steps):
    from .json_report import json_report
    return json_report(derivation, steps)


def _markdown(derivation, steps):
    from .markdown_report import markdown_report
    return markdown_report(derivation, steps)


def _html(derivation, steps):
    from .html_report import html_report
    return html_report(derivation, steps)


def _pass(name: str):
    def printer(gradients, steps):
        from . import html_report, pass_report
        return {"text": pass_report.pass_text, "latex": pass_report.pass_latex, "json": pass_report.pass_json,
                "markdown": pass_report.pass_markdown, "html": html_report.pass_html}[name](gradients, steps)
    return printer


FORMATS = {"text": _text, "latex": _latex, "json": _json, "markdown": _markdown, "html": _html}
# The same formats for a backward pass over several parameters (SPEC §7).
PASS_FORMATS = {name: _pass(name) for name in FORMATS}


def render(name: str, derivation, steps: bool = True):
    if name not in FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(FORMATS)}")
    return FORMATS[name](derivation, steps)


def render_pass(name: str, gradients, steps: bool = True):
    if name not in PASS_FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(PASS_FORMATS)}")
    return PASS_FORMATS[name](gradients, steps)
