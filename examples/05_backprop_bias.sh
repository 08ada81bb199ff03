# Backprop equation 1/3: the error of a softmax layer a = W h + b is dl/db.
# delta = softmax(a) - y.
# expect: softmax(W h + b) - y
matcalc derive "-y^T log(softmax(W h + b))" --wrt b --where "y: probability vector" --check
