"""Where the grammar and the rule catalog live.

In a source checkout they are the top-level ``grammar/`` and ``rules/``
folders; in an installed wheel the build copies them into the package
(see ``[tool.hatch.build.targets.wheel.force-include]`` in pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(kind: str) -> Path:
    installed = _PACKAGE / kind
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / kind


def data_file(kind: str, name: str) -> Path:
    return data_dir(kind) / name
