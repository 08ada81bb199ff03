# The seeds' MLP wrt W1 by index notation (seed 001, 思路一; SPEC §3 "Three methods"):
# the layers by components (a1_i = Σ_j W1_ij x_j), dl by components, ∂(dW1)_jk/∂(W1)_pq = δ_jp δ_kq,
# the deltas contracted, and the matrix reassembled from ∂l/∂(W1)_pq = g_p x_q.
# expect: ((W2^T (softmax(W2 sigma(W1 x)) - y)) ⊙ sigma(W1 x) ⊙ (1 - sigma(W1 x))) x^T
matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --where "y: probability vector" --method index --check
