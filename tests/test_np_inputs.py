"""Bad inputs to the numpy recurrent core: each error names the argument, the expected and the
received value."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rnnbook.bptt import (
    clip_grad_norm,
    clip_grad_value,
    hidden_jacobians,
    sequence_loss_and_grads,
)
from rnnbook.cells import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LSTMCell,
    LSTMState,
    embedding_forward,
    init_output_params,
    output_forward,
    softmax_cross_entropy,
    unroll,
)
from rnnbook.gradcheck import grad_check, numerical_grads

N_X, N_H, N_Y, B, T = 3, 4, 5, 2, 4


def setup(cell=None):
    cell = cell or ElmanCell(N_X, N_H)
    rng = np.random.default_rng(0)
    params = cell.init_params(rng)
    out = None if cell.owns_output else init_output_params(N_H, N_Y, rng)
    xs = rng.normal(size=(T, N_X, B))
    ys = rng.integers(0, N_Y, size=(T, B))
    return cell, params, out, xs, ys, cell.init_state(B)


def raises(error, *fragments):
    """pytest.raises that also requires every fragment (literal text) in the message."""
    pattern = "".join(f"(?=[\\s\\S]*{re.escape(f)})" for f in fragments)
    return pytest.raises(error, match=pattern)


def test_x_t_with_swapped_axes():
    cell, params, _, _, _, state = setup()
    with raises(ValueError, "x_t:", "(n_x, B) = (3, ?)", "got (2, 3)"):
        cell.forward(params, state, np.zeros((B, N_X)))


def test_x_t_of_integer_dtype():
    cell, params, _, _, _, state = setup()
    with raises(TypeError, "x_t:", "expected a floating array", "got dtype int64"):
        cell.forward(params, state, np.zeros((N_X, B), dtype=np.int64))


def test_x_t_containing_nan():
    cell, params, _, _, _, state = setup()
    x = np.zeros((N_X, B))
    x[1, 0] = np.nan
    with raises(ValueError, "x_t:", "expected finite values", "got nan at index (1, 0)"):
        cell.forward(params, state, x)


def test_state_with_another_batch_size():
    cell, params, _, _, _, _ = setup()
    with raises(ValueError, "state_prev.h:", "(n_h, B) = (4, 2)", "got (4, 3)"):
        cell.forward(params, cell.init_state(3), np.zeros((N_X, B)))


def test_state_from_another_cell_type():
    cell = LSTMCell(N_X, N_H)
    params = cell.init_params(np.random.default_rng(0))
    elman_state = ElmanCell(N_X, N_H).init_state(B)
    with raises(
        TypeError, "state_prev:", "expected an LSTMState(h, c) for LSTMCell", "got ElmanState"
    ):
        cell.forward(params, elman_state, np.zeros((N_X, B)))


def test_plain_array_as_lstm_state():
    cell, params, out, xs, ys, _ = setup(LSTMCell(N_X, N_H))
    with raises(TypeError, "state0:", "expected an LSTMState(h, c)", "got ndarray"):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys, np.zeros((N_H, B)))


def test_params_with_wrong_shape():
    cell, params, _, _, _, state = setup(GRUCell(N_X, N_H))
    params = dict(params, W=np.zeros((3 * N_H, N_X)))
    with raises(ValueError, "params['W']:", "(3n_h, n_h) = (12, 4)", "got (12, 3)"):
        cell.forward(params, state, np.zeros((N_X, B)))


def test_params_of_another_cell():
    cell, _, _, _, _, state = setup(GRUCell(N_X, N_H))
    lstm_params = LSTMCell(N_X, N_H).init_params(np.random.default_rng(0))
    with raises(
        ValueError, "params:", "expected keys ['U', 'W', 'b_h', 'b_x']", "got ['U', 'W', 'b']"
    ):
        cell.forward(lstm_params, state, np.zeros((N_X, B)))


def test_bad_nonlinearity_name():
    with raises(
        ValueError, "nonlinearity:", "['tanh', 'sigmoid', 'relu', 'identity']", "got 'softplus'"
    ):
        ElmanCell(N_X, N_H, nonlinearity="softplus")


def test_bad_jordan_feedback_name():
    with raises(ValueError, "feedback:", "['output', 'softmax']", "got 'hidden'"):
        JordanCell(N_X, N_H, N_Y, feedback="hidden")


def test_non_integer_hidden_size():
    with raises(TypeError, "n_h:", "expected an integer", "got float 4.0"):
        LSTMCell(N_X, 4.0)


def test_empty_sequence():
    cell, params, out, _, _, state = setup()
    with raises(ValueError, "xs:", "expected a non-empty array", "got shape (0, 3, 2)"):
        sequence_loss_and_grads(
            cell, {**params, **(out or {})}, np.zeros((0, N_X, B)), np.zeros((0, B), int), state
        )


def test_xs_missing_the_time_axis():
    cell, params, _, _, _, state = setup()
    with raises(ValueError, "xs:", "expected a 3-D array of shape (T, n_x, B)", "got shape (3, 2)"):
        unroll(cell, params, np.zeros((N_X, B)), state)


def test_targets_with_mismatched_batch():
    cell, params, out, xs, _, state = setup()
    with raises(ValueError, "ys:", "(T, B) = (4, 2)", "got (4, 3)"):
        sequence_loss_and_grads(
            cell, {**params, **(out or {})}, xs, np.zeros((T, 3), dtype=int), state
        )


def test_float_targets():
    cell, params, out, xs, ys, state = setup()
    with raises(
        TypeError, "ys:", "expected an integer or unsigned integer array", "got dtype float64"
    ):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys.astype(float), state)


def test_target_class_out_of_range():
    cell, params, out, xs, ys, state = setup()
    ys = ys.copy()
    ys[2, 1] = N_Y
    with raises(ValueError, "ys[2]:", "class indices in [0, 4]", "got 5"):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys, state)


def test_output_params_that_do_not_fit_the_hidden_size():
    cell, params, _, xs, ys, state = setup()
    out = init_output_params(N_H + 1, N_Y, np.random.default_rng(0))
    with raises(ValueError, "theta['V']:", "(n_y, n_h) = (?, 4)", "got (5, 5)"):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys, state)


def test_output_params_given_to_a_jordan_cell():
    cell, params, _, xs, ys, state = setup(JordanCell(N_X, N_H, N_Y))
    out = init_output_params(N_H, N_Y, np.random.default_rng(0))
    with raises(
        ValueError,
        "theta:",
        "expected the keys ['U', 'V', 'W', 'b', 'c'] for JordanCell",
        "got ['U', 'V', 'V_out', 'W', 'b', 'c']",
    ):
        sequence_loss_and_grads(cell, {**params, "V_out": out["V"]}, xs, ys, state)


def test_teacher_forcing_on_a_cell_without_output_recurrence():
    cell, params, out, xs, ys, state = setup()
    with raises(ValueError, "teacher_forcing:", "expected False for ElmanCell", "got True"):
        sequence_loss_and_grads(
            cell, {**params, **(out or {})}, xs, ys, state, teacher_forcing=True
        )


def test_bad_truncation_settings():
    cell, params, out, xs, ys, state = setup()
    with raises(ValueError, "truncate:", "expected a finite number > 0", "got 0"):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys, state, truncate=0)
    with raises(ValueError, "truncate_mode:", "['window', 'chunk']", "got 'sliding'"):
        sequence_loss_and_grads(
            cell, {**params, **(out or {})}, xs, ys, state, truncate=2, truncate_mode="sliding"
        )
    with raises(ValueError, "loss_at:", "[0, 3] (T = 4)", "got 4"):
        sequence_loss_and_grads(cell, {**params, **(out or {})}, xs, ys, state, loss_at=T)


def test_cache_from_another_cell():
    lstm = LSTMCell(N_X, N_H)
    lstm_params = lstm.init_params(np.random.default_rng(0))
    _, cache = lstm.forward(lstm_params, lstm.init_state(B), np.zeros((N_X, B)))
    cell, params, _, _, _, state = setup()
    with raises(TypeError, "cache:", "expected an ElmanCache", "got LSTMCache"):
        cell.backward(params, state, cache)


def test_dstate_of_wrong_shape_in_backward():
    cell, params, _, _, _, state = setup(LSTMCell(N_X, N_H))
    _, cache = cell.forward(params, state, np.zeros((N_X, B)))
    bad = LSTMState(np.zeros((N_H, B)), np.zeros((N_H, B + 1)))
    with raises(ValueError, "dstate.c:", "(n_h, B) = (4, 2)", "got (4, 3)"):
        cell.backward(params, bad, cache)


def test_jacobians_need_a_single_sequence():
    cell, params, _, xs, _, state = setup()
    with raises(ValueError, "xs:", "expected batch size B = 1", "(B = 2)"):
        hidden_jacobians(cell, params, xs, state)


def test_softmax_cross_entropy_with_mismatched_targets():
    with raises(ValueError, "y:", "(B,) = (2,)", "got (3,)"):
        softmax_cross_entropy(np.zeros((N_Y, 2)), np.zeros(3, dtype=int))


def test_output_forward_with_h_of_wrong_size():
    out = init_output_params(N_H, N_Y, np.random.default_rng(0))
    with raises(ValueError, "h_t:", "(n_h, B) = (4, ?)", "got (5, 2)"):
        output_forward(out, np.zeros((N_H + 1, B)))


def test_embedding_token_out_of_vocabulary():
    with raises(ValueError, "ids:", "class indices in [0, 5]", "got 6"):
        embedding_forward(np.zeros((3, 6)), np.array([0, 6]))


def test_clipping_with_bad_threshold_or_grads():
    grads = {"W": np.ones((2, 2))}
    with raises(ValueError, "max_norm:", "expected a finite number > 0", "got -1.0"):
        clip_grad_norm(grads, -1.0)
    with raises(ValueError, "clip_value:", "expected a finite number > 0", "got 0"):
        clip_grad_value(grads, 0)
    with raises(TypeError, "grads:", "expected a non-empty dict of arrays", "got list"):
        clip_grad_norm([np.ones(2)], 1.0)


def test_gradcheck_with_mismatched_gradient_keys():
    with raises(ValueError, "grads:", "expected a dict with keys ['W']", "got ['U']"):
        grad_check(lambda p: (0.0, {"U": p["W"]}), {"W": np.ones((2, 2))})
    with raises(ValueError, "eps:", "expected a finite number > 0", "got 0.0"):
        numerical_grads(lambda p: 0.0, {"W": np.ones(2)}, eps=0.0)
