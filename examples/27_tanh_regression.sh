# A tanh layer fitted by squared error ||tanh(W x) - y||^2 wrt W.
# tanh'(a) = 1 - tanh(a)^2.
# expect: 2 ((tanh(W x) - y) ⊙ (1 - tanh(W x) .^ 2)) x^T
matcalc derive "||tanh(W x) - y||^2" --wrt W --check
