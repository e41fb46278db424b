"""Recurrent cells in numpy, each with its forward and hand-written backward side by side.

Shapes (numpy half of the course): **columns are examples**.

- ``n_x`` input size, ``n_h`` hidden size, ``n_y`` output size (number of classes),
  ``B`` batch size, ``T`` sequence length (τ in the notes).
- ``x_t (n_x, B)``, ``h_t (n_h, B)``, ``o_t (n_y, B)``, biases ``(n, 1)``; a sequence
  ``xs`` is ``(T, n_x, B)``; class targets ``y`` are integer indices ``(B,)``.

Every cell has the same signature, so one :func:`unroll` (and one BPTT in ``rnnbook.bptt``)
serves them all:

- ``cell.init_params(rng) -> dict``      parameters, keyed by name (``U``, ``W``, ``b``, ...)
- ``cell.init_state(B) -> state``        the zero state, a NamedTuple (all of them have ``.h``)
- ``cell.forward(params, state_prev, x_t) -> (state, cache)``
- ``cell.backward(params, dstate, cache) -> (dstate_prev, dx_t, grads)``; ``dstate`` holds
  ∇L with respect to each field of ``state`` (same NamedTuple type) and ``grads`` has the keys
  of ``params``
- ``cell.hidden(state) -> h``            what an output layer reads
- ``cell.param_shapes() -> dict``

Mapping to PyTorch (``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``): ``U`` is
``weight_ih``, ``W`` is ``weight_hh``. The Elman and LSTM cells have one bias
``b = bias_ih + bias_hh``; the GRU keeps both (``b_x = bias_ih``, ``b_h = bias_hh``) because
``b_hn`` sits inside the reset gate's product. Stacked gates follow PyTorch's order:
LSTM ``i, f, g, o``, GRU ``r, z, n``. The LSTM cell state is ``c`` (a state indexed by time);
the output-layer bias is the parameter ``c`` of :func:`output_forward`. The LSTM output gate is
called ``o_gate`` in code so that it is never confused with the output ``o^(t)``; ``do_t`` is
always ∇_{o^(t)} L, the gradient on the output, and ``do_gate`` the one on the output gate.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive

__all__ = [
    "ElmanState",
    "JordanState",
    "LSTMState",
    "GRUState",
    "ElmanCell",
    "JordanCell",
    "LSTMCell",
    "GRUCell",
    "unroll",
    "check_sequence",
    "sigmoid",
    "softmax",
    "one_hot",
    "softmax_cross_entropy",
    "check_labels",
    "check_output_params",
    "zeros_like_state",
    "add_states",
    "init_output_params",
    "output_forward",
    "output_backward",
    "embedding_forward",
    "embedding_backward",
]


# --------------------------------------------------------------------------------------------
# Small functions
# --------------------------------------------------------------------------------------------


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic sigmoid σ(a) = 1 / (1 + e^(−a)), written as ½(1 + tanh(a/2)) so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def softmax(o: np.ndarray) -> np.ndarray:
    """Column-wise softmax: ŷ_i = exp(o_i) / Σ_j exp(o_j) for each column (example) of ``o (n_y, B)``."""
    return _softmax(check_array("o", o, ndim=2))


def _softmax(o):
    e = np.exp(o - o.max(axis=0, keepdims=True))  # subtracting the max changes nothing but overflow
    return e / e.sum(axis=0, keepdims=True)


def _softmax_backward(y_hat: np.ndarray, dy_hat: np.ndarray) -> np.ndarray:
    """Vector-Jacobian product of softmax: ∇_o = ŷ ⊙ (∇_ŷ − Σ_i ŷ_i ∇_ŷ_i), column by column."""
    return y_hat * (dy_hat - np.sum(y_hat * dy_hat, axis=0, keepdims=True))


def check_labels(name: str, y, n_classes: int, batch: int | None = None) -> np.ndarray:
    """Check integer class indices ``y (B,)`` in ``[0, n_classes)``; return them."""
    y = check_array(name, y, (batch,), ("B",), dtype_kind="iu")
    if y.min() < 0 or y.max() >= n_classes:
        bad = y[(y < 0) | (y >= n_classes)][0]
        raise ValueError(
            f"{name}: expected class indices in [0, {n_classes - 1}] (n_y = {n_classes}), got {bad}"
        )
    return y


def one_hot(y, n_classes: int, dtype=np.float64) -> np.ndarray:
    """One-hot codes with examples as columns: ``y (B,)`` -> ``(n_classes, B)``, ``y (T, B)`` ->
    ``(T, n_classes, B)``.

    Column b is the unit vector e_{y_b}: the input x^(t) of the lecture notes when the tokens
    are coded one-hot.  The one one-hot of the numpy half (``rnnbook.text`` uses it too).  A
    result over 1 GiB is refused with its size, since an embedding lookup does the same job.
    """
    check_positive("n_classes", n_classes, integer=True)
    idx = np.asarray(y)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"y: expected an integer array of class indices, got dtype {idx.dtype}")
    if idx.ndim not in (1, 2):
        raise ValueError(f"y: expected shape (B,) or (T, B), got {idx.shape}")
    if idx.size and (idx.min() < 0 or idx.max() >= n_classes):
        raise ValueError(
            f"y: expected class indices in [0, {n_classes - 1}] (n_y = {n_classes}), "
            f"got values in [{idx.min()}, {idx.max()}]"
        )
    nbytes = idx.size * n_classes * np.dtype(dtype).itemsize
    if nbytes > 2**30:
        raise ValueError(
            f"n_classes: one-hot codes of {idx.size} indices over {n_classes} classes would take "
            f"{nbytes / 2**30:.1f} GiB; use an embedding (index lookup) instead"
        )
    codes = np.zeros(idx.shape + (n_classes,), dtype=dtype)
    np.put_along_axis(codes, idx[..., None], 1.0, axis=-1)
    return np.moveaxis(codes, -1, -2)  # examples as columns


def softmax_cross_entropy(o: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of softmax(o) against class indices, averaged over the batch.

    L = (1/B) Σ_b −log ŷ_{y_b, b} with ŷ = softmax(o); returns ``(L, ∇_o L)``, and
    ∇_o L = (ŷ − onehot(y)) / B: the famous "prediction minus target".

    o: (n_y, B) logits; y: (B,) integer class indices.
    """
    o = check_array("o", o, (None, None), ("n_y", "B"))
    y = check_labels("y", y, o.shape[0], o.shape[1])
    batch = o.shape[1]
    shifted = o - o.max(axis=0, keepdims=True)
    log_y_hat = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    loss = -log_y_hat[y, np.arange(batch)].mean()
    do = np.exp(log_y_hat)
    do[y, np.arange(batch)] -= 1.0  # ŷ − y with y one-hot
    return float(loss), do / batch


# --------------------------------------------------------------------------------------------
# Output layer o^(t) = c + V h^(t) and embedding e^(t) = W_emb x^(t)
# --------------------------------------------------------------------------------------------


class OutputCache(NamedTuple):
    h_t: np.ndarray  # (n_h, B), the input of the output layer


def init_output_params(n_h: int, n_y: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Output layer parameters ``V (n_y, n_h)`` and ``c (n_y, 1)``, uniform in ±1/√n_h."""
    check_positive("n_h", n_h, integer=True)
    check_positive("n_y", n_y, integer=True)
    k = 1.0 / np.sqrt(n_h)
    return {"V": rng.uniform(-k, k, (n_y, n_h)), "c": rng.uniform(-k, k, (n_y, 1))}


def check_output_params(
    out_params, n_h: int | None = None, name: str = "out_params"
) -> tuple[int, int]:
    """Check the output layer's ``V (n_y, n_h)`` and ``c (n_y, 1)`` in ``out_params``;
    return ``(n_y, n_h)``.  Other keys (the cell's, in a whole model's θ) are not looked at."""
    if not isinstance(out_params, dict):
        raise TypeError(f"{name}: expected a dict of arrays, got {type(out_params).__name__}")
    missing = [k for k in ("V", "c") if k not in out_params]
    if missing:
        raise ValueError(
            f"{name}: expected the output layer's keys ['V', 'c'], got {sorted(out_params)} "
            f"(missing {missing})"
        )
    V = check_array(f"{name}['V']", out_params["V"], (None, n_h), ("n_y", "n_h"))
    check_array(f"{name}['c']", out_params["c"], (V.shape[0], 1), ("n_y", "1"))
    return V.shape


def output_forward(
    out_params: dict, h_t: np.ndarray, *, check: bool = True
) -> tuple[np.ndarray, OutputCache]:
    """o^(t) = c + V h^(t).  h_t: (n_h, B) → o_t: (n_y, B).

    ``out_params`` may hold other keys too (a whole model's θ): only ``V`` and ``c`` are read.
    ``check=False`` skips the input checks (``rnnbook.bptt`` checks once per sequence).
    """
    if check:
        check_output_params(out_params)
        check_array("h_t", h_t, (out_params["V"].shape[1], None), ("n_h", "B"))
    o_t = out_params["c"] + out_params["V"] @ h_t
    return o_t, OutputCache(h_t)


def output_backward(
    out_params: dict, do_t: np.ndarray, cache: OutputCache, *, check: bool = True
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Backward of o^(t) = c + V h^(t): returns ``(dh_t, {"V": dV, "c": dc})``.

    ``do_t`` (n_y, B) is ∇_{o^(t)} L, the gradient on the output.  One time step's terms of
    Goodfellow eqs. 10.22 (∇_c L = Σ_t ∇_{o^(t)} L) and 10.24 (∇_V L = Σ_t (∇_{o^(t)} L) h^(t)ᵀ);
    the sum over t happens in ``rnnbook.bptt``.
    """
    if check:
        n_y, _ = check_output_params(out_params)
        _check_cache("cache", cache, OutputCache)
        check_array("do_t", do_t, (n_y, cache.h_t.shape[1]), ("n_y", "B"))
    dV = do_t @ cache.h_t.T  # eq. 10.24, one term
    dc = do_t.sum(axis=1, keepdims=True)  # eq. 10.22, one term (summed over the batch)
    dh_t = out_params["V"].T @ do_t  # o depends on h through V
    return dh_t, {"V": dV, "c": dc}


class EmbeddingCache(NamedTuple):
    ids: np.ndarray  # (B,) token indices that were looked up


def embedding_forward(W_emb: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, EmbeddingCache]:
    """e^(t) = W_emb x^(t) with x^(t) one-hot: picks columns of ``W_emb (d, n_vocab)``.

    ids: (B,) integer token indices → e_t: (d, B). Same result as ``W_emb @ one_hot(ids)``
    without building the one-hot matrix.
    """
    W_emb = check_array("W_emb", W_emb, (None, None), ("d", "n_vocab"))
    ids = check_labels("ids", ids, W_emb.shape[1])
    return W_emb[:, ids], EmbeddingCache(ids)


def embedding_backward(W_emb: np.ndarray, de_t: np.ndarray, cache: EmbeddingCache) -> np.ndarray:
    """Backward of the lookup: ∇_{W_emb} L = (∇_e L) x^(t)ᵀ, i.e. column ids[b] of dW_emb gets de_t[:, b].

    A token that occurs twice in the batch collects both gradients (``np.add.at``).
    """
    W_emb = check_array("W_emb", W_emb, (None, None), ("d", "n_vocab"))
    _check_cache("cache", cache, EmbeddingCache)
    check_array("de_t", de_t, (W_emb.shape[0], cache.ids.shape[0]), ("d", "B"))
    dW_emb = np.zeros_like(W_emb)
    np.add.at(dW_emb.T, cache.ids, de_t.T)  # scatter-add each example's gradient into its column
    return dW_emb


# --------------------------------------------------------------------------------------------
# States and shared cell machinery
# --------------------------------------------------------------------------------------------


class ElmanState(NamedTuple):
    h: np.ndarray  # (n_h, B)


class LSTMState(NamedTuple):
    h: np.ndarray  # (n_h, B) hidden state, what the output layer reads
    c: np.ndarray  # (n_h, B) cell state (not the output bias c)


class GRUState(NamedTuple):
    h: np.ndarray  # (n_h, B)


class JordanState(NamedTuple):
    h: np.ndarray  # (n_h, B) hidden units at this step
    o: np.ndarray  # (n_y, B) output o^(t) = c + V h^(t)
    s: np.ndarray  # (n_y, B) what the next step reads: o^(t), softmax(o^(t)) or a forced target


def _a(word: str) -> str:
    """'an ElmanState', 'an LSTMState' (said "el-es-tee-em"), 'a GRUState'."""
    return f"an {word}" if word[0] in "AEIOU" or word.startswith("LSTM") else f"a {word}"


def _check_cache(name, cache, cache_type):
    if not isinstance(cache, cache_type):
        raise TypeError(
            f"{name}: expected {_a(cache_type.__name__)} from the matching forward, "
            f"got {type(cache).__name__}"
        )


def zeros_like_state(state):
    """A state of the same type and shapes, all zeros (the gradient on a state, before any)."""
    return type(state)(*(np.zeros_like(a) for a in state))


def add_states(a, b):
    """Field-by-field sum of two states of the same type."""
    if type(a) is not type(b):
        raise TypeError(f"b: expected {_a(type(a).__name__)}, got {type(b).__name__}")
    return type(a)(*(x + y for x, y in zip(a, b)))


class Cell:
    """What every cell shares: parameter and state checks, and the public forward/backward.

    Subclasses define ``state_type``, ``cache_type``, ``_shapes()`` (name → (shape, dims)),
    ``init_params``, ``forward`` and ``backward``.  Both start with the input checks
    (:meth:`check_step`, :meth:`check_step_backward`) unless called with ``check=False``, as
    ``unroll`` and ``rnnbook.bptt`` do after checking a whole sequence once.
    """

    state_type: type = ElmanState
    cache_type: type = tuple
    owns_output = False  # True when the cell computes o^(t) itself (JordanCell)

    n_x: int
    n_h: int

    def __init__(self, n_x: int, n_h: int):
        self.n_x = check_positive("n_x", n_x, integer=True)
        self.n_h = check_positive("n_h", n_h, integer=True)

    def _shapes(self) -> dict[str, tuple[tuple[int, ...], tuple[str, ...]]]:
        raise NotImplementedError

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name → shape of every parameter."""
        return {k: shape for k, (shape, _) in self._shapes().items()}

    def _state_shapes(self, batch: int) -> dict[str, tuple[tuple[int, ...], tuple[str, ...]]]:
        return {f: ((self.n_h, batch), ("n_h", "B")) for f in self.state_type._fields}

    def init_state(self, batch: int):
        """The zero state for a batch of ``batch`` examples."""
        check_positive("batch", batch, integer=True)
        return self.state_type(
            *(np.zeros(shape) for shape, _ in self._state_shapes(batch).values())
        )

    def _uniform_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
        k = 1.0 / np.sqrt(self.n_h)  # PyTorch's default: uniform in ±1/√n_h
        return {name: rng.uniform(-k, k, shape) for name, shape in self.param_shapes().items()}

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Parameters drawn uniformly in ±1/√n_h (PyTorch's default for recurrent layers)."""
        return self._uniform_params(rng)

    def hidden(self, state) -> np.ndarray:
        """What an output layer reads from ``state``: its ``h`` (n_h, B)."""
        self.check_state(state, None, "state")
        return state.h

    def hidden_grad(self, params, dstate, state) -> np.ndarray:
        """∇ with respect to h^(t) implied by ∇ with respect to the whole state at t.

        For most cells this is ``dstate.h``: for the LSTM it holds the cell state c^(t) fixed.
        """
        return dstate.h

    # ---- checks --------------------------------------------------------------------------

    def check_params(self, params, name: str = "params") -> dict[str, np.ndarray]:
        shapes = self._shapes()
        if not isinstance(params, dict):
            raise TypeError(f"{name}: expected a dict of arrays, got {type(params).__name__}")
        if set(params) != set(shapes):
            raise ValueError(
                f"{name}: expected keys {sorted(shapes)} for {type(self).__name__}, "
                f"got {sorted(params)}"
            )
        for key, (shape, dims) in shapes.items():
            check_array(f"{name}['{key}']", params[key], shape, dims)
        return params

    def check_state(self, state, batch: int | None, name: str = "state_prev"):
        if not isinstance(state, self.state_type):
            fields = ", ".join(self.state_type._fields)
            raise TypeError(
                f"{name}: expected {_a(self.state_type.__name__)}({fields}) for "
                f"{type(self).__name__}, got {type(state).__name__}"
            )
        for field, (shape, dims) in self._state_shapes(batch).items():
            check_array(f"{name}.{field}", getattr(state, field), shape, dims)
        return state

    def _check_x(self, name, x_t):
        return check_array(name, x_t, (self.n_x, None), ("n_x", "B"))

    def check_step(self, params, state_prev, x_t) -> None:
        """The checks of :meth:`forward`: params, ``x_t (n_x, B)`` and a state of batch B."""
        self.check_params(params)
        x_t = self._check_x("x_t", x_t)
        self.check_state(state_prev, x_t.shape[1])

    def check_step_backward(self, params, dstate, cache) -> None:
        """The checks of :meth:`backward`: params, a cache of this cell and a matching dstate."""
        self.check_params(params)
        _check_cache("cache", cache, self.cache_type)
        self.check_state(dstate, cache.x_t.shape[1], "dstate")

    # ---- forward/backward of one step, written out by each cell --------------------------

    def forward(self, params, state_prev, x_t, *, check: bool = True):
        """One time step: ``(state_prev, x_t (n_x, B)) -> (state, cache)``.

        ``check=False`` skips the input checks (``unroll`` and ``rnnbook.bptt`` check once per
        sequence, then call every step without them).
        """
        raise NotImplementedError

    def backward(self, params, dstate, cache, *, check: bool = True):
        """Backward of one step: ``dstate -> (dstate_prev, dx_t (n_x, B), grads)``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_x={self.n_x}, n_h={self.n_h})"


# --------------------------------------------------------------------------------------------
# Elman cell: recurrence through the hidden units
# --------------------------------------------------------------------------------------------

_NONLINEARITIES = ("tanh", "sigmoid", "relu", "identity")


class ElmanCache(NamedTuple):
    x_t: np.ndarray  # (n_x, B)
    h_prev: np.ndarray  # (n_h, B)
    h_t: np.ndarray  # (n_h, B), φ(a^(t)); φ' is read off it


class ElmanCell(Cell):
    """Elman (hidden-to-hidden) cell:  a^(t) = b + W h^(t−1) + U x^(t),  h^(t) = φ(a^(t)).

    φ is ``"tanh"`` (Goodfellow), ``"sigmoid"`` (the logistic σ of the language-model notes),
    ``"relu"`` (with W initialised to the identity, a remedy for vanishing gradients) or
    ``"identity"`` (φ(a) = a: the linear RNN, whose Jacobian product ∂h^(T)/∂h^(t) is W^(T−t)).

    Parameters: U (n_h, n_x), W (n_h, n_h), b (n_h, 1).  State: ``ElmanState(h)``.
    """

    state_type = ElmanState
    cache_type = ElmanCache

    def __init__(self, n_x: int, n_h: int, nonlinearity: str = "tanh"):
        super().__init__(n_x, n_h)
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, _NONLINEARITIES)

    def __repr__(self) -> str:
        return f"ElmanCell(n_x={self.n_x}, n_h={self.n_h}, nonlinearity={self.nonlinearity!r})"

    def _shapes(self):
        n_x, n_h = self.n_x, self.n_h
        return {
            "U": ((n_h, n_x), ("n_h", "n_x")),
            "W": ((n_h, n_h), ("n_h", "n_h")),
            "b": ((n_h, 1), ("n_h", "1")),
        }

    def _phi(self, a):
        if self.nonlinearity == "tanh":
            return np.tanh(a)
        if self.nonlinearity == "sigmoid":
            return sigmoid(a)
        if self.nonlinearity == "relu":
            return np.maximum(a, 0.0)
        return a

    def _phi_prime(self, h):
        """φ'(a) written with h = φ(a): 1 − h² (tanh), h(1 − h) (σ), [h > 0] (ReLU), 1 (identity)."""
        if self.nonlinearity == "tanh":
            return 1.0 - h**2
        if self.nonlinearity == "sigmoid":
            return h * (1.0 - h)
        if self.nonlinearity == "relu":
            return (h > 0).astype(h.dtype)
        return np.ones_like(h)

    def forward(self, params, state_prev, x_t, *, check: bool = True):
        """One step, a^(t) = b + W h^(t−1) + U x^(t), h^(t) = φ(a^(t)): ``-> (state, cache)``."""
        if check:
            self.check_step(params, state_prev, x_t)
        U, W, b = params["U"], params["W"], params["b"]
        h_prev = state_prev.h
        a_t = b + W @ h_prev + U @ x_t
        h_t = self._phi(a_t)
        return ElmanState(h_t), ElmanCache(x_t, h_prev, h_t)

    def backward(self, params, dstate, cache, *, check: bool = True):
        """One step back: the step's terms of eqs. 10.23, 10.26, 10.28 and ∇h^(t−1) = Wᵀ ∇a^(t)."""
        if check:
            self.check_step_backward(params, dstate, cache)
        U, W = params["U"], params["W"]
        x_t, h_prev, h_t = cache
        da = dstate.h * self._phi_prime(h_t)  # backprop through φ: diag(1 − h²) ∇_h L for tanh
        grads = {
            "U": da @ x_t.T,  # eq. 10.28, the term of step t
            "W": da @ h_prev.T,  # eq. 10.26, the term of step t
            "b": da.sum(axis=1, keepdims=True),  # eq. 10.23, the term of step t
        }
        dh_prev = W.T @ da  # a^(t) depends on h^(t−1) through W
        dx_t = U.T @ da  # ... and on x^(t) through U
        return ElmanState(dh_prev), dx_t, grads


# --------------------------------------------------------------------------------------------
# Jordan cell: recurrence through the output only
# --------------------------------------------------------------------------------------------

_FEEDBACKS = ("output", "softmax")


class JordanCache(NamedTuple):
    x_t: np.ndarray  # (n_x, B)
    s_prev: np.ndarray  # (n_y, B) what this step read from the previous one
    h_t: np.ndarray  # (n_h, B)
    s_t: np.ndarray  # (n_y, B) what this step hands on


class JordanCell(Cell):
    """Jordan cell (recurrence from the output to the hidden units, Goodfellow's "second model"):

        h^(t) = tanh(b + W s^(t−1) + U x^(t)),   o^(t) = c + V h^(t),   s^(t) = fb(o^(t))

    ``feedback="output"`` feeds the output itself, s = o (the equation of the notes:
    W o^(t−1)); ``feedback="softmax"`` feeds the predicted distribution s = softmax(o),
    which lives on the same scale as the one-hot targets used in teacher forcing, so a model
    trained with teacher forcing sees the same kind of input when it runs free at test time.
    Teacher forcing itself is a sequence-level choice (``rnnbook.bptt``): there s^(t−1) is
    replaced by the one-hot target y^(t−1) (:meth:`force`), and no gradient flows back
    through the recurrence.

    The cell owns its output layer, since the output is its state: parameters
    U (n_h, n_x), W (n_h, n_y), b (n_h, 1), V (n_y, n_h), c (n_y, 1).
    State: ``JordanState(h, o, s)``.
    """

    state_type = JordanState
    cache_type = JordanCache
    owns_output = True

    def __init__(self, n_x: int, n_h: int, n_y: int, feedback: str = "output"):
        super().__init__(n_x, n_h)
        self.n_y = check_positive("n_y", n_y, integer=True)
        self.feedback = check_choice("feedback", feedback, _FEEDBACKS)

    def __repr__(self) -> str:
        return (
            f"JordanCell(n_x={self.n_x}, n_h={self.n_h}, n_y={self.n_y}, "
            f"feedback={self.feedback!r})"
        )

    def _shapes(self):
        n_x, n_h, n_y = self.n_x, self.n_h, self.n_y
        return {
            "U": ((n_h, n_x), ("n_h", "n_x")),
            "W": ((n_h, n_y), ("n_h", "n_y")),
            "b": ((n_h, 1), ("n_h", "1")),
            "V": ((n_y, n_h), ("n_y", "n_h")),
            "c": ((n_y, 1), ("n_y", "1")),
        }

    def _state_shapes(self, batch):
        return {
            "h": ((self.n_h, batch), ("n_h", "B")),
            "o": ((self.n_y, batch), ("n_y", "B")),
            "s": ((self.n_y, batch), ("n_y", "B")),
        }

    def _feed(self, o):
        return o if self.feedback == "output" else _softmax(o)

    def init_state(self, batch: int) -> JordanState:
        """h = 0, o = 0 and s = fb(0) (zeros, or the uniform distribution for softmax)."""
        state = super().init_state(batch)
        return state._replace(s=self._feed(state.o))

    def force(self, state: JordanState, y: np.ndarray) -> JordanState:
        """Teacher forcing: the same state, but the next step reads the one-hot target y (B,)."""
        self.check_state(state, None, "state")
        y = check_labels("y", y, self.n_y, state.o.shape[1])
        return state._replace(s=one_hot(y, self.n_y, state.o.dtype))

    def hidden_grad(self, params, dstate, state):
        """∇_{h^(t)} counting the paths through o^(t) = c + V h^(t) and s^(t) = fb(o^(t))."""
        do_t = dstate.o + self._feed_backward(state.s, dstate.s)  # ∇_{o^(t)}
        return dstate.h + params["V"].T @ do_t

    def _feed_backward(self, s, ds):
        return ds if self.feedback == "output" else _softmax_backward(s, ds)

    def forward(self, params, state_prev, x_t, *, check: bool = True):
        """One step: h^(t) from s^(t−1) and x^(t), then o^(t) and s^(t) = fb(o^(t))."""
        if check:
            self.check_step(params, state_prev, x_t)
        U, W, b, V, c = (params[k] for k in ("U", "W", "b", "V", "c"))
        s_prev = state_prev.s
        h_t = np.tanh(b + W @ s_prev + U @ x_t)
        o_t = c + V @ h_t
        s_t = self._feed(o_t)
        return JordanState(h_t, o_t, s_t), JordanCache(x_t, s_prev, h_t, s_t)

    def backward(self, params, dstate, cache, *, check: bool = True):
        """One step back: ∇ reaches step t−1 only through s^(t−1), what step t read."""
        if check:
            self.check_step_backward(params, dstate, cache)
        U, W, V = params["U"], params["W"], params["V"]
        x_t, s_prev, h_t, s_t = cache
        do_t = dstate.o + self._feed_backward(s_t, dstate.s)  # o^(t) feeds the loss and s^(t)
        dh = dstate.h + V.T @ do_t  # o^(t) = c + V h^(t)
        da = dh * (1.0 - h_t**2)  # backprop through tanh
        grads = {
            "U": da @ x_t.T,
            "W": da @ s_prev.T,
            "b": da.sum(axis=1, keepdims=True),
            "V": do_t @ h_t.T,  # eq. 10.24, the term of step t
            "c": do_t.sum(axis=1, keepdims=True),  # eq. 10.22, the term of step t
        }
        ds_prev = W.T @ da  # the only way back in time: through what step t read
        dx_t = U.T @ da
        zeros_h = np.zeros((self.n_h, x_t.shape[1]), dtype=da.dtype)
        zeros_o = np.zeros_like(ds_prev)
        return JordanState(zeros_h, zeros_o, ds_prev), dx_t, grads


# --------------------------------------------------------------------------------------------
# LSTM cell
# --------------------------------------------------------------------------------------------


class LSTMCache(NamedTuple):
    x_t: np.ndarray  # (n_x, B)
    h_prev: np.ndarray  # (n_h, B)
    c_prev: np.ndarray  # (n_h, B) previous cell state
    i: np.ndarray  # input gate
    f: np.ndarray  # forget gate
    g: np.ndarray  # candidate values (the notes' input activation a)
    o_gate: np.ndarray  # output gate
    c_t: np.ndarray  # new cell state


class GatedCell(Cell):
    """What the LSTM and the GRU share: ``n_gates`` blocks of n_h rows stacked in U, W and each
    bias named in ``bias_names``, in PyTorch's gate order."""

    n_gates: int
    bias_names: tuple[str, ...]

    def _shapes(self):
        k, n_x, n_h = self.n_gates, self.n_x, self.n_h
        rows = f"{k}n_h"
        shapes = {"U": ((k * n_h, n_x), (rows, "n_x")), "W": ((k * n_h, n_h), (rows, "n_h"))}
        for name in self.bias_names:
            shapes[name] = ((k * n_h, 1), (rows, "1"))
        return shapes


class LSTMCell(GatedCell):
    """Long short-term memory cell, PyTorch's equations and gate order i, f, g, o:

        i = σ(U_i x^(t) + W_i h^(t−1) + b_i)        input gate: how much to write
        f = σ(U_f x^(t) + W_f h^(t−1) + b_f)        forget gate: how much to keep
        g = tanh(U_g x^(t) + W_g h^(t−1) + b_g)     candidate values
        o_gate = σ(U_o x^(t) + W_o h^(t−1) + b_o)   output gate: how much to show
        c^(t) = f ⊙ c^(t−1) + i ⊙ g
        h^(t) = o_gate ⊙ tanh(c^(t))

    Parameters: U (4n_h, n_x) = [U_i; U_f; U_g; U_o], W (4n_h, n_h), b (4n_h, 1)
    (b = PyTorch's bias_ih + bias_hh).  State: ``LSTMState(h, c)``.
    """

    state_type = LSTMState
    cache_type = LSTMCache
    n_gates = 4
    bias_names = ("b",)

    def forward(self, params, state_prev, x_t, *, check: bool = True):
        """One step, the six equations of the class docstring: ``-> (LSTMState(h, c), cache)``."""
        if check:
            self.check_step(params, state_prev, x_t)
        U, W, b = params["U"], params["W"], params["b"]
        h_prev, c_prev = state_prev
        a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)  # the four pre-activations
        i = sigmoid(a_i)
        f = sigmoid(a_f)
        g = np.tanh(a_g)
        o_gate = sigmoid(a_o)
        c_t = f * c_prev + i * g
        h_t = o_gate * np.tanh(c_t)
        return LSTMState(h_t, c_t), LSTMCache(x_t, h_prev, c_prev, i, f, g, o_gate, c_t)

    def backward(self, params, dstate, cache, *, check: bool = True):
        """One step back: ∇c^(t) sums the paths from c^(t+1) and from h^(t), then the four gates."""
        if check:
            self.check_step_backward(params, dstate, cache)
        U, W = params["U"], params["W"]
        x_t, h_prev, c_prev, i, f, g, o_gate, c_t = cache
        dh_t, dc_t = dstate  # dc_t arrives from c^(t+1)
        tanh_c = np.tanh(c_t)
        do_gate = dh_t * tanh_c  # h = o_gate ⊙ tanh(c)
        dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)  # ∇c^(t): from c^(t+1) plus from h^(t)
        df = dc * c_prev  # c = f ⊙ c_prev + i ⊙ g
        di = dc * g
        dg = dc * i
        dc_prev = dc * f  # the cell-state highway: only a product with f
        da = np.concatenate(
            [
                di * i * (1.0 - i),  # backprop through σ
                df * f * (1.0 - f),  # backprop through σ
                dg * (1.0 - g**2),  # backprop through tanh
                do_gate * o_gate * (1.0 - o_gate),  # backprop through σ
            ]
        )
        grads = {"U": da @ x_t.T, "W": da @ h_prev.T, "b": da.sum(axis=1, keepdims=True)}
        dh_prev = W.T @ da
        dx_t = U.T @ da
        return LSTMState(dh_prev, dc_prev), dx_t, grads


# --------------------------------------------------------------------------------------------
# GRU cell
# --------------------------------------------------------------------------------------------


class GRUCache(NamedTuple):
    x_t: np.ndarray  # (n_x, B)
    h_prev: np.ndarray  # (n_h, B)
    r: np.ndarray  # reset gate
    z: np.ndarray  # update gate
    n: np.ndarray  # candidate state
    a_hn: np.ndarray  # W_n h^(t−1) + b_hn, the part the reset gate scales


class GRUCell(GatedCell):
    """Gated recurrent unit, PyTorch's equations and gate order r, z, n:

        r = σ(U_r x^(t) + b_xr + W_r h^(t−1) + b_hr)           reset gate
        z = σ(U_z x^(t) + b_xz + W_z h^(t−1) + b_hz)           update gate
        n = tanh(U_n x^(t) + b_xn + r ⊙ (W_n h^(t−1) + b_hn))  candidate state
        h^(t) = (1 − z) ⊙ n + z ⊙ h^(t−1)

    Parameters: U (3n_h, n_x) = [U_r; U_z; U_n], W (3n_h, n_h), b_x (3n_h, 1) = PyTorch's
    bias_ih, b_h (3n_h, 1) = bias_hh; both biases are kept because b_hn is scaled by r.
    State: ``GRUState(h)``.
    """

    state_type = GRUState
    cache_type = GRUCache
    n_gates = 3
    bias_names = ("b_x", "b_h")

    def forward(self, params, state_prev, x_t, *, check: bool = True):
        """One step, the four equations of the class docstring: ``-> (GRUState(h), cache)``."""
        if check:
            self.check_step(params, state_prev, x_t)
        U, W, b_x, b_h = params["U"], params["W"], params["b_x"], params["b_h"]
        h_prev = state_prev.h
        a_xr, a_xz, a_xn = np.split(U @ x_t + b_x, 3)  # input side of each gate
        a_hr, a_hz, a_hn = np.split(W @ h_prev + b_h, 3)  # recurrent side of each gate
        r = sigmoid(a_xr + a_hr)
        z = sigmoid(a_xz + a_hz)
        n = np.tanh(a_xn + r * a_hn)
        h_t = (1.0 - z) * n + z * h_prev
        return GRUState(h_t), GRUCache(x_t, h_prev, r, z, n, a_hn)

    def backward(self, params, dstate, cache, *, check: bool = True):
        """One step back through h^(t) = (1 − z) ⊙ n + z ⊙ h^(t−1) and the three gates."""
        if check:
            self.check_step_backward(params, dstate, cache)
        U, W = params["U"], params["W"]
        x_t, h_prev, r, z, n, a_hn = cache
        dh_t = dstate.h
        dn = dh_t * (1.0 - z)  # h = (1 − z) ⊙ n + z ⊙ h_prev
        dz = dh_t * (h_prev - n)
        dh_prev = dh_t * z  # the direct path, kept open when z ≈ 1
        da_n = dn * (1.0 - n**2)  # backprop through tanh
        dr = da_n * a_hn  # n's argument holds r ⊙ a_hn
        da_hn = da_n * r
        da_r = dr * r * (1.0 - r)  # backprop through σ
        da_z = dz * z * (1.0 - z)  # backprop through σ
        da_x = np.concatenate([da_r, da_z, da_n])  # gradients of U x + b_x, gate by gate
        da_h = np.concatenate([da_r, da_z, da_hn])  # gradients of W h_prev + b_h
        grads = {
            "U": da_x @ x_t.T,
            "W": da_h @ h_prev.T,
            "b_x": da_x.sum(axis=1, keepdims=True),
            "b_h": da_h.sum(axis=1, keepdims=True),
        }
        dh_prev = dh_prev + W.T @ da_h
        dx_t = U.T @ da_x
        return GRUState(dh_prev), dx_t, grads


# --------------------------------------------------------------------------------------------
# Unrolling any cell over a sequence
# --------------------------------------------------------------------------------------------


def check_sequence(cell: Cell, params, xs, state0, name: str = "xs") -> np.ndarray:
    """Check a cell's params, a sequence ``xs (T, n_x, B)`` and its initial state; return xs."""
    if not isinstance(cell, Cell):
        raise TypeError(
            f"cell: expected an ElmanCell, JordanCell, LSTMCell or GRUCell, "
            f"got {type(cell).__name__}"
        )
    cell.check_params(params)
    xs = check_array(name, xs, (None, cell.n_x, None), ("T", "n_x", "B"))
    cell.check_state(state0, xs.shape[2], "state0")
    return xs


def unroll(
    cell: Cell, params: dict, xs: np.ndarray, state0, *, check: bool = True
) -> tuple[list, list]:
    """Run ``cell`` over ``xs (T, n_x, B)`` from ``state0``.

    Returns ``(states, caches)``, two lists of length T: ``states[t]`` is the state after
    reading ``xs[t]`` (h^(t+1) in the notes' 1-based time), ``caches[t]`` what its backward
    needs.  The inputs are checked once, here, unless ``check=False``.
    """
    if check:
        xs = check_sequence(cell, params, xs, state0)
    states, caches = [], []
    state = state0
    for x_t in xs:
        state, cache = cell.forward(params, state, x_t, check=False)
        states.append(state)
        caches.append(cache)
    return states, caches
