# Jacobian of softmax: diag(s) - s s^T.
# expect: diag(softmax(z)) - softmax(z) softmax(z)^T
matcalc jacobian "softmax(z)" --wrt z --check
