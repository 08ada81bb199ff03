# Two-layer MLP, softmax cross-entropy, gradient wrt the output layer W2.
# No assumption on y: output error times the hidden activation, transposed.
# expect: (softmax(W2 sigma(W1 x)) 1^T y - y) sigma(W1 x)^T
matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W2 --check
