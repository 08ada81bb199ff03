# Affine fit ||W X + b 1^T - Y||_F^2 wrt the bias b.
# The residual summed over the columns (samples).
# expect: 2 (W X + b 1^T - Y) 1
matcalc derive "||W X + b 1^T - Y||_F^2" --wrt b --check
