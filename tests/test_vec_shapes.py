"""Shapes through vec and ⊗ follow the Kronecker identities (issue 13 item 5):
(A ⊗ B) vec(X) = vec(B X A^T) makes X cols(B) × cols(A), and vec(D)^T vec(G^T)
makes G the transpose of D's shape; evaluate takes values of those shapes and
the gradients agree with the closed forms, at distinct sizes."""

from __future__ import annotations

import numpy as np

import matcalc

RNG = np.random.default_rng(7)
A, B = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 2))


def unvec(v, rows, cols):
    return v.reshape(cols, rows).T        # vec stacks columns


def test_kron_times_vec_takes_x_of_the_kronecker_shape():
    d = matcalc.derive("a^T (A ⊗ B) vec(X)", wrt="X")
    env = d.env.symbols
    assert (env["X"].rows, env["X"].cols) == (env["B"].cols, env["A"].cols)
    a, X = RNG.standard_normal((15, 1)), RNG.standard_normal((2, 4))
    gradient = d.evaluate({"A": A, "B": B, "X": X, "a": a})
    assert np.allclose(gradient, B.T @ unvec(a, 5, 3) @ A)        # l = tr(unvec(a)^T B X A^T)
    assert d.check() < 1e-6


def test_bilinear_vec_form_between_two_shapes():
    d = matcalc.derive("vec(P)^T (A ⊗ B) vec(Q)", wrt="Q")
    P, Q = RNG.standard_normal((5, 3)), RNG.standard_normal((2, 4))
    assert np.allclose(d.evaluate({"P": P, "A": A, "B": B, "Q": Q}), B.T @ P @ A)
    assert d.check() < 1e-6


def test_vec_of_a_transpose_transposes_the_shape():
    d = matcalc.derive("vec(D)^T vec(G^T)", wrt="G")
    env = d.env.symbols
    assert (env["G"].rows, env["G"].cols) == (env["D"].cols, env["D"].rows)
    D, G = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 3))
    assert np.allclose(d.evaluate({"D": D, "G": G}), D.T)


def test_values_of_the_wrong_shape_are_refused_by_name():
    d = matcalc.derive("a^T (A ⊗ B) vec(X)", wrt="X")
    try:
        d.evaluate({"A": A, "B": B, "X": RNG.standard_normal((4, 2)), "a": RNG.standard_normal((15, 1))})
    except matcalc.MatcalcError as error:
        # the value's shape, the symbol's shape and which value fixed the size
        assert str(error).startswith("X is 4×2, but X is ") and "(from B)" in str(error), str(error)
    else:
        raise AssertionError("a 4×2 X was accepted where X is 2×4")
