"""The same call prints the same text, always: whatever was derived before it, in whatever process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import matcalc

MLP = "-y^T log(softmax(W2 sigma(W1 x)))"

# id -> (kind, expression, wrt, where)
PROBLEMS = {
    "mlp-W1": ("derive", MLP, "W1", "y: probability vector"),
    "alpha-trI": ("derive", "alpha tr(I)", "alpha", ""),
    "trI-xTx": ("derive", "tr(I) x^T x", "x", ""),
    "quadratic": ("derive", "x^T A x", "x", ""),
    "jacobian-AXB": ("jacobian", "A X B", "X", ""),
    "hessian-quadratic": ("hessian", "x^T A x", "x", ""),
    "program": ("derive", "a1 = W1 x; h1 = sigma(a1); l = sum(h1)", "W1", ""),
    "logdet-pd": ("derive", "logdet(X)", "X", "X: positive definite"),
    "frobenius": ("derive", "||X A^T - B||_F^2", "X", ""),
    "trace-kron": ("derive", "tr(X ⊗ I)", "X", ""),
}
IDS = list(PROBLEMS)
FORMATS = ["text", "latex-steps", "markdown", "json"]


def derivation(name):
    kind, expr, wrt, where = PROBLEMS[name]
    return getattr(matcalc, kind)(expr, wrt=wrt, where=where)


def rendered(d):
    """Every format of one derivation, as strings."""
    return {"text": d.text(), "latex-steps": d.latex(steps=True), "markdown": d.markdown(),
            "json": json.dumps(d.json(), ensure_ascii=False)}


@pytest.fixture(scope="module")
def two_rounds():
    """All problems derived in order, then all again in reverse order: between the two
    derivations of any one problem, every other problem was derived at least once."""
    first = {name: rendered(derivation(name)) for name in IDS}
    second = {name: rendered(derivation(name)) for name in reversed(IDS)}
    return first, second


@pytest.mark.parametrize("name", IDS)
def test_derivation_is_numerically_right(name):
    assert derivation(name).check() < 1e-6


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", IDS)
def test_same_output_after_other_derivations(two_rounds, name, fmt):
    first, second = two_rounds
    assert second[name][fmt] == first[name][fmt]


@pytest.mark.parametrize("name", IDS)
def test_same_output_rendering_one_derivation_twice(name):
    d = derivation(name)
    once = rendered(d)
    matcalc.derive("tr(I) x^T x", wrt="x")     # something else in between
    assert rendered(d) == once


@pytest.mark.parametrize("name", IDS)
def test_same_output_right_after_itself(name):
    """Twice in a row, with nothing in between (a counter would still move)."""
    assert rendered(derivation(name)) == rendered(derivation(name))


# the CLI in fresh processes, with different hash seeds
CLI_PROBLEMS = ["mlp-W1", "alpha-trI", "hessian-quadratic"]
REPO = Path(__file__).resolve().parent.parent


def cli_json(name, hash_seed):
    kind, expr, wrt, where = PROBLEMS[name]
    args = [sys.executable, "-m", "matcalc", kind, expr, "--wrt", wrt, "--format", "json"]
    if where:
        args += ["--where", where]
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run(args, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", CLI_PROBLEMS)
def test_same_json_across_processes_and_hash_seeds(name):
    first, second = cli_json(name, 0), cli_json(name, 12345)
    assert json.loads(first)["answer"]          # a real derivation, not an empty document
    assert second == first
    assert derivation(name).check() < 1e-6


@pytest.mark.parametrize("name", CLI_PROBLEMS)
def test_cli_json_matches_the_api(name):
    """A fresh process prints what the API gives for the same call in a fresh state."""
    cli = json.loads(cli_json(name, 0))
    code = ("import json, sys, matcalc; kind, expr, wrt, where = sys.argv[1:5]; "
            "print(json.dumps(getattr(matcalc, kind)(expr, wrt=wrt, where=where).json()))")
    kind, expr, wrt, where = PROBLEMS[name]
    done = subprocess.run([sys.executable, "-c", code, kind, expr, wrt, where],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == cli
    assert derivation(name).check() < 1e-6
