"""Plausible wrong answers to the exercises of notebook 02; each must lose its points."""

WRONG = {
    # forgets the sigmoid's derivative: passes dy straight through
    "ex1-solution": (
        "def sigmoid_layer_backward(x, W, b, dy):\n"
        "    delta = dy\n"
        "    return W @ delta.T, x @ delta, delta\n"
    ),
    # does not sum db over the batch
    "ex2-solution": (
        "def relu_layer_backward(X, W, b, dH):\n"
        "    delta = dH * (X @ W + b > 0)\n"
        "    return delta @ W.T, X.T @ delta, delta\n"
    ),
    # the Jacobian of W x only: the tanh derivative is missing
    "ex3-solution": (
        "def vector_chain_rule(W, x, grad_y):\n    J = W\n    return J, J.T @ grad_y\n"
    ),
    # a forward difference instead of a central one
    "ex4-solution": (
        "def numerical_gradient(f, x, eps=1e-5):\n"
        "    grad = np.zeros_like(x)\n"
        "    for idx in np.ndindex(x.shape):\n"
        "        e = np.zeros_like(x)\n"
        "        e[idx] = eps\n"
        "        grad[idx] = (f(x + e) - f(x)) / eps\n"
        "    return grad\n"
    ),
}
