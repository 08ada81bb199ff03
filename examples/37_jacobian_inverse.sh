# Jacobian of the matrix inverse: d(X^{-1}) = -X^{-1} dX X^{-1}.
# expect: -(X^{-T} ⊗ X^{-1})
matcalc jacobian "inv(X)" --wrt X --check
