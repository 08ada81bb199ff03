# Dot-product attention V softmax(K^T Q / c) (queries, keys and values as
# columns), read against an upstream gradient G: the values get G P^T.
# expect: G softmax(K^T Q / c)^T
matcalc derive "sum(G ⊙ (V softmax(K^T Q / c)))" --wrt V --where "c: scalar" --check
