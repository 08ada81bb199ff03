# Determinant wrt its matrix (Jacobi's formula).
# expect: det(X) X^{-T}
matcalc derive "det(X)" --wrt X --check
