"""A character-level RNN language model in numpy, trained with hand-written BPTT.

The model is the lecture notes' language model with one-hot inputs (E = I):

    h^(t) = tanh(b + W h^(t−1) + U x^(t))      o^(t) = c + V h^(t)      ŷ^(t) = softmax(o^(t))

built from :class:`rnnbook.cells.ElmanCell` and trained with
:func:`rnnbook.bptt.sequence_loss_and_grads` (``reduction="mean"``: the loss is the mean
negative log-likelihood per token, in nats).  Nothing here imports torch.

Shapes.  Batches come from :mod:`rnnbook.text` as index arrays ``X, Y (B, T)`` (row = one
subsequence).  Inside, the numpy half's convention holds: columns are examples, so a batch is
turned into one-hot inputs ``xs (T, V, B)`` and targets ``ys (T, B)``; the hidden state is
``h (n_h, B)``.

Training is the same explicit loop as :func:`rnnbook.training.train`: forward, loss, BPTT,
clip the gradient norm, optimiser step; with sequential batches the final state of a batch is
the initial state of the next (truncated BPTT: the values are carried, the gradient is not,
because each call of BPTT stops at the batch's first step).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive
from rnnbook.bptt import clip_grad_norm, sequence_forward, sequence_loss_and_grads
from rnnbook.cells import ElmanCell, ElmanState, init_output_params, softmax

__all__ = [
    "NumpyRNNLM",
    "SGD",
    "Adagrad",
    "Adam",
    "make_optimizer",
    "NumpyHistory",
    "evaluate",
    "train",
    "sample",
]


def _batch_to_columns(X, Y, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``X, Y (B, T)`` indices -> one-hot ``xs (T, V, B)`` and targets ``ys (T, B)``."""
    X = check_array("X", np.asarray(X), (None, None), ("B", "T"), dtype_kind="iu")
    Y = check_array("Y", np.asarray(Y), X.shape, ("B", "T"), dtype_kind="iu")
    if X.min() < 0 or X.max() >= vocab_size:
        raise ValueError(f"X: expected indices in [0, {vocab_size - 1}], got {X.min()}..{X.max()}")
    B, T = X.shape
    xs = np.zeros((T, vocab_size, B))
    xs[np.arange(T)[:, None], X.T, np.arange(B)[None, :]] = 1.0  # x^(t) = e_{X[b, t]}
    return xs, np.ascontiguousarray(Y.T)


class NumpyRNNLM:
    """Elman RNN language model with one-hot inputs: parameters U, W, b (cell) and V, c (output).

    ``params`` is one dict with all five arrays: ``U (n_h, V)``, ``W (n_h, n_h)``,
    ``b (n_h, 1)``, ``V (V, n_h)``, ``c (V, 1)``, initialised uniformly in ±1/√n_h.
    """

    def __init__(self, vocab_size: int, n_h: int, rng: np.random.Generator):
        self.vocab_size = check_positive("vocab_size", vocab_size, integer=True)
        self.n_h = check_positive("n_h", n_h, integer=True)
        self.cell = ElmanCell(vocab_size, n_h, "tanh")
        self.params = {**self.cell.init_params(rng), **init_output_params(n_h, vocab_size, rng)}

    def _split(self, params=None) -> tuple[dict, dict]:
        p = self.params if params is None else params
        return {k: p[k] for k in ("U", "W", "b")}, {k: p[k] for k in ("V", "c")}

    def init_state(self, batch: int) -> ElmanState:
        """The zero state ``h (n_h, batch)``."""
        return self.cell.init_state(batch)

    def loss_and_grads(self, X, Y, state=None):
        """Mean NLL per token (nats) of batch ``X, Y (B, T)``, its gradients and the final state.

        Returns ``(loss, grads, final_state)``; ``grads`` has the keys of ``params``.
        """
        xs, ys = _batch_to_columns(X, Y, self.vocab_size)
        state = self.init_state(xs.shape[2]) if state is None else state
        cell_params, out_params = self._split()
        res = sequence_loss_and_grads(
            self.cell, cell_params, out_params, xs, ys, state, reduction="mean"
        )
        return res.loss, res.grads, res.final_state

    def logits(self, X, state=None) -> tuple[np.ndarray, ElmanState]:
        """Logits ``o (T, V, B)`` for inputs ``X (B, T)`` and the final state."""
        X = check_array("X", np.asarray(X), (None, None), ("B", "T"), dtype_kind="iu")
        xs, _ = _batch_to_columns(X, X, self.vocab_size)
        state = self.init_state(xs.shape[2]) if state is None else state
        cell_params, out_params = self._split()
        return sequence_forward(self.cell, cell_params, out_params, xs, state)

    def num_params(self) -> int:
        """How many numbers the model learns."""
        return int(sum(p.size for p in self.params.values()))


# --------------------------------------------------------------------------------------------
# Optimisers: step(params, grads) -> new params (the arguments are not modified)
# --------------------------------------------------------------------------------------------


class SGD:
    """θ ← θ − η ∇θ."""

    def __init__(self, lr: float = 0.5):
        self.lr = check_positive("lr", lr)

    def step(self, params: dict, grads: dict) -> dict:
        return {k: params[k] - self.lr * grads[k] for k in params}


class Adagrad:
    """G ← G + (∇θ)²;  θ ← θ − η ∇θ / (√G + ε): each parameter gets its own, shrinking step."""

    def __init__(self, lr: float = 0.1, eps: float = 1e-8):
        self.lr, self.eps = check_positive("lr", lr), eps
        self.G: dict[str, np.ndarray] = {}

    def step(self, params: dict, grads: dict) -> dict:
        new = {}
        for k in params:
            self.G[k] = self.G.get(k, 0.0) + grads[k] ** 2
            new[k] = params[k] - self.lr * grads[k] / (np.sqrt(self.G[k]) + self.eps)
        return new


class Adam:
    """Adam (Kingma & Ba, 2015): bias-corrected running means of ∇θ (m) and of (∇θ)² (v).

    m ← β₁ m + (1 − β₁) ∇θ,  v ← β₂ v + (1 − β₂) (∇θ)²,
    θ ← θ − η m̂ / (√v̂ + ε)  with  m̂ = m / (1 − β₁^k),  v̂ = v / (1 − β₂^k)  at step k.
    """

    def __init__(self, lr: float = 1e-2, beta1: float = 0.9, beta2: float = 0.999, eps=1e-8):
        self.lr = check_positive("lr", lr)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self.k = 0

    def step(self, params: dict, grads: dict) -> dict:
        self.k += 1
        b1, b2, new = self.beta1, self.beta2, {}
        for key in params:
            g = grads[key]
            self.m[key] = b1 * self.m.get(key, 0.0) + (1 - b1) * g
            self.v[key] = b2 * self.v.get(key, 0.0) + (1 - b2) * g**2
            m_hat = self.m[key] / (1 - b1**self.k)
            v_hat = self.v[key] / (1 - b2**self.k)
            new[key] = params[key] - self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
        return new


_OPTIMIZERS = {"sgd": SGD, "adagrad": Adagrad, "adam": Adam}


def make_optimizer(name: str, lr: float):
    """``"sgd"``, ``"adagrad"`` or ``"adam"`` with learning rate ``lr``."""
    check_choice("optimizer", name, tuple(_OPTIMIZERS))
    return _OPTIMIZERS[name](lr=lr)


# --------------------------------------------------------------------------------------------
# Evaluation and training
# --------------------------------------------------------------------------------------------


@dataclass
class NumpyHistory:
    """Per step: ``step``, ``train_loss`` (nats/token), ``grad_norm``; per evaluation:
    ``val_step``, ``val_loss``, ``val_ppl``; ``wall_time`` seconds at the end."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_ppl: list[float] = field(default_factory=list)
    wall_time: float = 0.0

    @property
    def train_ppl(self) -> list[float]:
        """exp of each step's training loss."""
        return [float(np.exp(v)) for v in self.train_loss]

    def smoothed_train_ppl(self, window: int = 20) -> np.ndarray:
        """exp of the running mean of the training loss over ``window`` steps."""
        loss = np.asarray(self.train_loss)
        kernel = np.ones(min(window, len(loss))) / min(window, len(loss))
        return np.exp(np.convolve(loss, kernel, mode="valid"))


def evaluate(model: NumpyRNNLM, batches: Iterable) -> dict:
    """Mean NLL per target token over ``batches`` and its perplexity: ``dict(nll, ppl, tokens)``.

    The hidden state is carried between batches when ``batches.sequential`` is True.
    """
    stateful = getattr(batches, "sequential", False)
    total, tokens, state = 0.0, 0, None
    for X, Y in batches:
        o, final = model.logits(X, state if stateful else None)
        Y = np.asarray(Y)
        y_hat = softmax(o.transpose(1, 0, 2).reshape(model.vocab_size, -1))  # (V, T·B)
        y_cols = Y.T.reshape(-1)
        total -= float(np.sum(np.log(y_hat[y_cols, np.arange(y_cols.size)] + 1e-300)))
        tokens += y_cols.size
        state = final
    if tokens == 0:
        raise ValueError("batches: expected at least one batch, got none")
    nll = total / tokens
    return {"nll": nll, "ppl": float(np.exp(nll)), "tokens": tokens}


def train(
    model: NumpyRNNLM,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    time_limit_s: float | None = None,
    optimizer: str = "adam",
    lr: float = 1e-2,
    clip_norm: float | None = 1.0,
    val_batches: Iterable | None = None,
    eval_every: int | None = None,
) -> NumpyHistory:
    """Train ``model`` in place with BPTT; return a :class:`NumpyHistory`.

    Each step: forward and BPTT over one batch ``(B, T)``, clip the global gradient norm to
    ``clip_norm``, optimiser step (``"sgd"``, ``"adagrad"`` or ``"adam"``).  With sequential
    batches the final hidden state is carried into the next batch (reset every epoch).  Stops
    after ``epochs``, ``steps`` or ``time_limit_s``, whichever comes first (give at least one).
    ``val_batches`` are evaluated every ``eval_every`` steps (default: every epoch) and at the end.
    """
    if epochs is None and steps is None and time_limit_s is None:
        raise ValueError("train: expected at least one of epochs=, steps= or time_limit_s=")
    for name, value in (("epochs", epochs), ("steps", steps), ("eval_every", eval_every)):
        if value is not None:
            check_positive(name, value, integer=True)
    if time_limit_s is not None:
        check_positive("time_limit_s", time_limit_s)
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    opt = make_optimizer(optimizer, lr)
    stateful = getattr(train_batches, "sequential", False)
    history, step, start = NumpyHistory(), 0, time.perf_counter()

    def validate():
        if val_batches is not None and (not history.val_step or history.val_step[-1] != step):
            result = evaluate(model, val_batches)
            history.val_step.append(step)
            history.val_loss.append(result["nll"])
            history.val_ppl.append(result["ppl"])

    epoch, done = 0, False
    while not done:
        state = None
        for X, Y in train_batches:
            loss, grads, final = model.loss_and_grads(X, Y, state if stateful else None)
            norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
            if clip_norm is not None:
                grads, norm = clip_grad_norm(grads, clip_norm)
            model.params = opt.step(model.params, grads)
            state = final
            step += 1
            history.step.append(step)
            history.train_loss.append(loss)
            history.grad_norm.append(norm)
            if eval_every is not None and step % eval_every == 0:
                validate()
            if (steps is not None and step >= steps) or (
                time_limit_s is not None and time.perf_counter() - start >= time_limit_s
            ):
                done = True
                break
        epoch += 1
        if eval_every is None and not done:
            validate()
        if epochs is not None and epoch >= epochs:
            done = True
    validate()
    history.wall_time = time.perf_counter() - start
    return history


def sample(
    model: NumpyRNNLM,
    prefix_ids,
    num_tokens: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
) -> list[int]:
    """Warm up on ``prefix_ids``, then draw ``num_tokens`` indices from softmax(o / temperature)."""
    check_positive("num_tokens", num_tokens, integer=True)
    check_positive("temperature", temperature)
    ids = [int(i) for i in prefix_ids]
    if not ids:
        raise ValueError("prefix_ids: expected at least one token index, got none")
    o, state = model.logits(np.array([ids]))
    last = o[-1, :, 0]
    for _ in range(num_tokens):
        p = softmax((last / temperature)[:, None])[:, 0]
        ids.append(int(rng.choice(model.vocab_size, p=p)))
        o, state = model.logits(np.array([[ids[-1]]]), state)
        last = o[-1, :, 0]
    return ids
