"""Each hand-written backward in rnnbook.cells against finite differences and torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.cells import (
    ElmanCell,
    ElmanState,
    GRUCell,
    JordanCell,
    LSTMCell,
    LSTMState,
    embedding_backward,
    embedding_forward,
    init_output_params,
    one_hot,
    output_backward,
    output_forward,
    softmax,
    softmax_cross_entropy,
    unroll,
)
from rnnbook.gradcheck import grad_check, numerical_grads, relative_error
from rnnbook.torch_cells import copy_numpy_to_torch

torch.set_num_threads(1)

N_X, N_H, N_Y, B = 3, 4, 5, 2
FD_TOL = 1e-7  # finite differences, float64
TORCH_TOL = 1e-10  # torch autograd on the same forward, float64
EPS = 1e-5  # central-difference step: rounding and truncation errors both ≈ 1e-10


def make_cells():
    return {
        "elman-tanh": ElmanCell(N_X, N_H),
        "elman-sigmoid": ElmanCell(N_X, N_H, "sigmoid"),
        "elman-relu": ElmanCell(N_X, N_H, "relu"),
        "elman-identity": ElmanCell(N_X, N_H, "identity"),
        "jordan-output": JordanCell(N_X, N_H, N_Y),
        "jordan-softmax": JordanCell(N_X, N_H, N_Y, feedback="softmax"),
        "lstm": LSTMCell(N_X, N_H),
        "gru": GRUCell(N_X, N_H),
    }


CELLS = make_cells()


# ---- the same forward, written in torch --------------------------------------------------------


def torch_step(cell, p, state, x):
    """One step of ``cell`` in torch; ``p`` and ``state`` hold float64 tensors."""
    if isinstance(cell, ElmanCell):
        a = p["b"] + p["W"] @ state[0] + p["U"] @ x
        phi = {
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "relu": torch.relu,
            "identity": lambda a: a,
        }
        return (phi[cell.nonlinearity](a),)
    if isinstance(cell, JordanCell):
        h = torch.tanh(p["b"] + p["W"] @ state[2] + p["U"] @ x)
        o = p["c"] + p["V"] @ h
        s = o if cell.feedback == "output" else torch.softmax(o, dim=0)
        return (h, o, s)
    if isinstance(cell, LSTMCell):
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = torch.chunk(p["b"] + p["W"] @ h_prev + p["U"] @ x, 4)
        c = torch.sigmoid(a_f) * c_prev + torch.sigmoid(a_i) * torch.tanh(a_g)
        return (torch.sigmoid(a_o) * torch.tanh(c), c)
    if isinstance(cell, GRUCell):
        h_prev = state[0]
        x_r, x_z, x_n = torch.chunk(p["U"] @ x + p["b_x"], 3)
        h_r, h_z, h_n = torch.chunk(p["W"] @ h_prev + p["b_h"], 3)
        r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        return ((1 - z) * n + z * h_prev,)
    raise TypeError(type(cell))


def to_torch(d):
    return {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in d.items()}


# ---- helpers -----------------------------------------------------------------------------------


def random_step_inputs(cell, rng):
    params = cell.init_params(rng)
    x = rng.normal(size=(N_X, B))
    state = cell.init_state(B)
    state = type(state)(*(rng.normal(size=a.shape) for a in state))
    if isinstance(cell, JordanCell) and cell.feedback == "softmax":
        state = state._replace(s=softmax(state.o))
    weights = type(state)(*(rng.normal(size=a.shape) for a in state))  # L = Σ weights ⊙ state
    return params, x, state, weights


def step_loss_and_grads(cell, flat, weights, state_type):
    """L = Σ_fields Σ weights ⊙ field of the new state; grads for params, x_t and state_prev."""
    params = {k: flat[k] for k in cell.param_shapes()}
    state_prev = state_type(*(flat[f"prev.{f}"] for f in state_type._fields))
    state, cache = cell.forward(params, state_prev, flat["x_t"])
    loss = sum(float(np.sum(w * a)) for w, a in zip(weights, state))
    dstate_prev, dx, grads = cell.backward(params, weights, cache)
    grads = dict(grads, x_t=dx)
    grads.update({f"prev.{f}": d for f, d in zip(state_type._fields, dstate_prev)})
    return loss, grads


def flatten(params, x, state):
    flat = dict(params, x_t=x)
    flat.update({f"prev.{f}": a for f, a in zip(state._fields, state)})
    return flat


# ---- cell steps --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_step_backward_matches_finite_differences(name):
    cell = CELLS[name]
    rng = np.random.default_rng(1)
    params, x, state, weights = random_step_inputs(cell, rng)
    flat = flatten(params, x, state)
    if isinstance(cell, JordanCell):
        # s^(t−1) is what the step reads; o^(t−1) and h^(t−1) only get a zero gradient
        del flat["prev.o"], flat["prev.h"]

        def f(p):
            full = dict(p, **{"prev.o": state.o, "prev.h": state.h})
            loss, grads = step_loss_and_grads(cell, full, weights, type(state))
            assert not np.any(grads.pop("prev.o")) and not np.any(grads.pop("prev.h"))
            return loss, grads
    else:

        def f(p):
            return step_loss_and_grads(cell, p, weights, type(state))

    report = grad_check(f, flat, eps=EPS)
    assert report.max_error <= FD_TOL, str(report)


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_step_backward_matches_torch(name):
    cell = CELLS[name]
    rng = np.random.default_rng(2)
    params, x, state, weights = random_step_inputs(cell, rng)
    flat = flatten(params, x, state)
    loss, grads = step_loss_and_grads(cell, flat, weights, type(state))

    tp = to_torch(flat)
    t_state = tuple(tp[f"prev.{f}"] for f in state._fields)
    new = torch_step(cell, tp, t_state, tp["x_t"])
    t_loss = sum((torch.tensor(w) * a).sum() for w, a in zip(weights, new))
    t_loss.backward()
    assert abs(loss - t_loss.item()) <= TORCH_TOL * max(1.0, abs(loss))
    for k, g in grads.items():
        t_grad = tp[k].grad if tp[k].grad is not None else torch.zeros_like(tp[k])
        assert relative_error(g, t_grad.numpy()) <= TORCH_TOL, k


@pytest.mark.parametrize("name", list(CELLS))
def test_cell_forward_shapes_and_state_type(name):
    cell = CELLS[name]
    params = cell.init_params(np.random.default_rng(0))
    assert {k: v.shape for k, v in params.items()} == cell.param_shapes()
    state, cache = cell.forward(params, cell.init_state(B), np.ones((N_X, B)))
    assert isinstance(state, cell.state_type)
    assert cell.hidden(state).shape == (N_H, B)
    dstate_prev, dx, grads = cell.backward(params, state, cache)
    assert isinstance(dstate_prev, cell.state_type)
    assert dx.shape == (N_X, B) and set(grads) == set(params)


def test_identity_elman_cell_is_affine_and_passes_gradients_through_W():
    cell = ElmanCell(N_X, N_H, "identity")
    params, x, state, weights = random_step_inputs(cell, np.random.default_rng(3))
    new_state, cache = cell.forward(params, state, x)
    assert np.allclose(new_state.h, params["b"] + params["W"] @ state.h + params["U"] @ x)
    dstate_prev, dx, grads = cell.backward(params, weights, cache)
    assert np.allclose(dstate_prev.h, params["W"].T @ weights.h)  # φ' = 1: only Wᵀ remains
    assert np.allclose(dx, params["U"].T @ weights.h)
    assert np.allclose(grads["b"], weights.h.sum(axis=1, keepdims=True))


def test_lstm_cell_state_gradient_accumulates_two_paths():
    """∇c^(t) = (from c^(t+1)) + (from h^(t)): with dh = 0 only the first path remains."""
    cell = LSTMCell(N_X, N_H)
    rng = np.random.default_rng(3)
    params, x, state, _ = random_step_inputs(cell, rng)
    new, cache = cell.forward(params, state, x)
    dc_next = rng.normal(size=(N_H, B))
    only_c, _, _ = cell.backward(params, LSTMState(np.zeros((N_H, B)), dc_next), cache)
    assert np.allclose(only_c.c, dc_next * cache.f)  # c = f ⊙ c_prev + i ⊙ g
    dh = rng.normal(size=(N_H, B))
    both, _, _ = cell.backward(params, LSTMState(dh, dc_next), cache)
    from_h = dh * cache.o_gate * (1 - np.tanh(cache.c_t) ** 2)
    assert np.allclose(both.c, (dc_next + from_h) * cache.f)


def test_gru_matches_torch_nn_grucell_with_copied_weights():
    cell = GRUCell(N_X, N_H)
    rng = np.random.default_rng(4)
    params, x, state, _ = random_step_inputs(cell, rng)
    ref = copy_numpy_to_torch(params, torch.nn.GRUCell(N_X, N_H).double())
    assert torch.equal(ref.bias_hh, torch.tensor(params["b_h"][:, 0]))  # both biases kept
    with torch.no_grad():
        expected = ref(torch.tensor(x.T), torch.tensor(state.h.T)).numpy().T
    new, _ = cell.forward(params, state, x)
    assert np.max(np.abs(new.h - expected)) <= 1e-12


def test_lstm_matches_torch_nn_lstmcell_with_copied_weights():
    cell = LSTMCell(N_X, N_H)
    rng = np.random.default_rng(5)
    params, x, state, _ = random_step_inputs(cell, rng)
    ref = copy_numpy_to_torch(params, torch.nn.LSTMCell(N_X, N_H).double())
    assert not ref.bias_hh.any()  # b went into bias_ih, bias_hh is zero
    with torch.no_grad():
        h, c = ref(torch.tensor(x.T), (torch.tensor(state.h.T), torch.tensor(state.c.T)))
    new, _ = cell.forward(params, state, x)
    assert np.max(np.abs(new.h - h.numpy().T)) <= 1e-12
    assert np.max(np.abs(new.c - c.numpy().T)) <= 1e-12


def test_unroll_returns_one_state_and_cache_per_step():
    cell = ElmanCell(N_X, N_H)
    rng = np.random.default_rng(6)
    params = cell.init_params(rng)
    xs = rng.normal(size=(4, N_X, B))
    states, caches = unroll(cell, params, xs, cell.init_state(B))
    assert len(states) == len(caches) == 4
    h = np.zeros((N_H, B))
    for t in range(4):  # the same recurrence, written out
        h = np.tanh(params["b"] + params["W"] @ h + params["U"] @ xs[t])
        assert np.allclose(states[t].h, h)
        assert isinstance(states[t], ElmanState)


# ---- output layer, softmax cross-entropy, embedding --------------------------------------------


def test_output_layer_backward_matches_finite_differences_and_torch():
    rng = np.random.default_rng(7)
    out = init_output_params(N_H, N_Y, rng)
    h = rng.normal(size=(N_H, B))
    R = rng.normal(size=(N_Y, B))

    def f(p):
        o, cache = output_forward({"V": p["V"], "c": p["c"]}, p["h"])
        dh, grads = output_backward({"V": p["V"], "c": p["c"]}, R, cache)
        return float(np.sum(R * o)), dict(grads, h=dh)

    flat = dict(out, h=h)
    assert grad_check(f, flat, eps=EPS).max_error <= FD_TOL
    _, grads = f(flat)
    tp = to_torch(flat)
    (torch.tensor(R) * (tp["c"] + tp["V"] @ tp["h"])).sum().backward()
    for k in flat:
        assert relative_error(grads[k], tp[k].grad.numpy()) <= TORCH_TOL, k


def test_softmax_cross_entropy_gradient_and_value():
    rng = np.random.default_rng(8)
    o = rng.normal(size=(N_Y, 3))
    y = np.array([0, 4, 2])
    loss, do = softmax_cross_entropy(o, y)
    num = numerical_grads(lambda p: softmax_cross_entropy(p["o"], y)[0], {"o": o}, eps=EPS)
    assert relative_error(do, num["o"]) <= FD_TOL
    to = torch.tensor(o, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(to.T, torch.tensor(y))  # mean over the batch
    t_loss.backward()
    assert abs(loss - t_loss.item()) <= TORCH_TOL
    assert relative_error(do, to.grad.numpy()) <= TORCH_TOL
    assert np.allclose(do, (softmax(o) - one_hot(y, N_Y)) / 3)  # (ŷ − y) / B


def test_softmax_columns_are_distributions_and_survive_large_logits():
    p = softmax(np.array([[1000.0, 0.0], [1001.0, 0.0]]))
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=0), 1.0)
    assert np.isclose(p[1, 0], 1 / (1 + np.exp(-1)))


def test_embedding_backward_matches_finite_differences_and_torch():
    rng = np.random.default_rng(9)
    W_emb = rng.normal(size=(3, 6))
    ids = np.array([2, 5, 2])  # token 2 twice: its column must collect both gradients
    R = rng.normal(size=(3, 3))

    def f(p):
        e, cache = embedding_forward(p["W_emb"], ids)
        return float(np.sum(R * e)), {"W_emb": embedding_backward(p["W_emb"], R, cache)}

    assert grad_check(f, {"W_emb": W_emb}, eps=EPS).max_error <= FD_TOL
    e, cache = embedding_forward(W_emb, ids)
    assert np.allclose(e, W_emb @ one_hot(ids, 6))  # the lookup is W_emb x with x one-hot
    tE = torch.tensor(W_emb, requires_grad=True)
    (torch.tensor(R) * tE[:, torch.tensor(ids)]).sum().backward()
    dW_emb = embedding_backward(W_emb, R, cache)
    assert relative_error(dW_emb, tE.grad.numpy()) <= TORCH_TOL
    assert np.allclose(dW_emb[:, 2], R[:, 0] + R[:, 2])


# ---- gradcheck itself --------------------------------------------------------------------------


def test_grad_check_reports_a_wrong_gradient_by_name_and_index():
    rng = np.random.default_rng(10)
    W = rng.normal(size=(4, 3))

    def f(p):
        g = 2 * p["W"]
        g[3, 1] += 0.5  # a deliberate mistake
        return float(np.sum(p["W"] ** 2)), {"W": g}

    report = grad_check(f, {"W": W})
    assert report.where == "W[3,1]" and report.param == "W" and report.index == (3, 1)
    assert report.max_error > 1e-2
    assert "dW differs from the numerical gradient at W[3,1]" in str(report)


def test_relative_error_is_zero_for_equal_arrays_and_scale_free():
    a = np.array([1.0, -2.0, 0.0])
    assert relative_error(a, a) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert np.isclose(relative_error(a, a + 0.02), 0.01)
    assert np.isclose(relative_error(1e6 * a, 1e6 * (a + 0.02)), 0.01)


@pytest.mark.parametrize(
    ("cell", "module"),
    [
        (ElmanCell(N_X, N_H), torch.nn.RNN),
        (ElmanCell(N_X, N_H, "relu"), torch.nn.RNN),
        (LSTMCell(N_X, N_H), torch.nn.LSTM),
        (GRUCell(N_X, N_H), torch.nn.GRU),
    ],
    ids=["rnn-tanh", "rnn-relu", "lstm", "gru"],
)
def test_unroll_matches_torch_layers_with_copied_weights(cell, module):
    """copy_numpy_to_torch into nn.RNN/nn.LSTM/nn.GRU: every h^(t) (and c^(T)) equal to 1e-12."""
    rng = np.random.default_rng(8)
    params = cell.init_params(rng)
    xs = rng.normal(size=(6, N_X, B))
    kwargs = {"nonlinearity": cell.nonlinearity} if module is torch.nn.RNN else {}
    ref = copy_numpy_to_torch(params, module(N_X, N_H, **kwargs).double())
    states, _ = unroll(cell, params, xs, cell.init_state(B))
    with torch.no_grad():
        out, final = ref(torch.from_numpy(xs.transpose(0, 2, 1).copy()))
    hs = np.stack([s.h.T for s in states])  # (T, B, n_h), PyTorch's layout
    assert np.max(np.abs(hs - out.numpy())) <= 1e-12
    if isinstance(cell, LSTMCell):
        assert np.max(np.abs(states[-1].c.T - final[1][0].numpy())) <= 1e-12
