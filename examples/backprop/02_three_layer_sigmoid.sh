# The three-layer network of seed 003 (h1 = W1 x, z1 = φ(h1), h2 = W2 z1, z2 = φ(h2),
# ŷ = W3 z2, f = L(y, ŷ)) with φ = σ, a bias per layer and the squared error
# f = 1/2 ||ŷ - y||^2, wrt every weight and bias (x, y: data).
# expect-W1: δh1 x^T
# expect-b1: δh1
# expect-W2: δh2 z1^T
# expect-b2: δh2
# expect-W3: δyhat z2^T
# expect-b3: δyhat
matcalc derive "h1 = W1 x + b1; z1 = sigma(h1); h2 = W2 z1 + b2; z2 = sigma(h2); yhat = W3 z2 + b3; f = 1/2 ||yhat - y||^2" --wrt all --where "x, y: data" --check
