# Jacobian of a sigmoid layer with respect to its input: diag(σ') W.
# expect: diag(sigma(W x) ⊙ (1 - sigma(W x))) W
matcalc jacobian "sigma(W x)" --wrt x --check
