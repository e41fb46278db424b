"""Instructor-only references for the exercises of notebook 04 (back-propagation through time).

The hidden tests of ``solutions/04_bptt.ipynb`` compare the student's gradients with these
implementations (built on the library's cells and ``bptt``) on inputs drawn afresh, and hold the
answers of the two "understand" questions. Not in the students' copy.

Shapes: columns are examples, ``x_t (n_x, B)``, ``h_t (n_h, B)``, sequences ``(T, n, B)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook import bptt, cells
from rnnbook.course.checks.nb04 import l3_problem

# --------------------------------------------------------------------------------------------
# fresh problems


def random_sizes(rng) -> tuple[int, int, int, int]:
    """``(n_x, n_h, B, T)``: four different sizes from 2 to 9."""
    n_x, n_h, B, T = (int(v) for v in rng.choice(np.arange(2, 10), size=4, replace=False))
    return n_x, n_h, B, T


def random_problem(rng, n_x, n_h, B, T) -> dict:
    """Random Elman weights, inputs, a start state and upstream gradients of the given sizes."""
    return {
        "U": rng.normal(scale=0.8, size=(n_h, n_x)),
        "W": rng.normal(scale=0.8, size=(n_h, n_h)),
        "b": rng.normal(scale=0.3, size=(n_h, 1)),
        "h0": np.tanh(rng.normal(size=(n_h, B))),
        "xs": rng.normal(size=(T, n_x, B)),
        "dhs": rng.normal(size=(T, n_h, B)),
    }


def states(p: dict) -> np.ndarray:
    """h^(1..T) of the problem's tanh Elman network, ``(T, n_h, B)``."""
    cell = cells.ElmanCell(p["U"].shape[1], p["U"].shape[0])
    params = {k: p[k] for k in ("U", "W", "b")}
    out, _ = cells.unroll(cell, params, p["xs"], cells.ElmanState(p["h0"]))
    return np.stack([s.h for s in out])


# --------------------------------------------------------------------------------------------
# Exercises 1 and 2: the step backward and BPTT, from the library's ElmanCell.backward


def rnn_step_backward(dh_t, x_t, h_prev, h_t, U, W):
    """``(dh_prev, dU, dW, db)`` of one tanh step."""
    cell = cells.ElmanCell(U.shape[1], U.shape[0])
    params = {"U": U, "W": W, "b": np.zeros((U.shape[0], 1))}
    dstate, _, grads = cell.backward(
        params, cells.ElmanState(dh_t), cells.ElmanCache(x_t, h_prev, h_t)
    )
    return dstate.h, grads["U"], grads["W"], grads["b"]


def rnn_backward(dhs, xs, hs, h0, U, W):
    """``(dU, dW, db, dh0)`` of f = Σ_t Σ dhs[t] ⊙ h^(t), walking back from the last step."""
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros((U.shape[0], 1))
    carried = np.zeros_like(h0)
    for t in range(len(xs) - 1, -1, -1):
        before = hs[t - 1] if t > 0 else h0
        carried, gU, gW, gb = rnn_step_backward(dhs[t] + carried, xs[t], before, hs[t], U, W)
        dU, dW, db = dU + gU, dW + gW, db + gb
    return dU, dW, db, carried


# --------------------------------------------------------------------------------------------
# Exercise 3: ∇_U L^(3), step by step, sigmoid hidden units


def random_l3_problem(rng, n_x, n_h, n_y) -> dict:
    """A sigmoid network and a three-step sequence (one example) with a target for step 3."""
    return l3_problem(rng, n_x, n_h, n_y)


def grad_U_L3(xs, y3, h0, U, W, b, V, c):
    """``(∇_{U^(1)} L^(3), ∇_{U^(2)} L^(3), ∇_{U^(3)} L^(3))`` from the library's per-step terms."""
    cell = cells.ElmanCell(U.shape[1], U.shape[0], nonlinearity="sigmoid")
    ys = np.zeros((3, 1), dtype=int)
    ys[2, 0] = y3
    theta = {"U": U, "W": W, "b": b, "V": V, "c": c}
    res = bptt.sequence_loss_and_grads(
        cell, theta, xs, ys, cells.ElmanState(h0), loss_at=2, per_step=True
    )
    return tuple(res.per_step["U"])


# --------------------------------------------------------------------------------------------
# Exercise 4: why BPTT walks backwards (multiple choice)

Q4_ANSWER = "b"
Q4_WRONG = {
    "a": (
        "the order in which the caches are kept is the code's choice; what fixes the direction "
        "is that ∇_{h^(t)} L contains the gradient sent back from step t+1"
    ),
    "c": (
        "the sums over t could indeed be added in any order, but each term needs ∇_{h^(t)} L, "
        "which contains Wᵀ ∇_{a^(t+1)} L from the later step: the terms are not known until "
        "the later steps are done"
    ),
    "d": (
        "the direction of the loop changes no factor of the product diag(·)Wᵀ ⋯ diag(·)Wᵀ: "
        "vanishing and exploding are properties of the network, not of the order of the loop"
    ),
}

# --------------------------------------------------------------------------------------------
# Exercise 5: the bound on the first step's share of ∇_U L^(τ), sigmoid units

Q5_W_NORM, Q5_TAU = 2.0, 20
Q5_ANSWER = (Q5_W_NORM / 4) ** (Q5_TAU - 1)
Q5_WHY = (
    "the term of step 1 in ∇_U L^(τ) carries τ − 1 factors diag(d^(t)) Wᵀ (t = 1 … τ − 1), and "
    "each has spectral norm at most max σ′ · ‖W‖₂ = ‖W‖₂ / 4"
)

# --------------------------------------------------------------------------------------------
# Exercise 6: the delay task


def fresh_delay(rng) -> int:
    """A delay d for the hidden test: never the visible check's d = 3."""
    return int(rng.choice([2, 4, 5]))
