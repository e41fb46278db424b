"""Checks for the exercises of notebook 08 (training on a GPU, throughput, data parallelism).

Everything here runs on a CPU in a fraction of a second. Exercise 1 is compared with central
finite differences (float64) of the whole batch's loss; exercise 2 with one plain SGD step on
the whole batch, taken by the check itself from the same weights. When an answer is wrong, the
check replays the plausible mistakes and names the one that matches.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import torch

from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_gradient,
    same,
)
from rnnbook.course.hints import Hints
from rnnbook.gradcheck import numerical_grads
from rnnbook.lm import IGNORE_INDEX, RNNLM, count_targets, lm_loss

HINTS = {
    "ex1": [
        "Write the whole batch's loss L as a sum over the ranks: the terms of rank r add up to "
        "counts[r] times that rank's mean L_r.",
        "The gradient is linear: the gradient of a sum of terms is the sum of their gradients, "
        "and a constant factor in front of a loss stays in front of its gradient.",
        "Check your rule on the two special cases you know: one rank holding everything, and "
        "ranks that all hold the same number of terms.",
    ],
    "ex2": [
        "Cut the rows into consecutive micro-batches x[j:j + micro_batch]. For each, compute "
        "its loss with lm_loss and its gradients (torch.autograd.grad, or backward and a copy of "
        "every p.grad), and count its targets with rnnbook.lm.count_targets.",
        "Combine the micro-batch gradients with your combine_gradients from exercise 1; the "
        "counts are targets, not rows, because rows may end in padding (-100).",
        "Take the step once, at the end, under torch.no_grad(): p -= lr * g for every "
        "parameter, and return the model and the list of micro-batch losses as floats.",
    ],
    "ex3": [
        "The tokens of one step are batch_size × num_steps. Which steps count, and when did "
        "the first of them start?",
        "The timed steps start when the last warm-up step ends: wall_time[skip - 1].",
    ],
    "ex4": [
        "Which quantities grow with the number of rows a forward pass holds at once, and which "
        "do not depend on it at all?",
        "Section 2 of the lecture measures what the batch size does to the tokens per second.",
    ],
    "ex5": [
        "First the size of one full gradient in bytes: one float32 number per parameter.",
        "Section 7 of the lecture gives what a ring all-reduce sends per rank, as a multiple "
        "of the gradient's size that depends on R.",
    ],
}
hint = Hints("08", HINTS)


# ----------------------------------------------------------------------------------------------
# Exercise 1: the whole batch's gradient from the ranks' gradients
# ----------------------------------------------------------------------------------------------


def softmax_regression_loss(theta: dict, X: np.ndarray, y: np.ndarray) -> float:
    """The mean cross-entropy of a softmax regression: scores X @ A.T + a, rows are examples."""
    o = X @ theta["A"].T + theta["a"]
    o = o - o.max(axis=1, keepdims=True)
    log_p = o - np.log(np.exp(o).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def ranks_problem(seed: int, counts=(5, 2, 9), n_in: int = 3, n_out: int = 4):
    """Data split over ranks by ``counts``: (theta, [(X_r, y_r)], (X, y))."""
    rng = np.random.default_rng(seed)
    theta = {"A": rng.normal(size=(n_out, n_in)), "a": rng.normal(size=n_out)}
    X = rng.normal(size=(sum(counts), n_in))
    y = rng.integers(0, n_out, size=sum(counts))
    edges = np.cumsum((0,) + tuple(counts))
    shards = [(X[s:e], y[s:e]) for s, e in zip(edges[:-1], edges[1:])]
    return theta, shards, (X, y)


def _fd(theta, X, y) -> list[np.ndarray]:
    num = numerical_grads(lambda q: softmax_regression_loss(q, X, y), theta)
    return [num["A"], num["a"]]


def combine_mistakes(grads, counts) -> list[tuple[list, str]]:
    """What the plausible wrong combinations give, parameter by parameter."""
    R, N = len(grads), float(sum(counts))
    K = len(grads[0])
    inverse = [1.0 / n for n in counts]

    def mix(weights):
        return [
            sum(w * np.asarray(g[k], dtype=float) for w, g in zip(weights, grads)) for k in range(K)
        ]

    spread = f"here they hold {', '.join(str(int(n)) for n in counts)}"
    return [
        (
            mix([1.0 / R] * R),
            "the plain mean over ranks is the whole batch's gradient only when "
            f"every rank holds the same number of terms; {spread}",
        ),
        (
            mix([1.0] * R),
            "the ranks' gradients are summed, not combined into the gradient of the "
            "whole batch's mean loss (it is too large by a factor near the number of ranks)",
        ),
        (
            mix(list(counts)),
            "each rank is weighted by its count, but the result is not divided by "
            "the total count N: the whole batch's loss is a mean over all N terms",
        ),
        (
            mix([w / sum(inverse) for w in inverse]),
            "the weights are inverted: a rank with more "
            "terms carries more of the whole batch's loss, not less",
        ),
        (
            mix([n / N / R for n in counts]),
            "after weighting by the counts the result is divided by the number of ranks once more",
        ),
    ]


def _as_list(out, K: int, label: str) -> list:
    if not isinstance(out, (list, tuple)) or len(out) != K:
        got = f"a {type(out).__name__}" + (
            f" of length {len(out)}" if isinstance(out, (list, tuple)) else ""
        )
        raise CheckFailed(
            f"{label} should return a list of {K} gradients (one per parameter), got {got}"
        )
    return list(out)


def expect_combined(got, want, grads, counts, label: str) -> None:
    """``got`` must equal ``want`` (the whole batch's gradient); name a known mistake if not."""
    got = _as_list(got, len(want), label)
    mistakes = combine_mistakes(grads, counts)
    for k, (g, w) in enumerate(zip(got, want)):
        expect_gradient(
            f"{label}: gradient {k}",
            g,
            w,
            mistakes=[(m[k], t) for m, t in mistakes],
            reference="the whole batch's gradient",
        )


def check_combine_gradients(combine_gradients) -> None:
    """Exercise 1: three ranks holding 5, 2 and 9 examples of a softmax regression's batch."""
    for seed, counts in ((0, (5, 2, 9)), (1, (4, 11))):
        theta, shards, (X, y) = ranks_problem(seed, counts)
        grads = [_fd(theta, Xr, yr) for Xr, yr in shards]
        given = [[g.copy() for g in rank] for rank in grads]
        label = f"combine_gradients(counts={list(counts)})"
        out = call_student(combine_gradients, given, list(counts), name="combine_gradients")
        if any(not np.array_equal(a, b) for ra, rb in zip(given, grads) for a, b in zip(ra, rb)):
            raise CheckFailed(f"{label} changed the gradients it was given; return new ones")
        expect_combined(out, _fd(theta, X, y), grads, counts, label)


# ----------------------------------------------------------------------------------------------
# Exercise 2: gradient accumulation equals one step on the whole batch
# ----------------------------------------------------------------------------------------------


def lm_batch(seed: int, B: int, T: int, V: int):
    """Token rows ``x, y (B, T)`` (int64), each row's targets padded at the end with -100."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, V, size=(B, T))
    y = rng.integers(0, V, size=(B, T))
    lengths = rng.integers(1, T + 1, size=B)  # real targets per row: 1 .. T
    lengths[rng.integers(B)] = T
    for row, n in enumerate(lengths):
        y[row, n:] = IGNORE_INDEX
    return x, y


def small_lm(seed: int, V: int, n_h: int) -> RNNLM:
    torch.manual_seed(seed)
    return RNNLM(V, n_h, "gru", embed_dim=3).double()


def chunk_loss_and_grads(model, x, y) -> tuple[float, list[torch.Tensor], int]:
    """The mean loss per target of rows ``x, y``, its gradients, and its number of targets."""
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    loss = lm_loss(model(x)[0], y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    return loss.item(), [g.detach().clone() for g in grads], count_targets(y)


def _stepped(model, grads, lr):
    out = copy.deepcopy(model)
    with torch.no_grad():
        for p, g in zip(out.parameters(), grads):
            p -= lr * g
    return [p.detach().numpy().copy() for p in out.parameters()]


def accumulation_outcomes(model, x, y, micro_batch: int, lr: float) -> dict:
    """The right step and the plausible mistakes: name -> parameters after the step."""
    edges = list(range(0, len(x), micro_batch))
    chunks = [
        chunk_loss_and_grads(model, x[s : s + micro_batch], y[s : s + micro_batch]) for s in edges
    ]
    K = len(chunks[0][1])

    def mix(weights):
        return [sum(w * c[1][k] for w, c in zip(weights, chunks)) for k in range(K)]

    counts = [c[2] for c in chunks]
    rows = [len(x[s : s + micro_batch]) for s in edges]
    n = len(chunks)
    sequential = copy.deepcopy(model)
    for s in edges:
        _, g, _ = chunk_loss_and_grads(sequential, x[s : s + micro_batch], y[s : s + micro_batch])
        with torch.no_grad():
            for p, gk in zip(sequential.parameters(), g):
                p -= lr * gk
    return {
        "losses": [c[0] for c in chunks],
        "counts": counts,
        "right": _stepped(model, chunk_loss_and_grads(model, x, y)[1], lr),
        "mistakes": [
            (
                _stepped(model, mix([r / sum(rows) for r in rows]), lr),
                "the micro-batches are weighted by their rows, but the loss is a mean over the "
                "targets that count, and rows ending in padding (-100) hold fewer: weight by the "
                "number of targets (rnnbook.lm.count_targets)",
            ),
            (
                _stepped(model, mix([1.0 / n] * n), lr),
                "the micro-batch gradients are averaged with equal weights; the micro-batches hold "
                f"{', '.join(map(str, counts))} targets, so each must count in proportion",
            ),
            (
                _stepped(model, mix([1.0] * n), lr),
                "the micro-batch gradients are summed (backward on each micro-batch's mean loss "
                "without scaling it): the step is too large",
            ),
            (
                _stepped(model, mix([0.0] * (n - 1) + [1.0]), lr),
                "only the last micro-batch's gradient was used: were the gradients zeroed inside "
                "the loop?",
            ),
            (
                [p.detach().numpy().copy() for p in sequential.parameters()],
                "the parameters were updated after every micro-batch; accumulation takes one step, "
                "after the last micro-batch",
            ),
        ],
    }


def expect_accumulated(out, start, x, y, micro_batch, lr, label) -> None:
    """Check (model, losses) against the whole batch's step taken from ``start``."""
    ref = accumulation_outcomes(start, x, y, micro_batch, lr)
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise CheckFailed(
            f"{label} should return the pair (model, losses), got {type(out).__name__}"
        )
    model, losses = out
    if not isinstance(model, torch.nn.Module):
        raise CheckFailed(
            f"{label}: the first value returned should be the model, got {type(model).__name__}"
        )
    n = len(ref["losses"])
    sizes = [len(x[s : s + micro_batch]) for s in range(0, len(x), micro_batch)]
    if not isinstance(losses, (list, tuple)) or len(losses) != n:
        got = len(losses) if isinstance(losses, (list, tuple)) else type(losses).__name__
        raise CheckFailed(
            f"{label}: losses should hold one loss per micro-batch: {n} micro-batches of "
            f"{', '.join(map(str, sizes))} rows (the last one is smaller), got {got}"
        )
    params = [p.detach().numpy() for p in model.parameters()]
    if [p.shape for p in params] != [p.shape for p in ref["right"]]:
        raise CheckFailed(
            f"{label}: the returned model's parameters do not have the shapes of "
            "the model it was given"
        )
    first = [p.detach().numpy() for p in start.parameters()]
    if all(np.array_equal(a, b) for a, b in zip(params, first)):
        raise CheckFailed(
            f"{label}: the returned model still has its starting weights: take the "
            "step (and return the model you updated)"
        )
    if all(same(a, b, rtol=1e-5, atol=1e-9) for a, b in zip(params, ref["right"])):
        _expect_losses(losses, ref["losses"], sizes, micro_batch, label)
        return
    for wrong, what in ref["mistakes"]:
        if all(same(a, b, rtol=1e-5, atol=1e-9) for a, b in zip(params, wrong)):
            raise CheckFailed(
                f"{label}: the step differs from one SGD step on the whole batch: {what}"
            )
    names = [name for name, _ in start.named_parameters()]
    k = max(range(len(params)), key=lambda i: float(np.abs(params[i] - ref["right"][i]).max()))
    raise CheckFailed(
        f"{label}: the step differs from one SGD step on the whole batch's mean loss; the "
        f"largest difference is in {names[k]}, "
        f"{float(np.abs(params[k] - ref['right'][k]).max()):.2g}"
    )


def _expect_losses(losses, want_all, sizes, micro_batch, label) -> None:
    for j, (got, want) in enumerate(zip(losses, want_all)):
        try:
            value = float(got)
        except (TypeError, ValueError):
            raise CheckFailed(
                f"{label}: losses[{j}] should be a number, got {type(got).__name__}"
            ) from None
        if not math.isclose(value, want, rel_tol=1e-5, abs_tol=1e-8):
            raise CheckFailed(
                f"{label}: losses[{j}] is {value:.6g}, expected {want:.6g}, the mean loss per "
                f"target of rows {j * micro_batch}:{j * micro_batch + sizes[j]} at the starting "
                "weights: cut the batch into consecutive micro-batches, in order"
            )


def run_accumulated_step(accumulated_step, seed, B, T, V, n_h, micro_batch, lr, label) -> None:
    """Call the student's ``accumulated_step`` on a fresh copy of a small model (seeded by
    ``seed``, ``V`` tokens, ``n_h`` units) and a batch of ``B`` rows of ``T`` tokens with some
    padding, and compare the step it takes with one SGD step on the whole batch."""
    x, y = lm_batch(seed, B, T, V)
    start = small_lm(seed, V, n_h)
    out = call_student(
        accumulated_step,
        copy.deepcopy(start),
        x.copy(),
        y.copy(),
        micro_batch,
        lr,
        name="accumulated_step",
    )
    expect_accumulated(out, start, x, y, micro_batch, lr, label)


def check_accumulated_step(accumulated_step) -> None:
    """Exercise 2: 7 rows in micro-batches of at most 3 (3, 3, 1), padding in some rows."""
    for seed, (B, T, micro) in ((0, (7, 5, 3)), (1, (5, 4, 2))):
        label = f"accumulated_step(B={B}, micro_batch={micro})"
        run_accumulated_step(accumulated_step, seed, B, T, 6, 4, micro, 0.5, label)


# ----------------------------------------------------------------------------------------------
# Exercises 3 and 4: the form of the answers (the values are graded when you hand in)
# ----------------------------------------------------------------------------------------------

# A run recorded on a GPU: wall_time[i] is the time in seconds at which step i + 1 finished
# (rnnbook.training.History.wall_time), for batches of 64 sequences of 128 tokens.
RECORDED_RUN = {
    "batch_size": 64,
    "num_steps": 128,
    "skip": 3,
    "wall_time": [
        2.91,
        3.62,
        3.79,
        3.861,
        3.933,
        4.004,
        4.077,
        4.148,
        4.219,
        4.291,
        4.364,
        4.435,
        4.507,
        4.578,
        4.650,
    ],
}


def check_q3(answer_q3) -> None:
    """Exercise 3: a positive, finite number of tokens per second."""
    check_number_form("answer_q3", answer_q3, positive=True)


def check_q4(answer_q4) -> None:
    """Exercise 4: one letter among a, b, c, d."""
    check_choice_form("answer_q4", answer_q4)


def check_q5(answer_q5) -> None:
    """Exercise 5: a positive, finite number of megabytes."""
    check_number_form("answer_q5", answer_q5, positive=True)
