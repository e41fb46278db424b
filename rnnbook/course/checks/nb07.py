"""Checks for the exercises of notebook 07 (LSTM and GRU).

Each checker computes the reference with the library (``rnnbook.cells``, ``torch.nn``), then,
before a generic "differs at …" message, replays the most plausible mistakes and names the one
that matches. Backward passes are compared with central finite differences in float64.

Shapes follow the numpy half of the course: columns are examples, ``x_t (n_x, B)``,
``h_t, c_t (n_h, B)``; LSTM ``U (4n_h, n_x)``, ``W (4n_h, n_h)``, ``b (4n_h, 1)`` with gate
blocks in PyTorch's order i, f, g, o; GRU ``U (3n_h, n_x)``, ``W (3n_h, n_h)``,
``b_x, b_h (3n_h, 1)`` in the order r, z, n.
"""

from __future__ import annotations

import numpy as np

from rnnbook.cells import GRUCell, GRUState, LSTMCell, LSTMState, sigmoid
from rnnbook.course.checks import CheckFailed, call_student, expect_shape
from rnnbook.gradcheck import numerical_grads

# All sizes differ (n_x ≠ n_h ≠ B), so a transposed factor changes a shape or its values.
_N_X, _N_H, _B = 3, 4, 2


def _close(got, ref) -> bool:
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    return got.shape == ref.shape and bool(np.allclose(got, ref, rtol=1e-6, atol=1e-8))


def _worst(got: np.ndarray, ref: np.ndarray) -> tuple[str, float]:
    idx = np.unravel_index(int(np.argmax(np.abs(got - ref))), ref.shape)
    return ",".join(str(int(i)) for i in idx), float(np.abs(got - ref)[idx])


def _compare(label: str, got, expected, diagnoses, reference: str = "the expected value") -> None:
    """Compare ``got`` with ``expected``; if it matches a known mistake, name it."""
    got = np.asarray(got, dtype=float)
    for wrong, hint in diagnoses:
        if _close(got, wrong) and not _close(wrong, expected):
            raise CheckFailed(f"{label}: {hint}")
    got = expect_shape(label, got, expected.shape)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{label} contains NaN or inf")
    if not _close(got, expected):
        where, err = _worst(got, expected)
        raise CheckFailed(
            f"{label} differs from {reference} at [{where}] by {err:.2g} "
            f"(got {got[tuple(map(int, where.split(',')))]:.6g}, "
            f"expected {expected[tuple(map(int, where.split(',')))]:.6g})"
        )


def _unpack(out, names: tuple[str, ...], fn_name: str):
    if not isinstance(out, tuple | list) or len(out) != len(names):
        got = f"{len(out)} values" if isinstance(out, tuple | list) else type(out).__name__
        raise CheckFailed(f"{fn_name} should return a tuple ({', '.join(names)}), got {got}")
    return out


# --------------------------------------------------------------------------------------------
# Exercise 1: one LSTM step forward
# --------------------------------------------------------------------------------------------


def lstm_problem(seed: int, n_x: int = _N_X, n_h: int = _N_H, batch: int = _B) -> dict:
    """A reproducible LSTM step: U, W, b, x_t, h_prev, c_prev and upstream dh_t, dc_t."""
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


def lstm_reference(U, W, b, x_t, h_prev, c_prev):
    """(h_t, c_t, cache) of the library's LSTMCell for the arrays of one step."""
    cell = LSTMCell(U.shape[1], W.shape[1])
    state, cache = cell.forward({"U": U, "W": W, "b": b}, LSTMState(h_prev, c_prev), x_t)
    return state.h, state.c, cache


def _lstm_variant(U, W, b, x_t, h_prev, c_prev, order="ifgo", g_act=np.tanh, mode="ok"):
    """The LSTM step with one plausible mistake, selected by the arguments."""
    blocks = dict(zip(order, np.split(b + W @ h_prev + U @ x_t, 4)))
    i, f, o_gate = sigmoid(blocks["i"]), sigmoid(blocks["f"]), sigmoid(blocks["o"])
    g = g_act(blocks["g"])
    if mode == "no_input_gate":
        c_t = f * c_prev + g
    elif mode == "one_minus_f":
        c_t = f * c_prev + (1 - f) * g
    else:
        c_t = f * c_prev + i * g
    h_t = o_gate * c_t if mode == "no_tanh_c" else o_gate * np.tanh(c_t)
    return h_t, c_t


def check_lstm_step_forward(lstm_step_forward) -> None:
    """Exercise 1: (h_t, c_t) of one LSTM step, gates stacked i, f, g, o."""
    for seed in (0, 1):
        p = lstm_problem(seed)
        args = [p[k] for k in ("U", "W", "b", "x_t", "h_prev", "c_prev")]
        out = call_student(
            lstm_step_forward,
            *(p[k].copy() for k in ("x_t", "h_prev", "c_prev", "U", "W", "b")),
            name="lstm_step_forward",
        )
        h_t, c_t = _unpack(out, ("h_t", "c_t"), "lstm_step_forward")
        h_ref, c_ref, _ = lstm_reference(*args)
        label = f"lstm_step_forward (n_x={_N_X}, n_h={_N_H}, B={_B})"
        mistakes = [
            (
                _lstm_variant(*args, order="ifog"),
                "the gate blocks are read in the order i, f, o, g; PyTorch's (and the course's) "
                "order is i, f, g, o: rows 2n_h:3n_h hold g, rows 3n_h: the output gate",
            ),
            (
                _lstm_variant(*args, order="gifo"),
                "the gate blocks are read in the notes' order a, i, f, o; the course stacks "
                "them as PyTorch does, i, f, g, o",
            ),
            (
                _lstm_variant(*args, g_act=sigmoid),
                "the candidate g uses a sigmoid; it takes tanh (values in (−1, 1))",
            ),
            (
                _lstm_variant(*args, mode="no_tanh_c"),
                "h_t = o_gate ⊙ c_t is missing the tanh: h_t = o_gate ⊙ tanh(c_t)",
            ),
            (
                _lstm_variant(*args, mode="no_input_gate"),
                "c_t adds g without the input gate: c_t = f ⊙ c_prev + i ⊙ g",
            ),
            (
                _lstm_variant(*args, mode="one_minus_f"),
                "c_t uses (1 − f) in place of the input gate i (that coupling is the GRU's)",
            ),
        ]
        for (wh, wc), hint in mistakes:
            if _close(h_t, wh) and _close(c_t, wc) and not _close(wh, h_ref):
                raise CheckFailed(f"{label}: {hint}")
        if np.shape(h_t) == (_B, _N_H):
            raise CheckFailed(
                f"{label}: h_t has shape {np.shape(h_t)}, expected (n_h, B) = {(_N_H, _B)}: "
                "columns are examples, so compute W @ h_prev + U @ x_t"
            )
        _compare(f"{label}: c_t", c_t, c_ref, [], "f ⊙ c_prev + i ⊙ g")
        _compare(f"{label}: h_t", h_t, h_ref, [], "o_gate ⊙ tanh(c_t)")


# --------------------------------------------------------------------------------------------
# Exercise 2: one LSTM step backward, with the two gradients on c^(t)
# --------------------------------------------------------------------------------------------


def _lstm_numerical(p):
    """Numerical gradients of f = Σ dh_t ⊙ h_t + Σ dc_t ⊙ c_t."""
    theta = {k: p[k] for k in ("U", "W", "b", "h_prev", "c_prev")}

    def f(q):
        h_t, c_t, _ = lstm_reference(q["U"], q["W"], q["b"], p["x_t"], q["h_prev"], q["c_prev"])
        return float(np.sum(p["dh_t"] * h_t) + np.sum(p["dc_t"] * c_t))

    return numerical_grads(f, theta)


def _lstm_backward_variant(p, *, from_h=True, from_next=True, tanh_prime=True, via_f=True):
    """The step's backward with a path switched off: (dh_prev, dc_prev, dU, dW, db)."""
    _, _, cache = lstm_reference(*(p[k] for k in ("U", "W", "b", "x_t", "h_prev", "c_prev")))
    x_t, h_prev, c_prev, i, f, g, o_gate, c_t = cache
    dh_t, dc_t = p["dh_t"], p["dc_t"]
    tanh_c = np.tanh(c_t)
    factor = (1 - tanh_c**2) if tanh_prime else 1.0
    dc = (dc_t if from_next else 0.0) + (dh_t * o_gate * factor if from_h else 0.0)
    da = np.concatenate(
        [
            dc * g * i * (1 - i),
            dc * c_prev * f * (1 - f),
            dc * i * (1 - g**2),
            dh_t * tanh_c * o_gate * (1 - o_gate),
        ]
    )
    dc_prev = dc * f if via_f else dc
    return p["W"].T @ da, dc_prev, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)


def check_lstm_step_backward(lstm_step_backward) -> None:
    """Exercise 2: (dh_prev, dc_prev, dU, dW, db) from dh_t and the dc_t sent back by c^(t+1)."""
    names = ("dh_prev", "dc_prev", "dU", "dW", "db")
    for seed in (2, 3):
        p = lstm_problem(seed)
        out = call_student(
            lstm_step_backward,
            *(p[k].copy() for k in ("dh_t", "dc_t", "x_t", "h_prev", "c_prev", "U", "W", "b")),
            name="lstm_step_backward",
        )
        got = dict(zip(names, _unpack(out, names, "lstm_step_backward")))
        label = f"lstm_step_backward (n_x={_N_X}, n_h={_N_H}, B={_B})"
        mistakes = [
            (
                _lstm_backward_variant(p, from_next=False),
                "∇c^(t) ignores dc_t, the gradient sent back by c^(t+1): add it to the part "
                "that comes from h^(t) (both paths accumulate before going further back)",
            ),
            (
                _lstm_backward_variant(p, from_h=False),
                "∇c^(t) only holds dc_t from c^(t+1); add the path through h^(t) = o_gate ⊙ "
                "tanh(c^(t)), dh_t ⊙ o_gate ⊙ (1 − tanh²(c^(t)))",
            ),
            (
                _lstm_backward_variant(p, tanh_prime=False),
                "the path from h^(t) into c^(t) is missing the (1 − tanh²(c_t)) factor",
            ),
            (
                _lstm_backward_variant(p, via_f=False),
                "dc_prev must go through the forget gate: dc_prev = ∇c^(t) ⊙ f",
            ),
        ]
        for wrong, hint in mistakes:
            if all(_close(got[n], w) for n, w in zip(names, wrong)):
                raise CheckFailed(f"{label}: {hint}")
        num = _lstm_numerical(p)
        key = {"dh_prev": "h_prev", "dc_prev": "c_prev", "dU": "U", "dW": "W", "db": "b"}
        for name in names:
            ref = num[key[name]]
            if np.shape(got[name]) == ref.T.shape and ref.shape != ref.T.shape:
                raise CheckFailed(
                    f"{label}: {name} has shape {np.shape(got[name])}, expected {ref.shape}: "
                    "is it transposed? dU = da @ x_t.T, dW = da @ h_prev.T"
                )
            for wrong, hint in mistakes:  # a mistake that shows in this gradient alone
                w = wrong[names.index(name)]
                if _close(got[name], w) and not _close(w, ref):
                    raise CheckFailed(f"{label}: {name} is off: {hint}")
            _compare(f"{label}: {name}", got[name], ref, [], "the numerical gradient")


# --------------------------------------------------------------------------------------------
# Exercise 3: one GRU step forward
# --------------------------------------------------------------------------------------------


def gru_problem(seed: int, n_x: int = _N_X, n_h: int = _N_H, batch: int = _B) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=0.7, size=(3 * n_h, n_x)),
        "W": rng.normal(scale=0.7, size=(3 * n_h, n_h)),
        "b_x": rng.normal(scale=0.5, size=(3 * n_h, 1)),
        "b_h": rng.normal(scale=0.5, size=(3 * n_h, 1)),
        "x_t": rng.normal(size=(n_x, batch)),
        "h_prev": np.tanh(rng.normal(size=(n_h, batch))),
    }


def _gru_variant(p, mode="ok"):
    U, W, b_x, b_h, x_t, h_prev = (p[k] for k in ("U", "W", "b_x", "b_h", "x_t", "h_prev"))
    ax_r, ax_z, ax_n = np.split(U @ x_t + b_x, 3)
    ah_r, ah_z, ah_n = np.split(W @ h_prev + b_h, 3)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    W_n, b_hn = np.split(W, 3)[2], np.split(b_h, 3)[2]
    if mode == "reset_before_W":
        n = np.tanh(ax_n + W_n @ (r * h_prev) + b_hn)
    elif mode == "bias_outside":
        n = np.tanh(ax_n + r * (W_n @ h_prev) + b_hn)
    elif mode == "no_reset":
        n = np.tanh(ax_n + ah_n)
    else:
        n = np.tanh(ax_n + r * ah_n)
    if mode == "swap_z":
        return z * n + (1 - z) * h_prev
    return (1 - z) * n + z * h_prev


def check_gru_step_forward(gru_step_forward) -> None:
    """Exercise 3: h_t of one GRU step in PyTorch's form (reset gate applied to W_n h + b_hn)."""
    for seed in (4, 5):
        p = gru_problem(seed)
        got = call_student(
            gru_step_forward,
            *(p[k].copy() for k in ("x_t", "h_prev", "U", "W", "b_x", "b_h")),
            name="gru_step_forward",
        )
        cell = GRUCell(_N_X, _N_H)
        params = {k: p[k] for k in ("U", "W", "b_x", "b_h")}
        ref = cell.forward(params, GRUState(p["h_prev"]), p["x_t"])[0].h
        label = f"gru_step_forward (n_x={_N_X}, n_h={_N_H}, B={_B})"
        if isinstance(got, tuple | list):
            raise CheckFailed(f"{label} should return h_t alone, got a {type(got).__name__}")
        _compare(
            label,
            got,
            ref,
            [
                (
                    _gru_variant(p, "swap_z"),
                    "z and 1 − z are swapped: h_t = (1 − z) ⊙ n + z ⊙ h_prev, so z ≈ 1 keeps "
                    "the old state (PyTorch's convention)",
                ),
                (
                    _gru_variant(p, "reset_before_W"),
                    "the reset gate multiplies h_prev before W_n (the 2014 paper's variant); "
                    "PyTorch applies it after: r ⊙ (W_n h_prev + b_hn)",
                ),
                (
                    _gru_variant(p, "bias_outside"),
                    "b_hn sits outside the reset gate's product: n = tanh(U_n x + b_xn + "
                    "r ⊙ (W_n h_prev + b_hn))",
                ),
                (_gru_variant(p, "no_reset"), "the reset gate r is never applied to W_n h + b_hn"),
            ],
            "(1 − z) ⊙ n + z ⊙ h_prev",
        )


# --------------------------------------------------------------------------------------------
# Exercise 4: the notes' LSTM weights into nn.LSTM
# --------------------------------------------------------------------------------------------


def notes_lstm_params(seed: int, n_x: int = _N_X, n_h: int = _N_H) -> dict:
    """An LSTM in the lecture notes' layout: one matrix per gate, a (input activation), i, f, o.

    Keys ``W_a, U_a, b_a, W_i, …``; ``W_* (n_h, n_h)``, ``U_* (n_h, n_x)``, ``b_* (n_h,)``.
    """
    rng = np.random.default_rng(seed)
    out = {}
    for gate in "aifo":
        out[f"W_{gate}"] = rng.normal(scale=0.5, size=(n_h, n_h))
        out[f"U_{gate}"] = rng.normal(scale=0.5, size=(n_h, n_x))
        out[f"b_{gate}"] = rng.normal(scale=0.5, size=(n_h,))
    return out


def notes_to_course(notes: dict) -> dict:
    """The same LSTM as ``rnnbook.cells.LSTMCell`` parameters (gates i, f, g = a, o)."""
    order = "ifao"
    return {
        "U": np.concatenate([notes[f"U_{k}"] for k in order]),
        "W": np.concatenate([notes[f"W_{k}"] for k in order]),
        "b": np.concatenate([notes[f"b_{k}"] for k in order])[:, None],
    }


def check_copy_into_nn_lstm(copy_into_nn_lstm) -> None:
    """Exercise 4: the notes' per-gate matrices copied into an ``nn.LSTM``'s stacked layout."""
    import torch

    for seed in (6, 7):
        notes = notes_lstm_params(seed)
        lstm = torch.nn.LSTM(_N_X, _N_H).double()
        with torch.no_grad():
            for prm in lstm.parameters():
                prm.fill_(0.123)  # values a student's copy must overwrite
        try:
            got = call_student(
                copy_into_nn_lstm,
                {k: v.copy() for k, v in notes.items()},
                lstm,
                name="copy_into_nn_lstm",
            )
        except RuntimeError as err:
            raise CheckFailed(
                f"copy_into_nn_lstm raised RuntimeError ({str(err).splitlines()[0]}): "
                "weight_ih_l0 (4n_h, n_x) takes the input weights U, weight_hh_l0 (4n_h, n_h) "
                "the recurrent weights W, each the four gate blocks stacked along the rows"
            ) from None
        if got is not None and got is not lstm:
            raise CheckFailed("copy_into_nn_lstm should fill the given nn.LSTM (and may return it)")
        label = f"copy_into_nn_lstm (n_x={_N_X}, n_h={_N_H})"
        for name, want in (("weight_ih_l0", (4 * _N_H, _N_X)), ("weight_hh_l0", (4 * _N_H, _N_H))):
            shape = tuple(getattr(lstm, name).shape)
            if shape != want:
                raise CheckFailed(f"{label}: lstm.{name} now has shape {shape}, expected {want}")
        # run both on the same sequence
        rng = np.random.default_rng(seed + 100)
        xs = rng.normal(size=(5, _N_X, _B))
        params = notes_to_course(notes)
        cell = LSTMCell(_N_X, _N_H)
        state, ref = cell.init_state(_B), []
        for x_t in xs:
            state, _ = cell.forward(params, state, x_t)
            ref.append(state.h.T)
        ref = np.stack(ref)  # (T, B, n_h)
        with torch.no_grad():
            out, _ = lstm(torch.from_numpy(xs.transpose(0, 2, 1).copy()))
        out = out.numpy()
        w_ih = lstm.weight_ih_l0.detach().numpy()
        b_sum = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().numpy()
        if np.allclose(w_ih, np.concatenate([notes[f"U_{k}"] for k in "aifo"])):
            raise CheckFailed(
                f"{label}: the gate blocks are stacked in the notes' order a, i, f, o; "
                "nn.LSTM expects i, f, g, o (g is the notes' input activation a)"
            )
        if np.allclose(w_ih, np.concatenate([notes[f"U_{k}"] for k in "iofa"])) or np.allclose(
            w_ih, np.concatenate([notes[f"U_{k}"] for k in "ifoa"])
        ):
            raise CheckFailed(
                f"{label}: the blocks i, f, g, o are out of order: the notes' input activation "
                "a is PyTorch's g, the third block"
            )
        if np.allclose(b_sum, 2 * params["b"][:, 0]):
            raise CheckFailed(
                f"{label}: the bias is counted twice: nn.LSTM adds bias_ih and bias_hh, so put "
                "b in one of them and zeros in the other"
            )
        if np.allclose(b_sum, params["b"][:, 0] + 0.123):
            raise CheckFailed(
                f"{label}: one of bias_ih_l0 / bias_hh_l0 still holds its old values; nn.LSTM "
                "adds both, so set the other to zero"
            )
        _compare(f"{label}: the outputs of nn.LSTM", out, ref, [], "the notes' LSTM")


# --------------------------------------------------------------------------------------------
# Exercise 5: counting an nn.LSTM's parameters
# --------------------------------------------------------------------------------------------


def _count(n_x, n_h, num_layers, gates=4, biases=2, same_input=False):
    total = 0
    for layer in range(num_layers):
        n_in = n_x if layer == 0 or same_input else n_h
        total += gates * n_h * (n_in + n_h) + biases * gates * n_h
    return total


def check_lstm_num_params(lstm_num_params) -> None:
    """Exercise 5: the number of parameters of nn.LSTM(n_x, n_h, num_layers)."""
    import torch

    for n_x, n_h, layers in ((3, 5, 1), (7, 4, 2), (10, 16, 3)):
        got = call_student(lstm_num_params, n_x, n_h, layers, name="lstm_num_params")
        lstm = torch.nn.LSTM(n_x, n_h, num_layers=layers)
        ref = sum(p.numel() for p in lstm.parameters())
        label = f"lstm_num_params({n_x}, {n_h}, {layers})"
        if not isinstance(got, int | np.integer):
            raise CheckFailed(f"{label} should return an int, got {type(got).__name__}")
        if got == ref:
            continue
        for wrong, hint in (
            (_count(n_x, n_h, layers, gates=1), "each layer has 4 gate blocks (i, f, g, o)"),
            (
                _count(n_x, n_h, layers, biases=1),
                "nn.LSTM keeps two bias vectors per layer, bias_ih and bias_hh",
            ),
            (_count(n_x, n_h, layers, biases=0), "the biases are missing (two per layer)"),
            (
                _count(n_x, n_h, layers, same_input=True),
                "layers after the first read the hidden state of the layer below: their "
                "input size is n_h, not n_x",
            ),
            (4 * n_h * (n_x + n_h) + 8 * n_h, "multiply by the number of layers"),
        ):
            if got == wrong:
                raise CheckFailed(f"{label} is {got}, expected {ref}: {hint}")
        raise CheckFailed(f"{label} is {got}, expected {ref}")
