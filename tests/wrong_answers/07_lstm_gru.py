"""Answers to the exercises of notebook 07: plausible wrong ones (each must lose its points with
a message naming the mistake) and correct ones written differently from the solution."""

_LSTM = """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
    a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)
    i, f, g, o_gate = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)
    da = np.concatenate([
        dc * g * i * (1 - i),
        dc * c_prev * f * (1 - f),
        dc * i * (1 - g**2),
        dh_t * tanh_c * o_gate * (1 - o_gate),
    ])
    return W.T @ da, dc * f, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)
"""

_GRU = """
def gru_step_backward(dh_t, x_t, h_prev, U, W, b_x, b_h):
    ax_r, ax_z, ax_n = np.split(U @ x_t + b_x, 3)
    ah_r, ah_z, ah_n = np.split(W @ h_prev + b_h, 3)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)
    d_n = dh_t * (1 - z) * (1 - n**2)
    d_z = dh_t * (h_prev - n) * z * (1 - z)
    d_r = d_n * ah_n * r * (1 - r)
    d_x = np.concatenate([d_r, d_z, d_n])
    d_h = np.concatenate([d_r, d_z, d_n * r])
    dh_prev = dh_t * z + W.T @ d_h
    return dh_prev, d_x @ x_t.T, d_h @ h_prev.T, d_x.sum(1, keepdims=True), d_h.sum(1, keepdims=True)
"""

_TRAIN = """
def train_recall(xs, y, n_y, n_h, rng):
    T, n_x, N = xs.shape
    p = {"U": rng.normal(0, 0.3, (4 * n_h, n_x)), "W": rng.normal(0, 0.3, (4 * n_h, n_h)),
         "b": np.zeros((4 * n_h, 1)), "V": rng.normal(0, 0.3, (n_y, n_h)), "c": np.zeros((n_y, 1))}
    p["b"][n_h:2 * n_h] = 1.0
    m = {k: 0 * v for k, v in p.items()}
    s = {k: 0 * v for k, v in p.items()}
    for step in range(1, 401):
        idx = rng.choice(N, 128, replace=False)
        x, t = xs[:, :, idx], y[idx]
        h = c = np.zeros((n_h, 128))
        states = []
        for x_t in x:
            states.append((h, c))
            h, c = lstm_step(x_t, h, c, p["U"], p["W"], p["b"])
        o = p["V"] @ h + p["c"]
        e = np.exp(o - o.max(0))
        do = e / e.sum(0)
        do[t, np.arange(128)] -= 1
        do /= 128
        g = {"V": do @ h.T, "c": do.sum(1, keepdims=True), "U": 0, "W": 0, "b": 0}
        dh, dc = p["V"].T @ do, np.zeros((n_h, 128))
        for k in reversed(range(T)):
            dh, dc, dU, dW, db = lstm_step_backward(dh, dc, x[k], *states[k], p["U"], p["W"], p["b"])
            g["U"], g["W"], g["b"] = g["U"] + dU, g["W"] + dW, g["b"] + db
        for k in p:
            m[k] = 0.9 * m[k] + 0.1 * g[k]
            s[k] = 0.999 * s[k] + 0.001 * g[k] ** 2
            p[k] = p[k] - 0.01 * (m[k] / (1 - 0.9**step)) / (np.sqrt(s[k] / (1 - 0.999**step)) + 1e-8)
    return p
"""


def _swap(text, old, new):
    assert old in text, old
    return text.replace(old, new)


WRONG = {
    "ex1-solution": [
        (r"leaves out dc_t", _swap(_LSTM, "dc = dc_t + dh_t", "dc = dh_t")),
        (r"derivative of tanh\(c\^\(t\)\) is missing", _swap(_LSTM, " * (1.0 - tanh_c**2)", "")),
        (r"skips the forget gate", _swap(_LSTM, "dc * f, da", "dc, da")),
        (
            r"swapped",
            _swap(_LSTM, "        dc * i * (1 - g**2),\n", "").replace(
                "(1 - o_gate),\n", "(1 - o_gate),\n        dc * i * (1 - g**2),\n"
            ),
        ),
        (r"transposed", _swap(_LSTM, "da @ x_t.T", "x_t @ da.T")),
        (r"0\.2 times .*factor", _swap(_LSTM, "da.sum(axis=1", "da.mean(axis=1")),
        (r"forget gate f \(rows 4:8\) is wrong", _swap(_LSTM, "f * (1 - f)", "(1 - f)")),
        (
            r"σ' is not σ",
            _swap(_LSTM, "i * (1 - i)", "i")
            .replace("f * (1 - f)", "f")
            .replace("o_gate * (1 - o_gate)", "o_gate"),
        ),
    ],
    "ex2-solution": [
        (r"direct path", _swap(_GRU, "dh_t * z + W.T", "W.T")),
        (r"update gate's gradient has the wrong sign", _swap(_GRU, "(h_prev - n)", "(n - h_prev)")),
        (r"misses the factor r", _swap(_GRU, "d_n * r])", "d_n])")),
        (r"leaves b_hn out", _swap(_GRU, "d_n * ah_n *", "d_n * (W[2 * len(h_prev):] @ h_prev) *")),
        (r"factor \(1 − z\)", _swap(_GRU, "dh_t * (1 - z) * (1 - n**2)", "dh_t * (1 - n**2)")),
        (r"update gate z \(rows 4:8\) is wrong", _swap(_GRU, "z * (1 - z)", "z")),
    ],
    "ex3-solution": [
        # the update climbs the loss instead of descending it
        (r"accuracy .* below 0\.9", _swap(_TRAIN, "p[k] = p[k] - 0.01 *", "p[k] = p[k] + 0.01 *")),
        # only the output layer learns: the LSTM's weights stay where they started
        (
            r"accuracy .* below 0\.9",
            _swap(_TRAIN, "        for k in p:\n", "        for k in ('V', 'c'):\n"),
        ),
        (
            r"\['V'\] has shape \(12, 3\), expected \(3, 12\)",
            _swap(_TRAIN, "    return p\n", "    p['V'] = p['V'].T\n    return p\n"),
        ),
        (r"accuracy .* below 0\.9", _swap(_TRAIN, "range(1, 401)", "range(1, 1)")),
        # minibatches drawn from numpy's global generator: the run cannot be repeated
        (
            r"draw every random number .* from rng",
            _swap(
                _TRAIN,
                "idx = rng.choice(N, 128, replace=False)",
                "idx = np.random.choice(N, 128, replace=False)",
            ),
        ),
        (
            r"accuracy .* below 0\.9",
            _swap(_TRAIN, "for k in reversed(range(T)):", "for k in [T - 1]:"),
        ),
    ],
    "ex4-solution": [
        (r"answer_q4 = 44 is not right.*forget gate", "answer_q4 = 44"),
        (r"answer_q4 = 20 is not right", "answer_q4 = 20  # with f = 1/2"),
        (r"whole number", "answer_q4 = 44.1"),
        (r"should be a number", "answer_q4 = '45'"),
        (r"not attempted", "answer_q4 = None"),
    ],
    "ex5-solution": [
        (r"direct path", "answer_q5 = 'a'"),
        (r"W does not appear", "answer_q5 = 'c'"),
        (r"Elman", "answer_q5 = 'd'"),
        (r"one of the letters", "answer_q5 = 'e'"),
    ],
    "ex6-solution": [
        (r"two bias vectors", "answer_q6 = 56832"),
        (r"input size is n_h", "answer_q6 = 48128"),
        (r"four blocks", "answer_q6 = 14336"),
        (r"not right", "answer_q6 = 57000"),
        (r"whole number", "answer_q6 = 57344.5"),
    ],
}

RIGHT = {
    "ex1-solution": [
        _LSTM,
        # one example (column) at a time, the parameter gradients summed over the batch
        """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
    n_h = h_prev.shape[0]
    dh_prev, dc_prev = np.zeros_like(h_prev), np.zeros_like(c_prev)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    for k in range(x_t.shape[1]):
        x, h, c = x_t[:, k], h_prev[:, k], c_prev[:, k]
        a = b[:, 0] + W @ h + U @ x
        i, f, o = (sigmoid(a[j * n_h:(j + 1) * n_h]) for j in (0, 1, 3))
        g = np.tanh(a[2 * n_h:3 * n_h])
        c_new = f * c + i * g
        dc = dc_t[:, k] + dh_t[:, k] * o * (1 - np.tanh(c_new) ** 2)
        da = np.concatenate([dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                             dh_t[:, k] * np.tanh(c_new) * o * (1 - o)])
        dU += np.outer(da, x)
        dW += np.outer(da, h)
        db[:, 0] += da
        dh_prev[:, k] = np.einsum("ji,j->i", W, da)
        dc_prev[:, k] = dc * f
    return dh_prev, dc_prev, dU, dW, db
""",
    ],
    "ex2-solution": [
        _GRU,
        # the weights cut into their gate blocks, einsum for the products
        """
def gru_step_backward(dh_t, x_t, h_prev, U, W, b_x, b_h):
    U_r, U_z, U_n = np.split(U, 3)
    W_r, W_z, W_n = np.split(W, 3)
    bx_r, bx_z, bx_n = np.split(b_x, 3)
    bh_r, bh_z, bh_n = np.split(b_h, 3)
    r = sigmoid(U_r @ x_t + bx_r + W_r @ h_prev + bh_r)
    z = sigmoid(U_z @ x_t + bx_z + W_z @ h_prev + bh_z)
    hn = W_n @ h_prev + bh_n
    n = np.tanh(U_n @ x_t + bx_n + r * hn)
    dn = dh_t * (1 - z) * (1 - n * n)
    dz = dh_t * (h_prev - n) * z * (1 - z)
    dr = dn * hn * r * (1 - r)
    dhn = dn * r
    dU = np.concatenate([np.einsum("ib,jb->ij", d, x_t) for d in (dr, dz, dn)])
    dW = np.concatenate([np.einsum("ib,jb->ij", d, h_prev) for d in (dr, dz, dhn)])
    db_x = np.concatenate([d.sum(1, keepdims=True) for d in (dr, dz, dn)])
    db_h = np.concatenate([d.sum(1, keepdims=True) for d in (dr, dz, dhn)])
    dh_prev = z * dh_t + W_r.T @ dr + W_z.T @ dz + W_n.T @ dhn
    return dh_prev, dU, dW, db_x, db_h
""",
    ],
    "ex3-solution": [
        _TRAIN,
        # weights drawn uniformly, a larger rate for fewer steps
        _swap(
            _swap(
                _swap(
                    _TRAIN,
                    'p = {"U": rng.normal(0, 0.3, (4 * n_h, n_x)), "W": rng.normal(0, 0.3, (4 * n_h, n_h)),',
                    'p = {"U": rng.uniform(-0.4, 0.4, (4 * n_h, n_x)), "W": rng.uniform(-0.4, 0.4, (4 * n_h, n_h)),',
                ),
                "range(1, 401)",
                "range(1, 351)",
            ),
            "p[k] - 0.01 *",
            "p[k] - 0.015 *",
        ),
    ],
    "ex4-solution": ["answer_q4 = 45", "answer_q4 = 45.0  # 13.8 / 0.313 = 44.1, so 45"],
    "ex5-solution": ["answer_q5 = 'B'", "answer_q5 = ' b '"],
    "ex6-solution": [
        "answer_q6 = 57344",
        "answer_q6 = sum(p.numel() for p in torch.nn.LSTM(28, 64, num_layers=2).parameters())",
    ],
}

# The library's backward passes and torch's autograd are refused
# (rnnbook.course.checks.own_gradients): a derive exercise asks for the gradients by hand.
WRONG["ex1-solution"] += [
    (
        r"lstm_step_backward calls rnnbook\.cells\.LSTMCell\.backward, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook import cells\n\n"
        "def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):\n"
        "    cell = cells.LSTMCell(U.shape[1], W.shape[1])\n"
        "    params = {'U': U, 'W': W, 'b': b}\n"
        "    _, cache = cell.forward(params, cells.LSTMState(h_prev, c_prev), x_t)\n"
        "    dstate, _, g = cell.backward(params, cells.LSTMState(dh_t, dc_t), cache)\n"
        "    return dstate.h, dstate.c, g['U'], g['W'], g['b']\n",
    ),
]
WRONG["ex2-solution"] += [
    (
        r"gru_step_backward calls rnnbook\.cells\.GRUCell\.backward, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook import cells\n\n"
        "def gru_step_backward(dh_t, x_t, h_prev, U, W, b_x, b_h):\n"
        "    cell = cells.GRUCell(U.shape[1], W.shape[1])\n"
        "    params = {'U': U, 'W': W, 'b_x': b_x, 'b_h': b_h}\n"
        "    _, cache = cell.forward(params, cells.GRUState(h_prev), x_t)\n"
        "    dstate, _, g = cell.backward(params, cells.GRUState(dh_t), cache)\n"
        "    return dstate.h, g['U'], g['W'], g['b_x'], g['b_h']\n",
    ),
    (  # autograd through torch's own GRU cell, the hidden test's reference
        r"gru_step_backward calls torch\.Tensor\.backward, torch's automatic differentiation",
        "def gru_step_backward(dh_t, x_t, h_prev, U, W, b_x, b_h):\n"
        "    cell = torch.nn.GRUCell(U.shape[1], W.shape[1]).double()\n"
        "    with torch.no_grad():\n"
        "        for p, a in zip(cell.parameters(), (U, W, b_x[:, 0], b_h[:, 0])):\n"
        "            p.copy_(torch.from_numpy(a))\n"
        "    h_ = torch.tensor(h_prev.T, requires_grad=True)\n"
        "    (cell(torch.from_numpy(x_t.T), h_) * torch.from_numpy(dh_t.T)).sum().backward()\n"
        "    w_ih, w_hh, b_ih, b_hh = (p.grad.numpy() for p in cell.parameters())\n"
        "    return h_.grad.numpy().T, w_ih, w_hh, b_ih[:, None], b_hh[:, None]\n",
    ),
]
