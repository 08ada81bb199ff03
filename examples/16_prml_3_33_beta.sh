# PRML (3.33) wrt the noise precision beta (a scalar).
# expect: -1/2 ||T - Phi W||_F^2
matcalc derive "-beta/2 ||T - Phi W||_F^2" --wrt beta --check
