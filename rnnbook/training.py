"""An explicit training loop for language models: forward, loss, backward, clip, step.

``train(model, train_batches, ...)`` runs that loop until a number of epochs, of steps, or of
seconds is reached, and returns a :class:`History` of what happened.  Nothing is hidden in
callbacks or hooks: every step is

    1. forward:   logits, state = model(x, state)        (state carried over and detached
                                                          between sequential batches: truncated BPTT)
    2. loss:      L = mean cross-entropy per token        (nats)
    3. backward:  L.backward()                            (BPTT through the T steps of the batch)
    4. clip:      rescale the gradient to norm <= clip_norm   (the "cliff" remedy)
    5. step:      optimizer.step()

Plotting and progress reporting are injected: callbacks ``f(step, history)`` are called after
every step (return True to stop), and the progress bar is ``tqdm.auto`` (a widget in JupyterLab,
plain text in a terminal or CI), switched off by ``progress=False``.

The model must follow :class:`rnnbook.lm.RNNLM`'s interface: ``model(x, state) -> (logits,
state)`` with ``x (B, T)`` and logits ``(B, T, V)``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from rnnbook._validate import check_choice, check_positive
from rnnbook.devices import autocast, pick_device
from rnnbook.history import History, StopTraining
from rnnbook.lm import _fits, as_index_tensor, detach_state, evaluate, lm_loss

__all__ = ["History", "StopTraining", "lr_factor", "make_optimizer", "train"]


def lr_factor(schedule, step: int, total_steps: int | None) -> float:
    """The multiplier of the base learning rate at ``step`` (1-based) under ``schedule``.

    ``None``: 1.  ``"cosine"``: ``0.5 (1 + cos(pi (step - 1) / total_steps))``, from 1 down to
    nearly 0.  ``"step"``: halved after every third of ``total_steps``.  A callable: ``schedule
    (step)``.
    """
    if schedule is None:
        return 1.0
    if callable(schedule):
        return float(schedule(step))
    if total_steps is None:
        raise ValueError(
            f"lr_schedule: {schedule!r} needs a known number of steps; give steps= or epochs= "
            f"with batches that have a len()"
        )
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step - 1, total_steps) / total_steps))
    if schedule == "step":
        return 0.5 ** ((step - 1) // max(1, math.ceil(total_steps / 3)))
    raise ValueError(
        f"lr_schedule: expected None, 'cosine', 'step' or a callable, got {schedule!r}"
    )


def make_optimizer(
    model: nn.Module, optimizer="adam", lr: float = 1e-3, weight_decay: float = 0.0
) -> torch.optim.Optimizer:
    """``"adam"``, ``"adamw"`` or ``"sgd"`` -> that ``torch.optim`` class; an Optimizer as is.

    ``weight_decay`` is added to the gradient by Adam and SGD (an L2 penalty), and subtracted
    from the weights apart from the adaptive step by AdamW (decoupled decay, ``w <- w - lr *
    weight_decay * w``), which regularises more evenly across parameters.
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    check_choice("optimizer", optimizer, tuple(_OPTIMIZERS))
    check_positive("lr", lr)
    check_positive("weight_decay", weight_decay, allow_zero=True)
    return _OPTIMIZERS[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay)


_OPTIMIZERS = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


def train(
    model: nn.Module,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    time_limit_s: float | None = None,
    optimizer: str | torch.optim.Optimizer = "adam",
    lr: float = 1e-3,
    lr_schedule: str | Callable[[int], float] | None = None,
    clip_norm: float | None = 1.0,
    val_batches: Iterable | None = None,
    eval_every: int | None = None,
    callbacks: Sequence[Callable] = (),
    device: str | torch.device | None = None,
    stateful: bool = True,
    autocast_bf16: bool | None = None,
    progress: bool = True,
    start_step: int = 0,
    weight_decay: float = 0.0,
    keep_best: bool = False,
) -> History:
    """Train ``model`` on ``train_batches`` and return a :class:`History`.

    Stopping: after ``epochs`` passes over ``train_batches``, after ``steps`` optimiser steps, or
    once ``time_limit_s`` seconds have passed, whichever comes first (give at least one), or when
    a callback returns True or raises :class:`StopTraining`.

    ``optimizer``: ``"adam"``, ``"adamw"``, ``"sgd"`` (built with ``lr`` and ``weight_decay``) or a ready
    ``torch.optim.Optimizer`` (its own learning rate is the base rate).  ``lr_schedule``: None,
    ``"cosine"``, ``"step"`` or a callable ``step -> factor`` (see :func:`lr_factor`).
    ``clip_norm``: the largest gradient norm allowed (``None`` turns clipping off).
    ``val_batches`` are evaluated every ``eval_every`` steps (default: at the end of every epoch)
    and at the end.  ``stateful=True`` carries the hidden state from one batch to the next,
    detached, when the batches are sequential (``train_batches.sequential`` is True, or the
    attribute is missing); it restarts from zero every epoch.  ``autocast_bf16=None`` uses
    bfloat16 autocast on CUDA only.  ``start_step`` resumes step numbering (and the position in
    the batch stream, and the schedule) after a checkpoint.

    ``keep_best=True`` (needs ``val_batches``) copies the weights whenever the validation loss
    reaches a new low and loads the best copy into ``model`` at the end (early stopping without
    stopping); ``history.best_val_loss`` and ``history.best_step`` say which evaluation won.

    A loss that is NaN or infinite stops training with ``FloatingPointError``.
    """
    if epochs is None and steps is None and time_limit_s is None:
        raise ValueError("train: expected at least one of epochs=, steps= or time_limit_s=")
    if epochs is not None:
        check_positive("epochs", epochs, integer=True)
    if steps is not None:
        check_positive("steps", steps, integer=True)
    if time_limit_s is not None:
        check_positive("time_limit_s", time_limit_s)
    if clip_norm is not None:
        check_positive("clip_norm", clip_norm)
    if eval_every is not None:
        check_positive("eval_every", eval_every, integer=True)
    check_positive("start_step", start_step, integer=True, allow_zero=True)
    if lr_schedule is not None and not callable(lr_schedule):
        check_choice("lr_schedule", lr_schedule, ("cosine", "step"))
    if keep_best and val_batches is None:
        raise ValueError("keep_best: expected val_batches= to choose the best weights, got None")

    device = pick_device(device) if device is None or isinstance(device, str) else device
    model.to(device)
    opt = make_optimizer(model, optimizer, lr, weight_decay)
    base_lrs = [g.get("initial_lr", g["lr"]) for g in opt.param_groups]
    for g, base in zip(opt.param_groups, base_lrs):
        g["initial_lr"] = base  # remembered, so a resumed run scales the same base rate
    carry = stateful and bool(getattr(train_batches, "sequential", True))
    n_batches = _safe_len(train_batches)
    total = steps
    if epochs is not None and n_batches is not None:
        total = min(total or math.inf, epochs * n_batches)
        total = int(total)
    remaining = None if total is None else max(0, total - start_step)
    params = [p for p in model.parameters() if p.requires_grad]

    history = History()
    best = _BestWeights(model) if keep_best else None
    bar = _progress_bar(remaining, progress)
    t0 = time.perf_counter()
    step, epoch, skip = start_step, 0, start_step
    last_eval = None
    stop = ""
    model.train()
    try:
        while not stop:
            if epochs is not None and epoch >= epochs:
                stop = "epochs"
                break
            epoch += 1
            state, seen = None, 0
            for x, y in train_batches:
                seen += 1
                if skip > 0:  # resuming: pass over the batches already trained on
                    skip -= 1
                    continue
                if total is not None and step >= total:
                    stop = "steps"
                    break
                x, y = as_index_tensor(x, device), as_index_tensor(y, device)
                if not carry or not _fits(state, x.shape[0]):
                    state = None
                step += 1
                factor = lr_factor(lr_schedule, step, total)
                for g, base in zip(opt.param_groups, base_lrs):
                    g["lr"] = base * factor

                # 1-2. forward and loss
                with autocast(device, autocast_bf16):
                    logits, state = model(x, state)
                    loss = lm_loss(logits, y)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"training loss became {loss.item()} at step {step}: the gradients "
                        f"exploded or the learning rate is too high; try gradient clipping "
                        f"(clip_norm=1.0, now {clip_norm}) or a lower learning rate "
                        f"(lr now {opt.param_groups[0]['lr']:.3g})"
                    )
                # 3. backward (through the T steps of this batch only)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                # 4. clip: g <- g * min(1, clip_norm / ||g||); the norm before clipping is kept
                max_norm = clip_norm if clip_norm is not None else math.inf
                grad_norm = float(torch.nn.utils.clip_grad_norm_(params, max_norm))
                # 5. step
                opt.step()
                state = detach_state(state) if carry else None

                history.step.append(step)
                history.train_loss.append(loss.item())
                history.lr.append(opt.param_groups[0]["lr"])
                history.grad_norm.append(grad_norm)
                history.epoch.append(epoch)
                history.tokens += y.numel()
                history.wall_time.append(time.perf_counter() - t0)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", refresh=False)

                if val_batches is not None and eval_every is not None and step % eval_every == 0:
                    _validate_into(history, model, val_batches, device, step, best)
                    last_eval = step
                stop = _run_callbacks(callbacks, step, history)
                if not stop and time_limit_s is not None and history.wall_time[-1] >= time_limit_s:
                    stop = "time_limit_s"
                if stop:
                    break
            if stop:
                break
            if seen == 0:
                stop = "train_batches gave no batches (a one-pass generator is used up)"
                break
            if val_batches is not None and eval_every is None and step > start_step:
                _validate_into(history, model, val_batches, device, step, best)
                last_eval = step
            if steps is not None and step >= steps:
                stop = "steps"
            elif epochs is not None and epoch >= epochs:
                stop = "epochs"
    finally:
        if bar is not None:
            bar.close()
    if val_batches is not None and last_eval != step and step > start_step:
        _validate_into(history, model, val_batches, device, step, best)
    history.stop_reason = stop
    if best is not None and best.state is not None:
        model.load_state_dict(best.state)
    return history


def _safe_len(batches) -> int | None:
    try:
        return len(batches)
    except TypeError:
        return None


def _progress_bar(total, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="train", unit="step", leave=True)


class _BestWeights:
    """A copy of the model's weights at its lowest validation loss so far."""

    def __init__(self, model: nn.Module):
        self.model, self.state = model, None

    def save(self) -> None:
        self.state = copy.deepcopy(self.model.state_dict())


def _validate_into(history: History, model, val_batches, device, step: int, best=None) -> None:
    result = evaluate(model, val_batches, device=device)
    history.val_step.append(step)
    history.val_loss.append(result["nll"])
    history.val_ppl.append(result["ppl"])
    if result["nll"] < history.best_val_loss:
        history.best_val_loss, history.best_step = result["nll"], step
        if best is not None:
            best.save()
    model.train()


def _run_callbacks(callbacks, step: int, history: History) -> str:
    for callback in callbacks:
        try:
            if callback(step, history):
                return f"callback {getattr(callback, '__name__', type(callback).__name__)}"
        except StopTraining as stop:
            return f"StopTraining: {stop}" if str(stop) else "StopTraining"
    return ""
