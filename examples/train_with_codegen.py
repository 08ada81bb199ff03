"""Derive → generate → train: a tiny classifier trained with matcalc's generated gradients.

    python examples/train_with_codegen.py [--target numpy|torch|jax] [--steps 60]

1. ``matcalc codegen`` writes the gradients of a two-layer softmax classifier
   (samples are the columns of X) to grad.py — the same command a user types;
2. the script imports grad.py and runs plain gradient descent on a toy
   problem (three Gaussian blobs), printing the loss as it falls.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

PROGRAM = "A1 = W1 X + b1 1^T; H1 = tanh(A1); A2 = W2 H1 + b2 1^T; l = -sum(Y ⊙ log(softmax(A2))) / N"
WHERE = "Y: probability vector; N: scalar; X, Y, N: data"


def generate(target: str, folder: Path) -> Path:
    """matcalc codegen ... -o grad.py, as typed on the command line."""
    path = folder / "grad.py"
    subprocess.run([sys.executable, "-m", "matcalc", "codegen", PROGRAM, "--wrt", "all", "--where", WHERE,
                    "--target", target, "-o", str(path)], check=True)
    return path


def load(path: Path):
    spec = importlib.util.spec_from_file_location("grad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def toy_data(rng, per_class=40):
    """Three Gaussian blobs in the plane; samples are columns, labels one-hot."""
    centres = np.array([[0.0, 3.0, -3.0], [3.0, -2.0, -2.0]])
    labels = np.repeat(np.arange(3), per_class)
    X = centres[:, labels] + rng.standard_normal((2, labels.size))
    return X, np.eye(3)[:, labels]


def train(target: str = "numpy", steps: int = 60, rate: float = 0.5, seed: int = 0) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        grad = load(generate(target, Path(folder)))
    rng = np.random.default_rng(seed)
    X, Y = toy_data(rng)
    params = {"W1": 0.5 * rng.standard_normal((8, 2)), "b1": np.zeros(8),
              "W2": 0.5 * rng.standard_normal((3, 8)), "b2": np.zeros(3)}
    convert, back = array_functions(target)
    params = {name: convert(value) for name, value in params.items()}
    X, Y, N = convert(X), convert(Y), float(X.shape[1])
    losses = []
    for step in range(steps):
        loss, gradients = grad.loss_and_gradients(params["W1"], X, params["b1"], params["W2"], params["b2"], Y, N)
        params = {name: params[name] - rate * gradients[name] for name in params}
        losses.append(float(back(loss)))
        if step % 10 == 0 or step == steps - 1:
            print(f"step {step:3d}   loss {losses[-1]:.4f}")
    return losses


def array_functions(target: str):
    """NumPy arrays → the target's arrays, and a scalar back to NumPy."""
    if target == "torch":
        import torch
        return torch.from_numpy, lambda t: t.item()
    if target == "jax":
        import jax.numpy as jnp
        return jnp.asarray, float
    return np.asarray, float


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=("numpy", "torch", "jax"), default="numpy")
    parser.add_argument("--steps", type=int, default=60)
    options = parser.parse_args()
    losses = train(options.target, options.steps)
    print(f"loss {losses[0]:.4f} → {losses[-1]:.4f}")
