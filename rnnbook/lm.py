"""A recurrent language model in PyTorch, and how to measure it (loss, perplexity, bits).

Shapes (``batch_first=True`` throughout): token indices ``x (B, T)`` int64, logits
``(B, T, V)`` with ``V = vocab_size``; the hidden state has PyTorch's layout
``(num_layers, B, n_h)``, a pair ``(h, c)`` of such tensors for the LSTM (``c`` is the LSTM cell
state c^(t), not the output bias).

The model, in the lecture notes' notation, for each time step t:

    e^(t) = E x^(t)                          (one-hot x^(t), or an embedding lookup)
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
from rnnbook.history import perplexity

__all__ = ["RNNLM", "as_index_tensor", "detach_state", "evaluate", "lm_loss", "perplexity"]

_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def as_index_tensor(x, device=None) -> torch.Tensor:
    """A batch of token indices (numpy array, list or tensor) as an int64 tensor on ``device``."""
    t = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    if t.dtype.is_floating_point or t.dtype == torch.bool:
        raise TypeError(f"x: expected integer token indices, got dtype {t.dtype}")
    return t.to(device=device, dtype=torch.long)


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
    embed_dropout : float
        Dropout on the input of the first recurrent layer: the embedding output e^(t), or the
        one-hot x^(t) when ``embed_dim`` is None.  Active in ``model.train()`` only.  On a small
        corpus this regulariser matters most (see ``benchmarks/RESULTS.md``).

    ``forward(x, state=None) -> (logits, state)`` with ``x (B, T)`` indices and logits
    ``(B, T, V)``; ``state=None`` starts from zeros.
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
        embed_dropout: float = 0.0,
    ):
        super().__init__()
        check_positive("vocab_size", vocab_size, integer=True)
        check_positive("n_h", n_h, integer=True)
        check_choice("cell", cell, tuple(_CELLS))
        check_positive("num_layers", num_layers, integer=True)
        check_positive("dropout", dropout, allow_zero=True)
        if dropout >= 1:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {dropout!r}")
        check_positive("embed_dropout", embed_dropout, allow_zero=True)
        if embed_dropout >= 1:
            raise ValueError(
                f"embed_dropout: expected a probability in [0, 1), got {embed_dropout!r}"
            )
        if embed_dim is not None:
            check_positive("embed_dim", embed_dim, integer=True)
        if tie_weights and embed_dim != n_h:
            raise ValueError(
                f"tie_weights: expected embed_dim == n_h = {n_h} to share the embedding with "
                f"the output layer, got embed_dim={embed_dim!r}"
            )
        self.vocab_size, self.n_h, self.cell = vocab_size, n_h, cell
        self.num_layers, self.embed_dim = num_layers, embed_dim
        self.embedding = nn.Embedding(vocab_size, embed_dim) if embed_dim is not None else None
        n_in = embed_dim if embed_dim is not None else vocab_size
        self.rnn = _CELLS[cell](
            n_in,
            n_h,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,  # torch drops between layers only
        )
        self.drop = nn.Dropout(dropout)
        self.embed_drop = nn.Dropout(embed_dropout)
        self.output = nn.Linear(n_h, vocab_size)  # o = V h + c
        if tie_weights:
            self.output.weight = self.embedding.weight

    def init_state(self, batch: int, device=None):
        """The zero state for a batch of ``batch`` sequences: ``(num_layers, batch, n_h)``."""
        check_positive("batch", batch, integer=True)
        if device is None:
            device = self.output.weight.device
        zeros = lambda: torch.zeros(self.num_layers, batch, self.n_h, device=device)
        return (zeros(), zeros()) if self.cell == "lstm" else zeros()

    detach_state = staticmethod(detach_state)

    def forward(self, x: torch.Tensor, state=None):
        """``x (B, T)`` int64 -> ``(logits (B, T, V), state)``."""
        if x.dim() != 2:
            raise ValueError(f"x: expected token indices of shape (B, T), got {tuple(x.shape)}")
        if self.embedding is not None:
            e = self.embedding(x)
        else:
            e = F.one_hot(x, self.vocab_size).to(self.output.weight.dtype)
        h, state = self.rnn(
            self.embed_drop(e), state
        )  # h: (B, T, n_h), the top layer's h^(t) for every t
        return self.output(self.drop(h)), state


def lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per token, in nats: logits ``(B, T, V)``, targets ``y (B, T)``."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1))


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterable, *, device=None, stateful: bool | None = None):
    """Mean loss over all target tokens of ``batches``, with perplexity in nats and in bits.

    ``batches`` yields ``(x, y)`` pairs of shape ``(B, T)``.  The hidden state is carried from
    batch to batch when ``stateful`` is True (default: ``batches.sequential`` if it has that
    attribute, else False).  Returns ``dict(nll, ppl, bits, ppl_bits, tokens)`` where
    ``ppl = exp(nll)``, ``bits = nll / ln 2`` and ``ppl_bits = 2 ** bits`` (equal to ``ppl``).
    """
    if stateful is None:
        stateful = bool(getattr(batches, "sequential", False))
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        for x, y in batches:
            x, y = as_index_tensor(x, device), as_index_tensor(y, device)
            if not stateful or not _fits(state, x.shape[0]):
                state = None
            logits, state = model(x, state)
            total += F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]).float(), y.reshape(-1), reduction="sum"
            ).item()
            count += y.numel()
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("batches: expected at least one batch, got none")
    nll = total / count
    bits = nll / math.log(2)
    return {"nll": nll, "ppl": math.exp(nll), "bits": bits, "ppl_bits": 2.0**bits, "tokens": count}


def _fits(state, batch: int) -> bool:
    """Whether a carried state has ``batch`` rows (the last batch of an epoch may be smaller)."""
    if state is None:
        return True
    first = state[0] if isinstance(state, tuple) else state
    return first.shape[1] == batch
