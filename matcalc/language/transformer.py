"""Grammar rules → AST: the one place that knows the concrete syntax.

The transformer desugars as it builds (``A - B`` is ``Add(A, Product(-1, B))``,
``sigmoid`` is ``Func("sigma", ..)``), so the rest of matcalc sees only
primitive nodes, and it measures depth and size as the tree grows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from lark import Token

from ..errors import MatcalcError, MatcalcWarning, ParseError
from . import ast as A
from . import functions
from .declarations import Clause, Declaration, declaration_of, interpret_spec
from .limits import MAX_DEPTH, MAX_NODES, check_written_out, number_value, too_big, too_deep
from .names import GREEK_LETTERS, ascii_name, default_kind
from .product_chain import ProductChain, refuse_zero_divisor
from .records import quick_init
from .syntax_errors import token_span


# ------------------------------------------------------------------ results
@quick_init
@dataclass(frozen=True)
class Program:
    """``name = expr`` statements; the last one is the function to differentiate."""
    bindings: tuple[tuple[str, A.Expr], ...]
    result: A.Expr
    result_name: str | None = None


@dataclass(frozen=True)
class Condition:
    """``?A, ?B: constant square`` in a rule's where-clause."""
    names: tuple[str, ...]
    constant: bool
    declaration: Declaration | None


@dataclass(frozen=True)
class RuleText:
    """A parsed line of ``rules/*.rules``: ``name: lhs = rhs where ... # explanation``."""
    name: str
    lhs: A.Expr
    rhs: A.Expr
    conditions: tuple[Condition, ...]
    explanation: str


RESERVED = {"I": "the identity matrix", "ones": "the all-ones vector"}


def _check_definitions(statements) -> None:
    """SPEC §1 Programs: a name is defined once, before it is used."""
    defined: dict[str, int] = {}
    for index, statement in enumerate(statements):
        if isinstance(statement, tuple):
            name = statement[0]
            if name in defined:
                raise ParseError(f"{name} is defined twice (statements {defined[name] + 1} and {index + 1})",
                                 span=statement[1].span)
            defined[name] = index
    if not defined:             # a bare expression: no name to check
        return
    for index, statement in enumerate(statements):
        expr = statement[1] if isinstance(statement, tuple) else statement
        for node in A.walk(expr):
            if isinstance(node, A.Symbol) and defined.get(node.name, -1) >= index:
                where = "in its own definition" if defined[node.name] == index else "before it is defined"
                raise ParseError(f"{node.name} is used {where}", span=node.span)


def _definable(token: Token, functions_too: bool = False) -> str:
    """A name the user may declare (not I or ones) or define in a program (not
    a function's name either; σ may still be declared a scalar)."""
    name = ascii_name(str(token))
    what = RESERVED.get(name) or ("a function" if functions_too and functions.lookup(name) else None)
    if what:
        raise ParseError(f"'{token}' is reserved ({what}) and cannot be defined or declared",
                         span=token_span(token))
    return name


def _span(meta) -> tuple[int, int] | None:
    if getattr(meta, "empty", True):
        return None
    return (meta.start_pos, meta.end_pos)



class Build:
    """Grammar rules → AST, desugaring on the way (see ``matcalc.ast``): one
    method per grammar rule, called as the parser reduces the rule
    (``reductions``) with the rule's ``meta`` and its children already built."""

    def __init__(self, pattern_mode: bool, product_names: frozenset):
        self.pattern_mode = pattern_mode
        self.product_names = product_names   # names that multiply, not call: "W(x + b)"
        # id(node) → (depth, node); holding the node keeps its id from being
        # reused by a later object, which would inherit a wrong depth.
        self.depths: dict[int, tuple[int, A.Expr]] = {}
        self.nodes = 0
        self.failure: Exception | None = None     # the first error a method raised
        self.warnings: list[MatcalcWarning] = []  # said once the text has parsed

    def _made(self, node: A.Expr, *kids) -> A.Expr:
        """Every node is registered here, so depth and size are checked as the
        tree grows, before a later pass could recurse too deep."""
        if not kids:                    # a leaf: 1 deep, as an unregistered node reads (no entry needed)
            self.nodes += 1
            if self.nodes > MAX_NODES:
                raise too_big(node.span)
            return node
        d = 1
        for kid in kids:                # the deepest registered child (a leaf not registered is 1 deep)
            kid_depth = self.depths.get(id(kid), (1,))[0]
            if kid_depth >= d:
                d = kid_depth + 1
        self.nodes += 1
        if d > MAX_DEPTH:
            raise too_deep(node.span)
        if self.nodes > MAX_NODES:
            raise too_big(node.span)
        self.depths[id(node)] = (d, node)
        return node

    def finish(self, text: str) -> None:
        """Once the whole text has parsed: the warnings of its methods, then the
        first error one raised (``reductions``), as when the tree was walked after parsing."""
        for warning in self.warnings:
            warnings.warn(warning)
        if isinstance(self.failure, MatcalcError):
            raise self.failure.with_source(text) from None
        if self.failure is not None:
            raise self.failure          # a bug in matcalc: report what really went wrong

    # ---- programs and declarations
    def program(self, meta, items):
        statements = list(items)
        bindings = []
        for statement in statements[:-1]:
            if not isinstance(statement, tuple):
                raise ParseError("only the last statement may be a bare expression; "
                                 "write the others as 'name = expression'", span=statement.span)
            bindings.append(statement)
        _check_definitions(statements)
        check_written_out(statements)
        last = statements[-1]
        if isinstance(last, tuple):
            return Program(tuple(bindings), last[1], last[0])
        return Program(tuple(bindings), last)

    def assignment(self, meta, items):
        return (_definable(items[0], functions_too=True), items[1])

    def declarations(self, meta, items):
        return list(items)

    def declaration(self, meta, items):
        names = [_definable(t) for t in items[:-1]]
        return names, items[-1]

    def spec(self, meta, items):
        return interpret_spec(items, _span(meta))

    def rule(self, meta, items):
        name, lhs, rhs, *rest = items
        explanation = ""
        if rest and isinstance(rest[-1], Token) and rest[-1].type == "EXPLANATION":
            explanation = str(rest.pop())[1:].strip()
        return RuleText(name, lhs, rhs, tuple(rest), explanation)

    def rule_name(self, meta, items):
        return "-".join(str(token) for token in items if token.type == "NAME")

    def condition(self, meta, items):
        tokens = [item for item in items if isinstance(item, Token)]
        names = tuple(str(t) for t in tokens if t.type == "PATTERN_VAR")
        clause = next((item for item in items if isinstance(item, Clause)), None)
        declaration = None if clause is None else declaration_of(names[0].lstrip("?"), clause)
        return Condition(names, any(t.type == "CONSTANT" for t in tokens), declaration)

    # ---- leaves
    def symbol(self, meta, items):
        token = items[0]
        name = ascii_name(str(token))
        span = token_span(token)
        if name == "I":
            return self._made(A.Identity(span=span))
        if name == "ones":
            return self._made(A.Ones(span=span))
        return self._made(A.Symbol(name, span=span))

    def number(self, meta, items):
        return self._made(A.Number(number_value(items[0]), written_one=str(items[0]) == "1",
                                   span=token_span(items[0])))

    def negative_number(self, meta, items):
        return self._made(A.Number(-number_value(items[1]), span=_span(meta)))

    def pattern_var(self, meta, items):
        token = items[0]
        if not self.pattern_mode:
            raise ParseError("unexpected '?': pattern variables are only for rules",
                             span=token_span(token))
        return self._made(A.PatternVar(str(token), span=token_span(token)))

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
        for item in items:
            if isinstance(item, (Token, A.Det)):
                break
        else:       # operands side by side only (i x, A B x): one Product, as the chain would fold them
            end = items[-1].span
            return self._made(A.Product(tuple(items), span=(meta.start_pos, end[1] if end else meta.start_pos)),
                              *items)
        items = self._log_det(items)
        if len(items) == 1:
            return items[0]
        chain = ProductChain(self, meta.start_pos, items[0])
        operator = None
        for item in items[1:]:
            if isinstance(item, Token):
                operator = item
                continue
            chain.append(operator, item)
            operator = None
        return chain.finish()

    def _log_det(self, items: list) -> list:
        """``log det(X)``, as papers write it with a space, is logdet(X) (SPEC §11)."""
        merged: list = []
        for item in items:
            previous = merged[-1] if merged else None
            if isinstance(item, A.Det) and isinstance(previous, A.Symbol) and previous.name in ("log", "ln"):
                span = (previous.span[0], item.span[1]) if previous.span and item.span else None
                merged[-1] = self._made(A.LogDet(item.arg, span=span), item.arg)
            else:
                merged.append(item)
        return merged

    # ---- postfix
    def transpose(self, meta, items):
        return self._made(A.Transpose(items[0], span=_span(meta)), items[0])

    def inverse_transpose(self, meta, items):
        refuse_zero_divisor(items[0], _span(meta))
        inverse = A.Inverse(items[0], span=_span(meta))
        return self._made(A.Transpose(inverse, span=_span(meta)), items[0])

    def inverse(self, meta, items):
        refuse_zero_divisor(items[0], _span(meta))
        return self._made(A.Inverse(items[0], span=_span(meta)), items[0])

    def square(self, meta, items):
        return self._made(A.Power(items[0], A.number(2), span=_span(meta)), items[0])

    def power(self, meta, items):
        base, _, exponent = items
        refuse_zero_divisor(base, _span(meta), exponent)
        if isinstance(exponent, A.Expr):            # ?X^?k in a rule: ?k a whole number
            return self._made(A.Power(base, exponent, span=_span(meta)), base)
        if exponent == -1:
            return self._made(A.Inverse(base, span=_span(meta)), base)
        return self._made(A.Power(base, A.Number(exponent), span=_span(meta)), base)

    def pattern_exponent(self, meta, items):
        """?k or (?k - n) after ^ (rules only): a whole-number exponent a rule leaves open."""
        variable = self.pattern_var(meta, items[:1])
        if len(items) == 1:
            return variable
        return A.Add((variable, A.Number(-number_value(items[2]))))

    def exponent(self, meta, items):
        value = items[0]
        if len(items) == 3:
            denominator = number_value(items[2])
            if denominator == 0:
                raise ParseError("division by zero in an exponent", span=_span(meta))
            value = value / denominator
        return value

    def signed_number(self, meta, items):
        value = number_value(items[-1])
        return -value if len(items) == 2 else value

    def elementwise_power(self, meta, items):
        base, _, exponent = items
        if isinstance(exponent, A.Number):
            refuse_zero_divisor(base, _span(meta), exponent.value)
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
        entry = functions.lookup(name)
        if entry is not None and entry.arity == 2:                       # kron(A, B)
            if len(args) != 2:
                raise ParseError(f"{name} takes two arguments, {name}(A, B); got {len(args)}", span=span)
            return self._made(entry.node(tuple(args), span=span), *args)
        if entry is not None:
            arg = self._one(name, args, span)
            if entry.node is A.Func:
                return self._made(A.Func(entry.name, arg, span=span), arg)
            if entry.node is A.Inverse:
                refuse_zero_divisor(arg, span)
            return self._made(entry.node(arg, span=span), arg)
        if name not in self.product_names and name not in GREEK_LETTERS and name.lower() != name \
                and functions.lookup(name.lower()) is not None:
            # "Tr(A X)" would be a matrix Tr times A X: say what was meant.
            raise ParseError(f"'{raw}' is not a function: did you mean {name.lower()}(...)? (declare {raw} "
                             f"in the where clause to multiply by a matrix named {raw})", span=name_span)
        if self._multiplies(name):
            # "W(x + b)": a matrix (or declared symbol) times a parenthesised expression.
            arg = self._one(name, args, span)
            symbol = self.symbol(None, [Token("NAME", raw, start_pos=token.start_pos,
                                                end_pos=token.end_pos - 1)])
            return self._made(A.Product((symbol, arg), span=span), symbol, arg)
        known = ", ".join(sorted(functions.BY_NAME))
        raise ParseError(f"unknown function '{raw}'; known functions: {known} "
                         f"(for a product write '{raw} (...)' with a space)", span=name_span)

    def _multiplies(self, name: str) -> bool:
        return (name in self.product_names or name[:1].isupper()
                or default_kind(name) == "scalar" or name in ("I", "ones"))

    def _one(self, name, args, span):
        if len(args) != 1:
            raise ParseError(f"{name} takes one argument, got {len(args)}", span=span)
        return args[0]

    def norm(self, meta, items):
        arg = items[1]
        subscript = str(items[3])[1:] if len(items) > 3 else ""
        if subscript == "1":          # ||x||_1 = Σ |x_i|: no node of its own, the sum it is
            self.warnings.append(MatcalcWarning("||·||_1 is read as sum(abs(·)); where an entry is 0, abs has "
                                                "no derivative and the answer's sign(·) (0 there) is a subgradient"))
            magnitudes = self._made(A.Func("abs", arg, span=_span(meta)), arg)
            return self._made(A.Sum(magnitudes, span=_span(meta)), magnitudes)
        return self._made(A.Norm(arg, subscript, span=_span(meta)), arg)


# Every grammar rule with a method of its own (a rule without one stays a Lark Tree).
RULE_METHODS = {name: method for name, method in vars(Build).items()
                if not name.startswith("_") and name != "finish" and callable(method)}
