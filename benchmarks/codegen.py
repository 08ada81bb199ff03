"""Benchmark: matcalc's generated code against hand-written code and autodiff.

    python benchmarks/codegen.py [--repeat 20] [--dtypes float64 float32]

Two networks, batched (samples are columns), one BLAS thread:

* tanh4: a 4-layer tanh network, width 256, batch 256, squared loss;
* softmax2: a 784 → 256 relu → 10 classifier, batch 256, column softmax
  cross-entropy.

For each it times, in float64 and float32, the loss and all the gradients
from matcalc's generated NumPy, torch and JAX (under jax.jit) modules, a
hand-written NumPy backward pass, torch autograd and jax.value_and_grad
under jit (and matcalc's own ``Gradients.evaluate``; for tanh4 also its 11
matrix products alone, in NumPy and in torch), and prints each as a multiple of the NumPy forward pass alone
(min CPU time over --repeat runs, after a warm-up).  Every implementation's
gradients are first compared with the hand-written ones.  A measurement,
not a test: it exits 0.
"""

from __future__ import annotations

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"                       # one BLAS thread, before NumPy loads
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import matcalc  # noqa: E402

TANH4 = ("A1 = W1 X + b1 1^T; H1 = tanh(A1); A2 = W2 H1 + b2 1^T; H2 = tanh(A2); "
         "A3 = W3 H2 + b3 1^T; H3 = tanh(A3); A4 = W4 H3 + b4 1^T; l = ||A4 - Y||_F^2")
SOFTMAX2 = "A1 = W1 X + b1 1^T; H1 = relu(A1); A2 = W2 H1 + b2 1^T; l = -sum(Y ⊙ log(softmax(A2)))"
WHERE = {"tanh4": "X, Y: data", "softmax2": "Y: probability vector; X, Y: data"}


def data(name, dtype, rng):
    """The inputs in the program's order of first use."""
    if name == "tanh4":
        width, batch = 256, 256
        values = {"X": rng.standard_normal((width, batch)), "Y": rng.standard_normal((width, batch))}
        for k in range(1, 5):
            values[f"W{k}"] = rng.standard_normal((width, width)) / np.sqrt(width)
            values[f"b{k}"] = 0.1 * rng.standard_normal(width)
    else:
        batch = 256
        labels = rng.integers(0, 10, batch)
        values = {"X": rng.standard_normal((784, batch)), "Y": np.eye(10)[:, labels],
                  "W1": rng.standard_normal((256, 784)) / 28, "b1": 0.1 * rng.standard_normal(256),
                  "W2": rng.standard_normal((10, 256)) / 16, "b2": 0.1 * rng.standard_normal(10)}
    order = ["W1", "X", "b1", "W2", "b2"] + (["W3", "b3", "W4", "b4"] if name == "tanh4" else []) + ["Y"]
    return {key: values[key].astype(dtype) for key in order}          # the program's order of first use


# ---- hand-written NumPy, as a person would write it
def tanh4_forward(W1, X, b1, W2, b2, W3, b3, W4, b4, Y):
    H1 = np.tanh(W1 @ X + b1[:, None])
    H2 = np.tanh(W2 @ H1 + b2[:, None])
    H3 = np.tanh(W3 @ H2 + b3[:, None])
    R = W4 @ H3 + b4[:, None] - Y
    return (R * R).sum()


def tanh4_by_hand(W1, X, b1, W2, b2, W3, b3, W4, b4, Y):
    H1 = np.tanh(W1 @ X + b1[:, None])
    H2 = np.tanh(W2 @ H1 + b2[:, None])
    H3 = np.tanh(W3 @ H2 + b3[:, None])
    R = W4 @ H3 + b4[:, None] - Y
    D4 = 2 * R
    D3 = (W4.T @ D4) * (1 - H3 * H3)
    D2 = (W3.T @ D3) * (1 - H2 * H2)
    D1 = (W2.T @ D2) * (1 - H1 * H1)
    grads = {"W1": D1 @ X.T, "b1": D1.sum(axis=1), "W2": D2 @ H1.T, "b2": D2.sum(axis=1),
             "W3": D3 @ H2.T, "b3": D3.sum(axis=1), "W4": D4 @ H3.T, "b4": D4.sum(axis=1)}
    return (R * R).sum(), grads


def softmax2_forward(W1, X, b1, W2, b2, Y):
    A2 = W2 @ np.maximum(W1 @ X + b1[:, None], 0) + b2[:, None]
    shifted = A2 - A2.max(axis=0)
    return -(Y * (shifted - np.log(np.exp(shifted).sum(axis=0)))).sum()


def softmax2_by_hand(W1, X, b1, W2, b2, Y):
    A1 = W1 @ X + b1[:, None]
    H1 = np.maximum(A1, 0)
    A2 = W2 @ H1 + b2[:, None]
    shifted = A2 - A2.max(axis=0)
    E = np.exp(shifted)
    total = E.sum(axis=0)
    loss = -(Y * (shifted - np.log(total))).sum()
    D2 = E / total - Y
    D1 = (W2.T @ D2) * (A1 > 0)
    return loss, {"W1": D1 @ X.T, "b1": D1.sum(axis=1), "W2": D2 @ H1.T, "b2": D2.sum(axis=1)}


def best_times(functions: dict, repeat: int) -> dict:
    """Min CPU time of each function over ``repeat`` rounds; every round runs
    each function once, in turn, so a slow spell of a shared machine falls on
    all of them alike."""
    for function in functions.values():
        function()                                    # warm-up (jit compiles here)
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(repeat):
        for label, function in functions.items():
            start = time.process_time()
            function()
            best[label] = min(best[label], time.process_time() - start)
    return best


def generated(program, where, target):
    namespace = {"__name__": "generated"}
    code = matcalc.derive(program, wrt="all", where=where).to_python(target)
    exec(compile(code, f"<{target}>", "exec"), namespace)
    return namespace["loss_and_gradients"]


def contenders(name, program, values, dtype):
    """name → a function of no arguments computing the loss and every gradient (numpy results)."""
    forward, by_hand = globals()[f"{name}_forward"], globals()[f"{name}_by_hand"]
    args = list(values.values())
    found = {"numpy forward": lambda: forward(*args),
             "hand-written numpy": lambda: by_hand(*args),
             "matcalc numpy": (lambda f: lambda: f(*args))(generated(program, WHERE[name], "numpy"))}
    derivation = matcalc.derive(program, wrt="all", where=WHERE[name])
    found["matcalc evaluate"] = lambda: (None, derivation.evaluate(values))     # check()'s evaluator
    try:
        import torch
        torch.set_num_threads(1)
        tensors = [torch.from_numpy(a) for a in args]
        parameters = [key for key in values if key not in ("X", "Y")]

        def autograd():
            # fresh leaves without copying the inputs (detach, not clone): torch's own cost only
            leaves = [t.detach().requires_grad_(key in parameters) for key, t in zip(values, tensors)]
            loss = forward_torch(name, *leaves)
            loss.backward()
            return loss, {key: leaf.grad for key, leaf in zip(values, leaves) if key in parameters}
        found["torch autograd"] = autograd
        generated_torch = generated(program, WHERE[name], "torch")
        found["matcalc torch"] = lambda: generated_torch(*tensors)
    except ImportError:
        print("torch is not installed: skipped")
    try:
        import jax
        jax.config.update("jax_enable_x64", dtype == "float64")
        arrays = [jax.numpy.asarray(a) for a in args]
        argnums = [i for i, key in enumerate(values) if key not in ("X", "Y")]
        jax_forward = jax.jit(jax.value_and_grad(lambda *a: forward_jax(name, *a), argnums=argnums))
        found["jax value_and_grad"] = lambda: jax.block_until_ready(jax_forward(*arrays))
        generated_jax = jax.jit(generated(program, WHERE[name], "jax"))
        found["matcalc jax (jit)"] = lambda: jax.block_until_ready(generated_jax(*arrays))
    except ImportError:
        print("jax is not installed: skipped")
    return found


def forward_torch(name, *a):
    import torch
    if name == "tanh4":
        W1, X, b1, W2, b2, W3, b3, W4, b4, Y = a
        H = torch.tanh(W3 @ torch.tanh(W2 @ torch.tanh(W1 @ X + b1[:, None]) + b2[:, None]) + b3[:, None])
        return ((W4 @ H + b4[:, None] - Y) ** 2).sum()
    W1, X, b1, W2, b2, Y = a
    A2 = W2 @ torch.relu(W1 @ X + b1[:, None]) + b2[:, None]
    return -(Y * torch.log_softmax(A2, dim=0)).sum()


def forward_jax(name, *a):
    import jax
    if name == "tanh4":
        W1, X, b1, W2, b2, W3, b3, W4, b4, Y = a
        tanh = jax.numpy.tanh
        H = tanh(W3 @ tanh(W2 @ tanh(W1 @ X + b1[:, None]) + b2[:, None]) + b3[:, None])
        return ((W4 @ H + b4[:, None] - Y) ** 2).sum()
    W1, X, b1, W2, b2, Y = a
    A2 = W2 @ jax.nn.relu(W1 @ X + b1[:, None]) + b2[:, None]
    return -(Y * jax.nn.log_softmax(A2, axis=0)).sum()


def tanh4_matrix_products(W) -> dict:
    """tanh4's 11 matrix products alone (4 forward, 4 for the W's, 3 for the
    δH's), 256×256 by 256×256, in NumPy's BLAS and in torch's: the floor
    under any NumPy and any torch implementation of its loss and gradients."""
    def numpy_products():
        for _ in range(11):
            W @ W
    found = {"its 11 matmuls, NumPy": numpy_products}
    try:
        import torch
    except ImportError:
        return found
    torch.set_num_threads(1)
    T = torch.from_numpy(W)

    def torch_products():
        for _ in range(11):
            T @ T
    found["its 11 matmuls, torch"] = torch_products
    return found


def agree(found, reference, dtype) -> bool:
    loss, gradients = found
    if isinstance(gradients, tuple):                  # jax's value_and_grad over several arguments
        gradients = dict(zip(reference[1], gradients))
    tolerance = 1e-3 if dtype == "float32" else 1e-9
    return all(np.allclose(np.asarray(gradients[key]), value, rtol=tolerance, atol=tolerance * np.abs(value).max())
               for key, value in reference[1].items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    rows = {}
    for dtype in options.dtypes:
        for name, program in (("tanh4", TANH4), ("softmax2", SOFTMAX2)):
            values = data(name, dtype, rng)
            found = contenders(name, program, values, dtype)
            reference = globals()[f"{name}_by_hand"](*values.values())
            if name == "tanh4":
                found.update(tanh4_matrix_products(values["W1"]))
            for label, function in found.items():
                if label != "numpy forward" and "matmuls" not in label and not agree(function(), reference, dtype):
                    print(f"{label} disagrees with the hand-written gradients ({name}, {dtype})")
            times = best_times(found, options.repeat)
            for label, seconds in times.items():
                rows.setdefault(label, {})[(name, dtype)] = seconds / times["numpy forward"]
    columns = [(name, dtype) for dtype in options.dtypes for name in ("tanh4", "softmax2")]
    print("time / NumPy forward pass (min CPU time, one thread)")
    print(f"{'':22}" + "".join(f"{name + ' ' + dtype[-2:]:>14}" for name, dtype in columns))
    for label, ratios in rows.items():
        print(f"{label:22}" + "".join(f"{ratios.get(c, float('nan')):>13.2f}×" for c in columns))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
