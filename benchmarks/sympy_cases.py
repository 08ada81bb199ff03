"""The examples written as SymPy ``MatrixSymbol`` expressions, for ``bench.py``.

Each case is keyed by the example's expression string (as on the
``matcalc derive "EXPR"`` line, whitespace-insensitive) and its ``--wrt``
symbol.  ``build()`` returns ``(expression, wrt)`` built fresh with concrete,
distinct sizes; ``data(seed)`` returns random numpy values for every symbol,
respecting the kinds declared in the example (symmetric, positive definite,
probability vector, ...).  Examples with softmax have no SymPy counterpart
(SymPy has no softmax on matrix expressions) and are not listed; a few
elementwise ones (tanh, the logistic function, Hadamard products) are written
with ``applyfunc`` / ``HadamardProduct`` so that SymPy gets a fair try.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy import (Determinant, HadamardProduct, Inverse, Lambda, MatrixSymbol, OneMatrix,
                   Rational, Symbol, Trace, exp, log, tanh)

# distinct sizes so that a transposed answer cannot pass by accident
n, m, p, N = 3, 4, 5, 6

_CASES: dict = {}


def _key(expression: str) -> str:
    return " ".join(expression.split())


class Case:
    def __init__(self, build, kinds=None):
        self._build = build
        self.kinds = dict(kinds or {})

    def build(self):
        return self._build()

    def symmetric(self, name: str) -> bool:
        return self.kinds.get(name) in ("sym", "spd")

    def data(self, seed: int = 0) -> dict:
        """Random values: square matrices well conditioned with positive determinant."""
        rng = np.random.default_rng(seed)
        expression, _ = self.build()
        values = {}
        for symbol in sorted(expression.free_symbols, key=lambda s: s.name):
            kind = self.kinds.get(symbol.name)
            if not isinstance(symbol, MatrixSymbol):          # a scalar Symbol
                values[symbol.name] = np.asarray(rng.uniform(0.5, 1.5) if kind == "pos"
                                                 else rng.standard_normal())
                continue
            rows, cols = int(symbol.shape[0]), int(symbol.shape[1])
            value = rng.standard_normal((rows, cols))
            if kind == "prob":
                value = rng.uniform(0.5, 1.5, size=(rows, cols))
                value /= value.sum()
            elif kind == "pos":
                value = rng.uniform(0.5, 1.5, size=(rows, cols))
            elif kind == "spd":
                value = value @ value.T / rows + np.eye(rows)
            elif kind == "sym":
                value = (value + value.T) / 2
            elif rows == cols and rows > 1:
                value = np.eye(rows) * rows + 0.3 * value
            values[symbol.name] = value
        return values


def case(expressions, wrt, kinds=None):
    """Decorator: register ``build`` under each expression string for ``wrt``."""
    if isinstance(expressions, str):
        expressions = [expressions]

    def register(build):
        for expression in expressions:
            _CASES[(_key(expression), wrt)] = Case(build, kinds)
        return build
    return register


def kinds_from_where(where: str | None) -> dict:
    """``"mu: vector; P: positive definite"`` → ``{"P": "spd"}`` (data kinds only)."""
    kinds = {}
    for part in (where or "").replace("\n", ";").split(";"):
        if ":" not in part:
            continue
        names, kind = part.split(":", 1)
        kind = " ".join(kind.lower().split())
        tag = {"positive definite": "spd", "symmetric": "sym",
               "probability vector": "prob", "positive": "pos"}.get(kind)
        if tag:
            for name in names.split(","):
                kinds[name.strip()] = tag
    return kinds


def lookup(expression: str, wrt: str, where: str | None = None):
    """The case for an example, or None; kinds declared in ``where`` shape the data."""
    found = _CASES.get((_key(expression), wrt))
    if found is None:                                          # ignore all spacing
        squeezed = "".join(expression.split())
        for (key, key_wrt), value in _CASES.items():
            if key_wrt == wrt and "".join(key.split()) == squeezed:
                found = value
                break
    if found is None:
        return None
    return Case(found._build, {**found.kinds, **kinds_from_where(where)})


def _sigma():
    t = sp.Dummy("t")
    return Lambda(t, 1 / (1 + exp(-t)))


def _frobenius_squared(R):
    return Trace(R.T * R)


# ---------------------------------------------------------------- linear algebra

@case("a^T X b", "X")
def _bilinear():
    a, X, b = MatrixSymbol("a", m, 1), MatrixSymbol("X", m, n), MatrixSymbol("b", n, 1)
    return a.T * X * b, X


@case("x^T A x", "x")
def _quadratic():
    x, A = MatrixSymbol("x", n, 1), MatrixSymbol("A", n, n)
    return x.T * A * x, x


@case("x^T S x", "x", kinds={"S": "sym"})
def _quadratic_symmetric():
    x, S = MatrixSymbol("x", n, 1), MatrixSymbol("S", n, n)
    return x.T * S * x, x


@case("tr(X A X^T B)", "X")
def _trace_xaxtb():
    X, A, B = MatrixSymbol("X", m, n), MatrixSymbol("A", n, n), MatrixSymbol("B", m, m)
    return Trace(X * A * X.T * B), X


@case("||X A^T - B||_F^2", "X")
def _frobenius():
    X, A, B = MatrixSymbol("X", m, n), MatrixSymbol("A", p, n), MatrixSymbol("B", m, p)
    return _frobenius_squared(X * A.T - B), X


@case("||A x - b||^2", "x")
def _least_squares():
    A, x, b = MatrixSymbol("A", m, n), MatrixSymbol("x", n, 1), MatrixSymbol("b", m, 1)
    r = A * x - b
    return r.T * r, x


def _prml():
    beta = Symbol("beta")
    T, Phi, W = MatrixSymbol("T", N, p), MatrixSymbol("Phi", N, m), MatrixSymbol("W", m, p)
    return -beta / 2 * _frobenius_squared(T - Phi * W), beta, W


@case("-beta/2 ||T - Phi W||_F^2", "W")
def _prml_w():
    expression, _, W = _prml()
    return expression, W


@case("-beta/2 ||T - Phi W||_F^2", "beta")
def _prml_beta():
    expression, beta, _ = _prml()
    return expression, beta


def _affine():
    W, X, b, Y = (MatrixSymbol("W", m, n), MatrixSymbol("X", n, N),
                  MatrixSymbol("b", m, 1), MatrixSymbol("Y", m, N))
    return _frobenius_squared(W * X + b * OneMatrix(1, N) - Y), W, b


@case("||W X + b 1^T - Y||_F^2", "b")
def _affine_b():
    expression, _, b = _affine()
    return expression, b


@case("||W X + b 1^T - Y||_F^2", "W")
def _affine_w():
    expression, W, _ = _affine()
    return expression, W


@case("det(X)", "X")
def _det():
    X = MatrixSymbol("X", n, n)
    return Determinant(X), X


@case("logdet(X)", "X")
def _logdet():
    X = MatrixSymbol("X", n, n)
    return log(Determinant(X)), X


@case("tr(X^{-1} A)", "X")
def _trace_inverse():
    X, A = MatrixSymbol("X", n, n), MatrixSymbol("A", n, n)
    return Trace(Inverse(X) * A), X


@case("-1/2 (x - mu)^T P (x - mu)", "mu", kinds={"P": "sym"})
def _gaussian_mean():
    x, mu, P = MatrixSymbol("x", n, 1), MatrixSymbol("mu", n, 1), MatrixSymbol("P", n, n)
    return -Rational(1, 2) * (x - mu).T * P * (x - mu), mu


@case("1/2 logdet(P) - 1/2 (x - mu)^T P (x - mu)", "P", kinds={"P": "spd"})
def _gaussian_precision():
    x, mu, P = MatrixSymbol("x", n, 1), MatrixSymbol("mu", n, 1), MatrixSymbol("P", n, n)
    return log(Determinant(P)) / 2 - Trace((x - mu).T * P * (x - mu)) / 2, P


# ---------------------------------------------------------------- elementwise (a fair try)

@case("sum(A ⊙ X)", "X")
def _hadamard_sum():
    A, X = MatrixSymbol("A", m, n), MatrixSymbol("X", m, n)
    return OneMatrix(1, m) * HadamardProduct(A, X) * OneMatrix(n, 1), X


@case("y^T (a ⊙ (W x))", "W")
def _hadamard_gate():
    y, a, W, x = (MatrixSymbol("y", m, 1), MatrixSymbol("a", m, 1),
                  MatrixSymbol("W", m, n), MatrixSymbol("x", n, 1))
    return y.T * HadamardProduct(a, W * x), W


@case("log(1^T exp(x))", "x")
def _logsumexp():
    x = MatrixSymbol("x", n, 1)
    return log(Trace(OneMatrix(1, n) * x.applyfunc(exp))), x


@case("||tanh(W x) - y||^2", "W")
def _tanh_regression():
    W, x, y = MatrixSymbol("W", m, n), MatrixSymbol("x", n, 1), MatrixSymbol("y", m, 1)
    r = (W * x).applyfunc(tanh) - y
    return r.T * r, W


@case("sum(tanh(W x))", "W")
def _sum_tanh():
    W, x = MatrixSymbol("W", m, n), MatrixSymbol("x", n, 1)
    return OneMatrix(1, m) * (W * x).applyfunc(tanh), W


@case("||b2 + W^T sigma(W x + b1) - x||^2", "W")
def _tied_autoencoder():
    W, x = MatrixSymbol("W", m, n), MatrixSymbol("x", n, 1)
    b1, b2 = MatrixSymbol("b1", m, 1), MatrixSymbol("b2", n, 1)
    r = b2 + W.T * (W * x + b1).applyfunc(_sigma()) - x
    return r.T * r, W


@case("-y log(sigma(w^T x)) - (1 - y) log(1 - sigma(w^T x))", "w")
def _logistic_regression():
    w, x, y = MatrixSymbol("w", n, 1), MatrixSymbol("x", n, 1), Symbol("y")
    s = Trace((w.T * x).applyfunc(_sigma()))
    return -y * log(s) - (1 - y) * log(1 - s), w
