# sum(A ⊙ X) = tr(A^T X) wrt X.
# expect: A
matcalc derive "sum(A ⊙ X)" --wrt X --check
