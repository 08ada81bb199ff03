# A residual block r = x + W2 relu(W1 x) with a squared error: x gets the error of
# the skip connection plus the one sent back through the ReLU branch.
# expect-W1: δa x^T
# expect-W2: δr h^T
# expect-x: δr + W1^T δa
matcalc derive "a = W1 x; h = relu(a); r = x + W2 h; l = ||r - y||^2" --wrt W1,W2,x --where "y: data" --check
