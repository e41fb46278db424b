"""Plausible wrong answers to the exercises of notebook 07; each must lose its points."""

WRONG = {
    # reads the gate blocks in the order i, f, o, g
    "ex1-solution": (
        "def lstm_step_forward(x_t, h_prev, c_prev, U, W, b):\n"
        "    a_i, a_f, a_o, a_g = np.split(b + W @ h_prev + U @ x_t, 4)\n"
        "    i, f, o_gate = (1.0 / (1.0 + np.exp(-a)) for a in (a_i, a_f, a_o))\n"
        "    c_t = f * c_prev + i * np.tanh(a_g)\n"
        "    return o_gate * np.tanh(c_t), c_t\n"
    ),
    # forgets the gradient that c^(t+1) sends back: dc only comes from h^(t)
    "ex2-solution": (
        "def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):\n"
        "    a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)\n"
        "    i, f, o_gate = (1.0 / (1.0 + np.exp(-a)) for a in (a_i, a_f, a_o))\n"
        "    g = np.tanh(a_g)\n"
        "    tanh_c = np.tanh(f * c_prev + i * g)\n"
        "    dc = dh_t * o_gate * (1.0 - tanh_c**2)\n"
        "    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),\n"
        "                         dc * i * (1 - g**2), dh_t * tanh_c * o_gate * (1 - o_gate)])\n"
        "    return W.T @ da, dc * f, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)\n"
    ),
    # swaps z and 1 - z
    "ex3-solution": (
        "def gru_step_forward(x_t, h_prev, U, W, b_x, b_h):\n"
        "    ax_r, ax_z, ax_n = np.split(U @ x_t + b_x, 3)\n"
        "    ah_r, ah_z, ah_n = np.split(W @ h_prev + b_h, 3)\n"
        "    r = 1.0 / (1.0 + np.exp(-(ax_r + ah_r)))\n"
        "    z = 1.0 / (1.0 + np.exp(-(ax_z + ah_z)))\n"
        "    n = np.tanh(ax_n + r * ah_n)\n"
        "    return z * n + (1.0 - z) * h_prev\n"
    ),
    # stacks the gates in the notes' order a, i, f, o
    "ex4-solution": (
        "def copy_into_nn_lstm(notes, lstm):\n"
        "    order = 'aifo'\n"
        "    with torch.no_grad():\n"
        "        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([notes['U_' + k] for k in order])))\n"
        "        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([notes['W_' + k] for k in order])))\n"
        "        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([notes['b_' + k] for k in order])))\n"
        "        lstm.bias_hh_l0.zero_()\n"
        "    return lstm\n"
    ),
    # counts one bias vector per layer
    "ex5-solution": (
        "def lstm_num_params(n_x, n_h, num_layers):\n"
        "    total = 0\n"
        "    for layer in range(num_layers):\n"
        "        n_in = n_x if layer == 0 else n_h\n"
        "        total += 4 * n_h * (n_in + n_h) + 4 * n_h\n"
        "    return total\n"
    ),
}
