"""Plausible wrong answers to the exercises of solutions/09_neuroscience.ipynb, one per exercise.

Each value is the full source of a solution cell; every one must lose its exercise's points.
"""

WRONG = {
    # Hebb's rule with the patterns taken as rows: (P, P) instead of (N, N)
    "ex1-solution": '''import numpy as np


def hebbian(patterns):
    """Hebbian weights W (N, N) from patterns (N, P), one pattern per column."""
    N = patterns.shape[0]
    W = patterns.T @ patterns / N
    np.fill_diagonal(W, 0.0)
    return W
''',
    # the 1/2 of the energy is missing
    "ex2-solution": '''import numpy as np


def energy(W, s):
    """Energy of each column of s (N, B); returns (B,)."""
    return -np.sum(s * (W @ s), axis=0)
''',
    # synchronous instead of asynchronous
    "ex3-solution": '''import numpy as np


def async_sweep(W, s, order):
    """One asynchronous sweep over the neurons in `order`; returns the new states (N, B)."""
    s = s.copy()
    h = W @ s
    for i in order:
        s[i] = np.where(h[i] > 0, 1.0, np.where(h[i] < 0, -1.0, s[i]))
    return s
''',
    # the signs put on the rows (postsynaptic) instead of the columns (presynaptic)
    "ex4-solution": '''import numpy as np


def dale_recurrent(W_raw, n_exc):
    """Recurrent weights obeying Dale's law: |W_raw| D, first n_exc units excitatory."""
    d = np.where(np.arange(W_raw.shape[0]) < n_exc, 1.0, -1.0)
    return np.diag(d) @ np.abs(W_raw)
''',
    # fraction of +1 choices instead of the fraction of correct choices
    "ex5-solution": '''import numpy as np


def accuracy_by_strength(choice, coherence):
    """Fraction of correct choices at each strength |coherence|; returns (levels, accuracy)."""
    strength = np.abs(coherence)
    levels = np.unique(strength)
    accuracy = np.array([np.mean(choice[strength == s] == 1) for s in levels])
    return levels, accuracy
''',
}
