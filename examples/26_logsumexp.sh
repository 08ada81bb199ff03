# log-sum-exp log(1^T exp(x)) wrt x.
# Its gradient is the softmax.
# expect: softmax(x)
matcalc derive "log(1^T exp(x))" --wrt x --check
