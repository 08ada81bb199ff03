"""Random well-typed matcalc inputs, and an oracle that does not trust matcalc.

The generator writes expressions in the source language of SPEC §1 as a user
would type them, together with a ``where`` declaration and a ``wrt`` symbol.
It is *typed*: every sub-expression is built for a target shape (scalar,
vector of length ``n``, ``m×n`` matrix, or ``mn``-long vectors for ``vec`` and
``⊗``) over the symbolic dimensions ``m``, ``n``, ``p``, so every case is
well formed by construction.  Domains are kept safe by construction too:
``log`` and ``sqrt`` only see positive expressions, ``tan`` bounded ones,
inverses and determinants well-conditioned ones (positive definite sums,
or square symbols drawn as ``n I + 0.3 R``, diagonally dominant whatever
the expression does with them).

Every piece of an expression is a ``Term``: its text, how tightly that text
binds (to place parentheses), and a NumPy function computing its value from
the symbols' values.  That function is the *intended meaning* of the text,
written here independently of matcalc's parser and evaluator, so the tests
can compare matcalc with it (see the oracle section at the end).

One grammar, two drivers: ``cases()`` is a Hypothesis strategy (shrinks;
with ``derandomize=True`` CI is reproducible) and ``random_case(seed, index)``
draws the very same grammar from ``random.Random`` for ``benchmarks/soak.py``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

# ------------------------------------------------------------------ grammar levels
# How tightly a piece of text binds, loosest first (the grammar's precedence):
# an operand that binds less tightly than its position needs gets parentheses.
SUM, NEGATION, PRODUCT, POSTFIX, ATOM = range(5)

DIMS = ("m", "n", "p")

# Features a case can use; tests switch some off (known unsupported) or demand them.
FEATURES = frozenset({
    "vec", "kron", "symbolic-exponent", "program", "ones", "identity", "inverse", "det",
    "logdet", "softmax", "diag", "norm", "matrix-power", "trace", "probability", "symmetric",
    "positive-definite", "hadamard", "elementwise", "sum", "mean", "scalar-power",
    "transpose",                # of compound expressions ((A B)^T, v^T 1, E E^T); symbols are always transposed
    "negative-matrix-power",    # S^{-2}
    "minus-one",                # x - 1 with a bare 1
    "sum-of-scalar",            # sum(tr(X)), mean(alpha)
    "norm-square-sign",         # ||A||_F², ||x||_2²
    "flat-scalar-chain",        # x^T y z: a scalar run inside one juxtaposition chain
    "logsoftmax",               # logsoftmax(z), log(softmax(z))
    "ones-sum",                 # 1^T v, v^T 1
    "compound-matrix-power",    # (A + B)^2; a symbol's power A^2 is always on
    "det-of-inverse",           # det(inv(S)), logdet(S^{-1})
    "scalar-hadamard",          # alpha ⊙ beta, alpha ./ beta
    # issue 24's internal-error classes: a scalar's transpose after a power
    # (.^ -1ᵀ), a power of a power ((rho^(1/3))^{2}), and one scalar symbol in
    # several 1×1 groups of one product ((rho a^T b) rho (c^T d) rho^{5/3})
    "transposed-scalar", "nested-scalar-power", "repeated-scalar", "scalar-groups",
    "scaled-inverse",           # (1 / (2 ρ)) among the scalar groups: a number's power inside an inverse
    "layer-norm",               # mu = mean(v); c = v - mu 1; s = mean(c ⊙ c); c / sqrt(s + 0.5), stackable
    "split-declarations",       # S: 3 x 3; S: symmetric — one symbol's declaration over several clauses
    "data-symbols",             # x: data, the wrt symbol too (asked for by name it is derived)
})


# ------------------------------------------------------------------ shapes
@dataclass(frozen=True)
class Shape:
    """Rows and columns as sorted tuples of dimension names; ``()`` is 1."""
    rows: tuple = ()
    cols: tuple = ()

    @property
    def is_scalar(self) -> bool:
        return not self.rows and not self.cols

    @property
    def is_vector(self) -> bool:
        return bool(self.rows) and not self.cols

    @property
    def is_row(self) -> bool:
        return not self.rows and bool(self.cols)

    @property
    def is_matrix(self) -> bool:
        return bool(self.rows) and bool(self.cols)

    @property
    def is_square(self) -> bool:
        return bool(self.rows) and self.rows == self.cols

    @property
    def has_product_dim(self) -> bool:
        return len(self.rows) > 1 or len(self.cols) > 1

    @property
    def T(self) -> "Shape":
        return Shape(self.cols, self.rows)

    def numeric(self, sizes: dict) -> tuple[int, int]:
        return math.prod(sizes[d] for d in self.rows), math.prod(sizes[d] for d in self.cols)


def dims(*names) -> tuple:
    return tuple(sorted(names))


def kron_factors(shape: Shape) -> list[tuple[Shape, Shape]]:
    """The ways to write a shape as the shape of A ⊗ B with neither A nor B a
    scalar: rows(A) rows(B) = rows, cols(A) cols(B) = cols."""
    names = [("r", d) for d in shape.rows] + [("c", d) for d in shape.cols]
    ways = set()
    for mask in range(1, 2 ** len(names) - 1):
        sides = ([], []), ([], [])
        for position, (axis, name) in enumerate(names):
            side = sides[(mask >> position) & 1]
            side[0 if axis == "r" else 1].append(name)
        left, right = (Shape(dims(*rows), dims(*cols)) for rows, cols in sides)
        ways.add((left, right))
    return sorted(ways, key=repr)


SCALAR = Shape()


# ------------------------------------------------------------------ terms and symbols
@dataclass
class Point:
    """Values of the symbols (2-D arrays) at given sizes of m, n, p."""
    values: dict
    sizes: dict


@dataclass(frozen=True)
class Term:
    text: str
    level: int
    value: Callable[[Point], np.ndarray]     # the intended meaning, independent of matcalc
    form: str = "compound"                   # the production that made it; "leaf" for symbols, numbers
    chain: tuple = ()                        # shapes of the factors matcalc flattens a product into


def scalar_run_inside(chain: tuple) -> bool:
    """Whether a flattened product has a run of two or more factors that
    multiplies out to a scalar, with more factors around it (x^T y z)."""
    for i, first in enumerate(chain):
        if first.rows:
            continue
        for j in range(i + 1, len(chain)):
            if not chain[j].cols and (i > 0 or j < len(chain) - 1) and \
                    any(not f.is_scalar for f in chain[i:j + 1]):
                return True
    return False


@dataclass
class SymbolSpec:
    name: str
    kind: str                       # scalar | vector | matrix
    shape: Shape
    symmetric: bool = False
    positive_definite: bool = False
    probability: bool = False
    conditioned: bool = False       # square, drawn as n I + 0.3 R (it is inverted)
    spelling: str = ""              # how the expression writes it ("α" for alpha)


# Names as SPEC §1 reads them by default; other kinds must be declared.
SPEC_GREEK_SCALARS = {"alpha", "beta", "gamma", "delta", "epsilon", "eps", "eta", "theta", "kappa",
                      "lambda", "mu", "nu", "rho", "tau", "phi", "psi", "omega"}


def spec_default_kind(name: str) -> str:
    if name[:1].isupper():
        return "matrix"
    stem = ""
    for ch in name:
        if not ch.isalpha():
            break
        stem += ch
    return "scalar" if stem in SPEC_GREEK_SCALARS else "vector"


SCALAR_NAMES = ["alpha", "beta", "gamma", "lambda", "eta", "rho", "tau", "theta", "c", "k"]
VECTOR_NAMES = ["x", "y", "u", "v", "w", "b", "z", "q", "r", "a1", "h_2", "x_t", "s", "mu"]
MATRIX_NAMES = ["A", "B", "C", "W", "X", "Y", "W1", "W_2", "Phi", "M", "G", "H", "Sigma"]
SQUARE_NAMES = ["D", "F", "L", "N", "U", "V"]          # inverted, so drawn well-conditioned
PD_NAMES = ["S", "P", "K", "Lambda", "Q"]
BINDING_STEMS = ["h", "a", "z", "t", "H", "g"]
UNICODE_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "lambda": "λ", "eta": "η", "rho": "ρ",
                 "tau": "τ", "theta": "θ", "Phi": "Φ", "Sigma": "Σ", "Lambda": "Λ", "mu": "μ"}


@dataclass
class Case:
    """One generated input, with its intended meaning."""
    expression: str
    wrt: str
    where: str
    symbols: dict                   # name → SymbolSpec
    function: Callable[[Point], np.ndarray]
    features: frozenset
    kinks: tuple                    # values that must stay away from 0 (abs, relu, norms)

    def __repr__(self) -> str:
        return f"matcalc.derive({self.expression!r}, wrt={self.wrt!r}, where={self.where!r})"

    @property
    def wrt_spec(self) -> SymbolSpec:
        return self.symbols[self.wrt]


# ------------------------------------------------------------------ choices
class RandomChoices:
    """Choices from a seeded ``random.Random`` (the soak run)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)

    def index(self, weights: list[int]) -> int:
        return self.rng.choices(range(len(weights)), weights=weights)[0]


class HypothesisChoices:
    """Choices drawn by Hypothesis; they shrink toward the first option."""

    def __init__(self, draw):
        self.draw = draw

    def index(self, weights: list[int]) -> int:
        ticket = self.draw(st.integers(0, sum(weights) - 1))
        for position, weight in enumerate(weights):
            if ticket < weight:
                return position
            ticket -= weight
        raise AssertionError("unreachable")


# ------------------------------------------------------------------ NumPy meaning
def _times(left, right):
    """Matrix product where a 1×1 factor is a scalar (as in SPEC §1)."""
    if left.shape == (1, 1):
        return left[0, 0] * right
    if right.shape == (1, 1):
        return left * right[0, 0]
    return left @ right


def _sigma(x):
    """1 / (1 + e^{-x}) to full relative precision on both sides (0.5 (1 +
    tanh(x/2)) is 1 - 1 + e^x at x = -37, three digits off)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _softmax(z):
    """Column by column (SPEC §1: samples are columns); a vector is one column."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _logsoftmax(z):
    top = z.max(axis=0, keepdims=True)
    return z - top - np.log(np.exp(z - top).sum(axis=0, keepdims=True))


def _product_of(values) -> np.ndarray:
    result = values[0]
    for value in values[1:]:
        result = _times(result, value)
    return result


def _scalar(x) -> np.ndarray:
    return np.array([[x]], dtype=float)


def _logdet(a):
    sign, logabs = np.linalg.slogdet(a)
    return _scalar(logabs if sign > 0 else np.nan)


ELEMENTWISE = {
    "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
    "sqrt": np.sqrt, "abs": np.abs, "sigma": _sigma, "relu": lambda x: np.maximum(x, 0.0),
    "softplus": lambda x: np.logaddexp(0.0, x),
}
# Functions defined and smooth everywhere (kinks of abs/relu are tracked separately).
FREE_FUNCTIONS = ["exp", "sin", "cos", "tanh", "sigma", "softplus", "abs", "relu"]
SIGMA_SPELLINGS = ["sigma", "sigmoid", "σ"]


def _has_norm_bars(text: str) -> bool:
    """Bars inside bars ("||a ||b|| c||") are ambiguous on paper: such an outer
    norm is written as a call, norm(...)."""
    return "||" in text or "‖" in text


# ------------------------------------------------------------------ the generator
class Generator:
    """Builds one case by typed recursive descent.  Every production method
    takes the target shape and the remaining depth and returns a ``Term``."""

    def __init__(self, choices, max_depth: int = 4, features=FEATURES, emphasis=None):
        self.choices = choices
        self.max_depth = max_depth
        self.allowed = frozenset(features)
        self.emphasis = dict(emphasis or {})
        self.symbols: dict[str, SymbolSpec] = {}
        self.bindings: list[tuple[str, Shape, str]] = []
        self.used: set[str] = set()
        self.kinks: list[Callable] = []
        self.product_dims = False
        self.bound_values: dict[str, Callable] = {}

    # ---- choosing
    def pick(self, options):
        """One value from [(weight, feature or None, value)], allowed features only."""
        live = [(weight * self.emphasis.get(feature, 1), feature, value)
                for weight, feature, value in options
                if weight > 0 and (feature is None or feature in self.allowed)]
        weight, feature, value = live[self.choices.index([w for w, _, _ in live])]
        if feature:
            self.used.add(feature)
        return value

    def chance(self, percent: int) -> bool:
        return self.choices.index([100 - percent, percent]) == 1

    def optional(self, feature: str, percent: int) -> bool:
        """Whether to use an optional construct (never when its feature is off)."""
        if feature not in self.allowed:
            return False
        if self.chance(min(100, percent * self.emphasis.get(feature, 1))):
            self.used.add(feature)
            return True
        return False

    def one_of(self, values):
        return values[self.choices.index([1] * len(values))]

    def wrap(self, term: Term, level: int) -> str:
        """The term's text as an operand that must bind at least at ``level``;
        now and then with parentheses it does not need."""
        if term.level < level or (term.level < ATOM and self.chance(4)):
            return f"({term.text})"
        return term.text

    # ---- the case
    def case(self) -> Case:
        top = self.expr(SCALAR, self.max_depth)
        candidates = [s for s in self.symbols.values() if not s.probability]
        if not candidates:
            # A constant function: add a symbol so there is something to differentiate.
            extra = self.new_symbol(SCALAR, "plain")
            top = self.add_terms(top, self.term_of(extra), "+")
            candidates = [extra]
        wrt = self.one_of(sorted(candidates, key=lambda s: s.name)).name
        expression = self.program_text(top)
        return Case(expression, wrt, self.where_text(), dict(self.symbols), top.value,
                    frozenset(self.used), tuple(self.kinks))

    def program_text(self, top: Term) -> str:
        if not self.bindings:
            return top.text
        separator = self.one_of(["; ", "\n"])
        statements = [f"{name} = {text}" for name, _, text in self.bindings]
        last = self.one_of(["", "l = ", "f = "]) + top.text
        return separator.join(statements + [last])

    def where_text(self) -> str:
        clauses = []
        for spec in self.symbols.values():
            parts = [part for part in self.declaration(spec).split("  ") if part]
            if self.optional("data-symbols", 10):
                parts.append("data")
            if len(parts) > 1 and self.optional("split-declarations", 40):
                # kind, structure, size and data combine in any order (issue 24)
                for index in range(len(parts) - 1, 0, -1):
                    j = self.choices.index([1] * (index + 1))
                    parts[index], parts[j] = parts[j], parts[index]
                clauses += [f"{spec.name}: {part}" for part in parts]
            elif parts:
                clauses.append(f"{spec.name}: {self.one_of([' ', ', ']).join(parts)}")
        return "; ".join(clauses)

    def declaration(self, spec: SymbolSpec) -> str:
        """What to declare about a symbol, or "" when its name says it all.
        Sizes are declared where ``vec``/``⊗`` make the typing ambiguous
        (``vec(A)^T (x ⊗ y)`` types with x: m, y: n or with x: n, y: m)."""
        size = ""
        ambiguous = self.product_dims or bool(self.used & {"vec", "kron"})
        # A square symbol that is inverted must be square in matcalc's data too.
        must = spec.conditioned or ambiguous
        if (must or self.chance(30)) and not spec.shape.has_product_dim and not spec.shape.is_scalar:
            rows = spec.shape.rows[0]
            cols = spec.shape.cols[0] if spec.shape.cols else "1"
            size = f"  {rows} {self.one_of(['x', '×', 'by'])} {cols}"     # "  ": where a clause may split
        if spec.positive_definite:
            return self.one_of(["positive definite", "pd", "spd"]) + size
        if spec.symmetric:
            return self.one_of(["symmetric", "symmetric matrix"]) + size
        if spec.probability:
            return self.one_of(["probability vector", "probability"]) + size
        if spec.kind == "vector" and size:
            return "vector" + size
        if spec.kind == "matrix" and size:
            return self.one_of(["", "matrix"]) + size
        if spec.kind != spec_default_kind(spec.name) or self.chance(30):
            return spec.kind
        return ""

    # ---- dispatch by shape
    def expr(self, shape: Shape, depth: int) -> Term:
        if depth <= 0:
            return self.leaf(shape)
        production = self.pick(self.productions(shape, depth))
        term = production(shape, depth - 1)
        if term.form == "leaf":
            return term
        return replace(term, form=production.__name__, chain=term.chain if term.level == PRODUCT else ())

    def productions(self, shape: Shape, depth: int = 0):
        hadamard = "scalar-hadamard" if shape.is_scalar else "hadamard"
        options = [
            (6 if depth <= 1 else 2, None, self.leaf_production),   # bigger trees near the top
            (5, None, self.sum),
            (1, None, self.negation),
            (3, None, self.scaled),
            (1, None, self.divided),
            (1 if shape.is_scalar else 2, "transpose", self.transpose),
            (1 if shape.is_scalar else 3, hadamard, self.hadamard),
            (1, hadamard, self.elementwise_divide),
            (2, "elementwise", self.elementwise_power),
            (5, "elementwise", self.elementwise_function),
            (5, None, self.product),
            (1 if kron_factors(shape) else 0, "kron", self.kron),
            (1, "program", self.binding),
        ]
        if shape.is_scalar:
            options += [
                (4, "trace", self.trace), (2, "det", self.determinant), (2, "logdet", self.log_determinant),
                (2, "sum", self.sum_of_entries), (2, "mean", self.mean_of_entries), (4, "norm", self.norm),
                (2, "ones-sum", self.ones_inner),
                (2, "scalar-power", self.scalar_power),
                (2, "scalar-groups", self.scalar_groups),
            ]
        if shape.is_vector:
            options += [(1, "layer-norm", self.layer_norm)]
            options += [(3, "softmax", self.softmax), (1, "diag", self.diag_of_matrix),
                        (4 if shape.has_product_dim else 1, "vec", self.vec), (2, "ones", self.ones_shift)]
        if shape.is_square:
            options += [(2, "diag", self.diag_of_vector), (2, "inverse", self.inverse),
                        (1, "matrix-power", self.matrix_power), (2, "identity", self.identity_shift)]
        if shape.is_matrix:
            # softmax of a matrix acts on each column (issue 13: batched data)
            options += [(1, "ones", self.ones_outer), (2, "softmax", self.softmax)]
        if shape.has_product_dim and kron_factors(shape):
            options += [(6, "kron", self.kron)]
        return options

    def any_shape(self) -> Shape:
        """A shape for the argument of sum, mean, a norm."""
        d1, d2 = self.one_of(DIMS), self.one_of(DIMS)
        return self.pick([
            (4, None, Shape(dims(d1), ())), (4, None, Shape(dims(d1), dims(d2))),
            (1, None, Shape((), dims(d1))), (1, "sum-of-scalar", SCALAR),
            (1, "vec", Shape(dims(d1, d2), ())), (1, "kron", Shape(dims(d1, d2), dims(d2))),
        ])

    def inner_dim(self) -> tuple:
        """The shared dimension of a matrix product (``()``: an outer or scalar product)."""
        d1, d2 = self.one_of(DIMS), self.one_of(DIMS)
        return self.pick([(6, None, dims(d1)), (2, None, ()), (1, "kron", dims(d1, d2))])

    # ---- leaves
    def leaf_production(self, shape, depth):
        return self.leaf(shape)

    def leaf(self, shape: Shape) -> Term:
        if shape.is_scalar and self.chance(15):
            return self.number()
        if shape.is_row:
            vector = self.leaf(shape.T)
            return Term(vector.text + self.transpose_suffix(), POSTFIX, lambda p, f=vector.value: f(p).T, "leaf")
        if shape.is_vector:
            return self.symbol(shape, kind=self.pick([(12, None, "plain"), (1, "probability", "probability")]))
        return self.symbol(shape)

    def number(self) -> Term:
        text, value = self.one_of([("2", 2.0), ("3", 3.0), ("0.5", 0.5), ("1/2", 0.5), ("2.5", 2.5),
                                   ("0.1", 0.1), ("1/3", 1 / 3)])
        return Term(text, PRODUCT if "/" in text else ATOM, lambda p, v=value: _scalar(v), "leaf")

    def symbol(self, shape: Shape, *, kind: str = "plain") -> Term:
        """A symbol of this shape: an existing one or a new one.  ``kind`` is
        plain, positive-definite, conditioned (square, inverted) or probability."""
        reusable = [s for s in self.symbols.values() if s.shape == shape and self._fits(s, kind)]
        reuse = 80 if shape.is_scalar and self.optional("repeated-scalar", 30) else 40
        if reusable and self.chance(reuse):
            spec = self.one_of(sorted(reusable, key=lambda s: s.name))
        else:
            spec = self.new_symbol(shape, kind)
        return self.term_of(spec)

    @staticmethod
    def term_of(spec: SymbolSpec) -> Term:
        return Term(spec.spelling, ATOM, lambda p, n=spec.name: p.values[n], "leaf")

    @staticmethod
    def _fits(spec: SymbolSpec, kind: str) -> bool:
        if kind == "positive-definite":
            return spec.positive_definite
        if kind == "conditioned":
            return spec.conditioned or spec.positive_definite
        if kind == "probability":
            return spec.probability
        return True

    def new_symbol(self, shape: Shape, kind: str) -> SymbolSpec:
        if shape.is_scalar:
            pool, base = SCALAR_NAMES, "scalar"
        elif shape.is_vector:
            pool, base = VECTOR_NAMES, "vector"
        elif kind == "positive-definite":
            pool, base = PD_NAMES, "matrix"
        elif kind == "conditioned":
            pool, base = SQUARE_NAMES, "matrix"
        else:
            pool, base = MATRIX_NAMES, "matrix"
        name = self.fresh_name(pool)
        spec = SymbolSpec(name, base, shape)
        spec.positive_definite = kind == "positive-definite"
        spec.conditioned = kind == "conditioned"
        spec.probability = kind == "probability"
        if kind == "positive-definite":
            self.used.add("positive-definite")
        if kind == "plain" and shape.is_square and not shape.has_product_dim and self.pick(
                [(4, None, False), (1, "symmetric", True)]):
            spec.symmetric = True
        spec.spelling = UNICODE_GREEK[name] if name in UNICODE_GREEK and self.chance(20) else name
        self.symbols[name] = spec
        if shape.has_product_dim:
            self.product_dims = True
        return spec

    def fresh_name(self, pool) -> str:
        taken = set(self.symbols) | {name for name, _, _ in self.bindings}
        free = [name for name in pool if name not in taken]
        if free:
            return self.one_of(free)
        index = 2
        while f"{pool[0]}{index}" in taken:
            index += 1
        return f"{pool[0]}{index}"

    def transpose_suffix(self) -> str:
        return self.pick([(6, None, "^T"), (2, None, "'"), (1, None, "ᵀ"), (1, None, "^{T}")])

    # ---- general productions
    def add_terms(self, left: Term, right: Term, sign: str) -> Term:
        value = (lambda p: left.value(p) + right.value(p)) if sign == "+" else \
            (lambda p: left.value(p) - right.value(p))
        return Term(f"{self.wrap(left, SUM)} {sign} {self.wrap(right, NEGATION)}", SUM, value)

    def sum(self, shape, depth):
        return self.add_terms(self.expr(shape, depth), self.expr(shape, depth), self.one_of(["+", "-"]))

    def negation(self, shape, depth):
        inner = self.expr(shape, depth)
        text = self.wrap(inner, NEGATION)
        return Term("-" + (" " if text.startswith("-") else "") + text, NEGATION,
                    lambda p: -inner.value(p))

    def coefficient(self, depth) -> Term:
        return self.number() if self.chance(40) else self.expr(SCALAR, min(depth, 2))

    def scaled(self, shape, depth):
        factor, term = self.coefficient(depth), self.expr(shape, depth)
        value = lambda p: _times(factor.value(p), term.value(p))
        form = self.one_of(["before", "after", "star"])
        if form == "after":
            term_text, factor_text = self.wrap(term, PRODUCT), self.wrap(factor, POSTFIX)
            chain = self.factors(term, shape, term_text) + self.factors(factor, SCALAR, factor_text)
            return Term(f"{term_text} {factor_text}", PRODUCT, value, chain=self.chained(chain))
        # "x^T y z" (no parentheses) puts the scalar x^T y inside one chain with z.
        flat = factor.level == PRODUCT and factor.form == "product" and not shape.is_scalar \
            and self.optional("flat-scalar-chain", 70)
        factor_text, term_text = self.wrap(factor, PRODUCT if flat else POSTFIX), self.wrap(term, POSTFIX)
        chain = self.factors(factor, SCALAR, factor_text) + self.factors(term, shape, term_text)
        operator = " " if form == "before" else " * "
        return Term(f"{factor_text}{operator}{term_text}", PRODUCT, value, chain=self.chained(chain))

    def divided(self, shape, depth):
        term = self.expr(shape, depth)
        divisor = self.number() if self.chance(30) else self.positive(SCALAR, depth)
        term_text = self.wrap(term, PRODUCT)
        return Term(f"{term_text} / {self.wrap(divisor, POSTFIX)}", PRODUCT,
                    lambda p: term.value(p) / divisor.value(p)[0, 0],
                    chain=self.chained(self.factors(term, shape, term_text) + (SCALAR,)))

    def transpose(self, shape, depth):
        inner = self.expr(shape.T, depth)
        return Term(self.wrap(inner, POSTFIX) + self.transpose_suffix(), POSTFIX,
                    lambda p: inner.value(p).T)

    def hadamard(self, shape, depth):
        left, right = self.expr(shape, depth), self.expr(shape, depth)
        operator = self.one_of(["⊙", ".*", "∘"])
        return Term(f"{self.wrap(left, PRODUCT)} {operator} {self.wrap(right, POSTFIX)}", PRODUCT,
                    lambda p: left.value(p) * right.value(p))

    def elementwise_divide(self, shape, depth):
        left, right = self.expr(shape, depth), self.positive(shape, depth)
        return Term(f"{self.wrap(left, PRODUCT)} ./ {self.wrap(right, POSTFIX)}", PRODUCT,
                    lambda p: left.value(p) / right.value(p))

    def elementwise_power(self, shape, depth):
        power = self.power_of_entries(shape, depth)
        return self.transposed_scalar(power) if shape.is_scalar else power

    def power_of_entries(self, shape, depth):
        form = self.pick([(4, None, "integer"), (3, None, "real"), (1, "symbolic-exponent", "symbolic")])
        if form == "integer":
            base = self.expr(shape, depth)
            text, exponent = self.one_of([("2", 2), ("3", 3)])
            return self._elementwise_power(base, text, lambda p, e=exponent: e)
        base = self.positive(shape, depth)
        if form == "real":
            text, exponent = self.one_of([("0.5", 0.5), ("-1", -1.0), ("(1/2)", 0.5), ("1.5", 1.5),
                                          ("-2", -2.0)])
            return self._elementwise_power(base, text, lambda p, e=exponent: e)
        power = self.expr(SCALAR, 0) if self.chance(70) else self.expr(SCALAR, 1)
        return self._elementwise_power(base, self.wrap(power, ATOM), lambda p: power.value(p)[0, 0])

    def _elementwise_power(self, base: Term, exponent_text: str, exponent) -> Term:
        return Term(f"{self.wrap(base, ATOM)} .^ {exponent_text}", POSTFIX,
                    lambda p: base.value(p) ** exponent(p))

    def call(self, name: str, inner: Term, spelling: str | None = None) -> Term:
        function = ELEMENTWISE[name]
        return Term(f"{spelling or name}({inner.text})", ATOM, lambda p: function(inner.value(p)))

    def elementwise_function(self, shape, depth):
        kind = self.pick([(8, None, "free"), (1, None, "tan"), (2, None, "log"), (1, None, "sqrt")])
        if kind == "free":
            name = self.one_of(FREE_FUNCTIONS)
            inner = self.expr(shape, depth)
            if name in ("abs", "relu"):
                self.kinks.append(inner.value)
            spelling = self.one_of(SIGMA_SPELLINGS) if name == "sigma" else name
            return self.call(name, inner, spelling)
        if kind == "tan":
            return self.call("tan", self.bounded(shape, depth))
        # log(softmax(z)) is logsoftmax(z) to matcalc: the same feature.
        return self.call(kind, self.positive(shape, depth, softmax_feature="logsoftmax" if kind == "log" else "softmax"))

    def product(self, shape, depth):
        inner = self.inner_dim()
        left_shape, right_shape = Shape(shape.rows, inner), Shape(inner, shape.cols)
        left, right = self.expr(left_shape, depth), self.expr(right_shape, depth)
        operator = self.pick([(8, None, " "), (1, None, " * "), (1, None, " · ")])
        left_text, right_text = self.wrap(left, PRODUCT), self.wrap(right, POSTFIX)
        chain = self.factors(left, left_shape, left_text) + self.factors(right, right_shape, right_text)
        return Term(f"{left_text}{operator}{right_text}", PRODUCT,
                    lambda p: _times(left.value(p), right.value(p)), chain=self.chained(chain))

    @staticmethod
    def factors(term: Term, shape: Shape, text: str) -> tuple:
        """The factors a product operand contributes once matcalc flattens the
        product: a parenthesized scalar stays one factor, anything else merges."""
        if shape.is_scalar and text != term.text:
            return (SCALAR,)
        return term.chain or (shape,)

    def chained(self, chain: tuple) -> tuple:
        if scalar_run_inside(chain):
            self.used.add("flat-scalar-chain")
        return chain

    def kron(self, shape, depth):
        """A ⊗ B with rows(A) rows(B) = rows and cols(A) cols(B) = cols."""
        left_shape, right_shape = self.one_of(kron_factors(shape))
        left, right = self.expr(left_shape, depth), self.expr(right_shape, depth)
        value = lambda p: np.kron(left.value(p), right.value(p))
        if self.chance(40):
            return Term(f"kron({left.text}, {right.text})", ATOM, value)
        return Term(f"{self.wrap(left, PRODUCT)} ⊗ {self.wrap(right, POSTFIX)}", PRODUCT, value)

    def split(self, names: tuple) -> tuple[tuple, tuple]:
        """Dimension names dealt to two factors."""
        left, right = [], []
        for name in names:
            (left if self.chance(50) else right).append(name)
        return tuple(sorted(left)), tuple(sorted(right))

    def binding(self, shape, depth):
        """A program statement ``name = expr``; later uses may share it."""
        earlier = [name for name, bound_shape, _ in self.bindings if bound_shape == shape]
        if earlier and self.chance(40):
            name = self.one_of(earlier)
            return Term(name, ATOM, self.bound_values[name])
        term = self.expr(shape, depth)
        name = self.fresh_name([f"{self.one_of(BINDING_STEMS)}{len(self.bindings) + 1}"])
        self.bindings.append((name, shape, term.text))
        self.bound_values[name] = term.value
        return Term(name, ATOM, term.value)

    def layer_norm(self, shape, depth):
        """A normalisation layer as four statements of a program (issue 24:
        four stacked were refused); the layer's input may hold another."""
        inner = self.expr(shape, depth)
        k = len(self.bindings) + 1
        mu, c, s = (self.fresh_name([f"{stem}{k}"]) for stem in ("mu", "c", "s"))
        inner_value = inner.value
        mean = lambda p: _scalar(np.mean(inner_value(p)))
        centred = lambda p: inner_value(p) - mean(p)
        variance = lambda p: _scalar(np.mean(centred(p) ** 2))
        for name, bound_shape, text, value in ((mu, SCALAR, f"mean({inner.text})", mean),
                                                (c, shape, f"{self.wrap(inner, SUM)} - {mu} 1", centred),
                                                (s, SCALAR, f"mean({c} ⊙ {c})", variance)):
            self.bindings.append((name, bound_shape, text))
            self.bound_values[name] = value
        # times a gain, as layers have: Σ c / σ alone is 0, which no relative comparison can judge
        gain = self.symbol(shape)
        return Term(f"{gain.text} ⊙ {c} / sqrt({s} + 0.5)", PRODUCT,
                    lambda p: gain.value(p) * centred(p) / np.sqrt(variance(p)[0, 0] + 0.5))

    # ---- scalars
    def trace(self, shape, depth):
        k = self.inner_dim() or dims(self.one_of(DIMS))
        inner = self.expr(Shape(k, k), depth)
        return Term(f"{self.one_of(['tr', 'tr', 'trace'])}({inner.text})", ATOM,
                    lambda p: _scalar(np.trace(inner.value(p))))

    def determinant(self, shape, depth):
        inner = self.determinant_argument(dims(self.one_of(DIMS)), depth)
        return Term(f"det({inner.text})", ATOM, lambda p: _scalar(np.linalg.det(inner.value(p))))

    def log_determinant(self, shape, depth):
        k = dims(self.one_of(DIMS))
        if self.chance(25):
            inner = self.determinant_argument(k, depth, positive_definite=True)
            return Term(f"log(det({inner.text}))", ATOM, lambda p: _logdet(inner.value(p)))
        inner = self.determinant_argument(k, depth)
        return Term(f"logdet({inner.text})", ATOM, lambda p: _logdet(inner.value(p)))

    def determinant_argument(self, k: tuple, depth: int, positive_definite: bool = False) -> Term:
        """What det and logdet apply to: well-conditioned, now and then an inverse."""
        if self.optional("det-of-inverse", 10):
            inner = self.positive_definite(k, max(depth - 1, 0))
            return Term(f"inv({inner.text})", ATOM, lambda p: np.linalg.inv(inner.value(p)), "inverse")
        inner = self.positive_definite(k, depth) if positive_definite else self.well_conditioned(k, depth)
        if inner.form == "inverse":
            self.used.add("det-of-inverse")
        return inner

    def sum_of_entries(self, shape, depth):
        inner = self.expr(self.any_shape(), depth)
        return Term(f"sum({inner.text})", ATOM, lambda p: _scalar(inner.value(p).sum()))

    def mean_of_entries(self, shape, depth):
        inner = self.expr(self.any_shape(), depth)
        return Term(f"mean({inner.text})", ATOM, lambda p: _scalar(inner.value(p).mean()))

    def norm(self, shape, depth):
        argument_shape = self.any_shape()
        if argument_shape.is_scalar:
            argument_shape = Shape(dims(self.one_of(DIMS)), ())
        inner = self.expr(argument_shape, depth)
        matrix = argument_shape.is_matrix
        squared = self.chance(50)
        if not squared:
            self.kinks.append(inner.value)
        if _has_norm_bars(inner.text):
            # "||a ||b|| c||" is ambiguous on paper; write the outer norm as a call.
            text, level = f"norm({inner.text})", ATOM
        elif matrix:
            text, level = self.one_of([(f"||{inner.text}||_F", ATOM), (f"‖{inner.text}‖_F", ATOM),
                                       (f"norm({inner.text})", ATOM)])
        else:
            text, level = self.one_of([(f"||{inner.text}||", ATOM), (f"||{inner.text}||_2", ATOM),
                                       (f"‖{inner.text}‖", ATOM), (f"norm({inner.text})", ATOM)])
        norm = lambda p: _scalar(np.linalg.norm(inner.value(p)))
        if squared:
            subscripted = text.endswith(("_F", "_2"))
            square = "²" if (self.optional("norm-square-sign", 30) if subscripted else self.chance(30)) else "^2"
            return Term(text + square, POSTFIX, lambda p: norm(p) ** 2)
        return Term(text, level, norm)

    def ones_inner(self, shape, depth):
        """1^T v or v^T 1: the sum of the entries of a vector."""
        vector = self.expr(Shape(dims(self.one_of(DIMS)), ()), depth)
        value = lambda p: _scalar(vector.value(p).sum())
        if self.chance(50) and (vector.form == "leaf" or self.optional("transpose", 100)):
            return Term(f"{self.wrap(vector, ATOM)}^T 1", PRODUCT, value)
        return Term(f"1^T {self.wrap(vector, POSTFIX)}", PRODUCT, value)

    def scalar_power(self, shape, depth):
        if self.chance(50):
            base = self.expr(SCALAR, depth)
            text, exponent = self.one_of([("^2", 2), ("²", 2), ("^3", 3), ("^{2}", 2)])
        else:
            base = self.positive(SCALAR, depth)
            text, exponent = self.one_of([("^{1/2}", 0.5), ("^0.5", 0.5), ("^{-1}", -1), ("^(1/2)", 0.5),
                                          ("^{-2}", -2), ("^{1/3}", 1 / 3)])
            if self.optional("nested-scalar-power", 25):     # (rho^(1/3))^{2}
                inner = Term(self.wrap(base, ATOM) + text, POSTFIX, lambda p, b=base, e=exponent: b.value(p) ** e)
                base, (text, exponent) = inner, self.one_of([("^{2}", 2), ("^3", 3), ("^{-1}", -1)])
        power = Term(self.wrap(base, ATOM) + text, POSTFIX, lambda p: base.value(p) ** exponent)
        return self.transposed_scalar(power)

    def scalar_groups(self, shape, depth):
        """One positive scalar in several 1×1 groups of a product, with powers
        of it: ``(ρ a^T b) ρ^{5/3} ((ρ^(1/3))^{2} c^T d)ᵀ`` (issue 24's internal
        errors: canon groups the powers one way, a rule's left side another)."""
        base = self.positive(SCALAR, 0)
        pieces = []
        for _ in range(self.one_of([2, 3, 4])):
            form = self.one_of(["group", "power", "nested", "transposed"])
            if form == "power" and self.optional("scaled-inverse", 30):
                # 1 / (2 ρ) beside 1×1 groups: canon makes the number 1/2 on one side of
                # a rule and leaves 2^{-1} in (2 ρ)^{-1} on the other (soak seed 24)
                k, value = self.one_of([("2", 2.0), ("3", 3.0), ("5", 5.0)])
                # (not "1 / (2 ρ)": beside M^T its 1 may be read as the all-ones vector)
                text = f"({k} {self.wrap(base, POSTFIX)})^{{-1}}"
                pieces.append(Term(text, ATOM, lambda p, k=value: 1 / (k * base.value(p))))
                continue
            if form in ("power", "nested"):
                text, exponent = self.one_of([("{5/3}", 5 / 3), ("(1/3)", 1 / 3), ("{2}", 2), ("{-1}", -1)])
                power = Term(f"{self.wrap(base, ATOM)}^{text}", POSTFIX, lambda p, e=exponent: base.value(p) ** e)
                if form == "nested":
                    power = Term(f"({power.text})^{{2}}", POSTFIX, lambda p, f=power.value: f(p) ** 2)
                pieces.append(power)
                continue
            inner = self.expr(SCALAR, min(depth, 1))
            group = Term(f"({self.wrap(base, PRODUCT)} {self.wrap(inner, POSTFIX)})", ATOM,
                         lambda p, i=inner.value: _times(base.value(p), i(p)))
            pieces.append(Term(group.text + "ᵀ", POSTFIX, group.value) if form == "transposed" else group)
        value = lambda p: _product_of([piece.value(p) for piece in pieces])
        return Term(" ".join(self.wrap(piece, POSTFIX) for piece in pieces), PRODUCT, value,
                    chain=(SCALAR,) * len(pieces))

    def transposed_scalar(self, term: Term) -> Term:
        """A 1×1 value transposed where it stands (``x .^ -1ᵀ``): the same number."""
        if self.optional("transposed-scalar", 20):
            return Term(self.wrap(term, POSTFIX) + self.transpose_suffix(), POSTFIX, term.value)
        return term

    # ---- vectors
    def softmax(self, shape, depth):
        inner = self.expr(shape, depth)
        if self.optional("logsoftmax", 50):
            return Term(f"logsoftmax({inner.text})", ATOM, lambda p: _logsoftmax(inner.value(p)))
        return Term(f"softmax({inner.text})", ATOM, lambda p: _softmax(inner.value(p)))

    def diag_of_matrix(self, shape, depth):
        inner = self.expr(Shape(shape.rows, shape.rows), depth)
        return Term(f"diag({inner.text})", ATOM, lambda p: np.diag(inner.value(p)).reshape(-1, 1).copy())

    def vec(self, shape, depth):
        rows, cols = self.split(shape.rows)
        inner = self.expr(Shape(rows, cols), depth)
        return Term(f"vec({inner.text})", ATOM, lambda p: inner.value(p).reshape(-1, 1, order="F"))

    def ones_shift(self, shape, depth):
        """v + c 1, v - 1, v + ones: the all-ones vector next to a vector."""
        vector = self.expr(shape, depth)
        length = lambda p: shape.numeric(p.sizes)[0]
        form = self.one_of(["1", "ones", "scaled"])
        if form == "scaled":
            factor = self.symbol(SCALAR)
            ones_text = f"{self.wrap(factor, PRODUCT)} 1"
            ones = lambda p: factor.value(p)[0, 0] * np.ones((length(p), 1))
        else:
            ones_text = form
            ones = lambda p: np.ones((length(p), 1))
        ones_term = Term(ones_text, PRODUCT if form == "scaled" else ATOM, ones)
        if self.chance(50):
            return self.add_terms(ones_term, vector, self.one_of(["+", "-"]))
        minus = self.optional("minus-one", 50) if form == "1" else self.chance(50)
        return self.add_terms(vector, ones_term, "-" if minus else "+")

    # ---- square matrices
    def diag_of_vector(self, shape, depth):
        inner = self.expr(Shape(shape.rows, ()), depth)
        return Term(f"diag({inner.text})", ATOM, lambda p: np.diag(inner.value(p)[:, 0]))

    def inverse(self, shape, depth):
        inner = self.well_conditioned(shape.rows, depth)
        form = self.one_of(["inv", "^{-1}", "^-1", "⁻¹"])
        if inner.form != "leaf" and self.optional("transpose", 30) or inner.form == "leaf" and self.chance(30):
            form = self.one_of(["^{-T}", "^-T"])
        if form == "inv":
            return Term(f"inv({inner.text})", ATOM, lambda p: np.linalg.inv(inner.value(p)))
        value = (lambda p: np.linalg.inv(inner.value(p)).T) if "T" in form else \
            (lambda p: np.linalg.inv(inner.value(p)))
        return Term(self.wrap(inner, ATOM) + form, POSTFIX, value)

    def matrix_power(self, shape, depth):
        if self.optional("negative-matrix-power", 20):
            base = self.positive_definite(shape.rows, depth)
            text, exponent = self.one_of([("^{-2}", -2), ("^-2", -2)])
        else:
            compound = self.optional("compound-matrix-power", 70)
            base = self.expr(shape, depth) if compound else self.symbol(shape)
            text, exponent = self.one_of([("^2", 2), ("²", 2), ("^3", 3), ("^{2}", 2)])
        return Term(self.wrap(base, ATOM) + text, POSTFIX,
                    lambda p: np.linalg.matrix_power(base.value(p), exponent))

    def identity_shift(self, shape, depth):
        matrix = self.expr(shape, depth)
        size = lambda p: shape.numeric(p.sizes)[0]
        if self.chance(50):
            factor = self.coefficient(0)
            identity = Term(f"{self.wrap(factor, PRODUCT)} I", PRODUCT,
                            lambda p: factor.value(p)[0, 0] * np.eye(size(p)))
        else:
            identity = Term("I", ATOM, lambda p: np.eye(size(p)))
        sign = self.one_of(["+", "-"])
        if self.chance(50):
            return self.add_terms(matrix, identity, sign)
        return self.add_terms(identity, matrix, sign)

    def ones_outer(self, shape, depth):
        """M + b 1^T or M + 1 c^T: a vector spread along the columns or the rows."""
        matrix = self.expr(shape, depth)
        if self.chance(50):
            vector = self.expr(Shape(shape.rows, ()), max(depth - 1, 0))
            spread = Term(f"{self.wrap(vector, PRODUCT)} 1^T", PRODUCT,
                          lambda p: vector.value(p) @ np.ones((1, shape.numeric(p.sizes)[1])))
        else:
            row = self.expr(Shape((), shape.cols), max(depth - 1, 0))
            spread = Term(f"1 {self.wrap(row, POSTFIX)}", PRODUCT,
                          lambda p: np.ones((shape.numeric(p.sizes)[0], 1)) @ row.value(p))
        return self.add_terms(matrix, spread, self.one_of(["+", "-"]))

    def transposable(self, shape: Shape, depth: int) -> Term:
        """A term to be written transposed: any expression when compound
        transposes are on, else a symbol."""
        if self.optional("transpose", 100):
            return self.expr(shape, depth)
        return self.leaf(shape) if not shape.is_scalar else self.symbol(shape)

    # ---- safe domains
    def positive(self, shape: Shape, depth: int, softmax_feature: str = "softmax") -> Term:
        """An expression with positive entries whatever the symbols' values."""
        depth = max(depth, 0)
        options = [
            (4, None, "exp"), (2, None, "sigma"), (2, None, "softplus"),
            (0 if shape.is_matrix else 2, None, "one-plus-square"),
            (1 if depth else 0, "scalar-hadamard" if shape.is_scalar else "hadamard", "product"),
            (1 if depth else 0, None, "sum"),
            (1 if depth else 0, None, "sqrt"),
            (2 if shape.is_vector else 0, softmax_feature, "softmax"),
            (2 if shape.is_scalar and depth else 0, "norm", "norm-squared-plus-one"),
            (1 if shape.is_scalar and depth else 0, "det", "det"),
            (1 if shape.is_scalar and depth else 0, "trace", "trace-pd"),
        ]
        form = self.pick(options)
        inner_depth = max(depth - 1, 0)
        if form in ("exp", "softplus"):
            return self.call(form, self.expr(shape, inner_depth))
        if form == "sigma":
            return self.call("sigma", self.expr(shape, inner_depth), self.one_of(SIGMA_SPELLINGS))
        if form == "one-plus-square":
            inner = self.expr(shape, inner_depth)
            squared = Term(f"{self.wrap(inner, ATOM)} .^ 2", POSTFIX, lambda p: inner.value(p) ** 2)
            one = Term("1", ATOM, lambda p: np.ones(shape.numeric(p.sizes)))
            return self.add_terms(one, squared, "+") if self.chance(50) else self.add_terms(squared, one, "+")
        if form == "product":
            left, right = self.positive(shape, inner_depth), self.positive(shape, inner_depth)
            return Term(f"{self.wrap(left, PRODUCT)} ⊙ {self.wrap(right, POSTFIX)}", PRODUCT,
                        lambda p: left.value(p) * right.value(p))
        if form == "sum":
            return self.add_terms(self.positive(shape, inner_depth), self.positive(shape, inner_depth), "+")
        if form == "sqrt":
            return self.call("sqrt", self.positive(shape, inner_depth))
        if form == "softmax":
            inner = self.expr(shape, inner_depth)
            return Term(f"softmax({inner.text})", ATOM, lambda p: _softmax(inner.value(p)))
        if form == "norm-squared-plus-one":
            inner = self.expr(Shape(dims(self.one_of(DIMS)), ()), inner_depth)
            text = f"norm({inner.text})" if _has_norm_bars(inner.text) else f"||{inner.text}||"
            norm = Term(f"{text}^2", POSTFIX, lambda p: _scalar(np.sum(inner.value(p) ** 2)))
            return self.add_terms(norm, Term("1", ATOM, lambda p: _scalar(1.0)), "+")
        if form == "det":
            inner = self.determinant_argument(dims(self.one_of(DIMS)), inner_depth, positive_definite=True)
            return Term(f"det({inner.text})", ATOM, lambda p: _scalar(np.linalg.det(inner.value(p))))
        inner = self.positive_definite(dims(self.one_of(DIMS)), inner_depth)
        return Term(f"tr({inner.text})", ATOM, lambda p: _scalar(np.trace(inner.value(p))))

    def bounded(self, shape: Shape, depth: int) -> Term:
        """An expression with entries in [-1, 1]: a safe argument for tan."""
        name = self.one_of(["tanh", "sin", "cos", "sigma"])
        return self.call(name, self.expr(shape, max(depth - 1, 0)))

    def positive_definite(self, k: tuple, depth: int) -> Term:
        """A k×k positive definite expression whatever the symbols' values."""
        square = Shape(k, k)
        form = self.pick([
            (5, None, "symbol"), (1 if depth else 0, None, "sum"), (1 if depth else 0, None, "gram"),
            (1 if depth else 0, "identity", "identity-gram"), (1 if depth else 0, "inverse", "inverse"),
            (1 if depth else 0, "hadamard", "schur"), (1 if depth else 0, "diag", "diag"),
            (1 if depth else 0, None, "scaled"),
        ])
        inner_depth = max(depth - 1, 0)
        if form == "symbol":
            return self.symbol(square, kind="positive-definite")
        if form == "sum":
            return self.add_terms(self.positive_definite(k, inner_depth),
                                  self.positive_definite(k, inner_depth), "+")
        if form == "gram":          # S + E E^T
            pd = self.positive_definite(k, inner_depth)
            factor = self.transposable(Shape(k, dims(self.one_of(DIMS))), inner_depth)
            gram = Term(f"{self.wrap(factor, PRODUCT)} {self.wrap(factor, ATOM)}^T", PRODUCT,
                        lambda p: factor.value(p) @ factor.value(p).T)
            return self.add_terms(pd, gram, "+")
        if form == "identity-gram":  # I + E^T E
            factor = self.transposable(Shape(dims(self.one_of(DIMS)), k), inner_depth)
            gram = Term(f"{self.wrap(factor, ATOM)}^T {self.wrap(factor, POSTFIX)}", PRODUCT,
                        lambda p: factor.value(p).T @ factor.value(p))
            identity = Term("I", ATOM, lambda p: np.eye(square.numeric(p.sizes)[0]))
            return self.add_terms(identity, gram, "+")
        if form == "inverse":
            inner = self.positive_definite(k, inner_depth)
            return Term(f"inv({inner.text})", ATOM, lambda p: np.linalg.inv(inner.value(p)), "inverse")
        if form == "schur":          # the Hadamard product of PD matrices is PD
            left, right = self.positive_definite(k, inner_depth), self.positive_definite(k, inner_depth)
            return Term(f"{self.wrap(left, PRODUCT)} ⊙ {self.wrap(right, POSTFIX)}", PRODUCT,
                        lambda p: left.value(p) * right.value(p))
        if form == "diag":
            inner = self.positive(Shape(k, ()), inner_depth)
            return Term(f"diag({inner.text})", ATOM, lambda p: np.diag(inner.value(p)[:, 0]))
        factor = self.positive(SCALAR, 0)
        inner = self.positive_definite(k, inner_depth)
        return Term(f"{self.wrap(factor, PRODUCT)} {self.wrap(inner, POSTFIX)}", PRODUCT,
                    lambda p: factor.value(p)[0, 0] * inner.value(p))

    def well_conditioned(self, k: tuple, depth: int) -> Term:
        """A k×k invertible expression with positive determinant: positive
        definite, or square symbols drawn as n I + 0.3 R and their products."""
        form = self.pick([(3, None, "pd"), (3, None, "symbol"), (1 if depth else 0, None, "product"),
                          (1, None, "transpose")])
        if form == "pd":
            return self.positive_definite(k, depth)
        if form == "symbol":
            return self.symbol(Shape(k, k), kind="conditioned")
        if form == "transpose":
            inner = self.symbol(Shape(k, k), kind="conditioned")
            return Term(inner.text + self.transpose_suffix(), POSTFIX, lambda p: inner.value(p).T)
        left, right = self.well_conditioned(k, depth - 1), self.well_conditioned(k, depth - 1)
        return Term(f"{self.wrap(left, PRODUCT)} {self.wrap(right, POSTFIX)}", PRODUCT,
                    lambda p: left.value(p) @ right.value(p))


# ------------------------------------------------------------------ drivers
@st.composite
def cases(draw, max_depth: int = 4, features=FEATURES, emphasis=None, require=()):
    """Hypothesis strategy of ``Case``; ``require`` keeps cases that use those
    features.  Some features arise from how pieces combine (a scalar run in a
    flattened product), not from one choice: cases that show a feature that is
    off are filtered out."""
    case = Generator(HypothesisChoices(draw), max_depth, features, emphasis).case()
    assume(case.features <= set(features))
    for feature in require:
        assume(feature in case.features)
    return case


def random_case(seed: int, index: int, max_depth: int = 4, features=FEATURES, emphasis=None) -> Case:
    """Case number ``index`` of the soak run with this seed (reproducible alone);
    ``emphasis`` (feature → weight) makes some features more frequent."""
    for attempt in range(100):
        case = Generator(RandomChoices(f"{seed}:{index}:{attempt}"), max_depth, features, emphasis).case()
        if case.features <= set(features):
            return case
    raise RuntimeError(f"no case without the features left out after 100 attempts (seed {seed}, case {index})")


# ------------------------------------------------------------------ the oracle
# Values are drawn here and the gradient is taken by finite differences of the
# case's own NumPy meaning, so neither matcalc's parser, nor its evaluator, nor
# Derivation.check() stands between a wrong answer and a failing test.

SIZES = ({"m": 3, "n": 4, "p": 2}, {"m": 2, "n": 3, "p": 4})   # two points, different sizes
TOLERANCE = 1e-6


class OutOfDomain(Exception):
    """The generator's own limits: no point found where the case is smooth and finite.
    Not a matcalc failure; callers count it separately."""


class UnreadableSizes(Exception):
    """A printed answer read back alone has sizes nothing in it fixes (the I
    of sum(I), the 1 of a constant softmax(0), once fixed by the input around
    them): it cannot be evaluated."""


def draw_values(case: Case, seed: int, sizes: dict) -> Point:
    """Values respecting the declared kinds: symmetric, positive definite
    (V V^T / n + I), probability vectors, and square symbols that are
    inverted drawn as n I + 0.3 R (diagonally dominant, so safely invertible)."""
    rng = np.random.default_rng(seed)
    values = {}
    for name in sorted(case.symbols):
        spec = case.symbols[name]
        rows, cols = spec.shape.numeric(sizes)
        if spec.probability:
            weights = rng.uniform(0.5, 1.5, size=(rows, 1))
            values[name] = weights / weights.sum()
            continue
        value = rng.standard_normal((rows, cols))
        if spec.positive_definite:
            value = value @ value.T / rows + np.eye(rows)
        elif spec.conditioned:
            value = rows * np.eye(rows) + 0.3 * value
        if spec.symmetric:
            value = (value + value.T) / 2
        values[name] = value
    return Point(values, dict(sizes))


def function_value(case: Case, point: Point) -> float:
    return float(case.function(point).reshape(-1)[0])


def usable_points(case: Case, count: int = 2, attempts: int = 12):
    """``count`` points (with different sizes) where the function is finite,
    moderate, and every abs/relu/norm argument stays away from its kink."""
    points = []
    for attempt in range(attempts):
        point = draw_values(case, 1000 + attempt, SIZES[len(points) % len(SIZES)])
        with np.errstate(all="ignore"):
            value = function_value(case, point)
            kink_distance = min((np.min(np.abs(k(point))) for k in case.kinks), default=np.inf)
        if np.isfinite(value) and abs(value) < 1e10 and kink_distance > 1e-3:
            points.append(point)
            if len(points) == count:
                return points
    raise OutOfDomain(f"no smooth, finite point for {case!r}")


def structurally_nonsmooth(case: Case) -> bool:
    """An abs/relu/norm whose argument is identically zero (``relu(x - x)``)
    is differentiated at its kink; such a case tests nothing."""
    point = draw_values(case, 7, SIZES[0])
    with np.errstate(all="ignore"):
        return any(np.min(np.abs(k(point))) < 1e-12 for k in case.kinks)


def given(case: Case, point: Point) -> dict:
    """Values as a user passes them to ``Derivation.evaluate``: scalars as
    numbers, vectors 1-D, matrices 2-D."""
    out = {}
    for name, value in point.values.items():
        spec = case.symbols[name]
        out[name] = float(value[0, 0]) if spec.kind == "scalar" else \
            value[:, 0].copy() if spec.kind == "vector" else value
    return out


def directions(spec: SymbolSpec, shape: tuple):
    """(index, direction, share) for the gradient's entries; for a symmetric
    symbol along E_ij + E_ji, which measures G_ij + G_ji of the unconstrained G."""
    symmetric = spec.symmetric or spec.positive_definite
    for index in np.ndindex(*shape):
        i, j = index
        if symmetric and i > j:
            continue
        direction = np.zeros(shape)
        direction[i, j] = 1.0
        if symmetric and i != j:
            direction[j, i] = 1.0
        yield index, direction, (2.0 if symmetric and i != j else 1.0)


def richardson_gradient(f, base: np.ndarray, spec: SymbolSpec, step: float = 1e-3) -> np.ndarray:
    """∂f/∂X at X = base by central differences with Richardson extrapolation
    at three step sizes (error ~1e-12 relative); raises OutOfDomain when the
    two extrapolations disagree (a kink or a pole nearby).  ``f`` maps a value
    of X to a float."""
    scale = 1e-4 * (1 + abs(f(base)))
    gradient = np.zeros_like(base)

    def slope(direction, h):
        return (f(base + h * direction) - f(base - h * direction)) / (2 * h)

    for index, direction, share in directions(spec, base.shape):
        d1, d2, d3 = (slope(direction, step / 2 ** k) for k in range(3))
        coarse, fine = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
        if not np.isfinite(fine) or abs(coarse - fine) > 1e-6 * max(abs(fine), scale):
            raise OutOfDomain(f"finite differences unstable at {index}")
        gradient[index] = fine / share
        if share == 2.0:
            gradient[index[::-1]] = fine / share
    return gradient


def finite_difference_gradient_of(case: Case, point: Point) -> np.ndarray:
    """∂f/∂wrt of the case's own meaning (never matcalc's) at ``point``."""
    def f(value):
        return function_value(case, Point(dict(point.values, **{case.wrt: value}), point.sizes))
    return richardson_gradient(f, point.values[case.wrt], case.wrt_spec)


def relative_error(answer, reference, floor: float) -> float:
    answer, reference = np.asarray(answer, dtype=float), np.asarray(reference, dtype=float)
    if answer.shape != reference.shape:
        return math.inf
    scale = max(float(np.max(np.abs(reference))) if reference.size else 0.0, floor)
    with np.errstate(invalid="ignore"):
        difference = float(np.max(np.abs(answer - reference)))
    return difference / scale if np.isfinite(difference) else math.inf


def gradient_shape(case: Case, point: Point) -> tuple:
    """The shape SPEC §4 promises: that of the wrt symbol as it was given."""
    spec = case.wrt_spec
    rows, cols = spec.shape.numeric(point.sizes)
    return () if spec.kind == "scalar" else (rows,) if spec.kind == "vector" else (rows, cols)


def gradient_error(case: Case, derivation, points) -> float:
    """Max relative error of ``derivation.evaluate`` against our own finite
    differences, over the points; inf if the answer has the wrong shape."""
    worst = 0.0
    for point in points:
        answer = np.asarray(derivation.evaluate(given(case, point)), dtype=float)
        if answer.shape != gradient_shape(case, point):
            return math.inf
        numeric = finite_difference_gradient_of(case, point)
        floor = 1e-4 * (1 + abs(function_value(case, point)))
        worst = max(worst, relative_error(answer.reshape(numeric.shape), numeric, floor))
    return worst


# ---- matcalc's own reading of the input and of its printed answer
def engine_point(env, point_values: dict):
    """matcalc's evaluation point for a typed environment (sizes bound from values)."""
    from matcalc.numeric.evaluate import Point as EnginePoint
    sizes = {}
    for name, info in env.symbols.items():
        if name not in point_values:
            continue
        for dim, size in zip((info.rows, info.cols), point_values[name].shape):
            if len(dim.names) == 1 and dim.coef == 1:
                sizes.setdefault(dim.names[0], size)
    return EnginePoint(point_values, sizes)


def meaning_error(case: Case, derivation, point: Point) -> float:
    """How far matcalc's value of the parsed input is from the intended meaning:
    catches precedence, desugaring and typing slips that a gradient check of
    matcalc against itself would never see."""
    from matcalc.numeric.evaluate import evaluate
    at = engine_point(derivation.problem.env, point.values)
    try:
        engine = evaluate(derivation.problem.expr, at)
        floor = rounding_floor(derivation.problem.expr, at)
    except (ValueError, KeyError, np.linalg.LinAlgError):
        return math.inf          # matcalc typed the input otherwise: our values do not fit its reading
    return relative_error(engine.reshape(-1)[:1], case.function(point).reshape(-1)[:1], floor)


def rounding_floor(expr, at) -> float:
    """The error floor of comparing values of ``expr``: rounding scales with
    the largest value on the way (tr(logsoftmax(M)) for an M with entries
    of 88 is -7.8e-12: 88 - 88 to the last bits)."""
    from matcalc.language.ast import walk
    from matcalc.numeric.evaluate import evaluate
    with np.errstate(all="ignore"):
        largest = max(float(np.max(np.abs(evaluate(node, at)))) for node in walk(expr))
    return 1e-8 * max(1.0, largest) if np.isfinite(largest) else 1e-8


def check_reference_is_inaccurate(case: Case, derivation, seeds=range(10)) -> bool:
    """Whether ``Derivation.check()``'s own finite differences (step 1e-5 on
    its random data) are off by more than the tolerance from accurate ones on
    the same data and the same function (matcalc's reading of the input, which
    ``meaning_error`` checks separately): then a large check() says nothing
    about the answer.  Happens where check's error scale (floor 1e-6) meets
    finite-difference noise, as for an exactly zero gradient."""
    from matcalc.numeric.evaluate import Point as EnginePoint, bind_values, evaluate
    from matcalc.numeric.data import random_point
    from matcalc.numeric.differences import gradient_with_error
    expr, env = derivation.problem.expr, derivation.problem.env
    for seed in seeds:                                  # the data check() uses
        engine, _ = bind_values(random_point(expr, env, seed).values, derivation.problem.symbols, env)
        if np.all(np.isfinite(evaluate(expr, engine))):
            break

    def f(value):
        return float(evaluate(expr, EnginePoint(dict(engine.values, **{derivation.wrt: value}),
                                                engine.sizes)).reshape(-1)[0])
    try:
        reference = richardson_gradient(f, engine.values[derivation.wrt], case.wrt_spec)
    except OutOfDomain:
        return True
    theirs = gradient_with_error(expr, derivation.wrt, engine, env)[0]
    return relative_error(theirs, reference, 1e-6) > TOLERANCE


def typed_with_source(expression: str, where: str, text: str, wrt: str | None = None):
    """``text`` parsed and typed together with the source ``expression`` (and,
    for an answer, with the wrt symbol's shape), so its ``1``s and ``I``s get
    their sizes as a reader's would (``I`` for ∂tr(X)/∂X is the size of X).
    Returns (typed tree, TypeEnv)."""
    from matcalc.language import ast as A
    from matcalc.language.parser import parse_declarations, parse_program
    from matcalc.shapes.infer import infer

    def program_tree(source):
        program = parse_program(source, declarations)
        tree = program.result
        for name, definition in reversed(program.bindings):
            tree = A.substitute(tree, {A.Symbol(name): definition})
        return tree

    declarations = parse_declarations(where)
    answer = program_tree(text)
    if wrt is None or isinstance(answer, A.Number):   # "0" for a zero gradient of any shape
        (_, typed), _, env = infer([program_tree(expression), answer], text, declarations)
        return typed, env
    tied = A.Add((answer, A.Symbol(wrt)))
    (_, typed), _, env = infer([program_tree(expression), tied], text, declarations)
    return typed.args[0], env


def _written_out(derivation):
    """``derivation.result``, or None where writing the names out is refused
    (past the size limit: a program's answer is then printed in its names)."""
    import matcalc
    try:
        return derivation.result
    except matcalc.LimitError:
        return None


def _answer_trees(derivation) -> list:
    written = _written_out(derivation)
    if written is not None:
        return [written]
    return [derivation.named_result] + [definition for _, definition in derivation.names]


def printed_answers(derivation) -> dict:
    """The answer as printed: written out, and with its named values as a program."""
    from matcalc.printers.text import to_text
    written = _written_out(derivation)
    texts = {} if written is None else {"result": to_text(written)}
    if derivation.names:
        statements = [f"{name} = {to_text(definition)}" for name, definition in derivation.names]
        texts["named"] = "; ".join(statements + [to_text(derivation.named_result)])
    return texts


def answer_uses_dimension(derivation) -> bool:
    """Whether the answer has a dimension as a number (mean: 1/(m n)); printed
    as ``m`` it reads back as a symbol."""
    from matcalc.language import ast as A
    return any(isinstance(node, A.DimValue) for tree in _answer_trees(derivation) for node in A.walk(tree))


def answer_outside_language(derivation) -> bool:
    """Whether the answer uses notation the input language lacks (the
    commutation matrix K_{m,n}, unvec), so its printed form cannot be read back."""
    from matcalc.language import ast as A
    foreign = tuple(getattr(A, name) for name in ("Commutation", "Unvec") if hasattr(A, name))
    return bool(foreign) and any(isinstance(node, foreign)
                                 for tree in _answer_trees(derivation) for node in A.walk(tree))


def printed_answer_error(case: Case, derivation, point: Point) -> tuple[float, str]:
    """(error, text): the printed answer evaluated vs ``derivation.evaluate``."""
    from matcalc.numeric.evaluate import evaluate
    expected = np.asarray(derivation.evaluate(given(case, point)), dtype=float).reshape(-1)
    worst, worst_text = 0.0, ""
    for text in printed_answers(derivation).values():
        answer, env = typed_with_source(case.expression, case.where, text, case.wrt)
        at = engine_point(env, point.values)
        unfixed = [name for name in env.free_dims if name not in at.sizes]
        if unfixed:
            raise UnreadableSizes(f"{text}: the size {', '.join(unfixed)}")
        try:
            value = evaluate(answer, at).reshape(-1)
        except ValueError as error:          # read back with other sizes than the answer had
            raise UnreadableSizes(f"{text}: {error}") from None
        if value.size == 1 and expected.size > 1:
            value = np.broadcast_to(value, expected.shape)       # a printed 0 for a zero gradient
        error = relative_error(value, expected, 1e-4)
        if error > worst:
            worst, worst_text = error, text
    return worst, worst_text


# ------------------------------------------------------------------ printer checks
def printed_input_text(derivation) -> str:
    """The input as the text printer writes it back: the typed tree the
    derivation starts from (kinds decide how X^{-2} reads), names written out."""
    from matcalc.printers.text import to_text
    return to_text(derivation.problem.expr)


def text_round_trip_problems(case: Case, derivation, point: Point) -> list[str]:
    """The text printer, two ways.  (1) Printed back, the input must still mean
    the same (its value at a point), whatever reassociation the printer does.
    (2) The printer's contract: the canonical tree matcalc works on prints to
    text that parses and types back to the same canonical tree.  Trees that
    differ only in the order of commuting scalar factors print alike and pass."""
    from matcalc.numeric.evaluate import evaluate
    from matcalc.printers.text import to_text
    problems = []
    printed = printed_input_text(derivation)
    tree, env = typed_with_source(case.expression, case.where, printed)
    at = engine_point(env, point.values)
    value = evaluate(tree, at)
    if relative_error(value.reshape(-1)[:1], case.function(point).reshape(-1)[:1], rounding_floor(tree, at)) > 1e-8:
        problems.append(f"printed as {printed!r} the input means something else")
    canonical = canonical_input(derivation)
    text = to_text(canonical)
    tree, env = typed_with_source(case.expression, case.where, text)
    again = fresh_canon(tree, env)
    if again != canonical and to_text(again) != text:
        problems.append(f"the canonical input prints as {text!r}, which parses back to {to_text(again)!r}")
    return problems


def fresh_canon(tree, env):
    """matcalc's canonical form, without its cache (which remembers every
    canonical result as already canonical)."""
    from matcalc.rewriting.canon import canon
    from matcalc.shapes.env import TypeEnv
    return canon(tree, TypeEnv(symbols=dict(env.symbols)))


def canonical_input(derivation):
    """The input in canonical form, canonicalized until it no longer changes."""
    tree = derivation.problem.expr
    for _ in range(5):
        again = fresh_canon(tree, derivation.problem.env)
        if again == tree:
            break
        tree = again
    return tree


def canon_is_idempotent(derivation) -> bool:
    once = fresh_canon(derivation.problem.expr, derivation.problem.env)
    return fresh_canon(once, derivation.problem.env) == once


# Commands a LaTeX math renderer (MathJax, KaTeX, amsmath) knows and the printers use.
LATEX_COMMANDS = {
    "left", "right", "frac", "operatorname", "mathbf", "mathrm", "mathit", "text", "top", "circ",
    "odot", "otimes", "lVert", "rVert", "partial", "begin", "end", "det", "log", "exp", "sin", "cos",
    "tan", "tanh", "times", "cdot", "sqrt", "quad", "qquad", "ldots", "cdots", "mid",
    "ni",                       # the step relation ∋ (dl ∋ a term of it: latex_report.RELATIONS_LATEX)
    "alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "iota",
    "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi",
    "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi",
    "Omega",
}

def latex_problems(latex: str) -> list[str]:
    """Structural checks that a lenient converter skips (balanced braces,
    \\left/\\right and \\begin/\\end pairs, known commands, nothing dangling
    after ^ or _), then a real parse by latex2mathml when it is installed."""
    import re
    problems = []
    stack = []
    tokens = re.findall(r"\\[A-Za-z]+\*?|\\.|[{}^_]|[^\\{}^_]+", latex)
    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if token == "{":
            stack.append("{")
        elif token == "}":
            if not stack or stack.pop() != "{":
                problems.append("unbalanced '}'")
        elif token == "\\left":
            stack.append("left")
        elif token == "\\right":
            if not stack or stack.pop() != "left":
                problems.append("\\right without \\left in the same group")
        elif token in ("^", "_") and (not following.strip() or following == "}"):
            problems.append(f"nothing after '{token}'")
        elif token.startswith("\\") and token[1:2].isalpha() and token[1:] not in LATEX_COMMANDS:
            problems.append(f"unknown command {token}")
    if stack:
        problems.append(f"unclosed {stack[-1]!r}")
    if latex.count("\\begin{") != latex.count("\\end{"):
        problems.append("\\begin and \\end do not pair")
    try:
        from latex2mathml.converter import convert
    except ImportError:
        return problems
    try:
        convert(latex)
    except Exception as error:          # any exception is a LaTeX problem to report
        problems.append(f"latex2mathml: {type(error).__name__} {error}")
    return problems
