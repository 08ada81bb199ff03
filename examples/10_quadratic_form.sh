# Quadratic form x^T A x wrt x, A a general square matrix.
# expect: (A + A^T) x
matcalc derive "x^T A x" --wrt x --check
