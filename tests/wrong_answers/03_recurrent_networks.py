"""Answers to the exercises of notebook 03 that test its checks (see tests/answer_harness.py).

``WRONG[gid]``: plausible wrong answers, each ``(pattern naming the mistake, code)``; each must
lose its exercise's points with a message matching the pattern. ``RIGHT[gid]``: correct answers
written differently from the solution; each must score.
"""

_RUN = (
    "def _run(p, seq):\n"
    "    h, out = np.zeros((p['W'].shape[0], seq.shape[2])), []\n"
    "    for x_t in seq:\n"
    "        h = np.tanh(p['b'] + p['W'] @ h + p['U'] @ x_t)\n"
    "        out.append(h)\n"
    "    return np.stack(out)\n"
)

_ONE_HOT = (
    "def one_hot_sentence(words, vocab):\n"
    "    return np.eye(len(vocab))[:, [vocab.index(w) for w in words]]\n"
)

_FIT = (
    "def fit_readout(sentences, tags, vocab, U, W, b):\n"
    "    n_h = W.shape[0]\n"
    "    H = np.concatenate([\n"
    "        elman_forward(one_hot_sentence(s, vocab).T[:, :, None], np.zeros((n_h, 1)), U, W, b)"
    "[:, :, 0]\n"
    "        for s in sentences\n"
    "    ])\n"
    "    Y = np.eye(2)[np.concatenate([np.asarray(t) for t in tags])]\n"
    "    H1 = np.hstack([H, np.ones((len(H), 1))])\n"
    "    theta = np.linalg.lstsq(H1, Y, rcond=None)[0]\n"
    "    return theta[:n_h].T, theta[n_h:].T\n"
)

WRONG = {
    "ex1-solution": [
        (
            "every step reads h0",
            "def elman_forward(xs, h0, U, W, b):\n"
            "    return np.stack([np.tanh(b + W @ h0 + U @ x_t) for x_t in xs])\n",
        ),
        (
            "the bias b is missing",
            "def elman_forward(xs, h0, U, W, b):\n"
            "    h, out = h0, []\n"
            "    for x_t in xs:\n"
            "        h = np.tanh(W @ h + U @ x_t)\n"
            "        out.append(h)\n"
            "    return np.stack(out)\n",
        ),
        (
            "without the initial state h0",
            "def elman_forward(xs, h0, U, W, b):\n"
            "    h, out = h0, [h0]\n"
            "    for x_t in xs:\n"
            "        h = np.tanh(b + W @ h + U @ x_t)\n"
            "        out.append(h)\n"
            "    return np.stack(out)\n",
        ),
        (
            r"differs from the expected value.*tanh\(b \+ W h\^\(t-1\) \+ U x\^\(t\)\)",
            "def elman_forward(xs, h0, U, W, b):\n"
            "    h, out = h0, []\n"
            "    for x_t in xs:\n"
            "        h = np.tanh(b + W.T @ h + U @ x_t)\n"
            "        out.append(h)\n"
            "    return np.stack(out)\n",
        ),
    ],
    "ex2-solution": [
        (
            "W alone: the tanh's derivative at h\\^\\(t\\) is missing",
            "def elman_jacobian(x_t, h_prev, U, W, b):\n    return W.copy()\n",
        ),
        (
            "derivative is taken at h_prev",
            "def elman_jacobian(x_t, h_prev, U, W, b):\n    return (1 - h_prev**2) * W\n",
        ),
        (
            "scales the columns of W",
            "def elman_jacobian(x_t, h_prev, U, W, b):\n"
            "    h_t = np.tanh(b + W @ h_prev + U @ x_t)\n"
            "    return W * (1 - h_t**2).T\n",
        ),
        (
            "this is its transpose",
            "def elman_jacobian(x_t, h_prev, U, W, b):\n"
            "    h_t = np.tanh(b + W @ h_prev + U @ x_t)\n"
            "    return (1 - h_t**2) * W.T\n",
        ),
        (
            "not 1 − h",
            "def elman_jacobian(x_t, h_prev, U, W, b):\n"
            "    h_t = np.tanh(b + W @ h_prev + U @ x_t)\n"
            "    return (1 - h_t) * W\n",
        ),
    ],
    "ex3-solution": [
        (  # the spectral radius of W itself
            r"answer_q3 = 1\.17.* is not right.*not the spectral radius of W itself",
            "W_q3 = np.array([[1.3, -0.4], [0.5, 0.9]])\n"
            "answer_q3 = float(np.max(np.abs(np.linalg.eigvals(W_q3))))\n",
        ),
        (  # a norm instead of the spectral radius
            r"answer_q3 = 0\.81.* is not right.*largest \|eigenvalue\|",
            "W_q3 = np.array([[1.3, -0.4], [0.5, 0.9]])\n"
            "b_q3 = np.array([[0.2], [-0.1]])\n"
            "h = np.array([[0.5], [0.5]])\n"
            "for _ in range(500):\n"
            "    h = np.tanh(b_q3 + W_q3 @ h)\n"
            "answer_q3 = float(np.linalg.norm((1 - h**2) * W_q3, 2))\n",
        ),
        (  # the Jacobian at the starting point, not at the fixed point
            r"is not right.*until it stops moving",
            "W_q3 = np.array([[1.3, -0.4], [0.5, 0.9]])\n"
            "b_q3 = np.array([[0.2], [-0.1]])\n"
            "h0_q3 = np.array([[0.5], [0.5]])\n"
            "h1 = np.tanh(b_q3 + W_q3 @ h0_q3)\n"
            "answer_q3 = float(np.max(np.abs(np.linalg.eigvals((1 - h1**2) * W_q3))))\n",
        ),
        ("answer_q3 should be a number", 'answer_q3 = "stable"\n'),
    ],
    "ex4-solution": [
        (
            "was computed from o_prev",
            "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
            "    h_t = np.tanh(params['b'] + params['W'] @ o_prev + params['U'] @ x_t)\n"
            "    return h_t, params['c'] + params['V'] @ h_t\n",
        ),
        (
            "missing the output bias c",
            "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
            "    n_y = params['V'].shape[0]\n"
            "    s = np.eye(n_y)[:, y_prev] if teacher_forcing else o_prev\n"
            "    h_t = np.tanh(params['b'] + params['W'] @ s + params['U'] @ x_t)\n"
            "    return h_t, params['V'] @ h_t\n",
        ),
        (
            r"reads softmax\(o_prev\)",
            "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
            "    n_y = params['V'].shape[0]\n"
            "    e = np.exp(o_prev - o_prev.max(axis=0))\n"
            "    s = np.eye(n_y)[:, y_prev] if teacher_forcing else e / e.sum(axis=0)\n"
            "    h_t = np.tanh(params['b'] + params['W'] @ s + params['U'] @ x_t)\n"
            "    return h_t, params['c'] + params['V'] @ h_t\n",
        ),
        (
            "should return a pair",
            "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
            "    n_y = params['V'].shape[0]\n"
            "    s = np.eye(n_y)[:, y_prev] if teacher_forcing else o_prev\n"
            "    return np.tanh(params['b'] + params['W'] @ s + params['U'] @ x_t)\n",
        ),
    ],
    "ex5-solution": [
        ("no gradient has to travel back in time", 'answer_q5 = "a"\n'),
        ("the targets are unknown", 'answer_q5 = "b"\n'),
        ("not what it can remember", 'answer_q5 = "d"\n'),
        ("should be one of the letters", 'answer_q5 = "teacher forcing"\n'),
    ],
    "ex6-solution": [
        (
            "in reading order",
            _RUN + "def bidirectional_forward(xs, params_f, params_b):\n"
            "    return np.concatenate([_run(params_f, xs), _run(params_b, xs[::-1])], axis=1)\n",
        ),
        (
            "read the sequence forward in time",
            _RUN + "def bidirectional_forward(xs, params_f, params_b):\n"
            "    return np.concatenate([_run(params_f, xs), _run(params_b, xs)], axis=1)\n",
        ),
        (
            "concatenated along time",
            _RUN + "def bidirectional_forward(xs, params_f, params_b):\n"
            "    fwd, bwd = _run(params_f, xs), _run(params_b, xs[::-1])[::-1]\n"
            "    return np.concatenate([fwd, bwd], axis=0)\n",
        ),
        (
            "did you put the backward states first",
            _RUN + "def bidirectional_forward(xs, params_f, params_b):\n"
            "    fwd, bwd = _run(params_f, xs), _run(params_b, xs[::-1])[::-1]\n"
            "    return np.concatenate([bwd, fwd], axis=1)\n",
        ),
    ],
    "ex7-solution": [
        (
            "transpose your matrix",
            "def one_hot_sentence(words, vocab):\n"
            "    return np.eye(len(vocab))[[vocab.index(w) for w in words]]\n" + _FIT,
        ),
        (
            "the rows follow the sorted vocabulary",
            "def one_hot_sentence(words, vocab):\n"
            "    order = sorted(vocab)\n"
            "    return np.eye(len(vocab))[:, [order.index(w) for w in words]]\n" + _FIT,
        ),
        (
            "size it by the vocabulary",
            "def one_hot_sentence(words, vocab):\n"
            "    seen = [w for w in vocab if w in words]\n"
            "    return np.eye(len(seen))[:, [seen.index(w) for w in words]]\n" + _FIT,
        ),
        (  # each word read on its own, from a zero state: no context
            "ambiguous words.*one word at a time",
            _ONE_HOT + "def fit_readout(sentences, tags, vocab, U, W, b):\n"
            "    n_h = W.shape[0]\n"
            "    words = [w for s in sentences for w in s]\n"
            "    X = one_hot_sentence(words, vocab)\n"
            "    H = np.tanh(b + U @ X).T\n"
            "    Y = np.eye(2)[np.concatenate([np.asarray(t) for t in tags])]\n"
            "    theta = np.linalg.lstsq(np.hstack([H, np.ones((len(H), 1))]), Y, rcond=None)[0]\n"
            "    return theta[:n_h].T, theta[n_h:].T\n",
        ),
        (
            r"V has shape \(120, 2\), expected \(2, n_h\)",
            _ONE_HOT
            + _FIT.replace(
                "return theta[:n_h].T, theta[n_h:].T", "return theta[:n_h], theta[n_h:].T"
            ),
        ),
        (
            "the tags look swapped",
            _ONE_HOT
            + _FIT.replace(
                "return theta[:n_h].T, theta[n_h:].T",
                "return theta[:n_h, ::-1].T, theta[n_h:, ::-1].T",
            ),
        ),
    ],
}

RIGHT = {
    "ex1-solution": [
        "def elman_forward(xs, h0, U, W, b):\n"
        "    T = xs.shape[0]\n"
        "    hs = np.empty((T,) + h0.shape)\n"
        "    for t in range(T):\n"
        "        prev = h0 if t == 0 else hs[t - 1]\n"
        "        hs[t] = np.tanh(U @ xs[t] + W @ prev + b)\n"
        "    return hs\n",
        "from rnnbook import cells\n\n"
        "def elman_forward(xs, h0, U, W, b):\n"
        "    cell = cells.ElmanCell(U.shape[1], U.shape[0])\n"
        "    states, _ = cells.unroll(cell, {'U': U, 'W': W, 'b': b}, xs, cells.ElmanState(h0))\n"
        "    return np.array([s.h for s in states])\n",
    ],
    "ex2-solution": [
        "def elman_jacobian(x_t, h_prev, U, W, b):\n"
        "    h_t = np.tanh(b + W @ h_prev + U @ x_t)\n"
        "    return np.diag(1 - h_t[:, 0] ** 2) @ W\n",
        "def elman_jacobian(x_t, h_prev, U, W, b):\n"
        "    a = (b + W @ h_prev + U @ x_t)[:, 0]\n"
        "    J = np.empty_like(W)\n"
        "    for i in range(W.shape[0]):\n"
        "        for j in range(W.shape[1]):\n"
        "            J[i, j] = W[i, j] / np.cosh(a[i]) ** 2\n"
        "    return J\n",
    ],
    "ex3-solution": [
        "W_q3 = np.array([[1.3, -0.4], [0.5, 0.9]])\n"
        "b_q3 = np.array([[0.2], [-0.1]])\n"
        "h = np.array([[0.5], [0.5]])\n"
        "while True:\n"
        "    new = np.tanh(b_q3 + W_q3 @ h)\n"
        "    if np.abs(new - h).max() < 1e-13:\n"
        "        break\n"
        "    h = new\n"
        "answer_q3 = max(abs(np.linalg.eigvals(np.diag(1 - h[:, 0] ** 2) @ W_q3)))\n",
        "from rnnbook import bptt, cells\n"
        "_cell = cells.ElmanCell(1, 2)\n"
        "_p = {'U': np.zeros((2, 1)), 'W': np.array([[1.3, -0.4], [0.5, 0.9]]),\n"
        "      'b': np.array([[0.2], [-0.1]])}\n"
        "_xs = np.zeros((400, 1, 1))\n"
        "_J = bptt.hidden_jacobians(_cell, _p, _xs, cells.ElmanState(np.full((2, 1), 0.5)))\n"
        "_one_step = _J[-2]  # dh(T)/dh(T-1), at the fixed point by then\n"
        "answer_q3 = float(np.abs(np.linalg.eigvals(_one_step)).max())\n",
    ],
    "ex4-solution": [
        "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
        "    s = np.eye(params['V'].shape[0])[:, y_prev] if teacher_forcing else o_prev\n"
        "    h_t = np.tanh(params['U'] @ x_t + params['W'] @ s + params['b'])\n"
        "    return h_t, params['V'] @ h_t + params['c']\n",
        "from rnnbook import cells\n\n"
        "def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):\n"
        "    n_y, (n_h, n_x) = params['V'].shape[0], params['U'].shape\n"
        "    cell = cells.JordanCell(n_x, n_h, n_y)\n"
        "    state = cells.JordanState(np.zeros((n_h, x_t.shape[1])), o_prev, o_prev)\n"
        "    if teacher_forcing:\n"
        "        state = cell.force(state, y_prev)\n"
        "    new, _ = cell.forward(params, state, x_t)\n"
        "    return new.h, new.o\n",
    ],
    "ex5-solution": ['answer_q5 = "C"\n', 'answer_q5 = " c "\n'],
    "ex6-solution": [
        _RUN + "def bidirectional_forward(xs, params_f, params_b):\n"
        "    T = len(xs)\n"
        "    fwd, bwd = _run(params_f, xs), _run(params_b, xs[::-1])\n"
        "    return np.stack([np.vstack([fwd[t], bwd[T - 1 - t]]) for t in range(T)])\n",
        "def bidirectional_forward(xs, params_f, params_b):\n"
        "    n_h, B = params_f['W'].shape[0], xs.shape[2]\n"
        "    f = elman_forward(xs, np.zeros((n_h, B)), params_f['U'], params_f['W'], "
        "params_f['b'])\n"
        "    g = elman_forward(xs[::-1], np.zeros((n_h, B)), params_b['U'], params_b['W'], "
        "params_b['b'])\n"
        "    return np.flip(np.concatenate([np.flip(f, 0), g], axis=1), 0)\n",
    ],
    "ex7-solution": [
        _ONE_HOT + _FIT,
        "def one_hot_sentence(words, vocab):\n"
        "    row = {w: i for i, w in enumerate(vocab)}\n"
        "    X = np.zeros((len(vocab), len(words)), dtype=float)\n"
        "    X[[row[w] for w in words], np.arange(len(words))] = 1\n"
        "    return X\n\n"
        "def fit_readout(sentences, tags, vocab, U, W, b):\n"
        "    n_h = W.shape[0]\n"
        "    A = np.zeros((n_h + 1, n_h + 1))\n"
        "    R = np.zeros((n_h + 1, 2))\n"
        "    for words, t in zip(sentences, tags):\n"
        "        xs = one_hot_sentence(words, vocab).T[:, :, None]\n"
        "        H = elman_forward(xs, np.zeros((n_h, 1)), U, W, b)[:, :, 0]\n"
        "        H1 = np.c_[H, np.ones(len(H))]\n"
        "        A += H1.T @ H1\n"
        "        R += H1.T @ np.eye(2)[t]\n"
        "    theta = np.linalg.solve(A + 1e-9 * np.eye(n_h + 1), R)  # the normal equations\n"
        "    return theta[:n_h].T, theta[n_h:].T\n",
    ],
}

# A Jacobian taken from torch's autograd or from the library is refused
# (rnnbook.course.checks.own_gradients): the exercise asks for it worked out by hand.
WRONG["ex2-solution"] += [
    (
        r"elman_jacobian calls torch\.autograd\.functional\.jacobian, torch's automatic "
        r"differentiation: .*derive the gradients yourself",
        "import torch\n\n"
        "def elman_jacobian(x_t, h_prev, U, W, b):\n"
        "    U_, W_, b_, x_ = (torch.tensor(a) for a in (U, W, b, x_t))\n"
        "    J = torch.autograd.functional.jacobian(\n"
        "        lambda h: torch.tanh(b_ + W_ @ h + U_ @ x_), torch.tensor(h_prev))\n"
        "    return J[:, 0, :, 0].numpy()\n",
    ),
    (
        r"elman_jacobian calls rnnbook\.bptt\.hidden_jacobians, the library's own gradient code",
        "from rnnbook import bptt, cells\n\n"
        "def elman_jacobian(x_t, h_prev, U, W, b):\n"
        "    cell = cells.ElmanCell(U.shape[1], U.shape[0])\n"
        "    J = bptt.hidden_jacobians(cell, {'U': U, 'W': W, 'b': b}, x_t[None],\n"
        "                              cells.ElmanState(h_prev))\n"
        "    return J[0]\n",
    ),
]
