# Batch normalization of seed 002 over a batch x of m scalars (x is the vector of
# the batch): mean, centring, variance, normalization, scale γ and shift β, then a
# linear loss l = w^T y with w = ∂l/∂y given (data).  x reaches l along three
# paths (through c, through s2 and through μ); γ and β along all m outputs.
# expect-gamma: w^T xh
# expect-beta: w^T 1
matcalc derive "mu = mean(x); c = x - mu 1; s2 = mean(c ⊙ c); xh = c / sqrt(s2 + eps); l = w^T (gamma xh + beta 1)" --wrt x,gamma,beta --where "eps: scalar; w: data" --check
