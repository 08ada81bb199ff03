"""Names in LaTeX (SPEC §11): fonts, indices and decorations → a plain name.

``\\mathbf{W}^{(1)}``, ``W_1`` and ``W_{1}`` are ``W1``; ``x_t`` stays ``x_t``;
``\\boldsymbol{\\mu}`` is ``mu`` (a vector: it is bold); ``\\hat{y}`` is
``yhat``.  The reader keeps each name's spelling as typed, so the answer can
be printed in the user's notation.
"""

from __future__ import annotations

import re

from ..names import ascii_name
from .pieces import ATOM, POSTFIX, Piece, joined, leaf
from .vocabulary import BOLD_FONTS, DECORATIONS, GREEK, PLAIN_FONTS, SIZES, TRANSPOSE_MARKS

_INDEX_CHARACTER = {",": "_", "-": "m", "+": "p"}


class NameReading:
    """The name part of the LaTeX reader (a mixin of ``reader.Reader``)."""

    def name_atom(self) -> Piece:
        """A symbol with its font, index and decorations, as one plain name."""
        start = self.look().start
        stem, bold = self.stem()
        index = ""
        while True:
            end = self.tokens[self.i - 1].end        # (look() below may pass spacing and &)
            token = self.look()
            if token is not None and token.is_char("_"):
                self.next()
                index = _joined_index(index, self.index_text(*self.script_raw()))
                continue
            if token is not None and token.is_char("^"):
                raw = self.peek_script_raw()
                if raw in ("*", "\\ast", "\\star"):
                    self.next()
                    self.script_raw()
                    stem += "star"
                    continue
                layer = re.fullmatch(r"(\((?:\\?[A-Za-z0-9]+[-+]?)+\))(.*)", raw)
                if layer and (not layer.group(2) or layer.group(2) in TRANSPOSE_MARKS):
                    self.next()
                    self.script_raw()
                    index = _joined_index(index, self.index_text(layer.group(1)[1:-1], token.start))
                    if layer.group(2):               # x^{(i)\top}: the index and a transpose
                        typed = f"{self.text[start:token.start].strip()}^{{{layer.group(1)}}}"
                        end = self.tokens[self.i - 1].end
                        return joined([self.symbol(stem, index, bold, start, end, typed), "^T"], POSTFIX)
                    continue
            break
        return self.symbol(stem, index, bold, start, end)

    def symbol(self, stem: str, index: str, bold: bool, start: int, end: int, typed: str | None = None) -> Piece:
        if stem in ("I", "1"):                   # I_n, \mathbf{1}_n: sizes are inferred
            return leaf("I" if stem == "I" else "ones", ATOM, start, end)
        name = stem + index
        typed = typed or self.text[start:end].strip()
        if typed.isascii():                    # (α typed as a character prints as \alpha: LaTeX wants ASCII)
            self.spellings.setdefault(name, typed)
        if bold:
            self.hint(name, "matrix" if stem[:1].isupper() else "vector", typed, start, end)
        elif stem in GREEK.values() and stem[:1].islower():
            self.hint(name, "scalar", typed, start, end)        # so that \mu and \boldsymbol{\mu} clash
        elif stem[:1].islower() and stem[:1].isascii():
            self.plain_lower.setdefault(name, (typed, start, end))
        return leaf(name, ATOM, start, end)

    def stem(self) -> tuple[str, bool]:
        """The letters of a name and whether they are bold."""
        token = self.next()
        if token is None:
            self.fail("the formula ends where a name was expected", position=len(self.text))
        if token.kind == "letter":
            digits = self.peek()
            if digits is not None and digits.kind == "number" and digits.start == token.end \
                    and digits.text.isdigit():    # W1 typed as in matcalc's own language
                self.next()
                return token.text + digits.text, False
            return ascii_name(token.text), False             # α typed as a character: alpha
        command = token.text[1:]
        if command in GREEK:
            return GREEK[command], False
        if command == "ell":
            return "l", False
        if command in DECORATIONS:
            inner, bold = self.braced(self.stem)
            return inner + DECORATIONS[command], bold
        if command in BOLD_FONTS or command in PLAIN_FONTS:
            word = self.font_word()
            if word is not None:
                return word, command in BOLD_FONTS
            inner, bold = self.braced(self.stem)
            return inner, bold or command in BOLD_FONTS
        self.fail(f"expected a name, not '{token.text}'", token)

    def font_word(self) -> str | None:
        r"""A run of letters in a font command's braces (\mathit{xh}, \mathbf{1}), or None."""
        opening, *rest = self.tokens[self.i:self.i + 3] + [None, None]
        if opening is None or not opening.is_char("{"):
            return None
        close = self.matching_brace(self.i)
        inside = self.text[opening.end:self.tokens[close].start].replace("\\_", "_").strip()
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*|1", inside):
            self.i = close + 1
            return inside
        return None

    def braced(self, read):
        """``read`` inside braces, or on the one token that follows."""
        depth = self.depth
        try:
            self.nested()
            token = self.look()
            if token is not None and token.is_char("{"):
                self.next()
                result = read()
                self.expect("}")
                return result
            return read()
        finally:
            self.depth = depth

    def index_text(self, raw: str, position: int) -> str:
        r"""A subscript as part of a plain name: 1 → 1, t → t, \mathrm{B} → B, t-1 → tm1."""
        words = re.sub(r"\\(mathrm|mathit|text|mathbf|boldsymbol|bm|textrm|operatorname)\b", "", raw)
        words = re.sub(r"\*|\\ast|\\star", "star", words)           # k_* of Rasmussen & Williams
        words = re.sub(r"\\([A-Za-z]+)", lambda m: GREEK.get(m.group(1), m.group(1)), words)
        text = "".join(_INDEX_CHARACTER.get(c, c) for c in words if c.isalnum() or c in _INDEX_CHARACTER)
        if not text or not text.isascii():
            self.fail(f"cannot read the index '{raw}' as part of a name", position=position)
        return text

    def script_raw(self) -> tuple[str, int]:
        """The LaTeX of a sub- or superscript (braces dropped), consumed."""
        token = self.next()
        if token is None:
            self.fail("a ^ or _ needs something after it", position=len(self.text))
        if token.is_char("{"):
            close = self.matching_brace(self.i - 1)
            raw = self.text[token.end:self.tokens[close].start]
            self.i = close + 1
            return _bare(raw), token.start
        if token.kind == "command" and token.text[1:] in PLAIN_FONTS | BOLD_FONTS | SIZES \
                and self.look() is not None and self.look().is_char("{"):
            close = self.matching_brace(self.i)
            raw = self.text[token.start:self.tokens[close].end]
            self.i = close + 1
            return _bare(raw), token.start
        if token.kind == "number" and len(token.text) > 1 and token.text.isdigit():
            # TeX takes one digit: x^23 is x^2 3; matcalc reads x^{23}, what was meant
            return token.text, token.start
        return token.text, token.start

    def peek_script_raw(self) -> str:
        saved = self.i
        self.next()                    # the ^
        raw = self.script_raw()[0] if self.look() is not None else ""
        self.i = saved
        return raw


def _bare(raw: str) -> str:
    """The script's text without spaces and without braces around all of it."""
    raw = re.sub(r"\\(scriptscriptstyle|scriptstyle|textstyle|displaystyle|[,;:!])", "", raw)
    raw = re.sub(r"(?<=\\rm|\\sf|\\tt)\s+(?=[A-Za-z])", "{}", raw)      # {\rm T}: \rm{}T, not \rmT
    raw = re.sub(r"(?<!\\)\s+", "", raw)
    while raw.startswith("{") and raw.endswith("}") and _balanced(raw[1:-1]):
        raw = raw[1:-1]
    return raw


def _balanced(text: str) -> bool:
    depth = 0
    for c in text:
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth < 0:
            return False
    return depth == 0


def _joined_index(index: str, more: str) -> str:
    """W + 1 → W1; x + t → x_t; a second index after the first with an underscore."""
    if not index and more.isdigit():
        return more
    return f"{index}_{more}"
