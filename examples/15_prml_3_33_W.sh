# PRML (3.33): the log-likelihood of a multi-output linear model wrt W.
# Setting it to zero gives W_ML = (Phi^T Phi)^{-1} Phi^T T.
# expect: beta Phi^T (T - Phi W)
matcalc derive "-beta/2 ||T - Phi W||_F^2" --wrt W --check
