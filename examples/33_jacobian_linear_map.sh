# Jacobian of a linear map of a matrix: vec(A X B) = (B^T ⊗ A) vec(X).
# expect: B^T ⊗ A
matcalc jacobian "A X B" --wrt X --check
