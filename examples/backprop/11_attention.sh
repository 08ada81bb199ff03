# Dot-product attention with scores A = K^T Q / c and weights P = softmax(A)
# (column by column), read against an upstream gradient G: δA is the softmax
# backward pass on each column, P ⊙ (δP - 1 1^T (δP ⊙ P)).
# expect-Q: K δA / c
# expect-K: Q δA^T / c
# expect-V: δO P^T
matcalc derive "A = K^T Q / c; P = softmax(A); O = V P; l = sum(G ⊙ O)" --wrt Q,K,V --where "c: scalar; G: data" --check
