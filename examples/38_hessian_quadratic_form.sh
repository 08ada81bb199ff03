# Hessian of a quadratic form.
# expect: A + A^T
matcalc hessian "x^T A x" --wrt x --check
