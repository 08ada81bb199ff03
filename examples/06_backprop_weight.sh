# Backprop equation: dl/dW = delta h^T for a layer a = W h + b.
# The weight gradient is the outer product of the error and the layer input.
# expect: (softmax(W h + b) - y) h^T
matcalc derive "-y^T log(softmax(W h + b))" --wrt W --where "y: probability vector" --check
