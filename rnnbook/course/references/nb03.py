"""Instructor-only references for the exercises of notebook 03 (recurrent networks).

The hidden tests of ``solutions/03_recurrent_networks.ipynb`` compare the student's answers with
these implementations on inputs drawn afresh (:func:`rnnbook.course.references.fresh_rng`), and
hold the answers of the two "understand" questions. Not in the students' copy.

Shapes: columns are examples, ``x_t (n_x, B)``, ``h_t (n_h, B)``, sequences ``(T, n, B)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook import cells
from rnnbook.course.checks.nb03 import measure_tagger, tagging_problem  # noqa: F401 (exercise 7)
from rnnbook.topics import tagging

# --------------------------------------------------------------------------------------------
# Exercises 1, 2, 4, 6: reference implementations


def elman_forward(xs, h0, U, W, b):
    """h^(1..T) of h^(t) = tanh(b + W h^(t-1) + U x^(t)), stacked ``(T, n_h, B)``."""
    cell = cells.ElmanCell(U.shape[1], U.shape[0])
    states, _ = cells.unroll(cell, {"U": U, "W": W, "b": b}, xs, cells.ElmanState(h0))
    return np.stack([s.h for s in states])


def elman_jacobian(x_t, h_prev, U, W, b):
    """∂h^(t)/∂h^(t-1) of one Elman step for one example: ``diag(1 - h²) W``, ``(n_h, n_h)``."""
    h_t = np.tanh(b + W @ h_prev + U @ x_t)[:, 0]
    return (1.0 - h_t**2)[:, None] * W


def jordan_step(params, o_prev, y_prev, x_t, teacher_forcing):
    """One Jordan step ``(h_t, o_t)``; with teacher forcing it reads one_hot(y_prev)."""
    n_y = params["V"].shape[0]
    cell = cells.JordanCell(params["U"].shape[1], params["U"].shape[0], n_y, feedback="output")
    state = cells.JordanState(np.zeros((cell.n_h, x_t.shape[1])), o_prev, o_prev)
    if teacher_forcing:
        state = cell.force(state, np.asarray(y_prev))
    new, _ = cell.forward(params, state, x_t)
    return new.h, new.o


def bidirectional_forward(xs, params_f, params_b):
    """``(T, 2 n_h, B)``: forward states, then backward states, at each step."""
    n_h, B = params_f["W"].shape[0], xs.shape[2]
    zeros = np.zeros((n_h, B))
    fwd = elman_forward(xs, zeros, params_f["U"], params_f["W"], params_f["b"])
    bwd = elman_forward(xs[::-1], zeros, params_b["U"], params_b["W"], params_b["b"])[::-1]
    return np.concatenate([fwd, bwd], axis=1)


def random_elman(rng, n_x, n_h, B, T):
    """A random Elman problem of the given sizes: ``(xs, h0, U, W, b)``."""
    return (
        rng.normal(size=(T, n_x, B)),
        rng.normal(scale=0.5, size=(n_h, B)),
        rng.normal(scale=0.8, size=(n_h, n_x)),
        rng.normal(scale=0.8, size=(n_h, n_h)),
        rng.normal(scale=0.8, size=(n_h, 1)),
    )


def random_sizes(rng):
    """Sizes that differ from each other and from the visible checks' (n_x, n_h, B, T)."""
    n_x, n_h, B, T = (int(v) for v in rng.choice(np.arange(2, 10), size=4, replace=False))
    return n_x, n_h, B, T


# --------------------------------------------------------------------------------------------
# Exercise 3: the spectral radius of the Jacobian at a fixed point

Q3_W = np.array([[1.3, -0.4], [0.5, 0.9]])
Q3_B = np.array([[0.2], [-0.1]])
Q3_H0 = np.array([[0.5], [0.5]])


def q3_answer() -> float:
    """ρ(∂h^(t)/∂h^(t-1)) at the fixed point that h ← tanh(b + W h) reaches from h0."""
    h = Q3_H0.copy()
    for _ in range(5000):
        h = np.tanh(Q3_B + Q3_W @ h)
    J = (1.0 - h[:, 0] ** 2)[:, None] * Q3_W
    return float(np.max(np.abs(np.linalg.eigvals(J))))


Q3_WHY = (
    "iterate h ← tanh(b + W h) from h0 until it stops moving, evaluate your elman_jacobian "
    "there (with x = 0), and take the largest |eigenvalue| (np.linalg.eigvals), not a norm "
    "and not the spectral radius of W itself"
)

# --------------------------------------------------------------------------------------------
# Exercise 5: teacher forcing (multiple choice)

Q5_ANSWER = "c"
Q5_WRONG = {
    "a": (
        "with teacher forcing no gradient has to travel back in time at all: step t reads "
        "the target y^(t-1), a constant, so h^(t) does not depend on the parameters through "
        "earlier steps"
    ),
    "b": (
        "at test time the targets are unknown, so the network reads its own outputs o^(t-1); "
        "the mismatch between training and use is the price of teacher forcing"
    ),
    "d": (
        "teacher forcing changes how the network is trained, not what it can remember: a "
        "Jordan network still carries the past only through the output, which is trained to "
        "match the targets, so it remains weaker than an Elman network"
    ),
}

# --------------------------------------------------------------------------------------------
# Exercise 7: one-hot encoding and the least-squares tagger


def one_hot_sentence(words, vocab):
    """``(len(vocab), len(words))``: column t is the unit vector of words[t]'s index in vocab."""
    rows = [list(vocab).index(w) for w in words]
    return np.eye(len(vocab))[:, rows]


def random_one_hot_case(rng) -> tuple[list[str], list[str]]:
    """An unsorted vocabulary of random size and a sentence that uses every word, with repeats."""
    words = tagging.make_vocab().idx_to_token[2:]
    vocab = [str(w) for w in rng.choice(words, size=int(rng.integers(6, 15)), replace=False)]
    extra = [str(w) for w in rng.choice(vocab, size=int(rng.integers(1, 5)))]
    sentence = [vocab[i] for i in rng.permutation(len(vocab))] + extra
    return vocab, [sentence[i] for i in rng.permutation(len(sentence))]


def tagger_accuracy(fit_readout, problem) -> tuple[float, float]:
    """Call the student's ``fit_readout`` once on ``problem`` and measure the read-out on the
    held-out sentences (raises CheckFailed below the thresholds the exercise states)."""
    return measure_tagger(fit_readout, problem, "your tagger on fresh sentences")
