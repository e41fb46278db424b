"""Bad inputs to the numpy core, its optimisers, the numpy language model and the torch cells.

Each test gives one public function one mistake and asserts the exception type (TypeError for a
wrong type or dtype, ValueError for a wrong shape or value: one type per kind of mistake, in
both halves) and the words of its message: the argument's name, what was expected, what arrived.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from rnnbook import bptt, cells, gradcheck, optim, text, torch_cells
from rnnbook._validate import check_tensor
from rnnbook.topics import numpy_lm

N_X, N_H, N_Y, B, T = 3, 4, 5, 2, 4
RNG = np.random.default_rng(0)


def raises(error, *fragments):
    """pytest.raises that requires every fragment (literal text) in the message, in any order."""
    pattern = "".join(f"(?=[\\s\\S]*{re.escape(f)})" for f in fragments)
    return pytest.raises(error, match=pattern)


def elman():
    cell = cells.ElmanCell(N_X, N_H)
    rng = np.random.default_rng(1)
    theta = {**cell.init_params(rng), **cells.init_output_params(N_H, N_Y, rng)}
    xs = rng.normal(size=(T, N_X, B))
    ys = rng.integers(0, N_Y, size=(T, B))
    return cell, theta, xs, ys, cell.init_state(B)


def lm_model(V=5):
    return numpy_lm.NumpyRNNLM(V, 4, np.random.default_rng(0))


def vocab5():
    return text.Vocab(list("abcd"))  # <unk> a b c d


# ---- rnnbook.cells ---------------------------------------------------------------------------


def test_softmax_of_a_vector():
    with raises(ValueError, "o:", "expected a 2-D array", "got shape (5,)"):
        cells.softmax(np.zeros(N_Y))


def test_softmax_cross_entropy_of_integer_logits():
    with raises(TypeError, "o:", "expected a floating array", "got dtype int64"):
        cells.softmax_cross_entropy(np.zeros((N_Y, B), dtype=np.int64), np.zeros(B, dtype=int))


def test_softmax_cross_entropy_with_target_minus_one():
    with raises(ValueError, "y:", "class indices in [0, 4]", "got -1"):
        cells.softmax_cross_entropy(np.zeros((N_Y, B)), np.array([0, -1]))


def test_one_hot_of_float_indices():
    with raises(TypeError, "y:", "expected an integer array", "got dtype float64"):
        cells.one_hot(np.array([1.7, 2.0]), 4)


def test_one_hot_with_zero_classes():
    with raises(ValueError, "n_classes:", "expected a finite number > 0", "got 0"):
        cells.one_hot(np.array([0]), 0)


def test_one_hot_of_a_3d_array():
    with raises(ValueError, "y:", "expected shape (B,) or (T, B)", "got (1, 1, 1)"):
        cells.one_hot(np.zeros((1, 1, 1), dtype=int), 2)


def test_one_hot_too_large_is_refused_with_its_size():
    with raises(ValueError, "n_classes:", "would take", "GiB", "use an embedding"):
        cells.one_hot(np.zeros(40_000, dtype=int), 40_000)


def test_init_output_params_with_zero_outputs():
    with raises(ValueError, "n_y:", "expected a finite number > 0", "got 0"):
        cells.init_output_params(N_H, 0, RNG)


def test_output_forward_with_a_list_of_params():
    with raises(TypeError, "out_params:", "expected a dict of arrays", "got list"):
        cells.output_forward([np.zeros((N_Y, N_H))], np.zeros((N_H, B)))


def test_output_forward_without_its_bias():
    with raises(ValueError, "out_params:", "expected the output layer's keys", "missing ['c']"):
        cells.output_forward({"V": np.zeros((N_Y, N_H))}, np.zeros((N_H, B)))


def test_output_backward_with_a_cache_of_another_kind():
    out = cells.init_output_params(N_H, N_Y, RNG)
    _, cache = cells.embedding_forward(np.zeros((2, 3)), np.array([0, 1]))
    with raises(TypeError, "cache:", "expected an OutputCache", "got EmbeddingCache"):
        cells.output_backward(out, np.zeros((N_Y, B)), cache)


def test_output_backward_with_do_t_of_the_wrong_shape():
    out = cells.init_output_params(N_H, N_Y, RNG)
    _, cache = cells.output_forward(out, np.zeros((N_H, B)))
    with raises(ValueError, "do_t:", "(n_y, B) = (5, 2)", "got (2, 5)"):
        cells.output_backward(out, np.zeros((B, N_Y)), cache)


def test_embedding_forward_with_float_ids():
    with raises(TypeError, "ids:", "expected an integer or unsigned integer array", "float64"):
        cells.embedding_forward(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_embedding_backward_with_de_t_of_the_wrong_shape():
    W_emb = np.zeros((2, 3))
    _, cache = cells.embedding_forward(W_emb, np.array([0, 1]))
    with raises(ValueError, "de_t:", "(d, B) = (2, 2)", "got (3, 2)"):
        cells.embedding_backward(W_emb, np.zeros((3, 2)), cache)


def test_cell_with_zero_inputs():
    with raises(ValueError, "n_x:", "expected a finite number > 0", "got 0"):
        cells.ElmanCell(0, N_H)


def test_cell_with_a_bool_size():
    with raises(TypeError, "n_h:", "expected an integer", "got bool True"):
        cells.GRUCell(N_X, True)


def test_init_params_with_a_seed_instead_of_a_generator():
    with raises(TypeError, "rng:", "expected a numpy Generator", "got int"):
        cells.LSTMCell(N_X, N_H).init_params(42)


def test_init_state_with_a_float_batch():
    with raises(TypeError, "batch:", "expected an integer", "got float 2.0"):
        cells.ElmanCell(N_X, N_H).init_state(2.0)


def test_forward_with_params_as_a_list():
    cell = cells.ElmanCell(N_X, N_H)
    with raises(TypeError, "params:", "expected a dict of arrays", "got list"):
        cell.forward([np.zeros((N_H, N_X))], cell.init_state(B), np.zeros((N_X, B)))


def test_jordan_force_with_a_target_out_of_range():
    cell = cells.JordanCell(N_X, N_H, N_Y)
    with raises(ValueError, "y:", "class indices in [0, 4]", "got 5"):
        cell.force(cell.init_state(B), np.array([0, N_Y]))


def test_hidden_of_a_state_of_another_cell():
    with raises(TypeError, "state:", "expected a GRUState(h) for GRUCell", "got LSTMState"):
        cells.GRUCell(N_X, N_H).hidden(cells.LSTMCell(N_X, N_H).init_state(B))


def test_unroll_with_a_torch_cell():
    with raises(TypeError, "cell:", "expected an ElmanCell, JordanCell, LSTMCell or GRUCell"):
        cells.unroll(torch_cells.ElmanCell(N_X, N_H), {}, np.zeros((T, N_X, B)), None)


def test_add_states_of_two_types():
    a = cells.ElmanCell(N_X, N_H).init_state(B)
    with raises(TypeError, "b:", "expected an ElmanState", "got GRUState"):
        cells.add_states(a, cells.GRUState(a.h))


# ---- rnnbook.bptt ----------------------------------------------------------------------------


def test_sequence_forward_with_theta_as_a_list():
    cell, theta, xs, _, state0 = elman()
    with raises(TypeError, "theta:", "expected a dict of arrays", "got list"):
        bptt.sequence_forward(cell, list(theta.values()), xs, state0)


def test_sequence_forward_without_the_output_layer():
    cell, theta, xs, _, state0 = elman()
    with raises(ValueError, "theta:", "expected the keys ['U', 'V', 'W', 'b', 'c']", "got ['U'"):
        bptt.sequence_forward(cell, {k: theta[k] for k in "UWb"}, xs, state0)


def test_sequence_loss_with_an_unknown_reduction():
    cell, theta, xs, ys, state0 = elman()
    with raises(ValueError, "reduction:", "['sum', 'mean']", "got 'avg'"):
        bptt.sequence_loss_and_grads(cell, theta, xs, ys, state0, reduction="avg")


def test_sequence_loss_with_a_negative_loss_step():
    cell, theta, xs, ys, state0 = elman()
    with raises(ValueError, "loss_at:", "expected a finite number >= 0", "got -1"):
        bptt.sequence_loss_and_grads(cell, theta, xs, ys, state0, loss_at=-1)


def test_sequence_loss_with_a_fractional_truncation():
    cell, theta, xs, ys, state0 = elman()
    with raises(TypeError, "truncate:", "expected an integer", "got float 2.5"):
        bptt.sequence_loss_and_grads(cell, theta, xs, ys, state0, truncate=2.5)


def test_clip_grad_norm_refuses_nan_naming_the_parameter():
    grads = {"U": np.ones((2, 2)), "W": np.array([[1.0, np.nan]])}
    with raises(ValueError, "grads['W']:", "expected finite gradients", "got nan at index (0, 1)"):
        bptt.clip_grad_norm(grads, 1.0)


def test_clip_grad_norm_refuses_infinity():
    with raises(ValueError, "grads['b']:", "expected finite gradients", "got inf"):
        bptt.clip_grad_norm({"b": np.array([np.inf, 0.0])}, 5.0)


def test_clip_grad_value_refuses_nan():
    with raises(ValueError, "grads['c']:", "expected finite gradients", "got nan"):
        bptt.clip_grad_value({"c": np.array([np.nan])}, 1.0)


def test_clip_grad_norm_of_an_empty_dict():
    with raises(ValueError, "grads:", "expected a non-empty dict of arrays", "got an empty dict"):
        bptt.clip_grad_norm({}, 1.0)


def test_jacobian_norms_with_an_unknown_norm():
    cell, theta, xs, _, _ = elman()
    with raises(ValueError, "ord:", "expected one of", "got 'max'"):
        bptt.jacobian_norms_by_lag(cell, theta, xs[:, :, :1], cell.init_state(1), ord="max")


def test_elman_bptt_with_lstm_parameters():
    lstm = cells.LSTMCell(N_X, N_H)
    theta = {**lstm.init_params(RNG), **cells.init_output_params(N_H, N_Y, RNG)}
    _, _, xs, ys, state0 = elman()
    with raises(ValueError, "theta['W']:", "(n_h, n_h) = (16, 16)", "got (16, 4)"):
        bptt.elman_bptt(theta, xs, ys, state0.h)


def test_elman_bptt_with_h0_of_another_batch():
    _, theta, xs, ys, _ = elman()
    with raises(ValueError, "h0:", "(n_h, B) = (4, 2)", "got (4, 3)"):
        bptt.elman_bptt(theta, xs, ys, np.zeros((N_H, 3)))


def test_elman_bptt_with_float_targets():
    _, theta, xs, ys, state0 = elman()
    with raises(TypeError, "ys:", "expected an integer or unsigned integer array", "float64"):
        bptt.elman_bptt(theta, xs, ys.astype(float), state0.h)


def test_model_keys_of_a_torch_cell():
    with raises(TypeError, "cell:", "expected an ElmanCell", "got LSTMCell"):
        bptt.model_keys(torch_cells.LSTMCell(N_X, N_H))


# ---- rnnbook.gradcheck -----------------------------------------------------------------------


def test_relative_error_refuses_nan_so_that_err_gt_tol_cannot_pass():
    with raises(ValueError, "a:", "expected finite values", "got nan at index (1,)"):
        gradcheck.relative_error(np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_relative_error_refuses_infinity_in_b():
    with raises(ValueError, "b:", "expected finite values", "got inf"):
        gradcheck.relative_error(np.ones(2), np.array([np.inf, 1.0]))


def test_relative_error_of_a_string():
    with raises(TypeError, "b:", "expected a numeric array", "got str"):
        gradcheck.relative_error(np.ones(2), "1.0")


def test_relative_error_of_two_shapes():
    with raises(ValueError, "b:", "expected the shape of a, (2,)", "got (3,)"):
        gradcheck.relative_error(np.ones(2), np.ones(3))


def test_numerical_grads_of_something_not_callable():
    with raises(TypeError, "f:", "expected a function of the parameter dict", "got float"):
        gradcheck.numerical_grads(1.0, {"W": np.ones(2)})


def test_numerical_grads_of_integer_parameters():
    with raises(TypeError, "params['W']:", "expected a floating array", "got dtype int64"):
        gradcheck.numerical_grads(lambda p: 0.0, {"W": np.ones(2, dtype=np.int64)})


def test_numerical_grads_of_a_function_returning_an_array():
    with raises(TypeError, "f:", "returns a scalar loss", "of shape (2,)"):
        gradcheck.numerical_grads(lambda p: p["W"] * 2, {"W": np.ones(2)})


def test_numerical_grads_refuses_a_million_elements_with_the_count():
    with raises(ValueError, "params:", "at most 1,000,000 elements", "got 1,000,001"):
        gradcheck.numerical_grads(lambda p: 0.0, {"W": np.ones(1_000_001)})


def test_grad_check_of_a_function_returning_only_the_loss():
    with raises(TypeError, "f_and_grads:", "return a pair (loss, grads)", "got float"):
        gradcheck.grad_check(lambda p: 0.0, {"W": np.ones(2)})


def test_grad_check_with_a_nan_analytic_gradient():
    with raises(ValueError, "grads['W']:", "expected finite values", "got nan"):
        gradcheck.grad_check(lambda p: (0.0, {"W": np.full(2, np.nan)}), {"W": np.ones(2)})


# ---- rnnbook.optim ---------------------------------------------------------------------------


def test_optimiser_on_a_list_of_arrays():
    with raises(TypeError, "params:", "expected a dict of parameter arrays", "got list"):
        optim.SGD([np.ones(2)], lr=0.1)


def test_optimiser_on_no_parameters():
    with raises(ValueError, "params:", "expected a non-empty dict"):
        optim.Adagrad({}, lr=0.1)


def test_optimiser_with_a_negative_learning_rate():
    with raises(ValueError, "lr:", "expected a finite number > 0", "got -0.01"):
        optim.Adam({"w": np.ones(2)}, lr=-0.01)  # gradient ascent


def test_adam_with_beta1_of_one():
    with raises(ValueError, "beta1:", "expected a number in [0, 1)", "got 1.0"):
        optim.Adam({"w": np.ones(2)}, beta1=1.0)


def test_adam_with_beta2_as_a_string():
    with raises(TypeError, "beta2:", "expected a number in [0, 1)", "got str"):
        optim.Adam({"w": np.ones(2)}, beta2="0.999")


def test_adagrad_with_zero_eps():
    with raises(ValueError, "eps:", "expected a finite number > 0", "got 0"):
        optim.Adagrad({"w": np.ones(2)}, eps=0)


def test_optimiser_on_integer_parameters():
    with raises(TypeError, "params['w']:", "expected a floating array", "got dtype int64"):
        optim.SGD({"w": np.ones(2, dtype=np.int64)})


def test_optimiser_on_a_read_only_array():
    w = np.ones(2)
    w.flags.writeable = False
    with raises(ValueError, "params['w']:", "expected a writeable array"):
        optim.SGD({"w": w})


def test_step_with_a_missing_gradient():
    opt = optim.SGD({"w": np.ones(2), "b": np.ones(1)})
    with raises(ValueError, "grads:", "expected the keys of the parameters ['b', 'w']", "['w']"):
        opt.step({"w": np.ones(2)})


def test_step_with_a_gradient_of_another_shape():
    opt = optim.Adam({"w": np.ones((2, 3))})
    with raises(ValueError, "grads['w']:", "expected shape (2, 3)", "got (3, 2)"):
        opt.step({"w": np.ones((3, 2))})


def test_step_with_an_infinite_gradient_changes_nothing():
    params = {"w": np.ones(2)}
    opt = optim.SGD(params)
    with raises(ValueError, "grads['w']:", "expected finite gradients", "no parameter was changed"):
        opt.step({"w": np.array([1.0, -np.inf])})
    assert np.array_equal(params["w"], np.ones(2))


# ---- rnnbook.topics.numpy_lm -----------------------------------------------------------------


def test_numpy_lm_with_a_seed_instead_of_a_generator():
    with raises(TypeError, "rng:", "expected a numpy Generator", "got int"):
        numpy_lm.NumpyRNNLM(5, 4, 0)


def test_numpy_lm_with_an_empty_vocabulary():
    with raises(ValueError, "vocab_size:", "expected a finite number > 0", "got 0"):
        numpy_lm.NumpyRNNLM(0, 4, np.random.default_rng(0))


def test_evaluate_a_torch_model():
    with raises(TypeError, "model:", "expected a NumpyRNNLM", "got Linear"):
        numpy_lm.evaluate(nn.Linear(2, 2), [])


def test_evaluate_on_a_gpu():
    with raises(ValueError, "device:", "expected None or 'cpu'", "got 'cuda'"):
        numpy_lm.evaluate(lm_model(), [], device="cuda")


def test_evaluate_no_batches():
    with raises(ValueError, "batches:", "expected at least one batch", "got none"):
        numpy_lm.evaluate(lm_model(), [])


def test_evaluate_targets_out_of_the_vocabulary():
    X = np.zeros((2, 3), dtype=int)
    with raises(ValueError, "Y:", "expected indices in [0, 4]", "got 0..7"):
        numpy_lm.evaluate(lm_model(), [(X, X + np.array([0, 0, 7]))])


def test_evaluate_with_stateful_as_a_string():
    with raises(TypeError, "stateful:", "expected True, False or None", "got 'yes'"):
        numpy_lm.evaluate(lm_model(), [], stateful="yes")


def test_train_with_a_torch_optimizer():
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    with raises(TypeError, "optimizer:", "rnnbook.optim.Optimizer", "got SGD"):
        numpy_lm.train(lm_model(), [], steps=1, optimizer=opt)


def test_train_for_zero_steps():
    with raises(ValueError, "steps:", "expected a finite number > 0", "got 0"):
        numpy_lm.train(lm_model(), [], steps=0)


def test_train_with_a_negative_clip_norm():
    with raises(ValueError, "clip_norm:", "expected a finite number > 0", "got -1.0"):
        numpy_lm.train(lm_model(), [], steps=1, clip_norm=-1.0)


def test_train_on_no_batches():
    with raises(ValueError, "train_batches:", "expected at least one batch", "got none"):
        numpy_lm.train(lm_model(), [], epochs=1)


def test_loss_and_grads_of_float_inputs():
    with raises(TypeError, "X:", "expected an integer or unsigned integer array", "float64"):
        lm_model().loss_and_grads(np.zeros((2, 3)), np.zeros((2, 3), dtype=int))


def test_loss_and_grads_of_transposed_targets():
    X = np.zeros((2, 3), dtype=int)
    with raises(ValueError, "Y:", "(B, T) = (2, 3)", "got (3, 2)"):
        lm_model().loss_and_grads(X, X.T)


def test_sample_with_a_vocabulary_of_another_size():
    with raises(ValueError, "vocab:", "expected 6 tokens (the model's vocab_size)", "got 5"):
        numpy_lm.sample(lm_model(6), vocab5(), "ab", 3)


def test_sample_with_a_dict_as_vocabulary():
    with raises(TypeError, "vocab:", "expected an rnnbook.text.Vocab", "got dict"):
        numpy_lm.sample(lm_model(), {"a": 1}, "ab", 3)


def test_sample_with_a_misspelt_strategy():
    with raises(ValueError, "strategy:", "['greedy', 'temperature', 'top_k']", "got 'topk'"):
        numpy_lm.sample(lm_model(), vocab5(), "ab", 3, strategy="topk")


def test_sample_with_a_negative_temperature():
    with raises(ValueError, "temperature:", "expected a finite number > 0", "got -0.5"):
        numpy_lm.sample(lm_model(), vocab5(), "ab", 3, strategy="temperature", temperature=-0.5)


def test_sample_top_k_without_k():
    with raises(ValueError, "k:", "expected an integer in [1, 5]", "got None"):
        numpy_lm.sample(lm_model(), vocab5(), "ab", 3, strategy="top_k")


def test_sample_with_a_torch_generator():
    with raises(TypeError, "generator:", "expected a numpy Generator", "got Generator"):
        numpy_lm.sample(lm_model(), vocab5(), "ab", 3, generator=torch.Generator())


def test_sample_from_an_empty_prefix():
    with raises(ValueError, "prefix:", "expected at least one token", "got ''"):
        numpy_lm.sample(lm_model(), vocab5(), "", 3)


# ---- rnnbook.torch_cells and the shared check_tensor ------------------------------------------


def test_copy_numpy_to_a_linear_layer():
    with raises(TypeError, "torch_module:", "expected nn.RNN, nn.LSTM, nn.GRU", "got Linear"):
        torch_cells.copy_numpy_to_torch({}, nn.Linear(2, 2))


def test_copy_lstm_params_into_a_gru():
    params = cells.LSTMCell(N_X, N_H).init_params(RNG)
    with raises(ValueError, "params:", "numpy GRUCell", "missing ['b_x', 'b_h']"):
        torch_cells.copy_numpy_to_torch(params, nn.GRU(N_X, N_H))


def test_copy_elman_params_into_an_lstm():
    params = cells.ElmanCell(N_X, N_H).init_params(RNG)
    with raises(ValueError, "params['U']:", "(4n_h, n_x) = (16, 3)", "got (4, 3)"):
        torch_cells.copy_numpy_to_torch(params, nn.LSTM(N_X, N_H))


def test_copy_one_cell_into_two_layers():
    params = cells.ElmanCell(N_X, N_H).init_params(RNG)
    with raises(ValueError, "torch_module:", "expected one layer in one direction", "num_layers=2"):
        torch_cells.copy_numpy_to_torch(params, nn.RNN(N_X, N_H, num_layers=2))


def test_copy_into_a_module_without_bias():
    params = cells.GRUCell(N_X, N_H).init_params(RNG)
    with raises(ValueError, "torch_module:", "expected bias=True", "got bias=False"):
        torch_cells.copy_numpy_to_torch(params, nn.GRUCell(N_X, N_H, bias=False))


def test_copy_a_list_of_arrays():
    with raises(TypeError, "params:", "expected a dict of numpy arrays", "got list"):
        torch_cells.copy_numpy_to_torch([np.zeros(1)], nn.RNN(N_X, N_H))


def test_copy_torch_tensors_as_numpy_params():
    params = {"U": torch.zeros(N_H, N_X), "W": torch.zeros(N_H, N_H), "b": torch.zeros(N_H, 1)}
    with raises(TypeError, "params['U']:", "expected a numpy array", "got Tensor"):
        torch_cells.copy_numpy_to_torch(params, nn.RNNCell(N_X, N_H))


def test_torch_cell_init_state_of_an_empty_batch():
    with raises(ValueError, "B:", "expected a finite number > 0", "got 0"):
        torch_cells.LSTMCell(N_X, N_H).init_state(0)


def test_stacked_rnn_with_a_string_size():
    with raises(TypeError, "n_x:", "expected an integer", "got str '3'"):
        torch_cells.StackedRNN("rnn", "3", N_H)


def test_stacked_rnn_with_negative_dropout():
    with raises(ValueError, "dropout:", "expected a finite number >= 0", "got -0.1"):
        torch_cells.StackedRNN("lstm", N_X, N_H, 2, dropout=-0.1)


def test_recurrent_layer_of_a_cell_name():
    with raises(TypeError, "cell:", "expected an ElmanCell, LSTMCell or GRUCell", "got str"):
        torch_cells.RecurrentLayer("lstm")


def test_stacked_rnn_with_a_state_of_one_layer_too_few():
    rnn = torch_cells.StackedRNN("gru", N_X, N_H, num_layers=2)
    with raises(ValueError, "state:", "(L*D, B, n_h) = (2, 2, 4)", "got (1, 2, 4)"):
        rnn(torch.zeros(T, B, N_X), torch.zeros(1, B, N_H))


def test_torch_lstm_cell_with_a_single_state_tensor():
    with raises(TypeError, "state:", "expected a pair (h, c) of tensors for an LSTM", "single"):
        torch_cells.LSTMCell(N_X, N_H)(torch.zeros(B, N_X), torch.zeros(B, N_H))


def test_check_tensor_of_a_numpy_array():
    with raises(TypeError, "x:", "expected a torch.Tensor", "got ndarray"):
        check_tensor("x", np.zeros((2, 3)), (None, 3), ("B", "n_x"))


def test_check_tensor_of_the_wrong_width_says_the_same_as_check_array():
    with raises(ValueError, "x:", "expected shape (B, n_x) = (?, 3)", "got (2, 4)"):
        check_tensor("x", torch.zeros(2, 4), (None, 3), ("B", "n_x"))
