# sum(tanh(W x)) wrt W.
# expect: (1 - tanh(W x) .^ 2) x^T
matcalc derive "sum(tanh(W x))" --wrt W --check
