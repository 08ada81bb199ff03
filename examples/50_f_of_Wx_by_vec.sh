# f(W x) wrt W by vec and Kronecker products (seed 003 §2.6; SPEC §3 "Three methods"):
# (∂f/∂vec(W))^T = (∂f/∂y)^T ∂y/∂vec(W) with ∂y/∂vec(W) = x^T ⊗ I, one Jacobian factor a line,
# then un-vectorized: (x ⊗ I) g = vec(g x^T), so ∂f/∂W = (∂f/∂y) x^T.
# expect: (softmax(W x) - y) x^T
matcalc derive "-y^T log(softmax(W x))" --wrt W --where "y: probability vector" --method vec --check
