# A gradient through a Kronecker product: tr(A ⊗ X) = tr(A) tr(X).
# expect: tr(A) I
matcalc derive "tr(A ⊗ X)" --wrt X --check
