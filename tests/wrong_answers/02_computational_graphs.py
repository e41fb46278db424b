"""Answers to the exercises of notebook 02: plausible wrong ones, each losing its points with a
message that names the mistake, and correct ones written differently from the solution."""


def _sigmoid_with(delta: str, dx: str = "W @ delta.T") -> str:
    return (
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    u = x.T @ W + b\n"
        "    y = 1 / (1 + np.exp(-u))\n"
        f"    delta = {delta}\n"
        f"    return {dx}, x @ delta, delta\n"
    )


def _relu_with(delta: str, db: str = "delta.sum(axis=0, keepdims=True)") -> str:
    return (
        "def relu_layer_backward(X, W, b, dH):\n"
        "    U = X @ W + b\n"
        f"    delta = {delta}\n"
        f"    return delta @ W.T, X.T @ delta, {db}\n"
    )


_SCE = (
    "def softmax_cross_entropy(O, y):\n"
    "    Z = O - O.max(axis=1, keepdims=True)\n"
    "    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)\n"
    "    B = len(y)\n"
    "    D = P.copy()\n"
    "    D[np.arange(B), y] -= 1\n"
    "    return -np.mean(np.log(P[np.arange(B), y])), D / B\n"
)


def _train_with(init: str = "rng.normal", update_hidden: bool = True, sign: str = "-") -> str:
    hidden = (
        f"        W1 = W1 {sign} 0.5 * dW1\n        b1 = b1 {sign} 0.5 * db1\n"
        if update_hidden
        else ""
    )
    return (
        "def train_classifier(X, y, n_classes, n_h, rng):\n"
        f"    W1 = {init}(size=(X.shape[1], n_h))\n"
        f"    W2 = {init}(size=(n_h, n_classes)) / np.sqrt(n_h)\n"
        "    b1, b2 = np.zeros((1, n_h)), np.zeros((1, n_classes))\n"
        "    for _ in range(2000):\n"
        "        H = np.maximum(0, X @ W1 + b1)\n"
        "        _, dO = softmax_cross_entropy(H @ W2 + b2, y)\n"
        "        _, dW1, db1 = relu_layer_backward(X, W1, b1, dO @ W2.T)\n"
        f"        W2 = W2 {sign} 0.5 * H.T @ dO\n"
        f"        b2 = b2 {sign} 0.5 * dO.sum(axis=0, keepdims=True)\n"
        + hidden
        + "    return {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}\n"
    )


WRONG = {
    "ex1-solution": [
        (r"the sigmoid's derivative is missing", _sigmoid_with("dy")),
        (r"tanh's derivative", _sigmoid_with("dy * (1 - y**2)")),
        (r"evaluated at σ\(u\), not at u", _sigmoid_with("dy * u * (1 - u)")),
        (r"dx uses W transposed", _sigmoid_with("dy * y * (1 - y)", dx="W.T @ delta.T")),
        (r"one factor of the sigmoid's derivative", _sigmoid_with("dy * y")),
    ],
    "ex2-solution": [
        (r"mask is missing", _relu_with("dH")),
        (r"mask is inverted", _relu_with("dH * (U <= 0)")),
        (r"flow into it and add up", _relu_with("dH * (U > 0)", db="delta")),
        (r"averages over the batch", _relu_with("dH * (U > 0)", db="delta.mean(0, keepdims=True)")),
        (r"multiplied by H itself", _relu_with("dH * np.maximum(0, U)")),
    ],
    "ex3-solution": [
        # no shift by the row's maximum: exp(1000) overflows
        (
            r"overflows",
            "def softmax_cross_entropy(O, y):\n"
            "    P = np.exp(O) / np.exp(O).sum(axis=1, keepdims=True)\n"
            "    B = len(y)\n"
            "    D = P.copy()\n"
            "    D[np.arange(B), y] -= 1\n"
            "    return -np.mean(np.log(P[np.arange(B), y])), D / B\n",
        ),
        # the one-hot sized from the labels
        (
            r"number of columns of O",
            "def softmax_cross_entropy(O, y):\n"
            "    Z = O - O.max(axis=1, keepdims=True)\n"
            "    P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)\n"
            "    onehot = np.eye(y.max() + 1)[y]\n"
            "    loss = -np.mean(np.log(P[np.arange(len(y)), y]))\n"
            "    return loss, (P[:, : onehot.shape[1]] - onehot) / len(y)\n",
        ),
        # the 1/B of the mean forgotten in the gradient
        (r"B times too large", _SCE.replace("D / B", "D")),
        # the loss summed over the batch
        (r"the sum over the rows", _SCE.replace("-np.mean(", "-np.sum(")),
        # the one-hot not subtracted
        (r"one-hot is not subtracted", _SCE.replace("    D[np.arange(B), y] -= 1\n", "")),
    ],
    "ex4-solution": [
        (
            r"forward difference",
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for idx in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[idx] = eps\n"
            "        grad[idx] = (f(x + e) - f(x)) / eps\n"
            "    return grad\n",
        ),
        (
            r"changed x by up to",
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for idx in np.ndindex(x.shape):\n"
            "        x[idx] += eps\n"
            "        f_plus = f(x)\n"
            "        x[idx] -= 2 * eps\n"
            "        grad[idx] = (f_plus - f(x)) / (2 * eps)\n"
            "    return grad\n",
        ),
        (
            r"returned one number",
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    return (f(x + eps) - f(x - eps)) / (2 * eps)\n",
        ),
        (
            r"ignores eps",
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for idx in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[idx] = 1e-5\n"
            "        grad[idx] = (f(x + e) - f(x - e)) / 2e-5\n"
            "    return grad\n",
        ),
        (
            r"twice too large",
            "def numerical_gradient(f, x, eps=1e-5):\n"
            "    grad = np.zeros_like(x)\n"
            "    for idx in np.ndindex(x.shape):\n"
            "        e = np.zeros_like(x)\n"
            "        e[idx] = eps\n"
            "        grad[idx] = (f(x + e) - f(x - e)) / eps\n"
            "    return grad\n",
        ),
    ],
    "ex5-solution": [
        # numpy's global generator instead of the rng argument
        (r"seeded alike gave different weights", _train_with(init="np.random.normal")),
        # only the output layer learns
        (r"it needs 93 %", _train_with(update_hidden=False)),
        # gradient ascent
        (r"it needs 93 %|NaN or inf", _train_with(sign="+")),
        # the weights returned under other names
        (
            r"dict with keys",
            _train_with().replace(
                "{'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}", "{'U': W1, 'b': b1, 'V': W2, 'c': b2}"
            ),
        ),
    ],
    "ex6-solution": [
        (r"same backward passes in float64", 'answer_q6 = "a"\n'),
        (r"truncation error is about", 'answer_q6 = "c"\n'),
        (r"central differences are not biased", 'answer_q6 = "d"\n'),
        (r"should be one of", "answer_q6 = 2\n"),
    ],
    "ex7-solution": [
        (r"3 rows beat 1,000 columns", "passes_q7 = 1000\n"),
        (r"3 rows beat 1,000 columns", "passes_q7 = 1\n"),
        (r"3 rows beat 1,000 columns", "passes_q7 = 3000\n"),
        (r"whole number of passes", "passes_q7 = 2.5\n"),
    ],
}

RIGHT = {
    "ex1-solution": [
        # outer products and the tanh form of the sigmoid
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    s = 0.5 * (1 + np.tanh(0.5 * (x[:, 0] @ W + b[0])))\n"
        "    g = dy[0] * s * (1 - s)\n"
        "    return (W @ g)[:, None], np.outer(x[:, 0], g), g[None, :]\n",
        # einsum, one index at a time
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    u = np.einsum('i,ij->j', x[:, 0], W) + b[0]\n"
        "    sig = np.exp(-np.logaddexp(0, -u))\n"
        "    du = dy[0] * sig * (1 - sig)\n"
        "    dW = np.einsum('i,j->ij', x[:, 0], du)\n"
        "    dx = np.einsum('ij,j->i', W, du).reshape(-1, 1)\n"
        "    return dx, dW, du.reshape(1, -1)\n",
    ],
    "ex2-solution": [
        # a float mask and einsum
        "def relu_layer_backward(X, W, b, dH):\n"
        "    mask = (X @ W + b > 0).astype(float)\n"
        "    d = dH * mask\n"
        "    return np.einsum('rj,ij->ri', d, W), np.einsum('ri,rj->ij', X, d), d.sum(0)[None]\n",
        # one row at a time, the gradients of W and b accumulated
        "def relu_layer_backward(X, W, b, dH):\n"
        "    dX, dW, db = np.zeros_like(X), np.zeros_like(W), np.zeros_like(b)\n"
        "    for r in range(X.shape[0]):\n"
        "        d = dH[r] * (X[r] @ W + b[0] > 0)\n"
        "        dX[r] = W @ d\n"
        "        dW += np.outer(X[r], d)\n"
        "        db[0] += d\n"
        "    return dX, dW, db\n",
    ],
    "ex3-solution": [
        # log-sum-exp and a one-hot sized from O
        "def softmax_cross_entropy(O, y):\n"
        "    B, C = O.shape\n"
        "    m = O.max(axis=1, keepdims=True)\n"
        "    lse = m + np.log(np.sum(np.exp(O - m), axis=1, keepdims=True))\n"
        "    onehot = np.eye(C)[y]\n"
        "    loss = np.sum(onehot * (lse - O)) / B\n"
        "    return loss, (np.exp(O - lse) - onehot) / B\n",
        # one row at a time
        "def softmax_cross_entropy(O, y):\n"
        "    B = len(O)\n"
        "    loss, dO = 0.0, np.zeros(O.shape)\n"
        "    for r in range(B):\n"
        "        p = np.exp(O[r] - O[r].max())\n"
        "        p = p / p.sum()\n"
        "        loss -= np.log(p[y[r]]) / B\n"
        "        dO[r] = p / B\n"
        "        dO[r, y[r]] -= 1 / B\n"
        "    return loss, dO\n",
    ],
    "ex4-solution": [
        # the perturb-and-restore idiom: x is back to within the last bit of round-off
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x)\n"
        "    for idx in np.ndindex(x.shape):\n"
        "        x[idx] += eps\n"
        "        f_plus = f(x)\n"
        "        x[idx] -= 2 * eps\n"
        "        f_minus = f(x)\n"
        "        x[idx] += eps\n"
        "        grad[idx] = (f_plus - f_minus) / (2 * eps)\n"
        "    return grad\n",
        # a copy per entry, through the flat view
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.empty(x.size)\n"
        "    for j in range(x.size):\n"
        "        up, down = x.copy(), x.copy()\n"
        "        up.flat[j] += eps\n"
        "        down.flat[j] -= eps\n"
        "        grad[j] = (f(up) - f(down)) / (2 * eps)\n"
        "    return grad.reshape(x.shape)\n",
    ],
    "ex5-solution": [
        # the parameters in a dict, updated in place in a loop
        "def train_classifier(X, y, n_classes, n_h, rng):\n"
        "    p = {'W1': rng.normal(size=(X.shape[1], n_h)),\n"
        "         'W2': rng.normal(size=(n_h, n_classes)) / n_h ** 0.5}\n"
        "    p['b1'], p['b2'] = np.zeros((1, n_h)), np.zeros((1, n_classes))\n"
        "    for step in range(2000):\n"
        "        H = np.maximum(X @ p['W1'] + p['b1'], 0)\n"
        "        loss, dO = softmax_cross_entropy(H @ p['W2'] + p['b2'], y)\n"
        "        g = {'W2': H.T @ dO, 'b2': dO.sum(axis=0, keepdims=True)}\n"
        "        _, g['W1'], g['b1'] = relu_layer_backward(X, p['W1'], p['b1'], dO @ p['W2'].T)\n"
        "        for k in p:\n"
        "            p[k] -= 0.5 * g[k]\n"
        "    return p\n",
        # einsum for the output layer, a different order of updates
        "def train_classifier(X, y, n_classes, n_h, rng):\n"
        "    W1 = rng.normal(size=(X.shape[1], n_h))\n"
        "    W2 = rng.normal(size=(n_h, n_classes)) / np.sqrt(n_h)\n"
        "    b1 = np.zeros((1, n_h))\n"
        "    b2 = np.zeros((1, n_classes))\n"
        "    lr = 0.5\n"
        "    for _ in range(2000):\n"
        "        H = np.clip(X @ W1 + b1, 0, None)\n"
        "        _, dO = softmax_cross_entropy(H @ W2 + b2, y)\n"
        "        dH = np.einsum('rc,hc->rh', dO, W2)\n"
        "        _, dW1, db1 = relu_layer_backward(X, W1, b1, dH)\n"
        "        W1 -= lr * dW1\n"
        "        b1 -= lr * db1\n"
        "        W2 -= lr * np.einsum('rh,rc->hc', H, dO)\n"
        "        b2 -= lr * dO.sum(0, keepdims=True)\n"
        "    return dict(W1=W1, b1=b1, W2=W2, b2=b2)\n",
    ],
    "ex6-solution": ['answer_q6 = "B"\n', "answer_q6 = 'b '\n"],
    "ex7-solution": ["passes_q7 = 3.0\n", "passes_q7 = int('3')\n"],
}

# Gradients taken from the library's backward passes or from torch's autograd are refused
# (rnnbook.course.checks.own_gradients): a derive exercise asks for them worked out by hand.
WRONG["ex1-solution"] += [
    (
        r"sigmoid_layer_backward calls torch\.Tensor\.backward, torch's automatic "
        r"differentiation: .*derive the gradients yourself",
        "import torch\n\n"
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    x_, W_, b_ = (torch.tensor(a, requires_grad=True) for a in (x, W, b))\n"
        "    torch.sigmoid(x_.T @ W_ + b_).backward(torch.tensor(dy))\n"
        "    return x_.grad.numpy(), W_.grad.numpy(), b_.grad.numpy()\n",
    ),
    (
        r"calls rnnbook\.topics\.expression_graph\.ExpressionGraph\.backward, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook.topics.expression_graph import graph_logistic_layer\n\n"
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    g = graph_logistic_layer(x, W, b)\n"
        "    g.forward()\n"
        "    grads = g.backward(dy)\n"
        "    return grads['x'], grads['W'], grads['b']\n",
    ),
]
WRONG["ex2-solution"] += [
    (
        r"relu_layer_backward calls rnnbook\.topics\.expression_graph\.ExpressionGraph\.backward"
        r", the library's own gradient code",
        "from rnnbook.topics.expression_graph import graph_relu_layer\n\n"
        "def relu_layer_backward(X, W, b, dH):\n"
        "    g = graph_relu_layer(X, W, b)\n"
        "    g.forward()\n"
        "    grads = g.backward(dH)\n"
        "    return grads['X'], grads['W'], grads['b']\n",
    ),
    (  # the name imported before the check runs is blocked all the same
        r"relu_layer_backward calls torch\.autograd\.grad, torch's automatic differentiation",
        "import torch\n"
        "from torch.autograd import grad\n\n"
        "def relu_layer_backward(X, W, b, dH):\n"
        "    X_, W_, b_ = (torch.tensor(a, requires_grad=True) for a in (X, W, b))\n"
        "    H = torch.relu(X_ @ W_ + b_)\n"
        "    return tuple(g.numpy() for g in grad(H, (X_, W_, b_), torch.tensor(dH)))\n",
    ),
]
WRONG["ex3-solution"] += [
    (
        r"softmax_cross_entropy calls rnnbook\.cells\.softmax_cross_entropy, the library's own "
        r"gradient code: .*derive the gradients yourself",
        "from rnnbook import cells\n\n"
        "def softmax_cross_entropy(O, y):\n"
        "    loss, dO = cells.softmax_cross_entropy(O.T, y)  # the library's takes (n_y, B)\n"
        "    return loss, dO.T\n",
    ),
]
