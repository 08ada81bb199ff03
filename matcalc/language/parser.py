"""Text → expression trees, with the grammar in ``grammar/matcalc.lark``.

One Lark LALR parser serves three entry points: programs (what the user
differentiates), declarations (``--where``) and the rules of ``rules/``.
The transformer below is the only place that knows the concrete syntax; it
desugars as it builds, so the rest of matcalc sees only primitive nodes.
"""


from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache

from lark import Lark, Token
from lark.exceptions import UnexpectedInput

from ..errors import LimitError, MatcalcError, ParseError
from .declarations import Clause, Declaration, combined, declaration_of
from . import parser_tables, reductions, scanning
from .limits import MAX_INPUT_CHARS
from .syntax_errors import syntax_error
from .transformer import RULE_METHODS, Build, Program, RuleText

# Tokens after which a norm bar closes the innermost open norm.
_OPERAND_END = {"NAME", "NUMBER", "PATTERN_VAR", "TEE", "TRANSPOSE", "INVERSE_SUP",
                "SQUARE_SUP", "NORM_CLOSE", "NORM_SUB", "RPAR", "RBRACE"}
# The text being parsed, for the post-lexer's look at the spaces around a bar
# (a context variable: each thread or task parses its own text).
_SOURCE: ContextVar[str] = ContextVar("matcalc_source", default="")


def bar_side(text: str, start: int, end: int) -> str | None:
    """How a bar at text[start:end] reads by what touches it, as a person reads
    it: 'open' when only its right neighbour belongs to an operand (||x), 'close'
    when only its left one does (x||); None when both or neither do."""
    left = text[start - 1] if start > 0 else ""
    right = text[end] if end < len(text) else ""
    left_operand = bool(left) and (left.isalnum() or left in ")}]'")
    right_operand = bool(right) and (right.isalnum() or right in "(-")
    if left_operand == right_operand:
        return None
    return "close" if left_operand else "open"


def has_bars(text: str) -> bool:
    return "|" in text or "\u2016" in text


class _NormBars:
    """Post-lexer: which norm bars open and which close.

    A bar touching an operand on one side only reads as it looks: ``||2 ||x|| x||``
    is the norm of 2 ||x|| x, and ``||A x ||x||||`` the norm of A x ||x||.  Any
    other bar closes the innermost open norm when the token before it ends an
    operand, else opens one: ``||a|| ||b||`` is two norms, ``|| A x - b ||`` one.
    """
    always_accept = ("NORM_BAR",)

    def process(self, stream):
        source = _SOURCE.get()
        if source and not has_bars(source):
            return stream           # no bar to read: the tokens as the lexer made them
        return self._read_bars(stream, source)

    @classmethod
    def _read_bars_of(cls, source: str):
        """The post-lexer of one text (``scanning.read``'s)."""
        return lambda stream: cls._read_bars(stream, source)

    @staticmethod
    def _read_bars(stream, source: str):
        open_norms = 0
        previous = None
        for token in stream:
            if token.type == "NORM_BAR":
                side = bar_side(source, token.start_pos, token.end_pos) if source else None
                closes = open_norms and (side == "close" or side is None and previous is not None
                                         and previous.type in _OPERAND_END)
                if closes:
                    token = Token.new_borrow_pos("NORM_CLOSE", token, token)
                    open_norms -= 1
                else:
                    token = Token.new_borrow_pos("NORM_OPEN", token, token)
                    open_norms += 1
            previous = token
            yield token


def build_parser(grammar_text: str) -> Lark:
    """The parser computed from the grammar (LALR tables and all)."""
    return Lark(grammar_text, parser="lalr", start=["program", "declarations", "rule"],
                postlex=_NormBars(), propagate_positions=True, maybe_placeholders=False)


def write_tables() -> None:
    """Recompute the shipped LALR tables after an edit of the grammar."""
    text = parser_tables.GRAMMAR.read_text(encoding="utf-8")
    parser_tables.write(build_parser(text), text)
    print(f"wrote {parser_tables.TABLES}")


@lru_cache(maxsize=1)
def _parser() -> Lark:
    text = parser_tables.GRAMMAR.read_text(encoding="utf-8")
    return (parser_tables.stored_parser(text, postlex=_NormBars(), propagate_positions=True)
            or build_parser(text))


@lru_cache(maxsize=1)
def _actions() -> dict:
    """The parser's table with the callbacks that build the AST as it reduces (``reductions``), made once."""
    return reductions.actions(_parser(), reductions.callbacks(_parser(), RULE_METHODS))


@lru_cache(maxsize=1)
def _scanners() -> scanning.Scanners:
    return scanning.Scanners(_parser())


def _run(text: str, start: str, pattern_mode=False, product_names=frozenset()):
    if not isinstance(text, str):
        raise ParseError(f"expected a string, not {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}",
                         source=text, span=(MAX_INPUT_CHARS, len(text)))   # the part over it
    if not text.strip():
        raise ParseError("the input is empty", source=text)
    builder = Build(pattern_mode, product_names)
    try:
        built = scanning.read(_scanners(), _actions(), builder, text, start,
                              _NormBars._read_bars_of(text) if has_bars(text) else None)
    except scanning.Unread:         # a syntax error: Lark's own lexer and parser state say which
        builder = Build(pattern_mode, product_names)
        reading = _SOURCE.set(text)
        try:
            built = reductions.parse(_parser(), _actions(), builder, text, start)
        except UnexpectedInput as error:
            raise syntax_error(error, text) from None
        finally:
            _SOURCE.reset(reading)
    builder.finish(text)
    return built


def parse_program(text: str, declared_names=()) -> Program:
    """Parse what the user differentiates: an expression or a ``;``-separated program."""
    return _run(text, "program", product_names=frozenset(declared_names))


def parse_rule(text: str) -> RuleText:
    """A line of ``rules/*.rules``: ``name: lhs = rhs where ?X: square  # why``."""
    return _run(text, "rule", pattern_mode=True)


def parse_declarations(text: str) -> dict[str, Declaration]:
    """``"alpha, c: scalar; S: symmetric; A: 3 x 4"`` → {name: Declaration}."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}
    if not isinstance(text, str):
        raise ParseError(f"the declarations (where) must be a string, not {type(text).__name__}")
    clauses: dict[str, Clause] = {}
    try:
        for names, clause in _run(text, "declarations"):
            if len(set(names)) < len(names):
                twice = next(name for name in names if names.count(name) > 1)
                raise ParseError(f"{twice} is declared twice", span=clause.span)
            for name in names:      # kind, structure, size and data add up, in any order
                clauses[name] = combined(name, clauses.get(name), clause)
        return {name: declaration_of(name, clause) for name, clause in clauses.items()}
    except MatcalcError as error:
        raise error.with_source(text) from None
