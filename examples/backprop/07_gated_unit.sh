# A gated unit h = σ(Wg x + bg) ⊙ tanh(Wc x) (the gate of an LSTM/GRU cell) with a
# squared error: the gate's parameters get the error through g, Wc through tanh.
# expect-Wg: δa x^T
# expect-bg: δa
matcalc derive "g = sigma(Wg x + bg); h = g ⊙ tanh(Wc x); l = ||h - y||^2" --wrt Wg,bg,Wc --where "x, y: data" --check
