"""Plausible wrong answers to the exercises of notebook 04; each must lose its points."""

WRONG = {
    # forgets the bias
    "ex1-solution": (
        "def rnn_step_forward(x_t, h_prev, U, W, b):\n    return np.tanh(W @ h_prev + U @ x_t)\n"
    ),
    # backprop skips the tanh: the (1 - h²) factor is missing
    "ex2-solution": (
        "def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):\n"
        "    da = dh_t\n"
        "    return W.T @ da, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)\n"
    ),
    # never carries the gradient from step t+1 back to step t
    "ex3-solution": (
        "def rnn_backward(dhs, xs, hs, h0, U, W):\n"
        "    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros((W.shape[0], 1))\n"
        "    dh_prev = np.zeros_like(h0)\n"
        "    for t in reversed(range(len(xs))):\n"
        "        h_prev = hs[t - 1] if t > 0 else h0\n"
        "        da = dhs[t] * (1.0 - hs[t] ** 2)\n"
        "        dU += da @ xs[t].T\n"
        "        dW += da @ h_prev.T\n"
        "        db += da.sum(axis=1, keepdims=True)\n"
        "        dh_prev = W.T @ da\n"
        "    return dU, dW, db, dh_prev\n"
    ),
    # clips each parameter by its own norm instead of the global one
    "ex4-solution": (
        "def clip_grad_norm(grads, max_norm):\n"
        "    total_norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))\n"
        "    clipped = {}\n"
        "    for k, g in grads.items():\n"
        "        norm = np.linalg.norm(g)\n"
        "        clipped[k] = g * (max_norm / norm) if norm > max_norm else g\n"
        "    return clipped, total_norm\n"
    ),
}
