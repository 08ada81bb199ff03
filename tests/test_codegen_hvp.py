"""``hessian_vector_product`` applies a structured Hessian (I ⊗ A, A ⊗ B,
diag, K) without building it or any dense Kronecker, diagonal or identity
factor, for a vector or a matrix wrt, and agrees with ``H @ v`` and with
central differences of the gradient in the direction v (SPEC §8)."""

from __future__ import annotations

import numpy as np
import pytest

import matcalc
from codegen_support import arguments, generated, user_values
from matcalc.lowering import lower

DENSE = {"kron", "diag_matrix", "eye", "outer", "matrix_power", "inv"}

STRUCTURED = [                                   # (function, wrt, where, what H is built from)
    ("tr(X^T A X)", "X", None, "I ⊗ (A + A^T)"),
    ("vec(X)^T (I ⊗ A) vec(X)", "X", None, "I ⊗ (A + A^T)"),
    ("vec(X)^T (A ⊗ B) vec(X)", "X", None, "A ⊗ B + A^T ⊗ B^T"),
    ("||A X B||_F^2", "X", None, "2 (B B^T) ⊗ (A^T A)"),
    ("tr(X A X^T B)", "X", None, "A^T ⊗ B + A ⊗ B^T"),
    ("tr(X^T diag(v) X)", "X", None, "2 (I ⊗ diag(v))"),
    ("vec(X)^T diag(vec(A)) vec(X)", "X", None, "2 diag(vec(A)), the gradient written unvec(..)"),
    ("sum(exp(diag(v) X))", "X", None, "(I ⊗ diag(v)) diag(..) (I ⊗ diag(v))"),
    ("vec(X)^T K vec(X)", "X", "X: n × n", "K + K^T"),
    ("vec(X^T)^T vec(A X)", "X", None, "K (I ⊗ A) + (I ⊗ A^T) K"),
    ("tr(X X)", "X", "X: n × n", "2 K"),
    ("x^T (A ⊗ B) x", "x", None, "A ⊗ B + A^T ⊗ B^T"),
    ("x^T diag(v) x", "x", None, "2 diag(v)"),
    ("||(A ⊗ B) x||^2", "x", None, "2 (A^T A) ⊗ (B^T B)"),
]


@pytest.mark.parametrize("source, wrt, where, hessian", STRUCTURED, ids=[case[0] for case in STRUCTURED])
def test_hessian_vector_product_applies_the_structure(source, wrt, where, hessian):
    derivation = matcalc.hessian(source, wrt=wrt, where=where)
    module = lower(derivation)
    product = next(f for f in module.functions if f.name == "hessian_vector_product")
    assert not DENSE & {op.kind for op in product.ops}, [op.kind for op in product.ops]

    ns = generated(derivation)
    values = user_values(derivation)            # each dimension its own size (3, 4, 5, ...)
    args = [values[name] for name in arguments(derivation)]
    matrix = ns["hessian"](*args)
    assert np.allclose(matrix, derivation.evaluate(values), rtol=1e-10, atol=1e-10)
    rng = np.random.default_rng(5)
    for _ in range(2):
        v = rng.standard_normal(matrix.shape[1])
        found = ns["hessian_vector_product"](*args, v)
        assert found.shape == v.shape
        assert np.allclose(found, matrix @ v, rtol=1e-9, atol=1e-9)
        assert np.allclose(found, directional_difference(ns, args, arguments(derivation).index(wrt), v),
                           rtol=1e-6, atol=1e-6)


def directional_difference(ns, args, position, v, h=1e-5):
    """(∇f(x + h v) - ∇f(x - h v)) / 2h, vec order: H v without H."""
    x = np.asarray(args[position], dtype=float)
    step = v.reshape(x.shape, order="F") * h

    def gradient_at(point):
        moved = list(args)
        moved[position] = point
        return np.asarray(next(iter(ns["loss_and_gradient"](*moved)[1].values()))).reshape(-1, order="F")
    return (gradient_at(x + step) - gradient_at(x - step)) / (2 * h)
