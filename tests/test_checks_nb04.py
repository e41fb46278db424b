"""The checkers of notebook 04 accept the right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from rnnbook import bptt, cells
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb04 as checks

_CELL = cells.ElmanCell(3, 4)


def _stub(*args, **kwargs):
    raise NotImplementedError()


# ---- right answers, written with the library ------------------------------------------------


def right_forward(x_t, h_prev, U, W, b):
    n_x, n_h = U.shape[1], U.shape[0]
    cell = cells.ElmanCell(n_x, n_h)
    state, _ = cell.forward({"U": U, "W": W, "b": b}, cells.ElmanState(h_prev), x_t)
    return state.h


def right_step_backward(dh_t, x_t, h_prev, h_t, U, W):
    cell = cells.ElmanCell(U.shape[1], U.shape[0])
    b = np.zeros((U.shape[0], 1))  # the backward does not read b
    cache = cells.ElmanCache(x_t, h_prev, h_t)
    dstate, _, grads = cell.backward({"U": U, "W": W, "b": b}, cells.ElmanState(dh_t), cache)
    return dstate.h, grads["U"], grads["W"], grads["b"]


def right_backward(dhs, xs, hs, h0, U, W):
    dh_next = np.zeros_like(h0)
    dU, dW, db = 0.0, 0.0, 0.0
    for t in reversed(range(len(xs))):
        h_prev = hs[t - 1] if t > 0 else h0
        dh_next, gU, gW, gb = right_step_backward(dhs[t] + dh_next, xs[t], h_prev, hs[t], U, W)
        dU, dW, db = dU + gU, dW + gW, db + gb
    return dU, dW, db, dh_next


def test_right_answers_pass():
    checks.check_rnn_step_forward(right_forward)
    checks.check_rnn_step_backward(right_step_backward)
    checks.check_rnn_backward(right_backward)
    checks.check_clip_grad_norm(bptt.clip_grad_norm)


def test_right_backward_agrees_with_the_library_bptt():
    """The exercise's dhs-driven BPTT is the library's, with dhs = Vᵀ ∇_o L^(t)."""
    rng = np.random.default_rng(0)
    params, out = _CELL.init_params(rng), cells.init_output_params(4, 2, rng)
    xs, ys = rng.normal(size=(5, 3, 2)), rng.integers(0, 2, size=(5, 2))
    state0 = _CELL.init_state(2)
    res = bptt.sequence_loss_and_grads(_CELL, {**params, **out}, xs, ys, state0)
    states, _ = cells.unroll(_CELL, params, xs, state0)
    hs = np.stack([s.h for s in states])
    dhs = np.stack(
        [out["V"].T @ cells.softmax_cross_entropy(o, y)[1] for o, y in zip(res.logits, ys)]
    )
    dU, dW, db, dh0 = right_backward(dhs, xs, hs, state0.h, params["U"], params["W"])
    for got, key in ((dU, "U"), (dW, "W"), (db, "b")):
        np.testing.assert_allclose(got, res.grads[key], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dh0, res.dstate0.h, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_rnn_step_forward,
        checks.check_rnn_step_backward,
        checks.check_rnn_backward,
        checks.check_clip_grad_norm,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


# ---- exercise 1 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda x, h, U, W, b: b + W @ h + U @ x, "apply tanh"),
        (lambda x, h, U, W, b: cells.sigmoid(b + W @ h + U @ x), "logistic sigmoid"),
        (lambda x, h, U, W, b: np.tanh(W @ h + U @ x), "forgets the bias b"),
        (lambda x, h, U, W, b: np.tanh(b + W.T @ h + U @ x), "by Wᵀ"),
        (lambda x, h, U, W, b: np.tanh(b + U @ x), "ignores the previous state"),
        (lambda x, h, U, W, b: np.tanh(b + W @ h + U @ x).T, "columns are examples"),
        (lambda x, h, U, W, b: np.tanh(b + W @ h + 2 * U @ x), r"differs from tanh.*at h_t\["),
    ],
)
def test_step_forward_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_rnn_step_forward(wrong)


# ---- exercise 2 -----------------------------------------------------------------------------


def _step_backward(
    deriv=lambda h_t, h_prev: 1 - h_t**2, dW_T=False, dh_prev_W=False, db_axis=1, dh_prev_raw=False
):
    def f(dh_t, x_t, h_prev, h_t, U, W):
        da = dh_t * deriv(h_t, h_prev)
        dW = h_prev @ da.T if dW_T else da @ h_prev.T
        db = da.sum(axis=db_axis, keepdims=True) if db_axis is not None else da
        dh_prev = (W @ da) if dh_prev_W else (W.T @ dh_t if dh_prev_raw else W.T @ da)
        return dh_prev, da @ x_t.T, dW, db

    return f


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_step_backward(deriv=lambda h, hp: 1.0), r"db differs .* at b\[\d,0\].*\(1 − h²\) factor"),
        (_step_backward(deriv=lambda h, hp: 1 - h), "not 1 − h"),
        (_step_backward(deriv=lambda h, hp: h * (1 - h)), "sigmoid's derivative"),
        (_step_backward(deriv=lambda h, hp: 1 - hp**2), "not h_prev"),
        (
            _step_backward(dW_T=True),
            r"dW differs .* at W\[\d,\d\].*db is right but dW is the transpose",
        ),
        (_step_backward(dh_prev_W=True), "flows back through Wᵀ"),
        (_step_backward(dh_prev_raw=True), "dh_prev is missing the"),
        (_step_backward(db_axis=None), r"db has shape \(4, 2\), expected \(4, 1\)"),
        (lambda *a: _step_backward()(*a)[:3], r"should return a tuple \(dh_prev, dU, dW, db\)"),
    ],
)
def test_step_backward_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_rnn_step_backward(wrong)


# ---- exercise 3 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "flags, hint",
    [
        ({"carry": False}, r"dW differs from the numerical gradient at W\[.*did you carry dh_next"),
        ({"accumulate": False}, "add every step's term"),
        ({"reverse": False}, "runs forwards in time"),
        ({"wrap_h0": True}, "step 0 read h0"),
    ],
)
def test_backward_wrong(flags, hint):
    def wrong(dhs, xs, hs, h0, U, W):
        return checks._backward_variant(dhs, xs, hs, h0, U, W, **flags)

    with pytest.raises(CheckFailed, match=hint):
        checks.check_rnn_backward(wrong)


def test_backward_other_mistakes():
    def forgets_dhs(dhs, xs, hs, h0, U, W):  # carries the gradient but drops each step's own
        return right_backward(np.zeros_like(dhs), xs, hs, h0, U, W)

    def no_dh0(dhs, xs, hs, h0, U, W):
        return right_backward(dhs, xs, hs, h0, U, W)[:3]

    with pytest.raises(CheckFailed, match="differs from the numerical gradient"):
        checks.check_rnn_backward(forgets_dhs)
    with pytest.raises(CheckFailed, match=r"should return a tuple \(dU, dW, db, dh0\)"):
        checks.check_rnn_backward(no_dh0)


# ---- exercise 4 -----------------------------------------------------------------------------


def _global(grads):
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda g, m: ({k: v * min(1, m / np.linalg.norm(v)) for k, v in g.items()}, _global(g)),
            "clips each parameter by its own norm",
        ),
        (
            lambda g, m: ({k: np.clip(v, -m, m) for k, v in g.items()}, _global(g)),
            r"element by element \(np.clip\)",
        ),
        (
            lambda g, m: ({k: v * m / _global(g) for k, v in g.items()}, _global(g)),
            "rescales even though the norm is below max_norm",
        ),
        (lambda g, m: (dict(g), _global(g)), "returns the gradients unchanged"),
        (
            lambda g, m: (bptt.clip_grad_norm(g, m)[0], _global(g) ** 2),
            "take its square root",
        ),
        (
            lambda g, m: (bptt.clip_grad_norm(g, m)[0], min(m, _global(g))),
            "the norm after clipping",
        ),
        (lambda g, m: bptt.clip_grad_norm(g, m)[0], "should return a tuple"),
    ],
)
def test_clip_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_clip_grad_norm(wrong)


def test_clip_in_place_is_caught():
    def in_place(grads, max_norm):
        total = _global(grads)
        if total > max_norm:
            for g in grads.values():
                g *= max_norm / total
        return grads, total

    with pytest.raises(CheckFailed, match="modified the gradients it was given"):
        checks.check_clip_grad_norm(in_place)
