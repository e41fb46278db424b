"""Saving and resuming training: model, optimiser, scheduler, random generators and step.

A checkpoint is a dict of tensors and plain Python values written with ``torch.save``.  Two
promises:

* **Loading never runs code.**  ``torch.load(..., weights_only=True)`` rebuilds only tensors,
  numbers, strings, lists, tuples and dicts; a file that holds any other pickled object (one whose
  ``__reduce__`` would call a function, say) is refused with :class:`CheckpointError` before
  anything in it is executed.  So the random-generator states are stored as tensors and plain
  values: Python's Mersenne Twister words and numpy's key array as int64 tensors, torch's
  states as the byte tensors torch returns.
* **Writing is atomic.**  The checkpoint goes to a temporary file in the target's directory,
  is flushed and fsync'ed, read back (with ``weights_only=True``) to check it, and only then
  renamed over the target with ``os.replace``, which is atomic on POSIX and Windows.  If anything
  fails on the way, the temporary file is removed and an older checkpoint at the target stays
  as it was.

Restoring the generators as well as the weights makes a resumed run on the CPU take exactly the
same steps as an uninterrupted one (same dropout masks, same shuffles).
"""

from __future__ import annotations

import os
import pickle
import random
import tempfile
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "FORMAT",
    "CheckpointError",
    "get_rng_state",
    "load_checkpoint",
    "save_checkpoint",
    "set_rng_state",
]

FORMAT = "rnnbook-checkpoint/1"


class CheckpointError(RuntimeError):
    """A checkpoint could not be loaded safely, or is not an rnnbook checkpoint."""


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


def set_rng_state(state: dict) -> None:
    """Restore the generators from :func:`get_rng_state`'s dict."""
    py = state["python"]
    random.setstate((py["version"], tuple(int(w) for w in py["words"].tolist()), py["gauss_next"]))
    npy = state["numpy"]
    np.random.set_state(
        (
            npy["name"],
            npy["keys"].numpy().astype(np.uint32),
            npy["pos"],
            npy["has_gauss"],
            npy["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


# --------------------------------------------------------------------------- save and load


def _write(payload: dict, fileobj) -> None:
    """Serialise ``payload`` into an open binary file (one place, so tests can interrupt it)."""
    torch.save(payload, fileobj)


def _safe_load(path: Path, map_location="cpu") -> dict:
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"path: refused to load {str(path)!r}: it holds objects other than tensors and "
            f"plain Python values, and unpickling them could run arbitrary code. Only load "
            f"checkpoints written by rnnbook.checkpoint.save_checkpoint. ({err.__class__.__name__}"
            f": {str(err).splitlines()[0] if str(err) else ''})"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"path: expected an rnnbook checkpoint (format {FORMAT!r}) in {str(path)!r}, got "
            f"{type(payload).__name__} with format "
            f"{payload.get('format') if isinstance(payload, dict) else None!r}"
        )
    return payload


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

    ``extra`` may hold tensors and plain values (numbers, strings, lists, dicts).  The write is
    atomic (see the module docstring); returns the path.
    """
    path = Path(path)
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step: expected a non-negative int, got {step!r}")
    payload = {
        "format": FORMAT,
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": get_rng_state(),
        "extra": extra if extra is not None else {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(payload, f)
            f.flush()
            os.fsync(f.fileno())
        _safe_load(tmp)  # read back before it replaces anything
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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

    Returns the checkpoint dict (``step``, ``extra``, the state dicts).  Raises
    :class:`CheckpointError` for a file that holds anything but tensors and plain values.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: expected an existing checkpoint file, got {str(path)!r}")
    payload = _safe_load(path, map_location)
    if model is not None:
        model.load_state_dict(payload["model"])
    if optimizer is not None:
        if payload["optimizer"] is None:
            raise CheckpointError(f"optimizer: {str(path)!r} holds no optimiser state")
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None:
        if payload["scheduler"] is None:
            raise CheckpointError(f"scheduler: {str(path)!r} holds no scheduler state")
        scheduler.load_state_dict(payload["scheduler"])
    if restore_rng:
        set_rng_state(payload["rng"])
    return payload
