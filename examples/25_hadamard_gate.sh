# A gated linear map y^T (a ⊙ (W x)) wrt W.
# Uses the Hadamard swap tr(A^T (B ⊙ C)) = tr((A ⊙ B)^T C).
# expect: (y ⊙ a) x^T
matcalc derive "y^T (a ⊙ (W x))" --wrt W --check
