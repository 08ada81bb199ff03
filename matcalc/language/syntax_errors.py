"""Syntax errors that point at the text: what was found, what was expected."""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..errors import ParseError

_TOKEN_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "CALL": "a function call", "PLUS": "'+'",
    "MINUS": "'-'", "STAR": "'*'", "HADAMARD": "'⊙'", "ELDIV": "'./'", "KRON": "'⊗'",
    "SLASH": "'/'", "CARET": "'^'", "TEE": "'T'", "TRANSPOSE": "'ᵀ'",
    "ELPOW": "'.^'", "LPAR": "'('", "RPAR": "')'", "LBRACE": "'{'", "RBRACE": "'}'",
    "COMMA": "','", "COLON": "':'", "EQUAL": "'='", "NORM_OPEN": "'||'", "NORM_CLOSE": "'||'",
    "NORM_SUB": "'_F' or '_2'", "_SEP": "';' or a new line", "NEWLINE": "a new line",
    "PATTERN_VAR": "a pattern variable", "$END": "end of input", "TIMES": "'×'",
    "INVERSE_SUP": "'⁻¹'", "SQUARE_SUP": "'²'", "NORM_BAR": "'||'",
}
# Tokens of the rule files only (rules/*.rules): never what a user's input lacks.
_RULE_ONLY_TOKENS = {"PATTERN_VAR", "EXPLANATION", "CONSTANT", "_WHERE"}


def token_span(token: Token) -> tuple[int, int]:
    return (token.start_pos, token.end_pos)


def shortened(text: str, keep: int = 20) -> str:
    return text if len(text) <= 2 * keep else f"{text[:keep]}…{text[-keep:]}"


def _describe(expected) -> str:
    names = sorted({_TOKEN_NAMES.get(t, f"'{t}'") for t in expected
                    if not t.startswith("__") and t not in _RULE_ONLY_TOKENS})
    if not names:
        return ""
    if len(names) > 8:
        names = names[:8] + ["…"]
    return "expected " + ", ".join(names)


def syntax_error(error: UnexpectedInput, text: str) -> ParseError:
    position = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedCharacters):
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        hint = {"|": " (a norm is written ||v|| or ‖v‖)", "?": " (pattern variables are only for rules)",
                "[": " (use parentheses)", "]": " (use parentheses)"}.get(char, "")
        message = f"syntax error at column {error.column}: unexpected character '{char}'{hint}"
        expected = _describe(error.allowed or ())
        span = (error.pos_in_stream, error.pos_in_stream + 1)
    elif isinstance(error, UnexpectedEOF) or (
            isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        message = "syntax error: the input ends too early"
        expected = _describe(error.expected)
        span = (len(text.rstrip()), len(text.rstrip()) + 1)
    else:
        token = error.token
        shown = "a new line" if str(token) in ("\n", "\r\n") else f"'{token}'"
        message = f"syntax error at line {error.line}, column {error.column}: unexpected {shown}"
        expected = _describe(error.expected)
        span = (token.start_pos, max(token.end_pos, token.start_pos + 1)) if position is not None else None
    if expected:
        message += f"; {expected}"
    return ParseError(message, source=text, span=span)

