# Quadratic form x^T S x with S symmetric.
# S^T = S collapses (S + S^T) x.
# expect: 2 S x
matcalc derive "x^T S x" --wrt x --where "S: symmetric" --check
