"""A recurrent language model in PyTorch, and how to measure it (loss, perplexity, bits).

Shapes (``batch_first=True`` throughout): token indices ``x (B, T)`` int64, logits
``(B, T, V)`` with ``V = vocab_size``; the hidden state has PyTorch's layout
``(num_layers, B, n_h)``, a pair ``(h, c)`` of such tensors for the LSTM (``c`` is the LSTM cell
state c^(t), not the output bias).

The model, in the lecture notes' notation, for each time step t:

    e^(t) = W_emb x^(t)                          (one-hot x^(t), or an embedding lookup)
    h^(t) = cell(e^(t), h^(t-1))             (nn.RNN: tanh(U e + W h + b); nn.LSTM; nn.GRU)
    o^(t) = V h^(t) + c                      (``self.output``: weight V, bias c)
    y_hat^(t) = softmax(o^(t))

PyTorch names U ``weight_ih_l0``, W ``weight_hh_l0`` and splits b into ``bias_ih_l0 +
bias_hh_l0``.

Perplexity.  With L the mean negative log-likelihood per token in nats, the perplexity is
exp(L); with L_2 = L / ln 2 the same loss in bits, it is 2^(L_2) (the form in the lecture notes);
the two are the same number.  A model that spreads its probability evenly over V tokens has
L = ln V, hence perplexity V.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnbook._validate import check_choice, check_positive
from rnnbook.devices import pick_device
from rnnbook.history import perplexity

__all__ = [
    "IGNORE_INDEX",
    "RNNLM",
    "as_index_tensor",
    "count_targets",
    "detach_state",
    "evaluate",
    "lm_loss",
    "perplexity",
    "state_fits",
]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

IGNORE_INDEX = -100
"""A target equal to this index is ignored: no loss, not counted in the mean (padding)."""

MAX_PARAM_BYTES = 8 * 2**30  # RNNLM refuses a model whose float32 weights would exceed this
MAX_ONE_HOT_BYTES = 2**30  # forward refuses a one-hot input batch larger than this


def as_index_tensor(x, device=None) -> torch.Tensor:
    """A batch of token indices (numpy array, list or tensor) as an int64 tensor on ``device``.

    ``device`` goes through :func:`rnnbook.devices.pick_device`; None keeps the tensor where it
    is (the CPU for numpy input).
    """
    if isinstance(x, torch.Tensor):
        t = x
    else:
        a = np.asarray(x)
        if a.dtype.kind not in "iubf":
            raise TypeError(
                f"x: expected integer token indices, got {a.dtype} values (encode text with "
                f"Vocab.encode first)"
            )
        t = torch.as_tensor(a)
    if t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
        raise TypeError(f"x: expected integer token indices, got dtype {t.dtype}")
    return t.to(
        device=None if device is None else pick_device(device, name="device"), dtype=torch.long
    )


def detach_state(state):
    """Cut the graph behind a hidden state (a tensor, a tuple of tensors, or None).

    Truncated BPTT: the values are carried into the next batch, the gradient path is not.
    """
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


class RNNLM(nn.Module):
    """Character- or word-level language model: input layer, recurrent layers, output layer.

    Parameters
    ----------
    vocab_size : int
        V, the number of tokens.
    n_h : int
        Hidden units per layer.
    cell : ``"rnn"`` (tanh), ``"lstm"`` or ``"gru"``
        The recurrent layer: ``nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` with ``batch_first=True``.
    num_layers : int
        Stacked recurrent layers.
    dropout : float
        Dropout on the outputs of every recurrent layer (between layers, and before the output
        layer).  Active in ``model.train()`` only.
    embed_dim : int or None
        ``None``: the input is the one-hot vector x^(t) (size V).  An int: a learned embedding
        ``nn.Embedding(V, embed_dim)``.
    tie_weights : bool
        Share the embedding matrix with the output weight V (needs ``embed_dim == n_h``).

    ``forward(x, state=None) -> (logits, state)`` with ``x (B, T)`` indices and logits
    ``(B, T, V)``; ``state=None`` starts from zeros.  Submodules: ``embedding`` (or None),
    ``embed_drop`` (an identity on the recurrent layer's input, which a wrapper may replace
    with a dropout), ``rnn``, ``drop`` and ``output``.  A model whose weights would take more
    than 8 GiB is refused with its size.
    """

    def __init__(
        self,
        vocab_size: int,
        n_h: int,
        cell: str = "rnn",
        num_layers: int = 1,
        dropout: float = 0.0,
        embed_dim: int | None = None,
        tie_weights: bool = False,
    ):
        super().__init__()
        check_positive("vocab_size", vocab_size, integer=True)
        check_positive("n_h", n_h, integer=True)
        check_choice("cell", cell, tuple(_CELLS))
        check_positive("num_layers", num_layers, integer=True)
        check_positive("dropout", dropout, allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout!r}")
        if embed_dim is not None:
            check_positive("embed_dim", embed_dim, integer=True)
        if not isinstance(tie_weights, bool):
            raise TypeError(f"tie_weights: expected True or False, got {tie_weights!r}")
        if tie_weights and embed_dim != n_h:
            raise ValueError(
                f"tie_weights: expected embed_dim == n_h = {n_h} to share the embedding with "
                f"the output layer, got embed_dim={embed_dim!r}"
            )
        n_in = embed_dim if embed_dim is not None else vocab_size
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
        n_params = (
            (vocab_size * embed_dim if embed_dim is not None else 0)
            + gates * n_h * (n_in + n_h + 2)
            + (num_layers - 1) * gates * n_h * (2 * n_h + 2)
            + (n_h + 1) * vocab_size
        )
        if 4 * n_params > MAX_PARAM_BYTES:
            raise ValueError(
                f"RNNLM: {n_params:,} parameters would take {4 * n_params / 2**30:.1f} GiB in "
                f"float32, over the {MAX_PARAM_BYTES / 2**30:.0f} GiB this refuses to allocate "
                f"(vocab_size={vocab_size}, n_h={n_h}, num_layers={num_layers}, "
                f"embed_dim={embed_dim}); a large vocabulary wants embed_dim= set"
            )
        self.vocab_size, self.n_h, self.cell = vocab_size, n_h, cell
        self.num_layers, self.embed_dim = num_layers, embed_dim
        self.embedding = nn.Embedding(vocab_size, embed_dim) if embed_dim is not None else None
        self.rnn = _CELLS[cell](
            n_in,
            n_h,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,  # torch drops between layers only
        )
        self.drop = nn.Dropout(dropout)
        self.embed_drop = nn.Identity()  # the input as is (a wrapper may put a dropout here)
        self.output = nn.Linear(n_h, vocab_size)  # o = V h + c
        if tie_weights:
            self.output.weight = self.embedding.weight

    def init_state(self, batch: int, device=None):
        """The zero state for a batch of ``batch`` sequences: ``(num_layers, batch, n_h)``."""
        check_positive("batch", batch, integer=True)
        device = self.output.weight.device if device is None else pick_device(device, name="device")
        zeros = lambda: torch.zeros(self.num_layers, batch, self.n_h, device=device)
        return (zeros(), zeros()) if self.cell == "lstm" else zeros()

    detach_state = staticmethod(detach_state)

    def forward(self, x: torch.Tensor, state=None):
        """``x (B, T)`` int64 indices in ``0 .. V - 1`` -> ``(logits (B, T, V), state)``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(
                f"x: expected a torch.Tensor of token indices (B, T), got {type(x).__name__} "
                f"(convert with rnnbook.lm.as_index_tensor)"
            )
        if x.dim() != 2:
            raise ValueError(f"x: expected token indices of shape (B, T), got {tuple(x.shape)}")
        if x.dtype.is_floating_point or x.dtype == torch.bool:
            raise TypeError(f"x: expected integer token indices, got dtype {x.dtype}")
        if _has_values(x) and (int(x.min()) < 0 or int(x.max()) >= self.vocab_size):
            raise ValueError(
                f"x: expected token indices in [0, {self.vocab_size - 1}] (vocab_size "
                f"{self.vocab_size}), got values from {int(x.min())} to {int(x.max())}"
            )
        if self.embedding is not None:
            e = self.embedding(x)
        else:
            n_bytes = x.numel() * self.vocab_size * self.output.weight.element_size()
            if n_bytes > MAX_ONE_HOT_BYTES:
                raise ValueError(
                    f"x: the one-hot input of a {tuple(x.shape)} batch over {self.vocab_size} "
                    f"tokens would take {n_bytes / 2**30:.1f} GiB; use embed_dim= or smaller "
                    f"batches"
                )
            e = F.one_hot(x, self.vocab_size).to(self.output.weight.dtype)
        h, state = self.rnn(self.embed_drop(e), state)  # h: (B, T, n_h), top layer's h^(t)
        return self.output(self.drop(h)), state


def _has_values(t: torch.Tensor) -> bool:
    """Whether ``t`` holds values to check (a tensor on the "meta" device has shapes only)."""
    return t.numel() > 0 and t.device.type != "meta"


def _check_targets(logits, y) -> None:
    """The checks lm_loss and evaluate share: shapes, dtypes and the range of the targets."""
    for name, value in (("logits", logits), ("y", y)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if logits.dim() != 3 or not logits.dtype.is_floating_point:
        raise ValueError(
            f"logits: expected a float tensor of shape (B, T, V), got {logits.dtype} of shape "
            f"{tuple(logits.shape)}"
        )
    if y.dtype.is_floating_point or y.dtype == torch.bool:
        raise TypeError(
            f"y: expected integer target indices, got dtype {y.dtype} (probabilities as "
            f"targets are not a language model's loss)"
        )
    B, T, V = logits.shape
    if tuple(y.shape) != (B, T):
        hint = " (transposed? targets are (B, T), batch first)" if tuple(y.shape) == (T, B) else ""
        raise ValueError(
            f"y: expected targets of shape (B, T) = ({B}, {T}) to match the logits, got "
            f"{tuple(y.shape)}{hint}"
        )
    kept = y[y != IGNORE_INDEX] if _has_values(y) else y[:0]
    if kept.numel() and (int(kept.min()) < 0 or int(kept.max()) >= V):
        raise ValueError(
            f"y: expected targets in [0, {V - 1}] or {IGNORE_INDEX} (ignored), got values from "
            f"{int(kept.min())} to {int(kept.max())}"
        )


def count_targets(y: torch.Tensor) -> int:
    """The number of targets that count: those not equal to :data:`IGNORE_INDEX` (-100)."""
    return int((torch.as_tensor(y) != IGNORE_INDEX).sum())


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per token, in nats: logits ``(B, T, V)``, targets ``y (B, T)``.

    Targets equal to ``IGNORE_INDEX`` (-100, e.g. padding) add no loss and are left out of the
    mean: it divides by the number of the other targets (:func:`count_targets`).  A batch whose
    targets are all ignored has no mean and is an error.  Any other target outside
    ``0 .. V - 1`` (such as -1) is an error, and so are targets shaped (T, B).
    """
    _check_targets(logits, y)
    if _has_values(y) and count_targets(y) == 0:
        raise ValueError(f"y: every target is {IGNORE_INDEX} (ignored): there is no mean to take")
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable, *, device=None, stateful: bool | None = None):
    """Mean loss over all target tokens of ``batches``, with perplexity in nats and in bits.

    ``batches`` yields ``(x, y)`` pairs of shape ``(B, T)``.  The hidden state is carried from
    batch to batch when ``stateful`` is True (default: ``batches.sequential`` if it has that
    attribute, else False).  Returns ``dict(nll, ppl, bits, ppl_bits, tokens)`` where
    ``ppl = exp(nll)``, ``bits = nll / ln 2`` and ``ppl_bits = 2 ** bits`` (equal to ``ppl``).
    Targets equal to ``IGNORE_INDEX`` (-100) are left out of the mean and of ``tokens``, as in
    :func:`lm_loss`.  ``device`` goes through :func:`rnnbook.devices.pick_device` (default: the
    model's).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if isinstance(batches, (str, bytes, torch.Tensor)) or not hasattr(batches, "__iter__"):
        raise TypeError(
            f"batches: expected an iterable of (x, y) pairs, got {type(batches).__name__}"
        )
    if stateful not in (None, True, False):
        raise TypeError(f"stateful: expected None, True or False, got {stateful!r}")
    if stateful is None:
        stateful = bool(getattr(batches, "sequential", False))
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    device = pick_device(device, name="device")
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for i, pair in enumerate(batches):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"batches: expected every item to be an (x, y) pair, got "
                    f"{type(pair).__name__} at item {i}"
                )
            x, y = as_index_tensor(pair[0], device), as_index_tensor(pair[1], device)
            if not stateful or not state_fits(state, x.shape[0]):
                state = None
            logits, state = model(x, state)
            _check_targets(logits, y)
            total += F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1), reduction="sum"
            ).item()
            count += count_targets(y)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("batches: expected at least one batch with a target, got none")
    nll = total / count
    bits = nll / math.log(2)
    ppl = perplexity(nll) if not math.isnan(nll) else math.nan
    return {"nll": nll, "ppl": ppl, "bits": bits, "ppl_bits": 2.0**bits, "tokens": count}


def state_fits(state, batch: int) -> bool:
    """Whether a carried hidden state has ``batch`` rows (the last batch of an epoch may be
    smaller, and then the state is dropped: the loop starts that batch from zeros)."""
    if state is None:
        return True
    first = state[0] if isinstance(state, tuple) else state
    return first.shape[1] == batch
