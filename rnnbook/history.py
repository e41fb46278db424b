"""What a training run did, and its perplexity: one of each for both halves of the course.

The PyTorch loop (``rnnbook.training.train``) and the numpy language model
(``rnnbook.topics.numpy_lm``) both return a ``History``, so the same plots and the same
checks read either.  This module imports neither torch nor matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["History", "StopTraining", "perplexity"]


def perplexity(nll_per_token: float, base: str = "nats") -> float:
    """Perplexity from the mean negative log-likelihood per token: e^L (nats) or 2^L (bits).

    The one definition the course uses: ``rnnbook.lm``, ``rnnbook.topics.information`` and
    :class:`History` all call this.  Values too large for a float (a model that has not started
    learning, or has diverged) come back as ``inf`` rather than raising.
    """
    if base not in ("nats", "bits"):
        raise ValueError(f"base: expected one of ['nats', 'bits'], got {base!r}")
    if isinstance(nll_per_token, bool):
        raise TypeError(f"nll_per_token: expected a number, got bool {nll_per_token!r}")
    try:
        nll = float(nll_per_token)
    except (TypeError, ValueError):
        raise TypeError(
            f"nll_per_token: expected a number, got {type(nll_per_token).__name__} "
            f"{nll_per_token!r}"
        ) from None
    if math.isnan(nll) or nll < 0:
        raise ValueError(f"nll_per_token: expected a number >= 0, got {nll_per_token!r}")
    try:
        return 2.0**nll if base == "bits" else math.exp(nll)
    except OverflowError:
        return math.inf


class StopTraining(Exception):
    """Raise from a callback to end training after the current step."""


@dataclass
class History:
    """What a training run did, one list entry per optimiser step (or per evaluation).

    ``step[i]``, ``train_loss[i]`` (nats per token), ``lr[i]``, ``grad_norm[i]`` (before
    clipping), ``wall_time[i]`` (seconds since the start) and ``epoch[i]`` describe step i;
    ``val_step[j]``, ``val_loss[j]`` and ``val_ppl[j]`` the j-th evaluation on the validation
    batches.  ``stop_reason`` says why training ended (``"steps"``, ``"epochs"``,
    ``"time_limit_s"``, a callback's name, ``"interrupted"`` after Ctrl-C, ``"diverged at step
    k"``); ``tokens`` counts the target tokens seen (ignored targets, -100, are not counted).
    ``best_val_loss`` and ``best_step`` are the lowest validation loss and the step it was
    measured at (``math.inf`` and -1 before any evaluation).
    """

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    wall_time: list[float] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_ppl: list[float] = field(default_factory=list)
    tokens: int = 0
    stop_reason: str = ""
    best_val_loss: float = math.inf
    best_step: int = -1

    def record(
        self,
        step: int,
        loss: float,
        lr: float,
        grad_norm: float,
        epoch: int,
        tokens: int,
        wall_time: float,
    ) -> None:
        """Append one optimiser step: its number, loss, learning rate, gradient norm, epoch,
        target tokens counted and the seconds since training started."""
        self.step.append(step)
        self.train_loss.append(loss)
        self.lr.append(lr)
        self.grad_norm.append(grad_norm)
        self.epoch.append(epoch)
        self.tokens += tokens
        self.wall_time.append(wall_time)

    @property
    def train_ppl(self) -> list[float]:
        """exp(train_loss) for every step."""
        return [perplexity(v) for v in self.train_loss]

    def tokens_per_s(self) -> float:
        """Training throughput over the whole run (target tokens per second)."""
        return self.tokens / self.wall_time[-1] if self.wall_time and self.wall_time[-1] else 0.0
