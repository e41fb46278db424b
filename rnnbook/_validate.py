"""Input checks shared by rnnbook's public entry points, numpy and torch alike.

Every error names the argument, says what was expected and what arrived, e.g.
``h_prev: expected shape (n_h, B) = (64, 32), got (32, 64)``.  One exception type per kind of
mistake, in both halves: ``TypeError`` for a wrong type or dtype (a list for an array, an integer
array for a float one, a float for a count), ``ValueError`` for a wrong shape or value (a
negative size, a NaN, an index out of range, an unknown option).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np


def _tuple(items: Sequence[str]) -> str:
    return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"


def fmt_shape(names: Sequence[str | None], shape: Sequence[int | None]) -> str:
    """``(n_h, B) = (64, ?)``: named dimensions and their sizes (``?`` for a free one)."""
    labels = [n if n is not None else str(s) for n, s in zip(names, shape)]
    known = [str(s) if s is not None else "?" for s in shape]
    if names and any(n is not None for n in names):
        return f"{_tuple(labels)} = {_tuple(known)}"
    return _tuple(known)


def check_array(
    name: str,
    value,
    shape: Sequence[int | None] | None = None,
    dims: Sequence[str | None] | None = None,
    *,
    ndim: int | None = None,
    allow_nan: bool = False,
    dtype_kind: str = "f",
) -> np.ndarray:
    """Check that ``value`` is a numpy array of the right kind and shape; return it.

    ``shape`` may hold ``None`` for a free dimension; ``dims`` names the dimensions for the
    message (``("n_h", "B")``).  ``dtype_kind`` is a string of numpy kind codes that are
    accepted ("f" float, "i"/"u" integers, "b" bool).
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name}: expected a numpy array, got {type(value).__name__}")
    if value.dtype.kind not in dtype_kind:
        kinds = {"f": "floating", "i": "integer", "u": "unsigned integer", "b": "boolean"}
        want = " or ".join(kinds.get(k, k) for k in dtype_kind)
        article = "an" if want[0] in "aeiou" else "a"
        raise TypeError(f"{name}: expected {article} {want} array, got dtype {value.dtype}")
    want_ndim = len(shape) if shape is not None else ndim
    if want_ndim is not None and value.ndim != want_ndim:
        expected = fmt_shape(dims or [None] * want_ndim, shape) if shape else f"{want_ndim}-D"
        raise ValueError(
            f"{name}: expected a {want_ndim}-D array of shape {expected}, got shape {value.shape}"
        )
    if shape is not None and any(s is not None and s != v for s, v in zip(shape, value.shape)):
        expected = fmt_shape(dims or [None] * len(shape), shape)
        raise ValueError(f"{name}: expected shape {expected}, got {value.shape}")
    if value.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {value.shape}")
    if not allow_nan and value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        bad = np.argwhere(~np.isfinite(value))[0]
        raise ValueError(
            f"{name}: expected finite values, got {value[tuple(bad)]} at index {tuple(bad.tolist())}"
        )
    return value


def check_positive(name: str, value, *, integer: bool = False, allow_zero: bool = False):
    """Check a positive (or non-negative) scalar; return it."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "an integer" if integer else "a real number"
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: expected a finite number {bound}, got {value!r}")
    return value


def check_choice(name: str, value, choices: Sequence) -> object:
    """Check that ``value`` is one of ``choices``; return it."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {list(choices)}, got {value!r}")
    return value


def check_tensor(name: str, value, shape: Sequence[int | None], dims: Sequence[str]):
    """The torch counterpart of :func:`check_array`, with the same messages and exception types:
    ``TypeError`` for something that is not a floating-point ``torch.Tensor``, ``ValueError``
    for a wrong shape, an empty tensor or a non-finite value.  Returns the tensor."""
    import torch  # only the torch half calls this; the numpy half never imports torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {value.dtype}")
    got = tuple(value.shape)
    if value.dim() != len(shape):
        raise ValueError(
            f"{name}: expected a {len(shape)}-D tensor of shape {fmt_shape(dims, shape)}, "
            f"got shape {got}"
        )
    if any(s is not None and s != v for s, v in zip(shape, got)):
        raise ValueError(f"{name}: expected shape {fmt_shape(dims, shape)}, got {got}")
    if value.numel() == 0:
        raise ValueError(
            f"{name}: expected a non-empty tensor of shape {fmt_shape(dims, shape)}, "
            f"got shape {got}"
        )
    # the finiteness check reads the values: under torch.compile it would break the graph
    if not torch.compiler.is_compiling() and not bool(torch.isfinite(value).all()):
        bad = tuple(torch.nonzero(~torch.isfinite(value))[0].tolist())
        raise ValueError(f"{name}: expected finite values, got {value[bad].item()} at index {bad}")
    return value
