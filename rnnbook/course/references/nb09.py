"""Notebook 09's hidden tests: reference answers on fresh inputs, and the multiple-choice keys.

Instructor material (not in the students' copy). Every ``hidden_*`` function draws its sizes and
values from the generator it is given (the notebook passes :func:`fresh_rng`), so an answer that
hard-codes the visible case fails here.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice,
    expect_close,
    expect_gradient,
    unpack,
)
from rnnbook.course.checks import nb09 as checks
from rnnbook.topics import hopfield

__all__ = [
    "ANSWERS",
    "ei_step",
    "ei_step_backward",
    "hidden_choice",
    "hidden_ei",
    "hidden_hopfield",
]


# ---------------------------------------------------------------- ex1: reference E/I step


def ei_step(h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    """One Euler step of T_c dh/dt = -h + W r + U x + b, r = max(h, 0), W = |W_raw| D."""
    alpha = dt / T_c
    W = np.abs(W_raw) * checks.dale_signs(W_raw.shape[1], n_exc)
    a = W @ np.maximum(h_prev, 0.0) + U @ x + b
    return (1 - alpha) * h_prev + alpha * a


def ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c):
    """Gradients of L through :func:`ei_step`, given dh = ∂L/∂h: (dh_prev, dW_raw, dU, db)."""
    alpha = dt / T_c
    d = checks.dale_signs(W_raw.shape[1], n_exc)
    W = np.abs(W_raw) * d
    r = np.maximum(h_prev, 0.0)
    da = alpha * dh
    dh_prev = (1 - alpha) * dh + (W.T @ da) * (h_prev > 0)
    dW = da @ r.T
    return dh_prev, dW * np.sign(W_raw) * d, da @ x.T, da.sum(axis=1, keepdims=True)


def hidden_ei(ei_step_fn, backward_fn, rng: np.random.Generator) -> None:
    """Exercise 1 on fresh sizes and values, compared with the reference."""
    n_h = int(rng.integers(5, 12))
    n_exc = int(rng.integers(1, n_h))
    n_x, batch = int(rng.integers(2, 6)), int(rng.integers(2, 7))
    T_c = float(rng.uniform(2.0, 20.0))
    dt = float(rng.uniform(0.05, 0.6)) * T_c
    args = checks.ei_inputs(rng, n_h, n_exc, n_x, batch)
    checks.check_ei_step(
        ei_step_fn, rng=rng, n_h=n_h, n_exc=n_exc, n_x=n_x, batch=batch, dt=dt, T_c=T_c
    )
    got = call_student(ei_step_fn, *[a.copy() for a in args], n_exc, dt, T_c, name="ei_step")
    expect_close("h", got, ei_step(*args, n_exc, dt, T_c), hint="on fresh inputs")
    dh = rng.normal(size=(n_h, batch))
    out = call_student(
        backward_fn,
        dh.copy(),
        *[a.copy() for a in args],
        n_exc,
        dt,
        T_c,
        name="ei_step_backward",
        derive=True,
    )
    got = unpack(out, "ei_step_backward", ("dh_prev", "dW_raw", "dU", "db"))
    if got[3].shape == (n_h,):
        got[3] = got[3].reshape(n_h, 1)
    ref = ei_step_backward(dh, *args, n_exc, dt, T_c)
    h_prev, x, W_raw, U, b = args
    alpha = dt / T_c
    d = checks.dale_signs(n_h, n_exc)
    W = np.abs(W_raw) * d
    through_rates = (W.T @ (alpha * dh)) * (h_prev > 0)
    expect_gradient(
        "dh_prev",
        got[0],
        ref[0],
        mistakes=[
            (
                (1 - alpha) * dh + W.T @ (alpha * dh),
                "the derivative of max(h, 0) is missing: "
                "where h_prev < 0 the rate is flat and passes no gradient",
            ),
            (
                through_rates,
                "the direct path of the leak is missing: h^(t-1) reaches h^(t) itself, times 1 - α",
            ),
            (
                (1 - alpha) * dh + (np.abs(W_raw).T @ (alpha * dh)) * (h_prev > 0),
                "the Dale "
                "signs are missing: the rates reach h^(t) through W = |W_raw| D, not |W_raw|",
            ),
            (
                (1 - alpha) * dh + (W @ (alpha * dh)) * (h_prev > 0),
                "W is not transposed: the gradient flows back from unit i to unit j along W_ij",
            ),
        ],
    )
    expect_gradient(
        "dW_raw",
        got[1],
        ref[1],
        mistakes=[
            (
                ref[1] * np.sign(W_raw) * d,
                "this is ∂L/∂W, not ∂L/∂W_raw: multiply by d_j sign(W_raw,ij)",
            ),
            (ref[1] * np.sign(W_raw), "the derivative of the absolute value is missing"),
            (ref[1] * d, "the Dale signs are missing"),
            (ref[1] * d[None, :] * d[:, None], "the Dale signs are on the rows, not the columns"),
            (
                (alpha * dh) @ h_prev.T * np.sign(W_raw) * d,
                "the weights multiply the rates max(h_prev, 0), not h_prev",
            ),
        ],
    )
    expect_gradient("dU", got[2], ref[2], mistakes=[(ref[2] / alpha, "the factor α is missing")])
    expect_gradient("db", got[3], ref[3], mistakes=[(ref[3] / alpha, "the factor α is missing")])


# ---------------------------------------------------------------- ex2: Hopfield build


def hidden_hopfield(hebbian, async_sweep, recall_patterns, rng: np.random.Generator) -> None:
    """Exercise 2 on fresh networks: the pieces against the library, then recall and capacity."""
    n = int(rng.integers(20, 60))
    checks.check_hebbian(hebbian, n=n, p=int(rng.integers(2, 9)), rng=rng)
    ref = hopfield.hebbian_weights(np.array([[1.0], [-1.0], [1.0]]))
    got = call_student(hebbian, np.array([[1.0], [-1.0], [1.0]]), name="hebbian")
    expect_close("W", got, ref, hint="one pattern (1, -1, 1) in 3 neurons")
    checks.check_async_sweep(
        async_sweep,
        n=int(rng.integers(20, 60)),
        p=int(rng.integers(3, 10)),
        batch=int(rng.integers(2, 7)),
        rng=rng,
    )
    # flip fractions whose round(flip N) has a fractional part of about 0.6: truncation shows
    n = int(rng.integers(100, 200))
    k = int(rng.integers(4, 12))
    flip = (k + 0.6) / n
    checks.check_recall_patterns(
        recall_patterns,
        n=n,
        p=int(rng.integers(4, 12)),
        flip=flip,
        seed=int(rng.integers(2**31)),
        rng=rng,
    )


# ---------------------------------------------------------------- ex3-ex6: the answer key

ANSWERS = {
    "answer_q3": (
        "c",
        {
            "a": "the mirror images -xi are fixed points too: Hebb's rule only sees the products "
            "xi_i xi_j, which do not change when every sign flips (test -patterns[:, 0])",
            "b": "the mixture sign(xi^1 + xi^2 + xi^3) has overlap about 1/2 with each pattern, so "
            "its field is about half the sum of the three patterns, whose sign is the mixture "
            "itself: it is a fixed point too, a spurious memory",
            "d": "a random state is almost never a fixed point: its field is dominated by the "
            "stored patterns, and many of its neurons disagree with it",
        },
    ),
    "answer_q4": (
        "a",
        {
            "b": "D on the left multiplies row i by d_i: every synapse that neuron i receives "
            "gets the same sign. Dale's law is about the synapses a neuron sends (column j)",
            "c": "the product of a diagonal matrix with a matrix depends on the side: on the left "
            "it scales rows, on the right columns, and D|W_raw| differs from |W_raw|D",
            "d": "gradient descent changes W_raw freely, but W = D|W_raw| keeps a fixed sign on "
            "every row whatever W_raw is: the network is constrained, only in the wrong way",
        },
    ),
    "answer_q5": (
        "d",
        {
            "a": "the energy argument needs W symmetric: collecting the terms of E that contain "
            "s_i into -s_i u_i uses W_ij = W_ji. Here W_12 = 1 and W_21 = -1, and the state keeps "
            "moving",
            "b": "a 2-cycle between two states is what synchronous updates do on a symmetric "
            "pair; here each update changes one neuron and the network passes through all four "
            "states",
            "c": "(+1, -1) is not a fixed point: neuron 1 copies neuron 2 (u_1 = s_2 = -1), so it "
            "flips to -1 and the state moves on",
        },
    ),
    "answer_q6": (
        "b",
        {
            "a": "four times smaller would keep the mean of the summed evidence, but the "
            "accuracy depends on the mean over the standard deviation; the noise grows too, like "
            "the square root of the trial length",
            "c": "a longer trial accumulates more evidence than noise (the mean grows like τ, the "
            "noise like its square root), so a weaker coherence suffices",
            "d": "sixteen times smaller would need the ratio of mean to noise to grow like τ², "
            "it grows like the square root of τ",
        },
    ),
}


def hidden_choice(name: str, got) -> None:
    """A multiple-choice answer against the key; a wrong letter gets its explanation."""
    if name not in ANSWERS:
        raise CheckFailed(f"no answer key for {name!r}")
    correct, explanations = ANSWERS[name]
    check_choice(name, got, correct, explanations)
