"""Gradients through the API: numerically right, textbook-compact, every step cited."""

import json

import numpy as np
import pytest

import matcalc
from matcalc.calculus.strategy import ENGINE_STEPS
from matcalc.language.parser import parse_program
from matcalc.printers.text import to_text
from matcalc.rewriting.catalog import default_catalog as catalog

MLP = "-y^T log(softmax(W2 sigma(W1 x)))"

# (expression, wrt, where, the answer as printed)
TEXTBOOK = [
    ("a^T X b", "X", "", "a b^T"),
    ("x^T A x", "x", "", "(A + A^T) x"),
    ("x^T S x", "x", "S: symmetric", "2 S x"),
    ("tr(X A X^T B)", "X", "", "B^T X A^T + B X A"),
    ("logdet(X)", "X", "", "X^{-T}"),
    ("logdet(X)", "X", "X: positive definite", "X^{-1}"),
    ("det(X)", "X", "", "det(X) X^{-T}"),
    ("tr(X^-1 A)", "X", "", "-X^{-T} A^T X^{-T}"),
    ("sum(A ⊙ X)", "X", "", "A"),
    ("||X w - y||^2", "w", "", "2 X^T (X w - y)"),
    ("-beta/2 ||T - Phi W||_F^2", "W", "", "β Φ^T (T - Φ W)"),
    (MLP, "W1", "y: probability vector",
     "((W2^T (softmax(W2 σ(W1 x)) - y)) ⊙ σ(W1 x) ⊙ (1 - σ(W1 x))) x^T"),
    (MLP, "W2", "", "(softmax(W2 σ(W1 x)) 1^T y - y) σ(W1 x)^T"),
    ("-y log(sigma(w^T x)) - (1 - y) log(1 - sigma(w^T x))", "w", "y: scalar", "(σ(w^T x) - y) x"),
    ("sum(tanh(W x))", "W", "", "(1 - tanh(W x) .^ 2) x^T"),
    ("sum(x ⊙ x ⊙ x)", "x", "", "3 x .^ 2"),
    ("x^T x / (y^T x)", "x", "", "2 x / (y^T x) - (x^T x) y / (y^T x)^2"),
    ("x^T x x^T x", "x", "", "4 x x^T x"),
    ("-tr(I - W) 2", "W", "", "2 I"),
    ("mean(trace(M - I))", "M", "", "I"),
    ("tr(diag(A x))", "x", "", "A^T 1"),
    ("tr(S^-2)", "S", "S: positive definite", "-2 S^{-3}"),
    ("a^T X^{-1} X^{-1} b", "X", "", "-X^{-T} a b^T (X^{-2})^T - (X^{-2})^T a b^T X^{-T}"),
    # SPEC §1: without the probability assumption the answer keeps 1^T y, after softmax(a)
    (MLP, "W1", "", "((W2^T (softmax(W2 σ(W1 x)) 1^T y - y)) ⊙ σ(W1 x) ⊙ (1 - σ(W1 x))) x^T"),
    ("-y^T log(softmax(a))", "a", "", "softmax(a) 1^T y - y"),
    ("x^T A x + b^T x", "x", "", "(A + A^T) x + b"),          # two of three terms factor
    ("1/2 x^T A x - b^T x", "x", "", "1/2 (A + A^T) x - b"),  # the common 1/2 in front
    ("tr(Phi - theta I)", "theta", "Phi: p by p", "-p"),      # tr(I) is the dimension p
    ("mean(W - beta I)", "beta", "", "-1 / n"),
    ("logdet(sigmoid(c) Q)", "c", "c: scalar; Q: positive definite", "(1 - σ(c)) n"),  # tr(c I) = c n
    ("mean(v)", "v", "", "(1 / n) 1"),                        # not 1 / n: that would read as a number
    ("b^T tanh(b - b) + a^T sigma(b - b)", "a", "", "1/2 1"),  # f(0) folds: σ(0) = 1/2
    ("(x ⊗ y)^T (s ⊗ y)", "s", "x: vector m x 1; y: vector n x 1", "(y^T y) x"),  # m·n = s·n: m = s
    ("(x ⊗ y)^T (z ⊗ y) + (x ⊗ x)^T (y ⊗ x)", "y", "", "2 (x^T z) y + (x^T x) x"),  # mixed product
    # the softmax written out is recognised (softmax-definition), 1^T y = 1 used where it stands
    ("-y^T log(exp(W x) / (1^T exp(W x)))", "W", "y: probability vector", "(softmax(W x) - y) x^T"),
    ("-y^T log(exp(z) / sum(exp(z)))", "z", "", "softmax(z) 1^T y - y"),
    ("(1^T y) x^T x", "x", "y: probability vector", "2 x"),
    ("log(1^T exp(x))", "x", "", "softmax(x)"),                   # exp(x) / (1^T exp(x)) written out
    ("1/2 logdet(P) - 1/2 (x - mu)^T P (x - mu)", "P", "mu: vector; P: positive definite",
     "1/2 (P^{-1} - (x - μ) (x - μ)^T)"),                          # (x - μ)^T, not x^T - μ^T
]

MORE = [
    ("||X A^T - B||_F^2", "X", ""), ("-beta/2 ||T - Phi W||_F^2", "beta", ""),
    ("||W X + b 1^T - Y||_F^2", "b", ""), ("||W X + b 1^T - Y||_F^2", "W", ""),
    ("||b2 + W^T sigma(W x + b1) - x||^2", "W", ""), ("log(1^T exp(x))", "x", ""),
    ("mean(A ⊙ X)", "X", ""), ("sum(X)^2", "X", ""), ("log(det(X))", "X", ""),
    ("exp(a^T x)", "x", ""), ("softplus(w^T x)", "w", ""), ("tanh(W x)^T v", "W", ""),
    ("a^T X^2 b", "X", ""), ("beta x^T x", "x", ""), ("x^T x / (y^T x)", "x", ""),
    ("||x||", "x", ""), ("tr(A X)^2", "X", ""), ("y^T (a ⊙ (W x))", "W", ""),
    ("-1/2 (x - mu)^T P (x - mu)", "mu", "mu: vector; P: symmetric"),
    ("x^T A^{-1} x", "A", ""), ("sqrt(x) ^T a", "x", ""),
    # once wrong or crashing (kept as regressions)
    ("exp(||G .* G||_F) ./ (tr(exp(gamma) K) + tr(Q))", "K", "gamma: scalar; K: symmetric; Q: positive definite"),
    ("sum(diag(x y^T x))", "x", ""), ("a^T x x^T b x^T c", "x", ""), ("sum(diag(vec(X)))", "X", ""),
    ("(D^{-T} ∘ H (H' (lambda * v)))^T 1", "lambda", "H: symmetric; v: vector"),
    ("((y / softplus(theta) - y (1/3))^T 1) / (1/2)", "theta", ""),
    ("tr(X^-3 A)", "X", ""), ("(tr(W_2 ./ sigmoid(W)) .^ 2 + 1) .^ k", "k", "W_2: p x p; k: scalar"),
    ("sum(x .^ alpha)", "x", ""), ("sum(x .^ alpha)", "alpha", ""),
    ("diag(r mu^T Sigma^T)^T 1", "Sigma", "r: vector; mu: probability vector"),
    ("||cos(z) - (z - 1)||^2", "z", ""), ("det(inv(A))", "A", ""), ("logdet(A^{-1})", "A", ""),
    ("tr((A + B)^2)", "A", ""), ("tr((2 A)^2)", "A", ""), ("tr(diag(u)^2)", "u", ""),
    ("((eta ⊙ c) (w^T w)) eta", "eta", "c: scalar"), ("mean(s^T q v)", "q", ""),
    ("mean(1^T x A)", "x", ""), ("sum(x^T y z)", "z", ""), ("mean(X .* (r^T r exp(X)))", "X", ""),
    ("||(1^T x) A||_F^2", "x", "A: m x n; x: vector p x 1"), ("(1^T x)^{1/2}", "x", ""),
    ("mean(((u ⊙ r)^T 1) * (x_t + Y x))", "r", ""), ("sum(logsoftmax(tan(sigma(u))))", "u", ""),
    ("mean(2.5 * (w ⊗ mu) mean(exp(x)))", "mu", "mu: vector; x: probability vector"),
    ("a1 = W1 x; h1 = sigma(a1); l = ||W2 h1 - y||^2", "W1", ""),
    # comparison forms: a matrix power against its product, nested ⊙ in another order
    ("sum((sin(y) (h_2^T ∘ z^{T}))^{2})", "z", "y: vector m by 1"),
    ("mean(theta I + -M + (M Y)²)", "M", "M: symmetric; theta: scalar"),
    ("vec(bᵀ)^{T} (1/2) * ((b + 1 + (1 + b .^ 2) .^ (1/2)) ⊙ (mu^{T} ∘ b^T)^T)", "b", "mu: vector"),
    ("tr(diag(softmax(x_t))) .^ 0.5", "x_t", ""),
    ("trace((Q + Q)^{-2} - I)", "Q", "Q: pd n x n"),            # (2 Q)^{-1} = 1/2 Q^{-1}
    ("softplus(1 / det(L))^{1/2}", "L", ""),                     # 1 / x: the literal 1 is a number
    ("(s^T .^ 3 - (r^T + r') .^ 2) ((1 + h_2 ⊙ x_t) ⊗ ((G - x_t 1^T) mu))", "x_t",
     "h_2: probability vector p × 1; x_t: vector p by 1; G: p by n; mu: vector n x 1"),
]


@pytest.mark.parametrize("expr, wrt, where, answer", TEXTBOOK, ids=[f"{e} wrt {w}" for e, w, *_ in TEXTBOOK])
def test_textbook_answer(expr, wrt, where, answer):
    d = matcalc.derive(expr, wrt=wrt, where=where)
    assert to_text(d.result) == answer
    assert d.check() < 1e-6


@pytest.mark.parametrize("expr, wrt, where", MORE, ids=[f"{e} wrt {w}" for e, w, _ in MORE])
def test_gradient_matches_finite_differences(expr, wrt, where):
    assert matcalc.derive(expr, wrt=wrt, where=where).check() < 1e-6


def test_every_step_cites_a_known_rule():
    known = set(catalog()) | set(ENGINE_STEPS)
    jacobians = [matcalc.jacobian("x^T A x + b^T x", wrt="x"), matcalc.jacobian("A X B", wrt="X")]
    for step in (s for d in jacobians for s in d.steps):
        assert len(step.rules) == len(set(step.rules)), step.rules      # each rule cited once
    for expr, wrt, where, _ in TEXTBOOK:
        for step in matcalc.derive(expr, wrt=wrt, where=where).steps:
            assert step.rules and set(step.rules) <= known, step.rules


def test_mlp_derivation_reads_like_the_book():
    d = matcalc.derive(MLP, wrt="W1", where="y: probability vector")
    lines = d.text()
    assert "names   a1 = W1 x   h1 = σ(a1)   a2 = W2 h1   s = softmax(a2)" in lines
    rules = [r for step in d.steps for r in step.rules]
    for rule in ("log-softmax", "d-logsoftmax", "probability-sum-transposed", "d-elementwise",
                 "chain", "scalar-trace", "hadamard-swap", "cyclic", "identify"):
        assert rule in rules
    assert to_text(d.named_result) == "((W2^T (s - y)) ⊙ h1 ⊙ (1 - h1)) x^T"


def test_evaluate_binds_sizes_and_keeps_vector_shape():
    d = matcalc.derive("x^T A x", wrt="x")
    rng = np.random.default_rng(1)
    A, x = rng.standard_normal((4, 4)), rng.standard_normal(4)
    np.testing.assert_allclose(d.evaluate({"A": A, "x": x}), (A + A.T) @ x)


def test_numerator_layout_is_the_transpose():
    mixed = matcalc.derive("a^T X b", wrt="X")
    numerator = matcalc.derive("a^T X b", wrt="X", layout="numerator")
    rng = np.random.default_rng(2)
    values = {"a": rng.standard_normal(3), "X": rng.standard_normal((3, 5)), "b": rng.standard_normal(5)}
    np.testing.assert_allclose(numerator.evaluate(values), mixed.evaluate(values).T)
    assert to_text(numerator.result) == "b a^T"


def test_latex_json_markdown():
    d = matcalc.derive(MLP, wrt="W1", where="y: probability vector")
    latex = d.latex(steps=True)
    assert latex.startswith(r"\begin{align*}") and latex.endswith(r"\end{align*}")
    for token in (r"\odot", r"\operatorname{tr}", r"^\top", r"\sigma", r"\text{cyclic}"):
        assert token in latex
    data = json.loads(json.dumps(d.json()))
    assert data["answer"]["text"] == to_text(d.result) and len(data["steps"]) == len(d.steps)
    assert "hadamard-swap" in d.markdown() and d._repr_latex_().startswith("$$")


@pytest.mark.parametrize("text", ["-y^T log(softmax(W2 σ(W1 x)))", "(A + B)^T x", "a / b",
                                  "2 (A ⊙ B) C", "A^{-1} B^{-T}", "||X A^T - B||_F^2",
                                  "b 1^T", "x ./ y", "A ⊗ B", "x^{1/2}"])
def test_text_printer_round_trips(text):
    expr = parse_program(text).result
    assert parse_program(to_text(expr)).result == expr


def test_cli_derive_with_check(run_cli):
    status, out, err = run_cli("derive", MLP, "--wrt", "W1", "--where", "y: probability vector", "--check")
    assert status == 0 and "∂l/∂W1 = ((W2^T (s - y)) ⊙ h1 ⊙ (1 - h1)) x^T" in out
    assert "check: max relative error" in out and "(ok)" in out


def test_check_of_a_vanishing_gradient_is_not_a_false_alarm():
    # sum(softmax(.)) is 1 everywhere: finite differences give ~1e-11, not 0.
    assert matcalc.derive("sum(softmax(abs(u)))", wrt="u").check() < 1e-6



def test_a_literal_1_is_never_read_as_a_matrix_of_ones():
    # Once read as A ((1 1^T)^T x): a different function, and check() agreed with it.
    d = matcalc.derive("||A (1^T x)||_F^2", wrt="x", where="A: m x n; x: vector p x 1")
    assert to_text(d.result) == "2 tr((1^T x) A^T A) 1"


def test_step_lines_name_symbols_as_the_answer_does():
    """∂l/∂θ on the identify line too, not ∂l/∂theta."""
    text = matcalc.derive("tr(Sigma - theta I)^2", wrt="theta").text()
    assert "∂l/∂theta" not in text and text.count("∂l/∂θ") == 2


def test_header_shows_declared_sizes_as_declared():
    text = matcalc.derive("x^T A x", wrt="A", where="A: symmetric 3 x 3; x: probability vector 3 x 1").text()
    assert text.splitlines()[0].endswith("where A: symmetric 3×3; x: probability vector of length 3")


def test_numerator_layout_keeps_the_transpose_outside():
    d = matcalc.derive("-y^T log(softmax(W x))", wrt="W", layout="numerator")
    assert to_text(d.result) == "x (softmax(W x) 1^T y - y)^T"
    assert d.check() < 1e-9
