"""Answers to the exercises of notebook 04 that test its checks (see tests/answer_harness.py).

``WRONG[gid]``: plausible wrong answers, each ``(pattern naming the mistake, code)``; each must
lose its exercise's points with a message matching the pattern. ``RIGHT[gid]``: correct answers
written differently from the solution; each must score.
"""


def _step(da="(1 - h_t**2) * dh_t", dW="da @ h_prev.T", db="da.sum(axis=1, keepdims=True)",
          dh_prev="W.T @ da"):  # fmt: skip
    return (
        "def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):\n"
        f"    da = {da}\n"
        f"    return {dh_prev}, da @ x_t.T, {dW}, {db}\n"
    )


def _bptt(carry="dh_next", accumulate=True, h_prev="h0 if t == 0 else hs[t - 1]", order=None):
    order = order or "reversed(range(len(xs)))"
    add = "dU, dW, db = dU + gU, dW + gW, db + gb" if accumulate else "dU, dW, db = gU, gW, gb"
    return (
        "def rnn_backward(dhs, xs, hs, h0, U, W):\n"
        "    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros((U.shape[0], 1))\n"
        "    dh_next = np.zeros_like(h0)\n"
        f"    for t in {order}:\n"
        f"        h_prev = {h_prev}\n"
        f"        dh_next, gU, gW, gb = rnn_step_backward(dhs[t] + {carry}, xs[t], h_prev, "
        "hs[t], U, W)\n"
        f"        {add}\n"
        "    return dU, dW, db, dh_next\n"
    )


def _l3(deriv="h * (1 - h)", back="W.T @ delta", err="p - np.eye(len(p))[:, [y3]]"):
    return (
        "def grad_U_L3(xs, y3, h0, U, W, b, V, c):\n"
        "    hs, h = [], h0\n"
        "    for x_t in xs:\n"
        "        h = 1 / (1 + np.exp(-(b + W @ h + U @ x_t)))\n"
        "        hs.append(h)\n"
        "    o = c + V @ hs[2]\n"
        "    p = np.exp(o - o.max()) / np.sum(np.exp(o - o.max()))\n"
        f"    delta = V.T @ ({err})\n"
        "    terms = []\n"
        "    for t in (2, 1, 0):\n"
        "        h = hs[t]\n"
        f"        delta = delta * ({deriv})\n"
        "        terms.append(delta @ xs[t].T)\n"
        f"        delta = {back}\n"
        "    return terms[2], terms[1], terms[0]\n"
    )


_TRAIN = (
    "def train_delay(d, rng, steps=300, lr=0.02, sign=1.0, carry=True, fixed_d=None):\n"
    "    d = d if fixed_d is None else fixed_d\n"
    "    n_h, T, B = 16, 16, 32\n"
    "    p = {'U': rng.normal(scale=0.5, size=(n_h, 2)),\n"
    "         'W': rng.normal(scale=n_h**-0.5, size=(n_h, n_h)), 'b': np.zeros((n_h, 1)),\n"
    "         'V': rng.normal(scale=0.5, size=(2, n_h)), 'c': np.zeros((2, 1))}\n"
    "    m = {k: np.zeros_like(v) for k, v in p.items()}\n"
    "    v2 = {k: np.zeros_like(v) for k, v in p.items()}\n"
    "    for k in range(1, steps + 1):\n"
    "        xs, ys = delay_batch(rng, d, T, B)\n"
    "        h0 = np.zeros((n_h, B))\n"
    "        hs = elman_states(xs, h0, p['U'], p['W'], p['b'])\n"
    "        do = np.zeros((T, 2, B))\n"
    "        for t in range(T):\n"
    "            o = p['c'] + p['V'] @ hs[t]\n"
    "            e = np.exp(o - o.max(axis=0))\n"
    "            do[t] = (e / e.sum(axis=0) - np.eye(2)[:, ys[t]]) / (T * B)\n"
    "        dhs = np.stack([p['V'].T @ do[t] for t in range(T)])\n"
    "        if carry:\n"
    "            dU, dW, db, _ = rnn_backward(dhs, xs, hs, h0, p['U'], p['W'])\n"
    "        else:  # each step on its own: nothing flows back in time\n"
    "            dU, dW, db = 0, 0, 0\n"
    "            for t in range(T):\n"
    "                prev = h0 if t == 0 else hs[t - 1]\n"
    "                _, gU, gW, gb = rnn_step_backward(dhs[t], xs[t], prev, hs[t], p['U'], "
    "p['W'])\n"
    "                dU, dW, db = dU + gU, dW + gW, db + gb\n"
    "        g = {'U': dU, 'W': dW, 'b': db,\n"
    "             'V': sum(do[t] @ hs[t].T for t in range(T)),\n"
    "             'c': do.sum(axis=(0, 2))[:, None]}\n"
    "        for key in p:  # Adam, written out\n"
    "            m[key] = 0.9 * m[key] + 0.1 * g[key]\n"
    "            v2[key] = 0.999 * v2[key] + 0.001 * g[key] ** 2\n"
    "            step = (m[key] / (1 - 0.9**k)) / (np.sqrt(v2[key] / (1 - 0.999**k)) + 1e-8)\n"
    "            p[key] -= sign * lr * step\n"
    "    return p\n"
)

WRONG = {
    "ex1-solution": [
        ("db.*the tanh's derivative is missing", _step(da="dh_t")),
        ("not 1 − h", _step(da="(1 - h_t) * dh_t")),
        ("read off h_t .*not h_prev", _step(da="(1 - h_prev**2) * dh_t")),
        ("dW is the transpose", _step(dW="h_prev @ da.T")),
        ("flows back through W's transpose", _step(dh_prev="W @ da")),
        ("do not average", _step(db="da.mean(axis=1, keepdims=True)")),
        (r"db has the shape of b", _step(db="da")),
    ],
    "ex2-solution": [
        ("gradients from later time steps are missing", _bptt(carry="0")),
        ("only the term of the first step", _bptt(accumulate=False)),
        ("wraps around", _bptt(h_prev="hs[t - 1]")),
        (
            "differs from the numerical gradient",
            _bptt(order="range(len(xs))"),
        ),
        (
            r"should return a tuple \(dU, dW, db, dh0\)",
            _bptt().replace("return dU, dW, db, dh_next", "return dU, dW, db"),
        ),
    ],
    "ex3-solution": [
        ("tanh's derivative 1 − h²", _l3(deriv="1 - h**2")),
        ("the sigmoid's derivative is missing", _l3(deriv="1.0")),
        ("through W's transpose, not through W", _l3(back="W @ delta")),
        ("wrong sign", _l3(err="np.eye(len(p))[:, [y3]] - p")),
        (
            "reverse order",
            _l3().replace("return terms[2], terms[1], terms[0]", "return tuple(terms)"),
        ),
        (
            "g1 is the whole gradient",
            _l3().replace("return terms[2], terms[1], terms[0]", "return (sum(terms),) * 3"),
        ),
    ],
    "ex4-solution": [
        ("the order in which the caches are kept", 'answer_q4 = "a"\n'),
        ("the terms are not known until", 'answer_q4 = "c"\n'),
        ("not of the order of the loop", 'answer_q4 = "d"\n'),
        ("should be one of the letters", 'answer_q4 = "backwards"\n'),
    ],
    "ex5-solution": [
        ("is not right.*τ − 1 factors", "answer_q5 = 0.5**20\n"),  # one factor too many
        ("a positive number below 1", "answer_q5 = 2.0**19\n"),
        ("is not right.*‖W‖₂ / 4", "answer_q5 = 0.25**19\n"),  # σ′ ≤ 1/4 forgotten on W
        ("should be a number", 'answer_q5 = "tiny"\n'),
    ],
    "ex6-solution": [
        ("at chance", _TRAIN.replace("steps=300", "steps=0")),  # never trained
        ("at chance|NaN", _TRAIN.replace("sign=1.0", "sign=-1.0")),  # climbs the loss
        ("at chance", _TRAIN.replace("carry=True", "carry=False")),  # no gradient through time
        ("at chance", _TRAIN.replace("fixed_d=None", "fixed_d=3")),  # ignores d: only d = 3
        (
            "should return a dict",
            _TRAIN.replace("    return p\n", "    return tuple(p.values())\n"),
        ),
        (
            r"V has shape \(16, 2\)",
            _TRAIN.replace("    return p\n", "    p['V'] = p['V'].T\n    return p\n"),
        ),
    ],
}

RIGHT = {
    "ex1-solution": [
        "def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):\n"
        "    da = dh_t / np.cosh(np.arctanh(h_t)) ** 2\n"
        "    return (np.einsum('ij,ib->jb', W, da), np.einsum('ib,jb->ij', da, x_t),\n"
        "            np.einsum('ib,jb->ij', da, h_prev), da.sum(axis=1)[:, None])\n",
        "def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):\n"
        "    B = dh_t.shape[1]\n"
        "    dU, dW = np.zeros_like(U), np.zeros_like(W)\n"
        "    db, dh_prev = np.zeros((W.shape[0], 1)), np.zeros_like(h_prev)\n"
        "    for k in range(B):  # one example at a time, then add\n"
        "        da = dh_t[:, k:k + 1] * (1 - h_t[:, k:k + 1] ** 2)\n"
        "        dU += np.outer(da, x_t[:, k])\n"
        "        dW += np.outer(da, h_prev[:, k])\n"
        "        db += da\n"
        "        dh_prev[:, k:k + 1] = W.T @ da\n"
        "    return dh_prev, dU, dW, db\n",
    ],
    "ex2-solution": [
        "def rnn_backward(dhs, xs, hs, h0, U, W):\n"
        "    T = len(xs)\n"
        "    prevs = np.concatenate([h0[None], hs[:-1]])\n"
        "    das = np.zeros_like(hs)\n"
        "    dh = np.zeros_like(h0)\n"
        "    for t in range(T - 1, -1, -1):  # first every ∇a, then the sums at once\n"
        "        das[t] = (dhs[t] + dh) * (1 - hs[t] ** 2)\n"
        "        dh = W.T @ das[t]\n"
        "    dU = np.einsum('tib,tjb->ij', das, xs)\n"
        "    dW = np.einsum('tib,tjb->ij', das, prevs)\n"
        "    db = das.sum(axis=(0, 2))[:, None]\n"
        "    return dU, dW, db, dh\n",
        "def rnn_backward(dhs, xs, hs, h0, U, W):\n"
        "    grads = {'U': 0.0, 'W': 0.0, 'b': 0.0}\n"
        "    dh = 0.0 * h0\n"
        "    for t in range(len(xs))[::-1]:\n"
        "        prev = hs[t - 1] if t else h0\n"
        "        dh, gU, gW, gb = rnn_step_backward(dh + dhs[t], xs[t], prev, hs[t], U, W)\n"
        "        for k, g in zip('UWb', (gU, gW, gb)):\n"
        "            grads[k] = grads[k] + g\n"
        "    return grads['U'], grads['W'], grads['b'], dh\n",
    ],
    "ex3-solution": [
        _l3(deriv="np.exp(-np.log(h)) ** -1 * (1 - h)"),
        # the chain rule written from h(3) back, one Jacobian-vector product per step
        "def grad_U_L3(xs, y3, h0, U, W, b, V, c):\n"
        "    hs = [h0]\n"
        "    for x_t in xs:\n"
        "        hs.append(1 / (1 + np.exp(-(b + W @ hs[-1] + U @ x_t))))\n"
        "    o = (c + V @ hs[3])[:, 0]\n"
        "    p = np.exp(o - o.max())\n"
        "    p /= p.sum()\n"
        "    p[y3] -= 1\n"
        "    dh, out = V.T @ p[:, None], []\n"
        "    for t in (3, 2, 1):\n"
        "        da = dh * hs[t] * (1 - hs[t])\n"
        "        out.append(da @ xs[t - 1].T)\n"
        "        dh = W.T @ da\n"
        "    return out[2], out[1], out[0]\n",
    ],
    "ex4-solution": ['answer_q4 = "B"\n', "answer_q4 = 'b '\n"],
    "ex5-solution": [
        "answer_q5 = float(np.exp(19 * np.log(0.5)))\n",
        "answer_q5 = 1 / 2**19\n",
    ],
    "ex6-solution": [
        _TRAIN,
        "from rnnbook import optim\n\n"
        "def train_delay(d, rng):\n"
        "    n_h, T, B = 24, 12, 64\n"
        "    p = {'U': rng.normal(size=(n_h, 2)), 'W': 0.2 * rng.normal(size=(n_h, n_h)),\n"
        "         'b': np.zeros((n_h, 1)), 'V': 0.1 * rng.normal(size=(2, n_h)),\n"
        "         'c': np.zeros((2, 1))}\n"
        "    opt = optim.Adam(p, lr=0.03)\n"
        "    for _ in range(250):\n"
        "        xs, ys = delay_batch(rng, d, T, B)\n"
        "        h0 = np.zeros((n_h, B))\n"
        "        hs = elman_states(xs, h0, p['U'], p['W'], p['b'])\n"
        "        o = p['c'][None] + p['V'][None] @ hs\n"
        "        q = np.exp(o - o.max(axis=1, keepdims=True))\n"
        "        q /= q.sum(axis=1, keepdims=True)\n"
        "        do = (q - np.moveaxis(np.eye(2)[ys], -1, 1)) / (T * B)\n"
        "        dhs = p['V'].T[None] @ do\n"
        "        dU, dW, db, _ = rnn_backward(dhs, xs, hs, h0, p['U'], p['W'])\n"
        "        opt.step({'U': dU, 'W': dW, 'b': db,\n"
        "                  'V': (do @ hs.transpose(0, 2, 1)).sum(axis=0),\n"
        "                  'c': do.sum(axis=(0, 2))[:, None]})\n"
        "    return p\n",
    ],
}

# Gradients taken from the library's backward passes or from torch's autograd are refused
# (rnnbook.course.checks.own_gradients): a derive exercise asks for them worked out by hand.
WRONG["ex1-solution"] += [
    (
        r"rnn_step_backward calls rnnbook\.cells\.ElmanCell\.backward, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook import cells\n\n"
        "def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):\n"
        "    cell = cells.ElmanCell(U.shape[1], U.shape[0])\n"
        "    params = {'U': U, 'W': W, 'b': np.zeros((U.shape[0], 1))}\n"
        "    dstate, _, g = cell.backward(params, cells.ElmanState(dh_t),\n"
        "                                 cells.ElmanCache(x_t, h_prev, h_t))\n"
        "    return dstate.h, g['U'], g['W'], g['b']\n",
    ),
]
WRONG["ex2-solution"] += [
    (  # the name imported before the check runs is blocked all the same
        r"rnn_backward calls torch\.autograd\.grad, torch's automatic differentiation: "
        r".*derive the gradients yourself",
        "import torch\n"
        "from torch.autograd import grad\n\n"
        "def rnn_backward(dhs, xs, hs, h0, U, W):\n"
        "    b = (np.arctanh(hs[0]) - W @ h0 - U @ xs[0])[:, :1]  # the bias, read off step 1\n"
        "    U_, W_, b_, h0_ = (torch.tensor(a, requires_grad=True) for a in (U, W, b, h0))\n"
        "    h, loss = h0_, 0.0\n"
        "    for x_t, dh_t in zip(xs, dhs):\n"
        "        h = torch.tanh(b_ + W_ @ h + U_ @ torch.tensor(x_t))\n"
        "        loss = loss + (h * torch.tensor(dh_t)).sum()\n"
        "    return tuple(g.numpy() for g in grad(loss, (U_, W_, b_, h0_)))\n",
    ),
]
WRONG["ex3-solution"] += [
    (
        r"grad_U_L3 calls rnnbook\.bptt\.sequence_loss_and_grads, the library's own gradient "
        r"code: .*derive the gradients yourself",
        "from rnnbook import bptt, cells\n\n"
        "def grad_U_L3(xs, y3, h0, U, W, b, V, c):\n"
        "    cell = cells.ElmanCell(U.shape[1], U.shape[0], nonlinearity='sigmoid')\n"
        "    ys = np.array([[0], [0], [y3]])\n"
        "    res = bptt.sequence_loss_and_grads(\n"
        "        cell, {'U': U, 'W': W, 'b': b, 'V': V, 'c': c}, xs, ys, cells.ElmanState(h0),\n"
        "        loss_at=2, per_step=True)\n"
        "    return tuple(res.per_step['U'])\n",
    ),
]
