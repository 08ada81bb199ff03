# Gaussian log-likelihood wrt the precision matrix P (positive definite).
# expect: 1/2 (P^{-1} - (x - mu) (x - mu)^T)
matcalc derive "1/2 logdet(P) - 1/2 (x - mu)^T P (x - mu)" --wrt P --where "mu: vector; P: positive definite" --check
