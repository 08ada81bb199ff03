# Jacobian of a layer's pre-activation W x with respect to the weights.
# expect: x^T ⊗ I
matcalc jacobian "W x" --wrt W --check
