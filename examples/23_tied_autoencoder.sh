# Tied-weight autoencoder ||b2 + W^T sigma(W x + b1) - x||^2 wrt W.
# W is used twice (encoder and decoder): two terms.
# expect: 2 sigma(W x + b1) (b2 + W^T sigma(W x + b1) - x)^T + 2 ((W (b2 + W^T sigma(W x + b1) - x)) ⊙ sigma(W x + b1) ⊙ (1 - sigma(W x + b1))) x^T
matcalc derive "||b2 + W^T sigma(W x + b1) - x||^2" --wrt W --check
