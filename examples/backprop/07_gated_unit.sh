# A gated unit h = σ(Wg x + bg) ⊙ tanh(Wc x) (the gate of an LSTM/GRU cell) with a
# squared error: the gate's parameters get the error through g, Wc through tanh.
# expect-Wg: (δg ⊙ g ⊙ (1 - g)) x^T
# expect-bg: δg ⊙ g ⊙ (1 - g)
matcalc derive "g = sigma(Wg x + bg); h = g ⊙ tanh(Wc x); l = ||h - y||^2" --wrt Wg,bg,Wc --where "x, y: data" --check
