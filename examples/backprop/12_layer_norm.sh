# Layer normalization of one sample h over its features, with an elementwise
# gain g and bias b and a linear loss l = w^T y (w = ∂l/∂y given, data): the
# same statements as batch norm, over a vector of features.  After the δ's the
# pass writes ∂l/∂h in closed form: (w ⊙ g - mean(w ⊙ g) 1 - mean(w ⊙ g ⊙ hh) hh) / sqrt(s2 + ε).
# expect-h: δc + δμ 1 / n
# expect-g: w ⊙ hh
# expect-b: w
matcalc derive "mu = mean(h); c = h - mu 1; s2 = mean(c ⊙ c); hh = c / sqrt(s2 + eps); l = w^T (g ⊙ hh + b)" --wrt h,g,b --where "eps: scalar; w: data" --check
