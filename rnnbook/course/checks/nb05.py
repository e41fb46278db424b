"""Checks for the exercises of notebook 05 (vanishing and exploding gradients, clipping).

The model of exercises 1 and 2 is the tanh Elman network with a softmax output (notebook 04):
h^(t) = tanh(b + W h^(t−1) + U x^(t)), o^(t) = c + V h^(t), L = Σ_t L^(t), each L^(t) the
cross-entropy of softmax(o^(t)) averaged over the batch. Shapes: columns are examples,
``xs (T, n_x, B)``, ``ys (T, B)`` integer targets, ``h0 (n_h, B)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook import bptt, cells
from rnnbook.course.checks import (  # noqa: F401 - the notebook calls them as checks.…
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_close,
    expect_gradient,
    expect_shape,
    expect_true,
    unpack,
)
from rnnbook.course.hints import Hints

KEYS = ("U", "W", "b", "V", "c")

HINTS = {
    "ex1": [
        "Cut the steps into windows [0, k), [k, 2k), …; the last one may be shorter. Run the "
        "forward over one window starting from the state the previous window ended in, then "
        "walk back over that window only.",
        "Inside a window the backward pass is the full BPTT of notebook 04. At the window's "
        "first step the gradient arriving from the past is not passed any further: the "
        "window's start state is treated as a constant.",
        "The parameters are shared by every step of every window: add each window's "
        "gradients into one dict. The loss is the same as the forward's: truncation changes "
        "only the gradient.",
    ],
    "ex2": [
        "The global norm treats all the gradients as one long vector: the square root of the "
        "sum of the squares of every element of every array.",
        "Every gradient is multiplied by the same factor, max_norm / ‖g‖, and only when ‖g‖ > "
        "max_norm. Build new arrays instead of writing into the ones you were given.",
        "One training step: loss, grads, _ = truncated_bptt(...); clip; then θ ← θ − η g for "
        "every key. Start each step from a zero state h0 of shape (n_h, B).",
    ],
    "ex3": [
        "For a linear RNN the Jacobian across a lag of k steps is the matrix power W^k: keep "
        "a running product and multiply by W once per lag.",
        "The spectral norm of a matrix M is np.linalg.norm(M, 2). Stop at the first lag whose "
        "norm is below 1e-6; it may take a few hundred lags.",
    ],
    "ex4": [
        "Two things travel between windows in truncated BPTT: the state (forward) and the "
        "gradient (backward). Which one is stopped at a window boundary?",
        "For the network to learn to keep a bit for 8 steps, some gradient term must link the "
        "loss at step t to the weights as they were used at step t − 8.",
    ],
    "ex5": [
        "Clipping rescales a gradient that is too long. What does it do to a gradient whose "
        "long-lag terms are already tiny?",
        "Section 4 of the lecture lists the remedies: which of them keeps the Jacobian "
        "product along the memory path near 1?",
    ],
}
hint = Hints("05", HINTS)


# ----------------------------------------------------------------------------------------------
# the forward pass (given to students) and finite differences of it
# ----------------------------------------------------------------------------------------------


def _step_loss(o, y):
    """Cross-entropy of softmax(o) against the targets y, averaged over the batch."""
    shifted = o - o.max(axis=0, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    return float(-log_p[y, np.arange(o.shape[1])].mean())


def elman_loss(theta, xs, ys, h0):
    """The forward pass: ``-> (L, h_T)`` with L = Σ_t L^(t) (each averaged over the batch)."""
    U, W, b, V, c = (theta[k] for k in KEYS)
    h, loss = h0, 0.0
    for x_t, y_t in zip(xs, ys):
        h = np.tanh(b + W @ h + U @ x_t)
        loss += _step_loss(c + V @ h, y_t)
    return loss, h


def _windows(T, k):
    return [(s, min(s + k, T)) for s in range(0, T, k)]


def _window_starts(theta, xs, ys, h0, k):
    """The state each window starts from when the state is carried forward."""
    starts, h = [], h0
    for s, e in _windows(len(xs), k):
        starts.append(h)
        _, h = elman_loss(theta, xs[s:e], ys[s:e], h)
    return starts


def _numerical(f, theta, eps=1e-6):
    """Central differences of the scalar f(theta) for every element of every parameter."""
    grads = {}
    for key in KEYS:
        g = np.zeros_like(theta[key])
        for idx in np.ndindex(*theta[key].shape):
            old = theta[key][idx]
            theta[key][idx] = old + eps
            up = f(theta)
            theta[key][idx] = old - eps
            down = f(theta)
            theta[key][idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads[key] = g
    return grads


def _detached_loss(xs, ys, k, starts, only=None):
    """Σ over windows of each window's loss, each window starting from a constant state."""

    def f(theta):
        total = 0.0
        for i, (s, e) in enumerate(_windows(len(xs), k)):
            if only is None or i in only:
                total += elman_loss(theta, xs[s:e], ys[s:e], starts[i])[0]
        return total

    return f


def random_case(rng, n_x, n_h, n_y, B, T):
    theta = {
        "U": rng.normal(0, 0.8, (n_h, n_x)),
        "W": rng.normal(0, 1.0 / np.sqrt(n_h), (n_h, n_h)),
        "b": rng.normal(0, 0.3, (n_h, 1)),
        "V": rng.normal(0, 0.8, (n_y, n_h)),
        "c": rng.normal(0, 0.3, (n_y, 1)),
    }
    xs = rng.normal(size=(T, n_x, B))
    ys = rng.integers(0, n_y, size=(T, B))
    ys[0, 0] = n_y - 1  # every class somewhere
    h0 = rng.normal(0, 0.5, (n_h, B))
    return theta, xs, ys, h0


# ----------------------------------------------------------------------------------------------
# Exercise 1: truncated BPTT
# ----------------------------------------------------------------------------------------------


def check_truncated_bptt(truncated_bptt, rng=None) -> None:
    """Exercise 1: ``truncated_bptt(theta, xs, ys, h0, k) -> (loss, grads, h_T)``, the state
    carried across windows of k steps and the gradient stopped at each window's start.

    Compared with central finite differences of the forward pass in float64, each window's
    start state held constant. ``rng`` draws other sizes (the hidden tests pass a fresh one).
    """
    if rng is None:
        rng = np.random.default_rng(5)
        sizes = [(3, 4, 5, 2, 7, 3), (2, 3, 4, 3, 5, 2), (2, 3, 3, 2, 4, 6)]
    else:
        sizes = []
        for _ in range(2):
            T = int(rng.integers(5, 10))
            k = int(rng.integers(2, T))
            if T % k == 0:
                k += 1  # a window that does not divide T: the last one is shorter
            sizes.append((*(int(v) for v in rng.integers(2, 5, size=4)), T, k))
    for n_x, n_h, n_y, B, T, k in sizes:
        theta, xs, ys, h0 = random_case(rng, n_x, n_h, n_y, B, T)
        _check_one_truncated(truncated_bptt, theta, xs, ys, h0, k)


def _check_one_truncated(truncated_bptt, theta, xs, ys, h0, k) -> None:
    T = len(xs)
    label = f"truncated_bptt(theta, xs, ys, h0, k={k}) with T = {T}"
    copies = [{n: v.copy() for n, v in theta.items()}, xs.copy(), ys.copy(), h0.copy()]
    out = call_student(truncated_bptt, *copies, k, name="truncated_bptt", derive=True)
    if not (isinstance(out, (tuple, list)) and len(out) == 3):
        raise CheckFailed(f"{label} should return a triple (loss, grads, h_T), got {out!r:.80}")
    loss, grads, h_T = out
    expect_true(
        isinstance(grads, dict) and set(grads) == set(KEYS),
        f"{label}: grads should be a dict with the keys {list(KEYS)}, got "
        f"{sorted(grads) if isinstance(grads, dict) else type(grads).__name__}",
    )
    (loss,) = unpack((loss,), "truncated_bptt's loss", ("loss",))
    full_loss, full_h = elman_loss(theta, xs, ys, h0)
    windows = _windows(T, k)
    reset_loss = sum(elman_loss(theta, xs[s:e], ys[s:e], h0)[0] for s, e in windows)
    if not np.isclose(full_loss, reset_loss) and np.isclose(float(loss), reset_loss):
        raise CheckFailed(
            f"{label}: the loss is {float(loss):.6g}, what you get when every window starts "
            f"again from h0; the state must be carried forward: each window starts from the "
            f"state the previous window ended in (expected {full_loss:.6g})"
        )
    if np.isclose(float(loss), full_loss / T) and T > 1:
        raise CheckFailed(
            f"{label}: the loss is the mean over the T steps; L is their sum, Σ_t L^(t)"
        )
    expect_close(
        f"{label}, loss",
        loss,
        full_loss,
        rtol=1e-7,
        hint="truncation changes the gradient, not the loss: L = Σ_t L^(t) of the forward pass",
    )
    expect_close(
        f"{label}, h_T",
        h_T,
        full_h,
        rtol=1e-7,
        atol=1e-10,
        hint="h_T is the state after the last step of the last window",
    )
    starts = _window_starts(theta, xs, ys, h0, k)
    probe = {n: v.copy() for n, v in theta.items()}
    want = _numerical(_detached_loss(xs, ys, k, starts), probe)
    full = _numerical(lambda th: elman_loss(th, xs, ys, h0)[0], probe)
    last = _numerical(_detached_loss(xs, ys, k, starts, only={len(windows) - 1}), probe)
    first = _numerical(_detached_loss(xs, ys, k, starts, only={0}), probe)
    reset = _numerical(_detached_loss(xs, ys, k, [h0] * len(windows)), probe)
    for key in KEYS:
        expect_gradient(
            f"{label}: grads['{key}']",
            grads[key],
            want[key],
            rtol=1e-5,
            atol=1e-7,
            reference="the truncated gradient (central differences with each window's start "
            "state held constant)",
            mistakes=[
                (
                    full[key] if k < T else None,
                    "it equals the full BPTT gradient: the gradient crosses the window "
                    "boundary; stop it at each window's start (treat the start state as a "
                    "constant)",
                ),
                (
                    last[key] if len(windows) > 1 else None,
                    "it holds only the last window's terms: add up the gradients of every "
                    "window (the parameters are shared by all of them)",
                ),
                (
                    first[key] if len(windows) > 1 else None,
                    "it holds only the first window's terms: add up the gradients of every window",
                ),
                (
                    reset[key],
                    "each window's backward pass used h0 as its start state; the state is "
                    "carried forward, so use the state the previous window ended in",
                ),
            ],
        )


# ----------------------------------------------------------------------------------------------
# Exercise 2: global-norm clipping, and training that needs it
# ----------------------------------------------------------------------------------------------


def _grads(rng, scale):
    return {
        "U": scale * rng.normal(size=(3, 2)),
        "W": scale * rng.normal(size=(3, 3)),
        "b": scale * rng.normal(size=(3, 1)),
    }


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(
        np.shape(a[k]) == np.shape(b[k]) and np.allclose(a[k], b[k], rtol=1e-9, atol=1e-12)
        for k in a
    )


def _global_norm(grads) -> float:
    return float(np.sqrt(sum(np.sum(np.asarray(g, dtype=float) ** 2) for g in grads.values())))


def check_clip_by_global_norm(clip_by_global_norm, rng=None) -> None:
    """``clip_by_global_norm(grads, max_norm) -> (clipped, total_norm)``: one global norm."""
    rng = np.random.default_rng(7) if rng is None else rng
    for scale, max_norm in ((10.0, 1.0), (0.05, 1.0), (3.0, 2.5)):
        grads = _grads(rng, scale * rng.uniform(0.8, 1.2))
        original = {k: v.copy() for k, v in grads.items()}
        label = f"clip_by_global_norm(grads, max_norm={max_norm})"
        out = call_student(clip_by_global_norm, grads, max_norm, name="clip_by_global_norm")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed(
                f"{label} should return a pair (clipped_grads, total_norm), "
                f"got {type(out).__name__}"
            )
        got, total = out
        expect_true(
            _same(grads, original),
            f"{label} changed the grads it was given: build new arrays (g * scale), do not "
            "write into the originals (no *= on the input)",
        )
        if not isinstance(got, dict) or set(got) != set(grads):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            raise CheckFailed(f"{label} returned {keys}; expected a dict with keys {sorted(grads)}")
        got = {k: np.asarray(v, dtype=float) for k, v in got.items()}
        norm = _global_norm(grads)
        scale_ok = max_norm / norm if norm > max_norm else 1.0
        want = {k: g * scale_ok for k, g in grads.items()}
        total = float(np.asarray(total, dtype=float))
        if np.isclose(total, norm**2) and not np.isclose(norm**2, norm):
            raise CheckFailed(
                f"{label} returned total_norm = {total:.6g}, the sum of squares: take its "
                f"square root (expected {norm:.6g})"
            )
        if norm > max_norm and np.isclose(total, max_norm):
            raise CheckFailed(
                f"{label} returned total_norm = {total:.6g}, the norm after clipping: "
                f"report the norm measured before clipping ({norm:.6g})"
            )
        expect_close(
            f"{label}, total_norm",
            total,
            norm,
            hint="the global norm is sqrt(sum over all parameters and elements of g²)",
        )
        if _same(got, want):
            continue
        per_param = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
        if _same(got, per_param):
            raise CheckFailed(
                f"{label} clips each gradient by its own norm: the norm is global, one number "
                "for all parameters together, and every gradient is scaled by the same factor"
            )
        if _same(got, {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}):
            raise CheckFailed(
                f"{label} clips each element into [-max_norm, max_norm]: that is clipping by "
                "value, which changes the direction; rescale the whole gradient instead"
            )
        if norm <= max_norm:
            raise CheckFailed(
                f"{label} changed gradients whose global norm {norm:.3g} is already "
                "<= max_norm: leave them as they are and rescale only when the norm is larger"
            )
        for key in want:
            expect_close(
                f"{label}['{key}']",
                got[key],
                want[key],
                hint="when ‖g‖ > max_norm every gradient is multiplied by max_norm / ‖g‖",
            )


# the task of the training check: the delay task of notebook 04, y^(t) = x^(t − DELAY)
N_H, DELAY, T_TASK, BATCH, WINDOW, LR, STEPS = 16, 2, 20, 64, 5, 0.5, 150
MIN_ACCURACY = 0.95


def delay_task(rng, batch=BATCH, length=T_TASK, delay=DELAY):
    """Random bits, one-hot ``xs (T, 2, B)``; targets ``ys (T, B)``: the bit ``delay`` steps
    earlier (0 for the first steps)."""
    bits = rng.integers(0, 2, size=(length, batch))
    xs = np.stack([cells.one_hot(b, 2) for b in bits])
    ys = np.zeros_like(bits)
    ys[delay:] = bits[:-delay]
    return xs, ys


def initial_theta(rng, n_h=N_H):
    """A start that trains with clipping and explodes without: W with spectral radius 1."""
    W = rng.normal(size=(n_h, n_h))
    W *= 1.0 / np.max(np.abs(np.linalg.eigvals(W)))
    return {
        "U": rng.normal(0, 1.0, (n_h, 2)),
        "W": W,
        "b": np.zeros((n_h, 1)),
        "V": rng.normal(0, 0.1, (2, n_h)),
        "c": np.zeros((2, 1)),
    }


def delay_accuracy(theta, rng, batch=500, length=30) -> float:
    """Accuracy of argmax o^(t) on fresh sequences, at the steps t ≥ DELAY."""
    xs, ys = delay_task(rng, batch, length)
    cell = cells.ElmanCell(2, theta["W"].shape[0])
    logits, _ = bptt.sequence_forward(cell, theta, xs, cell.init_state(batch))
    return float((logits.argmax(axis=1)[DELAY:] == ys[DELAY:]).mean())


# over 40 starts, unclipped runs ended with weights ≥ 7.6 times as long (median 30), clipped ≤ 1.35
GROWTH = 3.0


def diverged(theta, trained, xs, ys) -> tuple[bool, float, float]:
    """Did a run from ``theta`` to ``trained`` diverge? ``-> (diverged, end loss, growth)``.

    Without clipping the loss jumps chaotically from step to step (between about 80 and 1,500
    in the last steps of one run), so the last value alone now and then lands below the start
    although the run diverged; the weights tell it reliably: ‖θ‖ grows by ``GROWTH`` times or
    more, while clipped runs stay within 1.35 times their starting length. A run diverged when
    its loss is not finite or ends above its start, or its weights grew that much."""
    length = lambda t: float(np.sqrt(sum(np.sum(np.square(v)) for v in t.values())))  # noqa: E731
    with np.errstate(all="ignore"):
        end = elman_loss(trained, xs, ys, np.zeros((theta["W"].shape[0], xs.shape[2])))[0]
        start = elman_loss(theta, xs, ys, np.zeros((theta["W"].shape[0], xs.shape[2])))[0]
        growth = length(trained) / length(theta)
    return bool(not np.isfinite(end) or end > start or not growth <= GROWTH), end, growth


def _trained(train_clipped, theta, xs, ys, max_norm, label):
    got = call_student(
        train_clipped,
        {k: v.copy() for k, v in theta.items()},
        xs.copy(),
        ys.copy(),
        k=WINDOW,
        lr=LR,
        steps=STEPS,
        max_norm=max_norm,
        name="train_clipped",
    )
    if not isinstance(got, dict) or set(got) != set(KEYS):
        keys = sorted(got) if isinstance(got, dict) else type(got).__name__
        raise CheckFailed(
            f"{label} should return the trained theta, a dict {list(KEYS)}; got {keys}"
        )
    for key in KEYS:
        expect_shape(f"{label}['{key}']", got[key], theta[key].shape)
    return {k: np.asarray(v, dtype=float) for k, v in got.items()}


def check_clipped_training(train_clipped, clip_by_global_norm, rng=None, seed=None) -> dict:
    """Exercise 2: the student's clipping and truncated BPTT train where plain SGD diverges.

    The grader trains twice with the student's ``train_clipped``: with ``max_norm=1`` the
    network must reach ``MIN_ACCURACY`` on fresh sequences (guessing gives 50 %); with
    ``max_norm=np.inf`` (no clipping) the same run must end with a larger training loss than
    it started with. Both are measured here, with the grader's own forward pass, from the
    weights the student's function returns. ``seed`` chooses the start and the data (default:
    3, or drawn from ``rng``). Returns the measurements.
    """
    check_clip_by_global_norm(clip_by_global_norm, rng)
    if seed is None:
        seed = 3 if rng is None else int(rng.integers(2**31))
    data_rng = np.random.default_rng(seed)
    theta = initial_theta(data_rng)
    xs, ys = delay_task(data_rng)
    start = elman_loss(theta, xs, ys, np.zeros((N_H, BATCH)))[0]
    label = f"train_clipped(theta, xs, ys, k={WINDOW}, lr={LR}, steps={STEPS}, max_norm=1.0)"
    clipped = _trained(train_clipped, theta, xs, ys, 1.0, label)
    with np.errstate(all="ignore"):
        end = elman_loss(clipped, xs, ys, np.zeros((N_H, BATCH)))[0]
        accuracy = delay_accuracy(clipped, np.random.default_rng(seed + 1))
    if not np.isfinite(end) or end > start:
        raise CheckFailed(
            f"{label}: the training loss went from {start:.4g} to {end:.4g}: with clipping it "
            "should fall. Is every gradient clipped before the step θ ← θ − lr · g?"
        )
    expect_true(
        accuracy >= MIN_ACCURACY,
        f"{label}: the trained network predicts the bit {DELAY} steps back with accuracy "
        f"{accuracy:.1%} on fresh sequences; expected ≥ {MIN_ACCURACY:.0%} (guessing gives "
        f"50 %). The training loss went from {start:.4g} to {end:.4g}. Check the update "
        "θ ← θ − lr · g for every key, and that each step starts from h0 = 0",
    )
    label_free = label.replace("max_norm=1.0", "max_norm=np.inf")
    free = _trained(train_clipped, theta, xs, ys, np.inf, label_free)
    blew_up, end_free, growth = diverged(theta, free, xs, ys)
    if not blew_up:
        raise CheckFailed(
            f"{label_free}: without clipping this run should diverge: its loss should end above "
            f"its start, {start:.4g}, or its weights grow to more than {GROWTH:g} times their "
            f"starting length; it ended at {end_free:.4g} with weights {growth:.3g} times as "
            "long. Does max_norm=np.inf switch clipping off, and does the step use lr as given "
            "(no rescaling of your own)?"
        )
    return {"start": start, "clipped": end, "accuracy": accuracy, "no clipping": end_free}


# ----------------------------------------------------------------------------------------------
# Exercise 3: the lag at which the Jacobian product falls below 1e-6
# ----------------------------------------------------------------------------------------------


def exercise3_W() -> np.ndarray:
    """A 6 × 6 matrix with spectral radius 0.9 that is not normal (its eigenvectors are far
    from orthogonal), so ‖W^k‖₂ first grows before it decays."""
    Q, _ = np.linalg.qr(np.random.default_rng(2024).normal(size=(6, 6)))
    D = np.diag([0.9, -0.9, 0.8, 0.6, -0.5, 0.3])
    D[0, 1], D[1, 2], D[2, 3] = 3.0, 2.0, 1.5  # a triangular coupling: transient growth
    return Q @ D @ np.linalg.inv(Q)


def check_lag_form(lag_below_1e6, W3) -> None:
    """Exercise 3, visible: W3 is the notebook's matrix, and the answer a whole number."""
    expect_true(
        isinstance(W3, np.ndarray) and W3.shape == (6, 6) and np.allclose(W3, exercise3_W()),
        "W3 is not the matrix the notebook built: run the cell that builds it again, "
        "and do not change W3",
    )
    check_number_form("lag_below_1e6", lag_below_1e6, whole="steps (a lag k ≥ 0)")
