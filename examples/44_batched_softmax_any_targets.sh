# The same loss with no assumption on Y: each column's softmax is weighted by
# that column's sum of targets, diag(Y^T 1).
# expect: (softmax(W X) diag(Y^T 1) - Y) X^T
matcalc derive "-sum(Y ⊙ log(softmax(W X)))" --wrt W --check
