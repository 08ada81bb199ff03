# Squared Frobenius norm ||X A^T - B||_F^2 wrt X.
# expect: 2 (X A^T - B) A
matcalc derive "||X A^T - B||_F^2" --wrt X --check
