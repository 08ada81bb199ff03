# The two-layer MLP with biases, softmax cross-entropy (y: a probability vector),
# all four parameters in one backward sweep: the four backprop equations.
# expect-W1: δa1 x^T
# expect-b1: δa1
# expect-W2: δa2 h1^T
# expect-b2: δa2
matcalc derive "a1 = W1 x + b1; h1 = sigma(a1); a2 = W2 h1 + b2; l = -y^T log(softmax(a2))" --wrt W1,b1,W2,b2 --where "y: probability vector" --check
