# Least squares ||A x - b||^2 wrt x.
# Setting it to zero gives the normal equations.
# expect: 2 A^T (A x - b)
matcalc derive "||A x - b||^2" --wrt x --check
