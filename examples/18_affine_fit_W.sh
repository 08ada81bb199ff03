# Affine fit ||W X + b 1^T - Y||_F^2 wrt the weights W.
# expect: 2 (W X + b 1^T - Y) X^T
matcalc derive "||W X + b 1^T - Y||_F^2" --wrt W --check
