# Softmax regression on a batch: samples are the columns of X, softmax acts on
# each column of W X, and every column of Y is a probability vector.
# expect: (softmax(W X) - Y) X^T
matcalc derive "-sum(Y ⊙ log(softmax(W X)))" --wrt W --where "Y: probability vector" --check
