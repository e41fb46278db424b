"""Answers to the exercises of notebook 06 that test the checks (see tests/answer_harness.py).

WRONG: plausible mistakes, each of which must lose the exercise's points with a message that
names it. RIGHT: correct answers written differently from the solution, each scoring full marks.
"""

# a correct neural bigram backward pass that the wrong answers change in one place
_BIGRAM = """
def neural_bigram_grads(theta, x, y):
    W_emb, V, c = theta["W_emb"], theta["V"], theta["c"]
    B = len(x)
    h = np.tanh(W_emb[:, x])
    o = c + V @ h
    p = np.exp(o - o.max(axis=0))
    p = p / p.sum(axis=0)
    loss = LOSS
    do = p.copy()
    do[y, np.arange(B)] -= 1.0
    do = do / DIVIDE
    de = DE
    dW_emb = np.zeros_like(W_emb)
    SCATTER
    return float(loss), {"W_emb": dW_emb, "V": do @ h.T, "c": do.sum(axis=1, keepdims=True)}
"""


def _bigram(
    loss="-np.mean(np.log(p[y, np.arange(B)]))",
    divide="B",
    de="(1 - h**2) * (V.T @ do)",
    scatter="np.add.at(dW_emb.T, x, de.T)",
):
    return (
        _BIGRAM.replace("LOSS", loss)
        .replace("DIVIDE", divide)
        .replace("DE", de)
        .replace("SCATTER", scatter)
    )


_SAMPLER = """
def sample_chars(theta, vocab, prefix, length, kappa, rng):
    U, W, b, V, c = (theta[k] for k in ("U", "W", "b", "V", "c"))
    h = np.zeros((W.shape[0], 1))
    for ch in PREFIX:
        h = np.tanh(b + W @ h + U[:, [vocab.index(ch)]])
    out = ""
    for _ in range(length):
        z = SCORES
        p = np.exp(z - z.max())
        p = p / p.sum()
        i = DRAW
        out += vocab[i]
        FEED
    return out
"""


def _sampler(
    prefix="prefix",
    scores="(c + V @ h).ravel() / kappa",
    draw="int(rng.choice(len(vocab), p=p))",
    feed="h = np.tanh(b + W @ h + U[:, [i]])",
):
    return (
        _SAMPLER.replace("PREFIX", prefix)
        .replace("SCORES", scores)
        .replace("DRAW", draw)
        .replace("FEED", feed)
    )


# a correct trainer that the wrong answers change in one place
_TRAIN = """
def train_char_lm(text, vocab, rng):
    n_h, T, B, steps = 64, 32, 32, STEPS
    order = ORDER
    ids = np.array([order.index(ch) for ch in text])
    cols = (len(ids) - 1) // B
    X = ids[: B * cols].reshape(B, cols)
    Y = ids[SHIFT : B * cols + SHIFT].reshape(B, cols)
    n = len(vocab)
    theta = {
        "U": rng.normal(0, 0.1, (n_h, n)),
        "W": rng.normal(0, 0.5 / np.sqrt(n_h), (n_h, n_h)),
        "b": np.zeros((n_h, 1)),
        "V": rng.normal(0, 0.1, (n, n_h)),
        "c": np.zeros((n, 1)),
    }
    opt = optim.Adam(theta, lr=0.01)
    h, t0 = np.zeros((n_h, B)), 0
    for _ in range(steps):
        if t0 + T > cols:
            h, t0 = np.zeros((n_h, B)), 0
        xs = np.eye(n)[X[:, t0 : t0 + T].T].transpose(0, 2, 1)
        _, grads, h = bptt.elman_bptt(theta, xs, Y[:, t0 : t0 + T].T, h)
        grads, _ = bptt.clip_grad_norm({k: g / T for k, g in grads.items()}, 1.0)
        opt.step(grads)
        t0 += T
    return RETURN
"""


def _train(steps="400", order="list(vocab)", shift="1", ret="theta"):
    return (
        _TRAIN.replace("STEPS", steps)
        .replace("ORDER", order)
        .replace("SHIFT", shift)
        .replace("RETURN", ret)
    )


WRONG = {
    "ex1-solution": [
        # a repeated token keeps only its last occurrence's gradient
        ("keeps only one occurrence", _bigram(scatter="dW_emb[:, x] += de")),
        # the tanh between e and h is skipped on the way back
        ("derivative of the tanh", _bigram(de="V.T @ do")),
        # the mean over the batch forgotten in the gradient
        ("factor is missing", _bigram(divide="1.0")),
        # the loss summed over the batch
        ("sum over the batch", _bigram(loss="-np.sum(np.log(p[y, np.arange(B)]))")),
        # prediction minus target the wrong way round
        ("wrong sign", _bigram(divide="-B")),
    ],
    "ex2-solution": [
        ("perplexity per character", "word_perplexity = 2 ** (2840 / 2000)"),
        ("undoes a loss in nats", "word_perplexity = np.exp(2840 / 364)"),
        ("do not add up", "word_perplexity = 2 ** (2840 / 2000) * 2000 / 364"),
        ("exponentiate it", "word_perplexity = 2840 / 364"),
    ],
    "ex3-solution": [
        ("confident mistake costs", 'answer_q3 = "a"'),
        ("uniform distribution", 'answer_q3 = "c"'),
        ("only value at which", 'answer_q3 = "d"'),
    ],
    "ex4-solution": [
        # the most likely character every time
        ("always gave the most likely", _sampler(draw="int(np.argmax(p))")),
        # the temperature multiplies the scores
        ("multiplies the logits by kappa", _sampler(scores="(c + V @ h).ravel() * kappa")),
        # numpy's global generator instead of rng
        ("same seed", _sampler(draw="int(np.random.choice(len(vocab), p=p))")),
        # the last index can never be drawn
        (
            "the last one included",
            _sampler(draw="int(rng.choice(len(vocab) - 1, p=p[:-1] / p[:-1].sum()))"),
        ),
        # the drawn character is not fed back in
        ("fed back", _sampler(feed="pass")),
        # only the last character of the prefix is read
        ("most likely continuation", _sampler(prefix="prefix[-1:]")),
    ],
    "ex5-solution": [
        # the vocabulary sorted: indices no longer mean vocab[i]
        ("vocab\\[i\\]", _train(order="sorted(vocab)")),
        # far too little training
        ("must beat", _train(steps="15")),
        # targets not shifted: the model learns to repeat its input
        ("perplexity", _train(shift="0")),
        # the output layer returned transposed
        ("has shape", _train(ret='{**theta, "V": theta["V"].T}')),
    ],
}

RIGHT = {
    "ex1-solution": [
        _bigram(),
        # one-hot matrices instead of indexing
        """
def neural_bigram_grads(theta, x, y):
    W_emb, V, c = theta["W_emb"], theta["V"], theta["c"]
    n, B = W_emb.shape[1], len(x)
    X = np.eye(n)[:, x]  # (|V|, B) one-hot columns
    Y = np.eye(n)[:, y]
    h = np.tanh(W_emb @ X)
    o = c + V @ h
    o = o - o.max(axis=0, keepdims=True)
    log_p = o - np.log(np.exp(o).sum(axis=0, keepdims=True))
    loss = -np.sum(Y * log_p) / B
    do = (np.exp(log_p) - Y) / B
    de = (V.T @ do) * (1 - h * h)
    return loss, {"W_emb": de @ X.T, "V": do @ h.T, "c": do.sum(axis=1).reshape(-1, 1)}
""",
    ],
    "ex2-solution": [
        "word_perplexity = (2 ** (2840 / 2000)) ** (2000 / 364)",
        "import math\nword_perplexity = math.exp(2840 * math.log(2) / 364)",
    ],
    "ex3-solution": ['answer_q3 = "B"', "answer_q3 = 'b '"],
    "ex4-solution": [
        _sampler(),
        # inverse transform sampling with rng.random, and a dict of positions
        """
def sample_chars(theta, vocab, prefix, length, kappa, rng):
    where = {ch: i for i, ch in enumerate(vocab)}
    h = np.zeros((theta["W"].shape[0], 1))
    step = lambda h, i: np.tanh(theta["b"] + theta["W"] @ h + theta["U"][:, i : i + 1])
    for ch in prefix:
        h = step(h, where[ch])
    chars = []
    while len(chars) < length:
        o = (theta["c"] + theta["V"] @ h)[:, 0] / kappa
        q = np.exp(o - np.max(o))
        cdf = np.cumsum(q / q.sum())
        i = min(int(np.searchsorted(cdf, rng.random(), side="right")), len(vocab) - 1)
        chars.append(vocab[i])
        h = step(h, i)
    return "".join(chars)
""",
    ],
    "ex5-solution": [
        _train(),
        # random windows from a zero state, Adam written out, 48 units
        """
def train_char_lm(text, vocab, rng):
    n_h, T, B, steps, lr = 48, 24, 32, 450, 0.01
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text])
    n = len(vocab)
    theta = {
        "U": 0.1 * rng.standard_normal((n_h, n)),
        "W": 0.05 * rng.standard_normal((n_h, n_h)),
        "b": np.zeros((n_h, 1)),
        "V": 0.1 * rng.standard_normal((n, n_h)),
        "c": np.zeros((n, 1)),
    }
    m = {k: np.zeros_like(v) for k, v in theta.items()}
    s = {k: np.zeros_like(v) for k, v in theta.items()}
    for it in range(1, steps + 1):
        starts = rng.integers(0, len(ids) - T - 1, size=B)
        window = ids[starts[:, None] + np.arange(T + 1)]  # (B, T + 1)
        xs = np.stack([np.eye(n)[:, window[:, t]] for t in range(T)])
        ys = window[:, 1:].T
        _, grads, _ = bptt.elman_bptt(theta, xs, ys, np.zeros((n_h, B)))
        norm = np.sqrt(sum(np.sum((g / T) ** 2) for g in grads.values()))
        for k in theta:
            g = grads[k] / T * min(1.0, 1.0 / norm)
            m[k] = 0.9 * m[k] + 0.1 * g
            s[k] = 0.999 * s[k] + 0.001 * g * g
            m_hat, s_hat = m[k] / (1 - 0.9**it), s[k] / (1 - 0.999**it)
            theta[k] -= lr * m_hat / (np.sqrt(s_hat) + 1e-8)
    return theta
""",
    ],
}

# The library's backward passes (or torch's autograd) are refused
# (rnnbook.course.checks.own_gradients): a derive exercise asks for the gradients by hand.
WRONG["ex1-solution"] += [
    (
        r"neural_bigram_grads calls rnnbook\.cells\.softmax_cross_entropy, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook import cells\n\n"
        "def neural_bigram_grads(theta, x, y):\n"
        "    e, e_cache = cells.embedding_forward(theta['W_emb'], x)\n"
        "    h = np.tanh(e)\n"
        "    head = {'V': theta['V'], 'c': theta['c']}\n"
        "    o, o_cache = cells.output_forward(head, h)\n"
        "    loss, do = cells.softmax_cross_entropy(o, y)\n"
        "    dh, grads = cells.output_backward(head, do, o_cache)\n"
        "    grads['W_emb'] = cells.embedding_backward(theta['W_emb'], dh * (1 - h**2), e_cache)\n"
        "    return loss, grads\n",
    ),
]
