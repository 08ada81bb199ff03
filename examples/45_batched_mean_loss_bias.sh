# The mean over the batch of the per-sample cross-entropy, with a bias b 1^T
# added to every column: the bias gathers the errors of all samples, divided
# by the batch size (sum(Y) below: every column of Y sums to one).
# expect: (softmax(W X + b 1^T) - Y) 1 / sum(Y)
matcalc derive "mean(-1^T (Y ⊙ log(softmax(W X + b 1^T))))" --wrt b --where "Y: probability vector" --check
