"""Scalar algebra on the coefficients of an answer, done by SymPy.

An answer such as ``(1 - y) h1 (1 - h1) x / a3 - y (1 - h1) x`` with
``a3 = 1 - h1`` is a sum of terms that share the matrix part ``x``; the sum
of their scalar coefficients is ordinary algebra, ``h1 - y``, which SymPy
does well.  Everything that is not polynomial arithmetic on scalars (traces,
functions, inner products such as ``w^T x``) enters SymPy as an opaque
symbol and comes back unchanged.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import InternalError
from ..language import ast as A
from ..rewriting.canon import canon, product_atoms
from ..language.ast import split_coefficient
from ..shapes.env import TypeEnv


def simplify_coefficients(expr: A.Expr, env: TypeEnv, names: list) -> A.Expr:
    """Terms with one matrix part get one coefficient, simplified; kept only
    when that makes the answer shorter."""
    if not _may_collect(expr):
        return expr                # (most answers: one term, no 1 / (...))
    return _collected(expr, env, names)


def _may_collect(expr) -> bool:
    """Whether there may be coefficients to collect (a sum's) or a quotient
    to cancel (a negative power's)."""
    return isinstance(expr, A.Add) or A.holds(expr, A.Power)


def _collected(expr, env, names):
    terms = list(expr.args) if isinstance(expr, A.Add) else [expr]
    groups: dict = {}
    for term in terms:
        number, rest = split_coefficient(term)
        scalars, chain = _split(rest, env)
        groups.setdefault(tuple(chain), []).append([A.Number(number)] + scalars)
    if not any(len(g) > 1 or _has_division(g) for g in groups.values()):
        return expr
    translator = _ToSympy(env, names)
    if all(len(g) == 1 and translator.is_monomial(g[0]) for g in groups.values()):
        return expr               # c a^-1/2 b: nothing to collect, cancel or factor
    import sympy                  # only now: most answers need no scalar algebra
    rebuilt = []
    for chain, coefficients in groups.items():
        total = sum((sympy.Mul(*[translator(c) for c in factors]) for factors in coefficients),
                    sympy.Integer(0))
        candidates = [translator.back(form) for form in _forms(total) if not form.has(sympy.zoo)]
        if not candidates:
            return expr
        coefficient = min(candidates, key=lambda c: (A.size(canon(c, env)), A.dump(c)))
        rebuilt.append(canon(A.Product((coefficient,) + chain), env) if chain else coefficient)
    result = canon(A.Add(tuple(rebuilt)) if len(rebuilt) > 1 else rebuilt[0], env)
    return result if A.size(result) < A.size(expr) else expr


def _split(rest, env):
    """(scalar factors, matrix chain) of one term."""
    if rest is None:
        return [], []
    if isinstance(rest, A.Product):
        return product_atoms(rest, env)
    return ([rest], []) if env.is_scalar(rest) else ([], [rest])


def _has_division(coefficients) -> bool:
    return any(isinstance(node, A.Power) and isinstance(node.exponent, A.Number)
               and node.exponent.value < 0
               for factors in coefficients for factor in factors for node in A.walk(factor))


def _forms(total):
    """The sum as it is, cancelled and factored; polynomial algebra only on
    small exponents (beta^{1e100} or x^{1/1000} would never finish)."""
    import sympy
    exponents = [p.exp for p in total.atoms(sympy.Pow) if p.exp.is_Rational]
    if any(abs(e.p) > 12 or e.q > 12 for e in exponents) or total.has(sympy.zoo, sympy.nan):
        return [total]
    cancelled = sympy.cancel(total)
    return [total, cancelled, sympy.factor(cancelled)]


class _ToSympy:
    """AST scalars ↔ SymPy: numbers, sums, products and powers translate;
    anything else is an opaque symbol.  Names defined by such arithmetic
    (a3 = 1 - h1) are written out, so that SymPy sees a3 and 1 - h1 cancel."""

    def __init__(self, env: TypeEnv, names: list):
        self.env = env
        self.definitions = {name: definition for name, definition in names
                            if env.is_scalar(definition) and _is_arithmetic(definition)}
        self.atoms: dict = {}          # AST node → SymPy symbol
        self.nodes: dict = {}          # SymPy symbol → AST node

    def __call__(self, node: A.Expr):
        import sympy
        if isinstance(node, A.Number):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, A.Symbol) and node.name in self.definitions:
            return self(self.definitions[node.name])
        if isinstance(node, A.Add):
            return sympy.Add(*[self(a) for a in node.args])
        if isinstance(node, A.Product) and all(self.env.is_scalar(a) for a in node.args):
            return sympy.Mul(*[self(a) for a in node.args])
        if isinstance(node, A.Power) and isinstance(node.exponent, A.Number):
            value = node.exponent.value
            return sympy.Pow(self(node.base), sympy.Rational(value.numerator, value.denominator))
        if node not in self.atoms:
            symbol = sympy.Symbol(f"_atom{len(self.atoms)}")
            self.atoms[node], self.nodes[symbol] = symbol, node
        return self.atoms[node]

    def is_monomial(self, factors) -> bool:
        """Do ``factors`` enter SymPy as a number times powers of distinct
        opaque symbols (1/2 (x^T y)^{-1/2})?  Such a product is already as
        short as SymPy's cancel and factor would leave it."""
        numbers, bases = 0, []
        for factor in factors:
            if isinstance(factor, A.Number):
                numbers += 1
                continue
            base = factor.base if isinstance(factor, A.Power) and isinstance(factor.exponent, A.Number) else factor
            if not self._opaque(base):
                return False
            bases.append(base)
        return numbers <= 1 and len(set(bases)) == len(bases)

    def _opaque(self, node) -> bool:
        """Does ``node`` enter SymPy as a symbol of its own (``__call__``)?"""
        if isinstance(node, (A.Number, A.Add)):
            return False
        if isinstance(node, A.Symbol):
            return node.name not in self.definitions
        if isinstance(node, A.Product):
            return not all(self.env.is_scalar(a) for a in node.args)
        return not (isinstance(node, A.Power) and isinstance(node.exponent, A.Number))

    def back(self, value) -> A.Expr:
        if value.is_Rational:
            return A.Number(Fraction(int(value.p), int(value.q)))
        if value.is_Symbol:
            return self.nodes[value]
        if value.is_Add:
            return A.Add(tuple(self.back(a) for a in sympy_ordered(value.args)))
        if value.is_Mul:
            return A.Product(tuple(self.back(a) for a in sympy_ordered(value.args)))
        if value.is_Pow and value.exp.is_Rational:
            exponent = Fraction(int(value.exp.p), int(value.exp.q))
            return A.Power(self.back(value.base), A.Number(exponent))
        raise InternalError(f"SymPy gave back {value}, which is no scalar arithmetic")


def sympy_ordered(args):
    """Numbers first, then in SymPy's canonical order (deterministic)."""
    import sympy
    return sorted(args, key=lambda a: (not a.is_Number, sympy.default_sort_key(a)))


def _is_arithmetic(expr: A.Expr) -> bool:
    return isinstance(expr, (A.Add, A.Product, A.Number, A.Power)) and all(
        isinstance(n, (A.Add, A.Product, A.Number, A.Power, A.Symbol)) for n in A.walk(expr))
