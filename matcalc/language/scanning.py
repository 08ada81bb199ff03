"""Lark's contextual lexer driven by the parse loop itself (issue 24, the floor).

Lark's ``parse_interactive`` makes a lexer thread, a lexer state, a line
counter and a parser state for every text, and its contextual lexer spends
about 3 µs a token looking up the scanner of the parser's state, counting
lines and building the token: more than the reductions.  ``read`` does what
it does with the same compiled scanners (one per parser state, Lark's own),
the same terminal callbacks and the same positions, in one loop over the
text with the parser's stacks at hand.

Errors are Lark's: where the scanner of a state matches nothing or the table
has no move for a token, ``read`` raises ``Unread`` and the caller parses the
text again with Lark's own lexer and parser state (``reductions.parse``),
which raise the error with its expected tokens.  tests/test_scanning.py checks
the tokens against Lark's own lexer's.
"""

from __future__ import annotations

from lark import Lark, Token

from .reductions import Part, feed

_new_token = Token._future_new        # Token(...) without its check for a deprecated keyword


class Unread(Exception):
    """The text has a character or a token no move is made for: Lark's own parse says which."""


class Scanners:
    """Each parser state's scanner from Lark's contextual lexer, and the start and
    end states of each start rule, looked up once per process."""

    def __init__(self, parser: Lark):
        contextual = parser.parser.lexer.lexer            # the post-lexer's connector holds it
        by_lexer: dict[int, tuple] = {}
        self.of_state = {}
        for state, lexer in contextual.lexers.items():
            if id(lexer) not in by_lexer:
                scanner = lexer.scanner                   # built (with its callbacks) when first asked
                by_lexer[id(lexer)] = (tuple(expression.match for expression in scanner._mres),
                                       lexer.ignore_types, lexer.newline_types, lexer.callback)
            self.of_state[state] = by_lexer[id(lexer)]
        table = parser.parser.parser.parser.parse_table
        self.start_states = table.start_states
        self.end_states = table.end_states


def tokens(scanners: Scanners, states: list, text: str):
    """Lark's ``ContextualLexer.lex`` over ``text``: each token scanned by the
    scanner of the state on top of ``states`` when it is asked for, with Lark's
    line counter's positions."""
    of_state = scanners.of_state
    position, end, line, line_start = 0, len(text), 1, 0
    while position < end:
        matches, ignore_types, newline_types, callbacks = of_state[states[-1]]
        for match in matches:
            found = match(text, position)
            if found:
                break
        else:
            raise Unread
        value, kind = found.group(0), found.lastgroup
        start, start_line, column = position, line, position - line_start + 1
        position = found.end()
        if kind in newline_types and (newlines := value.count("\n")):
            line += newlines
            line_start = start + value.rindex("\n") + 1
        if kind in ignore_types and kind not in callbacks:
            continue
        token = _new_token(kind, value, start, start_line, column, line, position - line_start + 1, position)
        if kind in callbacks:
            token = callbacks[kind](token)
        if kind not in ignore_types:
            yield token


def read(scanners: Scanners, table: dict, builder, text: str, start: str, postlex=None):
    """``reductions.parse`` without Lark's per-text objects: the value ``builder``'s
    methods build for ``text``; ``Unread`` where Lark's parse would raise an error.
    ``postlex(stream)``: the post-lexer's reading of the token stream, if any."""
    states, values = [scanners.start_states[start]], []
    end_state = scanners.end_states[start]
    stream = tokens(scanners, states, text)
    if postlex is not None:
        stream = postlex(stream)
    token = None
    try:
        for token in stream:
            feed(table, states, values, token, None, builder)
        end = Token.new_borrow_pos("$END", "", token) if token else Token("$END", "", 0, 1, 1)
        top = feed(table, states, values, end, end_state, builder)
    except KeyError:
        raise Unread from None
    return top.built if isinstance(top, Part) else top
