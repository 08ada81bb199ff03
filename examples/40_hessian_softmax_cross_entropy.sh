# Hessian of softmax cross-entropy of a linear model with respect to the input.
# expect: W^T (diag(softmax(W x)) - softmax(W x) softmax(W x)^T) W
matcalc hessian "-y^T log(softmax(W x))" --wrt x --where "y: probability vector" --check
