"""Plausible wrong answers to the exercises of notebook 03; each must lose its points."""

WRONG = {
    # words as rows: the (T, |V|) matrix instead of (|V|, T)
    "ex1-solution": (
        "def one_hot_sentence(words, vocab):\n"
        "    X = np.zeros((len(words), len(vocab)))\n"
        "    for t, word in enumerate(words):\n"
        "        X[t, vocab.index(word)] = 1.0\n"
        "    return X\n"
    ),
    # never carries the state forward: every step reads h0
    "ex2-solution": (
        "def elman_forward(xs, h0, U, W, b):\n"
        "    return np.stack([np.tanh(b + W @ h0 + U @ x_t) for x_t in xs])\n"
    ),
    # ignores teacher forcing: always reads its own previous output
    "ex3-solution": (
        "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
        "    h_t = np.tanh(params['b'] + params['W'] @ o_prev + params['U'] @ x_t)\n"
        "    return h_t, params['c'] + params['V'] @ h_t\n"
    ),
    # the backward states are left in reading order
    "ex4-solution": (
        "def bidirectional_forward(xs, params_f, params_b):\n"
        "    def run(p, seq):\n"
        "        h, out = np.zeros((p['W'].shape[0], seq.shape[2])), []\n"
        "        for x_t in seq:\n"
        "            h = np.tanh(p['b'] + p['W'] @ h + p['U'] @ x_t)\n"
        "            out.append(h)\n"
        "        return np.stack(out)\n"
        "    return np.concatenate([run(params_f, xs), run(params_b, xs[::-1])], axis=1)\n"
    ),
    # one bias per layer and direction instead of PyTorch's two
    "ex5-solution": (
        "def count_rnn_params(mode, n_x, n_h, num_layers, bidirectional):\n"
        "    k = {'rnn': 1, 'gru': 3, 'lstm': 4}[mode]\n"
        "    D = 2 if bidirectional else 1\n"
        "    total = 0\n"
        "    for layer in range(num_layers):\n"
        "        n_in = n_x if layer == 0 else D * n_h\n"
        "        total += D * k * n_h * (n_in + n_h + 1)\n"
        "    return total\n"
    ),
}
