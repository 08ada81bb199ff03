"""The output formats, one registry for the CLI's ``--format`` and the API.

A format is a function (derivation, steps) → str (or a JSON-ready dict); a
new format (generated code is next) is one module and one entry here.
"""

from __future__ import annotations

from importlib import import_module

from ..errors import MatcalcError

# name → (module of this package, function): a printer is imported when it is
# used, so that the CLI's --format list does not load every printer (start-up time).
FORMATS = {
    "text": ("text_report", "text_report"),
    "latex": ("latex_report", "latex_report"),
    "json": ("json_report", "json_report"),
    "markdown": ("markdown_report", "markdown_report"),
    "html": ("html_report", "html_report"),
}
# The same formats for a backward pass over several parameters (SPEC §7).
PASS_FORMATS = {"text": ("pass_report", "pass_text"), "latex": ("pass_report", "pass_latex"),
                "json": ("pass_report", "pass_json"), "markdown": ("pass_report", "pass_markdown"),
                "html": ("html_report", "pass_html")}


def _printer(where: tuple):
    module, function = where
    return getattr(import_module(f"{__package__}.{module}"), function)


def render(name: str, derivation, steps: bool = True):
    if name not in FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(FORMATS)}")
    return _printer(FORMATS[name])(derivation, steps)


def render_pass(name: str, gradients, steps: bool = True):
    if name not in PASS_FORMATS:
        raise MatcalcError(f"unknown format '{name}'; the formats are: {', '.join(PASS_FORMATS)}")
    return _printer(PASS_FORMATS[name])(gradients, steps)
