"""Exercise checkers: helpers shared by every notebook's checks.

A checker raises :class:`CheckFailed` with a message that says precisely what is wrong and
hints at why, or :class:`NotAttempted` when the student's code still raises
``NotImplementedError``.  The grader reports the message of whichever arrives.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class CheckFailed(AssertionError):
    """The student's answer is wrong; the message says where and suggests why."""


class NotAttempted(CheckFailed):
    """The student's answer is still the stub that raises ``NotImplementedError``."""


def call_student(fn: Callable, *args, name: str | None = None, **kwargs):
    """Call a student's function; turn the stub's ``NotImplementedError`` into NotAttempted."""
    label = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise CheckFailed(f"{label}: expected a function, got {type(fn).__name__}")
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted(
            f"{label} is not attempted yet (it raises NotImplementedError)"
        ) from None


def expect_attempted(value, name: str):
    """Raise NotAttempted when a variable the student must set is still ``None`` or ``...``."""
    if value is None or value is Ellipsis:
        raise NotAttempted(f"{name} is not attempted yet (it is still {value!r})")
    return value


def as_float_array(name: str, got) -> np.ndarray:
    """``got`` as a float array, or CheckFailed naming what arrived instead."""
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a numeric array, got {type(got).__name__}") from None


def expect_shape(name: str, got, shape: tuple, hint: str = "") -> np.ndarray:
    """Check that ``got`` is an array-like of ``shape``."""
    arr = np.asarray(got)
    if arr.shape != tuple(shape):
        msg = f"{name} has shape {arr.shape}, expected {tuple(shape)}"
        raise CheckFailed(f"{msg}: {hint}" if hint else msg)
    return arr


def expect_close(
    name: str,
    got,
    expected,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Check ``got`` against ``expected`` element-wise; report the worst element by index."""
    expected = np.asarray(expected, dtype=float)
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be numeric, got {type(got).__name__}") from None
    expect_shape(name, got_arr, expected.shape, hint)
    if not np.all(np.isfinite(got_arr)):
        raise CheckFailed(f"{name} contains NaN or inf" + (f": {hint}" if hint else ""))
    err = np.abs(got_arr - expected)
    tol = atol + rtol * np.abs(expected)
    if np.all(err <= tol):
        return
    if expected.ndim == 0:
        msg = f"{name} is {got_arr.item():.6g}, expected {expected.item():.6g}"
    else:
        idx = np.unravel_index(np.argmax(err - tol), err.shape)
        where = ",".join(str(int(i)) for i in idx)
        msg = (
            f"{name} differs from the expected value at {name}[{where}] by {err[idx]:.2g} "
            f"(got {got_arr[idx]:.6g}, expected {expected[idx]:.6g})"
        )
    raise CheckFailed(f"{msg}: {hint}" if hint else msg)


def expect_true(condition: bool, message: str) -> None:
    """Raise CheckFailed with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)
