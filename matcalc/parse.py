"""Text → expression trees, with the grammar in ``grammar/matcalc.lark``.

One Lark LALR parser serves three entry points: programs (what the user
differentiates), declarations (``--where``) and rule patterns (``rules/``).
The transformer below is the only place that knows the concrete syntax; it
desugars as it builds, so the rest of matcalc sees only primitive nodes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError
from lark.visitors import Transformer_NonRecursive

from . import ast as A
from .errors import LimitError, MatcalcError, ParseError
from .resources import data_file

# Limits that keep every later (recursive) pass safe; see README "Limits".
MAX_INPUT_CHARS = 100_000
MAX_DEPTH = 200              # nesting levels; a flat chain a + b + ... is one level
MAX_NODES = 5_000            # nodes of the tree, after a program's names are written out
MAX_NUMBER_DIGITS = 100      # a literal's digits: 10^(10^9) would take minutes to build
MAX_NUMBER_EXPONENT = 100    # |e| in 1e100
MAX_SIZE = 1_000_000         # a declared dimension, "A: 3 x 4"

GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ι": "iota", "κ": "kappa", "λ": "lambda",
    "μ": "mu", "ν": "nu", "ξ": "xi", "ο": "omicron", "π": "pi", "ρ": "rho", "σ": "sigma",
    "ς": "sigma", "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi",
    "ψ": "psi", "ω": "omega",
    "Α": "Alpha", "Β": "Beta", "Γ": "Gamma", "Δ": "Delta", "Ε": "Epsilon", "Ζ": "Zeta",
    "Η": "Eta", "Θ": "Theta", "Ι": "Iota", "Κ": "Kappa", "Λ": "Lambda", "Μ": "Mu",
    "Ν": "Nu", "Ξ": "Xi", "Ο": "Omicron", "Π": "Pi", "Ρ": "Rho", "Σ": "Sigma",
    "Τ": "Tau", "Υ": "Upsilon", "Φ": "Phi", "Χ": "Chi", "Ψ": "Psi", "Ω": "Omega",
}

ELEMENTWISE_ALIASES = {"sigmoid": "sigma", "logistic": "sigma"}
UNARY_CALLS = {
    "softmax": A.Softmax, "logsoftmax": A.LogSoftmax, "tr": A.Trace, "trace": A.Trace,
    "det": A.Det, "logdet": A.LogDet, "sum": A.Sum, "mean": A.Mean, "diag": A.Diag,
    "vec": A.Vec, "inv": A.Inverse, "norm": A.Norm,
}
KNOWN_FUNCTIONS = sorted(set(A.ELEMENTWISE_FUNCTIONS) | set(ELEMENTWISE_ALIASES)
                         | set(UNARY_CALLS) | {"kron"})

# Tokens after which a norm bar closes the innermost open norm.
_OPERAND_END = {"NAME", "NUMBER", "PATTERN_VAR", "TEE", "TRANSPOSE", "INVERSE_SUP",
                "SQUARE_SUP", "NORM_CLOSE", "NORM_SUB", "RPAR", "RBRACE"}

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


def ascii_name(name: str) -> str:
    """``Φ2`` → ``Phi2``: Greek letters are stored by their English names."""
    return "".join(GREEK.get(ch, ch) for ch in name)


class _NormBars:
    """Post-lexer: a norm bar opens a norm unless it can close an open one.

    ``||a|| ||b||`` is two norms; ``||A x - b||`` one.  A bar closes the
    innermost open norm when the token before it ends an operand.
    """
    always_accept = ("NORM_BAR",)

    def process(self, stream):
        open_norms = 0
        previous = None
        for token in stream:
            if token.type == "NORM_BAR":
                if open_norms and previous is not None and previous.type in _OPERAND_END:
                    token = Token.new_borrow_pos("NORM_CLOSE", token, token)
                    open_norms -= 1
                else:
                    token = Token.new_borrow_pos("NORM_OPEN", token, token)
                    open_norms += 1
            previous = token
            yield token


@lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(data_file("grammar", "matcalc.lark").read_text(encoding="utf-8"),
                parser="lalr", start=["program", "declarations", "pattern"],
                postlex=_NormBars(), propagate_positions=True, maybe_placeholders=False)


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class Program:
    """``name = expr`` statements; the last one is the function to differentiate."""
    bindings: tuple[tuple[str, A.Expr], ...]
    result: A.Expr
    result_name: str | None = None


@dataclass(frozen=True)
class Declaration:
    kind: str                       # scalar | vector | matrix
    symmetric: bool = False
    positive_definite: bool = False
    probability: bool = False
    rows: object = None             # int, a dimension name, or None
    cols: object = None
    span: tuple[int, int] | None = field(default=None, compare=False)


# ------------------------------------------------------------------ transformer
def _span(meta) -> tuple[int, int] | None:
    if getattr(meta, "empty", True):
        return None
    return (meta.start_pos, meta.end_pos)


def _tok_span(token: Token) -> tuple[int, int]:
    return (token.start_pos, token.end_pos)


def _too_deep(span, written_out: bool = False) -> LimitError:
    what = "the program, with its names written out," if written_out else "the expression"
    return LimitError(f"{what} nests more than {MAX_DEPTH} levels deep", span=span)


def _too_big(span, written_out: bool = False) -> LimitError:
    what = "the program, with its names written out," if written_out else "the expression"
    return LimitError(f"{what} has more than {MAX_NODES:,} parts (symbols, numbers and "
                      "operations)", span=span)


def _number_value(token: Token) -> Fraction:
    """The exact value of a NUMBER token, refused before it is built if it is
    absurdly long or large (Fraction("1e999999999") would not finish)."""
    text = str(token)
    mantissa, _, exponent = text.lower().partition("e")
    digits = len(mantissa.replace(".", ""))
    exponent_digits = exponent.lstrip("+-")
    if digits > MAX_NUMBER_DIGITS or len(exponent_digits) > len(str(MAX_NUMBER_EXPONENT)) \
            or (exponent_digits and int(exponent_digits) > MAX_NUMBER_EXPONENT):
        raise LimitError(f"the number '{_shorten(text)}' is too long or too large (at most "
                         f"{MAX_NUMBER_DIGITS} digits and an exponent up to e{MAX_NUMBER_EXPONENT})",
                         span=_tok_span(token))
    return Fraction(text)


def _shorten(text: str, keep: int = 20) -> str:
    return text if len(text) <= 2 * keep else f"{text[:keep]}…{text[-keep:]}"


# Which n-ary node each product-level operator builds (None: juxtaposition).
_PRODUCT_KINDS = {None: A.Product, "STAR": A.Product, "SLASH": A.Product,
                  "HADAMARD": A.Hadamard, "ELDIV": A.Hadamard, "KRON": A.Kron}


class _ProductChain:
    """Folds ``f1 op f2 op f3 ...`` left to right into n-ary nodes: operands
    are collected while the operator keeps building the same kind of node
    (``*``, ``/`` and juxtaposition all build a Product), and the run is closed
    into one node when the kind changes (``A B ⊙ C`` is ``(A B) ⊙ C``)."""

    def __init__(self, builder: "_Build", start: int, first: A.Expr):
        self.builder = builder
        self.start = start
        self.kind = None
        self.operands = [first]

    def append(self, operator: Token | None, operand: A.Expr) -> None:
        operator_type = operator.type if operator else None
        kind = _PRODUCT_KINDS[operator_type]
        if self.kind is not None and kind is not self.kind:
            self.operands = [self._close()]
        self.kind = kind
        if operator_type in ("SLASH", "ELDIV"):
            _refuse_zero_divisor(operand, operand.span)
        if operator_type == "SLASH":
            self._divide(operand)
        elif operator_type == "ELDIV":
            reciprocal = A.ElemPow(operand, A.MINUS_ONE, span=operand.span)
            self.operands.append(self.builder._made(reciprocal, operand))
        else:
            self.operands.append(operand)

    def _divide(self, divisor: A.Expr) -> None:
        if len(self.operands) == 1 and isinstance(self.operands[0], A.Number) \
                and isinstance(divisor, A.Number):
            # A fraction of two literals is a number: "1/2 x^T x".
            span = (self.start, _end(divisor, self.start))
            self.operands[0] = A.Number(self.operands[0].value / divisor.value, span=span)
            return
        reciprocal = A.Power(divisor, A.MINUS_ONE, from_division=True, span=divisor.span)
        self.operands.append(self.builder._made(reciprocal, divisor))

    def _close(self) -> A.Expr:
        if len(self.operands) == 1:
            return self.operands[0]
        span = (self.start, _end(self.operands[-1], self.start))
        return self.builder._made(self.kind(tuple(self.operands), span=span), *self.operands)

    def finish(self) -> A.Expr:
        return self._close()


def _end(node: A.Expr, default: int) -> int:
    return node.span[1] if node.span else default


def _refuse_zero_divisor(divisor: A.Expr, span, exponent=Fraction(-1)) -> None:
    """A literal 0 divided by, inverted or raised to a negative power is
    refused here: later passes would carry 0^-1 along and fail obscurely."""
    if isinstance(divisor, A.Number) and divisor.value == 0 and exponent < 0:
        raise ParseError("division by zero", span=span)


def _check_written_out(statements) -> None:
    """The function is the last statement with the earlier names written out
    (substituted), and ``a2 = a1 a1; a3 = a2 a2; ...`` doubles at every line.
    Measure that tree without building it, and refuse it if it is too big or
    too deep for the later passes."""
    measured: dict[str, tuple[int, int]] = {}    # name → (nodes, depth) written out
    for statement in statements:
        name, expr = statement if isinstance(statement, tuple) else (None, statement)
        nodes, depth = _written_out_size(expr, measured)
        if name is not None:
            measured[name] = (nodes, depth)
    is_program = len(statements) > 1
    if depth > MAX_DEPTH:
        raise _too_deep(expr.span, written_out=is_program)
    if nodes > MAX_NODES:
        raise _too_big(expr.span, written_out=is_program)


def _written_out_size(expr: A.Expr, measured: dict) -> tuple[int, int]:
    """(nodes, depth) of ``expr`` with the names in ``measured`` written out.
    Recursive: a statement is at most MAX_DEPTH deep, checked as it was built."""
    if isinstance(expr, A.Symbol) and expr.name in measured:
        return measured[expr.name]
    nodes, depth = 1, 0
    for kid in A.children(expr):
        kid_nodes, kid_depth = _written_out_size(kid, measured)
        nodes, depth = nodes + kid_nodes, max(depth, kid_depth)
    # Capped, so that a doubling program keeps small numbers.
    return min(nodes, MAX_NODES + 1), min(depth + 1, MAX_DEPTH + 1)


@v_args(meta=True)
class _Build(Transformer_NonRecursive):
    """Parse tree → AST, desugaring on the way (see ``matcalc.ast``)."""

    def __init__(self, pattern_mode: bool, product_names: frozenset):
        super().__init__()
        self.pattern_mode = pattern_mode
        self.product_names = product_names   # names that multiply, not call: "W(x + b)"
        # id(node) → (depth, node); holding the node keeps its id from being
        # reused by a later object, which would inherit a wrong depth.
        self.depths: dict[int, tuple[int, A.Expr]] = {}
        self.nodes = 0

    def _made(self, node: A.Expr, *kids) -> A.Expr:
        """Every node is registered here, so depth and size are checked as the
        tree grows, before a later pass could recurse too deep."""
        d = 1 + max((self.depths.get(id(k), (1,))[0] for k in kids), default=0)
        self.nodes += 1
        if d > MAX_DEPTH:
            raise _too_deep(node.span)
        if self.nodes > MAX_NODES:
            raise _too_big(node.span)
        self.depths[id(node)] = (d, node)
        return node

    # ---- programs and declarations
    def program(self, meta, items):
        statements = list(items)
        bindings = []
        for statement in statements[:-1]:
            if not isinstance(statement, tuple):
                raise ParseError("only the last statement may be a bare expression; "
                                 "write the others as 'name = expression'", span=statement.span)
            bindings.append(statement)
        _check_written_out(statements)
        last = statements[-1]
        if isinstance(last, tuple):
            return Program(tuple(bindings), last[1], last[0])
        return Program(tuple(bindings), last)

    def assignment(self, meta, items):
        return (ascii_name(str(items[0])), items[1])

    def declarations(self, meta, items):
        return list(items)

    def declaration(self, meta, items):
        names = [ascii_name(str(t)) for t in items[:-1]]
        return names, items[-1]

    def spec(self, meta, items):
        return _interpret_spec(items, _span(meta))

    def pattern(self, meta, items):
        return items[0]

    # ---- leaves
    def symbol(self, meta, items):
        token = items[0]
        name = ascii_name(str(token))
        span = _tok_span(token)
        if name == "I":
            return self._made(A.Identity(span=span))
        if name == "ones":
            return self._made(A.Ones(span=span))
        return self._made(A.Symbol(name, span=span))

    def number(self, meta, items):
        return self._made(A.Number(_number_value(items[0]), span=_tok_span(items[0])))

    def negative_number(self, meta, items):
        return self._made(A.Number(-_number_value(items[1]), span=_span(meta)))

    def pattern_var(self, meta, items):
        token = items[0]
        if not self.pattern_mode:
            raise ParseError("unexpected '?': pattern variables are only for rules",
                             span=_tok_span(token))
        return self._made(A.PatternVar(str(token), span=_tok_span(token)))

    # ---- sums
    def terms(self, meta, items):
        """``a + b - c``: one n-ary Add, however long the chain."""
        operands = [items[0]]
        for sign, term in zip(items[1::2], items[2::2]):
            operands.append(term if sign.type == "PLUS" else self._negative(term))
        return self._made(A.Add(tuple(operands), span=_span(meta)), *operands)

    def negate(self, meta, items):
        return self._negative(items[1], _span(meta))

    def _negative(self, expr, span=None):
        if isinstance(expr, A.Number) and expr.value != 1:
            # (a literal 1 may still turn out to be the ones vector: z - 1)
            return A.Number(-expr.value, span=span or expr.span)
        return self._made(A.Product((A.MINUS_ONE, expr), span=span or expr.span), expr)

    # ---- products
    def factors(self, meta, items):
        """``A B ⊙ C / s``: runs of one kind of product become one n-ary node,
        left to right, so ``a^T A1 ... A200 b`` is one Product, not 200 levels."""
        chain = _ProductChain(self, meta.start_pos, items[0])
        operator = None
        for item in items[1:]:
            if isinstance(item, Token):
                operator = item
                continue
            chain.append(operator, item)
            operator = None
        return chain.finish()

    # ---- postfix
    def transpose(self, meta, items):
        return self._made(A.Transpose(items[0], span=_span(meta)), items[0])

    def inverse_transpose(self, meta, items):
        _refuse_zero_divisor(items[0], _span(meta))
        inverse = A.Inverse(items[0], span=_span(meta))
        return self._made(A.Transpose(inverse, span=_span(meta)), items[0])

    def inverse(self, meta, items):
        _refuse_zero_divisor(items[0], _span(meta))
        return self._made(A.Inverse(items[0], span=_span(meta)), items[0])

    def square(self, meta, items):
        return self._made(A.Power(items[0], A.number(2), span=_span(meta)), items[0])

    def power(self, meta, items):
        base, _, exponent = items
        _refuse_zero_divisor(base, _span(meta), exponent)
        if exponent == -1:
            return self._made(A.Inverse(base, span=_span(meta)), base)
        return self._made(A.Power(base, A.Number(exponent), span=_span(meta)), base)

    def exponent(self, meta, items):
        value = items[0]
        if len(items) == 3:
            denominator = _number_value(items[2])
            if denominator == 0:
                raise ParseError("division by zero in an exponent", span=_span(meta))
            value = value / denominator
        return value

    def signed_number(self, meta, items):
        value = _number_value(items[-1])
        return -value if len(items) == 2 else value

    def elementwise_power(self, meta, items):
        base, _, exponent = items
        if isinstance(exponent, A.Number):
            _refuse_zero_divisor(base, _span(meta), exponent.value)
        return self._made(A.ElemPow(base, exponent, span=_span(meta)), base, exponent)

    # ---- calls and norms
    def call(self, meta, items):
        token, args = items[0], items[1:]
        raw = str(token)[:-1]
        name = ascii_name(raw)
        span = _span(meta)
        name_span = (token.start_pos, token.end_pos - 1)
        if name == "d" and self.pattern_mode:
            return self._made(A.Differential(self._one(name, args, span), span=span), *args)
        if self.pattern_mode and raw.startswith("?"):
            # "?f(X)" in a rule: any elementwise function; "?f'(X)" its derivative.
            arg = self._one(raw, args, span)
            return self._made(A.Func(raw, arg, span=span), arg)
        if name in ("numel", "identity") and self.pattern_mode:
            # Rules only: the number of entries of a matrix, a scalar; the
            # identity with as many rows as the argument.
            arg = self._one(name, args, span)
            return self._made(A.Func(name, arg, span=span), arg)
        if name == "commutation" and self.pattern_mode and len(args) == 2:
            # Rules only: commutation(?X, ?Y) is K_{rows X, rows Y}; the pair
            # travels as a Kron so that shapes see both.
            pair = A.Kron(tuple(args), span=span)
            return self._made(A.Func(name, pair, span=span), *args)
        if name in A.ELEMENTWISE_FUNCTIONS or name in ELEMENTWISE_ALIASES:
            canonical = ELEMENTWISE_ALIASES.get(name, name)
            arg = self._one(name, args, span)
            return self._made(A.Func(canonical, arg, span=span), arg)
        if name in UNARY_CALLS:
            arg = self._one(name, args, span)
            if UNARY_CALLS[name] is A.Inverse:
                _refuse_zero_divisor(arg, span)
            return self._made(UNARY_CALLS[name](arg, span=span), arg)
        if name == "kron":
            if len(args) != 2:
                raise ParseError(f"kron takes two arguments, kron(A, B); got {len(args)}", span=span)
            return self._made(A.Kron(tuple(args), span=span), *args)
        if self._multiplies(name):
            # "W(x + b)": a matrix (or declared symbol) times a parenthesised expression.
            arg = self._one(name, args, span)
            symbol = self.symbol(None, [Token("NAME", raw, start_pos=token.start_pos,
                                                end_pos=token.end_pos - 1)])
            return self._made(A.Product((symbol, arg), span=span), symbol, arg)
        raise ParseError(f"unknown function '{raw}'; known functions: {', '.join(KNOWN_FUNCTIONS)} "
                         f"(for a product write '{raw} (...)' with a space)", span=name_span)

    def _multiplies(self, name: str) -> bool:
        from .shapes import default_kind  # names' default kinds live with the shapes
        return (name in self.product_names or name[:1].isupper()
                or default_kind(name) == "scalar" or name in ("I", "ones"))

    def _one(self, name, args, span):
        if len(args) != 1:
            raise ParseError(f"{name} takes one argument, got {len(args)}", span=span)
        return args[0]

    def norm(self, meta, items):
        arg = items[1]
        subscript = str(items[3])[1:] if len(items) > 3 else ""
        return self._made(A.Norm(arg, subscript, span=_span(meta)), arg)


# ------------------------------------------------------------------ declarations
_KIND_WORDS = {
    ("positive", "definite"): "positive definite",
    ("probability", "vector"): "probability vector",
    ("symmetric", "matrix"): "symmetric",
    ("column", "vector"): "vector",
    ("pd",): "positive definite", ("spd",): "positive definite",
    ("probability",): "probability vector", ("symmetric",): "symmetric",
    ("scalar",): "scalar", ("vector",): "vector", ("matrix",): "matrix",
    ("square",): "square",
}
_KINDS_HELP = "scalar, vector, matrix, symmetric, positive definite, probability vector"


def _size_value(text: str, token: Token) -> int:
    """A declared dimension: a positive whole number up to MAX_SIZE."""
    if not re.fullmatch(r"\d+", text) or not text.strip("0"):
        raise ParseError(f"a size must be a positive whole number, not '{_shorten(text)}'",
                         span=_tok_span(token))
    if len(text.lstrip("0")) > len(str(MAX_SIZE)) or int(text) > MAX_SIZE:
        raise LimitError(f"the size {_shorten(text)} is over the limit of {MAX_SIZE:,}",
                         span=_tok_span(token))
    return int(text)


def _interpret_spec(tokens, span) -> Declaration:
    """``positive definite``, ``3 x 4``, ``symmetric n x n``, ``p×n`` → Declaration."""
    words = []
    for token in tokens:
        text = str(token)
        # "3x4" lexes as NUMBER "3", NAME "x4": split the size back apart.
        m = re.fullmatch(r"x(\d+)", text)
        if token.type == "NAME" and m and words and words[-1][0] == "dim":
            words.append(("times", token))
            words.append(("dim", _size_value(m.group(1), token), token))
            continue
        if token.type == "NUMBER":
            words.append(("dim", _size_value(text, token), token))
        elif token.type == "TIMES" or text in ("x", "by"):
            words.append(("times", token))
        else:
            words.append(("word", text.lower(), token))

    kinds, dims = [], []
    i = 0
    while i < len(words):
        entry = words[i]
        if entry[0] == "word":
            pair = tuple(w[1] for w in words[i:i + 2] if w[0] == "word")
            if len(pair) == 2 and pair in _KIND_WORDS:
                kinds.append(_KIND_WORDS[pair])
                i += 2
                continue
            if (entry[1],) in _KIND_WORDS:
                kinds.append(_KIND_WORDS[(entry[1],)])
                i += 1
                continue
            # A lower-case word that is not a kind is a dimension name ("p x n").
            if dims or (i + 1 < len(words) and words[i + 1][0] == "times") or len(words) == 1:
                if len(words) == 1:
                    raise ParseError(f"unknown kind '{entry[1]}'; expected one of {_KINDS_HELP}, "
                                     "or a size such as '3 x 4'", span=_tok_span(entry[2]))
                dims.append(str(entry[2]))
                i += 1
                continue
            raise ParseError(f"unknown kind '{entry[1]}'; expected one of {_KINDS_HELP}, "
                             "or a size such as '3 x 4'", span=_tok_span(entry[2]))
        if entry[0] == "dim":
            dims.append(entry[1])
        elif entry[0] == "times":
            if not dims or i + 1 == len(words) or words[i + 1][0] == "times":
                raise ParseError("a size reads 'rows x cols'", span=_tok_span(entry[1]))
        i += 1

    base_kinds = {"scalar", "vector", "matrix"} & set(kinds)
    if len(base_kinds) > 1 or ("scalar" in kinds and len(set(kinds)) > 1):
        raise ParseError(f"conflicting kinds: {' and '.join(sorted(set(kinds)))}", span=span)

    if len(dims) > 2:
        raise ParseError("a size has at most two dimensions, 'rows x cols'", span=span)
    kind = kinds[-1] if kinds else None
    symmetric = "symmetric" in kinds or "positive definite" in kinds
    positive_definite = "positive definite" in kinds
    probability = "probability vector" in kinds
    if kind in ("symmetric", "positive definite", "square"):
        kind = "matrix"
    if kind == "probability vector":
        kind = "vector"
    rows = cols = None
    if len(dims) == 2:
        rows, cols = dims
        if kind is None:
            kind = "matrix"
    elif len(dims) == 1:
        rows = dims[0]
        if kind is None:
            kind = "vector"
        elif kind == "matrix":
            cols = rows            # "S: symmetric 4": a 4×4 matrix
    if kind is None:
        raise ParseError(f"expected a kind ({_KINDS_HELP}) or a size", span=span)
    if kind == "scalar" and dims:
        raise ParseError("a scalar has no size", span=span)
    if kind == "vector" and len(dims) == 2 and dims[1] != 1:
        raise ParseError("a vector's size is its length, e.g. 'x: 5'", span=span)
    if kind == "vector" and len(dims) == 2:
        rows = dims[0]
    if (symmetric or "square" in kinds) and rows is not None and cols is not None and rows != cols:
        raise ParseError("a symmetric matrix is square", span=span)
    return Declaration(kind, symmetric, positive_definite, probability, rows,
                       1 if kind == "vector" else cols, span)


# ------------------------------------------------------------------ entry points
def _describe(expected) -> str:
    names = sorted({_TOKEN_NAMES.get(t, f"'{t}'") for t in expected
                    if not t.startswith("__") and t != "PATTERN_VAR"})
    if not names:
        return ""
    if len(names) > 8:
        names = names[:8] + ["…"]
    return "expected " + ", ".join(names)


def _syntax_error(error: UnexpectedInput, text: str) -> ParseError:
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


def _run(text: str, start: str, pattern_mode=False, product_names=frozenset()):
    if not isinstance(text, str):
        raise ParseError(f"expected a string, not {type(text).__name__}")
    if len(text) > MAX_INPUT_CHARS:
        raise LimitError(f"the input has {len(text):,} characters; the limit is {MAX_INPUT_CHARS:,}",
                         source=text, span=(MAX_INPUT_CHARS, len(text)))   # the part over it
    if not text.strip():
        raise ParseError("the input is empty", source=text)
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    builder = _Build(pattern_mode, product_names)
    try:
        return builder.transform(tree)
    except VisitError as error:
        inner = error.orig_exc
        if isinstance(inner, MatcalcError):
            raise inner.with_source(text) from None
        raise inner from error      # a bug in matcalc: report what really went wrong


def parse_program(text: str, declared_names=()) -> Program:
    """Parse what the user differentiates: an expression or a ``;``-separated program."""
    return _run(text, "program", product_names=frozenset(declared_names))


def parse_expression(text: str, declared_names=()) -> A.Expr:
    program = parse_program(text, declared_names)
    if program.bindings or program.result_name:
        raise ParseError("expected a single expression, not a program", source=text)
    return program.result


def parse_pattern(text: str) -> A.Expr:
    """One side of a rule, with ``?A`` pattern variables and ``d(..)``."""
    return _run(text, "pattern", pattern_mode=True)


def parse_declarations(text: str) -> dict[str, Declaration]:
    """``"alpha, c: scalar; S: symmetric; A: 3 x 4"`` → {name: Declaration}."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return {}
    if not isinstance(text, str):
        raise ParseError(f"the declarations (where) must be a string, not {type(text).__name__}")
    result: dict[str, Declaration] = {}
    for names, declaration in _run(text, "declarations"):
        for name in names:
            result[name] = declaration
    return result
