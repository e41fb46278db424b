"""Synthetic long-lag tasks: problems a network can only solve by remembering far back.

Two classics from the literature on vanishing gradients (Hochreiter & Schmidhuber 1997;
Le et al. 2015; Arjovsky et al. 2016). Both generators take a length or lag, a batch size and a
numpy Generator, so that a batch is reproducible; neither imports torch.

**The adding problem** (:func:`adding_problem`). Each time step carries two numbers: a value
drawn uniformly from [0, 1) and a marker, 0 or 1. Exactly two steps are marked, one in the first
half of the sequence and one in the second; the target, read after the last step, is the sum of
the two marked values. Predicting the mean (1) without looking gives a mean squared error of
Var(u₁ + u₂) = 2/12 = 1/6 (:func:`adding_baseline_mse`): a model that has not learned to
remember stays at that level.

**The copy task** (:func:`copy_task`). The first ``n_symbols`` steps show symbols from
{1, …, n_classes}; then come ``lag`` blank steps (symbol 0), a delimiter (symbol
n_classes + 1) where the model must start answering, and ``n_symbols − 1`` more blanks. The
target is blank everywhere except the last ``n_symbols`` steps, where it is the symbols shown at
the start, in order. Answering blank, then guessing uniformly, gives
:func:`copy_baseline_loss`.

Layouts (``layout=``):

- ``"numpy"`` (default, the course's numpy convention, columns are examples): ``x (T, n_x, B)``;
  adding targets ``y (1, B)``; copy targets ``y (T, B)`` integer classes.
- ``"torch"`` (PyTorch's time-major order, rows are examples): ``x (T, B, n_x)``; adding
  targets ``y (B, 1)``; copy targets ``y (T, B)``. Wrap with ``torch.from_numpy``.
"""

from __future__ import annotations

import numpy as np

from rnnbook._validate import check_choice, check_positive

__all__ = [
    "adding_problem",
    "adding_baseline_mse",
    "copy_task",
    "copy_baseline_loss",
    "LAYOUTS",
]

LAYOUTS = ("numpy", "torch")
MAX_ELEMENTS = 100_000_000
"""The largest batch (entries of x) a generator builds: 10^8 float32 entries are 400 MB."""


def _check_dtype(dtype, kinds: str = "f") -> np.dtype:
    """A numpy dtype of one of ``kinds``; integers would truncate the adding problem's values."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype: expected a numpy dtype such as np.float32, got {dtype!r}") from err
    if dt.kind not in kinds:
        want = (
            "a floating dtype (an integer dtype would truncate the inputs)"
            if kinds == "f"
            else "a numeric dtype (float or integer)"
        )
        raise TypeError(f"dtype: expected {want}, got {dt}")
    return dt


def _check_size(n_elements: int, shape: str) -> None:
    if n_elements > MAX_ELEMENTS:
        raise ValueError(
            f"batch: expected at most MAX_ELEMENTS = {MAX_ELEMENTS:,} entries in x, got "
            f"{n_elements:,} for x of shape {shape}; use a smaller batch or length"
        )


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
    return rng


def adding_problem(
    batch: int, length: int, rng: np.random.Generator, *, layout: str = "numpy", dtype=np.float32
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the adding problem with sequences of ``length`` steps; returns ``(x, y)``.

    x[:, 0] holds values u^(t) ~ U[0, 1); x[:, 1] holds markers: one 1 at a step drawn
    uniformly from the first half (t < length // 2), one at a step drawn from the second half,
    0 elsewhere. y is the sum of the two marked values. The marked steps lie at least 1 and up to
    ``length − 1`` steps apart, so the first marked value must be kept for about half the
    sequence on average.

    Shapes: ``layout="numpy"``: x (T, 2, B), y (1, B); ``layout="torch"``: x (T, B, 2), y (B, 1);
    T = ``length`` ≥ 2, B = ``batch``. ``dtype`` must be a floating dtype (an integer one would
    truncate the values to 0).
    """
    check_positive("batch", batch, integer=True)
    check_positive("length", length, integer=True)
    if length < 2:
        raise ValueError(f"length: expected at least 2 steps (two marked steps), got {length}")
    _check_rng(rng)
    check_choice("layout", layout, LAYOUTS)
    dtype = _check_dtype(dtype, "f")
    _check_size(2 * length * batch, f"({length}, 2, {batch})")
    half = length // 2
    values = rng.uniform(0.0, 1.0, size=(length, batch))
    first = rng.integers(0, half, size=batch)  # one mark in the first half ...
    second = rng.integers(half, length, size=batch)  # ... and one in the second
    markers = np.zeros((length, batch))
    columns = np.arange(batch)
    markers[first, columns] = 1.0
    markers[second, columns] = 1.0
    y = values[first, columns] + values[second, columns]  # (B,)
    x = np.stack([values, markers], axis=1)  # (T, 2, B)
    if layout == "torch":
        return x.transpose(0, 2, 1).astype(dtype), y[:, None].astype(dtype)
    return x.astype(dtype), y[None, :].astype(dtype)


def adding_baseline_mse() -> float:
    """MSE of always answering 1, the mean of the target: Var(u₁ + u₂) = 2 · 1/12 = 1/6."""
    return 1.0 / 6.0


def copy_task(
    batch: int,
    lag: int,
    rng: np.random.Generator,
    *,
    n_symbols: int = 5,
    n_classes: int = 8,
    layout: str = "numpy",
    dtype=np.float32,
) -> tuple[np.ndarray, np.ndarray]:
    """A batch of the copy task; returns ``(x, y)`` with x one-hot and y integer classes.

    Symbols: 0 is the blank, 1..n_classes the data, n_classes + 1 the delimiter. The input is
    ``n_symbols`` data symbols, ``lag`` blanks, the delimiter, ``n_symbols − 1`` blanks; so
    T = 2 n_symbols + lag steps. The target is blank except at the last ``n_symbols`` steps,
    which repeat the data symbols: each one must be remembered for n_symbols + lag steps.

    Shapes: ``layout="numpy"``: x (T, n_classes + 2, B); ``layout="torch"``:
    x (T, B, n_classes + 2); y (T, B) int64 in both. ``dtype`` is x's: a float or an integer
    dtype (one-hot codes are exact in either).
    """
    check_positive("batch", batch, integer=True)
    check_positive("lag", lag, integer=True, allow_zero=True)
    check_positive("n_symbols", n_symbols, integer=True)
    check_positive("n_classes", n_classes, integer=True)
    _check_rng(rng)
    check_choice("layout", layout, LAYOUTS)
    dtype = _check_dtype(dtype, "fiu")
    T = 2 * n_symbols + lag
    _check_size(T * (n_classes + 2) * batch, f"({T}, {n_classes + 2}, {batch})")
    data = rng.integers(1, n_classes + 1, size=(n_symbols, batch))
    inputs = np.zeros((T, batch), dtype=np.int64)
    inputs[:n_symbols] = data
    inputs[n_symbols + lag] = n_classes + 1  # the delimiter: "now repeat"
    y = np.zeros((T, batch), dtype=np.int64)
    y[T - n_symbols :] = data
    x = np.eye(n_classes + 2, dtype=dtype)[inputs]  # (T, B, n_classes + 2)
    if layout == "numpy":
        x = x.transpose(0, 2, 1)
    return np.ascontiguousarray(x), y


def copy_baseline_loss(lag: int, *, n_symbols: int = 5, n_classes: int = 8) -> float:
    """Cross-entropy per step (nats) of the best memoryless answer to :func:`copy_task`.

    A model that cannot remember knows the blanks for sure (the delimiter tells it when the
    answer starts) and guesses uniformly among n_classes symbols at the n_symbols answer steps:
    n_symbols · log(n_classes) / T, with T = 2 n_symbols + lag.
    """
    check_positive("lag", lag, integer=True, allow_zero=True)
    check_positive("n_symbols", n_symbols, integer=True)
    check_positive("n_classes", n_classes, integer=True)
    return n_symbols * float(np.log(n_classes)) / (2 * n_symbols + lag)
