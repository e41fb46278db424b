"""Generating text from a trained language model, one token at a time.

The prefix is fed through the model to build up the hidden state (the "warm-up"); then, at each
step, the model's output o^(t) gives a distribution over the next token, one token is chosen, and
it is fed back in as the next input x^(t+1).  How the token is chosen:

* ``"greedy"``: the most probable token, argmax_j o_j (deterministic; often loops);
* ``"temperature"``: draw from softmax(o / kappa): kappa < 1 sharpens the distribution towards
  greedy, kappa > 1 flattens it towards uniform, kappa = 1 is the model's own distribution;
* ``"top_k"``: keep the k largest logits, set the others to -inf, then draw as above.

Given a seeded ``torch.Generator`` the output is the same on every run.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch

from rnnbook._validate import check_choice, check_positive
from rnnbook.text import Vocab, tokenize

__all__ = ["LONG_SAMPLE_TOKENS", "choose_next", "sample"]

STRATEGIES = ("greedy", "temperature", "top_k")
LONG_SAMPLE_TOKENS = 100_000  # sample() warns above this many tokens: one model call each


def _check_strategy(strategy, temperature, k, vocab_size: int, generator) -> None:
    """The checks choose_next and sample share, with messages that name the argument."""
    check_choice("strategy", strategy, STRATEGIES)
    if isinstance(temperature, bool) or not isinstance(temperature, numbers.Real):
        raise TypeError(f"temperature: expected a number > 0, got {temperature!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(
            f"temperature: expected a number > 0, got {temperature!r} (finite: dividing the "
            f"logits by 0 is undefined, by a negative number inverts the distribution; "
            f"strategy='greedy' is the limit of a temperature going to 0)"
        )
    if strategy == "top_k":
        if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= vocab_size:
            raise ValueError(
                f"k: expected an integer in [1, {vocab_size}] (the vocabulary size) for "
                f"strategy='top_k', got {k!r}"
            )
    elif k is not None:
        raise ValueError(
            f"k: only strategy='top_k' uses k, got k={k!r} with strategy={strategy!r} "
            f"(did you mean strategy='top_k'?)"
        )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(
            f"generator: expected a torch.Generator or None, got {type(generator).__name__}"
        )


def choose_next(
    logits: torch.Tensor,
    strategy: str = "greedy",
    *,
    temperature: float = 1.0,
    k: int | None = None,
    generator: torch.Generator | None = None,
) -> int:
    """Pick one token index from a vector of ``V`` logits by ``strategy`` (see module doc).

    ``temperature`` must be a finite number > 0; ``k`` (an integer in ``1 .. V``) is used by
    ``"top_k"`` only and refused with the other strategies; NaN logits are an error.
    """
    if not isinstance(logits, torch.Tensor):
        raise TypeError(f"logits: expected a torch.Tensor of V logits, got {type(logits).__name__}")
    if logits.numel() == 0 or logits.numel() != logits.shape[-1] or logits.dim() == 0:
        raise ValueError(
            f"logits: expected a vector of V logits (one time step), got shape "
            f"{tuple(logits.shape)}"
        )
    if not logits.dtype.is_floating_point:
        raise TypeError(f"logits: expected a float tensor, got dtype {logits.dtype}")
    _check_strategy(strategy, temperature, k, logits.numel(), generator)
    logits = logits.detach().float().reshape(-1).cpu()
    if torch.isnan(logits).any():
        raise ValueError("logits: expected numbers, got NaN (has the model diverged?)")
    if strategy == "greedy":
        return int(torch.argmax(logits))
    logits = logits / temperature
    if strategy == "top_k":
        kth = torch.topk(logits, k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=0)
    return int(torch.multinomial(probs, 1, generator=generator))


def _check_tokenizer(vocab, tokenizer: str, tokens: list[str]) -> None:
    """Catch a word vocabulary read with the char tokenizer, and the other way round."""
    words = [t for t in vocab.idx_to_token if len(t) > 1 and not (t[0] == "<" and t[-1] == ">")]
    own = getattr(vocab, "kind", None)  # rnnbook.text.Vocab records "char" or "word"
    kind = own if own in ("char", "word") else ("word" if words else "char")
    long_tokens = [t for t in tokens if len(t) > 1]
    if tokenizer == "char" and kind == "word":
        raise ValueError(
            f"tokenizer: 'char' reads the prefix one character at a time, but the vocabulary "
            f"holds words (e.g. {words[:3]}); pass tokenizer='word'"
        )
    if (
        tokenizer == "word"
        and kind == "char"
        and long_tokens
        and all(t not in vocab for t in tokens)
    ):
        raise ValueError(
            f"tokenizer: 'word' splits the prefix into words ({long_tokens[:3]}), but the "
            f"vocabulary holds single characters; pass tokenizer='char'"
        )


@torch.no_grad()
def sample(
    model: torch.nn.Module,
    vocab: Vocab,
    prefix: str | list[str],
    num_tokens: int,
    *,
    strategy: str = "greedy",
    temperature: float = 1.0,
    k: int | None = None,
    generator: torch.Generator | None = None,
    tokenizer: str = "char",
) -> str:
    """Continue ``prefix`` by ``num_tokens`` tokens; return prefix and continuation as text.

    ``model(x, state) -> (logits, state)`` with ``x (1, T)`` (as :class:`rnnbook.lm.RNNLM`),
    with one logit per token of ``vocab``.  ``tokenizer="char"`` joins tokens with nothing,
    ``"word"`` with single spaces; ``prefix`` may be a string (tokenised the same way) or a list
    of tokens.  Prefix tokens missing from ``vocab`` are fed in as ``<unk>`` (and written back
    as ``<unk>``); a word vocabulary read with ``tokenizer="char"`` (or a character one with
    ``"word"``) is an error.  ``temperature`` must be > 0 (use ``strategy="greedy"`` for the
    limit kappa -> 0); ``k`` is required for ``"top_k"``, refused otherwise, and must lie in
    ``1 .. len(vocab)``.  More than ``LONG_SAMPLE_TOKENS`` tokens draws a warning.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not all(hasattr(vocab, a) for a in ("encode", "idx_to_token", "__len__")):
        raise TypeError(f"vocab: expected an rnnbook.text.Vocab, got {type(vocab).__name__}")
    check_choice("tokenizer", tokenizer, ("char", "word"))
    check_positive("num_tokens", num_tokens, integer=True, allow_zero=True)
    if num_tokens > LONG_SAMPLE_TOKENS:
        warnings.warn(
            f"num_tokens: {num_tokens:,} tokens means {num_tokens:,} model calls one after "
            f"another; this may take minutes",
            stacklevel=2,
        )
    _check_strategy(strategy, temperature, k, len(vocab), generator)
    if isinstance(prefix, str):
        tokens = tokenize(prefix, tokenizer)
    elif isinstance(prefix, (list, tuple)) and all(isinstance(t, str) for t in prefix):
        tokens = list(prefix)
    else:
        raise TypeError(f"prefix: expected a str or a list of str tokens, got {prefix!r}")
    if not tokens:
        raise ValueError(
            f"prefix: expected at least one token to start from, got {prefix!r} "
            f"(the model needs an input x^(1))"
        )
    _check_tokenizer(vocab, tokenizer, tokens)

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        ids = vocab.encode(tokens)
        x = torch.tensor([ids], dtype=torch.long, device=device)
        logits, state = model(x, None)  # warm-up: the state after reading the whole prefix
        if logits.dim() != 3 or logits.shape[-1] != len(vocab):
            raise ValueError(
                f"vocab: expected the model to give one logit per token of the vocabulary "
                f"({len(vocab)}), got logits of shape {tuple(logits.shape)} (another "
                f"vocabulary than the model was trained with?)"
            )
        out = [vocab.idx_to_token[i] for i in ids]
        for _ in range(num_tokens):
            nxt = choose_next(
                logits[0, -1], strategy, temperature=temperature, k=k, generator=generator
            )
            out.append(vocab.idx_to_token[nxt])
            logits, state = model(torch.tensor([[nxt]], device=device), state)
    finally:
        model.train(was_training)
    return ("" if tokenizer == "char" else " ").join(out)
