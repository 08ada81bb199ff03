# Logistic regression: binary cross-entropy wrt the weights w, label y a scalar.
# expect: (sigma(w^T x) - y) x
matcalc derive "-y log(sigma(w^T x)) - (1 - y) log(1 - sigma(w^T x))" --wrt w --where "y: scalar" --check
