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

Nothing is lost when a run goes wrong.  Ctrl-C ends training with ``history.stop_reason ==
"interrupted"`` and the model as it was after the last whole step.  A loss or gradient that is
NaN or infinite raises :class:`TrainingDiverged` (a ``FloatingPointError``) after putting back
the last weights whose loss was finite; the exception carries the run's ``history``.
Resuming from a checkpoint is :func:`rnnbook.checkpoint.resume_training`.

The model must follow :class:`rnnbook.lm.RNNLM`'s interface: ``model(x, state) -> (logits,
state)`` with ``x (B, T)`` and logits ``(B, T, V)``.
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from rnnbook._validate import check_choice, check_positive
from rnnbook.devices import autocast, pick_device
from rnnbook.history import History, StopTraining
from rnnbook.lm import as_index_tensor, count_targets, detach_state, evaluate, lm_loss, state_fits

__all__ = [
    "History",
    "StopTraining",
    "TrainingDiverged",
    "lr_factor",
    "make_optimizer",
    "planned_steps",
    "train",
]

LONG_RUN_STEPS = 200_000  # above this many planned steps without a time limit, train() warns


class TrainingDiverged(FloatingPointError):
    """The loss or the gradient became NaN or infinite; ``.history`` holds the run so far."""

    def __init__(self, message: str, history: History, step: int):
        super().__init__(message)
        self.history, self.step = history, step


def lr_factor(schedule, step: int, total_steps: int | None) -> float:
    """The multiplier of the base learning rate at ``step`` (1-based) under ``schedule``.

    ``None``: 1.  ``"cosine"``: ``0.5 (1 + cos(pi (step - 1) / total_steps))``, from 1 down to
    nearly 0.  ``"step"``: halved after every third of ``total_steps``.  A callable: ``schedule
    (step)``, which must return a finite number >= 0 (a negative factor would climb the loss).
    """
    check_positive("step", step, integer=True)
    if schedule is None:
        return 1.0
    if callable(schedule):
        factor = schedule(step)
        if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
            raise TypeError(
                f"lr_schedule: expected the callable to return a number, got "
                f"{type(factor).__name__} {factor!r} at step {step}"
            )
        if not math.isfinite(factor) or factor < 0:
            raise ValueError(
                f"lr_schedule: expected a finite factor >= 0, got {factor!r} at step {step} "
                f"(a negative learning rate climbs the loss instead of descending it)"
            )
        return float(factor)
    check_choice("lr_schedule", schedule, ("cosine", "step"))
    if total_steps is None:
        raise ValueError(
            f"lr_schedule: {schedule!r} needs a known number of steps; give steps= or epochs= "
            f"with batches that have a len()"
        )
    check_positive("total_steps", total_steps, integer=True)
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step - 1, total_steps) / total_steps))
    return 0.5 ** ((step - 1) // max(1, math.ceil(total_steps / 3)))


_OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}


def make_optimizer(model: nn.Module, optimizer="adam", lr: float = 1e-3) -> torch.optim.Optimizer:
    """``"adam"`` or ``"sgd"`` -> that ``torch.optim`` class over the model's parameters.

    A ready ``torch.optim.Optimizer`` is returned as it is, once checked to hold every
    trainable parameter of ``model`` (an optimiser built for another model would step weights
    that the loss never sees).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    trainable = [p for p in model.parameters() if p.requires_grad]
    if isinstance(optimizer, torch.optim.Optimizer):
        held = {id(p) for g in optimizer.param_groups for p in g["params"]}
        missing = sum(id(p) not in held for p in trainable)
        if missing:
            raise ValueError(
                f"optimizer: expected an optimiser over this model's parameters, got one that "
                f"lacks {missing} of its {len(trainable)} trainable tensors (built for another "
                f"model?); build it from model.parameters(), and freeze on purpose with "
                f"requires_grad=False"
            )
        return optimizer
    check_choice("optimizer", optimizer, tuple(_OPTIMIZERS))
    check_positive("lr", lr)
    if not trainable:
        raise ValueError("model: expected trainable parameters, got none (all frozen?)")
    return _OPTIMIZERS[optimizer](trainable, lr=lr)


def planned_steps(batches, *, epochs: int | None = None, steps: int | None = None) -> int | None:
    """How many steps ``train`` will take: ``steps``, or ``epochs * len(batches)``, the smaller.

    None when neither bounds the run (only a time limit, or batches without a ``len()``).
    """
    try:
        n_batches = len(batches)
    except TypeError:
        n_batches = None
    bounds = [steps] if steps is not None else []
    if epochs is not None and n_batches is not None:
        bounds.append(epochs * n_batches)
    return min(bounds) if bounds else None


def train(
    model: nn.Module,
    train_batches: Iterable,
    *,
    epochs: int | None = None,
    steps: int | None = None,
    time_limit_s: float | None = None,
    optimizer: str | torch.optim.Optimizer = "adam",
    lr: float | None = None,
    lr_schedule: str | Callable[[int], float] | None = None,
    clip_norm: float | None = 1.0,
    val_batches: Iterable | None = None,
    eval_every: int | None = None,
    callbacks: Sequence[Callable] = (),
    device: str | torch.device | None = None,
    stateful: bool = True,
    autocast_bf16: bool | None = None,
    progress: bool = True,
) -> History:
    """Train ``model`` on ``train_batches`` and return a :class:`History`.

    Stopping: after ``epochs`` passes over ``train_batches``, after ``steps`` optimiser steps, or
    once ``time_limit_s`` seconds have passed, whichever comes first (give at least one); when
    a callback returns True or raises :class:`StopTraining`; or on Ctrl-C (``stop_reason`` is
    then ``"interrupted"``).

    ``optimizer``: ``"adam"`` or ``"sgd"`` (built with ``lr``, default 1e-3) or a ready
    ``torch.optim.Optimizer`` over the model's parameters (its own learning rate is the base
    rate, and giving ``lr`` too is an error).  ``lr_schedule``: None, ``"cosine"``, ``"step"`` or a callable ``step -> factor``
    (see :func:`lr_factor`).  ``clip_norm``: the largest gradient norm allowed (``None`` turns
    clipping off).  ``val_batches`` are evaluated every ``eval_every`` steps (default: at the
    end of every epoch) and at the end.  ``stateful=True`` carries the hidden state from one
    batch to the next, detached, when the batches are sequential (``train_batches.sequential``
    is True, or the attribute is missing); it restarts from zero every epoch.
    ``autocast_bf16=None`` uses bfloat16 autocast on CUDA only.

    A loss or gradient that is NaN or infinite raises :class:`TrainingDiverged` with the
    history, after restoring the last weights whose loss was finite.
    """
    device = pick_device(device, name="device")
    total = _check_train_args(locals())
    model.to(device)
    opt = make_optimizer(model, optimizer, 1e-3 if lr is None else lr)
    base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in opt.param_groups]
    carry = stateful and bool(getattr(train_batches, "sequential", True))
    params = [p for p in model.parameters() if p.requires_grad]
    last_good = [p.detach().clone() for p in params]  # the weights of the last finite loss
    history, bar = History(), _progress_bar(total, progress)
    t0, step, epoch, stop, last_eval = time.perf_counter(), 0, 0, "", None
    model.train()
    try:
        while not stop:
            epoch, state, seen = epoch + 1, None, 0
            for x, y in train_batches:
                x, y, seen = as_index_tensor(x, device), as_index_tensor(y, device), seen + 1
                if not carry or not state_fits(state, x.shape[0]):
                    state = None
                step += 1
                for g, base in zip(opt.param_groups, base_lrs):
                    g["lr"] = base * lr_factor(lr_schedule, step, total)
                with autocast(device, autocast_bf16):  # 1-2. forward and loss
                    logits, state = model(x, state)
                    loss = lm_loss(logits, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # 3. backward (through the T steps of this batch only)
                # 4. clip: g <- g * min(1, clip_norm / ||g||); the norm before clipping is kept
                grad_norm = float(nn.utils.clip_grad_norm_(params, clip_norm or math.inf))
                if not (math.isfinite(loss.item()) and math.isfinite(grad_norm)):
                    _diverged(history, model, params, last_good, step, loss.item(), grad_norm,
                              clip_norm, opt)  # fmt: skip
                _step_keeping(opt, params, last_good)  # 5. step
                state = detach_state(state) if carry else None
                history.record(step, loss.item(), opt.param_groups[0]["lr"], grad_norm, epoch,
                               count_targets(y), time.perf_counter() - t0)  # fmt: skip
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}", refresh=False)
                if val_batches is not None and eval_every and step % eval_every == 0:
                    last_eval = _validate_into(history, model, val_batches, device, step)
                stop = _stop_reason(callbacks, history, step, steps, time_limit_s)
                if stop:
                    break
            if seen == 0:
                stop = "train_batches gave no batches (a one-pass generator is used up)"
            elif val_batches is not None and eval_every is None and not stop:
                last_eval = _validate_into(history, model, val_batches, device, step)
            if not stop and epochs is not None and epoch >= epochs:
                stop = "epochs"
        if val_batches is not None and last_eval != step and step > 0:
            _validate_into(history, model, val_batches, device, step)
    except KeyboardInterrupt:
        stop = "interrupted"  # the weights are those after the last whole step
    finally:
        if bar is not None:
            bar.close()
    history.stop_reason = stop
    return history


# --------------------------------------------------------------------------- the loop's helpers


def _check_train_args(args: dict) -> int | None:
    """Every argument mistake, caught before the first step; returns the planned step count."""
    epochs, steps, time_limit_s = args["epochs"], args["steps"], args["time_limit_s"]
    if epochs is None and steps is None and time_limit_s is None:
        raise ValueError("train: expected at least one of epochs=, steps= or time_limit_s=")
    if not isinstance(args["model"], nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(args['model']).__name__}")
    for name in ("train_batches", "val_batches"):
        value = args[name]
        if (value is not None or name == "train_batches") and (
            isinstance(value, (str, bytes, torch.Tensor)) or not hasattr(value, "__iter__")
        ):
            raise TypeError(
                f"{name}: expected an iterable of (x, y) batches (e.g. SequentialBatches), got "
                f"{type(value).__name__}"
            )
    for name in ("epochs", "steps", "eval_every"):
        if args[name] is not None:
            check_positive(name, args[name], integer=True)
    for name in ("time_limit_s", "clip_norm"):
        if args[name] is not None:
            check_positive(name, args[name])
    for name in ("stateful", "progress"):
        if not isinstance(args[name], bool):
            raise TypeError(f"{name}: expected True or False, got {args[name]!r}")
    if args["autocast_bf16"] not in (None, True, False):
        raise TypeError(
            f"autocast_bf16: expected None, True or False, got {args['autocast_bf16']!r}"
        )
    callbacks = args["callbacks"]
    if callable(callbacks) or not all(callable(c) for c in callbacks):
        raise TypeError(
            f"callbacks: expected a list of callables f(step, history), got {callbacks!r}"
        )
    if not isinstance(args["optimizer"], (str, torch.optim.Optimizer)):
        raise TypeError(
            f"optimizer: expected 'adam', 'sgd' or a torch.optim.Optimizer, got "
            f"{type(args['optimizer']).__name__}"
        )
    if isinstance(args["optimizer"], torch.optim.Optimizer) and args["lr"] is not None:
        raise ValueError(
            f"lr: a ready optimizer brings its own learning rate "
            f"({args['optimizer'].param_groups[0]['lr']:g}), got lr={args['lr']!r} as well; set "
            f"it when building the optimizer"
        )
    total = planned_steps(args["train_batches"], epochs=epochs, steps=steps)
    lr_factor(args["lr_schedule"], 1, total)  # a bad schedule fails now, not after an epoch
    if total is not None and total > LONG_RUN_STEPS and time_limit_s is None:
        warnings.warn(
            f"train: {total:,} steps are planned with no time_limit_s; at a few milliseconds "
            f"a step this runs for hours (give time_limit_s= to bound it)",
            stacklevel=3,
        )
    return total


def _step_keeping(opt, params, last_good) -> None:
    """Remember the weights (their loss was finite), then step; Ctrl-C mid-step undoes it."""
    with torch.no_grad():
        for keep, p in zip(last_good, params):
            keep.copy_(p)
    try:
        opt.step()
    except KeyboardInterrupt:
        with torch.no_grad():
            for keep, p in zip(last_good, params):
                p.copy_(keep)
        raise


def _diverged(history, model, params, last_good, step, loss, grad_norm, clip_norm, opt):
    """Put back the last weights with a finite loss and raise TrainingDiverged with advice."""
    what = f"loss became {loss}" if not math.isfinite(loss) else f"gradient norm became {grad_norm}"
    if step == 1:
        bad = [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]
        cause = (
            f"the model's weights were not finite before training ({', '.join(bad)})"
            if bad
            else "the very first batch overflows: check the inputs and the initialisation"
        )
    else:
        if not math.isfinite(loss):  # the last step made it: undo that step
            with torch.no_grad():
                for keep, p in zip(last_good, params):
                    p.copy_(keep)
        lr_now = opt.param_groups[0]["lr"]
        cause = (
            f"gradient clipping is on (clip_norm={clip_norm}), so lower the learning rate "
            f"(lr now {lr_now:.3g})"
            if clip_norm is not None
            else f"turn on gradient clipping (clip_norm=1.0) or lower the learning rate "
            f"(lr now {lr_now:.3g})"
        )
        cause = f"the weights that gave step {step - 1} its finite loss were restored; {cause}"
    history.stop_reason = f"diverged at step {step}"
    raise TrainingDiverged(f"training {what} at step {step}: {cause}", history, step)


def _progress_bar(total, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="train", unit="step", leave=True)


def _validate_into(history: History, model, val_batches, device, step: int) -> int:
    result = evaluate(model, val_batches, device=device)
    history.val_step.append(step)
    history.val_loss.append(result["nll"])
    history.val_ppl.append(result["ppl"])
    if result["nll"] < history.best_val_loss:
        history.best_val_loss, history.best_step = result["nll"], step
    model.train()
    return step


def _stop_reason(callbacks, history: History, step: int, steps, time_limit_s) -> str:
    for callback in callbacks:
        try:
            if callback(step, history):
                return f"callback {getattr(callback, '__name__', type(callback).__name__)}"
        except StopTraining as stop:
            return f"StopTraining: {stop}" if str(stop) else "StopTraining"
    if steps is not None and step >= steps:
        return "steps"
    if time_limit_s is not None and history.wall_time[-1] >= time_limit_s:
        return "time_limit_s"
    return ""
