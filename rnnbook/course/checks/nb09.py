"""Checkers and hints for notebook 09 (recurrent networks in neuroscience).

The visible checks run on fixed inputs and say what is wrong and why. A backward pass is compared
with central finite differences of the forward pass in float64; the network the student stores
and recalls with is compared with :mod:`rnnbook.topics.hopfield`, and its recall is judged by what
the grader measures itself (fixed points, energies, the fraction of patterns recalled). The
multiple-choice answers are only checked for their form here: they are graded at hand-in.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (  # noqa: F401 - the notebook calls them as checks.…
    CheckFailed,
    as_float_array,
    call_student,
    check_choice_form,
    check_number_form,
    expect_close,
    expect_gradient,
    expect_shape,
    expect_true,
    same,
    unpack,
)
from rnnbook.course.hints import Hints
from rnnbook.topics import hopfield

__all__ = [
    "HINTS",
    "check_async_sweep",
    "check_choice_form",
    "check_ei_step",
    "check_ei_step_backward",
    "check_hebbian",
    "check_recall_patterns",
    "dale_signs",
    "ei_inputs",
    "hint",
    "numerical_gradients",
    "recall_capacity",
]

HINTS = {
    "ex1": [
        "Euler's method replaces dh/dt by (h^(t) - h^(t-1)) / Δt and evaluates the right-hand "
        "side at the old state h^(t-1): solve for h^(t). Divide by T_c before multiplying by Δt.",
        "For the backward pass write the step as h^(t) = (1 - α) h^(t-1) + α a with α = Δt/T_c "
        "and a = W r^(t-1) + U x^(t) + b. h^(t-1) reaches h^(t) along two paths: directly "
        "(the leak) and through the rates r = max(h, 0), whose derivative is 1 where h > 0 and "
        "0 elsewhere. Add the two contributions.",
        "W = |W_raw| D means W_ij = d_j |W_raw,ij|: first find ∂L/∂W as for an Elman step "
        "(notebook 04, with the factor α), then multiply element by element by dW_ij/dW_raw,ij "
        "= d_j sign(W_raw,ij). db sums over the examples of the batch.",
    ],
    "ex2": [
        "hebbian is one matrix product of patterns with itself (the patterns are columns, so the "
        "result must be N x N), divided by N, with the diagonal set to zero.",
        "In async_sweep update one row s[i] at a time inside the loop, so that the next neuron "
        "sees it. Keep s[i] where the field is exactly 0: np.sign(0) is 0, not ±1.",
        "In recall_patterns: k = round(flip * N) neurons per column, chosen without replacement "
        "(rng.choice(N, size=k, replace=False)) separately for each column; then repeat sweeps "
        "with order = rng.permutation(N) until a sweep returns the states unchanged.",
    ],
    "ex3": [
        "Build the state with np.sign(patterns.sum(axis=1)) and test it with your own functions: "
        "a state is a fixed point when one sweep leaves it unchanged.",
        "Compare with a random state and with -patterns[:, 0]. Why is the mixture a candidate at "
        "all? Compute its overlap with each of the three patterns.",
    ],
    "ex4": [
        "Multiplying a matrix by a diagonal matrix on the left scales its rows; on the right, its "
        "columns. Which index of W_ij belongs to the neuron that sends the signal?",
    ],
    "ex5": [
        "Run it by hand: u_1 = W_12 s_2 and u_2 = W_21 s_1. Start at (+1, +1) and update neuron 1, "
        "then neuron 2, then neuron 1 again, and write down every state.",
        "The proof that E never rises collects the terms of E that contain s_i into -s_i u_i. "
        "Which property of W does that step use?",
    ],
    "ex6": [
        "The sum of the evidence over τ steps has mean proportional to τ and a standard deviation "
        "proportional to the square root of τ. Accuracy depends only on their ratio.",
    ],
}

hint = Hints("09", HINTS)


# ---------------------------------------------------------------- ex1: E/I step and its backward


def dale_signs(n_h: int, n_exc: int) -> np.ndarray:
    """The diagonal d of D: +1 for the first ``n_exc`` units, -1 for the rest. (n_h,)"""
    return np.where(np.arange(n_h) < n_exc, 1.0, -1.0)


def _drift(h_leak, h_rates, x, W_raw, U, b, n_exc):
    """T_c dh/dt, the right-hand side of the prompt's equation (the model, given), with the h of
    the leak and the h that makes the rates apart (the same array in the model)."""
    W = np.abs(W_raw) * dale_signs(W_raw.shape[1], n_exc)
    return -h_leak + W @ np.maximum(h_rates, 0.0) + U @ x + b


def ei_inputs(rng, n_h, n_exc, n_x, batch):
    """Inputs for the E/I step: no entry of h_prev or W_raw near 0 (the kinks of max and |.|)."""

    def away_from_zero(*shape):
        z = rng.normal(size=shape)
        return z + 0.2 * np.sign(z)

    h_prev = away_from_zero(n_h, batch)
    x = rng.normal(size=(n_x, batch))
    W_raw = away_from_zero(n_h, n_h) / np.sqrt(n_h)
    U = rng.normal(size=(n_h, n_x))
    b = rng.normal(size=(n_h, 1))
    return h_prev, x, W_raw, U, b


def check_ei_step(fn, *, rng=None, n_h=7, n_exc=5, n_x=3, batch=4, dt=0.7, T_c=5.0) -> None:
    """``fn(h_prev, x, W_raw, U, b, n_exc, dt, T_c) -> h``: one Euler step of the rate network.

    The step must move h_prev along the right-hand side of the equation by Δt (Euler's method):
    (h - h_prev) / Δt = dh/dt at h_prev, and it must be so for every Δt (it is linear in Δt).
    """
    rng = np.random.default_rng(9) if rng is None else rng
    h_prev, x, W_raw, U, b = ei_inputs(rng, n_h, n_exc, n_x, batch)
    args = (h_prev, x, W_raw, U, b)
    copies = [a.copy() for a in args]
    got = as_float_array("h", call_student(fn, *copies, n_exc, dt, T_c, name="ei_step"))
    expect_true(
        all(np.array_equal(c, a) for c, a in zip(copies, args)),
        "ei_step changed one of the arrays it was given: compute new arrays instead",
    )
    if got.shape == (batch, n_h) != (n_h, batch):
        raise CheckFailed(
            f"h has shape {got.shape}, expected ({n_h}, {batch}): columns are examples, one row "
            "per unit"
        )
    expect_shape("h", got, (n_h, batch), "h has the shape of h_prev")
    f = _drift(h_prev, h_prev, x, W_raw, U, b, n_exc)  # T_c dh/dt at h_prev, from the equation
    slope = (got - h_prev) * (T_c / dt)  # T_c dh/dt that your step implies
    if same(slope, f):
        return
    d = dale_signs(n_h, n_exc)
    r = np.maximum(h_prev, 0.0)
    Wd = np.abs(W_raw) * d
    mistakes = [
        (
            (T_c / dt) ** 2 * f,
            "the factor is T_c/Δt, upside down: Euler moves by Δt times dh/dt, and dh/dt is the "
            "right-hand side divided by T_c, so the factor is Δt/T_c",
        ),
        (
            T_c * f,
            "the time constant is missing: dh/dt is the right-hand side divided by T_c, so one "
            "step moves by Δt/T_c times it",
        ),
        (
            f + h_prev,
            "the leak is missing: the equation has -h on its right-hand side, so without input "
            "the activity decays",
        ),
        (
            f - h_prev * (T_c / dt),
            "the step returns only the change: Euler's step is h^(t-1) plus Δt dh/dt",
        ),
        (
            f - Wd @ r + Wd @ h_prev,
            "W multiplies the activities h: the synapses carry the rates r = max(h, 0), so W "
            "multiplies max(h_prev, 0)",
        ),
        (
            f - Wd @ r + (d[:, None] * np.abs(W_raw)) @ r,
            "the Dale signs are on the rows: W_ij is the synapse from j to i, so the sign d_j of "
            "the sending neuron belongs to column j (W = |W_raw| D, D on the right)",
        ),
        (
            f - Wd @ r + (W_raw * d) @ r,
            "the absolute value is missing: W = |W_raw| D, otherwise a negative raw weight flips "
            "the sign of an excitatory synapse",
        ),
    ]
    for wrong, what in mistakes:
        if same(slope, wrong):
            raise CheckFailed(f"h is wrong: {what}")
    positive = got > 0
    if np.all(got >= 0) and same(slope[positive], f[positive]):
        raise CheckFailed(
            "h is wrong: ei_step returned the rates max(h, 0); return the activity h itself "
            "(it may be negative)"
        )
    expect_close(
        "T_c (h - h_prev) / dt",
        slope,
        f,
        hint="one Euler step moves h_prev by Δt times dh/dt, the right-hand side of "
        "T_c dh/dt = -h + W r + U x + b at h_prev",
    )


def numerical_gradients(G, h_prev, x, W_raw, U, b, n_exc, dt, T_c, eps=1e-6):
    """Central differences of L = sum(G * h), h the Euler step of the equation from h_prev:
    ``(dh_prev, dW_raw, dU, db, dh_prev along the rates only)``, in float64."""
    h_leak, h_rates, W_raw, U, b = (
        np.array(a, dtype=np.float64) for a in (h_prev, h_prev, W_raw, U, b)
    )

    def loss():
        f = _drift(h_leak, h_rates, x, W_raw, U, b, n_exc)
        return float(np.sum(G * (h_leak + dt / T_c * f)))

    def gradient(*arrays):  # perturb the arrays together, entry by entry
        g = np.zeros_like(arrays[0])
        for idx in np.ndindex(g.shape):
            old = arrays[0][idx]
            for a in arrays:
                a[idx] = old + eps
            up = loss()
            for a in arrays:
                a[idx] = old - eps
            down = loss()
            for a in arrays:
                a[idx] = old
            g[idx] = (up - down) / (2 * eps)
        return g

    return (
        gradient(h_leak, h_rates),
        gradient(W_raw),
        gradient(U),
        gradient(b),
        gradient(h_rates),
    )


def check_ei_step_backward(
    fn, *, rng=None, n_h=7, n_exc=5, n_x=3, batch=4, dt=0.7, T_c=5.0
) -> None:
    """``fn(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c) -> (dh_prev, dW_raw, dU, db)``.

    Compared with central finite differences (float64) of L = sum(dh * h) through the Euler step.
    """
    rng = np.random.default_rng(4) if rng is None else rng
    h_prev, x, W_raw, U, b = ei_inputs(rng, n_h, n_exc, n_x, batch)
    dh = rng.normal(size=(n_h, batch))
    args = (dh, h_prev, x, W_raw, U, b)
    copies = [a.copy() for a in args]
    out = call_student(fn, *copies, n_exc, dt, T_c, name="ei_step_backward", derive=True)
    expect_true(
        all(np.array_equal(c, a) for c, a in zip(copies, args)),
        "ei_step_backward changed one of the arrays it was given: compute new arrays instead",
    )
    names = ("dh_prev", "dW_raw", "dU", "db")
    got = unpack(out, "ei_step_backward", names)
    num = numerical_gradients(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c)
    alpha = dt / T_c
    if got[3].shape == (n_h,):  # a bias gradient as a vector is as good as a column
        got[3] = got[3].reshape(n_h, 1)
    if got[3].shape == (n_h, batch):
        raise CheckFailed(
            f"db has shape {got[3].shape}, one column per example: b is shared by every example "
            "of the batch, so its gradient sums over the batch (shape (n_h, 1))"
        )
    missing_alpha = "the factor α = Δt/T_c of the step is missing"
    # dh_prev: where h_prev < 0 the rate max(h, 0) is flat, so only the leak passes gradient
    g, n = got[0], num[0]
    if g.shape == n.shape and np.all(np.isfinite(g)):
        active = h_prev > 0
        if same(g[active], n[active]) and not same(g[~active], n[~active]):
            raise CheckFailed(
                "dh_prev is right where h_prev > 0 but wrong where h_prev < 0: there the rate "
                "r = max(h, 0) is flat and passes no gradient (multiply by the derivative of "
                "max(h, 0), 1 where h > 0 and 0 elsewhere), only the leak does"
            )
    expect_gradient(
        "dh_prev",
        g,
        n,
        mistakes=[
            (
                num[4],
                "the direct path of the leak is missing: h^(t-1) reaches "
                "h^(t) itself (times 1 - α), not only through the rates",
            ),
            (
                num[4] + dh,
                "the leak's path counts with factor 1: it carries "
                "(1 - α), the part of h^(t-1) that the step keeps",
            ),
        ],
        reference="the finite-difference gradient",
    )
    d = dale_signs(n_h, n_exc)
    sgn = np.sign(W_raw)
    expect_gradient(
        "dW_raw",
        got[1],
        num[1],
        mistakes=[
            (
                num[1] * sgn * d,
                "this is ∂L/∂W, the gradient for W: the weights are W = |W_raw| D, "
                "so multiply by dW_ij/dW_raw,ij = d_j sign(W_raw,ij)",
            ),
            (
                num[1] * d,
                "the Dale signs are missing: W_ij = d_j |W_raw,ij|, so the gradient "
                "carries the factor d_j of column j",
            ),
            (num[1] * sgn, "the derivative of the absolute value is missing: d|w|/dw = sign(w)"),
            (
                num[1] * d[None, :] * d[:, None],
                "the Dale signs are on the rows: the sign d_j "
                "belongs to the sending neuron j, column j",
            ),
            (num[1] / alpha, missing_alpha),
        ],
        reference="the finite-difference gradient",
    )
    expect_gradient(
        "dU",
        got[2],
        num[2],
        mistakes=[(num[2] / alpha, missing_alpha)],
        reference="the finite-difference gradient",
    )
    expect_gradient(
        "db",
        got[3],
        num[3],
        mistakes=[
            (num[3] / alpha, missing_alpha),
            (
                num[3] / batch,
                "db is averaged over the batch: L sums over the examples, so db sums too",
            ),
        ],
        reference="the finite-difference gradient",
    )


# ---------------------------------------------------------------- ex2: Hebb, sweep, recall


def check_hebbian(fn, *, n: int = 24, p: int = 3, rng=None) -> None:
    """``fn(patterns (N, P)) -> W (N, N)``: Hebb's rule with 1/N and a zero diagonal."""
    rng = np.random.default_rng(0) if rng is None else rng
    xi = hopfield.random_patterns(n, p, rng)
    expected = hopfield.hebbian_weights(xi)
    got = as_float_array("W", call_student(fn, xi.copy(), name="hebbian"))
    if got.shape == (p, p):
        raise CheckFailed(
            f"W has shape {got.shape}, expected ({n}, {n}): you computed patterns.T @ patterns. "
            "The patterns are the columns, so W sums their outer products: patterns @ patterns.T"
        )
    expect_shape("W", got, (n, n), "W has one row and one column per neuron")
    if same(got, expected):
        return
    off = ~np.eye(n, dtype=bool)
    if same(got[off], expected[off]):
        raise CheckFailed(
            f"W's off-diagonal entries are right but W[0,0] = {got[0, 0]:.4g}: set the diagonal "
            "to zero (no neuron connects to itself, W_ii = 0), e.g. with np.fill_diagonal"
        )
    ratio = got[off] @ expected[off] / (expected[off] @ expected[off])
    if same(got[off], ratio * expected[off]):
        if np.isclose(ratio, n):
            why = f"W is {n} (= N) times too large: divide by N, the number of neurons"
        elif np.isclose(ratio, n / p):
            why = "W is N/P times too large: divide by N (the number of neurons), not by P"
        else:
            why = f"W is {ratio:.4g} times the expected value: the factor in front is 1/N"
        if not np.allclose(np.diag(got), 0):
            why += "; the diagonal must also be zero"
        raise CheckFailed(why)
    expect_close("W", got, expected, hint="W = (1/N) sum over patterns of xi xi^T, zero diagonal")


def check_async_sweep(fn, *, n: int = 30, p: int = 8, batch: int = 5, rng=None) -> None:
    """``fn(W (N, N), s (N, B), order (N,)) -> s_new (N, B)``: update neurons one at a time."""
    rng = np.random.default_rng(0) if rng is None else rng
    xi = hopfield.random_patterns(n, p, rng)
    # (xi xi^T - P I) / 8 is Hebb's W times N/8: the same dynamics, and every field is a sum of
    # multiples of 1/8, exact in floating point in any order of summation (0 is exactly 0)
    W = (xi @ xi.T - p * np.eye(n)) / 8
    s = hopfield.random_patterns(n, batch, rng)
    order = rng.permutation(n)
    s_in = s.copy()
    got = as_float_array(
        "s_new", call_student(fn, W.copy(), s_in, order.copy(), name="async_sweep")
    )
    expect_true(
        np.array_equal(s_in, s),
        "async_sweep changed the array s it was given: work on a copy (s = s.copy())",
    )
    expect_shape("s_new", got, (n, batch), "return the whole state array, one column per state")
    expected = hopfield.async_sweep(W, s, order=order)
    if not same(got, expected):
        if np.any(got == 0):
            raise CheckFailed(
                "s_new contains zeros: np.sign(0) is 0, but a neuron whose field u_i is exactly "
                "0 must keep its current state"
            )
        if same(got, hopfield.sync_step(W, s)):
            raise CheckFailed(
                "s_new equals one synchronous step: every neuron was updated from the old states. "
                "Asynchronous means each neuron, in turn, sees the new states of those updated "
                "before it: compute u_i from the current s inside the loop"
            )
        if same(got, hopfield.async_sweep(W, s, order=np.arange(n))):
            raise CheckFailed(
                "s_new is what updating neurons 0, 1, ..., N-1 gives: visit them in the order "
                "given by the argument `order`"
            )
        expect_close("s_new", got, expected, hint="for i in order: s[i] = sign(W[i] @ s)")
    # ties: neuron 0 is cut off from the rest (zero row), so its field is always 0
    W_tie = W.copy()
    W_tie[0, :] = 0.0
    W_tie[:, 0] = 0.0
    s_tie = s.copy()
    s_tie[0] = np.where(np.arange(batch) % 2 == 0, -1.0, 1.0)
    got_tie = as_float_array(
        "s_new", call_student(fn, W_tie, s_tie.copy(), order.copy(), name="async_sweep")
    )
    expect_shape("s_new", got_tie, (n, batch))
    expect_true(
        np.array_equal(got_tie[0], s_tie[0]),
        f"neuron 0 has no connections (u_0 = 0) and should keep its state {s_tie[0].tolist()}, "
        f"but your sweep gave {got_tie[0].tolist()}: when u_i = 0, leave s_i unchanged "
        "(np.sign(0) = 0, and u >= 0 -> +1 both break this)",
    )
    expect_close("s_new", got_tie, hopfield.async_sweep(W_tie, s_tie, order=order))


def _recall_once(fn, patterns, flip, seed):
    out = call_student(
        fn, patterns.copy(), flip, np.random.default_rng(seed), name="recall_patterns"
    )
    cues, final = unpack(out, "recall_patterns", ("cues", "final"))
    for name, arr in (("cues", cues), ("final", final)):
        expect_shape(name, arr, patterns.shape, "one column per stored pattern, like patterns")
        expect_true(
            bool(np.all(np.abs(arr) == 1)),
            f"{name} should hold only -1 and +1, got values {np.unique(arr)[:5].tolist()}",
        )
    return cues, final


def _fixed(W, s, after=None, tol=1e-9) -> bool:
    """Whether one synchronous step from ``after`` (default: ``s`` itself) gives ``s``: every
    s_i agrees with the sign of its field, a field within round-off of 0 agreeing with both."""
    after = s if after is None else after
    return bool(np.all(s * (W @ after) >= -tol))


def _expect_fixed_points(xi, cues, final) -> np.ndarray:
    """Every final state is a fixed point of Hebb's W for the patterns ``xi``; returns that W."""
    n = xi.shape[0]
    W = hopfield.hebbian_weights(xi)
    if not _fixed(W, final):
        if np.array_equal(final, cues):
            raise CheckFailed("final equals the cues: recall did not change any neuron")
        if _fixed(xi @ xi.T / n, final):
            raise CheckFailed(
                "final holds fixed points of a W whose diagonal is not zero: set W_ii = 0 in "
                "hebbian (a self-connection makes a neuron keep its state)"
            )
        if _fixed(W, final, after=hopfield.sync_step(W, final)):
            raise CheckFailed(
                "final is in a 2-cycle, not at a fixed point: that happens with synchronous "
                "updates; recall with asynchronous sweeps (async_sweep)"
            )
        raise CheckFailed(
            "some final states are not fixed points of Hebb's W: keep sweeping until a sweep "
            "changes no neuron (with a new random order each sweep)"
        )
    return W


def recall_capacity(fn, n, load, rng, flip=0.05, threshold=0.95) -> float:
    """Store round(load n) fresh random patterns, recall each from its cue with ``fn``, and return
    the fraction the grader counts as recalled (overlap with the cued pattern >= threshold)."""
    p = max(1, int(round(load * n)))
    xi = hopfield.random_patterns(n, p, rng)
    cues, final = _recall_once(fn, xi, flip, int(rng.integers(2**31)))
    _expect_fixed_points(xi, cues, final)
    m = np.sum(final * xi, axis=0) / n
    return float(np.mean(m >= threshold))


def check_recall_patterns(
    fn, *, n: int = 160, p: int = 9, flip: float = 0.06, seed: int = 5, rng=None
) -> None:
    """``fn(patterns (N, P), flip, rng) -> (cues, final)``: cue each stored pattern with
    round(flip N) flipped neurons and recall it asynchronously until nothing changes.

    Then the grader measures the capacity itself on fresh networks of N = 200 neurons (5 % of the
    bits flipped in each cue): at a load P/N = 0.05, far below the capacity 0.138, at least 80 %
    of the patterns must come back (overlap >= 0.95); at a load of 0.3, more than twice the
    capacity, at most 20 % may.
    """
    rng = np.random.default_rng(seed) if rng is None else rng
    xi = hopfield.random_patterns(n, p, rng)
    k = int(round(flip * n))
    cues, final = _recall_once(fn, xi, flip, seed)
    flipped = cues != xi
    counts = flipped.sum(axis=0)
    if not np.all(counts == k):
        why = (
            f"the cues differ from their patterns in {sorted(set(counts.tolist()))} neurons, "
            f"expected exactly round(flip N) = round({flip} x {n}) = {k} in every column"
        )
        if np.all(counts <= k):
            why += ": draw the neurons to flip without replacement, and round (do not truncate)"
        raise CheckFailed(why)
    expect_true(
        not all(np.array_equal(flipped[:, 0], flipped[:, j]) for j in range(1, p)),
        "every cue has the same neurons flipped: draw the neurons to flip anew for each column",
    )
    W = _expect_fixed_points(xi, cues, final)
    rises = hopfield.energy(W, final) > hopfield.energy(W, cues) + 1e-9
    expect_true(
        not np.any(rises),
        f"the energy rose from the cue to the final state in {int(rises.sum())} columns: "
        "asynchronous recall from a cue only goes downhill",
    )
    # the rng argument is honoured: the same seed gives the same cues, another seed other ones
    again, _ = _recall_once(fn, xi, flip, seed)
    other, _ = _recall_once(fn, xi, flip, seed + 1)
    expect_true(
        np.array_equal(again, cues) and not np.array_equal(other, cues),
        "the cues do not follow the rng argument: draw every random number from rng (the same "
        "seed must give the same cues, another seed other ones), not from np.random",
    )
    # capacity, measured by the grader on the student's network
    low = recall_capacity(fn, 200, 0.05, rng)
    expect_true(
        low >= 0.8,
        f"at load P/N = 0.05 (10 patterns in 200 neurons), far below the capacity 0.138, only "
        f"{low:.0%} of the patterns were recalled (overlap >= 0.95); expected at least 80 %",
    )
    high = recall_capacity(fn, 200, 0.3, rng)
    expect_true(
        high <= 0.2,
        f"at load P/N = 0.3 (60 patterns in 200 neurons), twice the capacity, {high:.0%} of the "
        "patterns were recalled; a Hopfield network with Hebb's rule recalls almost none there",
    )


# ---------------------------------------------------------------- ex3-ex6: multiple choice
