"""Answers to the exercises of notebook 05 that test the checks (see tests/answer_harness.py).

WRONG: plausible mistakes, each of which must lose the exercise's points with a message that
names it. RIGHT: correct answers written differently from the solution, each scoring full marks.
"""

# a correct truncated BPTT, split into helpers, that the wrong answers below change in one place
_TBPTT = """
def _window(theta, xs, ys, h_start, grads):
    U, W, b, V, c = (theta[key] for key in ("U", "W", "b", "V", "c"))
    B = xs.shape[2]
    hs, ps, loss = [h_start], [], 0.0
    for x_t, y_t in zip(xs, ys):
        hs.append(np.tanh(b + W @ hs[-1] + U @ x_t))
        o = c + V @ hs[-1]
        p = np.exp(o - o.max(axis=0))
        p /= p.sum(axis=0)
        ps.append(p)
        loss -= np.mean(np.log(p[y_t, np.arange(B)]))
    dh = np.zeros_like(h_start)
    for t in range(len(xs) - 1, -1, -1):
        do = ps[t].copy()
        do[ys[t], np.arange(B)] -= 1.0
        do /= B
        grads["c"] += do.sum(axis=1, keepdims=True)
        grads["V"] += do @ hs[t + 1].T
        da = DA
        grads["b"] += da.sum(axis=1, keepdims=True)
        grads["W"] += da @ hs[t].T
        grads["U"] += da @ xs[t].T
        dh = W.T @ da
    return loss, hs[-1], dh


def truncated_bptt(theta, xs, ys, h0, k):
    grads = {key: np.zeros_like(v) for key, v in theta.items()}
    loss, h = 0.0, h0
    for s in range(0, len(xs), k):
        RESET
        l, h, _ = _window(theta, xs[s : s + k], ys[s : s + k], START, grads)
        loss += l
    return LOSS, grads, h
"""

_DA = "(1.0 - hs[t + 1] ** 2) * (V.T @ do + dh)"


def _tbptt(da=_DA, reset="pass", start="h", loss="loss"):
    return (
        _TBPTT.replace("DA", da)
        .replace("RESET", reset)
        .replace("START", start)
        .replace("LOSS", loss)
    )


_FULL_BPTT = """
def truncated_bptt(theta, xs, ys, h0, k):
    U, W, b, V, c = (theta[key] for key in ("U", "W", "b", "V", "c"))
    B = xs.shape[2]
    hs, ps, loss = {-1: h0}, {}, 0.0
    for t in range(len(xs)):
        hs[t] = np.tanh(b + W @ hs[t - 1] + U @ xs[t])
        o = c + V @ hs[t]
        p = np.exp(o - o.max(axis=0))
        ps[t] = p / p.sum(axis=0)
        loss -= np.mean(np.log(ps[t][ys[t], np.arange(B)]))
    grads = {key: np.zeros_like(v) for key, v in theta.items()}
    dh = np.zeros_like(h0)
    for t in reversed(range(len(xs))):  # one sweep over everything: k is ignored
        do = ps[t].copy()
        do[ys[t], np.arange(B)] -= 1.0
        do /= B
        grads["c"] += do.sum(axis=1, keepdims=True)
        grads["V"] += do @ hs[t].T
        da = (1.0 - hs[t] ** 2) * (V.T @ do + dh)
        grads["b"] += da.sum(axis=1, keepdims=True)
        grads["W"] += da @ hs[t - 1].T
        grads["U"] += da @ xs[t].T
        dh = W.T @ da
    return loss, grads, hs[len(xs) - 1]
"""

_CLIP = """
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    scale = min(1.0, max_norm / norm)
    return {key: g * scale for key, g in grads.items()}, norm
"""

_TRAIN = """
def train_clipped(theta, xs, ys, *, k, lr, steps, max_norm):
    theta = {key: v.copy() for key, v in theta.items()}
    h0 = np.zeros((theta["W"].shape[0], xs.shape[2]))
    for _ in range(steps):
        grads = truncated_bptt(theta, xs, ys, h0, k)[1]
        grads = clip_by_global_norm(grads, max_norm)[0]
        theta = {key: theta[key] - lr * grads[key] for key in theta}
    return theta
"""

WRONG = {
    "ex1-solution": [
        # the gradient flows across window boundaries: plain BPTT
        ("crosses the window boundary", _FULL_BPTT),
        # every window restarts from h0
        ("carried forward", _tbptt(start="h0")),
        # the gradient dict is reset at every window: only the last window's terms remain
        (
            "only the last window",
            _tbptt(reset="grads = {key: np.zeros_like(v) for key, v in theta.items()}"),
        ),
        # the tanh derivative is forgotten
        ("differs from the truncated gradient", _tbptt(da="V.T @ do + dh")),
        # the loss averaged over time instead of summed
        ("mean over the T steps", _tbptt(loss="loss / len(xs)")),
    ],
    "ex2-solution": [
        # each parameter clipped by its own norm
        (
            "its own norm",
            """
def clip_by_global_norm(grads, max_norm):
    total = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    return {key: g * min(1.0, max_norm / np.linalg.norm(g)) for key, g in grads.items()}, total
"""
            + _TRAIN,
        ),
        # rescales in place, changing the caller's arrays
        (
            "changed the grads it was given",
            """
def clip_by_global_norm(grads, max_norm):
    norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
    for g in grads.values():
        g *= min(1.0, max_norm / norm)
    return grads, norm
"""
            + _TRAIN,
        ),
        # the sum of squares reported as the norm
        (
            "sum of squares",
            """
def clip_by_global_norm(grads, max_norm):
    norm = float(sum(np.sum(g**2) for g in grads.values()))
    scale = min(1.0, max_norm / norm)
    return {key: g * scale for key, g in grads.items()}, norm
"""
            + _TRAIN,
        ),
        # the training loop forgets to clip
        (
            "should fall",
            _CLIP + _TRAIN.replace("grads = clip_by_global_norm(grads, max_norm)[0]", "pass"),
        ),
        # the gradient is added instead of subtracted
        ("should fall", _CLIP + _TRAIN.replace("theta[key] - lr", "theta[key] + lr")),
    ],
    "ex3-solution": [
        # where rho(W)^k falls below 1e-6
        (
            "asymptotic rate",
            "rho = np.max(np.abs(np.linalg.eigvals(W3)))\n"
            "lag_below_1e6 = int(np.ceil(np.log(1e-6) / np.log(rho)))\n",
        ),
        # the last lag above the threshold
        (
            "last lag",
            "P, lag = W3.copy(), 0\n"
            "while np.linalg.norm(P, 2) >= 1e-6:\n"
            "    P, lag = W3 @ P, lag + 1\n"
            "lag_below_1e6 = lag\n",
        ),
        # lags counted from 1
        (
            "one lag too late",
            "P, lag = np.eye(6), 1\n"
            "while np.linalg.norm(P, 2) >= 1e-6:\n"
            "    P, lag = W3 @ P, lag + 1\n"
            "lag_below_1e6 = lag\n",
        ),
        # rho(W)^k, rounded down
        (
            "not right",
            "lag_below_1e6 = int(np.log(1e-6) / np.log(0.9))\n",
        ),
    ],
    "ex4-solution": [
        ("what is stopped at a window boundary is the gradient", 'answer_q4 = "a"'),
        ("exactly the ones", 'answer_q4 = "c"'),
        ("cannot create", 'answer_q4 = "d"'),
        ("should be one of the letters", 'answer_q4 = "e"'),
    ],
    "ex5-solution": [
        ("only shortens gradients", 'answer_q5 = "a"'),
        ("by value also", 'answer_q5 = "b"'),
        ("same factor", 'answer_q5 = "d"'),
    ],
}

RIGHT = {
    "ex1-solution": [
        _tbptt(),
        # einsum, and a one-hot target matrix
        """
def truncated_bptt(theta, xs, ys, h0, k):
    U, W, b, V, c = (theta[key] for key in ("U", "W", "b", "V", "c"))
    T, B = len(xs), xs.shape[2]
    grads = {key: np.zeros(v.shape) for key, v in theta.items()}
    loss, h = 0.0, h0
    for s in range(0, T, k):
        e = min(s + k, T)
        hs, ds = [h], []
        for t in range(s, e):
            hs.append(np.tanh(b + np.einsum("ij,jb->ib", W, hs[-1]) + np.einsum("ij,jb->ib", U, xs[t])))
            o = c + np.einsum("ij,jb->ib", V, hs[-1])
            logp = o - o.max(0) - np.log(np.exp(o - o.max(0)).sum(0))
            onehot = np.eye(V.shape[0])[:, ys[t]]
            loss += -np.einsum("ib,ib->", onehot, logp) / B
            ds.append((np.exp(logp) - onehot) / B)
        carry = 0.0
        for i in range(e - s - 1, -1, -1):
            t = s + i
            grads["c"] += ds[i].sum(1, keepdims=True)
            grads["V"] += np.einsum("ib,jb->ij", ds[i], hs[i + 1])
            da = (1 - hs[i + 1] ** 2) * (np.einsum("ji,jb->ib", V, ds[i]) + carry)
            grads["b"] += da.sum(1, keepdims=True)
            grads["W"] += np.einsum("ib,jb->ij", da, hs[i])
            grads["U"] += np.einsum("ib,jb->ij", da, xs[t])
            carry = np.einsum("ji,jb->ib", W, da)
        h = hs[-1]
    return loss, grads, h
""",
    ],
    "ex2-solution": [
        _CLIP + _TRAIN,
        """
def clip_by_global_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads.values()])
    norm = float(np.linalg.norm(flat))
    if norm > max_norm:
        return {key: g * (max_norm / norm) for key, g in grads.items()}, norm
    return {key: g.copy() for key, g in grads.items()}, norm


def train_clipped(theta, xs, ys, *, k, lr, steps, max_norm):
    theta = {key: np.array(v, dtype=float) for key, v in theta.items()}
    for _ in range(steps):
        h0 = np.zeros((len(theta["b"]), xs.shape[2]))
        _, grads, _ = truncated_bptt(theta, xs, ys, h0, k)
        clipped, _ = clip_by_global_norm(grads, max_norm)
        for key, g in clipped.items():
            theta[key] -= lr * g
    return theta
""",
    ],
    "ex3-solution": [
        "lag_below_1e6 = next(\n"
        "    k for k in range(5000)\n"
        "    if np.linalg.norm(np.linalg.matrix_power(W3, k), 2) < 1e-6\n"
        ")\n",
        "norms, P = [], np.eye(6)\n"
        "for _ in range(400):\n"
        "    norms.append(np.linalg.svd(P, compute_uv=False)[0])\n"
        "    P = P @ W3\n"
        "lag_below_1e6 = int(np.argmax(np.array(norms) < 1e-6))\n",
    ],
    "ex4-solution": ['answer_q4 = "B"', "answer_q4 = ' b '"],
    "ex5-solution": ['answer_q5 = "C"', "answer_q5 = 'c '"],
}

# The library's BPTT (or torch's autograd) is refused (rnnbook.course.checks.own_gradients): a
# derive exercise asks for the gradients worked out by hand.
WRONG["ex1-solution"] += [
    (  # the library's BPTT of notebook 04, window by window
        r"truncated_bptt calls rnnbook\.bptt\.elman_bptt, the library's own gradient code: "
        r".*derive the gradients yourself",
        """
from rnnbook import bptt as _bptt


def truncated_bptt(theta, xs, ys, h0, k):
    total, grads, h = 0.0, None, h0
    for s in range(0, len(xs), k):
        loss, g, h = _bptt.elman_bptt(theta, xs[s : s + k], ys[s : s + k], h)
        total += loss
        grads = g if grads is None else {key: grads[key] + g[key] for key in g}
    return total, grads, h
""",
    ),
]
