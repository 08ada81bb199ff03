# The tied-weight autoencoder of seed 002: W encodes and W^T decodes, so ∂l/∂W
# is the sum of two terms, one per use (decoder first, as the backward sweep meets it).
# expect-W: h δr^T + δa x^T
# expect-b1: δa
# expect-b2: δr
matcalc derive "a = W x + b1; h = sigma(a); r = W^T h + b2; l = ||r - x||^2" --wrt all --where "x: data" --check
