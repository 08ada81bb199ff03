# Two-layer MLP, softmax cross-entropy, gradient wrt W2, y a probability vector.
# The classic (s - y) h1^T.
# expect: (softmax(W2 sigma(W1 x)) - y) sigma(W1 x)^T
matcalc derive "-y^T log(softmax(W2 sigma(W1 x)))" --wrt W2 --where "y: probability vector" --check
