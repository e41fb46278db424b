"""Plausible wrong answers to the exercises of notebook 05; each must lose its points."""

WRONG = {
    # clips each parameter by its own norm instead of one global norm
    "ex1-solution": (
        "def clip_by_global_norm(grads, max_norm):\n"
        "    clipped, total = {}, 0.0\n"
        "    for name, g in grads.items():\n"
        "        norm = np.linalg.norm(g)\n"
        "        total += norm**2\n"
        "        clipped[name] = g * min(1.0, max_norm / norm)\n"
        "    return clipped, float(np.sqrt(total))\n"
    ),
    # clips from above only
    "ex2-solution": (
        "def clip_by_value(grads, clip_value):\n"
        "    return {name: np.minimum(g, clip_value) for name, g in grads.items()}\n"
    ),
    # raises each element to the power k instead of taking the matrix power
    "ex3-solution": (
        "def linear_jacobian_norms(W, T):\n"
        "    return np.array([np.linalg.norm(W**k, 2) for k in range(T + 1)])\n"
    ),
    # all-ones recurrent matrix instead of the identity
    "ex4-solution": (
        "def irnn_params(n_x, n_h, rng):\n"
        "    return {\n"
        "        'U': rng.normal(0.0, 0.001, size=(n_h, n_x)),\n"
        "        'W': np.ones((n_h, n_h)),\n"
        "        'b': np.zeros((n_h, 1)),\n"
        "    }\n"
    ),
    # both marks drawn from the whole sequence: they may coincide
    "ex5-solution": (
        "def adding_batch(batch, length, rng):\n"
        "    values = rng.uniform(0.0, 1.0, size=(length, batch))\n"
        "    markers = np.zeros((length, batch))\n"
        "    for b in range(batch):\n"
        "        markers[rng.integers(0, length, size=2), b] = 1.0\n"
        "    y = (values * markers).sum(axis=0, keepdims=True)\n"
        "    return np.stack([values, markers], axis=1), y\n"
    ),
}
