# A gradient through vec: vec(A)^T vec(X) = tr(A^T X).
# expect: A
matcalc derive "vec(A)^T vec(X)" --wrt X --check
