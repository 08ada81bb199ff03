"""Generated code keeps its inputs' dtype, stays finite at |z| = 1000,
never builds what it can apply (H v without H, diag(v) A as a scaling,
(A ⊗ B) vec(X) as vec(B X A^T)), checks its inputs' shapes with matcalc's
messages, and ``matcalc codegen`` writes a module that runs (SPEC §5, §8)."""

from __future__ import annotations

import runpy
import warnings

import numpy as np
import pytest

import matcalc
from matcalc.cli import main
from matcalc.lowering import lower
from codegen_support import ROOT, arguments, derivation_of, generated, user_values

TARGETS = ("numpy", "torch", "jax")


def library(target):
    """(module, to_array(numpy array, dtype name), to_numpy) of a target, or skip."""
    if target == "torch":
        torch = pytest.importorskip("torch", reason="torch is not installed (CI installs torch==2.13.0)")
        return lambda a, dtype: torch.tensor(a, dtype=getattr(torch, dtype)), lambda t: t.numpy()
    if target == "jax":
        jax = pytest.importorskip("jax", reason="jax is not installed (CI installs it)")
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        return lambda a, dtype: jnp.asarray(a, dtype=dtype), np.asarray
    return lambda a, dtype: np.asarray(a, dtype=dtype), np.asarray


def dtype_name(value) -> str:
    return str(value.dtype).replace("torch.", "")


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("example", ["32_mlp_program", "backprop/10_batched_two_layer", "37_jacobian_inverse",
                                     "40_hessian_softmax_cross_entropy", "42_gradient_through_kron"])
def test_float32_in_float32_out(target, example):
    to_array, to_numpy = library(target)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        command, derivation = derivation_of(ROOT / "examples" / f"{example}.sh")
    ns = generated(derivation, target)
    values = user_values(derivation)
    args = [to_array(values[name], "float32") for name in arguments(derivation)]
    if command == "derive":
        loss, gradients = ns["loss_and_gradients"](*args)
        outputs = [loss, *gradients.values()]
    elif command == "jacobian":
        outputs = list(ns["value_and_jacobian"](*args))
    else:
        direction = to_array(np.ones(np.asarray(values[derivation.wrt]).size), "float32")
        outputs = [ns["hessian"](*args), ns["hessian_vector_product"](*args, direction)]
    assert [dtype_name(o) for o in outputs] == ["float32"] * len(outputs)
    expected = derivation.evaluate(values)
    found = gradients if command == "derive" else {derivation.wrt: outputs[1 if command == "jacobian" else 0]}
    for wrt, value in (expected if isinstance(expected, dict) else {derivation.wrt: expected}).items():
        scale = max(np.max(np.abs(value)), 1e-3)
        assert np.max(np.abs(to_numpy(found[wrt]).reshape(np.shape(value)) - value)) / scale < 1e-4


@pytest.mark.parametrize("example", ["32_mlp_program", "backprop/10_batched_two_layer", "37_jacobian_inverse",
                                     "40_hessian_softmax_cross_entropy", "42_gradient_through_kron"])
def test_evaluate_keeps_the_inputs_dtype_as_the_generated_code(example):
    """evaluate runs the lowered statements in the inputs' floating dtype (float32 in, float32
    out, as the generated NumPy); whole numbers are read as float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        command, derivation = derivation_of(ROOT / "examples" / f"{example}.sh")
    values = user_values(derivation)
    single = {name: np.float32(value) if isinstance(value, float) else value.astype(np.float32)
              for name, value in values.items()}
    found, expected = derivation.evaluate(single), derivation.evaluate(values)
    found, expected = (found, expected) if isinstance(found, dict) else ({"": found}, {"": expected})
    for key, value in found.items():
        assert value.dtype == np.float32 and expected[key].dtype == np.float64, key
        scale = max(np.max(np.abs(expected[key])), 1e-3)
        assert np.max(np.abs(value - expected[key])) / scale < 1e-4, key


@pytest.mark.parametrize("dtype", [int, np.float16, np.longdouble])
def test_evaluate_reads_other_numbers_as_float64(dtype):
    """Whole numbers, and floats LAPACK has no routines for (a solve here)."""
    x, A = np.arange(3).astype(dtype), (np.eye(3) * 2).astype(dtype)
    answer = matcalc.derive("x^T inv(A) x", wrt="x").evaluate({"x": x, "A": A})
    assert answer.dtype == np.float64 and np.allclose(answer, np.arange(3.0))


# (function of z, its value and gradient computed stably in float64 by hand)
def softplus(z):
    return np.logaddexp(0, z)


def sigma(z):
    return np.exp(-softplus(-z))


Y = np.array([0.1, 0.2, 0.3, 0.4])
STABLE = {
    "-y^T log(softmax(z))": (lambda z: np.logaddexp.reduce(z) - Y @ z,
                             lambda z: np.exp(z - np.logaddexp.reduce(z)) - Y),
    "log(1^T exp(z))": (lambda z: np.logaddexp.reduce(z), lambda z: np.exp(z - np.logaddexp.reduce(z))),
    "1^T softplus(z)": (lambda z: softplus(z).sum(), sigma),
    "1^T log(sigma(z))": (lambda z: -softplus(-z).sum(), lambda z: sigma(-z)),
    "-(y^T log(sigma(z)) + (1 - y)^T log(1 - sigma(z)))": (lambda z: (softplus(z) - Y * z).sum(),
                                                          lambda z: sigma(z) - Y),
    "1^T sigma(z)": (lambda z: sigma(z).sum(), lambda z: sigma(z) * sigma(-z)),
}


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("source", list(STABLE))
def test_finite_and_right_at_z_1000(source, dtype, target):
    to_array, to_numpy = library(target)
    where = "y: probability vector" if "softmax" in source else ""
    derivation = matcalc.derive(source, wrt="z", where=where)
    ns = generated(derivation, target)
    z = np.array([1000.0, -1000.0, 3.0, -2.0])
    values = {"z": z, "y": Y}
    loss, gradients = ns["loss_and_gradients"](*[to_array(values[n], dtype) for n in arguments(derivation)])
    value, gradient = STABLE[source]
    assert np.isfinite(to_numpy(loss)) and np.all(np.isfinite(to_numpy(gradients["z"])))
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    assert abs(float(to_numpy(loss)) - value(z)) <= tolerance * max(1.0, abs(value(z)))
    assert np.allclose(to_numpy(gradients["z"]), gradient(z), rtol=tolerance, atol=tolerance)


def kinds(function):
    return [op.kind for op in function.ops]


def test_hessian_vector_product_never_forms_the_hessian():
    """H = W^T (diag(s) - s s^T) W: H v is W^T (s ⊙ u - s (s^T u)) with u = W v."""
    module = lower(matcalc.hessian("-y^T log(softmax(W x))", wrt="x", where="y: probability vector"))
    product = next(f for f in module.functions if f.name == "hessian_vector_product")
    assert not {"outer", "diag_matrix", "kron", "matrix_power", "inv"} & set(kinds(product))
    assert "outer" in kinds(next(f for f in module.functions if f.name == "hessian"))


@pytest.mark.parametrize("source, wrt, structured, dense", [
    ("||diag(v) A||_F^2", "A", "row_scale", "diag_matrix"),          # diag(v) A → v[:, None] * A
    ("vec(X)^T (A ⊗ B) vec(X)", "X", "kron_apply", "kron"),          # (A ⊗ B) vec(X) → vec(B X A^T)
    ("b^T inv(A) b", "b", "solve", "inv"),                            # inv(A) b → a solve
])
def test_structured_factors_are_applied_not_built(source, wrt, structured, dense):
    module = lower(matcalc.derive(source, wrt=wrt))
    ops = kinds(module.functions[0])
    assert structured in ops and dense not in ops


def test_commutation_applied_as_a_transpose():
    """K vec(A) is vec(A^T): the lowering permutes, it builds no K."""
    from matcalc.lowering.builder import Builder
    from matcalc.language import ast as A
    d = matcalc.jacobian("X^T", wrt="X")
    builder = Builder(d.env, ("X",))
    builder.scope.update(X="X", v="v")
    rows, cols = d.env.shape(A.Symbol("X"))
    builder.lower(A.Product((A.Commutation(rows, cols), A.Vec(A.Symbol("X")))))
    assert "commute" in kinds(builder) and "eye" not in kinds(builder)
    ns = generated(d)
    X = np.arange(12.0).reshape(3, 4)
    value, jacobian = ns["value_and_jacobian"](X)
    assert np.array_equal(jacobian @ X.T.reshape(-1), X.reshape(-1))      # K vec(X) = vec(X^T)


def test_shapes_are_checked_first_with_matcalcs_words():
    ns = generated(matcalc.derive("a = W1 x; l = ||a||^2", wrt="W1"))
    with pytest.raises(ValueError, match=r"^W1 x: W1 is 4×3 but x has length 5$"):      # SPEC §8's words
        ns["loss_and_gradients"](np.ones((4, 3)), np.ones(5))
    with pytest.raises(ValueError, match="x is a vector of length"):
        ns["loss_and_gradients"](np.ones((4, 3)), np.ones((3, 1)))


def test_codegen_command_writes_a_module_that_checks_itself(tmp_path, capsys):
    path = tmp_path / "grad.py"
    status = main(["codegen", "a1 = W1 x + b1; h1 = tanh(a1); l = ||W2 h1 - y||^2", "--wrt", "all",
                   "--where", "x, y: data", "--target", "numpy", "-o", str(path)])
    assert status == 0
    ns = runpy.run_path(str(path))
    assert set(ns["loss_and_gradients"].__code__.co_varnames[:5]) == {"W1", "x", "b1", "W2", "y"}
    with pytest.raises(SystemExit) as exit:
        runpy.run_path(str(path), run_name="__main__")
    assert exit.value.code == 0
    assert "largest relative error" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["codegen", "x^T A x", "--wrt", "q"],
                                  ["codegen", "x^T A x", "--wrt", "x", "--target", "cuda"],
                                  ["codegen", "x^T A x +", "--wrt", "x"]])
def test_codegen_bad_input_is_one_message_and_status_2(argv, capsys):
    with pytest.raises(SystemExit) if "cuda" in argv else _nothing() as caught:
        status = main(argv)
    status = caught.value.code if "cuda" in argv else status
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("matcalc: error:") and "Traceback" not in err


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_the_page_api_carries_the_generated_code():
    """SPEC §9: the page shows the code; /api/derive?...&code=torch carries the module."""
    from matcalc.service import Request, answer_json
    data = answer_json(Request("x^T A x", "x", code="torch"))
    assert data["code"]["target"] == "torch" and "def loss_and_gradients(x, A):" in data["code"]["text"]
    assert "code" not in answer_json(Request("x^T A x", "x"))
    assert "unknown target" in answer_json(Request("x^T A x", "x", code="cuda"))["code"]["error"]


@pytest.mark.parametrize("target", TARGETS)
def test_training_with_generated_gradients_lowers_the_loss(target, capsys):
    """examples/train_with_codegen.py: matcalc codegen → grad.py → gradient descent, the loss falling."""
    library(target)
    example = runpy.run_path(str(ROOT / "examples" / "train_with_codegen.py"))
    losses = example["train"](target, steps=30)
    assert all(np.isfinite(losses)) and losses[-1] < losses[0] / 4
    assert all(later <= earlier + 1e-6 for earlier, later in zip(losses, losses[1:]))


@pytest.mark.parametrize("source", list(STABLE))
def test_evaluate_is_as_stable_as_the_generated_code(source):
    """evaluate (and check(), which uses it) runs the lowered statements: at
    z = ±1000 the answer and the function's own value are finite and right."""
    from matcalc.numeric.evaluate import bind_values, evaluate
    where = "y: probability vector" if "softmax" in source else ""
    derivation = matcalc.derive(source, wrt="z", where=where)
    z = np.array([1000.0, -1000.0, 3.0, -2.0])
    values = {name: {"z": z, "y": Y}[name] for name in arguments(derivation)}
    value, gradient = STABLE[source]
    np.testing.assert_allclose(derivation.evaluate(values), gradient(z), rtol=1e-12, atol=1e-12)
    point, _ = bind_values(values, derivation.problem.symbols, derivation.problem.env)
    assert float(evaluate(derivation.problem.expr, point)[0, 0]) == pytest.approx(value(z), rel=1e-12)


def test_a_program_name_like_a_temporary_is_not_overwritten():
    """t1 is the user's: matcalc's temporaries take other names (found by tests/test_soundness.py)."""
    d = matcalc.derive("t1 = sigma(alpha)^{1/2}; ||x|| + t1", wrt="alpha")
    s = 1 / (1 + np.exp(-0.7))
    assert d.evaluate({"alpha": 0.7, "x": np.ones(3)}) == pytest.approx(0.5 * s ** 0.5 * (1 - s), rel=1e-12)
    loss, gradients = generated(d)["loss_and_gradients"](x=np.ones(3), alpha=0.7)
    assert gradients["alpha"] == pytest.approx(0.5 * s ** 0.5 * (1 - s), rel=1e-12)


def test_every_target_and_the_interpreter_speak_the_whole_vocabulary():
    """A new target is one table: it must print every kind the lowering emits, as the interpreter runs it."""
    from matcalc.lowering import VOCABULARY
    from matcalc.numeric import interpret
    from matcalc.printers.code import TARGETS
    from matcalc.printers.code.common import SHARED
    printed_by_the_printer = {"const", "size", "ones", "zeros", "eye", "func", "kron_apply"}
    for name, target in TARGETS.items():
        assert set(VOCABULARY) <= set(SHARED) | set(target.templates) | printed_by_the_printer, name
        functions = set(target.functions)
        assert {"sigmoid", "log_sigmoid", "softplus", "relu", "step", "exp", "log", "tanh"} <= functions, name
    run_directly = set(interpret.BINARY) | set(interpret.UNARY)
    rest = set(VOCABULARY) - run_directly
    for kind in rest:       # the interpreter's other branches name their kinds
        assert f'"{kind}"' in open(interpret.__file__, encoding="utf-8").read(), kind


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("source, wrt, where", [
    ("softplus(t - 2) + t^2", "t", "t: scalar"),                      # only a scalar: no array to take after
    ("sum(sigma(c W x)) + softplus(c)", "c,W", "c: scalar; x: data"),  # a scalar beside float32 arrays
])
def test_a_scalar_given_as_a_python_number(target, source, wrt, where):
    # SPEC §8: scalars as Python or 0-d values; torch's functions take no Python
    # numbers (torch.sigmoid(2.0) is a TypeError), so the module makes one a tensor
    to_array, to_numpy = library(target)
    g = matcalc.derive(source, wrt=wrt, where=where)
    ns = generated(g, target)
    values = user_values(g)
    args = [float(values[name]) if np.ndim(values[name]) == 0 else to_array(values[name], "float32")
            for name in arguments(g)]
    loss, gradients = ns["loss_and_gradients"](*args)
    expected = g.evaluate(values)
    expected = expected if isinstance(expected, dict) else {wrt: expected}
    for name, value in expected.items():
        found = np.asarray(to_numpy(gradients[name]) if not isinstance(gradients[name], float) else gradients[name])
        scale = max(np.max(np.abs(value)), 1e-3)
        assert np.max(np.abs(found.reshape(np.shape(value)) - value)) / scale < 1e-4, name
        if np.ndim(value):
            assert dtype_name(gradients[name]) == "float32", name          # the arrays' dtype kept
