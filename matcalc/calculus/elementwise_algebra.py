"""Algebra of entrywise expressions, done by SymPy (SPEC §2; issue 13 item 2).

Entry by entry, ⊙, ./ and .^ are the multiplication, division and powers of
ordinary numbers, and exp, log, σ act on each entry: an expression built of
them is a scalar expression applied to every entry, and its algebra is
SymPy's.  So ``h1 .^ -1 ⊙ h1 ⊙ (1 - h1)`` cancels to ``1 - h1`` (x ./ x = 1),
and ``(1 + exp(z)) .^ -1 ⊙ exp(z)`` is recognised as ``σ(z)`` by writing
``exp(z)`` as ``σ(z) / (1 - σ(z))`` and cancelling.  Matrix products, traces
and anything else enter SymPy as opaque symbols and come back unchanged.  A
form is kept only when it is shorter, and only quotients (a negative .^) and
sums of entrywise products are tried, so σ(a) ⊙ (1 - σ(a)) stays the
textbook σ'.
"""

from __future__ import annotations

from fractions import Fraction

from ..language import ast as A
from ..language import functions
from ..rewriting.canon import canon
from ..shapes.env import TypeEnv
from .scalars import sympy_ordered as _ordered

SIGMA = "sigma"


def simplify_elementwise(expr: A.Expr, env: TypeEnv, names=()) -> A.Expr:
    """``expr`` with each quotient of entrywise factors in its shortest form."""
    grouped = _grouped(expr, env)
    if not _may_shorten(grouped, env):
        return grouped           # the common case: nothing to divide, no SymPy
    definitions = {name: d for name, d in names if _entrywise(d)}
    return canon(_visit(grouped, env, definitions), env)


def _may_shorten(expr, env) -> bool:
    """Whether a node of ``expr`` is a quotient or a sum of entrywise
    products, which SymPy may shorten; asked first of the node classes the
    tree holds (a quotient is a negative entrywise power, a sum of products
    a sum with a ⊙ in it), which most answers answer without a walk."""
    if not (A.holds(expr, A.ElemPow) or A.holds(expr, A.Add) and A.holds(expr, A.Hadamard)):
        return False
    return any(_is_quotient(node) or _sum_of_products(node, env) for node in A.walk(expr))


def _grouped(expr, env):
    """M u - M v as M (u - v): terms that end in entrywise factors after the
    same matrices are summed entry by entry, where SymPy may shorten them
    (X^T ((1 - y) ⊙ σ(z)) - X^T (y ⊙ (1 - σ(z))) is X^T (σ(z) - y))."""
    if not isinstance(expr, A.Add):
        return expr
    groups: dict = {}
    for term in expr.args:
        number, rest = A.split_coefficient(term)
        if isinstance(rest, A.Product) and _entrywise_term(rest.args[-1], env):
            key, last = rest.args[:-1], rest.args[-1]
        else:
            key, last = (), rest
        groups.setdefault(key, []).append(A.Product((A.Number(number), last)) if number != 1 else last)
    if all(len(terms) == 1 for key, terms in groups.items() if key):
        return expr
    rebuilt = []
    for key, terms in groups.items():
        summed = terms[0] if len(terms) == 1 else canon(A.Add(tuple(terms)), env)
        rebuilt.append(A.Product(key + (summed,)) if key else summed)
    grouped = canon(A.Add(tuple(rebuilt)) if len(rebuilt) > 1 else rebuilt[0], env)
    return grouped if A.size(grouped) < A.size(expr) else expr


def _entrywise_term(node, env) -> bool:
    return not env.is_scalar(node) and isinstance(node, (A.Hadamard, A.Func, A.ElemPow))


def _sum_of_products(node, env) -> bool:
    if not isinstance(node, A.Add) or env.is_scalar(node):
        return False
    bare = [A.split_coefficient(a)[1] for a in node.args]
    return any(isinstance(b, A.Hadamard) for b in bare) and all(
        isinstance(b, (A.Hadamard, A.Func, A.Symbol, A.Ones, A.ElemPow)) for b in bare)


def _is_quotient(node) -> bool:
    return isinstance(node, A.ElemPow) and isinstance(node.exponent, A.Number) and node.exponent.value < 0


def _entrywise(node) -> bool:
    """A definition that is entrywise at the top (h1 = exp(a1), a2 = 1 + h1),
    written out for SymPy; a1 = X w stays the atom a1."""
    return isinstance(node, (A.Hadamard, A.ElemPow, A.Add, A.Func))


def _visit(node, env, definitions):
    quotient = isinstance(node, (A.Hadamard, A.ElemPow)) and any(_is_quotient(n) for n in A.walk(node))
    if quotient or _sum_of_products(node, env):    # (1 - y) ⊙ σ(z) - y ⊙ (1 - σ(z)) = σ(z) - y
        return _shortest(node, env, definitions)
    kids = A.children(node)
    return A.with_children(node, [_visit(k, env, definitions) for k in kids]) if kids else node


def _shortest(node, env, definitions):
    import sympy
    translate = _ToSympy(env, env.shape(node), definitions)
    value = translate(node)
    forms = [value, sympy.cancel(value)]
    with_sigma = _with_sigma(forms[-1], translate)
    forms += [sympy.factor(forms[-1])] + with_sigma + [sympy.factor(form) for form in with_sigma]
    best = node
    for form in forms:
        try:
            candidate = canon(translate.entries(translate.back(form)), env)
        except ValueError:          # a form with no entrywise spelling (SymPy's own functions)
            continue
        if A.size(candidate) < A.size(best):
            best = candidate
    return best


def _sign_into_factor(value):
    """-a (h - 1) as a (1 - h): a minus sign goes into a factor whose number is
    negative, so σ' reads σ(z) ⊙ (1 - σ(z)) as in the textbook."""
    import sympy
    number, factors = value.as_coeff_mul()
    if number >= 0:
        return value
    for index, factor in enumerate(factors):
        if factor.is_Add and factor.as_coeff_add()[0] < 0:
            flipped = factors[:index] + (sympy.expand(-factor),) + factors[index + 1:]
            return sympy.Mul(-number, *flipped, evaluate=False)
    return value


def _with_sigma(value, translate) -> list:
    """exp(u) = σ(u) / (1 - σ(u)): the value in σ's, cancelled, for each exp."""
    import sympy
    found = []
    for power in sorted(value.atoms(sympy.exp), key=sympy.default_sort_key):
        s = translate.sigma(power.args[0])
        found.append(sympy.cancel(value.subs(power, s / (1 - s))))
    return found


class _ToSympy:
    """Entrywise AST of one shape ↔ SymPy; anything else is an opaque symbol."""

    def __init__(self, env: TypeEnv, shape, definitions: dict):
        import sympy
        self.env, self.shape, self.definitions = env, shape, definitions
        self.atoms: dict = {}
        self.nodes: dict = {}
        self.named: dict = {}          # SymPy value of a name's definition → the name
        self.sigmas: dict = {}         # SymPy argument → the symbol that stands for σ of it
        self.sigma_of: dict = {}       # that symbol → the argument
        self.by_sympy = {entry.sympy(sympy): entry.name for entry in functions.FUNCTIONS
                         if entry.sympy is not None and entry.node is A.Func}

    def sigma(self, argument):
        """σ(argument) as a symbol of its own (SymPy has no σ; SymPy gets no text)."""
        import sympy
        if argument not in self.sigmas:
            symbol = sympy.Symbol(f"_sigma{len(self.sigmas)}")
            self.sigmas[argument], self.sigma_of[symbol] = symbol, argument
        return self.sigmas[argument]

    def _same_shape(self, node) -> bool:
        return self.env.shape(node) == self.shape

    def __call__(self, node):
        import sympy
        if isinstance(node, A.Number):
            return sympy.Rational(node.value.numerator, node.value.denominator)
        if isinstance(node, A.Ones) and self._same_shape(node):
            return sympy.Integer(1)
        if isinstance(node, A.Symbol) and node.name in self.definitions and self._same_shape(node):
            value = self(self.definitions[node.name])
            self.named.setdefault(value, node)            # comes back as its name
            return value
        if isinstance(node, A.Hadamard) or (isinstance(node, A.Add) and self._same_shape(node)):
            op = sympy.Mul if isinstance(node, A.Hadamard) else sympy.Add
            return op(*[self(a) for a in node.args])
        if isinstance(node, A.Product) and self._same_shape(node) and \
                sum(not self.env.is_scalar(a) for a in node.args) == 1:
            return sympy.Mul(*[self(a) for a in node.args])          # c ⊙ entries, c scalar
        if isinstance(node, A.ElemPow) and isinstance(node.exponent, A.Number):
            value = node.exponent.value
            return sympy.Pow(self(node.base), sympy.Rational(value.numerator, value.denominator))
        if isinstance(node, A.Func) and self._same_shape(node):
            entry = functions.lookup(node.name)
            if entry is not None and entry.sympy is not None:
                return entry.sympy(sympy)(self(node.arg))
            if node.name == SIGMA:
                return self.sigma(self(node.arg))
        if node not in self.atoms:
            symbol = sympy.Symbol(f"_entry{len(self.atoms)}")
            self.atoms[node], self.nodes[symbol] = symbol, node
        return self.atoms[node]

    def back(self, value) -> A.Expr:
        import sympy
        if value in self.named:
            return self.named[value]
        if value.is_Rational:
            ones = A.Ones(*self.shape)
            return A.Product((self.back_number(value), ones)) if value != 1 else ones
        if value.is_Symbol:
            if value in self.sigma_of:
                return A.Func(SIGMA, self.back(self.sigma_of[value]))
            return self.nodes[value]
        if value.is_Add:
            return A.Add(tuple(self.entries(self.back(a)) for a in _ordered(value.args)))
        if value.is_Mul:
            value = _sign_into_factor(value)
            # numbers and scalars scale; the rest multiply entry by entry
            factors = [self.back(a) for a in _ordered(value.args) if not a.is_Rational]
            scalars = [f for f in factors if self.env.is_scalar(f)]
            entries = [f for f in factors if not self.env.is_scalar(f)]
            number = sympy.Mul(*[a for a in value.args if a.is_Rational])
            scale = ([self.back_number(number)] if number != 1 else []) + scalars
            body = (entries[0] if len(entries) == 1 else A.Hadamard(tuple(entries)) if entries
                    else A.Ones(*self.shape))         # c 1: a scalar term keeps the shape
            return A.Product(tuple(scale) + (body,)) if scale else body
        if value.is_Pow and value.exp.is_Rational:
            return A.ElemPow(self.back(value.base), self.back_number(value.exp))
        if value.func in self.by_sympy:                   # exp, log, tanh, ...
            return A.Func(self.by_sympy[value.func], self.back(value.args[0]))
        raise ValueError(f"no entrywise form for {value}")

    def entries(self, term: A.Expr) -> A.Expr:
        """A term of an entrywise sum, or a whole value, as a matrix of the
        value's shape: a scalar η is η 1 ((α 1) .^ -1 is α^{-1} 1, not α^{-1})."""
        return A.Product((term, A.Ones(*self.shape))) if self.env.is_scalar(term) else term

    @staticmethod
    def back_number(value) -> A.Number:
        return A.Number(Fraction(int(value.p), int(value.q)))

