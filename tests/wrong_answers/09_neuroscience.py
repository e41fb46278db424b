"""Answers that test the checks of solutions/09_neuroscience.ipynb (see tests/answer_harness.py).

``WRONG[gid]``: plausible wrong answers, each ``(regex naming the mistake, full cell source)``;
every one must lose its exercise's points with a message the regex matches. ``RIGHT[gid]``:
correct answers written differently from the solution; every one must score.
"""


def _variant(base: str, old: str, new: str) -> str:
    """``base`` with ``old`` replaced by ``new`` (which must be there: a typo fails loudly)."""
    if old not in base:
        raise ValueError(f"not in the answer: {old!r}")
    return base.replace(old, new)


# ---------------------------------------------------------------- ex1: a correct answer to vary

EX1 = """import numpy as np


def ei_step(h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    alpha = dt / T_c
    d = np.where(np.arange(W_raw.shape[1]) < n_exc, 1.0, -1.0)
    W = np.abs(W_raw) * d
    r = np.maximum(h_prev, 0.0)
    return (1 - alpha) * h_prev + alpha * (W @ r + U @ x + b)


def ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    alpha = dt / T_c
    d = np.where(np.arange(W_raw.shape[1]) < n_exc, 1.0, -1.0)
    W = np.abs(W_raw) * d
    r = np.maximum(h_prev, 0.0)
    da = alpha * dh
    dW_raw = (da @ r.T) * np.sign(W_raw) * d
    dU = da @ x.T
    db = np.sum(da, axis=1, keepdims=True)
    dh_prev = (1 - alpha) * dh + (W.T @ da) * (h_prev > 0)
    return dh_prev, dW_raw, dU, db
"""

# ---------------------------------------------------------------- ex2: a correct answer to vary

EX2 = """import numpy as np


def hebbian(patterns):
    N = patterns.shape[0]
    W = patterns @ patterns.T / N
    np.fill_diagonal(W, 0.0)
    return W


def async_sweep(W, s, order):
    s = s.copy()
    for i in order:
        u = W[i] @ s
        s[i] = np.where(u > 0, 1.0, np.where(u < 0, -1.0, s[i]))
    return s


def recall_patterns(patterns, flip, rng):
    N, P = patterns.shape
    W = hebbian(patterns)
    k = round(flip * N)
    cues = patterns.astype(float).copy()
    for mu in range(P):
        idx = rng.choice(N, size=k, replace=False)
        cues[idx, mu] = -cues[idx, mu]
    s = cues
    for _ in range(100):
        new = async_sweep(W, s, rng.permutation(N))
        if np.array_equal(new, s):
            break
        s = new
    return cues, s
"""


def _choice(name: str, letter: str) -> str:
    return f'{name} = None  # "a", "b", "c" or "d"\n{name} = {letter!r}\n'


WRONG = {
    "ex1-solution": [
        # the step factor upside down
        ("upside down", _variant(EX1, "alpha = dt / T_c\n    d", "alpha = T_c / dt\n    d")),
        # no leak: h_prev + alpha * (W r + U x + b)
        (
            "leak is missing",
            _variant(
                EX1,
                "return (1 - alpha) * h_prev + alpha",
                "return h_prev + alpha",
            ),
        ),
        # the recurrent weights multiply h instead of the rates
        (
            "rates r = max",
            _variant(EX1, "alpha * (W @ r + U @ x + b)", "alpha * (W @ h_prev + U @ x + b)"),
        ),
        # Dale's signs on the rows in the forward pass
        (
            "on the rows",
            _variant(
                EX1,
                "    W = np.abs(W_raw) * d\n    r = np.maximum(h_prev, 0.0)\n    return",
                "    W = d[:, None] * np.abs(W_raw)\n    r = np.maximum(h_prev, 0.0)\n    return",
            ),
        ),
        # the time constant forgotten: the step moves by dt times the right-hand side
        (
            "time constant is missing",
            _variant(EX1, "alpha = dt / T_c\n    d", "alpha = dt\n    d"),
        ),
        # the rates returned instead of the activity
        (
            "returned the rates",
            _variant(
                EX1,
                "return (1 - alpha) * h_prev + alpha * (W @ r + U @ x + b)",
                "return np.maximum((1 - alpha) * h_prev + alpha * (W @ r + U @ x + b), 0.0)",
            ),
        ),
        # Dale's signs put on the raw weights without the absolute value
        (
            "absolute value is missing",
            _variant(
                EX1,
                "    W = np.abs(W_raw) * d\n    r = np.maximum(h_prev, 0.0)\n    return",
                "    W = W_raw * d\n    r = np.maximum(h_prev, 0.0)\n    return",
            ),
        ),
        # backward: the rectifier's derivative forgotten
        (
            "flat and passes no gradient",
            _variant(EX1, "(W.T @ da) * (h_prev > 0)", "(W.T @ da)"),
        ),
        # backward: only the path through the rates
        (
            "direct path of the leak",
            _variant(EX1, "dh_prev = (1 - alpha) * dh + ", "dh_prev = "),
        ),
        # backward: the gradient for W handed back as the gradient for W_raw
        (
            "gradient for W",
            _variant(EX1, "dW_raw = (da @ r.T) * np.sign(W_raw) * d", "dW_raw = da @ r.T"),
        ),
        # backward: Dale's signs dropped from dW_raw
        (
            "Dale signs are missing",
            _variant(
                EX1,
                "dW_raw = (da @ r.T) * np.sign(W_raw) * d",
                "dW_raw = (da @ r.T) * np.sign(W_raw)",
            ),
        ),
        # backward: db kept per example
        ("sums over the batch", _variant(EX1, "db = np.sum(da, axis=1, keepdims=True)", "db = da")),
        # backward: the factor alpha forgotten on U's gradient
        ("factor α", _variant(EX1, "dU = da @ x.T", "dU = dh @ x.T")),
    ],
    "ex2-solution": [
        # Hebb's rule keeps the self-connections
        ("set the diagonal to zero", _variant(EX2, "    np.fill_diagonal(W, 0.0)\n", "")),
        # Hebb's rule divided by the number of patterns
        (
            "not by P",
            _variant(
                EX2,
                "    W = patterns @ patterns.T / N\n",
                "    W = patterns @ patterns.T / patterns.shape[1]\n",
            ),
        ),
        # the neurons visited 0, 1, ..., N-1 whatever the order
        ("`order`", _variant(EX2, "    for i in order:\n", "    for i in range(len(order)):\n")),
        # the caller's states overwritten
        (
            "work on a copy",
            _variant(EX2, "    s = s.copy()\n    for i in order:", "    for i in order:"),
        ),
        # synchronous: every field computed from the old states
        (
            "synchronous",
            _variant(
                EX2,
                "    s = s.copy()\n    for i in order:\n        u = W[i] @ s\n",
                "    s = s.copy()\n    fields = W @ s\n    for i in order:\n        u = fields[i]\n",
            ),
        ),
        # np.sign gives 0 for a zero field
        (
            r"np\.sign\(0\)",
            _variant(
                EX2,
                "s[i] = np.where(u > 0, 1.0, np.where(u < 0, -1.0, s[i]))",
                "s[i] = np.sign(u)",
            ),
        ),
        # the neurons to flip drawn with replacement
        (
            "without replacement",
            _variant(
                EX2,
                "idx = rng.choice(N, size=k, replace=False)",
                "idx = rng.integers(0, N, size=k)",
            ),
        ),
        # round(flip N) truncated
        ("do not truncate", _variant(EX2, "k = round(flip * N)", "k = int(flip * N)")),
        # the same neurons flipped in every cue
        (
            "same neurons flipped",
            _variant(
                EX2,
                "    for mu in range(P):\n        idx = rng.choice(N, size=k, replace=False)\n",
                "    idx = rng.choice(N, size=k, replace=False)\n    for mu in range(P):\n",
            ),
        ),
        # one sweep and done
        (
            "keep sweeping",
            _variant(EX2, "    for _ in range(100):\n", "    for _ in range(1):\n"),
        ),
        # the global generator instead of the rng argument
        (
            "rng argument",
            _variant(
                EX2,
                "idx = rng.choice(N, size=k, replace=False)",
                "idx = np.random.choice(N, size=k, replace=False)",
            ),
        ),
        # recall by synchronous steps
        (
            "2-cycle",
            _variant(
                EX2,
                "new = async_sweep(W, s, rng.permutation(N))",
                "new = np.where(W @ s > 0, 1.0, np.where(W @ s < 0, -1.0, s))",
            ),
        ),
    ],
    "ex3-solution": [
        ("mirror images", _choice("answer_q3", "a")),
        ("spurious memory", _choice("answer_q3", "b")),
        ("random state is almost never", _choice("answer_q3", "d")),
    ],
    "ex4-solution": [
        ("synapses a neuron sends", _choice("answer_q4", "b")),
        ("depends on the side", _choice("answer_q4", "c")),
        ("only in the wrong way", _choice("answer_q4", "d")),
    ],
    "ex5-solution": [
        ("needs W symmetric", _choice("answer_q5", "a")),
        ("all four", _choice("answer_q5", "b")),
        ("not a fixed point", _choice("answer_q5", "c")),
    ],
    "ex6-solution": [
        ("square root", _choice("answer_q6", "a")),
        ("weaker coherence suffices", _choice("answer_q6", "c")),
        ("τ²", _choice("answer_q6", "d")),
    ],
}

RIGHT = {
    "ex1-solution": [
        # the Euler step written as h + Δt f(h), the gradients with einsum and np.where
        """import numpy as np


def _dale(W_raw, n_exc):
    n = W_raw.shape[1]
    return np.abs(W_raw) * np.concatenate([np.ones(n_exc), -np.ones(n - n_exc)])


def ei_step(h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    dh_dt = (-h_prev + _dale(W_raw, n_exc) @ np.where(h_prev > 0, h_prev, 0.0) + U @ x + b) / T_c
    return h_prev + dt * dh_dt


def ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    k = dt / T_c
    n = W_raw.shape[1]
    signs = np.concatenate([np.ones(n_exc), -np.ones(n - n_exc)])
    rates = np.where(h_prev > 0, h_prev, 0.0)
    dW = k * np.einsum("ib,jb->ij", dh, rates)
    dW_raw = np.where(W_raw > 0, dW, -dW) * signs[None, :]
    dU = k * np.einsum("ib,jb->ij", dh, x)
    db = k * dh.sum(axis=1)[:, None]
    dr = k * np.einsum("ij,ib->jb", _dale(W_raw, n_exc), dh)
    dh_prev = dh - k * dh + np.where(h_prev > 0, dr, 0.0)
    return dh_prev, dW_raw, dU, db
""",
        # one example at a time, summing outer products
        """import numpy as np


def ei_step(h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    n_h = W_raw.shape[0]
    W = np.abs(W_raw).copy()
    W[:, n_exc:] *= -1
    out = np.empty_like(h_prev, dtype=float)
    for j in range(h_prev.shape[1]):
        h = h_prev[:, j]
        drive = W @ np.maximum(h, 0) + U @ x[:, j] + b.reshape(n_h)
        out[:, j] = h + (dt / T_c) * (drive - h)
    return out


def ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    a = dt / T_c
    W = np.abs(W_raw).copy()
    W[:, n_exc:] *= -1
    dW = np.zeros_like(W_raw, dtype=float)
    dU = np.zeros_like(U, dtype=float)
    db = np.zeros((W_raw.shape[0], 1))
    dh_prev = np.zeros_like(h_prev, dtype=float)
    for j in range(dh.shape[1]):
        g = a * dh[:, j]
        r = np.maximum(h_prev[:, j], 0)
        dW += np.outer(g, r)
        dU += np.outer(g, x[:, j])
        db[:, 0] += g
        dh_prev[:, j] = (1 - a) * dh[:, j] + (g @ W) * (h_prev[:, j] > 0)
    dW_raw = dW * np.sign(W_raw)
    dW_raw[:, n_exc:] *= -1
    return dh_prev, dW_raw, dU, db
""",
    ],
    "ex2-solution": [
        # einsum, a while loop with a flag, flips by a random permutation
        """import numpy as np


def hebbian(patterns):
    n = len(patterns)
    return np.einsum("ip,jp->ij", patterns, patterns) / n * (1 - np.eye(n))


def async_sweep(W, s, order):
    new = np.array(s, dtype=float)
    for i in order:
        field = np.dot(W[i], new)
        new[i] = np.where(field == 0, new[i], np.sign(field))
    return new


def recall_patterns(patterns, flip, rng):
    n, p = patterns.shape
    W = hebbian(patterns)
    n_flip = int(np.round(flip * n))
    cues = np.array(patterns, dtype=float)
    for col in range(p):
        chosen = rng.permutation(n)[:n_flip]
        cues[chosen, col] *= -1
    state, sweeps, changed = cues.copy(), 0, True
    while changed and sweeps < 100:
        after = async_sweep(W, state, rng.permutation(n))
        changed = not np.array_equal(after, state)
        state, sweeps = after, sweeps + 1
    return cues, state
""",
        # outer products summed, a column at a time, a boolean mask for the flips
        """import numpy as np


def hebbian(patterns):
    N, P = patterns.shape
    W = np.zeros((N, N))
    for mu in range(P):
        W += np.outer(patterns[:, mu], patterns[:, mu])
    W[np.diag_indices(N)] = 0
    return W / N


def async_sweep(W, s, order):
    out = s.copy()
    for b in range(out.shape[1]):
        col = out[:, b]
        for i in order:
            u = W[i] @ col
            if u > 0:
                col[i] = 1.0
            elif u < 0:
                col[i] = -1.0
    return out


def recall_patterns(patterns, flip, rng):
    N, P = patterns.shape
    W = hebbian(patterns)
    k = round(flip * N)
    mask = np.zeros((N, P), dtype=bool)
    for mu in range(P):
        mask[rng.choice(N, k, replace=False), mu] = True
    cues = np.where(mask, -patterns, patterns).astype(float)
    s = cues
    for _ in range(100):
        s_next = async_sweep(W, s, rng.permutation(N))
        if (s_next == s).all():
            break
        s = s_next
    return cues, s
""",
    ],
    "ex3-solution": [_choice("answer_q3", "C"), _choice("answer_q3", " c ")],
    "ex4-solution": [_choice("answer_q4", "A"), _choice("answer_q4", "a ")],
    "ex5-solution": [_choice("answer_q5", "D"), _choice("answer_q5", " d")],
    "ex6-solution": [_choice("answer_q6", "B"), _choice("answer_q6", "b\n")],
}

# torch's autograd is refused for the backward pass (rnnbook.course.checks.own_gradients): the
# exercise asks for the gradients worked out by hand.
WRONG["ex1-solution"] += [
    (
        r"ei_step_backward calls torch\.func\.vjp, torch's automatic differentiation: "
        r".*derive the gradients yourself",
        EX1.split("def ei_step_backward")[0]
        + """def ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    import torch

    d = torch.where(torch.arange(W_raw.shape[1]) < n_exc, 1.0, -1.0).double()

    def step(h_prev, W_raw, U, b):
        rates = h_prev.clamp(min=0.0)
        drive = (W_raw.abs() * d) @ rates + U @ torch.from_numpy(x) + b
        return h_prev + dt / T_c * (-h_prev + drive)

    _, pullback = torch.func.vjp(step, *(torch.from_numpy(a) for a in (h_prev, W_raw, U, b)))
    return tuple(g.numpy() for g in pullback(torch.from_numpy(dh)))
""",
    ),
]
