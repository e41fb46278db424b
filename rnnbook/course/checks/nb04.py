"""Checks for the exercises of notebook 04 (back-propagation through time).

Every gradient is compared with central finite differences of the forward pass in float64
(``rnnbook.gradcheck``), so a message can say "dW differs from the numerical gradient at
[3,1]". Before that generic message, each checker compares the answer with the values that the
most plausible mistakes give, and names the mistake it matches. Those values come from finite
differences of the forward pass with one piece changed (the gradient that is not carried back,
a parameter used at one step only) or from the library's cells with one piece changed, never
from a copy of the answer. The two "understand" questions are checked here only for their form;
they are graded when the notebook is handed in. The delay task of exercise 6 is measured here,
on fresh sequences, with the library's forward pass and the weights the student's function
returns.

Shapes follow the numpy half of the course: columns are examples, ``x_t (n_x, B)``,
``h_t (n_h, B)``, biases ``(n_h, 1)``, sequences ``(T, n, B)``.
"""

from __future__ import annotations

import time

import numpy as np

from rnnbook import bptt, cells
from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_gradient,
    expect_shape,
    expect_true,
    same,
    unpack,
)
from rnnbook.course.hints import Hints
from rnnbook.gradcheck import numerical_grads

HINTS = {
    "ex1": [
        "Go through the pre-activation a = b + W h_prev + U x_t. First turn ∇_h L into ∇_a L "
        "by the chain rule through the tanh, element by element; the tanh's derivative can be "
        "read off its output h_t (notebook 04, section 1, step 3).",
        "Each parameter gradient is then ∇_a L times the input its parameter multiplies, as an "
        "outer product. With a batch the matrix product sums over the columns for you; db must "
        "be summed over them explicitly (`keepdims=True` keeps the shape (n_h, 1)).",
    ],
    "ex2": [
        "Walk t from T−1 down to 0. Keep a variable with what step t+1 sends back to h^(t) "
        "(zeros before the last step) and add it to dhs[t] before going back through step t.",
        "The parameters are shared by every step: add each step's terms into dU, dW, db, "
        "started at zeros. At t = 0 the previous state is h0 (hs[t - 1] would wrap around).",
        "After the loop, what step 0 sends back is ∇_{h^(0)}: return it as dh0.",
    ],
    "ex3": [
        "Run the forward pass first and keep h^(1), h^(2), h^(3) (σ(a) = 1 / (1 + e^(−a))). "
        "Then start at the output: ∇_{o^(3)} L^(3) is ŷ^(3) minus the one-hot target "
        "(eq. 10.18).",
        "Go down one step at a time, as in notebook 04, section 4: from o^(3) to h^(3) through "
        "V, from h^(3) to a^(3) through the sigmoid, whose derivative is read off h^(3). The "
        "term of step 3 is ∇_{a^(3)} times x^(3), as an outer product.",
        "From a^(t+1) to h^(t) the gradient goes back through W (which way round is it "
        "multiplied?), then through the sigmoid of step t; the term of step t pairs ∇_{a^(t)} "
        "with x^(t).",
    ],
    "ex4": [
        "Write ∇_{h^(t)} L as the sum of its two paths: through o^(t) and through h^(t+1). "
        "Which of the two can you compute before you have been at step t+1?",
    ],
    "ex5": [
        "Count the factors diag(d^(t)) Wᵀ between δ^(τ) and x^(1) in the product of notebook "
        "04, section 4: for τ = 3 there are two. How many for τ = 20?",
        "The norm of a product is at most the product of the norms, ‖diag(d) Wᵀ‖₂ ≤ max|d| · "
        "‖W‖₂, and the norm of an outer product u xᵀ is ‖u‖ ‖x‖. What is the largest value of "
        "σ′ (section 6)?",
    ],
    "ex6": [
        "One update: draw a batch with `delay_batch`, run `elman_states` from zeros, compute "
        "o = c + V h at every step and ∇_o L = (softmax(o) − one-hot(y)) divided by the number "
        "of terms you average over; the direct gradients on the states are V's transpose times "
        "∇_o L, step by step: that is the `dhs` of your `rnn_backward`.",
        "∇_V L and ∇_c L sum ∇_o L h^T and ∇_o L over the steps and the examples. "
        "`rnnbook.optim.Adam(params, lr=0.02)` updates a dict of arrays in place from a dict "
        "of gradients with the same keys.",
        "A few hundred updates on batches of 32 sequences of 16 steps, with 16 hidden units, "
        "W drawn with standard deviation 1/√n_h and zero biases, solve d ≤ 5 in seconds.",
    ],
}
hint = Hints("04", HINTS)

# Sizes all different (n_x ≠ n_h ≠ B) so that a transposed or misplaced factor changes a shape
# or, for the square W, its values.
_N_X, _N_H, _B, _T = 3, 4, 2, 5


def _problem(seed: int, n_x=_N_X, n_h=_N_H, batch=_B, T=_T, scale=0.8):
    """A reproducible random Elman problem: params, h0, xs and upstream gradients dhs."""
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=scale, size=(n_h, n_x)),
        "W": rng.normal(scale=scale, size=(n_h, n_h)),
        "b": rng.normal(scale=0.3, size=(n_h, 1)),
        "h0": np.tanh(rng.normal(size=(n_h, batch))),
        "xs": rng.normal(size=(T, n_x, batch)),
        "dhs": rng.normal(size=(T, n_h, batch)),
    }


# --------------------------------------------------------------------------------------------
# Exercise 1: one Elman step backward
# --------------------------------------------------------------------------------------------


def _step_backward_case(rnn_step_backward, seed: int) -> None:
    p = _problem(seed, T=1)
    U, W, b, h_prev, x_t, dh_t = p["U"], p["W"], p["b"], p["h0"], p["xs"][0], p["dhs"][0]
    h_t = np.tanh(b + W @ h_prev + U @ x_t)
    out = call_student(
        rnn_step_backward,
        dh_t.copy(),
        x_t.copy(),
        h_prev.copy(),
        h_t.copy(),
        U.copy(),
        W.copy(),
        name="rnn_step_backward",
        derive=True,
    )
    dh_prev, dU, dW, db = unpack(out, "rnn_step_backward", ("dh_prev", "dU", "dW", "db"))

    def f(q):  # Σ dh_t ⊙ h_t, as a function of everything the step reads, plus an offset on a
        a = q["b"] + q["W"] @ q["h_prev"] + q["U"] @ x_t + q["a"]
        return float(np.sum(dh_t * np.tanh(a)))

    theta = {"U": U, "W": W, "b": b, "h_prev": h_prev, "a": np.zeros_like(h_t)}
    num = numerical_grads(f, theta)
    da = num["a"]  # ∇_a, numerically: only the mistakes below are built from it
    no_tanh = "the tanh's derivative is missing (go back through the tanh before the sums)"
    label = f"rnn_step_backward (n_x={_N_X}, n_h={_N_H}, B={_B}): "
    expect_gradient(
        label + "db",
        db,
        num["b"],
        mistakes=[
            (dh_t.sum(axis=1, keepdims=True), no_tanh),
            (
                (dh_t * (1 - h_t)).sum(axis=1, keepdims=True),
                "the derivative of tanh is 1 − h², not 1 − h",
            ),
            (
                (dh_t * h_t * (1 - h_t)).sum(axis=1, keepdims=True),
                "h(1 − h) is the sigmoid's derivative; tanh's is 1 − h²",
            ),
            (
                (dh_t * (1 - h_prev**2)).sum(axis=1, keepdims=True),
                "the tanh's derivative is read off h_t (this step's output), not h_prev",
            ),
            (
                da.mean(axis=1, keepdims=True),
                "sum over the batch (the columns), do not average",
            ),
            (da, "db has the shape of b, (n_h, 1): sum over the batch (axis=1, keepdims=True)"),
        ],
        reference="the numerical gradient",
    )
    expect_gradient(
        label + "dW",
        dW,
        num["W"],
        mistakes=[
            (h_prev @ da.T, "db is right but dW is the transpose of the right gradient"),
            (dh_t @ h_prev.T, no_tanh),
            (da @ h_t.T, "dW pairs ∇_a with h_t; W multiplies h_prev, so pair it with h_prev"),
        ],
        reference="the numerical gradient",
    )
    expect_gradient(
        label + "dU",
        dU,
        num["U"],
        mistakes=[(dh_t @ x_t.T, no_tanh)],
        reference="the numerical gradient",
    )
    expect_gradient(
        label + "dh_prev",
        dh_prev,
        num["h_prev"],
        mistakes=[
            (
                W @ da,
                "it multiplies ∇_a by W; the gradient flows back through W's transpose",
            ),
            (W.T @ dh_t, "dh_prev is missing the tanh's derivative: go back through it first"),
        ],
        reference="the numerical gradient",
    )


def check_rnn_step_backward(rnn_step_backward) -> None:
    """Exercise 1: the backward of one tanh step: ``(dh_prev, dU, dW, db)`` from ``dh_t``."""
    for seed in (2, 3):
        _step_backward_case(rnn_step_backward, seed)


# --------------------------------------------------------------------------------------------
# Exercise 2: BPTT over a sequence
# --------------------------------------------------------------------------------------------

_CARRY = (
    "gradients from later time steps are missing: carry what step t+1 sends back to h^(t) "
    "and add it to dhs[t]"
)
_ACCUMULATE = (
    "only the term of the first step (t = 0) survives: the parameters are shared, so add "
    "every step's term (dW += …), as in eqs. 10.23–10.28"
)
_WRAP = "at t = 0 the previous state is h0, not hs[-1] (hs[t - 1] wraps around when t = 0)"


def _states(p, at=None, a0=None, fixed_prev=None):
    """h^(1..T) of the tanh network ``p``, with optional changes used by the checks:

    ``at``: a dict of parameters used at step 0 only (the other steps use ``p``'s);
    ``a0``: an offset added to the pre-activation of step 0;
    ``fixed_prev``: states that every step t ≥ 1 reads in place of the state the forward pass
    just computed (so nothing flows from one step to the next).
    """
    h, out = p["h0"], []
    for t, x_t in enumerate(p["xs"]):
        q = at if (at is not None and t == 0) else p
        prev = h if (fixed_prev is None or t == 0) else fixed_prev[t - 1]
        a = q["b"] + q["W"] @ prev + q["U"] @ x_t
        if a0 is not None and t == 0:
            a = a + a0
        h = np.tanh(a)
        out.append(h)
    return np.stack(out)


def _backward_case(rnn_backward, seed: int) -> None:
    p = _problem(seed)
    U, W, b, h0, xs, dhs = p["U"], p["W"], p["b"], p["h0"], p["xs"], p["dhs"]
    hs = _states(p)
    out = call_student(
        rnn_backward,
        dhs.copy(),
        xs.copy(),
        hs.copy(),
        h0.copy(),
        U.copy(),
        W.copy(),
        name="rnn_backward",
        derive=True,
    )
    dU, dW, db, dh0 = unpack(out, "rnn_backward", ("dU", "dW", "db", "dh0"))
    theta = {"U": U, "W": W, "b": b, "h0": h0}

    def full(q):  # f = Σ_t Σ dhs[t] ⊙ h^(t)
        return float(np.sum(dhs * _states({**p, **q})))

    def local(q):  # the same, but no step sees the state the step before computed
        return float(np.sum(dhs * _states({**p, **q}, fixed_prev=hs)))

    def first_only(q):  # U, W, b changed at step 0 only
        return float(np.sum(dhs * _states(p, at={**p, **q})))

    def offset(q):
        return float(np.sum(dhs * _states(p, a0=q["a0"])))

    num = numerical_grads(full, theta)
    carry = numerical_grads(local, theta)
    first = numerical_grads(first_only, {"U": U, "W": W, "b": b})
    da0 = numerical_grads(offset, {"a0": np.zeros_like(h0)})["a0"]
    wrap = num["W"] - da0 @ h0.T + da0 @ hs[-1].T
    label = f"rnn_backward (T={_T}, n_x={_N_X}, n_h={_N_H}, B={_B}): "
    for name, mistakes in (
        ("dW", [(carry["W"], _CARRY), (first["W"], _ACCUMULATE), (wrap, _WRAP)]),
        ("dU", [(carry["U"], _CARRY), (first["U"], _ACCUMULATE)]),
        ("db", [(carry["b"], _CARRY), (first["b"], _ACCUMULATE)]),
        ("dh0", [(carry["h0"], _CARRY)]),
    ):
        got = {"dU": dU, "dW": dW, "db": db, "dh0": dh0}[name]
        expect_gradient(
            label + name,
            got,
            num[name[1:]],
            mistakes=mistakes,
            reference="the numerical gradient",
        )


def check_rnn_backward(rnn_backward) -> None:
    """Exercise 2: BPTT over a sequence: ``(dU, dW, db, dh0)`` from the direct gradients dhs."""
    for seed in (4, 5):
        _backward_case(rnn_backward, seed)


# --------------------------------------------------------------------------------------------
# Exercise 3: ∇_U L^(3), one step at a time (sigmoid hidden units, as in the notes)
# --------------------------------------------------------------------------------------------


def l3_problem(rng: np.random.Generator, n_x: int, n_h: int, n_y: int) -> dict:
    """A sigmoid network and a three-step sequence (one example) with a target for step 3."""
    return {
        "xs": rng.normal(size=(3, n_x, 1)),
        "y3": int(rng.integers(n_y)),
        "h0": rng.uniform(0.1, 0.9, size=(n_h, 1)),
        "U": rng.normal(size=(n_h, n_x)),
        "W": rng.normal(size=(n_h, n_h)),
        "b": rng.normal(scale=0.5, size=(n_h, 1)),
        "V": rng.normal(size=(n_y, n_h)),
        "c": rng.normal(scale=0.5, size=(n_y, 1)),
    }


def _l3(p, Us) -> float:
    """L^(3) = −log ŷ^(3)_{y3} of the sigmoid network, with U^(t) = Us[t] at step t."""
    h = p["h0"]
    for t in range(3):
        h = cells.sigmoid(p["b"] + p["W"] @ h + Us[t] @ p["xs"][t])
    o = p["c"] + p["V"] @ h
    return float(np.log(np.sum(np.exp(o - o.max()))) - (o[p["y3"], 0] - o.max()))


class _Changed(cells.ElmanCell):
    """A sigmoid Elman cell whose backward pass has one piece changed (to replay a mistake)."""

    def __init__(self, n_x, n_h, prime=None, forward_W=False):
        super().__init__(n_x, n_h, nonlinearity="sigmoid")
        self.prime, self.forward_W = prime, forward_W

    def _phi_prime(self, h):
        return super()._phi_prime(h) if self.prime is None else self.prime(h)

    def backward(self, params, dstate, cache, *, check: bool = True):
        if self.forward_W:  # the gradient sent back is W ∇_a in place of the right product
            params = {**params, "W": params["W"].T}
        return super().backward(params, dstate, cache, check=check)


def _changed_terms(p, **change) -> list[np.ndarray]:
    """The three per-step terms that the library's BPTT gives with one piece changed."""
    cell = _Changed(p["U"].shape[1], p["U"].shape[0], **change)
    ys = np.zeros((3, 1), dtype=int)
    ys[2, 0] = p["y3"]
    theta = {k: p[k] for k in ("U", "W", "b", "V", "c")}
    res = bptt.sequence_loss_and_grads(
        cell, theta, p["xs"], ys, cells.ElmanState(p["h0"]), loss_at=2, per_step=True
    )
    return list(res.per_step["U"])


def _l3_case(grad_U_L3, seed: int, n_x: int, n_h: int, n_y: int) -> None:
    p = l3_problem(np.random.default_rng(seed), n_x, n_h, n_y)
    args = [p[k].copy() if isinstance(p[k], np.ndarray) else p[k] for k in p]
    out = call_student(grad_U_L3, *args, name="grad_U_L3", derive=True)
    got = unpack(out, "grad_U_L3", ("g1", "g2", "g3"))
    num = []
    for t in range(3):

        def loss(q, t=t):
            return _l3(p, [q["U"] if s == t else p["U"] for s in range(3)])

        num.append(numerical_grads(loss, {"U": p["U"]})["U"])
    label = f"grad_U_L3 (n_x={n_x}, n_h={n_h}, n_y={n_y})"
    if all(g.shape == p["U"].shape for g in got):
        total = sum(num)
        if all(same(g, n, rtol=1e-5, atol=1e-8) for g, n in zip(got, num[::-1])) and not (
            all(same(g, n, rtol=1e-5, atol=1e-8) for g, n in zip(got, num))
        ):
            raise CheckFailed(
                f"{label}: the terms come in reverse order; return "
                "(∇_{U^(1)} L^(3), ∇_{U^(2)} L^(3), ∇_{U^(3)} L^(3)), step 1 first"
            )
        if same(got[0], total, rtol=1e-5, atol=1e-8) and not same(got[0], num[0]):
            raise CheckFailed(
                f"{label}: g1 is the whole gradient ∇_U L^(3); each g_t is one step's term "
                "(they add up to ∇_U L^(3))"
            )
    tanh = _changed_terms(p, prime=lambda h: 1 - h**2)
    none = _changed_terms(p, prime=np.ones_like)
    forward_W = _changed_terms(p, forward_W=True)
    for t in (2, 1, 0):  # step 3 first: it has the fewest factors
        expect_gradient(
            f"{label}: g{t + 1} = ∇_(U^({t + 1})) L^(3)",
            got[t],
            num[t],
            mistakes=[
                (tanh[t], "it uses tanh's derivative 1 − h²; these units are sigmoids"),
                (none[t], "the sigmoid's derivative is missing at each step"),
                (
                    forward_W[t],
                    "the gradient goes from a^(t+1) back to h^(t) through W's transpose, "
                    "not through W",
                ),
            ],
            reference="the numerical gradient",
        )


def check_grad_U_L3(grad_U_L3) -> None:
    """Exercise 3: ``grad_U_L3(...) -> (g1, g2, g3)``, g_t = ∇_{U^(t)} L^(3)."""
    for seed, n_x, n_h, n_y in ((6, 2, 3, 4), (7, 3, 4, 2)):
        _l3_case(grad_U_L3, seed, n_x, n_h, n_y)


# --------------------------------------------------------------------------------------------
# Exercises 4 and 5: understanding (graded when handed in; here only the form)
# --------------------------------------------------------------------------------------------


def check_answer_q4(answer_q4) -> None:
    """Exercise 4: one of the letters a–d (graded when you hand in)."""
    check_choice_form("answer_q4", answer_q4)


def check_answer_q5(answer_q5) -> None:
    """Exercise 5: a number between 0 and 1 (graded when you hand in)."""
    check_number_form(
        "answer_q5",
        answer_q5,
        positive=True,
        below=1,
        why="with ‖W‖₂ = 2 and σ′ ≤ 1/4 every factor shrinks, so the bound is a positive number "
        "below 1",
    )


# --------------------------------------------------------------------------------------------
# Exercise 6: an Elman network trained with your BPTT on the delay task
# --------------------------------------------------------------------------------------------

MIN_DELAY_ACCURACY = 0.95


def delay_task(rng, d: int, T: int, B: int) -> tuple[np.ndarray, np.ndarray]:
    """B random bit sequences, one-hot ``(T, 2, B)``, and targets ``y^(t) = x^(t-d)`` ``(T, B)``."""
    bits = rng.integers(0, 2, size=(T, B))
    xs = np.moveaxis(np.eye(2)[bits], -1, 1)  # (T, 2, B)
    ys = np.zeros_like(bits)
    ys[d:] = bits[:-d]
    return xs, ys


def delay_accuracy(params: dict, d: int, rng, T: int = 30, B: int = 400) -> float:
    """Accuracy of the network ``params`` on fresh sequences, at the steps t ≥ d (0-based)."""
    cell = cells.ElmanCell(2, params["W"].shape[0])
    xs, ys = delay_task(rng, d, T, B)
    logits, _ = bptt.sequence_forward(cell, params, xs, cell.init_state(B))
    return float(np.mean(logits.argmax(axis=1)[d:] == ys[d:]))


def measure_delay(train_delay, d: int, rng, label: str) -> tuple[float, float]:
    """Call the student's ``train_delay(d, rng)`` once; measure the returned network.

    Returns ``(accuracy, seconds)``; raises CheckFailed below :data:`MIN_DELAY_ACCURACY`.
    """
    start = time.perf_counter()
    params = call_student(train_delay, d, rng, name="train_delay")
    seconds = time.perf_counter() - start
    keys = ("U", "W", "b", "V", "c")
    expect_true(
        isinstance(params, dict) and set(keys) <= set(params),
        f"train_delay should return a dict with the keys {keys}, got "
        + (f"the keys {sorted(params)}" if isinstance(params, dict) else type(params).__name__),
    )
    params = {k: np.asarray(params[k], dtype=float) for k in keys}
    W = params["W"]
    expect_true(
        W.ndim == 2 and W.shape[0] == W.shape[1] and W.shape[0] > 0,
        f"train_delay: W should be square (n_h, n_h), got shape {W.shape}",
    )
    n_h = W.shape[0]
    for k, shape in (("U", (n_h, 2)), ("b", (n_h, 1)), ("V", (2, n_h)), ("c", (2, 1))):
        expect_shape(f"train_delay: {k}", params[k], shape, "two one-hot inputs, two classes")
    expect_true(
        all(np.all(np.isfinite(v)) for v in params.values()),
        "train_delay: the weights contain NaN or inf (the training diverged: a smaller "
        "learning rate, or a sign error in the update?)",
    )
    accuracy = delay_accuracy(params, d, np.random.default_rng(rng.integers(2**32)))
    if accuracy < 0.6:
        raise CheckFailed(
            f"{label}: held-out accuracy {accuracy:.3f} at the steps t ≥ d = {d} is at chance "
            "(0.5): the network has not learned to recall x^(t−d). Does the training loss "
            "fall? Check the sign of the update (θ ← θ − η ∇θ L), that rnn_backward carries "
            "the gradient back through time, and that you train with the d you were given"
        )
    if accuracy < MIN_DELAY_ACCURACY:
        raise CheckFailed(
            f"{label}: held-out accuracy {accuracy:.3f} at the steps t ≥ d = {d}, below the "
            f"{MIN_DELAY_ACCURACY} asked for: it learns, but not enough; train for more "
            "updates or with a larger learning rate"
        )
    return accuracy, seconds


def check_train_delay(train_delay) -> None:
    """Exercise 6: ``train_delay(d, rng)`` returns weights that recall the bit of d steps ago."""
    accuracy, seconds = measure_delay(train_delay, 3, np.random.default_rng(11), "d = 3")
    print(f"d = 3: held-out accuracy {accuracy:.3f} (trained in {seconds:.1f} s)")
