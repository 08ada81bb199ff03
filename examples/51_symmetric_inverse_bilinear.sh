# a^T X^{-1} b wrt a symmetric X (a covariance): the gradient in the space of
# symmetric matrices, (G + G^T)/2, then the outer factors G and G^T share collected.
# expect: -1/2 X^{-1} (a b^T + b a^T) X^{-1}
matcalc derive "a^T X^{-1} b" --wrt X --where "X: symmetric" --check
