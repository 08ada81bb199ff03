# Bilinear form a^T X b wrt the matrix X.
# expect: a b^T
matcalc derive "a^T X b" --wrt X --check
