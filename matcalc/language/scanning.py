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

from .reductions import NoMove, ended, run

_new_token = Token._future_new        # Token(...) without its check for a deprecated keyword
_new_str = str.__new__


class Unread(Exception):
    """The text has a character or a token no move is made for: Lark's own parse says which."""


class Scanners:
    """Each parser state's scanner from Lark's contextual lexer, and the start and
    end states of each start rule, looked up once per process."""

    def __init__(self, parser: Lark):
        self.of_state = _ScannerOfState(parser.parser.lexer.lexer)    # the post-lexer's connector holds it
        table = parser.parser.parser.parser.parse_table
        self.start_states = table.start_states
        self.end_states = table.end_states


class _ScannerOfState(dict):
    """Parser state → its scanner, compiled when a text first reaches the state
    (as Lark's lexer does: compiling all 60 would cost a start 16 ms)."""

    def __init__(self, contextual):
        super().__init__()
        self.contextual = contextual

    def __missing__(self, state):
        lexer = self.contextual.lexers[state]
        scanner = lexer.scanner                   # built (with its callbacks) when first asked
        matches = tuple(expression.match for expression in scanner._mres)
        # (one compiled expression, or a scan of several; the terminals
        # only passed over (spaces); those that need more than a token
        # made: ignored, holding new lines, with a callback)
        self[state] = (matches[0] if len(matches) == 1 else _first_of(matches),
                       lexer.ignore_types - lexer.newline_types - set(lexer.callback),
                       lexer.ignore_types | lexer.newline_types | set(lexer.callback),
                       lexer.ignore_types, lexer.newline_types, lexer.callback)
        return self[state]


def _first_of(matches):
    """Lark's Scanner.match over a scanner's several compiled expressions (over 100 terminals)."""
    def match(text, position):
        for expression_match in matches:
            found = expression_match(text, position)
            if found:
                return found
        return None
    return match


def tokens(scanners: Scanners, states: list, text: str):
    """Lark's ``ContextualLexer.lex`` over ``text``: each token scanned by the
    scanner of the state on top of ``states`` when it is asked for, with Lark's
    line counter's positions."""
    of_state = scanners.of_state
    position, end, line, line_start = 0, len(text), 1, 0
    while position < end:
        match, passed_over, special, ignore_types, newline_types, callbacks = of_state[states[-1]]
        found = match(text, position)
        if not found:
            raise Unread
        kind = found.lastgroup
        start, position = position, found.end()
        if kind in passed_over:
            continue
        value = found.group(0)
        if kind not in special:                 # most tokens: on one line, kept as scanned
            token = _new_str(Token, value)
            token.type, token.start_pos, token.value, token.end_pos = kind, start, value, position
            token.line = token.end_line = line
            token.column, token.end_column = start - line_start + 1, position - line_start + 1
            yield token
            continue
        start_line, column = line, start - line_start + 1
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
    states = [scanners.start_states[start]]
    stream = tokens(scanners, states, text)
    if postlex is not None:
        stream = postlex(stream)
    try:
        return run(table, states, [], ended(stream), scanners.end_states[start], builder)
    except NoMove:
        raise Unread from None
