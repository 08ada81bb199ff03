# Two-layer MLP, softmax cross-entropy, gradient wrt the first layer W1.
# No assumption on y, so the answer keeps 1^T y (SPEC §1).
# expect: ((W2^T (softmax(W2 sigma(W1 x)) 1^T y - y)) ⊙ sigma(W1 x) ⊙ (1 - sigma(W1 x))) x^T
matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --check
