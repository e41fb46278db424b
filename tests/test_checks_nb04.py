"""The checkers of notebook 04 accept the right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from rnnbook import bptt, cells, optim
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb04 as checks

# answers built from the library's gradient routines: the guard is tested on its own
pytestmark = pytest.mark.usefixtures("library_gradients_allowed")


def _stub(*args, **kwargs):
    raise NotImplementedError()


# ---- right answers, written with the library ------------------------------------------------


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


def right_l3(xs, y3, h0, U, W, b, V, c):
    cell = cells.ElmanCell(U.shape[1], U.shape[0], nonlinearity="sigmoid")
    ys = np.array([[0], [0], [y3]])
    theta = {"U": U, "W": W, "b": b, "V": V, "c": c}
    res = bptt.sequence_loss_and_grads(
        cell, theta, xs, ys, cells.ElmanState(h0), loss_at=2, per_step=True
    )
    return tuple(res.per_step["U"])


def right_train(d, rng, steps=250):
    """The delay task trained with the library's BPTT (reduction "mean" over the steps)."""
    cell = cells.ElmanCell(2, 16)
    theta = {**cell.init_params(rng), **cells.init_output_params(16, 2, rng)}
    opt = optim.Adam(theta, lr=0.02)
    for _ in range(steps):
        xs, ys = checks.delay_task(rng, d, 16, 32)
        res = bptt.sequence_loss_and_grads(
            cell, theta, xs, ys, cell.init_state(32), reduction="mean"
        )
        opt.step(res.grads)
    return theta


def test_right_answers_pass():
    checks.check_rnn_step_backward(right_step_backward)
    checks.check_rnn_backward(right_backward)
    checks.check_grad_U_L3(right_l3)
    checks.check_answer_q4("C")
    checks.check_answer_q5(1e-3)
    checks.check_train_delay(right_train)


def test_right_backward_agrees_with_the_library_bptt():
    """The exercise's dhs-driven BPTT is the library's, with dhs = Vᵀ ∇_o L^(t)."""
    rng = np.random.default_rng(0)
    cell = cells.ElmanCell(3, 4)
    params, out = cell.init_params(rng), cells.init_output_params(4, 2, rng)
    xs, ys = rng.normal(size=(5, 3, 2)), rng.integers(0, 2, size=(5, 2))
    state0 = cell.init_state(2)
    res = bptt.sequence_loss_and_grads(cell, {**params, **out}, xs, ys, state0)
    states, _ = cells.unroll(cell, params, xs, state0)
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
        checks.check_rnn_step_backward,
        checks.check_rnn_backward,
        checks.check_grad_U_L3,
        checks.check_train_delay,
        lambda f: checks.check_answer_q4(None),
        lambda f: checks.check_answer_q5(None),
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def test_a_perturb_and_restore_answer_passes():
    """A numerical answer that perturbs its inputs in place and restores them is accepted."""

    def numerical(dh_t, x_t, h_prev, h_t, U, W, eps=1e-6):
        b = np.arctanh(h_t) - W @ h_prev - U @ x_t  # the pre-activation's bias, column by column

        def f():
            return float(np.sum(dh_t * np.tanh(b + W @ h_prev + U @ x_t)))

        out = []
        for arr in (h_prev, U, W):
            g = np.zeros_like(arr)
            for idx in np.ndindex(arr.shape):
                keep = arr[idx]
                arr[idx] = keep + eps
                up = f()
                arr[idx] = keep - eps
                down = f()
                arr[idx] = keep
                g[idx] = (up - down) / (2 * eps)
            out.append(g)
        db = (dh_t * (1 - h_t**2)).sum(axis=1, keepdims=True)
        return out[0], out[1], out[2], db

    checks.check_rnn_step_backward(numerical)


# ---- exercise 1 -----------------------------------------------------------------------------


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
        (_step_backward(deriv=lambda h, hp: 1.0), r"db is wrong: the tanh's derivative is missing"),
        (_step_backward(deriv=lambda h, hp: 1 - h), "not 1 − h"),
        (_step_backward(deriv=lambda h, hp: h * (1 - h)), "sigmoid's derivative"),
        (_step_backward(deriv=lambda h, hp: 1 - hp**2), "not h_prev"),
        (_step_backward(dW_T=True), "dW is wrong: db is right but dW is the transpose"),
        (_step_backward(dh_prev_W=True), "flows back through W's transpose"),
        (_step_backward(dh_prev_raw=True), "dh_prev is missing the tanh's derivative"),
        (_step_backward(db_axis=None), "db has the shape of b"),
        (lambda *a: _step_backward()(*a)[:3], r"should return a tuple \(dh_prev, dU, dW, db\)"),
        (lambda *a: tuple(-g for g in _step_backward()(*a)), "wrong sign"),
    ],
)
def test_step_backward_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_rnn_step_backward(wrong)


# ---- exercise 2 -----------------------------------------------------------------------------


def _variant(carry=True, accumulate=True, wrap=False, mean_over_time=False):
    def f(dhs, xs, hs, h0, U, W):
        T = len(xs)
        dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros((W.shape[0], 1))
        dh_next = np.zeros_like(h0)
        for t in range(T - 1, -1, -1):
            h_prev = hs[t - 1] if (t > 0 or wrap) else h0
            dh_next, gU, gW, gb = right_step_backward(
                dhs[t] + (dh_next if carry else 0.0), xs[t], h_prev, hs[t], U, W
            )
            if accumulate:
                dU, dW, db = dU + gU, dW + gW, db + gb
            else:
                dU, dW, db = gU, gW, gb
        if mean_over_time:
            dU, dW, db = dU / T, dW / T, db / T
        return dU, dW, db, dh_next

    return f


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_variant(carry=False), "dW is wrong: gradients from later time steps are missing"),
        (_variant(accumulate=False), "only the term of the first step"),
        (_variant(wrap=True), "wraps around"),
        (_variant(mean_over_time=True), "0.2 times the numerical gradient: a factor"),
    ],
)
def test_backward_wrong(wrong, hint):
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


# ---- exercise 3 -----------------------------------------------------------------------------


def _l3_changed(**change):
    def f(xs, y3, h0, U, W, b, V, c):
        p = {"xs": xs, "y3": y3, "h0": h0, "U": U, "W": W, "b": b, "V": V, "c": c}
        return tuple(checks._changed_terms(p, **change))

    return f


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_l3_changed(prime=lambda h: 1 - h**2), "tanh's derivative 1 − h²"),
        (_l3_changed(prime=np.ones_like), "sigmoid's derivative is missing"),
        (_l3_changed(forward_W=True), "through W's transpose, not through W"),
        (lambda *a: right_l3(*a)[::-1], "reverse order"),
        (lambda *a: (sum(right_l3(*a)),) * 3, "g1 is the whole gradient"),
        (lambda *a: tuple(-g for g in right_l3(*a)), "g3 .*wrong sign"),
        (lambda *a: tuple(g.T for g in right_l3(*a)), "transposed"),
        (lambda *a: right_l3(*a)[:2], r"should return a tuple \(g1, g2, g3\)"),
    ],
)
def test_l3_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_grad_U_L3(wrong)


# ---- exercises 4 and 5: only the form is checked here ---------------------------------------


@pytest.mark.parametrize(
    "check, value, hint",
    [
        (checks.check_answer_q4, "e", "one of the letters"),
        (checks.check_answer_q4, 2, "one of the letters"),
        (checks.check_answer_q5, "tiny", "should be a number"),
        (checks.check_answer_q5, float("inf"), "finite"),
        (checks.check_answer_q5, 2.0**19, "positive number below 1"),
    ],
)
def test_understand_form(check, value, hint):
    with pytest.raises(CheckFailed, match=hint):
        check(value)


# ---- exercise 6 -----------------------------------------------------------------------------


def test_train_delay_wrong():
    def untrained(d, rng):
        return right_train(d, rng, steps=0)

    def wrong_keys(d, rng):
        return list(right_train(d, rng, steps=0).values())

    def transposed_V(d, rng):
        theta = right_train(d, rng, steps=0)
        return {**theta, "V": theta["V"].T}

    def diverged(d, rng):
        return {**right_train(d, rng, steps=0), "W": np.full((16, 16), np.nan)}

    with pytest.raises(CheckFailed, match="at chance"):
        checks.check_train_delay(untrained)
    with pytest.raises(CheckFailed, match="should return a dict"):
        checks.check_train_delay(wrong_keys)
    with pytest.raises(CheckFailed, match=r"V has shape \(16, 2\)"):
        checks.check_train_delay(transposed_V)
    with pytest.raises(CheckFailed, match="NaN"):
        checks.check_train_delay(diverged)


def test_delay_task_targets_are_the_bits_d_steps_back():
    xs, ys = checks.delay_task(np.random.default_rng(0), 3, 10, 5)
    bits = xs.argmax(axis=1)
    assert xs.shape == (10, 2, 5) and np.all(xs.sum(axis=1) == 1)
    assert np.array_equal(ys[3:], bits[:-3]) and np.all(ys[:3] == 0)
