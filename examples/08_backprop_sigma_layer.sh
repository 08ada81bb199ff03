# Backprop equation: through a sigmoid layer, delta_prev = (W^T delta) ⊙ sigma'(a).
# sigma'(a) is written sigma(a) ⊙ (1 - sigma(a)).
# expect: (W^T (softmax(W sigma(a) + b) - y)) ⊙ sigma(a) ⊙ (1 - sigma(a))
matcalc derive "-y^T log(softmax(W sigma(a) + b))" --wrt a --where "y: probability vector" --check
