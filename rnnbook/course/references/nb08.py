"""Instructor-only references for notebook 08: fresh problems for the hidden tests, the answers.

The whole batch's gradient comes from autograd on the whole batch (exercise 1) and the reference
step is one plain SGD step on the whole batch (exercise 2), on sizes and values drawn afresh
(:func:`rnnbook.course.references.fresh_rng`) at every grading.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnbook.course.checks import CheckFailed, call_student, check_choice, check_number
from rnnbook.course.checks import nb08 as checks
from rnnbook.course.references import fresh_rng


def _uneven_counts(rng) -> list[int]:
    while True:
        counts = [int(n) for n in rng.integers(1, 13, size=int(rng.integers(2, 6)))]
        if len(set(counts)) > 1:
            return counts


def hidden_combine_gradients(combine_gradients) -> None:
    """Fresh ranks and counts; per-rank gradients of a linear layer's mean cross-entropy by
    autograd (torch tensors), compared with autograd on the whole batch."""
    rng = fresh_rng()
    counts = _uneven_counts(rng)
    n_in, n_out = int(rng.integers(2, 6)), int(rng.integers(2, 6))
    torch.manual_seed(int(rng.integers(2**31)))
    layer = torch.nn.Linear(n_in, n_out).double()
    X = torch.from_numpy(rng.normal(size=(sum(counts), n_in)))
    y = torch.from_numpy(rng.integers(0, n_out, size=sum(counts)))

    def grads(rows):
        loss = torch.nn.functional.cross_entropy(layer(X[rows]), y[rows])
        return [g.detach() for g in torch.autograd.grad(loss, list(layer.parameters()))]

    edges = np.cumsum([0] + counts)
    per_rank = [grads(slice(s, e)) for s, e in zip(edges[:-1], edges[1:])]
    label = f"combine_gradients on {len(counts)} new ranks (counts={counts})"
    out = call_student(
        combine_gradients,
        [[g.clone() for g in r] for r in per_rank],
        list(counts),
        name="combine_gradients",
    )
    want = [g.numpy() for g in grads(slice(None))]
    checks.expect_combined(out, want, [[g.numpy() for g in r] for r in per_rank], counts, label)


def hidden_accumulated_step(accumulated_step) -> None:
    """Fresh model, batch, padding, micro-batch size (never dividing the batch) and rate."""
    rng = fresh_rng()
    B = int(rng.integers(5, 12))
    micro = int(rng.choice([m for m in range(2, B) if B % m]))
    T, V, n_h = int(rng.integers(2, 8)), int(rng.integers(4, 10)), int(rng.integers(2, 7))
    lr = float(rng.uniform(0.1, 1.0))
    seed = int(rng.integers(2**31))
    label = f"accumulated_step on a new batch (B={B}, T={T}, micro_batch={micro})"
    checks.run_accumulated_step(accumulated_step, seed, B, T, V, n_h, micro, lr, label)


# ---- exercise 3: steady throughput read off a recorded run -----------------------------------


def q3_answer() -> float:
    run = checks.RECORDED_RUN
    w, skip = run["wall_time"], run["skip"]
    return (len(w) - skip) * run["batch_size"] * run["num_steps"] / (w[-1] - w[skip - 1])


def _q3_mistakes() -> list[tuple[float, str]]:
    run = checks.RECORDED_RUN
    w, skip, tokens = run["wall_time"], run["skip"], run["batch_size"] * run["num_steps"]
    n = len(w)
    return [
        (
            n * tokens / w[-1],
            "that is the average over the whole run, warm-up included; the "
            "question asks for the steady rate after the warm-up steps",
        ),
        (
            (n - skip) * tokens / w[-1],
            "the tokens of the timed steps are divided by the whole "
            "run's time, warm-up included: the clock must start when the last warm-up step ends",
        ),
        (
            n * tokens / (w[-1] - w[skip - 1]),
            "the warm-up steps' tokens are counted, but not their time",
        ),
        (
            (n - skip) * tokens / (w[-1] - w[skip]),
            "the clock starts one step late: the first "
            "timed step begins when the last warm-up step ends, at wall_time[skip - 1]",
        ),
        (
            (n - skip) * run["batch_size"] / (w[-1] - w[skip - 1]),
            "that counts sequences, not tokens: every sequence holds num_steps tokens",
        ),
    ]


def hidden_q3(answer_q3) -> None:
    want = q3_answer()
    try:
        value = float(answer_q3)
    except (TypeError, ValueError):
        value = None
    if value is not None and abs(value - want) > 0.01 * want:
        for wrong, why in _q3_mistakes():
            if abs(value - wrong) <= 0.01 * abs(wrong):
                raise CheckFailed(f"answer_q3 = {value:.6g} is not right: {why}")
    check_number("answer_q3", answer_q3, want, rtol=0.01)


# ---- exercise 4: what gradient accumulation costs and saves ----------------------------------

Q4_CORRECT = "a"
Q4_WHY_WRONG = {
    "b": "a forward pass over 16 rows keeps the device less busy than one over 64 (section 2: "
    "throughput rises with the batch size until the device is busy), and four of them run one "
    "after the other, so the step takes longer",
    "c": "the accumulated gradient is the mean over all 64 rows, exactly the large batch's "
    "gradient (your exercise 2): the update is the same, not noisier",
    "d": "the parameters, their gradients and the optimiser's state do not depend on the batch "
    "at all; only the activations a backward pass keeps, which grow with the rows held at once, "
    "shrink",
}


def hidden_q4(answer_q4) -> None:
    check_choice("answer_q4", answer_q4, Q4_CORRECT, Q4_WHY_WRONG)


# ---- exercise 5: what a ring all-reduce sends per rank ---------------------------------------

Q5_PARAMS, Q5_RANKS = 25_000_000, 8


def q5_answer() -> float:
    """Megabytes (10^6 bytes) each rank sends per step: 2 (R - 1) / R times the float32 gradient."""
    return 2 * (Q5_RANKS - 1) / Q5_RANKS * Q5_PARAMS * 4 / 1e6


def hidden_q5(answer_q5) -> None:
    grad_mb = Q5_PARAMS * 4 / 1e6
    mistakes = [
        (
            grad_mb,
            "that is the size of one gradient; a ring all-reduce sends about "
            "2 (R - 1) / R times it per rank (a reduce-scatter, then an all-gather)",
        ),
        (
            2 * grad_mb,
            "the factor is 2 (R - 1) / R, not 2: each rank sends R - 1 of the R chunks, twice",
        ),
        (
            (Q5_RANKS - 1) / Q5_RANKS * grad_mb,
            "that is one of the two phases; the ring sends the "
            "chunks once to reduce them and once more to share the result",
        ),
        (2 * (Q5_RANKS - 1) / Q5_RANKS * Q5_PARAMS / 1e6, "a float32 number takes 4 bytes"),
        (
            2 * (Q5_RANKS - 1) * grad_mb,
            "a rank sends R - 1 chunks of 1/R of the gradient per phase, not R - 1 whole gradients",
        ),
    ]
    try:
        value = float(answer_q5)
    except (TypeError, ValueError):
        value = None
    want = q5_answer()
    if value is not None and abs(value - want) > 0.01 * want:
        for wrong, why in mistakes:
            if abs(value - wrong) <= 0.01 * wrong:
                raise CheckFailed(f"answer_q5 = {value:.6g} is not right: {why}")
    check_number("answer_q5", answer_q5, want, rtol=0.01)
