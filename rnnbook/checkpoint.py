"""Saving and resuming training: model, optimiser, scheduler, random generators and step.

A checkpoint is a dict of tensors and plain Python values written with ``torch.save``.  Three
promises:

* **Loading never runs code.**  ``torch.load(..., weights_only=True)`` rebuilds only tensors,
  numbers, strings, lists, tuples and dicts; a file that holds any other pickled object (one whose
  ``__reduce__`` would call a function, say) is refused with :class:`CheckpointError` before
  anything in it is executed.  So the random-generator states are stored as tensors and plain
  values: Python's Mersenne Twister words and numpy's key array as int64 tensors, torch's
  states as the byte tensors torch returns.
* **Writing is atomic** (:func:`rnnbook.fileio.atomic_write`): the checkpoint goes to a
  temporary file in the target's folder, is fsync'ed, read back and checked, and only then
  renamed over the target.  An interrupted save (an error, Ctrl-C, a killed process) leaves an
  older checkpoint at the target as it was; a temporary file that a killed process left behind
  is removed by the next save or load.
* **Loading is all or nothing.**  :func:`load_checkpoint` first checks every part it was asked
  to restore (the model's keys, shapes and dtypes; the optimiser's and scheduler's class and the
  shapes of their state) and only then changes anything; a file that is empty, truncated,
  corrupt (a checksum of the zip archive does not match) or not an rnnbook checkpoint raises
  :class:`CheckpointError`, which says which of these it is and where the file is.

Restoring the generators as well as the weights makes a resumed run on the CPU take exactly the
same steps as an uninterrupted one (same dropout masks, same shuffles):
:func:`resume_training` loads a checkpoint and trains on from its step.
"""

from __future__ import annotations

import copy
import os
import pickle
import random
import zipfile
from pathlib import Path

import numpy as np
import torch

from rnnbook.devices import pick_device
from rnnbook.fileio import atomic_write, remove_stale_temps

__all__ = [
    "FORMAT",
    "CheckpointError",
    "get_rng_state",
    "load_checkpoint",
    "resume_training",
    "save_checkpoint",
    "set_rng_state",
]

FORMAT = "rnnbook-checkpoint/2"
_READABLE = ("rnnbook-checkpoint/1", FORMAT)  # version 1 did not record the optimiser's class


class CheckpointError(RuntimeError):
    """A checkpoint is empty, truncated, corrupt, not a checkpoint, unsafe, or does not fit."""


# --------------------------------------------------------------------------- random generators


def get_rng_state() -> dict:
    """The states of Python's, numpy's (global) and torch's generators, as plain data."""
    version, words, gauss_next = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state = {
        "python": {
            "version": int(version),
            "words": torch.tensor(words, dtype=torch.int64),
            "gauss_next": gauss_next,
        },
        "numpy": {
            "name": str(name),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _check_rng_state(state) -> None:
    parts = {"python": ("version", "words", "gauss_next"), "numpy": ("name", "keys", "pos")}
    if not isinstance(state, dict) or not all(k in state for k in ("python", "numpy", "torch")):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(
            f"state: expected get_rng_state()'s dict with keys 'python', 'numpy', 'torch', "
            f"got {got}"
        )
    for part, keys in parts.items():
        if not isinstance(state[part], dict) or any(k not in state[part] for k in keys):
            raise ValueError(f"state: expected {part!r} to hold {list(keys)}, got {state[part]!r}")
    if not isinstance(state["torch"], torch.Tensor) or state["torch"].dtype != torch.uint8:
        raise ValueError("state: expected 'torch' to be the uint8 tensor torch.get_rng_state gives")


def set_rng_state(state: dict) -> None:
    """Restore the generators from :func:`get_rng_state`'s dict (checked before any is set)."""
    _check_rng_state(state)
    py, npy = state["python"], state["numpy"]
    py_state = (py["version"], tuple(int(w) for w in py["words"].tolist()), py["gauss_next"])
    np_state = (
        npy["name"],
        npy["keys"].numpy().astype(np.uint32),
        npy["pos"],
        npy.get("has_gauss", 0),
        npy.get("cached_gaussian", 0.0),
    )
    random.setstate(py_state)
    np.random.set_state(np_state)
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------- reading a file


def _fail(path: Path, what: str, detail: str) -> CheckpointError:
    return CheckpointError(f"path: {str(path)!r} is {what}: {detail}")


def _safe_load(path: Path, map_location="cpu") -> dict:
    """Read and classify ``path``: the payload dict, or CheckpointError saying what is wrong."""
    size = path.stat().st_size
    if size == 0:
        raise _fail(path, "empty", "0 bytes (a save that never started writing)")
    with open(path, "rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04":
        raise _fail(
            path,
            "not a checkpoint",
            f"it does not start like a torch.save zip archive (first bytes {head!r}, "
            f"{size} bytes in all)",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        raise _fail(
            path,
            "truncated",
            f"{size} bytes, and the end of its zip archive is missing (a save that was cut "
            f"short, or a partial copy)",
        ) from None
    if bad is not None:
        raise _fail(
            path, "corrupt", f"the checksum of its part {bad!r} does not match (damaged bytes)"
        )
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        first = str(err).splitlines()[0] if str(err) else ""
        raise CheckpointError(
            f"path: refused to load {str(path)!r}: it holds objects other than tensors and "
            f"plain Python values, and unpickling them could run arbitrary code. Only load "
            f"checkpoints written by rnnbook.checkpoint.save_checkpoint. "
            f"({err.__class__.__name__}: {first})"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise _fail(
            path, "corrupt", f"torch.load failed ({err.__class__.__name__}: {err})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") not in _READABLE:
        fmt = payload.get("format") if isinstance(payload, dict) else None
        raise _fail(
            path,
            "not a checkpoint",
            f"expected an rnnbook checkpoint (format {FORMAT!r}), got a "
            f"{type(payload).__name__} with format {fmt!r}",
        )
    return payload


# --------------------------------------------------------------------------- save


def _class_name(obj) -> str:
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def save_checkpoint(
    path: str | os.PathLike,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler=None,
    *,
    step: int = 0,
    extra: dict | None = None,
) -> Path:
    """Write model, optimiser, scheduler, generator states, ``step`` and ``extra`` to ``path``.

    ``extra`` may hold tensors and plain values (numbers, strings, lists, dicts).  The classes
    of the optimiser and the scheduler are recorded, so that a load into another kind is
    refused.  The write is atomic (see the module docstring); returns the path.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer: expected a torch.optim.Optimizer or None, got {type(optimizer).__name__}"
        )
    if scheduler is not None and not hasattr(scheduler, "state_dict"):
        raise TypeError(
            f"scheduler: expected an object with state_dict() (a torch.optim.lr_scheduler), "
            f"got {type(scheduler).__name__}"
        )
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step: expected a non-negative int, got {step!r}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra: expected a dict or None, got {type(extra).__name__}")
    payload = {
        "format": FORMAT,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "optimizer_class": _class_name(optimizer) if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "scheduler_class": _class_name(scheduler) if scheduler is not None else None,
        "rng": get_rng_state(),
        "extra": extra if extra is not None else {},
    }
    return atomic_write(path, lambda f: _write(payload, f), check=_safe_load)


def _write(payload: dict, fileobj) -> None:
    """Serialise ``payload`` into an open binary file."""
    torch.save(payload, fileobj)


# --------------------------------------------------------------------------- load


def _check_model(path: Path, model: torch.nn.Module, saved: dict) -> None:
    own = model.state_dict()
    missing, unexpected = sorted(set(own) - set(saved)), sorted(set(saved) - set(own))
    if missing or unexpected:
        raise CheckpointError(
            f"model: {str(path)!r} does not fit this model: keys missing from the file "
            f"{missing[:5]}, keys in the file the model lacks {unexpected[:5]}; nothing was "
            f"changed"
        )
    for key, want in own.items():
        got = saved[key]
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            raise CheckpointError(
                f"model: {key!r} in {str(path)!r} has shape {shape}, the model expects "
                f"{tuple(want.shape)} (another vocabulary or n_h?); nothing was changed"
            )
        if got.dtype != want.dtype:
            raise CheckpointError(
                f"model: {key!r} in {str(path)!r} is {got.dtype}, the model's is {want.dtype}; "
                f"convert the model first (model.to({got.dtype})); nothing was changed"
            )


def _check_optimizer(path: Path, optimizer, saved: dict | None, saved_class: str | None) -> None:
    if saved is None:
        raise CheckpointError(
            f"optimizer: {str(path)!r} holds no optimiser state (it was saved without one); "
            f"nothing was changed"
        )
    own_class = _class_name(optimizer)
    if saved_class is not None and saved_class != own_class:
        raise CheckpointError(
            f"optimizer: {str(path)!r} holds the state of a {saved_class}, got a {own_class} to "
            f"restore it into; build the same kind of optimiser, or pass optimizer=None to load "
            f"the weights only; nothing was changed"
        )
    groups = saved.get("param_groups", [])
    own_groups = optimizer.param_groups
    sizes = [len(g["params"]) for g in groups]
    own_sizes = [len(g["params"]) for g in own_groups]
    if sizes != own_sizes:
        raise CheckpointError(
            f"optimizer: {str(path)!r} holds parameter groups of sizes {sizes}, this optimiser "
            f"has {own_sizes}; nothing was changed"
        )
    params = {}
    for group, own in zip(groups, own_groups):
        params.update(zip(group["params"], own["params"]))
    own_keys = {k for g in own_groups for k in g if k != "params"}
    for group in groups:
        extra_keys = set(group) - own_keys - {"params"}
        if saved_class is None and extra_keys:  # version 1: no class; tell kinds by their keys
            raise CheckpointError(
                f"optimizer: {str(path)!r} holds an optimiser with settings {sorted(extra_keys)} "
                f"that a {own_class} does not have; nothing was changed"
            )
    for index, state in saved.get("state", {}).items():
        param = params.get(index)
        for name, value in state.items():
            if param is None or not isinstance(value, torch.Tensor) or value.dim() == 0:
                continue
            if value.shape != param.shape:
                raise CheckpointError(
                    f"optimizer: state {name!r} of parameter {index} in {str(path)!r} has shape "
                    f"{tuple(value.shape)}, the parameter has {tuple(param.shape)}; nothing "
                    f"was changed"
                )


def load_checkpoint(
    path: str | os.PathLike,
    model: torch.nn.Module | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler=None,
    *,
    restore_rng: bool = True,
    map_location="cpu",
) -> dict:
    """Load ``path`` safely and restore what is given: model, optimiser, scheduler, generators.

    Everything asked for is checked first (keys, shapes, dtypes, the optimiser's and the
    scheduler's class, the generator states); if any part does not fit, :class:`CheckpointError`
    says which and nothing is changed.  Returns the checkpoint dict (``step``, ``extra``, the
    state dicts).  ``map_location``: where tensors are loaded (a device name goes through
    :func:`rnnbook.devices.pick_device`).  A temporary file that a killed save left beside
    ``path`` is removed.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    for name, value, kind in (
        ("model", model, torch.nn.Module),
        ("optimizer", optimizer, torch.optim.Optimizer),
    ):
        if value is not None and not isinstance(value, kind):
            raise TypeError(
                f"{name}: expected a {kind.__name__} or None, got {type(value).__name__}"
            )
    if scheduler is not None and not hasattr(scheduler, "load_state_dict"):
        raise TypeError(
            f"scheduler: expected an object with load_state_dict(), got {type(scheduler).__name__}"
        )
    if not isinstance(restore_rng, bool):
        raise TypeError(f"restore_rng: expected True or False, got {restore_rng!r}")
    if isinstance(map_location, (str, torch.device)):
        map_location = pick_device(map_location, name="map_location")
    path = Path(path)
    remove_stale_temps(path)
    if not path.is_file():
        what = "a folder" if path.is_dir() else "nothing there"
        raise FileNotFoundError(
            f"path: expected an existing checkpoint file, got {str(path)!r} ({what})"
        )
    payload = _safe_load(path, map_location)

    # 1. check every part that was asked for
    if model is not None:
        _check_model(path, model, payload.get("model") or {})
    if optimizer is not None:
        _check_optimizer(path, optimizer, payload.get("optimizer"), payload.get("optimizer_class"))
    if scheduler is not None:
        if payload.get("scheduler") is None:
            raise CheckpointError(f"scheduler: {str(path)!r} holds no scheduler state")
        saved_class = payload.get("scheduler_class")
        if saved_class is not None and saved_class != _class_name(scheduler):
            raise CheckpointError(
                f"scheduler: {str(path)!r} holds the state of a {saved_class}, got a "
                f"{_class_name(scheduler)}; nothing was changed"
            )
    if restore_rng:
        try:
            _check_rng_state(payload.get("rng"))
        except ValueError as err:
            raise CheckpointError(
                f"rng: {str(path)!r} holds no usable generator states ({err})"
            ) from None

    # 2. only then change anything; undo the model if a later part still fails
    backup = copy.deepcopy(model.state_dict()) if model is not None else None
    try:
        if model is not None:
            model.load_state_dict(payload["model"])
        if optimizer is not None:
            optimizer.load_state_dict(payload["optimizer"])
        if scheduler is not None:
            scheduler.load_state_dict(payload["scheduler"])
    except Exception as err:
        if model is not None:
            model.load_state_dict(backup)
        raise CheckpointError(
            f"path: {str(path)!r} could not be restored ({err}); the model was left as it was"
        ) from err
    if restore_rng:
        set_rng_state(payload["rng"])
    return payload


# --------------------------------------------------------------------------- resume


class _Resumed:
    """``batches`` whose first pass starts ``skip`` batches in (where the checkpoint was)."""

    def __init__(self, batches, skip: int):
        self.batches, self.skip = batches, skip
        self.sequential = getattr(batches, "sequential", True)

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self):
        skip, self.skip = self.skip, 0
        for i, batch in enumerate(self.batches):
            if i >= skip:
                yield batch


def resume_training(path, model, train_batches, *, optimizer, **train_kwargs):
    """Load the checkpoint at ``path`` into ``model`` and ``optimizer`` and train on from its step.

    Give the same batches and the same ``train`` arguments (``epochs``/``steps``,
    ``lr_schedule``, ...) as the interrupted run: the batches already trained on are passed
    over, the learning-rate schedule continues where it was, and the returned
    :class:`~rnnbook.history.History` numbers its steps (and epochs) from where the checkpoint
    was written, so that ``first.train_loss + rest.train_loss`` is the whole run.  With the
    generators restored too, the result on the CPU equals an uninterrupted run bit for bit
    (for ``stateful`` training, resume at an epoch end: the carried hidden state is not saved).
    ``history.wall_time`` counts from the resume.  A checkpoint already at the planned end is
    an error (nothing is left to train).
    """
    from rnnbook.training import lr_factor, planned_steps, train

    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer: expected the torch.optim.Optimizer to restore, got "
            f"{type(optimizer).__name__}"
        )
    epochs, steps = train_kwargs.pop("epochs", None), train_kwargs.pop("steps", None)
    schedule = train_kwargs.pop("lr_schedule", None)
    total = planned_steps(train_batches, epochs=epochs, steps=steps)
    start = load_checkpoint(path, model, optimizer)["step"]
    try:
        n_batches = len(train_batches)
    except TypeError:
        raise TypeError(
            f"train_batches: expected batches with a len() to find step {start} in them, got "
            f"{type(train_batches).__name__}"
        ) from None
    done_epochs, skip = divmod(start, n_batches)
    if total is not None and start >= total:
        raise ValueError(
            f"path: the checkpoint is at step {start}, and the run planned {total} steps: "
            f"nothing is left to train"
        )
    if schedule is not None:
        shifted = lambda s: lr_factor(schedule, s + start, total)  # noqa: E731
    history = train(
        model,
        _Resumed(train_batches, skip),
        epochs=None if epochs is None else epochs - done_epochs,
        steps=None if steps is None else steps - start,
        optimizer=optimizer,
        lr_schedule=shifted if schedule is not None else None,
        **train_kwargs,
    )
    history.step = [s + start for s in history.step]
    history.val_step = [s + start for s in history.val_step]
    history.epoch = [e + done_epochs for e in history.epoch]
    if history.best_step >= 0:
        history.best_step += start
    return history
