# Hessian of batched softmax regression in vec order: (X ⊗ I) times the
# block-diagonal softmax Jacobian times (X^T ⊗ I).
# expect: (X ⊗ I) diag(vec(softmax(W X))) (X^T ⊗ I - (I ⊗ (1 1^T)) diag(vec(softmax(W X))) (X^T ⊗ I))
matcalc hessian "-sum(Y ⊙ log(softmax(W X)))" --wrt W --where "Y: probability vector" --check
