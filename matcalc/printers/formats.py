"""The output formats, one registry for the CLI's ``--format`` and the API.

A format is a function (derivation, steps) → str (or a JSON-ready dict); a
new format (generated code is next) is one module and one entry here.
"""

from __future__ import annotations

from ..errors import MatcalcError
from .html_report import html_report, pass_html
from .json_report import json_report
from .latex_report import latex_report
from .markdown_report import markdown_report
from .pass_report import pass_json, pass_latex, pass_markdown, pass_text
from .text_report import text_report

FORMATS = {
    "text": text_report,
    "latex": latex_report,
    "json": json_report,
    "markdown": markdown_report,
    "html": html_report,
}
# The same formats for a backward pass over several parameters (SPEC §7).
PASS_FORMATS = {"text": pass_text, "latex": pass_latex, "json": pass_json, "markdown": pass_markdown,
               "html": pass_html}


def render(name: str, derivation, steps: bool = True):
    if name not in FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(FORMATS)}")
    return FORMATS[name](derivation, steps)


def render_pass(name: str, gradients, steps: bool = True):
    if name not in PASS_FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(PASS_FORMATS)}")
    return PASS_FORMATS[name](gradients, steps)
