"""Recurrent cells in PyTorch, written out gate by gate, and weight copying to ``nn.RNN/LSTM/GRU``.

The numpy half of rnnbook puts examples in columns; this module follows PyTorch instead, so that
its modules can be compared with ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` tensor for tensor.

Shapes (rows are examples)::

    T  sequence length      B  batch size       n_x  input features     n_h  hidden units
    L  number of layers     D  directions (1, or 2 when bidirectional)

    x_t (B, n_x)    h_t (B, n_h)    c_t (B, n_h)
    a sequence x is (T, B, n_x), or (B, T, n_x) with batch_first=True
    final states h_n, c_n are (L * D, B, n_h) whatever batch_first says, as in PyTorch

Parameters keep the course's names (Goodfellow ch. 10) and PyTorch's layout, so that they copy
without transposing. With k = 1 (Elman), 4 (LSTM) or 3 (GRU) blocks stacked along the rows::

    U  (k*n_h, n_x)  <->  weight_ih       the input-to-hidden weights
    W  (k*n_h, n_h)  <->  weight_hh       the hidden-to-hidden weights
    b  (k*n_h,)      <->  bias_ih + bias_hh   (Elman, LSTM: only the sum ever enters)
    b_x, b_h (3*n_h,) <-> bias_ih, bias_hh    (GRU: kept apart, because the n gate multiplies
                                               W_n h + b_hn by the reset gate r)

These are the names of ``rnnbook.cells`` (the numpy cells), where biases are (n, 1) columns.

Gate blocks are stacked in PyTorch's order: LSTM ``i, f, g, o``; GRU ``r, z, n``.  The output
gate is ``o_gate`` in code (``o^(t)`` is the network's output), as in ``rnnbook.cells``.

Copying weights (``copy_to_torch``, ``copy_from_torch`` for these modules and
``copy_numpy_to_torch`` for a numpy cell's parameter dict).  For the cell of layer l (suffix
``_l{l}``; the backward direction adds ``_reverse``; ``nn.RNNCell``/``LSTMCell``/``GRUCell`` have
no suffix)::

    ours             PyTorch                               gate blocks, top to bottom
    ---------------  ------------------------------------  --------------------------
    Elman  U         weight_ih_l{l}                        (one block)
    Elman  W         weight_hh_l{l}
    Elman  b         bias_ih_l{l} + bias_hh_l{l}
    LSTM   U         weight_ih_l{l} = W_ii|W_if|W_ig|W_io  i, f, g, o
    LSTM   W         weight_hh_l{l} = W_hi|W_hf|W_hg|W_ho  i, f, g, o
    LSTM   b         bias_ih_l{l} + bias_hh_l{l}           i, f, g, o
    GRU    U         weight_ih_l{l} = W_ir|W_iz|W_in       r, z, n
    GRU    W         weight_hh_l{l} = W_hr|W_hz|W_hn       r, z, n
    GRU    b_x       bias_ih_l{l}   = b_ir|b_iz|b_in       r, z, n
    GRU    b_h       bias_hh_l{l}   = b_hr|b_hz|b_hn       r, z, n

Both orders agree, so no block is moved.  Where ours has one bias b and PyTorch two, b goes into
bias_ih and bias_hh is set to zero: the model computes exactly the same function.  (Numpy biases
are ``(k*n_h, 1)`` columns; they are copied as the vector PyTorch keeps.)

Checks go through ``rnnbook._validate`` as in the numpy half: ``TypeError`` for a wrong type or
dtype, ``ValueError`` for a wrong shape, size or value.

Every cell has one signature, ``cell(x_t, state) -> state``: the state is the tensor ``h_t`` for
Elman and GRU cells and the pair ``(h_t, c_t)`` for the LSTM. A cell splits its work in two so
that a layer can do the input half for all time steps in one matrix product:
``cell.input_projection(x)`` computes ``x U^T + b`` (``+ b_x`` for the GRU) for any leading shape, and
``cell.recurrence(xu_t, state)`` does the rest of one step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from rnnbook._validate import (
    check_array,
    check_choice,
    check_positive,
    check_tensor,
    fmt_shape,
)

__all__ = [
    "ElmanCell",
    "LSTMCell",
    "GRUCell",
    "RecurrentLayer",
    "BidirectionalLayer",
    "StackedRNN",
    "LSTMScanBPTT",
    "lstm_step",
    "copy_to_torch",
    "copy_from_torch",
    "copy_numpy_to_torch",
]

_NONLINEARITIES = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


# ----------------------------------------------------------------------------------------------
# input checks: rnnbook._validate.check_tensor, and the form of a state


def _check_state(name: str, state, is_pair: bool, shape, dims):
    """Check an LSTM state (a pair of tensors) or an Elman/GRU state (one tensor)."""
    if is_pair:
        if not (isinstance(state, tuple | list) and len(state) == 2):
            got = type(state).__name__
            if isinstance(state, Tensor):
                got = f"a single Tensor of shape {tuple(state.shape)}"
            raise TypeError(f"{name}: expected a pair (h, c) of tensors for an LSTM, got {got}")
        return (
            check_tensor(f"{name}[0] (h)", state[0], shape, dims),
            check_tensor(f"{name}[1] (c)", state[1], shape, dims),
        )
    if not isinstance(state, Tensor):
        raise TypeError(
            f"{name}: expected a tensor h of shape {fmt_shape(dims, shape)}, "
            f"got {type(state).__name__}"
        )
    return check_tensor(name, state, shape, dims)


# ----------------------------------------------------------------------------------------------
# cells: one time step, (x_t, state) -> state


class _Cell(nn.Module):
    """What the three cells share: parameters U, W, b in PyTorch's layout, and the checks."""

    bias_names: tuple[str, ...] = ("b",)

    n_blocks = 1  # how many n_h-row blocks U, W and b stack (gates)
    has_pair_state = False  # True for the LSTM's (h, c)

    def __init__(self, n_x: int, n_h: int):
        super().__init__()
        self.n_x = check_positive("n_x", n_x, integer=True)
        self.n_h = check_positive("n_h", n_h, integer=True)
        k = self.n_blocks
        self.U = nn.Parameter(torch.empty(k * n_h, n_x))
        self.W = nn.Parameter(torch.empty(k * n_h, n_h))
        for name in self.bias_names:
            setattr(self, name, nn.Parameter(torch.empty(k * n_h)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every parameter uniform in [-1/sqrt(n_h), 1/sqrt(n_h)]."""
        bound = 1.0 / math.sqrt(self.n_h)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, B: int, like: Tensor | None = None):
        """The zero state for a batch of ``B``: ``h (B, n_h)``, or ``(h, c)`` for the LSTM, with
        the dtype and device of ``like`` (default: the cell's parameters)."""
        check_positive("B", B, integer=True)
        like = self.U if like is None else like
        h0 = torch.zeros(B, self.n_h, dtype=like.dtype, device=like.device)
        return (h0, h0.clone()) if self.has_pair_state else h0

    def input_projection(self, x: Tensor) -> Tensor:
        """``x U^T + b`` for x of shape (..., n_x); returns (..., k*n_h)."""
        return x @ self.U.T + self.b

    @staticmethod
    def output(state) -> Tensor:
        """The cell's output h_t, whatever its state holds."""
        return state[0] if isinstance(state, tuple) else state

    def forward(self, x_t: Tensor, state=None):
        """One step. x_t (B, n_x); state h_prev (B, n_h), or (h_prev, c_prev) for the LSTM.

        ``state=None`` starts from zeros. Returns the new state in the same form.
        """
        x_t = check_tensor("x_t", x_t, (None, self.n_x), ("B", "n_x"))
        B = x_t.shape[0]
        if state is None:
            state = self.init_state(B, x_t)
        else:
            state = _check_state("state", state, self.has_pair_state, (B, self.n_h), ("B", "n_h"))
        return self.recurrence(self.input_projection(x_t), state)

    def extra_repr(self) -> str:
        return f"n_x={self.n_x}, n_h={self.n_h}"


class ElmanCell(_Cell):
    """Elman cell: h_t = phi(U x_t + W h_prev + b), phi = tanh, sigmoid or relu.

    Shapes (rows are examples): x_t (B, n_x), h_prev and h_t (B, n_h).
    """

    def __init__(self, n_x: int, n_h: int, nonlinearity: str = "tanh"):
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, tuple(_NONLINEARITIES))
        super().__init__(n_x, n_h)
        self.phi = _NONLINEARITIES[nonlinearity]

    def recurrence(self, xu_t: Tensor, h_prev: Tensor) -> Tensor:
        """One step given xu_t = x_t U^T + b (B, n_h)."""
        return self.phi(xu_t + h_prev @ self.W.T)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, nonlinearity={self.nonlinearity!r}"


class LSTMCell(_Cell):
    """LSTM cell, gates stacked i, f, g, o as in PyTorch. State is the pair (h_t, c_t).

    i = sigmoid(U_i x_t + W_i h_prev + b_i)        input gate
    f = sigmoid(U_f x_t + W_f h_prev + b_f)        forget gate
    g = tanh(U_g x_t + W_g h_prev + b_g)           candidate cell state
    o_gate = sigmoid(U_o x_t + W_o h_prev + b_o)   output gate
    c_t = f * c_prev + i * g
    h_t = o_gate * tanh(c_t)

    Shapes (rows are examples): x_t (B, n_x); h_prev, c_prev, h_t, c_t (B, n_h).
    """

    n_blocks = 4
    has_pair_state = True

    def recurrence(self, xu_t: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
        """One step given xu_t = x_t U^T + b (B, 4 n_h)."""
        h_prev, c_prev = state
        a_i, a_f, a_g, a_o = (xu_t + h_prev @ self.W.T).chunk(4, dim=1)
        i = torch.sigmoid(a_i)
        f = torch.sigmoid(a_f)
        g = torch.tanh(a_g)
        o_gate = torch.sigmoid(a_o)
        c_t = f * c_prev + i * g
        h_t = o_gate * torch.tanh(c_t)
        return h_t, c_t


class GRUCell(_Cell):
    """GRU cell in PyTorch's form, gates stacked r, z, n, with two biases b_x and b_h.

    r_t = sigmoid(U_r x_t + b_xr + W_r h_prev + b_hr)         reset gate
    z_t = sigmoid(U_z x_t + b_xz + W_z h_prev + b_hz)         update gate
    n_t = tanh(U_n x_t + b_xn + r_t * (W_n h_prev + b_hn))    candidate state
    h_t = (1 - z_t) * n_t + z_t * h_prev

    Shapes (rows are examples): x_t (B, n_x), h_prev and h_t (B, n_h).
    """

    n_blocks = 3
    bias_names = ("b_x", "b_h")

    def input_projection(self, x: Tensor) -> Tensor:
        """``x U^T + b_x`` for x of shape (..., n_x); returns (..., 3 n_h)."""
        return x @ self.U.T + self.b_x

    def recurrence(self, xu_t: Tensor, h_prev: Tensor) -> Tensor:
        """One step given xu_t = x_t U^T + b_x (B, 3 n_h)."""
        xu_r, xu_z, xu_n = xu_t.chunk(3, dim=1)
        wh_r, wh_z, wh_n = (h_prev @ self.W.T + self.b_h).chunk(3, dim=1)
        r_t = torch.sigmoid(xu_r + wh_r)
        z_t = torch.sigmoid(xu_z + wh_z)
        n_t = torch.tanh(xu_n + r_t * wh_n)
        return (1 - z_t) * n_t + z_t * h_prev


# ----------------------------------------------------------------------------------------------
# the LSTM step as a free function of tensors, for torch.compile


def lstm_step(xu_t: Tensor, h: Tensor, c: Tensor, W_T: Tensor) -> tuple[Tensor, Tensor]:
    """One LSTM step given ``xu_t = x_t U^T + b`` (B, 4 n_h); ``W_T`` is W transposed (n_h, 4 n_h).

    The equations of :class:`LSTMCell`, as a function of tensors only, so that
    ``torch.compile`` can fuse the step's element-wise work (``fast="compile"``).
    """
    a_i, a_f, a_g, a_o = torch.addmm(xu_t, h, W_T).chunk(4, 1)
    c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
    h = torch.sigmoid(a_o) * torch.tanh(c)
    return h, c


_compiled: dict[str, object] = {}


def _compiled_lstm_step():
    """``lstm_step`` under ``torch.compile``, built once, on first use."""
    if "lstm" not in _compiled:
        _compiled["lstm"] = torch.compile(lstm_step, dynamic=True)
    return _compiled["lstm"]


class LSTMScanBPTT(torch.autograd.Function):
    """The LSTM recurrence with its backward written by hand (BPTT), as one autograd node.

    Autograd records about ten operations per time step of the LSTM and replays each one
    backwards. Here the forward loop runs without recording and keeps only what the backward
    needs (the gate activations, the cell states and tanh of them); the backward loop is the
    LSTM's BPTT, the same equations as ``rnnbook.cells.LSTMCell.backward``:

        dh_t    = ∂L/∂h_t (from the output) + dh carried back from step t+1
        do_gate = dh_t ⊙ tanh(c_t)                                          (h_t = o_gate ⊙ tanh(c_t))
        dc_t    = dc carried back from c_{t+1} + dh_t ⊙ o_gate ⊙ (1 − tanh²(c_t))  (both paths add)
        di = dc_t ⊙ g,   df = dc_t ⊙ c_{t−1},   dg = dc_t ⊙ i,   dc_{t−1} = dc_t ⊙ f
        da_t    = (di ⊙ i(1−i), df ⊙ f(1−f), dg ⊙ (1−g²), do_gate ⊙ o_gate(1−o_gate))  the gates
        dh_{t−1} = da_t W,   and after the loop  dW = Σ_t da_tᵀ h_{t−1}  (one matrix product).

    The gradient with respect to ``xu = x Uᵀ + b`` is ``da``; autograd takes it on to U, b, x.

    apply(xu (T, B, 4 n_h), h0 (B, n_h), c0 (B, n_h), W (4 n_h, n_h)) -> (hs (T, B, n_h), h_T, c_T)
    """

    @staticmethod
    def forward(ctx, xu, h0, c0, W):
        """The forward loop without recording: keeps the gates, c^(t), tanh(c^(t)) and h^(t)."""
        T, B, four_h = xu.shape
        n_h = four_h // 4
        gates = torch.empty_like(xu)  # i, f, g, o after their nonlinearities
        cs = xu.new_empty(T + 1, B, n_h)
        tanh_cs = xu.new_empty(T, B, n_h)
        hs = xu.new_empty(T + 1, B, n_h)
        hs[0], cs[0] = h0, c0
        W_T = W.t()
        for t in range(T):
            a = torch.addmm(xu[t], hs[t], W_T, out=gates[t])
            torch.sigmoid(a[:, : 2 * n_h], out=a[:, : 2 * n_h])
            torch.tanh(a[:, 2 * n_h : 3 * n_h], out=a[:, 2 * n_h : 3 * n_h])
            torch.sigmoid(a[:, 3 * n_h :], out=a[:, 3 * n_h :])
            i, f, g, o_gate = a.chunk(4, dim=1)
            torch.addcmul(f * cs[t], i, g, out=cs[t + 1])
            torch.tanh(cs[t + 1], out=tanh_cs[t])
            torch.mul(o_gate, tanh_cs[t], out=hs[t + 1])
        ctx.save_for_backward(gates, cs, tanh_cs, hs, W)
        return hs[1:].clone(), hs[T].clone(), cs[T].clone()

    @staticmethod
    def backward(ctx, d_hs, d_hT, d_cT):
        """BPTT from the last step to the first (the equations of the class docstring).

        d_hs (T, B, n_h) is ∂L/∂h_t from the outputs, d_hT and d_cT the gradients on the final
        state; returns the gradients on xu, h0, c0 and W.
        """
        gates, cs, tanh_cs, hs, W = ctx.saved_tensors
        T, B, four_h = gates.shape
        n_h = four_h // 4
        d_a = torch.empty_like(gates)
        dh_next = d_hs[T - 1].clone() if d_hT is None else d_hT + d_hs[T - 1]
        dc_next = torch.zeros_like(cs[0]) if d_cT is None else d_cT.clone()
        for t in range(T - 1, -1, -1):
            i, f, g, o_gate = gates[t].chunk(4, dim=1)
            dh = dh_next if t == T - 1 else dh_next + d_hs[t]
            tc = tanh_cs[t]
            dc = dc_next + dh * o_gate * (1 - tc * tc)  # from h_t and from c_{t+1}
            da_i, da_f, da_g, da_o = d_a[t].chunk(4, dim=1)
            torch.mul(dc * g, i * (1 - i), out=da_i)
            torch.mul(dc * cs[t], f * (1 - f), out=da_f)
            torch.mul(dc * i, 1 - g * g, out=da_g)
            torch.mul(dh * tc, o_gate * (1 - o_gate), out=da_o)  # do_gate = dh ⊙ tanh(c_t)
            dc_next = dc * f
            dh_next = d_a[t] @ W
        dW = d_a.reshape(T * B, four_h).t() @ hs[:T].reshape(T * B, n_h)
        return d_a, dh_next, dc_next, dW


# ----------------------------------------------------------------------------------------------
# layers: loop a cell over time


_FAST = (False, None, "bptt", "compile")


def _check_fast(fast) -> None:
    if fast is True or fast == "script":
        raise ValueError(
            f"fast: expected False, 'bptt' or 'compile', got {fast!r} (the torch.jit.script path "
            f"is gone, torch.jit being deprecated: use fast='compile' for torch.compile)"
        )
    if not isinstance(fast, bool | str | None) or fast not in _FAST:
        raise ValueError(f"fast: expected False, 'bptt' or 'compile', got {fast!r}")


class RecurrentLayer(nn.Module):
    """Unroll one cell over a sequence.

    The input half of every step, ``x_t U^T + b``, does not depend on the state, so it is computed
    for all T steps in one matrix product before the loop; the loop then does only the recurrent
    half. With ``reverse=True`` the layer reads the sequence from its last step to its first, and
    its outputs are stored at the time index they belong to (as in PyTorch's bidirectional RNNs).

    ``fast`` (LSTM cells only) picks a faster path with the same equations: ``"bptt"`` runs
    :class:`LSTMScanBPTT`, whose backward is the LSTM's BPTT written by hand; ``"compile"``
    runs :func:`lstm_step` under ``torch.compile`` (compiled on first use, which takes seconds).

    forward(x, state=None) -> (outputs, final_state)
        x        (T, B, n_x), or (B, T, n_x) with batch_first=True
        state    h0 (B, n_h), or (h0, c0) for an LSTM; None starts from zeros
        outputs  (T, B, n_h), or (B, T, n_h) with batch_first=True
        final_state has the form of ``state``
    """

    def __init__(
        self,
        cell: _Cell,
        batch_first: bool = False,
        reverse: bool = False,
        fast: bool | str = False,
    ):
        super().__init__()
        if not isinstance(cell, _Cell):
            raise TypeError(
                "cell: expected an ElmanCell, LSTMCell or GRUCell, got " + type(cell).__name__
            )
        _check_fast(fast)
        if fast and not isinstance(cell, LSTMCell):
            raise ValueError(f"fast: the fast paths exist for LSTMCell only, got {cell!r}")
        self.cell = cell
        self.batch_first = bool(batch_first)
        self.reverse = bool(reverse)
        self.fast = fast or False

    def check_input(self, x: Tensor, state):
        """Check x and state; return them with x in (T, B, n_x) and the state filled in."""
        dims = ("B", "T", "n_x") if self.batch_first else ("T", "B", "n_x")
        x = check_tensor("x", x, (None, None, self.cell.n_x), dims)
        if self.batch_first:
            x = x.transpose(0, 1)
        B = x.shape[1]
        if state is None:
            return x, self.cell.init_state(B, x)
        state = _check_state(
            "state", state, self.cell.has_pair_state, (B, self.cell.n_h), ("B", "n_h")
        )
        return x, state

    def forward(self, x: Tensor, state=None):
        x, state = self.check_input(x, state)
        outputs, state = self.unroll(x, state)
        return (outputs.transpose(0, 1) if self.batch_first else outputs), state

    def unroll(self, x: Tensor, state):
        """The loop itself, without checks: x (T, B, n_x) -> (outputs (T, B, n_h), state)."""
        xu = self.cell.input_projection(x)  # (T, B, k n_h): all steps in one product
        if self.reverse:
            xu = xu.flip(0)
        if self.fast == "compile":
            step, h, c, W_T, outs = _compiled_lstm_step(), state[0], state[1], self.cell.W.T, []
            for t in range(xu.shape[0]):
                h, c = step(xu[t], h, c, W_T)
                outs.append(h)
            hs, state = torch.stack(outs), (h, c)
        elif self.fast == "bptt":
            hs, h, c = LSTMScanBPTT.apply(xu, state[0], state[1], self.cell.W)
            state = (h, c)
        else:
            outs = []
            for t in range(xu.shape[0]):
                state = self.cell.recurrence(xu[t], state)
                outs.append(self.cell.output(state))
            hs = torch.stack(outs)
        return (hs.flip(0) if self.reverse else hs), state


class BidirectionalLayer(nn.Module):
    """Two layers over the same sequence, one forward in time and one backward; outputs concatenated.

    forward(x, state=None) -> (outputs, (state_forward, state_backward))
        x        (T, B, n_x), or (B, T, n_x) with batch_first=True
        state    None, or a pair (state_forward, state_backward), each as for RecurrentLayer
        outputs  (T, B, 2 n_h), or (B, T, 2 n_h): [forward h_t | backward h_t] at every t
    """

    def __init__(self, cell_fwd: _Cell, cell_bwd: _Cell, batch_first: bool = False):
        super().__init__()
        self.fwd = RecurrentLayer(cell_fwd, batch_first=batch_first)
        self.bwd = RecurrentLayer(cell_bwd, batch_first=batch_first, reverse=True)
        self.batch_first = bool(batch_first)

    def forward(self, x: Tensor, state=None):
        s_fwd, s_bwd = (None, None) if state is None else state
        out_fwd, s_fwd = self.fwd(x, s_fwd)
        out_bwd, s_bwd = self.bwd(x, s_bwd)
        return torch.cat([out_fwd, out_bwd], dim=-1), (s_fwd, s_bwd)


_CELLS = {"rnn": ElmanCell, "lstm": LSTMCell, "gru": GRUCell}


class StackedRNN(nn.Module):
    """A stack of recurrent layers with the interface of ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``.

    Layer l > 0 reads the outputs of layer l - 1, through dropout (active in training mode only,
    never after the last layer). With ``bidirectional=True`` every layer is a
    ``BidirectionalLayer`` and the next layer reads 2 n_h features.

    StackedRNN(cell, n_x, n_h, num_layers=1, nonlinearity="tanh", dropout=0.0,
               bidirectional=False, batch_first=False, fast=False)
        cell is "rnn" (Elman), "lstm" or "gru", as in ``rnnbook.lm.RNNLM(cell=...)``;
        nonlinearity applies to "rnn" only.
        fast ("bptt" or "compile", unidirectional LSTMs only) picks RecurrentLayer's fast path.

    forward(x, state=None) -> (outputs, final_state)
        x        (T, B, n_x), or (B, T, n_x) with batch_first=True
        state    h0 (L*D, B, n_h), or (h0, c0) for an LSTM; None starts from zeros.
                 Row l*D + d is layer l, direction d (0 forward, 1 backward), as in PyTorch.
        outputs  (T, B, D*n_h), or (B, T, D*n_h): the last layer's h_t
        final_state  h_n (L*D, B, n_h), or (h_n, c_n)
    """

    def __init__(
        self,
        cell: str,
        n_x: int,
        n_h: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        dropout: float = 0.0,
        bidirectional: bool = False,
        batch_first: bool = False,
        fast: bool | str = False,
    ):
        super().__init__()
        check_choice("cell", cell, tuple(_CELLS))
        mode = cell
        check_positive("n_x", n_x, integer=True)
        check_positive("n_h", n_h, integer=True)
        check_positive("num_layers", num_layers, integer=True)
        check_positive("dropout", dropout, allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout: expected a number in [0, 1), got {dropout!r}")
        _check_fast(fast)
        if fast and (mode != "lstm" or bidirectional):
            raise ValueError(
                "fast: the fast paths exist for unidirectional LSTMs only, "
                f"got cell={mode!r}, bidirectional={bidirectional}"
            )
        self.cell, self.n_x, self.n_h, self.num_layers = mode, n_x, n_h, num_layers
        self.nonlinearity = nonlinearity
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.batch_first = bool(batch_first)
        self.dropout = nn.Dropout(dropout)

        def make_cell(n_in):
            if mode == "rnn":
                return ElmanCell(n_in, n_h, nonlinearity)
            return _CELLS[mode](n_in, n_h)

        layers = []
        for l in range(num_layers):
            n_in = n_x if l == 0 else n_h * self.num_directions
            if self.bidirectional:
                layers.append(BidirectionalLayer(make_cell(n_in), make_cell(n_in)))
            else:
                layers.append(RecurrentLayer(make_cell(n_in), fast=fast))
        self.layers = nn.ModuleList(layers)

    def cells(self) -> list[_Cell]:
        """All cells in PyTorch's order: layer by layer, forward direction before backward."""
        out = []
        for layer in self.layers:
            out += [layer.fwd.cell, layer.bwd.cell] if self.bidirectional else [layer.cell]
        return out

    def forward(self, x: Tensor, state=None):
        dims = ("B", "T", "n_x") if self.batch_first else ("T", "B", "n_x")
        x = check_tensor("x", x, (None, None, self.n_x), dims)
        if self.batch_first:
            x = x.transpose(0, 1)
        B, LD = x.shape[1], self.num_layers * self.num_directions
        pair = self.cell == "lstm"
        if state is None:
            h0 = x.new_zeros(LD, B, self.n_h)
            state = (h0, h0.clone()) if pair else h0
        state = _check_state("state", state, pair, (LD, B, self.n_h), ("L*D", "B", "n_h"))

        def row(k):  # the initial state of cell number k
            return (state[0][k], state[1][k]) if pair else state[k]

        finals = []
        for l, layer in enumerate(self.layers):
            if l > 0:
                x = self.dropout(x)
            if self.bidirectional:
                out_f, s_f = layer.fwd.unroll(x, row(2 * l))
                out_b, s_b = layer.bwd.unroll(x, row(2 * l + 1))
                x = torch.cat([out_f, out_b], dim=-1)
                finals += [s_f, s_b]
            else:
                x, s = layer.unroll(x, row(l))
                finals.append(s)
        if pair:
            final = (torch.stack([s[0] for s in finals]), torch.stack([s[1] for s in finals]))
        else:
            final = torch.stack(finals)
        return (x.transpose(0, 1) if self.batch_first else x), final

    def extra_repr(self) -> str:
        return (
            f"cell={self.cell!r}, n_x={self.n_x}, n_h={self.n_h}, num_layers={self.num_layers}, "
            f"bidirectional={self.bidirectional}, batch_first={self.batch_first}"
        )


# ----------------------------------------------------------------------------------------------
# copying weights to and from PyTorch's modules

_TORCH_MODES = {nn.RNN: "rnn", nn.LSTM: "lstm", nn.GRU: "gru"}
_TORCH_CELLS = {nn.RNNCell: ElmanCell, nn.LSTMCell: LSTMCell, nn.GRUCell: GRUCell}


def _pairs(ours, theirs):
    """Match our cells with the name suffixes of the torch module's parameters."""
    if isinstance(ours, _Cell):
        want = _TORCH_CELLS.get(type(theirs))
        if want is None or type(ours) is not want:
            raise TypeError(
                f"torch_module: expected nn.{_torch_cell_name(ours)} to match {type(ours).__name__},"
                f" got {type(theirs).__name__}"
            )
        if ours.n_x != theirs.input_size or ours.n_h != theirs.hidden_size:
            raise ValueError(
                f"torch_module: expected input_size={ours.n_x}, hidden_size={ours.n_h}, got "
                f"input_size={theirs.input_size}, hidden_size={theirs.hidden_size}"
            )
        if not theirs.bias:
            raise ValueError("torch_module: expected bias=True, got bias=False")
        _check_nonlinearity(ours, theirs)
        return [(ours, "")]
    if not isinstance(ours, StackedRNN):
        raise TypeError(
            f"ours: expected a StackedRNN or a cell (ElmanCell, LSTMCell, GRUCell), "
            f"got {type(ours).__name__}"
        )
    kind = _TORCH_MODES.get(type(theirs))
    if kind != ours.cell:
        want = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}[ours.cell]
        raise TypeError(
            f"torch_module: expected {want} to match StackedRNN(cell={ours.cell!r}), "
            f"got {type(theirs).__name__}"
        )
    ours_cfg = (ours.n_x, ours.n_h, ours.num_layers, ours.bidirectional)
    theirs_cfg = (theirs.input_size, theirs.hidden_size, theirs.num_layers, theirs.bidirectional)
    if ours_cfg != theirs_cfg:
        raise ValueError(
            "torch_module: expected (input_size, hidden_size, num_layers, bidirectional) = "
            f"{ours_cfg}, got {theirs_cfg}"
        )
    if not theirs.bias:
        raise ValueError("torch_module: expected bias=True, got bias=False")
    if getattr(theirs, "proj_size", 0):
        raise ValueError(f"torch_module: expected proj_size=0, got proj_size={theirs.proj_size}")
    cells = ours.cells()
    _check_nonlinearity(cells[0], theirs)
    D = ours.num_directions
    return [(cell, f"_l{k // D}" + ("_reverse" if k % D else "")) for k, cell in enumerate(cells)]


def _torch_cell_name(cell) -> str:
    return {ElmanCell: "RNNCell", LSTMCell: "LSTMCell", GRUCell: "GRUCell"}[type(cell)]


def _check_nonlinearity(cell, theirs) -> None:
    if isinstance(cell, ElmanCell) and cell.nonlinearity != theirs.nonlinearity:
        raise ValueError(
            f"torch_module: expected nonlinearity={cell.nonlinearity!r}, "
            f"got {theirs.nonlinearity!r} (nn.RNN offers 'tanh' and 'relu' only)"
        )


@torch.no_grad()
def copy_to_torch(ours, torch_module: nn.Module) -> nn.Module:
    """Copy our weights into ``torch_module`` (in place) and return it.

    ``ours`` is a StackedRNN (copied into nn.RNN, nn.LSTM or nn.GRU: every layer, both
    directions) or a single cell (into nn.RNNCell, nn.LSTMCell or nn.GRUCell). Sizes, number of
    layers, direction and nonlinearity must agree; bias=False and proj_size > 0 are refused.

    How the names map: the table in the module docstring (``rnnbook.torch_cells.__doc__``).
    """
    for cell, sfx in _pairs(ours, torch_module):
        getattr(torch_module, f"weight_ih{sfx}").copy_(cell.U)
        getattr(torch_module, f"weight_hh{sfx}").copy_(cell.W)
        if isinstance(cell, GRUCell):
            getattr(torch_module, f"bias_ih{sfx}").copy_(cell.b_x)
            getattr(torch_module, f"bias_hh{sfx}").copy_(cell.b_h)
        else:
            getattr(torch_module, f"bias_ih{sfx}").copy_(cell.b)
            getattr(torch_module, f"bias_hh{sfx}").zero_()
    return torch_module


@torch.no_grad()
def copy_from_torch(torch_module: nn.Module, ours):
    """Copy the weights of ``torch_module`` into ``ours`` (in place) and return ``ours``.

    The inverse of ``copy_to_torch`` (the table is in the module docstring). For Elman and LSTM cells our bias is
    b = bias_ih + bias_hh; for GRU cells both biases are kept, b_x = bias_ih and b_h = bias_hh.
    """
    for cell, sfx in _pairs(ours, torch_module):
        cell.U.copy_(getattr(torch_module, f"weight_ih{sfx}"))
        cell.W.copy_(getattr(torch_module, f"weight_hh{sfx}"))
        b_ih = getattr(torch_module, f"bias_ih{sfx}")
        b_hh = getattr(torch_module, f"bias_hh{sfx}")
        if isinstance(cell, GRUCell):
            cell.b_x.copy_(b_ih)
            cell.b_h.copy_(b_hh)
        else:
            cell.b.copy_(b_ih + b_hh)
    return ours


_NUMPY_KINDS = {  # torch module -> (blocks k, numpy keys, which numpy cell)
    nn.RNN: (1, ("U", "W", "b"), "ElmanCell"),
    nn.RNNCell: (1, ("U", "W", "b"), "ElmanCell"),
    nn.LSTM: (4, ("U", "W", "b"), "LSTMCell"),
    nn.LSTMCell: (4, ("U", "W", "b"), "LSTMCell"),
    nn.GRU: (3, ("U", "W", "b_x", "b_h"), "GRUCell"),
    nn.GRUCell: (3, ("U", "W", "b_x", "b_h"), "GRUCell"),
}


@torch.no_grad()
def copy_numpy_to_torch(params: dict, torch_module: nn.Module) -> nn.Module:
    """Copy a numpy cell's parameters (``rnnbook.cells``) into ``torch_module``, in place; return it.

    ``params`` is what ``ElmanCell/LSTMCell/GRUCell.init_params`` returns (or a whole model's θ:
    the output layer's ``V`` and ``c`` are not copied).  ``torch_module`` is a one-layer,
    one-direction ``nn.RNN``/``nn.LSTM``/``nn.GRU`` or an ``nn.RNNCell``/``LSTMCell``/``GRUCell``
    of the same sizes, with biases; its dtype and device are kept (call ``.double()`` on it first
    to compare with float64 numpy to rounding).  Names and gate blocks map as in the table of the
    module docstring; no block is reordered.  An Elman cell's nonlinearity is not in ``params``:
    ``nn.RNN`` must use the one the numpy cell was built with.
    """
    kind = _NUMPY_KINDS.get(type(torch_module))
    if kind is None:
        raise TypeError(
            "torch_module: expected nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell or "
            f"nn.GRUCell, got {type(torch_module).__name__}"
        )
    k, keys, numpy_cell = kind
    if not isinstance(params, dict):
        raise TypeError(f"params: expected a dict of numpy arrays, got {type(params).__name__}")
    missing = [key for key in keys if key not in params]
    if missing:
        raise ValueError(
            f"params: expected the keys {list(keys)} of a numpy {numpy_cell} to match "
            f"{type(torch_module).__name__}, got {sorted(params)} (missing {missing})"
        )
    if not torch_module.bias:
        raise ValueError("torch_module: expected bias=True, got bias=False")
    if getattr(torch_module, "num_layers", 1) != 1 or getattr(torch_module, "bidirectional", False):
        raise ValueError(
            "torch_module: expected one layer in one direction (a numpy cell is one cell), got "
            f"num_layers={torch_module.num_layers}, bidirectional={torch_module.bidirectional}"
        )
    if getattr(torch_module, "proj_size", 0):
        raise ValueError(f"torch_module: expected proj_size=0, got {torch_module.proj_size}")
    n_x, n_h = torch_module.input_size, torch_module.hidden_size
    shapes = {
        "U": ((k * n_h, n_x), (f"{k}n_h" if k > 1 else "n_h", "n_x")),
        "W": ((k * n_h, n_h), (f"{k}n_h" if k > 1 else "n_h", "n_h")),
    }
    for key in keys[2:]:
        shapes[key] = ((k * n_h, 1), (f"{k}n_h" if k > 1 else "n_h", "1"))
    arrays = {key: check_array(f"params['{key}']", params[key], *shapes[key]) for key in keys}
    sfx = "_l0" if isinstance(torch_module, nn.RNNBase) else ""

    def put(name, array):
        target = getattr(torch_module, f"{name}{sfx}")
        target.copy_(torch.from_numpy(np.ascontiguousarray(array)).reshape(target.shape))

    put("weight_ih", arrays["U"])
    put("weight_hh", arrays["W"])
    if "b_x" in arrays:
        put("bias_ih", arrays["b_x"])
        put("bias_hh", arrays["b_h"])
    else:
        put("bias_ih", arrays["b"])
        getattr(torch_module, f"bias_hh{sfx}").zero_()
    return torch_module
