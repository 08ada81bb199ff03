# Backprop equation: the error passed down to the layer input, dl/dh = W^T delta.
# expect: W^T (softmax(W h + b) - y)
matcalc derive "-y^T log(softmax(W h + b))" --wrt h --where "y: probability vector" --check
