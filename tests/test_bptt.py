"""Sequence-level BPTT (rnnbook.bptt) against finite differences and torch autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.bptt import (
    clip_grad_norm,
    clip_grad_value,
    elman_bptt,
    hidden_jacobians,
    jacobian_norms_by_lag,
    sequence_forward,
    sequence_loss_and_grads,
)
from rnnbook.cells import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LSTMCell,
    init_output_params,
    softmax,
    softmax_cross_entropy,
)
from rnnbook.gradcheck import grad_check, numerical_grads, relative_error

try:  # the torch versions of the cells are written once, in test_cells.py
    from test_cells import make_cells, torch_step
except ImportError:  # pragma: no cover - when tests/ is imported as a package
    from tests.test_cells import make_cells, torch_step

torch.set_num_threads(1)

T, N_X, N_H, N_Y, B = 4, 3, 4, 5, 2
FD_TOL, TORCH_TOL, EPS = 1e-7, 1e-10, 1e-5
CELLS = make_cells()


def model(cell, seed=0):
    """params, out_params, xs, ys, state0 for a small random problem."""
    rng = np.random.default_rng(seed)
    params = cell.init_params(rng)
    out_params = None if cell.owns_output else init_output_params(N_H, N_Y, rng)
    xs = rng.normal(size=(T, N_X, B))
    ys = rng.integers(0, N_Y, size=(T, B))
    state0 = cell.init_state(B)
    state0 = type(state0)(*(0.5 * rng.normal(size=a.shape) for a in state0))
    if isinstance(cell, JordanCell) and cell.feedback == "softmax":
        state0 = state0._replace(s=softmax(state0.o))
    return params, out_params, xs, ys, state0


def merged(params, out_params):
    return {**params, **(out_params or {})}


# ---- the same model in torch -------------------------------------------------------------------


def torch_loss(cell, flat, xs, ys, state0, *, truncate=None, mode="window", forcing=False):
    """L = Σ_t CE(o^(t), y^(t)) in torch, truncated by detaching states as described in bptt."""
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in flat.items()}
    x = torch.tensor(xs)
    y = torch.tensor(ys)
    s0 = tuple(torch.tensor(a, requires_grad=True) for a in state0)

    def readout(state):
        return state[1] if cell.owns_output else p["c"] + p["V"] @ state[0]

    def step(t, state):
        if forcing and t > 0:
            forced = torch.nn.functional.one_hot(y[t - 1], N_Y).T.double()
            state = (state[0], state[1], forced)
        return torch_step(cell, p, state, x[t])

    def ce(t, state):
        return torch.nn.functional.cross_entropy(readout(state).T, y[t])

    loss = torch.zeros((), dtype=torch.float64)
    if truncate is not None and mode == "window":
        states, state = [s0], s0
        with torch.no_grad():  # the states that each window starts from, as constants
            for t in range(T):
                state = step(t, state)
                states.append(state)
        for tau in range(T):
            start = max(0, tau - truncate + 1)
            state = s0 if start == 0 else tuple(a.detach() for a in states[start])
            for t in range(start, tau + 1):
                state = step(t, state)
            loss = loss + ce(tau, state)
    else:
        state = s0
        for t in range(T):
            if truncate is not None and t > 0 and t % truncate == 0:
                state = tuple(a.detach() for a in state)  # a new chunk starts here
            state = step(t, state)
            loss = loss + ce(t, state)
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in p.items()}
    dstate0 = tuple(
        np.zeros_like(a) if g.grad is None else g.grad.numpy() for a, g in zip(state0, s0)
    )
    return loss.item(), grads, dstate0


# ---- full BPTT ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(CELLS))
def test_full_bptt_matches_finite_differences(name):
    cell = CELLS[name]
    params, out_params, xs, ys, state0 = model(cell)

    def f(flat):
        r = sequence_loss_and_grads(cell, flat, xs, ys, state0)
        return r.loss, r.grads

    report = grad_check(f, merged(params, out_params), eps=EPS)
    assert report.max_error <= FD_TOL, str(report)


@pytest.mark.parametrize("name", list(CELLS))
def test_full_bptt_matches_torch_autograd(name):
    cell = CELLS[name]
    params, out_params, xs, ys, state0 = model(cell, seed=1)
    r = sequence_loss_and_grads(cell, merged(params, out_params), xs, ys, state0)
    loss, grads, dstate0 = torch_loss(cell, merged(params, out_params), xs, ys, state0)
    assert abs(r.loss - loss) <= TORCH_TOL * max(1.0, loss)
    for k in grads:
        assert relative_error(r.grads[k], grads[k]) <= TORCH_TOL, k
    for ours, theirs in zip(r.dstate0, dstate0):
        assert np.max(np.abs(ours - theirs)) <= TORCH_TOL


def test_jordan_teacher_forcing_matches_torch_and_finite_differences():
    cell = JordanCell(N_X, N_H, N_Y, feedback="softmax")
    params, _, xs, ys, state0 = model(cell, seed=2)
    r = sequence_loss_and_grads(cell, params, xs, ys, state0, teacher_forcing=True)
    loss, grads, _ = torch_loss(cell, params, xs, ys, state0, forcing=True)
    assert abs(r.loss - loss) <= TORCH_TOL * loss
    for k in grads:
        assert relative_error(r.grads[k], grads[k]) <= TORCH_TOL, k

    def f(flat):
        res = sequence_loss_and_grads(cell, flat, xs, ys, state0, teacher_forcing=True)
        return res.loss, res.grads

    assert grad_check(f, params, eps=EPS).max_error <= FD_TOL
    free = sequence_loss_and_grads(cell, params, xs, ys, state0)
    assert abs(free.loss - r.loss) > 1e-6  # feeding targets is a different computation
    assert np.allclose(free.step_losses[0], r.step_losses[0])  # ... except at the first step


# ---- per-step terms ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["elman-tanh", "jordan-output", "lstm", "gru"])
def test_per_step_terms_sum_to_the_gradient(name):
    cell = CELLS[name]
    params, out_params, xs, ys, state0 = model(cell, seed=3)
    r = sequence_loss_and_grads(cell, merged(params, out_params), xs, ys, state0, per_step=True)
    assert set(r.per_step) == set(r.grads)
    for k, terms in r.per_step.items():
        assert terms.shape == (T, *r.grads[k].shape)
        assert np.allclose(terms.sum(axis=0), r.grads[k], rtol=1e-12, atol=1e-14), k
    assert np.any(r.per_step["U"][0] != 0) and np.any(r.per_step["U"][-1] != 0)
    plain = sequence_loss_and_grads(cell, merged(params, out_params), xs, ys, state0)
    assert plain.per_step is None
    for k in plain.grads:
        assert np.array_equal(plain.grads[k], r.grads[k])


def test_one_loss_term_split_over_steps_as_in_the_notes():
    """∇_U L^(3) = Σ_{t=1}^{3} ∇_{U^(t)} L^(3), each term written out for a tanh Elman cell."""
    cell = ElmanCell(N_X, N_H)
    params, out, xs, ys, state0 = model(cell, seed=4)
    r = sequence_loss_and_grads(cell, merged(params, out), xs, ys, state0, loss_at=2, per_step=True)
    logits, _ = sequence_forward(cell, merged(params, out), xs[:3], state0)
    assert np.isclose(r.loss, softmax_cross_entropy(logits[2], ys[2])[0])  # L^(3) alone

    U, W, V = params["U"], params["W"], out["V"]
    h = [state0.h]
    for t in range(3):
        h.append(np.tanh(params["b"] + W @ h[-1] + U @ xs[t]))
    da3 = (V.T @ softmax_cross_entropy(logits[2], ys[2])[1]) * (1 - h[3] ** 2)  # ∇_{a^(3)} L^(3)
    da2 = (W.T @ da3) * (1 - h[2] ** 2)
    da1 = (W.T @ da2) * (1 - h[1] ** 2)
    for t, da in enumerate([da1, da2, da3]):
        assert np.allclose(r.per_step["U"][t], da @ xs[t].T, rtol=1e-12, atol=1e-15)
    assert not np.any(r.per_step["U"][3])  # step 4 comes after L^(3)

    def f(flat):
        res = sequence_loss_and_grads(cell, flat, xs, ys, state0, loss_at=2)
        return res.loss, res.grads

    assert grad_check(f, merged(params, out), eps=EPS).max_error <= FD_TOL


def test_mean_reduction_divides_by_the_number_of_steps():
    cell = GRUCell(N_X, N_H)
    params, out, xs, ys, state0 = model(cell, seed=5)
    s = sequence_loss_and_grads(cell, merged(params, out), xs, ys, state0)
    m = sequence_loss_and_grads(cell, merged(params, out), xs, ys, state0, reduction="mean")
    assert np.isclose(m.loss, s.loss / T) and np.isclose(s.loss, s.step_losses.sum())
    for k in s.grads:
        assert np.allclose(m.grads[k], s.grads[k] / T)


def test_final_state_carries_over_to_the_next_chunk():
    cell = LSTMCell(N_X, N_H)
    params, out, xs, _, state0 = model(cell, seed=6)
    logits, _ = sequence_forward(cell, merged(params, out), xs, state0)
    first, state = sequence_forward(cell, merged(params, out), xs[:2], state0)
    second, _ = sequence_forward(cell, merged(params, out), xs[2:], state)
    assert np.allclose(np.concatenate([first, second]), logits)


# ---- truncated BPTT ----------------------------------------------------------------------------


def truncated_fd_loss(cell, flat, xs, ys, state0, k, mode, fixed_params):
    """Loss whose exact gradient is the truncated one: windows start from constant states."""
    fixed = [state0]
    for t in range(T):  # states computed once, with the unperturbed parameters
        fixed.append(sequence_forward(cell, fixed_params, xs[t : t + 1], fixed[-1])[1])
    loss = 0.0
    if mode == "window":
        for tau in range(T):
            start = max(0, tau - k + 1)
            logits, _ = sequence_forward(cell, flat, xs[start : tau + 1], fixed[start])
            loss += softmax_cross_entropy(logits[-1], ys[tau])[0]
    else:
        for start in range(0, T, k):
            logits, _ = sequence_forward(cell, flat, xs[start : start + k], fixed[start])
            loss += sum(softmax_cross_entropy(o, y)[0] for o, y in zip(logits, ys[start:]))
    return loss


@pytest.mark.parametrize("mode", ["window", "chunk"])
@pytest.mark.parametrize("name", ["elman-tanh", "jordan-softmax", "lstm", "gru"])
def test_truncated_bptt_matches_torch_and_finite_differences(name, mode):
    cell = CELLS[name]
    params, out, xs, ys, state0 = model(cell, seed=7)
    flat = merged(params, out)
    r = sequence_loss_and_grads(
        cell, merged(params, out), xs, ys, state0, truncate=2, truncate_mode=mode
    )
    loss, grads, _ = torch_loss(cell, flat, xs, ys, state0, truncate=2, mode=mode)
    assert abs(r.loss - loss) <= TORCH_TOL * loss
    for k in grads:
        assert relative_error(r.grads[k], grads[k]) <= TORCH_TOL, k

    num = numerical_grads(
        lambda p: truncated_fd_loss(cell, p, xs, ys, state0, 2, mode, flat), flat, eps=EPS
    )
    for k in num:
        assert relative_error(r.grads[k], num[k]) <= FD_TOL, k


@pytest.mark.parametrize("mode", ["window", "chunk"])
@pytest.mark.parametrize("name", ["elman-tanh", "lstm"])
def test_truncation_at_least_T_is_full_bptt_and_one_step_is_not(name, mode):
    cell = CELLS[name]
    params, out, xs, ys, state0 = model(cell, seed=8)
    full = sequence_loss_and_grads(cell, merged(params, out), xs, ys, state0)
    for k in (T, T + 3):
        r = sequence_loss_and_grads(
            cell, merged(params, out), xs, ys, state0, truncate=k, truncate_mode=mode
        )
        for key in full.grads:
            assert np.allclose(r.grads[key], full.grads[key], rtol=1e-13, atol=1e-15), key
    one = sequence_loss_and_grads(
        cell, merged(params, out), xs, ys, state0, truncate=1, truncate_mode=mode
    )
    assert one.loss == full.loss  # truncation changes gradients, never the forward pass
    assert relative_error(one.grads["W"], full.grads["W"]) > 1e-3
    assert np.allclose(one.grads["V"], full.grads["V"], rtol=1e-13, atol=1e-15)  # no recurrence


# ---- clipping ----------------------------------------------------------------------------------


def global_norm(grads):
    return np.sqrt(sum(np.sum(g**2) for g in grads.values()))


def test_clip_grad_norm_rescales_to_max_norm_only_when_above():
    rng = np.random.default_rng(9)
    grads = {"W": rng.normal(size=(4, 4)), "b": rng.normal(size=(4, 1))}
    norm = global_norm(grads)
    clipped, total = clip_grad_norm(grads, norm / 3)
    assert np.isclose(total, norm) and np.isclose(global_norm(clipped), norm / 3)
    assert np.allclose(clipped["W"] * 3, grads["W"])  # same direction
    kept, total = clip_grad_norm(grads, norm * 2)
    assert np.isclose(total, norm)
    for k in grads:
        assert np.array_equal(kept[k], grads[k])
    assert np.isclose(global_norm(grads), norm)  # the input is not modified


def test_clip_grad_value_bounds_every_element():
    rng = np.random.default_rng(10)
    grads = {"W": 5 * rng.normal(size=(4, 4)), "c": np.array([[0.1], [-7.0]])}
    clipped = clip_grad_value(grads, 1.0)
    for k in grads:
        assert np.all(np.abs(clipped[k]) <= 1.0)
        small = np.abs(grads[k]) <= 1.0
        assert np.array_equal(clipped[k][small], grads[k][small])
    assert clipped["c"][1, 0] == -1.0 and grads["c"][1, 0] == -7.0


# ---- Jacobians ∂h^(T)/∂h^(t) -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["elman-tanh", "lstm", "gru"])
def test_hidden_jacobians_match_torch(name):
    cell = CELLS[name]
    params, _, xs, _, state0 = model(cell, seed=11)
    xs1 = xs[:, :, :1]
    s0 = type(state0)(*(a[:, :1] for a in state0))
    jac = hidden_jacobians(cell, params, xs1, s0)
    assert len(jac) == T + 1 and np.allclose(jac[T], np.eye(N_H))
    tp = {k: torch.tensor(v) for k, v in params.items()}
    x = torch.tensor(xs1)
    states = [tuple(torch.tensor(a) for a in s0)]  # states[t]: the state after t steps
    for s in range(T):
        states.append(torch_step(cell, tp, states[-1], x[s]))
    for t in range(T):

        def run_from(h_t, t=t):
            state = (h_t.reshape(N_H, 1), *states[t][1:])  # perturb h^(t), keep the rest
            for s in range(t, T):
                state = torch_step(cell, tp, state, x[s])
            return state[0][:, 0]

        expected = torch.autograd.functional.jacobian(run_from, states[t][0][:, 0]).numpy()
        assert np.max(np.abs(jac[t] - expected)) <= 1e-12, t


def test_elman_jacobian_is_the_product_of_diag_W_factors():
    cell = ElmanCell(N_X, N_H)
    params, _, xs, _, _ = model(cell, seed=12)
    xs1, s0 = xs[:, :, :1], cell.init_state(1)
    jac = hidden_jacobians(cell, params, xs1, s0)
    h = [s0.h]
    for t in range(T):
        h.append(np.tanh(params["b"] + params["W"] @ h[-1] + params["U"] @ xs1[t]))
    expected = np.eye(N_H)
    for t in range(T - 1, -1, -1):  # ∂h^(T)/∂h^(t) = ∂h^(T)/∂h^(t+1) diag(1 − h^(t+1)²) W
        expected = expected @ np.diag(1 - h[t + 1][:, 0] ** 2) @ params["W"]
        assert np.allclose(jac[t], expected, rtol=1e-12, atol=1e-15)


def test_identity_elman_jacobians_are_powers_of_W():
    cell = CELLS["elman-identity"]
    params, _, xs, _, state0 = model(cell, seed=13)
    xs1, s0 = xs[:, :, :1], type(state0)(state0.h[:, :1])
    jac = hidden_jacobians(cell, params, xs1, s0)
    for t in range(T + 1):  # ∂h^(T)/∂h^(t) = W^(T−t) when φ' = 1
        assert np.allclose(jac[t], np.linalg.matrix_power(params["W"], T - t), atol=1e-14)


@pytest.mark.parametrize("ord", [2, "fro", 1])
def test_jacobian_norms_by_lag_reads_hidden_jacobians_from_the_end(ord):
    cell = CELLS["elman-tanh"]
    params, _, xs, _, state0 = model(cell, seed=14)
    xs1, s0 = xs[:, :, :1], type(state0)(state0.h[:, :1])
    jac = hidden_jacobians(cell, params, xs1, s0)
    norms = jacobian_norms_by_lag(cell, params, xs1, s0, ord=ord)
    assert norms.shape == (T + 1,)
    assert norms[0] == pytest.approx(np.linalg.norm(np.eye(N_H), ord))  # lag 0: the identity
    for k in range(T + 1):
        assert norms[k] == np.linalg.norm(jac[T - k], ord)


def test_jacobian_norms_of_a_linear_rnn_scale_like_the_spectral_radius():
    n_h, steps, rng = 6, 60, np.random.default_rng(15)
    cell = ElmanCell(1, n_h, "identity")
    Q = np.linalg.qr(rng.normal(size=(n_h, n_h)))[0]
    for rho in (0.8, 1.2):  # W = ρ Q with Q orthogonal: every ‖W^k‖₂ is exactly ρ^k
        params = {"U": rng.normal(size=(n_h, 1)), "W": rho * Q, "b": np.zeros((n_h, 1))}
        xs = rng.normal(size=(steps, 1, 1))
        norms = jacobian_norms_by_lag(cell, params, xs, cell.init_state(1))
        assert np.allclose(norms, rho ** np.arange(steps + 1), rtol=1e-9)


def test_jacobian_norms_by_lag_rejects_a_bad_ord_and_a_batch():
    cell = CELLS["elman-tanh"]
    params, _, xs, _, state0 = model(cell, seed=16)
    with pytest.raises(ValueError, match="ord: expected one of"):
        jacobian_norms_by_lag(cell, params, xs[:, :, :1], type(state0)(state0.h[:, :1]), ord=3)
    with pytest.raises(ValueError, match="xs: expected batch size B = 1"):
        jacobian_norms_by_lag(cell, params, xs, state0)


# ---- the written-out reference BPTT of notebook 04 ----------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elman_bptt_equals_the_general_engine(seed):
    """bptt.elman_bptt (what notebook 04 prints) = sequence_loss_and_grads for a tanh Elman cell."""
    cell = ElmanCell(N_X, N_H)
    params, out_params, xs, ys, state0 = model(cell, seed)
    theta = merged(params, out_params)
    loss, grads, h_T = elman_bptt(theta, xs, ys, state0.h)
    r = sequence_loss_and_grads(cell, theta, xs, ys, state0)
    assert abs(loss - r.loss) <= 1e-12 * abs(r.loss)
    assert set(grads) == set(r.grads)
    for k in grads:
        np.testing.assert_allclose(grads[k], r.grads[k], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(h_T, r.final_state.h)
    report = grad_check(lambda th: elman_bptt(th, xs, ys, state0.h)[:2], theta, eps=EPS)
    assert report.max_error <= FD_TOL, str(report)


def test_one_theta_the_old_two_dict_call_is_refused_with_the_fix():
    cell = ElmanCell(N_X, N_H)
    params, out_params, xs, ys, state0 = model(cell)
    with pytest.raises(TypeError, match=r"takes 5 positional arguments but 6 were given"):
        sequence_loss_and_grads(cell, params, out_params, xs, ys, state0)
    with pytest.raises(TypeError, match=r"xs: expected a numpy array .* theta = \{\*\*params"):
        sequence_forward(cell, params, out_params, xs)
    with pytest.raises(ValueError, match=r"theta: expected the keys \['U', 'V', 'W', 'b', 'c'\]"):
        sequence_forward(cell, params, xs, state0)


def test_hidden_jacobians_read_the_cell_part_of_a_whole_theta():
    cell = ElmanCell(N_X, N_H)
    params, out_params, xs, _, state0 = model(cell)
    xs1, s1 = xs[:, :, :1], type(state0)(state0.h[:, :1])
    from_theta = hidden_jacobians(cell, merged(params, out_params), xs1, s1)
    for a, b in zip(from_theta, hidden_jacobians(cell, params, xs1, s1), strict=True):
        np.testing.assert_array_equal(a, b)
