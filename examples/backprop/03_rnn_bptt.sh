# A vanilla RNN over three time steps, h_t = tanh(W h_{t-1} + U x_t + b), with the
# squared error of a linear read-out of the last state; backpropagation through
# time: W, U and b get one term per time step, h0 the error sent back to step 0.
# expect-W: δa3 h2^T + δa2 h1^T + δa1 h0^T
# expect-h0: W^T δa1
matcalc derive "h1 = tanh(W h0 + U x1 + b); h2 = tanh(W h1 + U x2 + b); h3 = tanh(W h2 + U x3 + b); l = ||V h3 - y||^2" --wrt W,U,b,h0 --where "x1, x2, x3, y: data" --check
