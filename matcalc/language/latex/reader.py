"""The LaTeX reader: a formula as pasted from a paper → matcalc's language (SPEC §11).

A recursive-descent reader over TeX tokens.  What it reads it writes out in
matcalc's own language (``\\mathbf{y}^\\top \\log \\operatorname{softmax}(W_2
\\mathbf{x})`` → ``y^T log(softmax(W2 x))``), which the one parser and tree
builder of ``language.parser`` turn into the AST, so both inputs give the same
trees.  Precedence is the language's: postfix, functions, products, minus, sums.
A function written without brackets takes the rest of the product
(``\\log\\det X``, ``\\mathrm{tr}\\, X^\\top A X``).

Why not a second Lark grammar (weighed in issue 28's second round): what the
reader decides is TeX's reading and a paper's habits, not a context-free
syntax.  A script or a ``\\frac`` argument is one token or one group
(``\\frac12``, ``x^TPx``), so the lexer would have to cut numbers and
letters one at a time; a bar ``|`` both opens and closes (``|X|``,
``\\log|X|``, nested in ``\\left|``); a line break separates statements
only when the next line defines a name, and ``,`` or ``.`` only at the top
level; whether a function takes a bracket or the rest of the product
depends on what follows it.  Each would be a post-lexer or an Earley
ambiguity resolved in code, and the refusals (``\\arg\\min``, ``\\langle``,
an unknown ``\\operatorname``) would become generic syntax errors.  The tree
builder is already shared: the reader writes matcalc's language with a
source map, and ``grammar/matcalc.lark`` with ``transformer.Build`` makes
the one tree, so both inputs give the same trees and the same rules.
"""

from __future__ import annotations

import re

from ...errors import ParseError
from ..limits import MAX_DEPTH, too_deep
from .functions import FunctionReading
from .pieces import ATOM, NEGATION, POSTFIX, PRODUCT, SUM, Piece, joined
from .symbols import NameReading
from .tokens import Token, tokenize
from .vocabulary import (ABS_BARS, BOLD_FONTS, ENVIRONMENTS, GREEK, IGNORED, NORM_BARS, OPERATORS, PLAIN_FONTS,
                         QUADS, SIZES, SPACING_WITH_ARGUMENT, TRANSPOSE_MARKS)

_NUMBER = re.compile(r"-?\d+(\.\d+)?(/\d+)?")
_SEPARATORS = ("\\\\", ";", ",", "\\quad", "\\qquad", ".", "\n")
_DEFINES = ("=", "\\coloneqq", "\\triangleq", "\\equiv", "\\doteq", ":=", "\\eqqcolon", "\\stackrel")


class Reader(NameReading, FunctionReading):
    def __init__(self, text: str, differentials: bool = False):
        self.text = text
        self.differentials = differentials   # dx, \mathrm{d}\mathbf{x}: a hand derivation's differentials
        self.tokens = tokenize(text)
        self.i = 0
        self.closers: list[str] = []        # the brackets and bars now open, innermost last
        self.spellings: dict[str, str] = {}
        self.hints: dict[str, tuple] = {}    # name → (kind, as typed, start, end), from the font
        self.plain_lower: dict[str, tuple] = {}
        self.notes: list[str] = []
        self.depth = 0

    # ------------------------------------------------------------ tokens
    def peek(self, ahead: int = 0) -> Token | None:
        index = self.i + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def next(self) -> Token | None:
        token = self.peek()
        self.i += 1
        return token

    def look(self) -> Token | None:
        """The next token that means something (spacing, & and environments skipped)."""
        while (token := self.peek()) is not None:
            name = token.text[1:] if token.kind == "command" else None
            if token.kind == "newline" and not self._line_is_statement():
                self.i += 1
            elif name in IGNORED or token.is_char("&", "$") or name in ("[", "]", "(", ")"):
                self.i += 1
            elif name in SPACING_WITH_ARGUMENT or name in ("begin", "end"):
                self.i += 1
                if self.peek() is not None and self.peek().is_char("{"):
                    environment = self.text[self.peek().end:self.tokens[self.matching_brace(self.i)].start]
                    if name in ("begin", "end") and environment not in ENVIRONMENTS:
                        self.fail(f"the environment '{environment}' is not read", token)
                    self.i = self.matching_brace(self.i) + 1
            elif token.text == "\\\\" and self.peek(1) is not None and self.peek(1).is_char("[") and any(
                    t.is_char("]") for t in self.tokens[self.i + 2:]):
                self.i += 1                                      # \\[2pt]
                while not self.peek().is_char("]"):
                    self.i += 1
                self.tokens[self.i] = token                     # leaves the \\ as the separator
            else:
                return token
        return None

    def _line_is_statement(self) -> bool:
        """A line break separates statements when the next line defines a name."""
        for token in self.tokens[self.i + 1:]:
            if token.kind == "newline":
                return False
            if token.text in _DEFINES:
                return True
        return False

    def expect(self, text: str) -> Token:
        token = self.look()
        if token is None or token.text != text:
            found = f"'{token.text}'" if token is not None else "the end"
            self.fail(f"expected '{text}', found {found}", token)
        return self.next()

    def matching_brace(self, index: int) -> int:
        depth = 0
        for at in range(index, len(self.tokens)):
            depth += {"{": 1, "}": -1}.get(self.tokens[at].text, 0) if self.tokens[at].kind == "char" else 0
            if depth == 0:
                return at
        self.fail("this '{' is never closed", self.tokens[index])

    def fail(self, message: str, token: Token | None = None, position: int | None = None, end=None):
        if token is not None:
            span = (token.start, end if end is not None else token.end)
        else:
            at = len(self.text) if position is None else position
            span = (at, end if end is not None else at + 1)
        raise ParseError(message, source=self.text, span=span)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def hint(self, name, kind, typed, start, end) -> None:
        known = self.hints.setdefault(name, (kind, typed, start, end))
        if known[0] != kind:
            self.fail(f"'{known[1]}' and '{typed}' are both read as {name}, one a {known[0]} and one a "
                      f"{kind}; give them different names", position=start, end=end)

    # ------------------------------------------------------------ programs
    def program(self) -> list[tuple[Piece | None, Piece]]:
        statements = []
        while True:
            while (token := self.look()) is not None and token.text in _SEPARATORS:
                self.next()
            if token is None:
                break
            statements.append(self.statement())
            token = self.look()
            if token is not None and token.text not in _SEPARATORS:
                self.fail(f"unexpected '{token.text}'", token)
        if not statements:
            self.fail("the input is empty", position=0)
        return statements

    def statement(self) -> tuple[Piece | None, Piece]:
        start, saved = self.look(), self.i
        name = self._defined_name()
        if name is not None:
            return name, self.expression()
        self.i = saved
        value = self.expression()
        token = self.look()
        if token is not None and token.text in _DEFINES:
            self.fail("the left side of '=' is not a name; write 'name = expression' "
                      "(a formula to differentiate is a function, not an equation)",
                      position=start.start, end=token.start)
        return None, value

    def _defined_name(self) -> Piece | None:
        """``name =`` (or ``f(x) =``, the function's name) at the start of a statement, or None."""
        token = self.look()
        grouped = token is not None and token.is_char("{")          # {\cal L} =
        if grouped:
            self.next()
            token = self.look()
        if token is None or not (token.kind == "letter" or token.kind == "command" and (
                token.text[1:] in GREEK or token.text[1:] in BOLD_FONTS | PLAIN_FONTS | {"ell", "hat", "bar",
                                                                                          "tilde"})):
            return None
        saved = dict(self.spellings), dict(self.hints), dict(self.plain_lower)
        try:
            name = self.name_atom()
            if grouped:
                self.expect("}")
        except ParseError:
            name = None
        if name is None or not self._defines_next(name):
            self.spellings, self.hints, self.plain_lower = saved       # read again as an expression
            return None
        return name

    def _defines_next(self, name: Piece) -> bool:
        """After a name: (f's arguments and) '=', consumed; False when no '=' follows."""
        note = None
        if (token := self.look()) is not None and token.is_char("(") and name.text[:1].islower():
            depth = 0
            while (token := self.next()) is not None:      # f(\mathbf{x}) =: the function's arguments
                depth += token.is_char("(") - token.is_char(")")
                if depth == 0:
                    break
            note = (f"read the left side {self.text[name.span[0]:token.end if token else None]} as the "
                    f"name {name.text}")
        token = self.look()
        if token is not None and token.is_char(":") and self.peek(1) is not None and self.peek(1).is_char("="):
            self.next()                                  # a := b
            token = self.look()
        if token is None or token.text not in _DEFINES:
            return False
        if note:
            self.note(note)
        self.next()
        if token.text == "\\stackrel":
            self.script_raw(), self.script_raw()
        return True

    # ------------------------------------------------------------ expressions
    def expression(self) -> Piece:
        """A sum; nested brackets recurse here, so this is where their depth is limited."""
        depth = self.depth
        try:
            self.nested()
            return self._sum()
        finally:
            self.depth = depth

    def nested(self) -> None:
        """One level deeper (brackets, \\hat{\\hat{..}}): refused past MAX_DEPTH."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            token = self.look()
            raise too_deep((token.start, token.end) if token else None).with_source(self.text)

    def _sum(self) -> Piece:
        parts, sign = [], self.look()
        if sign is not None and sign.is_char("+"):
            self.next()
        if sign is not None and sign.is_char("-", "\u2212"):
            self.next()
            parts.append(joined(["-", self.term().wrapped(PRODUCT)], NEGATION))
        else:
            parts.append(self.term())
        while (token := self.look()) is not None and token.is_char("+", "-", "\u2212"):
            self.next()
            parts += [" + " if token.text == "+" else " - ", self.term().wrapped(PRODUCT)]
        if token is not None and token.is_command("\\pm", "\\mp"):
            self.fail("± is two formulas; write one of them", token)
        return parts[0] if len(parts) == 1 else joined(parts, SUM)

    def term(self) -> Piece:
        factors = [self.factor()]
        while (token := self.look()) is not None:
            operator = OPERATORS.get(token.text[1:] if token.kind == "command" else token.text)
            if operator is not None and token.kind != "letter":
                self.next()
                factors += [f" {operator} ", self.factor().wrapped(POSTFIX)]
            elif self.starts_factor(token):
                factors += [" ", self.factor().wrapped(POSTFIX)]
            else:
                break
        if len(factors) == 1:
            return factors[0]
        return joined([factors[0].wrapped(PRODUCT)] + factors[1:], PRODUCT)

    def starts_factor(self, token: Token) -> bool:
        if token.kind in ("letter", "number"):
            return True
        if token.is_char("|") or token.text in NORM_BARS or token.text in ABS_BARS:
            return not (self.closers and self.closers[-1] == token.text) and token.text not in ("\\rvert", "\\rVert")
        if token.is_char("(", "[", "{"):
            return True
        if token.kind == "command":
            name = token.text[1:]
            if name in SIZES:
                following = self.peek(1)
                return name not in ("right",) and not name.endswith("r") and following is not None \
                    and following.text not in (")", "]", "\\}", "\\rbrace") and not (
                        self.closers and self.closers[-1] == following.text)
            return token.text not in ("\\\\", "\\}", "\\rbrace", "\\rvert", "\\rVert") and name not in QUADS \
                and token.text not in _DEFINES and name not in ("pm", "mp")
        return False

    def factor(self) -> Piece:
        token = self.look()
        if token is None:
            self.fail("the formula ends where an operand was expected", position=len(self.text))
        return self.postfix(self.primary(token))

    def postfix(self, piece: Piece) -> Piece:
        while (token := self.look()) is not None:
            if token.is_char("'"):
                self.next()
                self.note(f"read {self.text[piece.span[0]:token.end]} as a transpose (' is ^T)")
                piece = joined([piece.wrapped(ATOM), "^T"], POSTFIX)
            elif token.is_char("^"):
                piece = self.superscript(piece, token)
            elif token.is_char("_"):
                self.fail("a subscript here is not read: only a name, a norm or I_n and 1_n take one", token)
            elif token.is_char("!"):
                self.fail("a factorial is not a function matcalc can differentiate", token)
            else:
                return piece
        return piece

    def superscript(self, base: Piece, caret: Token) -> Piece:
        self.next()
        saved = self.i
        raw, position = self.script_raw()
        end = self.tokens[self.i - 1].end
        if raw in TRANSPOSE_MARKS:
            return joined([base.wrapped(ATOM), "^T"], POSTFIX)
        if raw == "-1":
            return joined([base.wrapped(ATOM), "^{-1}"], POSTFIX)
        if raw.startswith("-") and raw[1:] in TRANSPOSE_MARKS:
            return joined([base.wrapped(ATOM), "^{-T}"], POSTFIX)
        if raw.startswith("\\circ"):
            exponent = self.number_text(raw[len("\\circ"):], position, end)
            return joined([base.wrapped(ATOM), f".^({exponent})" if "/" in exponent else f".^{exponent}"],
                          POSTFIX)
        if re.fullmatch(r"-?(\\[dt]?frac)?\{?\d", raw[:9]) or _NUMBER.fullmatch(raw):
            return joined([base.wrapped(ATOM), "^{", self.number_text(raw, position, end), "}"], POSTFIX)
        if raw.startswith("("):
            self.fail("an index in brackets belongs to a name (W^{(1)}); here it is not read",
                      position=position, end=end)
        # e.g. \sigma^{\alpha}: an entrywise power by a scalar expression
        self.i = saved
        exponent = self.script_expression()
        return joined([base.wrapped(ATOM), ".^", exponent.wrapped(ATOM)], POSTFIX)

    def number_text(self, raw: str, position: int, end: int) -> str:
        r"""2, -1, 1/2, \frac{1}{2}, -\tfrac12 → a number in matcalc's language."""
        raw = raw.strip()
        sign = "-" if raw.startswith("-") else ""
        body = raw.lstrip("-")
        fraction = re.fullmatch(r"\\[dt]?frac(?:\{(\d+)\}|(\d))(?:\{(\d+)\}|(\d))", body)
        if fraction:
            body = f"{fraction.group(1) or fraction.group(2)}/{fraction.group(3) or fraction.group(4)}"
        if not _NUMBER.fullmatch(body):
            self.fail(f"the exponent '{raw}' is not a number", position=position, end=end)
        return sign + body
