"""Back-propagation through time for any cell of ``rnnbook.cells``, in numpy.

Shapes: columns are examples. ``xs (T, n_x, B)`` inputs, ``ys (T, B)`` integer class targets,
``o (T, n_y, B)`` logits; states as in ``rnnbook.cells``.

The model (Goodfellow, ch. 10):

    state^(t) = cell(state^(t−1), x^(t))      h^(t) = hidden(state^(t))
    o^(t) = c + V h^(t)                        ŷ^(t) = softmax(o^(t))
    L^(t) = −(1/B) Σ_b log ŷ^(t)_{y_b}         L = Σ_t L^(t)   (``reduction="sum"``, default)

Each L^(t) is averaged over the batch; over time the losses are summed as in Goodfellow
(``reduction="mean"`` divides by T instead). The parameters are shared by all time steps,
so each gradient is a sum over t of the gradient with respect to "the copy used at step t"
(eqs. 10.22–10.28): the cells' backward methods return one term each, and the sums over t are
done here, once.  :func:`elman_bptt` is the same algorithm written out for the tanh Elman cell
alone, in a dozen lines; :func:`sequence_loss_and_grads` is the general engine.

One θ: every sequence-level function takes ONE parameter dict ``theta`` holding the cell's
parameters and the output layer's ``V (n_y, n_h)`` and ``c (n_y, 1)`` together (a
:class:`~rnnbook.cells.JordanCell` has them among its own), and the gradients come back with
the same keys: ``theta = {**cell.init_params(rng), **init_output_params(n_h, n_y, rng)}``. With ``per_step=True`` the terms are kept, so that ∇_U L^(3) can be shown as
∇_{U^(1)} L^(3) + ∇_{U^(2)} L^(3) + ∇_{U^(3)} L^(3) (pass ``loss_at=2``: indices are 0-based).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive
from rnnbook.cells import (
    Cell,
    ElmanCell,
    JordanCell,
    add_states,
    check_labels,
    check_output_params,
    check_sequence,
    output_backward,
    output_forward,
    softmax_cross_entropy,
    unroll,
    zeros_like_state,
)

__all__ = [
    "BPTTResult",
    "model_keys",
    "elman_bptt",
    "sequence_forward",
    "sequence_loss_and_grads",
    "clip_grad_norm",
    "clip_grad_value",
    "hidden_jacobians",
    "jacobian_norms_by_lag",
]


class BPTTResult(NamedTuple):
    loss: float  # L = Σ_t w_t L^(t), the weights set by ``reduction`` and ``loss_at``
    grads: dict  # ∇L for every key of theta
    final_state: object  # state after the last step (carry it into the next chunk)
    step_losses: np.ndarray  # (T,) each L^(t), unweighted
    logits: np.ndarray  # (T, n_y, B) every o^(t)
    dstate0: object  # ∇L with respect to the initial state
    per_step: dict | None  # name → (T, *shape): the term of each step t, when per_step=True


# --------------------------------------------------------------------------------------------
# Forward over a sequence
# --------------------------------------------------------------------------------------------


def model_keys(cell: Cell) -> tuple[str, ...]:
    """The keys of θ for ``cell``: its own parameters, then the output layer's ``V`` and ``c``
    (a JordanCell has them among its own)."""
    if not isinstance(cell, Cell):
        raise TypeError(
            f"cell: expected an ElmanCell, JordanCell, LSTMCell or GRUCell, "
            f"got {type(cell).__name__}"
        )
    keys = tuple(cell.param_shapes())
    return keys if cell.owns_output else (*keys, "V", "c")


def _check_model(cell, theta, xs, state0):
    """Check θ, xs and state0 once per sequence; return ``(cell_params, xs, n_y)``."""
    keys = model_keys(cell)
    if isinstance(xs, dict) or xs is None:  # the old call (cell, params, out_params, xs, ...)
        raise TypeError(
            f"xs: expected a numpy array (T, n_x, B), got {type(xs).__name__}: the model's "
            f"parameters are one dict theta now; merge them: theta = {{**params, **out_params}}"
        )
    if not isinstance(theta, dict):
        raise TypeError(f"theta: expected a dict of arrays, got {type(theta).__name__}")
    if set(theta) != set(keys):
        raise ValueError(
            f"theta: expected the keys {sorted(keys)} for {type(cell).__name__} and its output "
            f"layer, got {sorted(theta)}"
        )
    params = {k: theta[k] for k in cell.param_shapes()}
    xs = check_sequence(cell, params, xs, state0)
    if cell.owns_output:
        return params, xs, cell.n_y
    n_y, _ = check_output_params(theta, cell.n_h, "theta")
    return params, xs, n_y


def _run_forward(cell, params, theta, xs, state0, forced_ys=None):
    """Unroll and read out; with ``forced_ys`` (Jordan only) step t reads target y^(t−1)."""
    if forced_ys is None:
        states, caches = unroll(cell, params, xs, state0, check=False)
    else:
        states, caches, state = [], [], state0
        for t, x_t in enumerate(xs):
            state_in = state if t == 0 else cell.force(state, forced_ys[t - 1])
            state, cache = cell.forward(params, state_in, x_t, check=False)
            states.append(state)
            caches.append(cache)
    if cell.owns_output:
        logits = np.stack([s.o for s in states])
        out_caches = None
    else:
        pairs = [output_forward(theta, s.h, check=False) for s in states]
        logits = np.stack([o for o, _ in pairs])
        out_caches = [c for _, c in pairs]
    return states, caches, out_caches, logits


def sequence_forward(cell: Cell, theta: dict, xs: np.ndarray, state0):
    """Logits of every step and the final state: ``-> (o (T, n_y, B), final_state)``.

    ``theta`` holds the cell's parameters and the output layer's ``V`` and ``c`` (see
    :func:`model_keys`).
    """
    params, xs, _ = _check_model(cell, theta, xs, state0)
    states, _, _, logits = _run_forward(cell, params, theta, xs, state0)
    return logits, states[-1]


# --------------------------------------------------------------------------------------------
# Reference BPTT: the tanh Elman cell, written out
# --------------------------------------------------------------------------------------------


def elman_bptt(theta: dict, xs: np.ndarray, ys: np.ndarray, h0: np.ndarray):
    """BPTT for the tanh Elman network, written out: ``-> (loss, grads, h_T)``.

    h^(t) = tanh(b + W h^(t−1) + U x^(t)),  o^(t) = c + V h^(t),  L = Σ_t L^(t), each L^(t) the
    softmax cross-entropy averaged over the batch.  ``theta`` holds U, W, b, V, c;
    ``xs (T, n_x, B)``, ``ys (T, B)`` class indices, ``h0 (n_h, B)``.  The same numbers as
    :func:`sequence_loss_and_grads` for ``ElmanCell(n_x, n_h, "tanh")`` (tested), which adds
    other cells, truncation and per-step terms.
    """
    _check_elman_bptt(theta, xs, ys, h0)
    U, W, b, V, c = (theta[k] for k in ("U", "W", "b", "V", "c"))
    hs, dos, loss = {-1: h0}, {}, 0.0
    for t in range(len(xs)):  # forward, keeping every h^(t)
        hs[t] = np.tanh(b + W @ hs[t - 1] + U @ xs[t])
        loss_t, dos[t] = softmax_cross_entropy(c + V @ hs[t], ys[t])  # dos[t]: eq. 10.18
        loss += loss_t
    grads = {k: np.zeros_like(theta[k]) for k in ("U", "W", "b", "V", "c")}
    dh_next = np.zeros_like(h0)  # what step t+1 sends back; nothing after the last step
    for t in reversed(range(len(xs))):
        dh = V.T @ dos[t] + dh_next  # ∇_{h^(t)} L, eqs. 10.19–10.21
        da = (1.0 - hs[t] ** 2) * dh  # ∇_{a^(t)} L = diag(1 − (h^(t))²) ∇_{h^(t)} L
        grads["c"] += dos[t].sum(axis=1, keepdims=True)  # eq. 10.22
        grads["b"] += da.sum(axis=1, keepdims=True)  # eq. 10.23
        grads["V"] += dos[t] @ hs[t].T  # eq. 10.24
        grads["W"] += da @ hs[t - 1].T  # eqs. 10.25–10.26
        grads["U"] += da @ xs[t].T  # eqs. 10.27–10.28
        dh_next = W.T @ da  # the first term of eq. 10.21 for step t − 1
    return loss, grads, hs[len(xs) - 1]


def _check_elman_bptt(theta, xs, ys, h0):
    if not isinstance(theta, dict):
        raise TypeError(f"theta: expected a dict of arrays, got {type(theta).__name__}")
    if set(theta) != {"U", "W", "b", "V", "c"}:
        raise ValueError(f"theta: expected the keys ['U', 'V', 'W', 'b', 'c'], got {sorted(theta)}")
    n_h, n_x = check_array("theta['U']", theta["U"], (None, None), ("n_h", "n_x")).shape
    cell = ElmanCell(n_x, n_h)
    cell.check_params({k: theta[k] for k in "UWb"}, "theta")
    n_y, _ = check_output_params(theta, n_h, "theta")
    xs = check_array("xs", xs, (None, n_x, None), ("T", "n_x", "B"))
    T, _, B = xs.shape
    check_array("h0", h0, (n_h, B), ("n_h", "B"))
    ys = check_array("ys", ys, (T, B), ("T", "B"), dtype_kind="iu")
    for t in range(T):
        check_labels(f"ys[{t}]", ys[t], n_y, B)


# --------------------------------------------------------------------------------------------
# Loss and gradients
# --------------------------------------------------------------------------------------------


def _loss_weights(T: int, reduction: str, loss_at: int | None) -> np.ndarray:
    w = np.full(T, 1.0 if reduction == "sum" else 1.0 / T)
    if loss_at is not None:
        keep = np.zeros(T)
        keep[loss_at] = 1.0
        w = w * keep
    return w


def sequence_loss_and_grads(
    cell: Cell,
    theta: dict,
    xs: np.ndarray,
    ys: np.ndarray,
    state0,
    *,
    truncate: int | None = None,
    truncate_mode: str = "window",
    reduction: str = "sum",
    loss_at: int | None = None,
    per_step: bool = False,
    teacher_forcing: bool = False,
) -> BPTTResult:
    """Forward over a sequence, softmax cross-entropy at every step, and BPTT.

    Implements Goodfellow eqs. 10.22–10.28 for any cell: going backwards from t = T, the
    gradient on the state at step t is what the loss L^(t) sends through the output layer
    (∇_{h^(t)} L gets Vᵀ ∇_{o^(t)} L) plus what step t+1 sends back through the recurrence;
    each step's cell backward then gives that step's terms of the sums in eqs. 10.23 (b),
    10.26 (W) and 10.28 (U), and the output layer those of 10.22 (c) and 10.24 (V).

    Arguments:
        cell: a cell from ``rnnbook.cells``.
        theta: one dict with the cell's parameters and the output layer's ``V (n_y, n_h)``
            and ``c (n_y, 1)`` (:func:`model_keys`); ``grads`` comes back with its keys.
        xs: (T, n_x, B) inputs.  ys: (T, B) integer class targets.  state0: initial state.
        truncate: ``None`` for full BPTT, or k ≥ 1 for truncated BPTT:
            ``truncate_mode="window"``: the gradient of each loss term L^(τ) flows back at
            most k steps (through steps τ, τ−1, …, τ−k+1); costs about k backward steps per
            loss term.
            ``truncate_mode="chunk"``: the usual practice: the sequence is cut into chunks of
            k steps; the state is carried forward across chunks but the gradient is stopped
            at each chunk's start (as ``detach()`` does in PyTorch). One backward sweep.
            With k ≥ T both equal full BPTT.
        reduction: ``"sum"`` (L = Σ_t L^(t), Goodfellow) or ``"mean"`` (divided by T).
        loss_at: keep only the loss term of step ``loss_at`` (0-based: ``loss_at=2`` is L^(3)
            of the notes), to study how one loss term spreads over earlier steps.
        per_step: also return each step's term of every gradient (``result.per_step``);
            they sum over t to ``result.grads``.
        teacher_forcing: JordanCell only: step t reads the one-hot target y^(t−1) in place
            of its own previous output, so no gradient flows between steps.

    Returns a :class:`BPTTResult` (loss, grads, final_state, step_losses, logits, dstate0,
    per_step).
    """
    params, xs, n_y = _check_model(cell, theta, xs, state0)
    T, _, B = xs.shape
    ys = check_array("ys", ys, (T, B), ("T", "B"), dtype_kind="iu")
    for t in range(T):
        check_labels(f"ys[{t}]", ys[t], n_y, B)
    check_choice("reduction", reduction, ("sum", "mean"))
    check_choice("truncate_mode", truncate_mode, ("window", "chunk"))
    if truncate is not None:
        check_positive("truncate", truncate, integer=True)
    if loss_at is not None:
        check_positive("loss_at", loss_at, integer=True, allow_zero=True)
        if loss_at >= T:
            raise ValueError(
                f"loss_at: expected a step index in [0, {T - 1}] (T = {T}), got {loss_at}"
            )
    if teacher_forcing and not isinstance(cell, JordanCell):
        raise ValueError(
            f"teacher_forcing: expected False for {type(cell).__name__} (only a JordanCell "
            f"feeds its output back), got {teacher_forcing!r}"
        )

    # ---- forward ---------------------------------------------------------------------------
    forced = ys if teacher_forcing else None
    states, caches, out_caches, logits = _run_forward(cell, params, theta, xs, state0, forced)
    step_losses, dlogits = np.zeros(T), np.zeros_like(logits)
    for t in range(T):
        step_losses[t], dlogits[t] = softmax_cross_entropy(logits[t], ys[t])
    weights = _loss_weights(T, reduction, loss_at)
    loss = float(weights @ step_losses)

    # ---- backward --------------------------------------------------------------------------
    sweep = _Sweep(cell, theta, caches, out_caches, dlogits, weights, per_step)
    if teacher_forcing:
        sweep.stop_after = set(range(1, T))  # step t read a target, not the state of step t−1
    k = T if truncate is None else min(truncate, T)
    if truncate_mode == "chunk" or k == T:
        if truncate_mode == "chunk":
            sweep.stop_after |= set(range(k, T, k))  # each chunk starts from a detached state
        dstate0 = sweep.run(zeros_like_state(states[-1]), first=T - 1, last=0, loss_steps=None)
    else:  # window: each loss term sends its gradient back at most k steps
        dstate0 = zeros_like_state(state0)
        for tau in np.flatnonzero(weights):
            first, last = int(tau), max(0, int(tau) - k + 1)
            d = sweep.run(zeros_like_state(states[-1]), first=first, last=last, loss_steps={first})
            if last == 0:
                dstate0 = add_states(dstate0, d)
    return BPTTResult(loss, sweep.grads, states[-1], step_losses, logits, dstate0, sweep.per_step)


class _Sweep:
    """Accumulates gradients while running cells backward from one step down to another."""

    def __init__(self, cell, theta, caches, out_caches, dlogits, weights, per_step):
        self.cell, self.theta = cell, theta
        self.params = {k: theta[k] for k in cell.param_shapes()}
        self.caches, self.out_caches = caches, out_caches
        self.dlogits, self.weights = dlogits, weights
        self.stop_after: set[int] = set()  # steps whose gradient is not passed to step t−1
        self.grads = {k: np.zeros_like(v) for k, v in theta.items()}
        T = len(caches)
        self.per_step = (
            {k: np.zeros((T, *v.shape), dtype=v.dtype) for k, v in theta.items()}
            if per_step
            else None
        )

    def _add(self, t, grads):
        for k, g in grads.items():
            self.grads[k] += g
            if self.per_step is not None:
                self.per_step[k][t] += g

    def run(self, dstate, *, first: int, last: int, loss_steps: Iterable[int] | None):
        """Backward from step ``first`` down to ``last``; returns ∇ on the state before ``last``."""
        for t in range(first, last - 1, -1):
            if (loss_steps is None or t in loss_steps) and self.weights[t] != 0.0:
                do_t = self.dlogits[t] * self.dlogits.dtype.type(self.weights[t])  # ∇_{o^(t)} L
                if self.cell.owns_output:  # the output is part of the state
                    dstate = dstate._replace(o=dstate.o + do_t)
                else:  # o^(t) = c + V h^(t): eqs. 10.22 and 10.24, and ∇_h gets Vᵀ ∇_o
                    dh_t, out_grads = output_backward(
                        self.theta, do_t, self.out_caches[t], check=False
                    )
                    self._add(t, out_grads)
                    dstate = dstate._replace(h=dstate.h + dh_t)
            dstate_prev, _, grads = self.cell.backward(
                self.params, dstate, self.caches[t], check=False
            )
            self._add(t, grads)
            if t in self.stop_after:
                dstate_prev = zeros_like_state(dstate_prev)
            dstate = dstate_prev
        return dstate


# --------------------------------------------------------------------------------------------
# Clipping
# --------------------------------------------------------------------------------------------


def _check_grads(grads):
    """A non-empty dict of finite float arrays: clipping a NaN or an infinity cannot help, and
    passing one on would poison the parameters at the next step."""
    if not isinstance(grads, dict):
        raise TypeError(f"grads: expected a non-empty dict of arrays, got {type(grads).__name__}")
    if not grads:
        raise ValueError("grads: expected a non-empty dict of arrays, got an empty dict")
    for k, g in grads.items():
        g = check_array(f"grads['{k}']", g, allow_nan=True)
        if not np.all(np.isfinite(g)):
            bad = tuple(np.argwhere(~np.isfinite(g))[0].tolist())
            raise ValueError(
                f"grads['{k}']: expected finite gradients, got {g[bad]} at index {bad}: the "
                f"loss or the backward pass overflowed before clipping (lower the learning "
                f"rate, or look for a log(0) or an exp overflow)"
            )
    return grads


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict, float]:
    """Rescale all gradients together when their global norm exceeds ``max_norm``.

    ‖g‖ = sqrt(Σ over every parameter and element of g²). When ‖g‖ > max_norm every
    gradient is multiplied by max_norm / ‖g‖, so the direction is kept and the norm becomes
    max_norm (the cure for the "cliff" of exploding gradients). Returns
    ``(clipped_grads, total_norm)``, with total_norm measured before clipping; ``grads`` is
    not modified.  A NaN or infinite gradient raises ``ValueError`` naming the parameter:
    no rescaling can repair it.
    """
    _check_grads(grads)
    check_positive("max_norm", max_norm)
    total_norm = float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values())))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}, total_norm


def clip_grad_value(grads: dict, clip_value: float) -> dict:
    """Clip every gradient element into [−clip_value, clip_value] (``np.clip``).

    This changes the gradient's direction; it is what min-char-rnn calls "clipping".
    Prefer :func:`clip_grad_norm`. ``grads`` is not modified.
    """
    _check_grads(grads)
    check_positive("clip_value", clip_value)
    return {k: np.clip(g, -clip_value, clip_value) for k, g in grads.items()}


# --------------------------------------------------------------------------------------------
# Jacobians ∂h^(T)/∂h^(t)
# --------------------------------------------------------------------------------------------


def _cell_part(cell, params):
    """The cell's parameters, from the cell's own dict or from a whole model's θ."""
    if isinstance(cell, Cell) and isinstance(params, dict) and not cell.owns_output:
        if set(params) == set(model_keys(cell)):
            return {k: params[k] for k in cell.param_shapes()}
    return params


def hidden_jacobians(cell: Cell, params: dict, xs: np.ndarray, state0) -> list[np.ndarray]:
    """The Jacobians ∂h^(T)/∂h^(t) for t = 0, 1, …, T of one sequence (batch B = 1).

    ``params`` is the cell's parameters, or a whole model's θ (``V`` and ``c`` are not used).

    Returns a list of T + 1 matrices (n_h, n_h); entry t is ∂h^(T)/∂h^(t), h^(0) being the
    initial state's h and entry T the identity. The lag is T − t. For a tanh Elman cell
    ∂h^(T)/∂h^(t) = Π_{s=t+1}^{T} diag(1 − (h^(s))²) W, whose norm shrinks or grows
    geometrically with the lag (vanishing or exploding gradients). For the LSTM the cell
    state c^(t) is held fixed. For the Jordan cell the only path runs through
    o^(t) = c + V h^(t) into the next step (entry 0 treats o^(0) as c + V h^(0) likewise).
    """
    params = _cell_part(cell, params)
    xs = check_sequence(cell, params, xs, state0)
    if xs.shape[2] != 1:
        raise ValueError(f"xs: expected batch size B = 1, got shape {xs.shape} (B = {xs.shape[2]})")
    states, caches = unroll(cell, params, xs, state0, check=False)
    all_states = [state0, *states]
    T, n_h = len(states), cell.n_h
    jac = [np.zeros((n_h, n_h)) for _ in range(T + 1)]
    for i in range(n_h):  # one backward sweep per row: the gradient of h^(T)_i
        dstate = zeros_like_state(states[-1])
        dstate.h[i, 0] = 1.0
        jac[T][i] = cell.hidden_grad(params, dstate, all_states[T])[:, 0]
        for t in range(T - 1, -1, -1):
            dstate, _, _ = cell.backward(params, dstate, caches[t], check=False)
            jac[t][i] = cell.hidden_grad(params, dstate, all_states[t])[:, 0]
    return jac


def jacobian_norms_by_lag(
    cell: Cell, params: dict, xs: np.ndarray, state0, ord: int | float | str = 2
) -> np.ndarray:
    """Norms of ∂h^(T)/∂h^(T−k) for the lags k = 0, 1, …, T of one sequence (batch B = 1).

    Returns an array of length T + 1 whose entry k is ``np.linalg.norm(J, ord)`` of the
    Jacobian from :func:`hidden_jacobians` at lag k (entry 0 is the identity's norm). ``ord``
    is any matrix norm numpy knows: 2 (spectral, the default), ``"fro"``, 1, ``np.inf``, ….
    For a linear Elman cell (``nonlinearity="identity"``) entry k is ‖W^k‖, which grows or
    decays like ρ(W)^k; plotted on a log scale the slope tells vanishing from exploding.
    """
    check_choice("ord", ord, (2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"))
    jac = hidden_jacobians(cell, params, xs, state0)
    T = len(jac) - 1
    return np.array([np.linalg.norm(jac[T - k], ord) for k in range(T + 1)])
