"""LaTeX source → tokens with their spans (SPEC §11).

TeX itself reads a command as a backslash and a run of letters, or a
backslash and one other character (``\\,`` ``\\|`` ``\\\\``); everything else
is one character.  Spaces separate nothing in math mode, so they are
dropped; a line break is kept, because a program may be one line a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...errors import ParseError


@dataclass(frozen=True)
class Token:
    kind: str          # command | letter | number | char | newline
    text: str          # \mathbf, x, 2.5, ^ ...
    start: int
    end: int

    def is_command(self, *names: str) -> bool:
        return self.kind == "command" and self.text in names

    def is_char(self, *chars: str) -> bool:
        return self.kind in ("char", "command") and self.text in chars


_TOKEN = re.compile(r"""
    (?P<command>\\[A-Za-z]+\*?|\\.)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<letter>[A-Za-z\u0391-\u03a9\u03b1-\u03c9])
  | (?P<newline>\r?\n)
  | (?P<space>[ \t\f~]+|%[^\n]*)
  | (?P<char>[-+*/^_{}()\[\]|=',;&.<>!:$\u2212\u22a4\u2299\u2297\u2218\u00b7\u2016])
""", re.VERBOSE)


def tokenize(text: str) -> list[Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(f"unexpected character '{text[position]}' in the LaTeX",
                             source=text, span=(position, position + 1))
        kind = match.lastgroup
        if kind != "space":
            tokens.append(Token(kind, match.group(), match.start(), match.end()))
        position = match.end()
    return tokens
