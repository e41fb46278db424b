"""Plausible wrong answers to the exercises of notebook 06; each must lose its points."""

WRONG = {
    # natural logarithms: every quantity comes out in nats
    "ex1-solution": (
        "def entropy_bits(p):\n"
        "    p = p[p > 0]\n"
        "    return float(-np.sum(p * np.log(p)))\n"
        "\n"
        "\n"
        "def kl_bits(p, q):\n"
        "    keep = p > 0\n"
        "    return float(np.sum(p[keep] * np.log(p[keep] / q[keep])))\n"
        "\n"
        "\n"
        "def cross_entropy_bits(p, q):\n"
        "    keep = p > 0\n"
        "    return float(-np.sum(p[keep] * np.log(q[keep])))\n"
    ),
    # averages the per-token perplexities instead of the losses
    "ex2-solution": (
        "def perplexity_from_nll(nlls, unit):\n"
        "    base = np.e if unit == 'nats' else 2.0\n"
        "    return float(np.mean(base ** np.asarray(nlls)))\n"
    ),
    # forgets the k |V| in the denominator
    "ex3-solution": (
        "def bigram_add_k(tokens, vocab, k):\n"
        "    index = {w: i for i, w in enumerate(vocab)}\n"
        "    counts = np.zeros((len(vocab), len(vocab)))\n"
        "    for a, b in zip(tokens[:-1], tokens[1:]):\n"
        "        counts[index[a], index[b]] += 1\n"
        "    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k)\n"
    ),
    # targets not shifted: Y is a copy of X
    "ex4-solution": (
        "def make_windows(ids, num_steps):\n"
        "    n = (len(ids) - 1) // num_steps\n"
        "    X = np.asarray(ids[: n * num_steps]).reshape(n, num_steps)\n"
        "    return X, X.copy()\n"
    ),
    # multiplies by the temperature
    "ex5-solution": (
        "def temperature_softmax(logits, tau):\n"
        "    z = np.asarray(logits, dtype=float) * tau\n"
        "    z = np.exp(z - z.max())\n"
        "    return z / z.sum()\n"
    ),
}
