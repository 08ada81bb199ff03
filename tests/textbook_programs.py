"""Programs from textbooks and papers with their backprop equations written by
hand, in matcalc's syntax, before matcalc was run on them (issue 23, item 6).

Each entry: an id, the source, the program as the source writes it, the
parameters, the where-clause, and the textbook's δ's and gradients in the
order the source derives them: "δv" is ∂l/∂v of a named value v, a bare
parameter name P is ∂l/∂P.  A textbook line may use the δ's above it.
tests/test_textbook_programs.py checks each line against finite differences
and matcalc's printed line against its length."""

from __future__ import annotations

from typing import NamedTuple


class TextbookProgram(NamedTuple):
    id: str
    source: str
    program: str
    wrt: str
    where: str | None
    lines: tuple            # ((label, textbook expression), ...)


T = TextbookProgram
PROGRAMS = [
    T("mlp_softmax_ce", "seed 000; Nielsen, Neural Networks and Deep Learning, ch. 2 (BP1-BP4)",
      "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; yh = softmax(a2); l = -y^T log(yh)",
      "W1, b1, W2, b2", "y: probability vector; x, y: data",
      (("δa2", "yh - y"), ("W2", "δa2 h1^T"), ("b2", "δa2"), ("δh1", "W2^T δa2"),
       ("δa1", "δh1 ⊙ h1 ⊙ (1 - h1)"), ("W1", "δa1 x^T"), ("b1", "δa1"))),
    T("mlp_quadratic_cost", "Nielsen, ch. 2, eq. (BP1) with the quadratic cost",
      "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; h2 = sigma(a2); e = h2 - y; l = 1/2 e^T e",
      "W1, b1, W2, b2", "x, y: data",
      (("δe", "e"), ("δh2", "δe"), ("δa2", "δh2 ⊙ h2 ⊙ (1 - h2)"), ("W2", "δa2 h1^T"),
       ("δh1", "W2^T δa2"), ("δa1", "δh1 ⊙ h1 ⊙ (1 - h1)"), ("W1", "δa1 x^T"))),
    T("logistic_regression", "Bishop, PRML (4.91): the gradient of the cross-entropy is (p - y) x",
      "z = w^T x + b; p = sigma(z); l = -y log(p) - (1 - y) log(1 - p)",
      "w, b", "x, y: data; y, b: scalar",
      (("δz", "p - y"), ("w", "δz x"), ("b", "δz"))),
    T("softmax_regression_batch", "Bishop, PRML (4.109), samples as columns (seed 003)",
      "A = W X; P = softmax(A); l = -sum(Y ⊙ log(P))",
      "W", "Y: probability vector; X, Y: data",
      (("δA", "P - Y"), ("W", "δA X^T"))),
    T("least_squares", "Bishop, PRML (3.13): ∇ = X^T (X w - y)",
      "r = X w - y; l = 1/2 r^T r", "w", "X, y: data",
      (("δr", "r"), ("w", "X^T δr"))),
    T("ridge_regression", "Bishop, PRML (3.27), with λ",
      "r = X w - y; l = 1/2 r^T r + lambda / 2 w^T w", "w", "lambda: scalar; X, y: data",
      (("δr", "r"), ("w", "X^T δr + λ w"))),
    T("weighted_least_squares", "Boyd & Vandenberghe, Convex Optimization, §6.1 (weighted norm)",
      "r = X w - y; l = 1/2 r^T D r", "w", "D: symmetric; X, y, D: data",
      (("δr", "D r"), ("w", "X^T δr"))),
    T("rnn_two_steps", "Goodfellow, Bengio & Courville, Deep Learning, §10.2.2 (BPTT)",
      "a1 = W h0 + U x1 + b; h1 = tanh(a1); a2 = W h1 + U x2 + b; h2 = tanh(a2); l = v^T h2",
      "W, U, b", "h0, x1, x2, v: data",
      (("δh2", "v"), ("δa2", "δh2 ⊙ (1 - h2 .^ 2)"), ("δh1", "W^T δa2"), ("δa1", "δh1 ⊙ (1 - h1 .^ 2)"),
       ("W", "δa2 h1^T + δa1 h0^T"), ("U", "δa2 x2^T + δa1 x1^T"), ("b", "δa2 + δa1"))),
    T("tied_autoencoder", "seed 002 (tied weights); Vincent et al., JMLR 2010",
      "a = W x + b; h = sigma(a); xr = W^T h + c; e = xr - x; l = 1/2 e^T e",
      "W, b, c", "x: data",
      (("δe", "e"), ("δxr", "δe"), ("c", "δxr"), ("δh", "W δxr"), ("δa", "δh ⊙ h ⊙ (1 - h)"),
       ("W", "h δxr^T + δa x^T"), ("b", "δa"))),
    T("batch_norm", "seed 002; Ioffe & Szegedy, ICML 2015, the backward pass",
      "mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); y = gamma xh + beta 1; l = w^T y",
      "x, gamma, beta", "eps: scalar; w: data",
      (("δy", "w"), ("gamma", "δy^T xh"), ("beta", "δy^T 1"), ("δxh", "γ δy"),
       ("δs2", "-1/2 δxh^T c / (s2 + ϵ)^{3/2}"))),
    T("residual_block", "He et al., CVPR 2016: y = x + F(x)",
      "a = W1 x + b1; h = tanh(a); y = x + W2 h; e = y - t; l = 1/2 e^T e",
      "W1, b1, W2", "x, t: data",
      (("δe", "e"), ("δy", "δe"), ("W2", "δy h^T"), ("δh", "W2^T δy"), ("δa", "δh ⊙ (1 - h .^ 2)"),
       ("W1", "δa x^T"), ("b1", "δa"))),
    T("gated_linear_unit", "Dauphin et al., ICML 2017: h = (W x) ⊙ σ(V x)",
      "a = W x; z = V x; g = sigma(z); h = a ⊙ g; l = u^T h",
      "W, V", "x, u: data",
      (("δh", "u"), ("δa", "δh ⊙ g"), ("δg", "δh ⊙ a"), ("δz", "δg ⊙ g ⊙ (1 - g)"),
       ("W", "δa x^T"), ("V", "δz x^T"))),
    T("attention", "Vaswani et al., NeurIPS 2017: softmax(K^T Q / c), column by column",
      "S = K^T Q / c; A = softmax(S); O = V A; l = sum(G ⊙ O)",
      "Q, K, V", "c: scalar; G: data",
      (("δO", "G"), ("V", "δO A^T"), ("δA", "V^T δO"), ("δS", "A ⊙ (δA - 1 1^T (δA ⊙ A))"),
       ("Q", "K δS / c"), ("K", "Q δS^T / c"))),
    T("swish", "Ramachandran et al., 2017: swish(a) = a σ(a), swish' = h + σ(a) (1 - h)",
      "a1 = W1 x; h1 = a1 ⊙ sigma(a1); l = w^T h1", "W1", "x, w: data",
      (("δh1", "w"), ("δa1", "δh1 ⊙ (h1 + σ(a1) ⊙ (1 - h1))"), ("W1", "δa1 x^T"))),
    T("gaussian_mean", "Bishop, PRML (2.121): ∂/∂μ of the Mahalanobis term is -P (x - μ)",
      "r = x - m; l = 1/2 r^T P r", "m", "P: symmetric; x, P: data",
      (("δr", "P r"), ("m", "-δr"))),
    T("log_sum_exp", "Boyd & Vandenberghe, §3.1.5: ∇ log Σ exp z = softmax(z)",
      "z = W x; l = log(sum(exp(z)))", "W", "x: data",
      (("δz", "softmax(z)"), ("W", "δz x^T"))),
    T("matrix_factorization", "Koren, Bell & Volinsky, IEEE Computer 2009 (squared error of U V)",
      "E = U V - M; l = 1/2 sum(E ⊙ E)", "U, V", "M: data",
      (("δE", "E"), ("U", "δE V^T"), ("V", "U^T δE"))),
    T("linear_autoencoder", "Baldi & Hornik, Neural Networks 1989 (PCA by a linear network)",
      "H = W1 X; Xh = W2 H; E = Xh - X; l = 1/2 sum(E ⊙ E)", "W1, W2", "X: data",
      (("δE", "E"), ("δXh", "δE"), ("W2", "δXh H^T"), ("δH", "W2^T δXh"), ("W1", "δH X^T"))),
    T("batched_tanh_regression", "Goodfellow et al., §6.5 (a batch as columns, squared error)",
      "A1 = W1 X; H1 = tanh(A1); Yh = W2 H1; E = Yh - Y; l = 1/2 sum(E ⊙ E)", "W1, W2", "X, Y: data",
      (("δE", "E"), ("δYh", "δE"), ("W2", "δYh H1^T"), ("δH1", "W2^T δYh"),
       ("δA1", "δH1 ⊙ (1 1^T - H1 .^ 2)"), ("W1", "δA1 X^T"))),
    T("poisson_regression", "McCullagh & Nelder, GLMs: ∇ = X^T (exp(X w) - y)",
      "z = X w; q = exp(z); l = sum(q) - y^T z", "w", "X, y: data",
      (("δz", "q - y"), ("w", "X^T δz"))),
    T("gram_logdet", "issue 23; Rasmussen & Williams (5.9): ∂ log|K| = tr(K^{-1} ∂K)",
      "A = W X; H = tanh(A); M = H H^T; l = logdet(M + I)", "W", "X: data",
      (("δM", "(M + I)^{-1}"), ("δH", "2 δM H"), ("δA", "δH ⊙ (1 1^T - H .^ 2)"), ("W", "δA X^T"))),
    T("highway_layer", "Srivastava, Greff & Schmidhuber, 2015: y = t ⊙ h + (1 - t) ⊙ x",
      "zt = T x; t = sigma(zt); zh = H x; h = tanh(zh); y = t ⊙ h + (1 - t) ⊙ x; l = u^T y",
      "T, H", "x, u: data",
      (("δy", "u"), ("δt", "δy ⊙ (h - x)"), ("δh", "δy ⊙ t"), ("δzt", "δt ⊙ t ⊙ (1 - t)"),
       ("δzh", "δh ⊙ (1 - h .^ 2)"), ("T", "δzt x^T"), ("H", "δzh x^T"))),
    T("seed_003_three_layers", "seed 003, §3 (h = W z, z = φ(h); φ = σ and a squared error for L)",
      "h1 = W1 x; z1 = sigma(h1); h2 = W2 z1; z2 = sigma(h2); yh = W3 z2; f = 1/2 (yh - y)^T (yh - y)",
      "W1, W2, W3", "x, y: data",
      (("δyh", "yh - y"), ("W3", "δyh z2^T"), ("δz2", "W3^T δyh"), ("δh2", "δz2 ⊙ z2 ⊙ (1 - z2)"),
       ("W2", "δh2 z1^T"), ("δz1", "W2^T δh2"), ("δh1", "δz1 ⊙ z1 ⊙ (1 - z1)"), ("W1", "δh1 x^T"))),
    T("seed_004_softmax_ce", "seed 004 (103): ∂l/∂Z = softmax(Z) - Y, the softmax named",
      "s = softmax(z); l = -y^T log(s)", "z", "y: probability vector; y: data",
      (("z", "s - y"),)),
    T("softmax_ce_no_assumption", "SPEC §1: without 1^T y = 1 the gradient keeps it",
      "a = W x; s = softmax(a); l = -y^T log(s)", "W", "x, y: data",
      (("δa", "s 1^T y - y"), ("W", "δa x^T"))),
]
