# Hessian of least squares: 2 A^T A, constant in x.
# expect: 2 A^T A
matcalc hessian "||A x - b||^2" --wrt x --check
