# Jacobian of the column-wise softmax: block diagonal, one block
# diag(s) - s s^T per column, in vec order.
# expect: diag(vec(softmax(Z))) - diag(vec(softmax(Z))) (I ⊗ (1 1^T)) diag(vec(softmax(Z)))
matcalc jacobian "softmax(Z)" --wrt Z --check
