"""Checkers for notebook 09 (recurrent networks in neuroscience).

Each ``check_*`` calls the student's function on fresh random data, compares it with the
reference in :mod:`rnnbook.topics.hopfield` / :mod:`rnnbook.topics.ei_network`, and on a mismatch tests the
likeliest mistakes one by one so that the message can name the cause.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    as_float_array,
    call_student,
    expect_close,
    expect_shape,
    expect_true,
)
from rnnbook.topics import hopfield

__all__ = [
    "check_accuracy_by_strength",
    "check_async_sweep",
    "check_dale_recurrent",
    "check_energy",
    "check_hebbian",
]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------- ex1: Hebbian weights


def check_hebbian(fn, *, n: int = 24, p: int = 3, seed: int = 0) -> None:
    """``fn(patterns (N, P)) -> W (N, N)``: Hebb's rule with 1/N and a zero diagonal."""
    rng = np.random.default_rng(seed)
    xi = hopfield.random_patterns(n, p, rng)
    expected = hopfield.hebbian_weights(xi)
    got = as_float_array("W", call_student(fn, xi.copy(), name="hebbian"))
    if got.shape == (p, p):
        raise CheckFailed(
            f"W has shape {got.shape}, expected ({n}, {n}): you computed patterns.T @ patterns. "
            "The patterns are the columns, so W sums their outer products: patterns @ patterns.T"
        )
    expect_shape("W", got, (n, n), "W has one row and one column per neuron")
    if _same(got, expected):
        return
    off = ~np.eye(n, dtype=bool)
    if _same(got[off], expected[off]):
        raise CheckFailed(
            f"W's off-diagonal entries are right but W[0,0] = {got[0, 0]:.4g}: set the diagonal "
            "to zero (no neuron connects to itself, W_ii = 0), e.g. with np.fill_diagonal"
        )
    ratio = got[off] @ expected[off] / (expected[off] @ expected[off])
    if _same(got[off], ratio * expected[off]):
        if np.isclose(ratio, n):
            hint = f"W is {n} (= N) times too large: divide by N, the number of neurons"
        elif np.isclose(ratio, n / p):
            hint = "W is N/P times too large: divide by N (the number of neurons), not by P"
        else:
            hint = f"W is {ratio:.4g} times the expected value: the factor in front is 1/N"
        if not np.allclose(np.diag(got), 0):
            hint += "; the diagonal must also be zero"
        raise CheckFailed(hint)
    expect_close("W", got, expected, hint="W = (1/N) sum over patterns of xi xi^T, zero diagonal")


# ---------------------------------------------------------------- ex2: energy


def check_energy(fn, *, n: int = 20, p: int = 2, batch: int = 4, seed: int = 0) -> None:
    """``fn(W (N, N), s (N, B)) -> E (B,)`` with ``E = -1/2 s^T W s`` per column."""
    rng = np.random.default_rng(seed)
    xi = hopfield.random_patterns(n, p, rng)
    W = hopfield.hebbian_weights(xi)
    # a stored pattern (low energy), its mirror image, and random states
    s = np.concatenate([xi[:, :1], -xi[:, :1], hopfield.random_patterns(n, batch - 2, rng)], 1)
    expected = hopfield.energy(W, s)
    got = as_float_array("E", call_student(fn, W.copy(), s.copy(), name="energy"))
    if got.shape == (batch, batch):
        raise CheckFailed(
            f"E has shape {got.shape}, expected ({batch},): s.T @ W @ s holds every pair of "
            "columns; the energy of column b is only its diagonal entry (b, b)"
        )
    if got.ndim == 0:
        raise CheckFailed(
            f"E is a single number, expected one energy per column, shape ({batch},): did you "
            "sum over the batch?"
        )
    expect_shape("E", got, (batch,), "one energy per column of s")
    if _same(got, expected):
        return
    for factor, hint in (
        (2.0, "E is twice the expected value: the 1/2 in E = -1/2 s^T W s is missing"),
        (-1.0, "E has the wrong sign: E = -1/2 s^T W s, so a stored pattern has low energy"),
        (-2.0, "E is -2 times the expected value: both the minus sign and the 1/2 are missing"),
    ):
        if _same(got, factor * expected):
            raise CheckFailed(hint)
    expect_close("E", got, expected, hint="E_b = -1/2 sum_ij s_ib W_ij s_jb for each column b")


# ---------------------------------------------------------------- ex3: asynchronous sweep


def _async_reference(W, s, order):
    return hopfield.async_sweep(W, s, order=order)


def check_async_sweep(fn, *, n: int = 30, p: int = 8, batch: int = 5, seed: int = 0) -> None:
    """``fn(W (N, N), s (N, B), order (N,)) -> s_new (N, B)``: update neurons one at a time."""
    rng = np.random.default_rng(seed)
    xi = hopfield.random_patterns(n, p, rng)
    W = hopfield.hebbian_weights(xi)
    s = hopfield.random_patterns(n, batch, rng)
    order = rng.permutation(n)
    s_in = s.copy()
    got = as_float_array(
        "s_new", call_student(fn, W.copy(), s_in, order.copy(), name="async_sweep")
    )
    expect_true(
        np.array_equal(s_in, s),
        "your function changed the array s it was given: work on a copy (s = s.copy())",
    )
    expect_shape("s_new", got, (n, batch), "return the whole state array, one column per state")
    expected = _async_reference(W, s, order)
    if not _same(got, expected):
        if np.any(got == 0):
            raise CheckFailed(
                "s_new contains zeros: np.sign(0) is 0, but a neuron whose field h_i is exactly "
                "0 must keep its current state"
            )
        if _same(got, hopfield.sync_step(W, s)):
            raise CheckFailed(
                "s_new equals one synchronous step: every neuron was updated from the old states. "
                "Asynchronous means each neuron, in turn, sees the new states of those updated "
                "before it: compute h_i from the current s inside the loop"
            )
        if _same(got, _async_reference(W, s, np.arange(n))):
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
        f"neuron 0 has no connections (h_0 = 0) and should keep its state {s_tie[0].tolist()}, "
        f"but your sweep gave {got_tie[0].tolist()}: when h_i = 0, leave s_i unchanged "
        "(np.sign(0) = 0, and h >= 0 -> +1 both break this)",
    )
    expect_close("s_new", got_tie, _async_reference(W_tie, s_tie, order))


# ---------------------------------------------------------------- ex4: Dale's law


def _dale_reference(W_raw: np.ndarray, n_exc: int) -> np.ndarray:
    signs = np.where(np.arange(W_raw.shape[1]) < n_exc, 1.0, -1.0)
    return np.abs(W_raw) * signs  # column j times d_j: |W_raw| @ diag(d)


def check_dale_recurrent(fn, *, n_h: int = 10, n_exc: int = 8, seed: int = 0) -> None:
    """``fn(W_raw (n_h, n_h), n_exc) -> W``: ``W = |W_raw| D``, first n_exc columns >= 0."""
    rng = np.random.default_rng(seed)
    W_raw = rng.normal(size=(n_h, n_h))
    got = as_float_array("W", call_student(fn, W_raw.copy(), n_exc, name="dale_recurrent"))
    expect_shape("W", got, (n_h, n_h), "W has the same shape as W_raw")
    expected = _dale_reference(W_raw, n_exc)
    if _same(got, expected):
        return
    signs = np.where(np.arange(n_h) < n_exc, 1.0, -1.0)
    if _same(got, signs[:, None] * np.abs(W_raw)):
        raise CheckFailed(
            "W has the sign pattern on its rows: W[i, j] is the weight from neuron j to neuron i, "
            "so the sign belongs to the sending neuron j, i.e. to column j. Multiply D on the "
            "right: |W_raw| @ D, not D @ |W_raw|"
        )
    if _same(got, W_raw * signs):
        raise CheckFailed(
            "W = W_raw @ D without the absolute value: a negative raw weight then flips the sign, "
            "and an excitatory neuron ends up inhibiting. Use np.abs(W_raw) @ D"
        )
    if _same(got, np.abs(W_raw) * -signs) or _same(got, _dale_reference(W_raw, n_h - n_exc)):
        raise CheckFailed(
            f"the signs are reversed: the first n_exc = {n_exc} units are excitatory (+1), the "
            "remaining ones inhibitory (-1)"
        )
    expect_close("W", got, expected, hint="W = |W_raw| @ diag(d), d = +1 (first n_exc), -1 after")


# ---------------------------------------------------------------- ex5: psychometric accuracy


def check_accuracy_by_strength(fn, *, n_trials: int = 200, seed: int = 0) -> None:
    """``fn(choice (n,), coherence (n,)) -> (levels, accuracy)`` per strength |coherence|."""
    from rnnbook.topics.ei_network import accuracy_by_strength as reference

    rng = np.random.default_rng(seed)
    strengths = np.array([0.4, 0.05, 0.2, 0.1])  # deliberately unsorted
    coherence = rng.choice(strengths, n_trials) * rng.choice([-1.0, 1.0], n_trials)
    # an observer that is right more often on strong evidence, and leans towards +1
    p_correct = 0.5 + 0.45 * np.tanh(6 * np.abs(coherence))
    correct = rng.random(n_trials) < p_correct
    choice = np.where(correct, np.sign(coherence), -np.sign(coherence))
    choice[:10] = 1.0
    levels, accuracy = reference(choice, coherence)
    out = call_student(fn, choice.copy(), coherence.copy(), name="accuracy_by_strength")
    if not (isinstance(out, tuple | list) and len(out) == 2):
        raise CheckFailed(
            f"accuracy_by_strength should return a pair (levels, accuracy), got {type(out).__name__}"
        )
    got_levels, got_acc = as_float_array("levels", out[0]), as_float_array("accuracy", out[1])
    if got_levels.shape == (2 * len(strengths),):
        raise CheckFailed(
            f"levels has {got_levels.size} entries, expected {len(strengths)}: group the trials by "
            "strength |coherence|, not by the signed coherence (+0.1 and -0.1 are one strength)"
        )
    expect_shape("levels", got_levels, levels.shape, "one entry per distinct strength")
    expect_close("levels", got_levels, levels, hint="the sorted distinct |coherence| (np.unique)")
    expect_shape("accuracy", got_acc, accuracy.shape, "one accuracy per strength level")
    if _same(got_acc, accuracy):
        return
    strength = np.abs(coherence)
    chose_plus = np.array([np.mean(choice[strength == s] == 1) for s in levels])
    if _same(got_acc, chose_plus):
        raise CheckFailed(
            "accuracy is the fraction of +1 choices: a choice is correct when it equals "
            "sign(coherence), so compare choice with np.sign(coherence)"
        )
    overall = np.mean(choice == np.sign(coherence))
    if np.allclose(got_acc, overall):
        raise CheckFailed(
            f"every level has the same accuracy {overall:.3f}, the overall one: average the "
            "correct choices separately over the trials of each strength"
        )
    counts = np.array(
        [np.sum(choice[strength == s] == np.sign(coherence[strength == s])) for s in levels]
    )
    if _same(got_acc, counts):
        raise CheckFailed("accuracy holds counts of correct trials: divide by the trials per level")
    expect_close(
        "accuracy", got_acc, accuracy, hint="mean of (choice == sign(coherence)) per level"
    )
