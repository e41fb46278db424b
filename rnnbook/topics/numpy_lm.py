"""A character-level RNN language model in numpy, trained with hand-written BPTT.

The model is the lecture notes' language model with one-hot inputs (W_emb = I):

    h^(t) = tanh(b + W h^(t−1) + U x^(t))      o^(t) = c + V h^(t)      ŷ^(t) = softmax(o^(t))

built from :class:`rnnbook.cells.ElmanCell` and trained with
:func:`rnnbook.bptt.sequence_loss_and_grads` (``reduction="mean"``: the loss is the mean
negative log-likelihood per token, in nats).  Nothing here imports torch.

Shapes.  Batches come from :mod:`rnnbook.text` as index arrays ``X, Y (B, T)`` (row = one
subsequence).  Inside, the numpy half's convention holds: columns are examples, so a batch is
turned into one-hot inputs ``xs (T, V, B)`` and targets ``ys (T, B)``; the hidden state is
``h (n_h, B)``.

Training is the same explicit loop as :func:`rnnbook.training.train`: forward, loss, BPTT,
clip the gradient norm, optimiser step (:mod:`rnnbook.optim`); with sequential batches the
final state of a batch is the initial state of the next (truncated BPTT: the values are
carried, the gradient is not, because each call of BPTT stops at the batch's first step).

One contract for both halves: :func:`train` returns the :class:`rnnbook.history.History` that
``rnnbook.training.train`` returns; :func:`evaluate` and :func:`sample` take the arguments of
``rnnbook.lm.evaluate`` and ``rnnbook.sampling.sample`` and return the same things (a numpy
``Generator`` in place of a ``torch.Generator``; ``device`` can only be the CPU).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import numpy as np

from rnnbook import optim
from rnnbook._validate import check_array, check_choice, check_positive
from rnnbook.bptt import clip_grad_norm, sequence_forward, sequence_loss_and_grads
from rnnbook.cells import ElmanCell, ElmanState, init_output_params
from rnnbook.history import History, perplexity
from rnnbook.text import Vocab, tokenize

__all__ = ["NumpyRNNLM", "evaluate", "train", "sample"]


def _batch_to_columns(X, Y, vocab_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``X, Y (B, T)`` indices -> one-hot ``xs (T, V, B)`` and targets ``ys (T, B)``."""
    X = check_array("X", np.asarray(X), (None, None), ("B", "T"), dtype_kind="iu")
    Y = check_array("Y", np.asarray(Y), X.shape, ("B", "T"), dtype_kind="iu")
    for name, a in (("X", X), ("Y", Y)):
        if a.min() < 0 or a.max() >= vocab_size:
            raise ValueError(
                f"{name}: expected indices in [0, {vocab_size - 1}] (vocab_size = {vocab_size}), "
                f"got {a.min()}..{a.max()}"
            )
    B, T = X.shape
    xs = np.zeros((T, vocab_size, B))
    xs[np.arange(T)[:, None], X.T, np.arange(B)[None, :]] = 1.0  # x^(t) = e_{X[b, t]}
    return xs, np.ascontiguousarray(Y.T)


class NumpyRNNLM:
    """Elman RNN language model with one-hot inputs: parameters U, W, b (cell) and V, c (output).

    ``params`` is one dict (θ) with all five arrays: ``U (n_h, V)``, ``W (n_h, n_h)``,
    ``b (n_h, 1)``, ``V (V, n_h)``, ``c (V, 1)``, initialised uniformly in ±1/√n_h.
    """

    def __init__(self, vocab_size: int, n_h: int, rng: np.random.Generator):
        self.vocab_size = check_positive("vocab_size", vocab_size, integer=True)
        self.n_h = check_positive("n_h", n_h, integer=True)
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
        self.cell = ElmanCell(vocab_size, n_h, "tanh")
        self.params = {**self.cell.init_params(rng), **init_output_params(n_h, vocab_size, rng)}

    def init_state(self, batch: int) -> ElmanState:
        """The zero state ``h (n_h, batch)``."""
        return self.cell.init_state(batch)

    def loss_and_grads(self, X, Y, state=None):
        """Mean NLL per token (nats) of batch ``X, Y (B, T)``, its gradients and the final state.

        Returns ``(loss, grads, final_state)``; ``grads`` has the keys of ``params``.
        """
        xs, ys = _batch_to_columns(X, Y, self.vocab_size)
        state = self.init_state(xs.shape[2]) if state is None else state
        res = sequence_loss_and_grads(self.cell, self.params, xs, ys, state, reduction="mean")
        return res.loss, res.grads, res.final_state

    def logits(self, X, state=None) -> tuple[np.ndarray, ElmanState]:
        """Logits ``o (T, V, B)`` for inputs ``X (B, T)`` and the final state."""
        X = check_array("X", np.asarray(X), (None, None), ("B", "T"), dtype_kind="iu")
        xs, _ = _batch_to_columns(X, X, self.vocab_size)
        state = self.init_state(xs.shape[2]) if state is None else state
        return sequence_forward(self.cell, self.params, xs, state)

    def num_params(self) -> int:
        """How many numbers the model learns."""
        return int(sum(p.size for p in self.params.values()))


def _check_model(model):
    if not isinstance(model, NumpyRNNLM):
        raise TypeError(f"model: expected a NumpyRNNLM, got {type(model).__name__}")


def _check_device(device):
    if device is not None and str(device) != "cpu":
        raise ValueError(f"device: expected None or 'cpu' (numpy runs on the CPU), got {device!r}")


def _log_softmax(o: np.ndarray) -> np.ndarray:
    """log softmax over axis 1 of ``o (T, V, B)``."""
    shifted = o - o.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# --------------------------------------------------------------------------------------------
# Evaluation and training
# --------------------------------------------------------------------------------------------


def evaluate(model: NumpyRNNLM, batches: Iterable, *, device=None, stateful: bool | None = None):
    """Mean NLL per target token over ``batches``, with perplexity in nats and in bits.

    The signature and result of ``rnnbook.lm.evaluate``: ``batches`` yields ``(X, Y)`` pairs of
    shape ``(B, T)``; the hidden state is carried from batch to batch when ``stateful`` is True
    (default: ``batches.sequential`` if it has that attribute, else False) and the batch size
    stays the same.  Returns ``dict(nll, ppl, bits, ppl_bits, tokens)`` with ``ppl = exp(nll)``,
    ``bits = nll / ln 2`` and ``ppl_bits = 2 ** bits``.  ``device`` must be None or ``"cpu"``.
    """
    _check_model(model)
    _check_device(device)
    if stateful is None:
        stateful = bool(getattr(batches, "sequential", False))
    elif not isinstance(stateful, bool):
        raise TypeError(f"stateful: expected True, False or None, got {stateful!r}")
    total, tokens, state = 0.0, 0, None
    for X, Y in batches:
        X = check_array("X", np.asarray(X), (None, None), ("B", "T"), dtype_kind="iu")
        _, Y = _batch_to_columns(X, Y, model.vocab_size)  # checks Y against X; Y is (T, B)
        if not stateful or (state is not None and state.h.shape[1] != X.shape[0]):
            state = None
        o, state = model.logits(X, state)
        log_p = _log_softmax(o)  # (T, V, B)
        T, _, B = o.shape
        total -= float(log_p[np.arange(T)[:, None], Y, np.arange(B)[None, :]].sum())
        tokens += Y.size
    if tokens == 0:
        raise ValueError("batches: expected at least one batch, got none")
    nll = total / tokens
    bits = nll / math.log(2)
    return {
        "nll": nll,
        "ppl": perplexity(nll),
        "bits": bits,
        "ppl_bits": perplexity(bits, "bits"),
        "tokens": tokens,
    }


_OPTIMIZERS = {"sgd": optim.SGD, "adagrad": optim.Adagrad, "adam": optim.Adam}


def train(
    model: NumpyRNNLM,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    time_limit_s: float | None = None,
    optimizer: str | optim.Optimizer = "adam",
    lr: float = 1e-2,
    clip_norm: float | None = 1.0,
    val_batches: Iterable | None = None,
    eval_every: int | None = None,
) -> History:
    """Train ``model`` in place with BPTT; return a :class:`rnnbook.history.History`.

    Each step: forward and BPTT over one batch ``(B, T)``, clip the global gradient norm to
    ``clip_norm``, optimiser step: ``"sgd"``, ``"adagrad"`` or ``"adam"`` (built on
    ``model.params`` with ``lr``) or a ready :class:`rnnbook.optim.Optimizer` on
    ``model.params``.  With sequential batches the final hidden state is carried into the next
    batch (reset every epoch).  Stops after ``epochs``, ``steps`` or ``time_limit_s``, whichever
    comes first (give at least one).  ``val_batches`` are evaluated every ``eval_every`` steps
    (default: every epoch) and at the end.
    """
    _check_model(model)
    if epochs is None and steps is None and time_limit_s is None:
        raise ValueError("train: expected at least one of epochs=, steps= or time_limit_s=")
    for name, value in (("epochs", epochs), ("steps", steps), ("eval_every", eval_every)):
        if value is not None:
            check_positive(name, value, integer=True)
    if time_limit_s is not None:
        check_positive("time_limit_s", time_limit_s)
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    if isinstance(optimizer, optim.Optimizer):
        if optimizer.params is not model.params:
            raise ValueError(
                "optimizer: expected an optimiser built on model.params, got one that holds "
                "other arrays (it would train something else)"
            )
        opt = optimizer
    elif isinstance(optimizer, str):
        check_choice("optimizer", optimizer, tuple(_OPTIMIZERS))
        opt = _OPTIMIZERS[optimizer](model.params, lr=lr)
    else:
        raise TypeError(
            f"optimizer: expected 'sgd', 'adagrad', 'adam' or an rnnbook.optim.Optimizer, "
            f"got {type(optimizer).__name__}"
        )
    stateful = bool(getattr(train_batches, "sequential", False))
    history, start = History(), time.perf_counter()

    def validate():
        step = history.step[-1] if history.step else 0
        if val_batches is not None and (not history.val_step or history.val_step[-1] != step):
            result = evaluate(model, val_batches)
            history.val_step.append(step)
            history.val_loss.append(result["nll"])
            history.val_ppl.append(result["ppl"])
            if result["nll"] < history.best_val_loss:
                history.best_val_loss, history.best_step = result["nll"], step

    epoch = 0
    try:
        while not history.stop_reason:
            state, seen = None, 0
            for X, Y in train_batches:
                seen += 1
                if state is not None and state.h.shape[1] != np.shape(X)[0]:
                    state = None  # a last, smaller batch: start it from zeros
                loss, grads, state = model.loss_and_grads(X, Y, state if stateful else None)
                if not math.isfinite(loss):
                    history.stop_reason = "non-finite loss"
                    err = FloatingPointError(
                        f"loss: expected a finite value, got {loss} at step "
                        f"{len(history.step) + 1}; the parameters are those of the last finite "
                        f"step and the history is attached as .history (lower lr={opt.lr})"
                    )
                    err.history = history
                    raise err
                norm = float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))
                if clip_norm is not None:
                    grads, norm = clip_grad_norm(grads, clip_norm)
                opt.step(grads)
                step = len(history.step) + 1
                history.step.append(step)
                history.train_loss.append(loss)
                history.lr.append(opt.lr)
                history.grad_norm.append(norm)
                history.wall_time.append(time.perf_counter() - start)
                history.epoch.append(epoch)
                history.tokens += int(np.size(Y))
                if eval_every is not None and step % eval_every == 0:
                    validate()
                if steps is not None and step >= steps:
                    history.stop_reason = "steps"
                elif time_limit_s is not None and time.perf_counter() - start >= time_limit_s:
                    history.stop_reason = "time limit"
                if history.stop_reason:
                    break
            if seen == 0:
                raise ValueError("train_batches: expected at least one batch, got none")
            epoch += 1
            if eval_every is None and not history.stop_reason:
                validate()
            if epochs is not None and epoch >= epochs and not history.stop_reason:
                history.stop_reason = "epochs"
    except KeyboardInterrupt:
        history.stop_reason = "interrupted"  # the parameters are those of the last full step
        return history
    validate()
    return history


def sample(
    model: NumpyRNNLM,
    vocab: Vocab,
    prefix: str | list[str],
    num_tokens: int,
    *,
    strategy: str = "greedy",
    temperature: float = 1.0,
    k: int | None = None,
    generator: np.random.Generator | None = None,
    tokenizer: str = "char",
) -> str:
    """Continue ``prefix`` by ``num_tokens`` tokens; return prefix and continuation as text.

    The signature of ``rnnbook.sampling.sample``: ``strategy`` is ``"greedy"`` (argmax),
    ``"temperature"`` (draw from softmax(o / temperature)) or ``"top_k"`` (the same over the
    ``k`` largest logits); ``generator`` is a numpy ``Generator`` (None: a fresh, unseeded one);
    ``tokenizer="char"`` joins tokens with nothing, ``"word"`` with single spaces.  The prefix
    is read first (the warm-up), then each drawn token is fed back in.
    """
    _check_model(model)
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab: expected an rnnbook.text.Vocab, got {type(vocab).__name__}")
    if len(vocab) != model.vocab_size:
        raise ValueError(
            f"vocab: expected {model.vocab_size} tokens (the model's vocab_size), got {len(vocab)}"
        )
    check_choice("strategy", strategy, ("greedy", "temperature", "top_k"))
    check_choice("tokenizer", tokenizer, ("char", "word"))
    check_positive("num_tokens", num_tokens, integer=True, allow_zero=True)
    check_positive("temperature", temperature)
    if strategy == "top_k":
        if k is None or isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(vocab):
            raise ValueError(
                f"k: expected an integer in [1, {len(vocab)}] (the vocabulary size) for "
                f"strategy='top_k', got {k!r}"
            )
    if generator is None:
        generator = np.random.default_rng()
    elif not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"generator: expected a numpy Generator (np.random.default_rng(seed)), "
            f"got {type(generator).__name__}"
        )
    if not isinstance(prefix, str | list | tuple):
        raise TypeError(
            f"prefix: expected a string or a list of tokens, got {type(prefix).__name__}"
        )
    tokens = tokenize(prefix, tokenizer) if isinstance(prefix, str) else list(prefix)
    if not tokens:
        raise ValueError(
            f"prefix: expected at least one token to start from, got {prefix!r} "
            f"(the model needs an input x^(1))"
        )
    ids = vocab.encode(tokens)
    o, state = model.logits(np.array([ids]))  # warm-up: the state after reading the prefix
    out = [vocab.idx_to_token[i] for i in ids]
    for _ in range(num_tokens):
        nxt = _choose_next(o[-1, :, 0], strategy, temperature, k, generator)
        out.append(vocab.idx_to_token[nxt])
        o, state = model.logits(np.array([[nxt]]), state)
    return ("" if tokenizer == "char" else " ").join(out)


def _choose_next(logits, strategy, temperature, k, generator) -> int:
    """One token index from the logits ``(V,)`` of the last step, by ``strategy``."""
    if strategy == "greedy":
        return int(np.argmax(logits))
    z = logits / temperature
    if strategy == "top_k":
        z = np.where(z < np.sort(z)[-k], -np.inf, z)
    p = np.exp(z - z.max())
    return int(generator.choice(len(p), p=p / p.sum()))
