"""Choosing where tensors live, and mixed precision where it helps.

``pick_device()`` returns CUDA when a GPU is there, else Apple's MPS, else the CPU.  The choice
can be forced by an argument or by the environment variable ``RNNBOOK_DEVICE`` (``"cpu"``,
``"cuda"``, ``"cuda:1"``, ``"mps"``); asking for a device that is not there is an error, not a
silent fall-back.  Everything in the course runs on a CPU.

``autocast(device)`` computes in bfloat16 on CUDA (matrix products in half the memory traffic,
with float32's exponent range, so no loss scaling is needed) and does nothing on the CPU unless
asked to.
"""

from __future__ import annotations

import contextlib
import os

import torch

__all__ = ["ENV_DEVICE", "autocast", "pick_device"]

ENV_DEVICE = "RNNBOOK_DEVICE"


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(
    override: str | torch.device | None = None, *, name: str = "override"
) -> torch.device:
    """The device to compute on: ``override``, else ``$RNNBOOK_DEVICE``, else CUDA > MPS > CPU.

    Raises ``RuntimeError`` naming the request when the requested device is not available,
    ``ValueError`` for a string that is not a device, and ``TypeError`` for anything but a
    string, a ``torch.device`` or None.  Every device argument in rnnbook goes through here;
    ``name`` is the argument's name that the messages use (``device``, ``map_location``).
    """
    source = name
    if isinstance(override, torch.device):
        override = str(override)
    if override is not None and not isinstance(override, str):
        raise TypeError(
            f"{source}: expected a device name such as 'cpu' or 'cuda:0', a torch.device or "
            f"None, got {type(override).__name__} {override!r}"
        )
    if override is None:
        override = os.environ.get(ENV_DEVICE) or None
        source = ENV_DEVICE
    if override is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(override)
    except (RuntimeError, TypeError) as err:
        raise ValueError(
            f"{source}: expected a device such as 'cpu', 'cuda', 'cuda:0' or 'mps', "
            f"got {override!r}"
        ) from err
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"{source}: requested {override!r}, but torch.cuda.is_available() is False "
                f"(no GPU, or a CPU-only build of torch {torch.__version__})"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"{source}: requested {override!r}, but only {torch.cuda.device_count()} "
                f"CUDA device(s) are visible"
            )
    elif device.type == "mps" and not _mps_available():
        raise RuntimeError(f"{source}: requested {override!r}, but MPS is not available here")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"{source}: expected 'cpu', 'cuda' or 'mps', got {override!r}")
    return device


def autocast(device: str | torch.device, enabled: bool | None = None, dtype=torch.bfloat16):
    """A context manager for mixed precision on ``device``.

    ``enabled=None`` (default): bfloat16 autocast on CUDA, a no-op elsewhere.  ``enabled=True``
    turns it on for the CPU too (slow on most CPUs, useful to test); ``enabled=False`` is a no-op.
    """
    if enabled not in (None, True, False):
        raise TypeError(f"enabled: expected None, True or False, got {enabled!r}")
    if dtype not in (torch.bfloat16, torch.float16):
        raise ValueError(f"dtype: expected torch.bfloat16 or torch.float16, got {dtype!r}")
    if enabled is False:  # nothing to do, on any device, present or not
        return contextlib.nullcontext()
    device = pick_device(device, name="device")
    if enabled is None:
        enabled = device.type == "cuda"
    if not enabled:
        return contextlib.nullcontext()
    if device.type not in ("cuda", "cpu"):
        raise ValueError(f"device: autocast supports 'cuda' and 'cpu', got {device.type!r}")
    return torch.autocast(device_type=device.type, dtype=dtype)
