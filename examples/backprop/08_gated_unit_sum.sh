# The gated unit of 07 with l = sum(h): the error of h is the all-ones vector.
# expect-Wg: δa x^T
# expect-bg: δa
matcalc derive "g = sigma(Wg x + bg); h = g ⊙ tanh(Wc x); l = sum(h)" --wrt Wg,bg,Wc --where "x: data" --check
