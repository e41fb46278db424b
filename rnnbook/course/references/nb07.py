"""Instructor-only references for notebook 07: torch autograd on fresh weights, the answers.

The hidden tests draw fresh sizes and values (:func:`rnnbook.course.references.fresh_rng`),
compare the student's backward passes with autograd through ``torch.nn.LSTMCell`` and
``torch.nn.GRUCell`` carrying the same weights, and name a wrong gradient with the mistakes of
the visible checks.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from rnnbook.course.checks import CheckFailed, call_student, check_choice, check_number, unpack
from rnnbook.course.checks import nb07 as checks
from rnnbook.course.references import fresh_rng


def _sizes(rng):
    n_x, n_h = (int(v) for v in rng.choice(np.arange(2, 7), size=2, replace=False))
    return n_x, n_h, int(rng.integers(2, 8))


def lstm_autograd(p: dict) -> dict:
    """(dh_prev, dc_prev, dU, dW, db) by autograd through ``nn.LSTMCell`` with p's weights."""
    n_h, n_x = p["U"].shape[0] // 4, p["U"].shape[1]
    cell = torch.nn.LSTMCell(n_x, n_h).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(p["U"]))
        cell.weight_hh.copy_(torch.from_numpy(p["W"]))
        cell.bias_ih.copy_(torch.from_numpy(p["b"][:, 0]))
        cell.bias_hh.zero_()
    h = torch.tensor(p["h_prev"].T, requires_grad=True)
    c = torch.tensor(p["c_prev"].T, requires_grad=True)
    h_t, c_t = cell(torch.from_numpy(p["x_t"].T.copy()), (h, c))
    f = (torch.from_numpy(p["dh_t"].T) * h_t).sum() + (torch.from_numpy(p["dc_t"].T) * c_t).sum()
    f.backward()
    return {
        "dh_prev": h.grad.numpy().T,
        "dc_prev": c.grad.numpy().T,
        "dU": cell.weight_ih.grad.numpy(),
        "dW": cell.weight_hh.grad.numpy(),
        "db": cell.bias_ih.grad.numpy()[:, None],
    }


def gru_autograd(p: dict) -> dict:
    """(dh_prev, dU, dW, db_x, db_h) by autograd through ``nn.GRUCell`` with p's weights."""
    n_h, n_x = p["U"].shape[0] // 3, p["U"].shape[1]
    cell = torch.nn.GRUCell(n_x, n_h).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(p["U"]))
        cell.weight_hh.copy_(torch.from_numpy(p["W"]))
        cell.bias_ih.copy_(torch.from_numpy(p["b_x"][:, 0]))
        cell.bias_hh.copy_(torch.from_numpy(p["b_h"][:, 0]))
    h = torch.tensor(p["h_prev"].T, requires_grad=True)
    h_t = cell(torch.from_numpy(p["x_t"].T.copy()), h)
    (torch.from_numpy(p["dh_t"].T) * h_t).sum().backward()
    return {
        "dh_prev": h.grad.numpy().T,
        "dU": cell.weight_ih.grad.numpy(),
        "dW": cell.weight_hh.grad.numpy(),
        "db_x": cell.bias_ih.grad.numpy()[:, None],
        "db_h": cell.bias_hh.grad.numpy()[:, None],
    }


def hidden_lstm_step_backward(lstm_step_backward, repeats: int = 2) -> None:
    """Fresh sizes and values; the answer must agree with autograd through nn.LSTMCell."""
    rng = fresh_rng()
    for _ in range(repeats):
        n_x, n_h, batch = _sizes(rng)
        p = checks.lstm_problem(int(rng.integers(2**31)), n_x, n_h, batch)
        out = call_student(
            lstm_step_backward,
            *(p[k].copy() for k in ("dh_t", "dc_t", "x_t", "h_prev", "c_prev", "U", "W", "b")),
            name="lstm_step_backward",
            derive=True,
        )
        got = dict(zip(checks.LSTM_NAMES, unpack(out, "lstm_step_backward", checks.LSTM_NAMES)))
        label = f"lstm_step_backward on new sizes (n_x={n_x}, n_h={n_h}, B={batch})"
        checks.check_lstm_grads(got, lstm_autograd(p), p, label, "autograd through nn.LSTMCell")


def hidden_gru_step_backward(gru_step_backward, repeats: int = 2) -> None:
    """Fresh sizes and values; the answer must agree with autograd through nn.GRUCell."""
    rng = fresh_rng()
    for _ in range(repeats):
        n_x, n_h, batch = _sizes(rng)
        p = checks.gru_problem(int(rng.integers(2**31)), n_x, n_h, batch)
        out = call_student(
            gru_step_backward,
            *(p[k].copy() for k in ("dh_t", "x_t", "h_prev", "U", "W", "b_x", "b_h")),
            name="gru_step_backward",
            derive=True,
        )
        got = dict(zip(checks.GRU_NAMES, unpack(out, "gru_step_backward", checks.GRU_NAMES)))
        label = f"gru_step_backward on new sizes (n_x={n_x}, n_h={n_h}, B={batch})"
        checks.check_gru_grads(got, gru_autograd(p), p, label, "autograd through nn.GRUCell")


def hidden_train_recall(train_recall) -> None:
    """Fresh sequences (τ from 12 to 16, 3 or 4 symbols), held-out accuracy ≥ 0.9 in one of two
    runs on new sequences (training now and then stalls by bad luck; see checks.check_recall)."""
    rng = fresh_rng()
    checks.check_recall(
        train_recall,
        T=int(rng.integers(12, 17)),
        n_y=int(rng.integers(3, 5)),
        n_h=int(rng.integers(12, 17)),
        seed=int(rng.integers(2**31)),
        attempts=2,
    )


# ---- exercise 4: the lag at which the cell-state gradient falls below 1e-6 -------------------

FORGET_BIAS = 1.0


def q4_answer() -> int:
    """The smallest k with σ(1)^k < 1e-6: along the cell state each step back multiplies by f."""
    f = 1.0 / (1.0 + math.exp(-FORGET_BIAS))
    return math.floor(math.log(1e-6) / math.log(f)) + 1


def hidden_q4(answer_q4) -> None:
    check_number(
        "answer_q4",
        answer_q4,
        q4_answer(),
        rtol=0.0,
        atol=0.5,
        why="each step back along the cell state multiplies the gradient by the forget gate "
        "f = σ(1) ≈ 0.731, and by nothing else; after k steps the factor is f^k",
    )


# ---- exercise 5: a GRU whose update gates are saturated at 1 ---------------------------------

Q5_CORRECT = "b"
Q5_WHY_WRONG = {
    "a": "a saturated update gate closes the paths through the candidate and the gates (their "
    "factors 1 − z and z(1 − z) are 0), but not the direct path: h^(t) = z ⊙ h^(t-1) + … "
    "carries dh_t back with factor z = 1",
    "c": "every path through W is multiplied by 1 − z (the candidate) or by z(1 − z) (the "
    "update gate's sigmoid), and both are 0 when z = 1; W does not appear",
    "d": "(1 − h²) is the Elman cell's tanh derivative; with z = 1 the GRU's new state is a copy "
    "of the old one, and a copy passes its gradient through unchanged",
}


def hidden_q5(answer_q5) -> None:
    check_choice("answer_q5", answer_q5, Q5_CORRECT, Q5_WHY_WRONG)


# ---- exercise 6: the parameters of nn.LSTM(28, 64, num_layers=2) -----------------------------

Q6_SIZES = (28, 64, 2)


def q6_answer() -> int:
    n_x, n_h, layers = Q6_SIZES
    lstm = torch.nn.LSTM(n_x, n_h, num_layers=layers)
    return sum(p.numel() for p in lstm.parameters())


def _count(gates=4, biases=2, upper_reads_x=False, layers=Q6_SIZES[2]) -> int:
    n_x, n_h, _ = Q6_SIZES
    return sum(
        gates * n_h * ((n_x if k == 0 or upper_reads_x else n_h) + n_h) + biases * gates * n_h
        for k in range(layers)
    )


Q6_MISTAKES = {
    _count(biases=1): "nn.LSTM keeps two bias vectors per layer, bias_ih and bias_hh",
    _count(biases=0): "the biases are left out: two vectors of 4n_h per layer",
    _count(upper_reads_x=True): "the second layer reads the first layer's h, so its input size "
    "is n_h, not n_x",
    _count(gates=1): "each weight matrix holds one block of rows per gate: four blocks",
    _count(layers=1): "that is one layer; num_layers=2 stacks a second one",
    _count(gates=3): "three blocks of rows is a GRU's count; an LSTM has four (i, f, g, o)",
}


def hidden_q6(answer_q6) -> None:
    want = q6_answer()
    try:
        value = int(answer_q6)
    except (TypeError, ValueError):
        value = None
    if value in Q6_MISTAKES and value != want:
        raise CheckFailed(f"answer_q6 = {value} is not right: {Q6_MISTAKES[value]}")
    check_number("answer_q6", answer_q6, want, rtol=0.0, atol=0.5)
