"""Measuring training speed in tokens per second, on whatever device the code runs on.

One **token** is one example at one time step: a batch of ``B`` sequences of ``T`` steps holds
``B * T`` tokens, and a training step on it processes that many.  Tokens per second is the one
number that compares a batch size, a sequence length, a kernel or a device with another.

Timing rules that every helper here follows:

* **warm-up first.**  The first calls allocate memory, pick kernels, compile scripted code; they
  are run but not timed.
* **synchronise.**  A GPU runs asynchronously: a Python call returns as soon as the work is
  queued.  :func:`synchronize` waits until the device is done, before the clock is read.
* **median of repeats.**  Other programs share the machine; the median of several timings is
  steadier than the mean.

Shapes follow PyTorch: a language model reads token indices ``(B, T)`` (``batch_first``); a
recurrent module such as ``nn.LSTM`` or ``rnnbook.torch_cells.StackedRNN`` reads ``(T, B, n_x)``,
or ``(B, T, n_x)`` when its ``batch_first`` is True.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Sequence

import torch
from torch import nn

from rnnbook._validate import check_positive
from rnnbook.devices import autocast, pick_device
from rnnbook.lm import lm_loss

__all__ = [
    "copy_seconds",
    "lm_tokens_per_s",
    "rnn_tokens_per_s",
    "steady_tokens_per_s",
    "synchronize",
    "time_call",
    "tokens_per_s",
]


def _device(device) -> torch.device:
    """``device`` through :func:`rnnbook.devices.pick_device`, its errors naming ``device``."""
    if device is None:
        raise TypeError("device: expected a device such as 'cpu' or 'cuda', got None")
    try:
        return pick_device(device)
    except (ValueError, RuntimeError) as err:
        reason = str(err).split(": ", 1)[-1]
        raise type(err)(f"device: {reason}") from err


def synchronize(device) -> None:
    """Wait until ``device`` has finished the work queued on it (a no-op on the CPU)."""
    device = _device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(
    fn: Callable[[], object], *, repeats: int = 5, warmup: int = 1, device="cpu"
) -> float:
    """Median wall-clock seconds of ``fn()`` over ``repeats`` calls, after ``warmup`` untimed ones.

    The device is synchronised before the clock starts and before it stops, so queued GPU work
    is counted in the call that queued it.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a function of no arguments, got {type(fn).__name__}")
    check_positive("repeats", repeats, integer=True)
    check_positive("warmup", warmup, integer=True, allow_zero=True)
    device = _device(device)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def tokens_per_s(n_tokens: int, seconds: float) -> float:
    """``n_tokens / seconds``: the throughput of work that processed ``n_tokens`` tokens."""
    check_positive("n_tokens", n_tokens, allow_zero=True)
    check_positive("seconds", seconds)
    return n_tokens / seconds


def steady_tokens_per_s(wall_time: Sequence[float], tokens_per_step: int, skip: int = 1) -> float:
    """Throughput of a training run after its first ``skip`` (warm-up) steps.

    ``wall_time[i]`` is the time in seconds, since the run started, at which step ``i + 1``
    finished (``rnnbook.training.History.wall_time``).  The steps counted are ``skip + 1 ..
    len(wall_time)``; they took ``wall_time[-1] - wall_time[skip - 1]`` seconds (or
    ``wall_time[-1]`` when ``skip = 0``) and processed ``tokens_per_step`` tokens each.
    """
    check_positive("tokens_per_step", tokens_per_step, integer=True)
    check_positive("skip", skip, integer=True, allow_zero=True)
    if isinstance(wall_time, (str, bytes)) or not hasattr(wall_time, "__iter__"):
        raise TypeError(
            f"wall_time: expected a sequence of seconds, got {type(wall_time).__name__}"
        )
    times = [float(t) for t in wall_time]
    if any(b <= a for a, b in zip([0.0, *times[:-1]], times)) or not all(
        math.isfinite(t) for t in times
    ):
        raise ValueError(
            f"wall_time: expected finite, increasing times after 0 (one per step), "
            f"got {times[:5]}{'...' if len(times) > 5 else ''}"
        )
    if len(times) <= skip:
        raise ValueError(
            f"wall_time: expected more than skip = {skip} steps to time, got {len(times)}"
        )
    start = times[skip - 1] if skip > 0 else 0.0
    return tokens_per_s((len(times) - skip) * tokens_per_step, times[-1] - start)


def _lm_step(model, x, y, opt, device, autocast_bf16, backward):
    def step():
        if not backward:
            with torch.no_grad(), autocast(device, autocast_bf16):
                model(x)
            return
        with autocast(device, autocast_bf16):
            logits, _ = model(x)
            loss = lm_loss(logits, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def lm_tokens_per_s(
    model: nn.Module,
    batch_size: int,
    num_steps: int,
    *,
    device=None,
    backward: bool = True,
    autocast_bf16: bool | None = None,
    repeats: int = 5,
    warmup: int = 2,
    seed: int = 0,
) -> float:
    """Training tokens per second of a language model on random token batches ``(B, T)``.

    One timed call is a whole training step (forward, loss, backward, Adam step) on a batch of
    ``batch_size * num_steps`` tokens; ``backward=False`` times the forward pass alone.  The
    model follows :class:`rnnbook.lm.RNNLM` (``model(x) -> (logits, state)``, attribute
    ``vocab_size``) and is moved to ``device`` (default: where its parameters are).  Its weights
    change while it is timed (the steps are real Adam steps): time a throw-away model.
    """
    check_positive("batch_size", batch_size, integer=True)
    check_positive("num_steps", num_steps, integer=True)
    if not isinstance(model, nn.Module) or not isinstance(getattr(model, "vocab_size", None), int):
        raise TypeError(
            f"model: expected a language model with an integer vocab_size (an RNNLM), "
            f"got {type(model).__name__}"
        )
    if device is None:
        device = next(model.parameters()).device
    device = _device(device)
    model.to(device).train()
    gen = torch.Generator().manual_seed(seed)
    V = model.vocab_size
    x = torch.randint(0, V, (batch_size, num_steps), generator=gen).to(device)
    y = torch.randint(0, V, (batch_size, num_steps), generator=gen).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    step = _lm_step(model, x, y, opt, device, autocast_bf16, backward)
    seconds = time_call(step, repeats=repeats, warmup=warmup, device=device)
    return tokens_per_s(batch_size * num_steps, seconds)


def rnn_tokens_per_s(
    rnn: nn.Module,
    batch_size: int,
    num_steps: int,
    n_x: int,
    *,
    device=None,
    backward: bool = True,
    repeats: int = 5,
    warmup: int = 2,
    seed: int = 0,
) -> float:
    """Tokens per second of a recurrent module alone (forward, and backward of ``sum(h)``).

    ``rnn`` is ``nn.RNN/LSTM/GRU`` or ``StackedRNN``: ``rnn(x) -> (outputs, state)``; the input
    ``x`` is random, ``(T, B, n_x)``, or ``(B, T, n_x)`` when ``rnn.batch_first`` is True.
    """
    check_positive("batch_size", batch_size, integer=True)
    check_positive("num_steps", num_steps, integer=True)
    check_positive("n_x", n_x, integer=True)
    if not isinstance(rnn, nn.Module):
        raise TypeError(f"rnn: expected an nn.Module, got {type(rnn).__name__}")
    input_size = getattr(rnn, "input_size", None)
    if isinstance(input_size, int) and input_size != n_x:
        raise ValueError(f"n_x: expected rnn.input_size = {input_size}, got {n_x}")
    if device is None:
        device = next(rnn.parameters()).device
    device = _device(device)
    rnn.to(device).train()
    shape = (
        (batch_size, num_steps, n_x)
        if getattr(rnn, "batch_first", False)
        else (num_steps, batch_size, n_x)
    )
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed)).to(device)

    def step():
        if not backward:
            with torch.no_grad():
                rnn(x)
            return
        rnn.zero_grad(set_to_none=True)
        outputs, _ = rnn(x)
        outputs.sum().backward()

    seconds = time_call(step, repeats=repeats, warmup=warmup, device=device)
    return tokens_per_s(batch_size * num_steps, seconds)


def copy_seconds(
    x: torch.Tensor, device, *, non_blocking: bool = False, repeats: int = 5, warmup: int = 1
) -> float:
    """Median seconds of ``x.to(device)`` (a real copy only when ``device`` differs from x's).

    With ``non_blocking=True`` and a pinned (page-locked) ``x``, a host-to-GPU copy is started
    without waiting; the timing still includes it, because the device is synchronised.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
    device = _device(device)
    return time_call(
        lambda: x.to(device, non_blocking=non_blocking),
        repeats=repeats,
        warmup=warmup,
        device=device,
    )
