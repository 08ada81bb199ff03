# Two-layer MLP, softmax cross-entropy, gradient wrt W1, y a probability vector.
# With 1^T y = 1 the output error is softmax(a2) - y.
# expect: ((W2^T (softmax(W2 sigma(W1 x)) - y)) ⊙ sigma(W1 x) ⊙ (1 - sigma(W1 x))) x^T
matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W1 --where "y: probability vector" --check
