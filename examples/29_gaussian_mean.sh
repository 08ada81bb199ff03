# Gaussian log-likelihood term -1/2 (x - mu)^T P (x - mu) wrt the mean.
# mu is a Greek (scalar) name by default, so it is declared a vector.
# expect: P (x - mu)
matcalc derive "-1/2 (x - mu)^T P (x - mu)" --wrt mu --where "mu: vector; P: symmetric" --check
