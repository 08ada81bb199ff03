# Log-determinant wrt a general square matrix.
# expect: X^{-T}
matcalc derive "logdet(X)" --wrt X --check
