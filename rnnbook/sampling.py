"""Generating text from a trained language model, one token at a time.

The prefix is fed through the model to build up the hidden state (the "warm-up"); then, at each
step, the model's output o^(t) gives a distribution over the next token, one token is chosen, and
it is fed back in as the next input x^(t+1).  How the token is chosen:

* ``"greedy"``: the most probable token, argmax_j o_j (deterministic; often loops);
* ``"temperature"``: draw from softmax(o / tau): tau < 1 sharpens the distribution towards
  greedy, tau > 1 flattens it towards uniform, tau = 1 is the model's own distribution;
* ``"top_k"``: keep the k largest logits, set the others to -inf, then draw as above.

Given a seeded ``torch.Generator`` the output is the same on every run.
"""

from __future__ import annotations

import torch

from rnnbook._validate import check_choice, check_positive
from rnnbook.text import Vocab, tokenize

__all__ = ["choose_next", "sample"]


def choose_next(
    logits: torch.Tensor,
    strategy: str = "greedy",
    *,
    temperature: float = 1.0,
    k: int | None = None,
    generator: torch.Generator | None = None,
) -> int:
    """Pick one token index from a vector of ``V`` logits by ``strategy`` (see module doc)."""
    logits = logits.detach().float().reshape(-1).cpu()
    if strategy == "greedy":
        return int(torch.argmax(logits))
    logits = logits / temperature
    if strategy == "top_k":
        kth = torch.topk(logits, k).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    probs = torch.softmax(logits, dim=0)
    return int(torch.multinomial(probs, 1, generator=generator))


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

    ``model(x, state) -> (logits, state)`` with ``x (1, T)`` (as :class:`rnnbook.lm.RNNLM`).
    ``tokenizer="char"`` joins tokens with nothing, ``"word"`` with single spaces; ``prefix``
    may be a string (tokenised the same way) or a list of tokens.  Prefix tokens missing from
    ``vocab`` are fed in as ``<unk>`` (and written back as ``<unk>``).  ``temperature`` must be
    > 0 (use ``strategy="greedy"`` for the limit tau -> 0); ``k`` is required for ``"top_k"`` and
    must lie in ``1 .. len(vocab)``.
    """
    check_choice("strategy", strategy, ("greedy", "temperature", "top_k"))
    check_choice("tokenizer", tokenizer, ("char", "word"))
    check_positive("num_tokens", num_tokens, integer=True, allow_zero=True)
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(f"temperature: expected a number > 0, got {temperature!r}")
    if not temperature > 0:
        raise ValueError(
            f"temperature: expected a number > 0, got {temperature!r} (dividing the logits by "
            f"0 is undefined; strategy='greedy' is the limit of a temperature going to 0)"
        )
    if strategy == "top_k":
        if k is None or isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(vocab):
            raise ValueError(
                f"k: expected an integer in [1, {len(vocab)}] (the vocabulary size) for "
                f"strategy='top_k', got {k!r}"
            )
    tokens = tokenize(prefix, tokenizer) if isinstance(prefix, str) else list(prefix)
    if not tokens:
        raise ValueError(
            f"prefix: expected at least one token to start from, got {prefix!r} "
            f"(the model needs an input x^(1))"
        )

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    try:
        ids = vocab.encode(tokens)
        x = torch.tensor([ids], dtype=torch.long, device=device)
        logits, state = model(x, None)  # warm-up: the state after reading the whole prefix
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
