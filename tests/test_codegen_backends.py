"""Generated PyTorch and JAX code (SPEC §8) agrees with torch.autograd and
jax.grad of its own forward function, for every example; the JAX functions
run under jax.jit.  The reference is each library's automatic
differentiation, independent of matcalc's derivation."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from codegen_support import EXAMPLES, arguments, derivation_of, generated, user_values

IDS = [f"{p.parent.name}/{p.stem}" for p in EXAMPLES]


def relative(found, expected) -> float:
    found, expected = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    return float(np.max(np.abs(found - expected)) / max(np.max(np.abs(expected)), 1e-6))


def derived(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return derivation_of(path)


def symmetric(derivation, name) -> bool:
    info = derivation.problem.env.symbols[name]
    return info.symmetric or info.positive_definite


def vec(value):
    """Column-major vec of a 2-D array, any library (x.T.reshape(-1))."""
    return value.T.reshape(-1) if value.ndim == 2 else value.reshape(-1)


def unvec_like(flat, like):
    return flat.reshape(like.shape[::-1]).T if like.ndim == 2 else flat.reshape(like.shape)


def check_against_autodiff(command, derivation, ns, values, grad, jacobian, hessian):
    """``grad(f, args, i)``, ``jacobian(f, x)`` and ``hessian(f, x)`` are the library's."""
    names = arguments(derivation)
    args = [values[name] for name in names]
    if command == "derive":
        loss, gradients = ns["loss_and_gradients"](*args)
        for name, gradient in gradients.items():
            index = names.index(name)
            reference = np.asarray(grad(lambda *a: ns["loss_and_gradients"](*a)[0], args, index))
            if symmetric(derivation, name):
                reference = (reference + reference.T) / 2
            assert relative(gradient, reference) <= 1e-8, name
        return
    index = names.index(derivation.wrt)
    x = args[index]

    def at(flat):
        return args[:index] + [unvec_like(flat, x)] + args[index + 1:]

    if command == "jacobian":
        _, found = ns["value_and_jacobian"](*args)
        reference = jacobian(lambda flat: vec(ns["value_and_jacobian"](*at(flat))[0]), vec(x))
        assert relative(found, reference) <= 1e-8
        return
    found = ns["hessian"](*args)
    reference = hessian(lambda flat: ns["loss_and_gradient"](*at(flat))[0], vec(x))
    assert relative(found, reference) <= 1e-7
    direction = np.random.default_rng(3).standard_normal(np.asarray(found).shape[1])
    product = ns["hessian_vector_product"](*args, direction_as(x, direction))
    assert relative(product, np.asarray(reference) @ direction) <= 1e-7


def direction_as(x, direction):
    """The direction v in the library of x, in x's dtype."""
    module = type(x).__module__
    if module.startswith("torch"):
        import torch
        return torch.tensor(direction, dtype=x.dtype)
    if module.startswith("jax"):
        import jax.numpy as jnp
        return jnp.asarray(direction, dtype=x.dtype)
    return direction


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_torch_agrees_with_autograd(path):
    torch = pytest.importorskip("torch", reason="torch is not installed (CI installs torch==2.13.0)")
    command, derivation = derived(path)
    ns = generated(derivation, "torch")
    values = {name: torch.tensor(value, dtype=torch.float64)
              for name, value in user_values(derivation).items()}

    def grad(f, args, index):
        args = [a.detach().clone().requires_grad_(i == index) for i, a in enumerate(args)]
        (found,) = torch.autograd.grad(f(*args), [args[index]], allow_unused=True)
        return np.zeros(tuple(args[index].shape)) if found is None else found.detach().numpy()

    check_against_autodiff(command, derivation, ns, values, grad,
                           lambda f, x: torch.autograd.functional.jacobian(f, x).numpy(),
                           lambda f, x: torch.autograd.functional.hessian(f, x).numpy())


@pytest.fixture(scope="module")
def jax_float64():
    jax = pytest.importorskip("jax", reason="jax is not installed (CI installs it)")
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield jax
    jax.config.update("jax_enable_x64", previous)


@pytest.mark.parametrize("path", EXAMPLES, ids=IDS)
def test_jax_agrees_with_jax_grad_under_jit(path, jax_float64):
    jax, jnp = jax_float64, pytest.importorskip("jax.numpy")
    command, derivation = derived(path)
    ns = generated(derivation, "jax")
    for name in ("loss_and_gradients", "value_and_jacobian", "hessian", "hessian_vector_product"):
        if name in ns:
            ns[name] = jax.jit(ns[name])            # every generated function traces
    values = {name: jnp.asarray(value, dtype=jnp.float64) for name, value in user_values(derivation).items()}

    def grad(f, args, index):
        return jax.grad(f, argnums=index)(*args)

    check_against_autodiff(command, derivation, ns, values, grad,
                           lambda f, x: jax.jacfwd(f)(x), lambda f, x: jax.hessian(f)(x))
