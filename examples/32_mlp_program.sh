# The two-layer MLP written as a program: named statements, the last is the loss.
# expect: ((W2^T (softmax(W2 sigma(W1 x)) - y)) ⊙ sigma(W1 x) ⊙ (1 - sigma(W1 x))) x^T
matcalc derive "a1 = W1 x; h1 = sigma(a1); a2 = W2 h1; l = -y^T log(softmax(a2))" --wrt W1 --where "y: probability vector" --check
