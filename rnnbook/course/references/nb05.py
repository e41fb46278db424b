"""Instructor-only references for the exercises of notebook 05 (not in the students' copy)."""

from __future__ import annotations

import numpy as np

from rnnbook import bptt, cells
from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice,
    expect_attempted,
    expect_gradient,
)
from rnnbook.course.checks import nb05 as visible
from rnnbook.course.references import fresh_rng


def truncated_bptt(theta, xs, ys, h0, k):
    """Truncated BPTT in windows of k steps (``truncate_mode="chunk"`` of the library)."""
    cell = cells.ElmanCell(xs.shape[1], theta["W"].shape[0])
    r = bptt.sequence_loss_and_grads(
        cell, theta, xs, ys, cells.ElmanState(h0), truncate=k, truncate_mode="chunk"
    )
    return r.loss, r.grads, r.final_state.h


def check_truncated_bptt(truncated_bptt_student) -> None:
    """Exercise 1, hidden: fresh sizes and windows, the finite-difference check, then the
    reference on a larger case (the windows not dividing T)."""
    rng = fresh_rng()
    visible.check_truncated_bptt(truncated_bptt_student, rng)
    T = int(rng.integers(11, 17))
    k = int(rng.choice([k for k in range(3, 8) if T % k]))
    theta, xs, ys, h0 = visible.random_case(rng, 3, 6, 5, 4, T)
    loss, grads, h_T = call_student(
        truncated_bptt_student,
        {n: v.copy() for n, v in theta.items()},
        xs.copy(),
        ys.copy(),
        h0.copy(),
        k,
        name="truncated_bptt",
        derive=True,
    )
    ref_loss, ref_grads, ref_h = truncated_bptt(theta, xs, ys, h0, k)
    if not np.isclose(float(loss), ref_loss, rtol=1e-7):
        raise CheckFailed(f"truncated_bptt: loss {float(loss):.6g}, expected {ref_loss:.6g}")
    if not np.allclose(np.asarray(h_T, dtype=float), ref_h, rtol=1e-7, atol=1e-10):
        raise CheckFailed("truncated_bptt: h_T differs from the state after the last step")
    for key in visible.KEYS:
        expect_gradient(f"truncated_bptt(T={T}, k={k}): grads['{key}']", grads[key], ref_grads[key])


def reference_train_clipped(theta, xs, ys, max_norm):
    """The exercise's training run: ``visible.STEPS`` SGD steps at rate ``visible.LR`` on the
    truncated BPTT gradient (windows of ``visible.WINDOW``), clipped to ``max_norm`` (np.inf:
    no clipping). A run whose loss or gradient stops being finite ends there."""
    theta = {k: v.copy() for k, v in theta.items()}
    h0 = np.zeros((theta["W"].shape[0], xs.shape[2]))
    with np.errstate(all="ignore"):
        for _ in range(visible.STEPS):
            loss, grads, _ = truncated_bptt(theta, xs, ys, h0, visible.WINDOW)
            if not np.isfinite(loss) or not all(np.all(np.isfinite(g)) for g in grads.values()):
                break
            norm = np.sqrt(sum(float(np.sum(g**2)) for g in grads.values()))
            scale = max_norm / norm if norm > max_norm else 1.0
            theta = {k: v - visible.LR * scale * grads[k] for k, v in theta.items()}
    return theta


def telling_seed(rng: np.random.Generator, tries: int = 50) -> int:
    """A seed of a start and data on which the reference run learns the task with clipping and
    diverges without, so that the measurement tells a right answer from a wrong one.

    A start where the reference does not diverge without clipping, or does not learn with it,
    would fail a correct answer; it is drawn again (none was in 150 draws measured)."""
    for _ in range(tries):
        seed = int(rng.integers(2**31))
        data_rng = np.random.default_rng(seed)
        theta = visible.initial_theta(data_rng)
        xs, ys = visible.delay_task(data_rng)
        h0 = np.zeros((visible.N_H, visible.BATCH))
        start = visible.elman_loss(theta, xs, ys, h0)[0]
        if not visible.diverged(theta, reference_train_clipped(theta, xs, ys, np.inf), xs, ys)[0]:
            continue
        clipped = reference_train_clipped(theta, xs, ys, 1.0)
        with np.errstate(all="ignore"):
            end = visible.elman_loss(clipped, xs, ys, h0)[0]
        accuracy = visible.delay_accuracy(clipped, np.random.default_rng(seed + 1))
        if end < start and accuracy >= visible.MIN_ACCURACY:
            return seed
    raise RuntimeError(f"no start in {tries} draws both trains with clipping and diverges without")


def check_clipped_training(train_clipped, clip_by_global_norm) -> dict:
    """Exercise 2, hidden: the same measurement on a fresh start, fresh data, fresh gradients
    (a start on which the reference itself tells clipping from none: :func:`telling_seed`)."""
    rng = fresh_rng()
    seed = telling_seed(rng)
    return visible.check_clipped_training(train_clipped, clip_by_global_norm, rng, seed=seed)


# ----------------------------------------------------------------------------------------------
# Exercise 3: the lag below 1e-6
# ----------------------------------------------------------------------------------------------


def jacobian_norms(W: np.ndarray, lags: int) -> np.ndarray:
    """‖W^k‖₂ for k = 0 … lags."""
    out, P = [], np.eye(W.shape[0])
    for _ in range(lags + 1):
        out.append(np.linalg.norm(P, 2))
        P = W @ P
    return np.array(out)


def lag_below(W: np.ndarray, threshold: float = 1e-6) -> int:
    norms = jacobian_norms(W, 2000)
    return int(np.argmax(norms < threshold))


def check_lag(value) -> None:
    value = expect_attempted(value, "lag_below_1e6")
    try:
        got = float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"lag_below_1e6 should be a number, got {type(value).__name__}") from None
    W = visible.exercise3_W()
    answer = lag_below(W)
    rho = float(np.max(np.abs(np.linalg.eigvals(W))))
    from_rho = int(np.ceil(np.log(1e-6) / np.log(rho)))
    if np.isclose(got, answer):
        return
    if np.isclose(got, from_rho):
        raise CheckFailed(
            f"lag_below_1e6 = {got:g} is where ρ(W)^k falls below 1e-6. The spectral radius "
            "gives only the asymptotic rate: this W is not normal, and ‖W^k‖ first grows "
            "(by a factor of about 30) before it decays, so it needs more lags. Compute the "
            "norms of the matrix powers themselves"
        )
    if np.isclose(got, answer - 1):
        raise CheckFailed(
            f"lag_below_1e6 = {got:g} is the last lag whose norm is still above 1e-6; the "
            "question asks for the first lag below it"
        )
    if np.isclose(got, answer + 1):
        raise CheckFailed(
            f"lag_below_1e6 = {got:g} is one lag too late: count the lags from k = 0, where "
            "the Jacobian is the identity"
        )
    raise CheckFailed(
        f"lag_below_1e6 = {got:g} is not right: compute ‖W^k‖₂ for k = 0, 1, 2, … with the "
        "matrix power (not W**k, which acts element by element) and the spectral norm, and "
        "take the first k below 1e-6"
    )


# ----------------------------------------------------------------------------------------------
# Exercises 4 and 5: multiple choice
# ----------------------------------------------------------------------------------------------

Q4_ANSWER = "b"
Q4_WHY = {
    "a": "the state is carried forward from window to window, so the bit can reach step t "
    "through h; what is stopped at a window boundary is the gradient, not the state",
    "c": "the terms truncation drops are exactly the ones that link L^(t) to step t − 8; with "
    "windows of 5 steps no kept term does, so there is nothing to learn slowly from "
    "(notebook 04 shows a window one step too short leaving the network at chance)",
    "d": "clipping only rescales the gradient the network has; it cannot create the missing "
    "long-lag terms",
}

Q5_ANSWER = "c"
Q5_WHY = {
    "a": "clipping only shortens gradients longer than the threshold; the terms from 30 steps "
    "back are tiny, and a lower threshold makes nothing larger",
    "b": "clipping by value also only makes large elements smaller; tiny long-lag terms stay "
    "tiny (and the direction of the step changes)",
    "d": "a larger learning rate scales every term by the same factor: the long-lag terms stay "
    "negligible next to the short-lag ones, while the steps on the short-lag terms become "
    "too large",
}


def check_q4(value) -> None:
    check_choice("answer_q4", value, Q4_ANSWER, Q4_WHY)


def check_q5(value) -> None:
    check_choice("answer_q5", value, Q5_ANSWER, Q5_WHY)
