"""SymPy's own matrix-derivative suite, problem by problem, for ``sympy_suite.py``.

Every ``.diff`` of ``sympy/matrices/expressions/tests/test_derivatives.py``
(the SymPy release installed here) is one ``Case``, named
``sympy_<test function>_<n>`` with ``n`` counting the distinct problems of that
test function in file order.  Each case holds the SymPy problem exactly as the
test builds it (``build() -> (expression, wrt)``, every dimension the symbol
``k``) and, where matcalc's language can say it, the same problem written as a
matcalc expression, ``wrt`` and ``where``.  Problems matcalc cannot say have
``matcalc=None`` and the reason: a derivative by a symbol the expression does
not contain (matcalc refuses it: "'i' does not appear in the expression"), or
by one entry of a matrix (``x[m, 0]``, ``X[m, n]``).

A scalar SymPy expression (a 1×1 matrix included) is a gradient in matcalc
(``matcalc.derive``); any other is a Jacobian ``∂vec(F)/∂vec(X)^T``
(``matcalc.jacobian``).  ``positive`` names the symbols whose data must be
positive (logarithms, square roots and powers of them).  In
``x^T A x + k sin(y)^T x`` SymPy's ``k`` is both the dimension and a scalar
factor; the matcalc form declares ``k: scalar`` and is given the size as value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sympy import (Inverse, MatAdd, MatMul, OneMatrix, Rational, S, Sum, Trace, exp, log, sin, symbols, tan)
from sympy.matrices.expressions import MatrixSymbol, hadamard_power
from sympy.matrices.expressions.hadamard import hadamard_product

i, j, m, n, mu = symbols("i j m n mu")
k = symbols("k")

X = MatrixSymbol("X", k, k)
A, B, C, D = (MatrixSymbol(name, k, k) for name in "ABCD")
x, y = MatrixSymbol("x", k, 1), MatrixSymbol("y", k, 1)
a, b, c, d = (MatrixSymbol(name, k, 1) for name in "abcd")

NOT_IN_EXPRESSION = "the expression does not contain the symbol (matcalc refuses: it does not appear)"
BY_ENTRY = "a derivative by one entry of a matrix (indexed), which matcalc's language has no word for"


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable[[], tuple]          # → (SymPy expression, SymPy symbol to differentiate by)
    matcalc: str | None = None          # the same problem in matcalc's language
    wrt: str | None = None
    where: str | None = None
    positive: tuple = ()                # symbols whose values must be positive
    unsaid: str = ""                    # why matcalc has no form (matcalc is None)

    @property
    def both(self) -> bool:
        return self.matcalc is not None

    def command(self) -> str:
        """``derive`` for a scalar function (SymPy's 1×1 matrices included), else ``jacobian``."""
        expression, _ = self.build()
        shape = getattr(expression, "shape", (1, 1))
        return "derive" if tuple(shape) == (1, 1) else "jacobian"


CASES: list[Case] = []


def _test(function: str, *problems):
    """The problems of one SymPy test function, in file order: (build, matcalc, wrt, where?, options?)."""
    for number, problem in enumerate(problems, 1):
        build, said, wrt, *rest = problem
        where = rest[0] if rest else None
        options = rest[1] if len(rest) > 1 else {}
        if said is None:
            CASES.append(Case(f"sympy_{function}_{number}", build, unsaid=wrt))
        else:
            CASES.append(Case(f"sympy_{function}_{number}", build, said, wrt, where, **options))


SCALAR_I = "i: scalar"
_test("test_matrix_derivative_by_scalar",
      (lambda: (A, i), None, NOT_IN_EXPRESSION),
      (lambda: (A * (X + B) * c, i), None, NOT_IN_EXPRESSION),
      (lambda: (x, i), None, NOT_IN_EXPRESSION),
      (lambda: (x.T * y, i), None, NOT_IN_EXPRESSION),
      (lambda: (x * x.T, i), None, NOT_IN_EXPRESSION),
      (lambda: (x + y, i), None, NOT_IN_EXPRESSION),
      (lambda: (hadamard_power(x, 2), i), None, NOT_IN_EXPRESSION),
      (lambda: (hadamard_power(x, i), i), "x .^ i", "i", SCALAR_I, {"positive": ("x",)}),
      (lambda: (hadamard_product(x, y), i), None, NOT_IN_EXPRESSION),
      (lambda: (hadamard_product(i * OneMatrix(k, 1), x, y), i), "(i ones) ⊙ x ⊙ y", "i", SCALAR_I),
      (lambda: (i * x, i), "i x", "i", SCALAR_I),
      (lambda: (sin(i) * A * B * x, i), "sin(i) A B x", "i", SCALAR_I),
      (lambda: (x.applyfunc(sin), i), None, NOT_IN_EXPRESSION),
      (lambda: (Trace(i**2 * X), i), "tr(i^2 X)", "i", SCALAR_I),
      (lambda: (2 * mu * x, x), "2 mu x", "x"))

_test("test_one_matrix",
      (lambda: (MatMul(x.T, OneMatrix(k, 1)), x), "x^T 1", "x"))

_test("test_matrix_derivative_non_matrix_result",
      (lambda: (A, A), "A", "A"),
      (lambda: (A.T, A), "A^T", "A"),
      (lambda: (2 * A, A), "2 A", "A"),
      (lambda: (MatAdd(A, A), A), "A + A", "A"),
      (lambda: (A + B, A), "A + B", "A"))

_test("test_matrix_derivative_trivial_cases",
      (lambda: (X, A), None, NOT_IN_EXPRESSION))

_test("test_matrix_derivative_with_inverse",
      (lambda: (a.T * Inverse(X) * b, X), "a^T inv(X) b", "X"),
      (lambda: (Trace(A * Inverse(X) * B), X), "tr(A inv(X) B)", "X"),
      (lambda: (Trace(Inverse(X + A)), X), "tr(inv(X + A))", "X"))

_test("test_matrix_derivative_vectors_and_scalars",
      (lambda: (x, x), "x", "x"),
      (lambda: (x[i, 0], x[m, 0]), None, BY_ENTRY),
      (lambda: (x.T, x), "x^T", "x"),
      (lambda: (x.T * a, x), "x^T a", "x"),
      (lambda: ((x.T * a)[0, 0], x[m, 0]), None, BY_ENTRY),
      (lambda: (a.T * x, x), "a^T x", "x"),
      (lambda: (a.T * X * b, X), "a^T X b", "X"),
      (lambda: (a.T * X.T * b, X), "a^T X^T b", "X"),
      (lambda: (a.T * X * a, X), "a^T X a", "X"),
      (lambda: (a.T * X.T * a, X), "a^T X^T a", "X"),
      (lambda: (b.T * X.T * X * c, X), "b^T X^T X c", "X"),
      (lambda: ((B * x + b).T * C * (D * x + d), x), "(B x + b)^T C (D x + d)", "x"),
      (lambda: (x.T * B * x, x), "x^T B x", "x"),
      (lambda: (b.T * X.T * D * X * c, X), "b^T X^T D X c", "X"),
      (lambda: ((X * b + c).T * D * (X * b + c), X), "(X b + c)^T D (X b + c)", "X"),
      (lambda: (((X * b + c).T * D * (X * b + c))[0, 0], X[m, n]), None, BY_ENTRY),
      (lambda: (x * x.T * x, x), "x x^T x", "x"))

_test("test_matrix_derivatives_of_traces",
      (lambda: (Trace(A) * A, A), "tr(A) A", "A"),
      (lambda: ((Trace(A) * A)[i, j], A[m, n]), None, BY_ENTRY),
      (lambda: (Trace(X), X), "tr(X)", "X"),
      (lambda: (Trace(X).rewrite(Sum), X[m, n]), None, BY_ENTRY),
      (lambda: (Trace(X * A), X), "tr(X A)", "X"),
      (lambda: (Trace(X * A).rewrite(Sum), X[m, n]), None, BY_ENTRY),
      (lambda: (Trace(A * X * B), X), "tr(A X B)", "X"),
      (lambda: (Trace(A * X * B).rewrite(Sum), X[m, n]), None, BY_ENTRY),
      (lambda: (Trace(A * X.T * B), X), "tr(A X^T B)", "X"),
      (lambda: (Trace(X.T * A), X), "tr(X^T A)", "X"),
      (lambda: (Trace(A * X.T), X), "tr(A X^T)", "X"),
      (lambda: (Trace(X**2), X), "tr(X^2)", "X"),
      (lambda: (Trace(X**2 * B), X), "tr(X^2 B)", "X"),
      (lambda: (Trace(MatMul(X, X, B)), X), "tr(X X B)", "X"),
      (lambda: (Trace(X.T * B * X), X), "tr(X^T B X)", "X"),
      (lambda: (Trace(B * X * X.T), X), "tr(B X X^T)", "X"),
      (lambda: (Trace(X * X.T * B), X), "tr(X X^T B)", "X"),
      (lambda: (Trace(X * B * X.T), X), "tr(X B X^T)", "X"),
      (lambda: (Trace(B * X.T * X), X), "tr(B X^T X)", "X"),
      (lambda: (Trace(X.T * X * B), X), "tr(X^T X B)", "X"),
      (lambda: (Trace(A * X * B * X), X), "tr(A X B X)", "X"),
      (lambda: (Trace(X.T * X), X), "tr(X^T X)", "X"),
      (lambda: (Trace(X * X.T), X), "tr(X X^T)", "X"),
      (lambda: (Trace(B.T * X.T * C * X * B), X), "tr(B^T X^T C X B)", "X"),
      (lambda: (Trace(X.T * B * X * C), X), "tr(X^T B X C)", "X"),
      (lambda: (Trace(A * X * B * X.T * C), X), "tr(A X B X^T C)", "X"),
      (lambda: (Trace((A * X * B + C) * (A * X * B + C).T), X), "tr((A X B + C) (A X B + C)^T)", "X"),
      (lambda: (Trace(B.T * X.T * C * X * X.T * C * X * B), X), "tr(B^T X^T C X X^T C X B)", "X"),
      (lambda: (Trace(A * X**(-1) * B), X), "tr(A X^{-1} B)", "X"),
      (lambda: (Trace(Inverse(X.T * C * X) * A), X), "tr(inv(X^T C X) A)", "X"),
      (lambda: (Trace((X.T * C * X).inv() * (X.T * B * X)), X), "tr(inv(X^T C X) (X^T B X))", "X"),
      (lambda: (Trace((A + X.T * C * X).inv() * (X.T * B * X)), X), "tr(inv(A + X^T C X) (X^T B X))", "X"))


def _complicated():
    return (a.T * (A * X * (X.T * B + X * A) + B.T * X.T * (a * b.T * (X * D * X.T + X * (X.T * B + A * X) * D * B
                                                                      - X.T * C.T * A) * B
                                                          + B * (X * D.T + B * A * X * A.T - 3 * X * D)) * B
                   + 42 * X * B * X.T * A.T * (X + X.T)) * b, X)


_test("test_derivatives_of_complicated_matrix_expr",
      (_complicated, "a^T (A X (X^T B + X A) + B^T X^T (a b^T (X D X^T + X (X^T B + A X) D B - X^T C^T A) B"
                     " + B (X D^T + B A X A^T - 3 X D)) B + 42 X B X^T A^T (X + X^T)) b", "X"))

_test("test_mixed_deriv_mixed_expressions",
      (lambda: (3 * Trace(A), A), "3 tr(A)", "A"),
      (lambda: (k, A), None, NOT_IN_EXPRESSION),
      (lambda: (Trace(A)**2, A), "tr(A)^2", "A"),
      (lambda: (Trace(A) * A, A), "tr(A) A", "A"),
      (lambda: (Trace(Trace(A) * A), A), "tr(tr(A) A)", "A"),
      (lambda: (Trace(Trace(Trace(A) * A) * A), A), "tr(tr(tr(A) A) A)", "A"))

_test("test_derivatives_matrix_norms",
      (lambda: (x.T * y, x), "x^T y", "x"),
      (lambda: ((x.T * y)[0, 0], x[m, 0]), None, BY_ENTRY),
      (lambda: ((x.T * y)**S.Half, x), "(x^T y)^{1/2}", "x", None, {"positive": ("x", "y")}),
      (lambda: ((x.T * x)**S.Half, x), "(x^T x)^{1/2}", "x"),
      (lambda: ((c.T * a * x.T * b)**S.Half, x), "(c^T a x^T b)^{1/2}", "x", None,
       {"positive": ("a", "b", "c", "x")}),
      (lambda: ((c.T * a * x.T * b)**Rational(1, 3), x), "(c^T a x^T b)^{1/3}", "x", None,
       {"positive": ("a", "b", "c", "x")}),
      (lambda: ((a.T * X * b)**S.Half, X), "(a^T X b)^{1/2}", "X", None, {"positive": ("a", "b", "X")}),
      (lambda: (d.T * x * (a.T * X * b)**S.Half * y.T * c, X), "d^T x (a^T X b)^{1/2} y^T c", "X", None,
       {"positive": ("a", "b", "X")}))

_test("test_derivatives_elementwise_applyfunc",
      (lambda: (x.applyfunc(tan), x), "tan(x)", "x"),
      (lambda: (x.applyfunc(tan)[i, 0], x[m, 0]), None, BY_ENTRY),
      (lambda: ((i**2 * x).applyfunc(sin), i), "sin(i^2 x)", "i", SCALAR_I),
      (lambda: ((i**2 * x).applyfunc(sin)[i, 0], i), None, BY_ENTRY),
      (lambda: ((log(i) * A * B).applyfunc(sin), i), "sin(log(i) A B)", "i", SCALAR_I, {"positive": ("i",)}),
      (lambda: (A * x.applyfunc(exp), x), "A exp(x)", "x"),
      (lambda: (x.T * A * x + k * y.applyfunc(sin).T * x, x), "x^T A x + k sin(y)^T x", "x", "k: scalar"),
      (lambda: (x.applyfunc(sin).T * y, x), "sin(x)^T y", "x"),
      (lambda: ((a.T * X * b).applyfunc(sin), X), "sin(a^T X b)", "X"),
      (lambda: (a.T * X.applyfunc(sin) * b, X), "a^T sin(X) b", "X"),
      (lambda: (a.T * (A * X * B).applyfunc(sin) * b, X), "a^T sin(A X B) b", "X"),
      (lambda: (a.T * A * X.applyfunc(sin) * B * b, X), "a^T A sin(X) B b", "X"))

_test("test_derivatives_of_hadamard_expressions",
      (lambda: (hadamard_product(a, x, b), x), "a ⊙ x ⊙ b", "x"),
      (lambda: (a.T * hadamard_product(A, X, B) * b, X), "a^T (A ⊙ X ⊙ B) b", "X"),
      (lambda: (hadamard_power(x, 2), x), "x .^ 2", "x"),
      (lambda: (hadamard_power(x.T, 2), x), "x^T .^ 2", "x"),
      (lambda: (hadamard_power(x, S.Half), x), "x .^ (1/2)", "x", None, {"positive": ("x",)}),
      (lambda: (hadamard_power(a.T * X * b, 2), X), "(a^T X b) .^ 2", "X"),
      (lambda: (hadamard_power(a.T * X * b, S.Half), X), "(a^T X b) .^ (1/2)", "X", None,
       {"positive": ("a", "b", "X")}))

BOTH = [case for case in CASES if case.both]
