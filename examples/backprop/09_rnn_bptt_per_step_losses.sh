# The RNN of 03 with its pre-activations named (a_t = W h_{t-1} + U x_t + b,
# h_t = tanh(a_t)) and a loss at every step, l = Σ_t ||V h_t - y_t||^2, wrt all
# (x_t, y_t: data): each δh_t gathers its own step's error and the one sent back
# from step t+1, and every shared parameter gets one term per time step.
# expect-W: δa3 h2^T + δa2 h1^T + δa1 h0^T
# expect-U: δa3 x3^T + δa2 x2^T + δa1 x1^T
# expect-b: δa3 + δa2 + δa1
# expect-h0: W^T δa1
matcalc derive "a1 = W h0 + U x1 + b; h1 = tanh(a1); a2 = W h1 + U x2 + b; h2 = tanh(a2); a3 = W h2 + U x3 + b; h3 = tanh(a3); l = ||V h1 - y1||^2 + ||V h2 - y2||^2 + ||V h3 - y3||^2" --wrt all --where "x1, x2, x3, y1, y2, y3: data" --check
