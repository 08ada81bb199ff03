# A two-layer network on a batch X (samples as columns) with biases b 1^T and
# softmax cross-entropy summed over the batch: the backprop equations with
# matrices in place of vectors, δA2 = S - Y.
# expect-W1: δA1 X^T
# expect-b1: δA1 1
# expect-W2: δA2 H1^T
# expect-b2: δA2 1
matcalc derive "A1 = W1 X + b1 1^T; H1 = sigma(A1); A2 = W2 H1 + b2 1^T; l = -sum(Y ⊙ log(softmax(A2)))" --wrt all --where "Y: probability vector; X, Y: data" --check
