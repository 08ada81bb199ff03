# Log-determinant wrt a positive definite matrix.
# The gradient in the space of symmetric matrices.
# expect: X^{-1}
matcalc derive "logdet(X)" --wrt X --where "X: positive definite" --check
