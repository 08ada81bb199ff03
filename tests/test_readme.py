"""Every ``$ matcalc ...`` command the README shows runs, and prints what the
README shows (issue 24: the backprop header, the Jacobian's function name and
label had drifted from the program's output).

A shown block may be an excerpt: its lines must appear in the output in the
same order, each run of lines together; a line ``…`` separates runs that
stand apart.  The figure of a ``check:`` line is compared as a figure below
the tolerance, not digit by digit (another check method may print another).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from matcalc.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
CHECK_LINE = re.compile(r"check: max relative error (\S+) vs finite differences \((ok|MISMATCH)\)")


def shown_commands(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number, command, the output lines shown under it)."""
    lines = text.splitlines()
    found, fenced = [], False
    for number, line in enumerate(lines):
        if line.startswith("```"):
            fenced = not fenced
            continue
        match = re.match(r"^( {4}|)\$ (matcalc .*)$", line)
        if not match or (not fenced and not match.group(1)):
            continue
        indent, shown = match.group(1), []
        for following in lines[number + 1:]:
            inside = following.startswith(indent) if indent else not following.startswith("```")
            if not inside or following.strip().startswith("$ ") or (indent and not following.strip()):
                break
            shown.append(following[len(indent):].rstrip())
        found.append((number + 1, match.group(2), shown))
    return found


COMMANDS = shown_commands(README.read_text(encoding="utf-8"))


def runs(shown: list[str]) -> list[list[str]]:
    parts, current = [], []
    for line in shown:
        if line.strip() == "…":
            parts.append(current)
            current = []
        else:
            current.append(line)
    return [part for part in parts + [current] if part]


def same_line(shown: str, printed: str) -> bool:
    check = CHECK_LINE.fullmatch(shown.strip())
    if check:
        found = CHECK_LINE.fullmatch(printed.strip())
        return bool(found) and found.group(2) == check.group(2) == "ok" and float(found.group(1)) < 1e-6
    return shown == printed


def appears_in_order(part_lists: list[list[str]], printed: list[str]) -> bool:
    start = 0
    for part in part_lists:
        at = next((i for i in range(start, len(printed) - len(part) + 1)
                   if all(same_line(s, p) for s, p in zip(part, printed[i:i + len(part)]))), None)
        if at is None:
            return False
        start = at + len(part)
    return True


def test_the_readme_shows_commands():
    assert len(COMMANDS) >= 6
    assert all(shown for _, _, shown in COMMANDS)


@pytest.mark.parametrize("line, command, shown", COMMANDS, ids=[f"README line {n}" for n, _, _ in COMMANDS])
def test_a_readme_command_prints_what_the_readme_shows(capsys, line, command, shown):
    status = main(shlex.split(command)[1:])
    printed = [text.rstrip() for text in capsys.readouterr().out.splitlines()]
    # --compare exits 1 for an answer that is not equal (SPEC §10, as diff does)
    different = "--compare" in command and any(line.startswith("Different") for line in shown)
    assert status == (1 if different else 0)
    assert appears_in_order(runs(shown), printed), \
        f"README line {line}: {command}\nshown:\n" + "\n".join(shown) + "\nprinted:\n" + "\n".join(printed)
