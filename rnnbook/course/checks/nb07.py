"""Checks for the exercises of notebook 07 (LSTM and GRU).

The backward passes are compared with central finite differences of the forward step in
float64; nothing here holds a backward pass. When a gradient is wrong, the check replays the
plausible mistakes as finite differences of a *changed* forward step (one whose derivative is
the mistaken one: a path cut, a factor dropped, a gate derivative written wrongly) and names the
one that matches; otherwise it says which gate's block of rows is wrong.

Shapes follow the numpy half of the course: columns are examples, ``x_t (n_x, B)``,
``h_t, c_t (n_h, B)``; LSTM ``U (4n_h, n_x)``, ``W (4n_h, n_h)``, ``b (4n_h, 1)`` with gate
blocks in PyTorch's order i, f, g, o; GRU ``U (3n_h, n_x)``, ``W (3n_h, n_h)``,
``b_x, b_h (3n_h, 1)`` in the order r, z, n.
"""

from __future__ import annotations

import numpy as np

from rnnbook.cells import LSTMCell, sigmoid
from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_gradient,
    expect_shape,
    unpack,
)
from rnnbook.course.hints import Hints
from rnnbook.gradcheck import numerical_grads

HINTS = {
    "ex1": [
        "Write the forward step again inside your function and keep every intermediate "
        "(the four gates, c^(t) and tanh c^(t)); the backward pass reads them. Then go through "
        "the forward lines from the last to the first.",
        "c^(t) is used twice: in h^(t) and, through dc_t, in the next cell state. Its gradient "
        "is the sum of what comes back along both uses, and it must be complete before you "
        "pass it on to f, i, g and c^(t-1).",
        "Each gate is a function of its own block of rows of the stacked pre-activation. Build "
        "the stacked gradient of the pre-activation in the same order i, f, g, o, and derive "
        "dU, dW, db and dh_prev from it as for the Elman step of notebook 04.",
    ],
    "ex2": [
        "h^(t) depends on h^(t-1) twice: directly (weighted by z) and through the gates and "
        "the candidate, which all read W h^(t-1). dh_prev adds both paths.",
        "The reset gate multiplies the whole recurrent part of the candidate, W_n h^(t-1) + "
        "b_hn. So the candidate's gradient reaches r, and reaches W_n and b_hn only after a "
        "product with r.",
        "Keep the input side and the recurrent side apart: two stacked gradients (r, z, n), "
        "equal in the r and z blocks, different in the n block. The one of the input side "
        "gives dU and db_x, the other dW, db_h and the part of dh_prev that goes through W.",
    ],
    "ex3": [
        "Loop: draw a minibatch of columns with rng, run the forward over all τ steps keeping "
        "(h, c) before each step, compute the softmax cross-entropy at the last step only, then "
        "walk back from the last step with your lstm_step_backward, summing dU, dW, db.",
        "At the last step the gradient of the mean cross-entropy on the scores o = V h + c is "
        "(ŷ - one-hot of y) / B. Before the last step no loss arrives, so the only gradients "
        "reaching h and c are those your backward step returns.",
        "Initialise the forget-gate bias (rows n_h:2n_h of b) at +1 so that the cell starts "
        "by keeping its memory, draw the weights at a scale near 0.3, and use Adam with a "
        "learning rate near 0.01 for a few hundred steps of 128 sequences (with 64, a run "
        "more often stalls with one symbol unlearned, at an accuracy near 1 - 1/n_y).",
    ],
    "ex4": [
        "Go back one step along the cell state only: which single factor multiplies the "
        "gradient of c^(t) to give that of c^(t-1)?",
        "After k steps back the factor is a product of k forget gates, here all equal. Solve "
        "(that gate)^k < 10^-6 for the smallest integer k.",
    ],
    "ex5": [
        "Write ∂h^(t)/∂h^(t-1) as a sum of the direct path and the paths through z, r and n; "
        "each path carries a factor that depends on z.",
        "You can test your answer with your gru_step_backward: make b_z large so that z is 1 "
        "to float precision, and compare dh_prev with dh_t.",
    ],
    "ex6": [
        "One layer holds U, W and two bias vectors, each with one block of rows per gate.",
        "The second layer reads the hidden state of the first: its input size is n_h, not n_x.",
    ],
}
hint = Hints("07", HINTS)

# All sizes differ (n_x ≠ n_h ≠ B, and none divides another), so a transpose changes a shape
# and a sum over the wrong axis cannot pass.
N_X, N_H, B = 3, 4, 5
LSTM_GATES = ("the input gate i", "the forget gate f", "the candidate g", "the output gate o_gate")
GRU_GATES = ("the reset gate r", "the update gate z", "the candidate n")


# ----------------------------------------------------------------------------------------------
# shared: a gradient compared with the finite differences, its mistakes named, its gate found
# ----------------------------------------------------------------------------------------------


def _wrong_blocks(got, ref, gates) -> str:
    """Which gates' blocks of rows differ, as a sentence (empty when it is not about blocks)."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    k = len(gates)
    if got.shape != ref.shape or ref.shape[0] % k:
        return ""
    bad = [
        not np.allclose(g, r, rtol=1e-5, atol=1e-8)
        for g, r in zip(np.split(got, k), np.split(ref, k))
    ]
    if not any(bad) or all(bad):
        return ""
    n = ref.shape[0] // k
    wrong = [f"{gates[j]} (rows {j * n}:{(j + 1) * n})" for j in range(k) if bad[j]]
    right = [gates[j].split()[-1] for j in range(k) if not bad[j]]
    return (
        f"; the block of {' and of '.join(wrong)} is wrong, the blocks of {', '.join(right)} "
        "are right"
    )


def _expect(name, got, ref, mistakes, gates=None, reference="the finite-difference gradient"):
    try:
        expect_gradient(name, got, ref, mistakes=mistakes, reference=reference)
    except CheckFailed as err:
        msg = str(err)
        if gates and "differs from" in msg:
            msg += _wrong_blocks(got, ref, gates)
        raise CheckFailed(msg) from None


def _lin(f, a, a0, slope):
    """f(a0) + slope ⊙ (a − a0): equal to f at a0, with the derivative ``slope`` there."""
    return f(a0) + slope * (a - a0)


# ----------------------------------------------------------------------------------------------
# Exercise 1: one LSTM step backward
# ----------------------------------------------------------------------------------------------


def lstm_problem(seed: int, n_x: int = N_X, n_h: int = N_H, batch: int = B) -> dict:
    """A reproducible LSTM step: U, W, b, x_t, h_prev, c_prev and the upstream dh_t, dc_t."""
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=0.7, size=(4 * n_h, n_x)),
        "W": rng.normal(scale=0.7, size=(4 * n_h, n_h)),
        "b": rng.normal(scale=0.5, size=(4 * n_h, 1)),
        "x_t": rng.normal(size=(n_x, batch)),
        "h_prev": np.tanh(rng.normal(size=(n_h, batch))),
        "c_prev": rng.normal(size=(n_h, batch)),
        "dh_t": rng.normal(size=(n_h, batch)),
        "dc_t": rng.normal(size=(n_h, batch)),
    }


def _lstm_pieces(q, x_t):
    a = q["b"] + q["W"] @ q["h_prev"] + q["U"] @ x_t
    a_i, a_f, a_g, a_o = np.split(a, 4)
    return a_i, a_f, a_g, a_o


def lstm_changed_objective(p: dict, mistake: str | None = None):
    """f(θ) = Σ dh_t ⊙ h_t + Σ dc_t ⊙ c_t of one LSTM step, θ = (U, W, b, h_prev, c_prev).

    Its gradient is what ``lstm_step_backward`` returns. With ``mistake`` the step is changed so
    that its gradient is the one that mistake gives (the values stay those of the true step).
    """
    base = {k: p[k] for k in ("U", "W", "b", "h_prev", "c_prev")}
    a0 = _lstm_pieces(base, p["x_t"])
    i0, f0, g0, o0 = sigmoid(a0[0]), sigmoid(a0[1]), np.tanh(a0[2]), sigmoid(a0[3])
    c0 = f0 * p["c_prev"] + i0 * g0
    dc_t = 0.0 * p["dc_t"] if mistake == "no_dc_next" else p["dc_t"]

    def f(q):
        a_i, a_f, a_g, a_o = _lstm_pieces(q, p["x_t"])
        i, f_, o_gate = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
        g = np.tanh(a_g)
        if mistake == "g_prime":  # tanh' written as 1 − g
            g = _lin(np.tanh, a_g, a0[2], 1.0 - g0)
        if mistake == "sigma_prime":  # σ' written as σ on every sigmoid gate
            i = _lin(sigmoid, a_i, a0[0], i0)
            f_ = _lin(sigmoid, a_f, a0[1], f0)
            o_gate = _lin(sigmoid, a_o, a0[3], o0)
        if mistake == "no_forget":  # dc_prev = ∇c^(t) instead of ∇c^(t) ⊙ f
            c = f_ * p["c_prev"] + (q["c_prev"] - p["c_prev"]) + i * g
        else:
            c = f_ * q["c_prev"] + i * g
        if mistake == "no_h_path":  # ∇c^(t) = dc_t only
            h = o_gate * np.tanh(c0)
        elif mistake == "no_tanh_prime":  # ∇c^(t) = dc_t + dh_t ⊙ o_gate
            h = o_gate * _lin(np.tanh, c, c0, 1.0)
        elif mistake == "o_uses_c":  # ∇o_gate = dh_t ⊙ c^(t)
            h = o0 * np.tanh(c) + (o_gate - o0) * c0
        else:
            h = o_gate * np.tanh(c)
        return float(np.sum(p["dh_t"] * h) + np.sum(dc_t * c))

    return f, base


LSTM_NAMES = ("dh_prev", "dc_prev", "dU", "dW", "db")
_LSTM_KEY = {"dh_prev": "h_prev", "dc_prev": "c_prev", "dU": "U", "dW": "W", "db": "b"}
LSTM_MISTAKES = {
    "no_dc_next": "the gradient of c^(t) leaves out dc_t, the part sent back by c^(t+1): c^(t) "
    "feeds both h^(t) and c^(t+1), so its gradient is the sum over both uses",
    "no_h_path": "the gradient of c^(t) leaves out the path through h^(t) = o_gate ⊙ tanh(c^(t)): "
    "it holds only dc_t",
    "no_tanh_prime": "on the path from h^(t) back to c^(t) the derivative of tanh(c^(t)) is "
    "missing (a factor is dropped)",
    "no_forget": "dc_prev skips the forget gate: c^(t-1) enters c^(t) only multiplied by f",
    "g_prime": "the derivative of the candidate g = tanh(a_g) is wrong: it is written with g, "
    "not g squared",
    "sigma_prime": "the derivative of the sigmoid gates is wrong: σ' is not σ itself",
    "o_uses_c": "the output gate's gradient uses c^(t) where the forward step has tanh(c^(t))",
}


def lstm_fd(p: dict, mistake: str | None = None) -> dict:
    """Central finite differences (float64) of the step's objective, by output name."""
    f, base = lstm_changed_objective(p, mistake)
    num = numerical_grads(f, base)
    return {name: num[key] for name, key in _LSTM_KEY.items()}


def _block_order(grads: dict, order: tuple[int, ...]) -> dict:
    return {
        k: (np.concatenate([np.split(v, 4)[j] for j in order]) if k in ("dU", "dW", "db") else None)
        for k, v in grads.items()
    }


def check_lstm_step_backward(lstm_step_backward) -> None:
    """Exercise 1: (dh_prev, dc_prev, dU, dW, db) of one LSTM step, against finite differences."""
    for seed in (2, 3):
        p = lstm_problem(seed)
        args = {k: p[k].copy() for k in p}
        out = call_student(
            lstm_step_backward,
            *(args[k] for k in ("dh_t", "dc_t", "x_t", "h_prev", "c_prev", "U", "W", "b")),
            name="lstm_step_backward",
            derive=True,
        )
        got = dict(zip(LSTM_NAMES, unpack(out, "lstm_step_backward", LSTM_NAMES)))
        for k in ("U", "W", "b", "h_prev", "c_prev"):
            if not np.array_equal(args[k], p[k]):
                raise CheckFailed(f"lstm_step_backward changed its argument {k}; leave it as it is")
        ref = lstm_fd(p)
        check_lstm_grads(got, ref, p, f"lstm_step_backward (n_x={N_X}, n_h={N_H}, B={B})")


def check_lstm_grads(
    got: dict, ref: dict, p: dict, label: str, reference: str = "the finite-difference gradient"
) -> None:
    if all(
        np.shape(got[k]) == ref[k].shape and np.allclose(got[k], ref[k], rtol=1e-5, atol=1e-8)
        for k in LSTM_NAMES
    ):
        return
    cache: dict = {}

    def mistake(m):
        if m not in cache:
            cache[m] = lstm_fd(p, m)
        return cache[m]

    swapped = _block_order(ref, (0, 1, 3, 2))
    for name in ("dc_prev", "db", "dU", "dW", "dh_prev"):
        mistakes = [(mistake(m)[name], text) for m, text in LSTM_MISTAKES.items()]
        if swapped[name] is not None:
            mistakes.append(
                (
                    swapped[name],
                    "the blocks of the candidate g and of the output gate are swapped: stack "
                    "the gradients in the order the forward step splits the rows, i, f, g, o",
                )
            )
        gates = LSTM_GATES if name in ("dU", "dW", "db") else None
        _expect(f"{label}: {name}", got[name], ref[name], mistakes, gates, reference)


# ----------------------------------------------------------------------------------------------
# Exercise 2: one GRU step backward
# ----------------------------------------------------------------------------------------------


def gru_problem(seed: int, n_x: int = N_X, n_h: int = N_H, batch: int = B) -> dict:
    """A reproducible GRU step: U, W, b_x, b_h, x_t, h_prev and the upstream dh_t."""
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=0.7, size=(3 * n_h, n_x)),
        "W": rng.normal(scale=0.7, size=(3 * n_h, n_h)),
        "b_x": rng.normal(scale=0.5, size=(3 * n_h, 1)),
        "b_h": rng.normal(scale=0.5, size=(3 * n_h, 1)),
        "x_t": rng.normal(size=(n_x, batch)),
        "h_prev": np.tanh(rng.normal(size=(n_h, batch))),
        "dh_t": rng.normal(size=(n_h, batch)),
    }


def _gru_pieces(q, x_t):
    ax = np.split(q["U"] @ x_t + q["b_x"], 3)
    ah = np.split(q["W"] @ q["h_prev"] + q["b_h"], 3)
    return ax, ah


GRU_NAMES = ("dh_prev", "dU", "dW", "db_x", "db_h")
_GRU_KEY = {"dh_prev": "h_prev", "dU": "U", "dW": "W", "db_x": "b_x", "db_h": "b_h"}
GRU_MISTAKES = {
    "no_direct": "dh_prev misses the direct path: h^(t) holds z ⊙ h^(t-1) itself, besides the "
    "paths through W",
    "z_sign": "the update gate's gradient has the wrong sign: h^(t) grows with z by "
    "h^(t-1) − n, not by n − h^(t-1)",
    "no_one_minus_z": "the candidate's gradient misses the factor (1 − z) by which n enters h^(t)",
    "r_without_bias": "the reset gate's gradient leaves b_hn out: r multiplies W_n h^(t-1) + b_hn",
    "no_r_on_hn": "the recurrent side of the candidate misses the factor r: the gradient reaches "
    "W_n, b_hn and h^(t-1) only through r ⊙ (W_n h^(t-1) + b_hn)",
    "n_prime": "the derivative of the candidate n = tanh(·) is wrong: it is written with n, not "
    "n squared",
    "shared_n": "the n block of the input side uses the recurrent side's gradient (multiplied "
    "by r): U_n x + b_xn enters the candidate without r",
}


def gru_changed_objective(p: dict, mistake: str | None = None):
    """f(θ) = Σ dh_t ⊙ h_t of one GRU step, θ = (U, W, b_x, b_h, h_prev); see lstm's twin."""
    base = {k: p[k] for k in ("U", "W", "b_x", "b_h", "h_prev")}
    ax0, ah0 = _gru_pieces(base, p["x_t"])
    r0, z0 = sigmoid(ax0[0] + ah0[0]), sigmoid(ax0[1] + ah0[1])
    W_n0 = np.split(p["W"], 3)[2]
    n_arg0 = ax0[2] + r0 * ah0[2]
    n0 = np.tanh(n_arg0)

    def f(q):
        ax, ah = _gru_pieces(q, p["x_t"])
        r, z = sigmoid(ax[0] + ah[0]), sigmoid(ax[1] + ah[1])
        if mistake == "r_without_bias":
            inner = ax[2] + r0 * ah[2] + (r - r0) * (W_n0 @ p["h_prev"])
        elif mistake == "no_r_on_hn":
            inner = ax[2] + r * ah0[2] + (ah[2] - ah0[2])
        elif mistake == "shared_n":
            inner = ax0[2] + r0 * (ax[2] - ax0[2]) + r * ah[2]
        else:
            inner = ax[2] + r * ah[2]
        n = np.tanh(inner)
        if mistake == "n_prime":
            n = _lin(np.tanh, inner, n_arg0, 1.0 - n0)
        h_direct = p["h_prev"] if mistake == "no_direct" else q["h_prev"]
        if mistake == "z_sign":
            h = (1 - z0) * n + z0 * h_direct - (z - z0) * (p["h_prev"] - n0)
        elif mistake == "no_one_minus_z":
            h = (1 - z) * n0 + (n - n0) + z * h_direct
        else:
            h = (1 - z) * n + z * h_direct
        return float(np.sum(p["dh_t"] * h))

    return f, base


def gru_fd(p: dict, mistake: str | None = None) -> dict:
    f, base = gru_changed_objective(p, mistake)
    num = numerical_grads(f, base)
    return {name: num[key] for name, key in _GRU_KEY.items()}


def check_gru_step_backward(gru_step_backward) -> None:
    """Exercise 2: (dh_prev, dU, dW, db_x, db_h) of one GRU step, against finite differences."""
    for seed in (4, 5):
        p = gru_problem(seed)
        args = {k: p[k].copy() for k in p}
        out = call_student(
            gru_step_backward,
            *(args[k] for k in ("dh_t", "x_t", "h_prev", "U", "W", "b_x", "b_h")),
            name="gru_step_backward",
            derive=True,
        )
        got = dict(zip(GRU_NAMES, unpack(out, "gru_step_backward", GRU_NAMES)))
        for k in ("U", "W", "b_x", "b_h", "h_prev"):
            if not np.array_equal(args[k], p[k]):
                raise CheckFailed(f"gru_step_backward changed its argument {k}; leave it as it is")
        ref = gru_fd(p)
        check_gru_grads(got, ref, p, f"gru_step_backward (n_x={N_X}, n_h={N_H}, B={B})")


def check_gru_grads(
    got: dict, ref: dict, p: dict, label: str, reference: str = "the finite-difference gradient"
) -> None:
    if all(
        np.shape(got[k]) == ref[k].shape and np.allclose(got[k], ref[k], rtol=1e-5, atol=1e-8)
        for k in GRU_NAMES
    ):
        return
    cache: dict = {}

    def mistake(m):
        if m not in cache:
            cache[m] = gru_fd(p, m)
        return cache[m]

    for name in ("db_x", "db_h", "dU", "dW", "dh_prev"):
        mistakes = [(mistake(m)[name], text) for m, text in GRU_MISTAKES.items()]
        gates = GRU_GATES if name != "dh_prev" else None
        _expect(f"{label}: {name}", got[name], ref[name], mistakes, gates, reference)


# ----------------------------------------------------------------------------------------------
# Exercise 3: an LSTM trained to recall the first symbol of a sequence
# ----------------------------------------------------------------------------------------------

ACCURACY_NEEDED = 0.9


def recall_task(n: int, T: int, n_y: int, rng: np.random.Generator):
    """``n`` sequences of ``T`` steps: the first step shows a symbol of ``n_y`` (one-hot in
    rows 0..n_y-1), the next ``T - 1`` steps show random distractors (one-hot in rows
    n_y..2n_y-1). The target ``y (n,)`` is the first symbol. Returns ``xs (T, 2n_y, n), y``."""
    y = rng.integers(0, n_y, size=n)
    xs = np.zeros((T, 2 * n_y, n))
    cols = np.arange(n)
    xs[0, y, cols] = 1.0
    distract = rng.integers(0, n_y, size=(T - 1, n))
    for t in range(1, T):
        xs[t, n_y + distract[t - 1], cols] = 1.0
    return xs, y


def recall_accuracy(params: dict, xs: np.ndarray, y: np.ndarray) -> float:
    """The share of sequences whose last-step scores o = V h^(T) + c pick the first symbol."""
    n_h = params["W"].shape[1]
    cell = LSTMCell(xs.shape[1], n_h)
    state = cell.init_state(xs.shape[2])
    lstm = {k: params[k] for k in ("U", "W", "b")}
    for x_t in xs:
        state, _ = cell.forward(lstm, state, x_t)
    o = params["V"] @ state.h + params["c"]
    return float(np.mean(np.argmax(o, axis=0) == y))


def expect_recall_params(params, n_x: int, n_h: int, n_y: int, label: str) -> dict:
    """The dict train_recall returns, with every array of the right shape and finite."""
    shapes = {
        "U": (4 * n_h, n_x),
        "W": (4 * n_h, n_h),
        "b": (4 * n_h, 1),
        "V": (n_y, n_h),
        "c": (n_y, 1),
    }
    if not isinstance(params, dict) or set(shapes) - set(params):
        have = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise CheckFailed(f"{label} should return a dict with keys U, W, b, V, c; got {have}")
    out = {}
    for k, shape in shapes.items():
        arr = expect_shape(f"{label}['{k}']", np.asarray(params[k], dtype=float), shape)
        if not np.all(np.isfinite(arr)):
            raise CheckFailed(f"{label}['{k}'] contains NaN or inf: did training diverge?")
        out[k] = arr
    return out


def check_recall(
    train_recall,
    T: int,
    n_y: int,
    n_h: int,
    seed: int,
    n_train: int = 512,
    twice: bool = False,
    attempts: int = 1,
) -> float:
    """Train on ``n_train`` sequences; return the accuracy on 1000 others, or CheckFailed.

    With ``attempts=2`` a run that falls short is followed by one more on new sequences drawn
    from another seed, and the answer passes when either run reaches the threshold: a correct
    LSTM trained by gradient descent now and then stalls on a plateau where it has learned all
    symbols but one (the reference solution, batches of 128, at τ = 16, n_y = 4, n_h = 12: 3
    runs in 100), while a wrong backward pass fails every run. With ``twice``, the first run is
    repeated from a generator in the same state: the weights must repeat.
    """
    label = f"train_recall(τ={T}, n_y={n_y}, n_h={n_h})"
    scores = []
    for attempt in range(attempts):
        run_seed = seed + 10 * attempt
        xs, y = recall_task(n_train, T, n_y, np.random.default_rng(run_seed))
        params = call_student(
            train_recall, xs, y, n_y, n_h, np.random.default_rng(run_seed + 1), name="train_recall"
        )
        params = expect_recall_params(params, 2 * n_y, n_h, n_y, label)
        xv, yv = recall_task(1000, T, n_y, np.random.default_rng(run_seed + 2))
        scores.append(recall_accuracy(params, xv, yv))
        if twice and attempt == 0:
            again = call_student(
                train_recall,
                xs,
                y,
                n_y,
                n_h,
                np.random.default_rng(run_seed + 1),
                name="train_recall",
            )
            again = expect_recall_params(again, 2 * n_y, n_h, n_y, label)
            if any(not np.allclose(params[k], again[k], rtol=1e-10, atol=1e-12) for k in params):
                raise CheckFailed(
                    f"{label}: two runs from generators in the same state gave different weights: "
                    "draw every random number (initial weights, minibatches) from rng, so that a "
                    "run can be repeated"
                )
        if scores[-1] >= ACCURACY_NEEDED:
            return scores[-1]
    runs = (
        f"is {scores[0]:.3f}"
        if len(scores) == 1
        else "is "
        + " and ".join(f"{a:.3f}" for a in scores)
        + f" in {len(scores)} runs on new sequences"
    )
    raise CheckFailed(
        f"{label}: accuracy on 1000 held-out sequences {runs}, below "
        f"{ACCURACY_NEEDED}. The last input says nothing about the target, so a model that "
        f"has not carried the first symbol through the cell state is at chance, "
        f"1/n_y = {1 / n_y:.2f}; an LSTM that learned it is right on nearly every sequence"
    )


def check_train_recall(train_recall) -> None:
    """Exercise 3: the trained LSTM recalls the first of τ = 14 symbols on held-out sequences,
    and a second run from a generator in the same state gives the same weights."""
    check_recall(train_recall, T=14, n_y=3, n_h=12, seed=7, twice=True)


# ----------------------------------------------------------------------------------------------
# Exercises 4 to 6: the form of the answers (the values are graded when you hand in)
# ----------------------------------------------------------------------------------------------


def check_q4(answer_q4) -> None:
    """Exercise 4: a whole number of steps (the value is graded when you hand in)."""
    check_number_form("answer_q4", answer_q4, whole="steps", positive=True)


def check_q5(answer_q5) -> None:
    """Exercise 5: one letter among a, b, c, d (graded when you hand in)."""
    check_choice_form("answer_q5", answer_q5)


def check_q6(answer_q6) -> None:
    """Exercise 6: a whole, positive number of parameters (graded when you hand in)."""
    check_number_form("answer_q6", answer_q6, whole="parameters", positive=True)
