"""Operands of the LaTeX reader: functions, brackets, bars, norms, fractions
(a mixin of ``reader.Reader``; SPEC §11)."""

from __future__ import annotations

import re

from .pieces import ATOM, POSTFIX, PRODUCT, Piece, joined, leaf
from .tokens import Token
from .vocabulary import (ABS_BARS, BOLD_FONTS, DECORATIONS, FUNCTION_COMMANDS, FUNCTION_WORDS, GREEK,
                         NORM_BARS, OPENERS, PLAIN_FONTS, REFUSED, SIZES, TRANSPOSE_MARKS)

_NORM_SUBSCRIPTS = {"2": "_2", "F": "_F", "\\mathrm{F}": "_F", "\\text{F}": "_F", "\\rm{}F": "_F",
                    "fro": "_F", "\\mathrm{fro}": "_F", "\\text{fro}": "_F", "\\mathsf{F}": "_F"}
_FRACTIONS = ("frac", "dfrac", "tfrac", "cfrac")
_SWITCHES = ("rm", "it", "sf", "cal", "bf", "bfseries")          # plain TeX's font switches: {\bf x}
_NAME_COMMANDS = set(GREEK) | set(DECORATIONS) | BOLD_FONTS | PLAIN_FONTS | {"ell"}   # what may start a name


class FunctionReading:
    def primary(self, token: Token) -> Piece:
        if token.kind == "number":
            self.next()
            return leaf(token.text, ATOM, token.start, token.end)
        if token.kind == "letter":
            return self._letters(token)
        if token.is_char("(", "[") or token.text in ("\\{", "\\lbrace", "\\lbrack", "\\lparen"):
            return self._in_brackets(token)
        if token.is_char("{"):
            return self._grouped_function() or self.script_expression()      # a group: {A}^T
        if token.text in ABS_BARS or token.text in NORM_BARS:
            return self.bars(token)
        if token.kind != "command":
            self.fail(f"unexpected '{token.text}'", token)
        name = token.text[1:]
        if name in SIZES:
            return self._sized(token)
        if name in REFUSED:
            self.fail(REFUSED[name], token)
        if name == "sigma" and self._opens_after():
            self.next()
            return self.apply("sigma", token)
        if name in FUNCTION_COMMANDS or (name in FUNCTION_WORDS and name not in GREEK):
            self.next()
            return self.apply(FUNCTION_COMMANDS.get(name) or FUNCTION_WORDS[name], token)
        if name in _FRACTIONS:
            return self._fraction(token)
        if name == "sqrt":
            self.next()
            if self.look() is not None and self.look().is_char("["):
                self.fail("a root other than the square root is not read; write ^{1/n}", self.look())
            inner = self.argument()
            return joined(["sqrt(", inner, ")"], ATOM)
        if name == "max":
            return self._relu(token)
        if name in PLAIN_FONTS | BOLD_FONTS:
            return self._font(token, name)
        if name in GREEK or name == "ell" or name in DECORATIONS:
            piece = self.name_atom()
            following = self.look()
            typed = self.text[token.start:self.tokens[self.i - 1].end]
            if piece.text == "sigma" and following is not None and following.is_char("^"):
                self.note(f"read {typed}^… as the scalar σ to a power (σ( is the logistic function)")
            elif self.hints.get(piece.text, ("",))[0] == "scalar" and self._opens_here():
                self.note(f"read {typed}(…) as the scalar {piece.text} times (…), not a function")
            return piece
        self.fail(f"the LaTeX command '{token.text}' is not read", token)

    def _differential(self, d: Token) -> Piece:
        r"""\mathrm{d}\mathbf{x} → dx: the differential of a name (``--compare-steps`` lines only)."""
        piece = self.name_atom()
        if piece.level != ATOM or not re.fullmatch(r"\w+", piece.text) or piece.text in ("I", "ones"):
            self.fail("a differential is of one name: dx, \\mathrm{d}\\mathbf{W}", d, end=self.tokens[self.i - 1].end)
        return leaf("d" + piece.text, ATOM, d.start, self.tokens[self.i - 1].end)

    def _grouped_function(self) -> Piece | None:
        r"""{\rm tr}(A): a function's name set in a group of its own, applied after it; else None."""
        switch, at = self.peek(1), self.i + 2
        if switch is None or switch.kind != "command" or switch.text[1:] not in _SWITCHES:
            return None
        while at < len(self.tokens) and self.tokens[at].kind == "letter":
            at += 1
        word = "".join(t.text for t in self.tokens[self.i + 2:at])
        if word not in FUNCTION_WORDS or at >= len(self.tokens) or not self.tokens[at].is_char("}"):
            return None
        self.i = at + 1
        return self.apply(FUNCTION_WORDS[word], switch)

    # ---- letters
    def _letters(self, token: Token) -> Piece:
        run, at = token.text, self.i + 1
        while at < len(self.tokens) and self.tokens[at].kind == "letter" and self.tokens[at].start == \
                self.tokens[at - 1].end:
            run += self.tokens[at].text
            at += 1
        following = self.tokens[at] if at < len(self.tokens) else None
        if (run in FUNCTION_WORDS or run == "sigma") and following is not None and following.is_char("("):
            self.i = at
            return self.apply(FUNCTION_WORDS.get(run, "sigma"), token)
        if token.text == "d" and self.differentials and (name := self.peek(1)) is not None \
                and name.start == token.end and (name.kind == "letter" or name.text[1:] in _NAME_COMMANDS):
            self.next()                                       # dx, d\mathbf{W}: in a hand derivation's line
            return self._differential(token)
        if token.text == "e" and (caret := self.peek(1)) is not None and caret.is_char("^"):
            saved = self.i
            self.next()
            raw = self.peek_script_raw()
            if raw not in TRANSPOSE_MARKS and raw != "-1" and not raw.startswith(("(", "-\\top", "-T")) \
                    and raw not in ("*", "\\ast", "\\star"):
                self.next()
                return joined(["exp(", self.script_expression(), ")"], ATOM)
            self.i = saved
        return self.name_atom()

    def script_expression(self) -> Piece:
        """A superscript read as an expression: e^{-x^T x / 2}."""
        token = self.look()
        if token is not None and token.is_char("{"):
            self.next()
            inner = self._inside("}")
            self.expect("}")
            return inner
        if token is None:
            self.fail("the formula ends where an operand was expected", position=len(self.text))
        return self.primary(token)

    def _inside(self, closer: str) -> Piece:
        """The expression up to ``closer`` (a bar inside brackets opens a new one)."""
        self.closers.append(closer)
        try:
            return self.expression()
        finally:
            self.closers.pop()

    def argument(self) -> Piece:
        r"""One argument of \frac or \sqrt: a braced group or one token (\frac12)."""
        token = self.look()
        if token is None:
            self.fail("an argument is missing at the end", position=len(self.text))
        if token.is_char("{"):
            return self.script_expression()
        if token.kind == "number" and len(token.text) > 1:
            # \frac12: TeX takes one digit at a time
            self.tokens[self.i] = Token("number", token.text[1:], token.start + 1, token.end)
            return leaf(token.text[0], ATOM, token.start, token.start + 1)
        return self.primary(token)

    def _font(self, token: Token, name: str) -> Piece:
        opening = self.peek(1)
        word = None
        if opening is not None and opening.is_char("{"):
            close = self.matching_brace(self.i + 1)
            word = re.sub(r"\\[,;:! ]|\s", "", self.text[opening.end:self.tokens[close].start])
        elif name in _SWITCHES and opening is not None and opening.kind == "letter":
            close = self.i + 1                  # {\rm tr}: the switch applies to the letters that follow
            while close + 1 < len(self.tokens) and self.tokens[close + 1].kind == "letter" \
                    and self.tokens[close + 1].start == self.tokens[close].end:
                close += 1
            word = self.text[opening.start:self.tokens[close].end]
        if word is not None:
            if word.startswith("arg"):
                self.fail(REFUSED["arg"], token, end=self.tokens[close].end)
            if word in FUNCTION_WORDS and (name in PLAIN_FONTS and name != "mathit" or len(word) > 1):
                self.i = close + 1
                return self.apply(FUNCTION_WORDS[word], token)
            if name in ("text", "textrm", "mbox") and len(word) > 1:
                self.fail(f"the words '{word}' are not part of a formula", token, end=self.tokens[close].end)
            following = self.tokens[close + 1] if close + 1 < len(self.tokens) else None
            if word == "e" and name in ("mathrm", "text", "textrm") and following is not None \
                    and following.is_char("^"):             # \mathrm{e}^{x}: Euler's number
                self.i = close + 2
                return joined(["exp(", self.script_expression(), ")"], ATOM)
            if word == "d" and self.differentials and name in ("mathrm", "text", "operatorname", "textrm"):
                self.i = close + 1
                return self._differential(token)
            if name == "mathrm" and word == "d":
                self.fail("a differential d is not read: write the function and ask for its derivative", token,
                          end=self.tokens[close].end)
            if name == "mathbb" and word not in ("1", "I"):
                self.fail(REFUSED["mathbb"], token, end=self.tokens[close].end)
            if name in ("operatorname", "operatorname*") and word not in FUNCTION_WORDS:
                self.fail(f"unknown function \\operatorname{{{word}}}; the functions are "
                          f"{', '.join(sorted(set(FUNCTION_WORDS)))}", token, end=self.tokens[close].end)
        return self.name_atom()

    # ---- functions
    def _opens_here(self) -> bool:
        """Whether a bracket opens here: (, [, \\{, \\left(, \\big\\{ ... (an argument follows)."""
        token = self.look()
        if token is not None and token.kind == "command" and token.text[1:] in SIZES:
            token = self.peek(1)
        return token is not None and token.text in OPENERS

    def _opens_after(self) -> bool:
        """Whether a bracket opens after the current token (spacing skipped: \\sigma\\!\\left()."""
        saved = self.i
        self.i += 1
        try:
            return self._opens_here()
        finally:
            self.i = saved

    def apply(self, name: str, start: Token) -> Piece:
        r"""A function applied: to its bracketed argument, else to the rest of the product
        (\log\det X, \ln\sigma(a), \mathrm{tr}\, X^\top A X)."""
        token = self.look()
        if token is not None and token.is_char("^", "_"):
            self.fail(f"a {'power' if token.text == '^' else 'subscript'} of the function is not read: "
                      f"write (\\{name} x)^2 with brackets", token)
        if name == "log" and token is not None and (token.is_command("\\det") or self._upright(token, "det")):
            self._skip_function_name(token)
            name, token = "logdet", self.look()
        if name == "log" and token is not None and (token.text in ABS_BARS or token.is_command("\\left") and
                                                     self.peek(1) is not None and self.peek(1).text in ABS_BARS):
            kind, inner = self.bars_content(token)
            if kind == "det":
                self.note(f"read \\log|{self.typed(inner)}| as logdet({inner.text})")
                return joined(["logdet(", inner, ")"], ATOM)
            return joined(["log(abs(", inner, "))"], ATOM)
        if self._opens_here():
            argument = self._in_brackets(token, inner=True)
        elif token is None or not self.starts_factor(token):
            self.fail(f"the function {self.text[start.start:self.tokens[self.i - 1].end]} has no argument",
                      start, end=self.tokens[self.i - 1].end)
        else:
            argument = self.term()
        return joined([leaf(name, ATOM, start.start, start.end), "(", argument, ")"], ATOM)

    def _upright(self, token, word) -> bool:
        following = self.peek(1)
        return token.kind == "command" and token.text[1:] in PLAIN_FONTS and following is not None and \
            following.is_char("{") and self.text[following.end:following.end + len(word) + 1] == word + "}"

    def _skip_function_name(self, token):
        self.next()
        if token.text != "\\det":
            self.i = self.matching_brace(self.i) + 1

    def _relu(self, token: Token) -> Piece:
        self.next()
        opening = self.look()
        if not self._opens_here():
            self.fail(REFUSED["min"].replace("minimum", "maximum"), token)
        closer, sized = self._opening(opening)
        first = self._inside(closer)
        self.expect(",")
        second = self._inside(closer)
        self._closing(closer, sized)
        if first.text == "0" or second.text == "0":
            return joined(["relu(", second if first.text == "0" else first, ")"], ATOM)
        self.fail("a maximum of two expressions is not read; max{0, x} is relu(x)", token,
                  end=self.tokens[self.i - 1].end)

    # ---- brackets
    def _opening(self, token: Token) -> tuple[str, bool]:
        """Consume an opening bracket (\\left(, \\big[, {); its closer and whether it was sized."""
        sized = token.kind == "command" and token.text[1:] in SIZES
        if sized:
            self.next()
            token = self.look()
            if token is None:
                self.fail("a bracket is missing after \\left or \\big", position=len(self.text))
        self.next()
        text = token.text
        closer = OPENERS.get(text) or ABS_BARS.get(text) or NORM_BARS.get(text)
        if closer is None:
            self.fail(f"'{text}' does not open a bracket", token)
        return closer, sized

    def _closing(self, closer: str, sized: bool) -> None:
        token = self.look()
        if token is not None and token.kind == "command" and token.text[1:] in SIZES:
            self.next()
        token = self.look()
        if token is None or token.text != closer:
            found = f"'{token.text}'" if token is not None else "the end"
            self.fail(f"expected '{closer}' to close the bracket, found {found}", token,
                      position=len(self.text))
        self.next()

    def _in_brackets(self, token: Token, inner: bool = False) -> Piece:
        closer, sized = self._opening(token)
        content = self._inside(closer)
        self._closing(closer, sized)
        return content if inner else joined(["(", content, ")"], ATOM)

    def _sized(self, token: Token) -> Piece:
        delimiter = self.peek(1)
        if delimiter is not None and (delimiter.text in ABS_BARS or delimiter.text in NORM_BARS):
            return self.bars(token)
        return self._in_brackets(token)

    def bars(self, token: Token) -> Piece:
        """|x| (abs), |X| of a matrix (its determinant), \\|x\\|_2^2 (a norm)."""
        delimiter = self.peek(1) if token.kind == "command" and token.text[1:] in SIZES else token
        if delimiter.text in NORM_BARS:
            closer, sized = self._opening(token)
            content = self._inside(closer)
            self._closing(closer, sized)
            subscript = ""
            if (mark := self.look()) is not None and mark.is_char("_"):
                self.next()
                raw, position = self.script_raw()
                if raw == "1" and re.fullmatch(r"[a-z][A-Za-z0-9_]*", content.text) \
                        and self.hints.get(content.text, ("vector",))[0] == "vector":
                    # the 1-norm of a vector (lasso): the sum of the absolute values of its entries
                    self.note(f"read \\|{self.typed(content)}\\|_1 as sum(abs({content.text}))")
                    return joined(["sum(abs(", content, "))"], ATOM)
                if raw not in _NORM_SUBSCRIPTS:
                    self.fail(f"the norm _{raw} is not read: only the 2-norm, the Frobenius norm (_F) "
                              "and the 1-norm of a vector", mark, end=self.tokens[self.i - 1].end)
                subscript = _NORM_SUBSCRIPTS[raw]
            return joined(["||", content, "||" + subscript], ATOM)
        kind, content = self.bars_content(token)
        if kind == "det":
            self.note(f"read |{self.typed(content)}| as det({content.text}): it is a matrix")
        elif self.hints.get(content.text, ("",))[0] == "vector":
            self.fail(f"|{self.typed(content)}| of a vector could be its norm or the absolute values of its entries: "
                      f"write \\|{self.typed(content)}\\| or \\operatorname{{abs}}({self.typed(content)})",
                      token, end=self.tokens[self.i - 1].end)
        return joined([kind + "(", content, ")"], ATOM)

    def typed(self, piece: Piece) -> str:
        """The LaTeX a piece was read from."""
        return self.text[slice(*piece.span)].strip() if piece.span else piece.text

    def bars_content(self, token: Token) -> tuple[str, Piece]:
        """The content of |…| and whether it is a determinant (of a matrix) or an absolute value."""
        closer, sized = self._opening(token)
        content = self._inside(closer)
        self._closing(closer, sized)
        # a matrix (|X|, |\lambda I - A|) has a capital and no lower-case Latin letter in it
        names = re.findall(r"(?<![\^A-Za-z0-9_])[A-Za-z][A-Za-z0-9_]*(?![A-Za-z0-9_(])", content.text)
        matrix = any(n[0].isupper() for n in names) and not any(
            n[0].islower() and n not in GREEK.values() for n in names)
        return ("det" if matrix else "abs"), content

    def _fraction(self, token: Token) -> Piece:
        self.next()
        top = self.argument()
        bottom = self.argument()
        if top.text.isdigit() and bottom.text.isdigit():
            return Piece(f"{top.text}/{bottom.text}", PRODUCT, ((0, len(top.text) + len(bottom.text) + 1,
                                                                  token.start, self.tokens[self.i - 1].end),))
        # \frac{1}{N}, \frac{\lambda}{2N}, \frac{..}{\sqrt{d_k}}: what only divides is a number, not a matrix
        if re.fullmatch(r"(\d+|[A-Za-z][A-Za-z0-9_]*|sqrt\(|\)|\^\{\d+\}| )+", bottom.text):
            for name in re.findall(r"[A-Za-z][A-Za-z0-9_]*(?!\()", bottom.text):
                if name not in self.hints and name not in ("I", "ones"):
                    self.hint(name, "scalar", name, *bottom.span)
                    self.note(f"read {name} as a scalar: it divides")
        return joined([top.wrapped(PRODUCT), " / ", bottom.wrapped(POSTFIX)], PRODUCT)
