"""Checking hand-written gradients against central finite differences, in float64.

For a scalar function f of a dict of parameter arrays, the numerical gradient of element θ_j is

    ∂f/∂θ_j ≈ (f(θ + ε e_j) − f(θ − ε e_j)) / (2ε)

whose error is O(ε²) from truncation plus about 1e-16·|f|/ε from rounding: with ε = 1e-6 in
float64 a correct gradient agrees to about 1e-9 relative to its largest element.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_positive

__all__ = ["numerical_grads", "relative_error", "grad_check", "GradCheckReport"]


def _check_params(params) -> dict[str, np.ndarray]:
    if not isinstance(params, dict) or not params:
        got = "an empty dict" if isinstance(params, dict) else type(params).__name__
        raise TypeError(f"params: expected a non-empty dict of arrays, got {got}")
    for k, v in params.items():
        check_array(f"params['{k}']", v)
    return params


def numerical_grads(
    f: Callable[[dict], float], params: dict, eps: float = 1e-6
) -> dict[str, np.ndarray]:
    """Central-difference gradient of the scalar ``f(params)`` for every element of every array.

    ``params`` is copied to float64 and never modified; ``f`` receives the perturbed copy.
    Costs 2 calls of ``f`` per parameter element, so keep the sizes small: more than a million
    elements (two million calls of ``f``) are refused with the count.
    """
    if not callable(f):
        raise TypeError(f"f: expected a function of the parameter dict, got {type(f).__name__}")
    _check_params(params)
    check_positive("eps", eps)
    n = sum(np.asarray(v).size for v in params.values())
    if n > 1_000_000:
        raise ValueError(
            f"params: expected at most 1,000,000 elements for finite differences (2 calls of f "
            f"each), got {n:,}: check a smaller model"
        )
    theta = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    grads = {}
    for name, p in theta.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            keep = p[idx]
            p[idx] = keep + eps
            f_plus = _scalar(f(theta))
            p[idx] = keep - eps
            f_minus = _scalar(f(theta))
            p[idx] = keep  # restore before moving on
            g[idx] = (f_plus - f_minus) / (2.0 * eps)
        grads[name] = g
    return grads


def _scalar(value) -> float:
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"f: expected a function that returns a scalar loss, got {type(value).__name__}"
            + (f" of shape {arr.shape}" if arr.size != 1 else "")
        )
    return float(arr.reshape(()))


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """max |a − b| / max(max |a|, max |b|): the worst difference relative to the gradient's scale.

    Measured against the largest element rather than element by element, because an element
    that is truly zero would otherwise turn finite-difference noise into a huge ratio.
    Returns 0 when both arrays are zero.  A NaN or infinity in either array raises
    ``ValueError`` (naming the array and the index): a NaN error would make ``err > tol`` False
    and a broken gradient pass.
    """
    a, b = _as_float("a", a), _as_float("b", b)
    if a.shape != b.shape:
        raise ValueError(f"b: expected the shape of a, {a.shape}, got {b.shape}")
    if a.size == 0:
        return 0.0
    for name, arr in (("a", a), ("b", b)):
        if not np.all(np.isfinite(arr)):
            bad = tuple(np.argwhere(~np.isfinite(arr))[0].tolist())
            raise ValueError(
                f"{name}: expected finite values, got {arr[bad]} at index {bad} (a relative "
                f"error of a NaN or infinite gradient means nothing)"
            )
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    diff = np.max(np.abs(a - b))
    return 0.0 if scale == 0.0 else float(diff / scale)


def _as_float(name, x) -> np.ndarray:
    """``x`` as a float64 array; a string, None, a dict or a non-numeric array is refused."""
    if isinstance(x, str | bytes | dict) or x is None:
        raise TypeError(f"{name}: expected a numeric array, got {type(x).__name__}")
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a numeric array, got dtype {arr.dtype}")
    return arr.astype(np.float64)


class GradCheckReport(NamedTuple):
    max_error: float  # worst relative error over all parameters
    param: str  # the parameter where it occurs
    index: tuple  # the element of that parameter with the largest difference
    analytic: float  # the analytic gradient there
    numerical: float  # the numerical gradient there
    errors: dict  # parameter name → relative error

    @property
    def where(self) -> str:
        """The worst element written as ``W[3,1]``."""
        return f"{self.param}[{','.join(str(i) for i in self.index)}]"

    def __str__(self) -> str:
        return (
            f"d{self.param} differs from the numerical gradient at {self.where} by "
            f"{abs(self.analytic - self.numerical):.2g} (analytic {self.analytic:.6g}, "
            f"numerical {self.numerical:.6g}; relative error {self.max_error:.2g})"
        )


def grad_check(
    f_and_grads: Callable[[dict], tuple[float, dict]], params: dict, eps: float = 1e-6
) -> GradCheckReport:
    """Compare the gradients returned by ``f_and_grads(params) -> (loss, grads)`` with
    central finite differences; report the worst relative error and where it occurs.

    ``grads`` must have the keys of ``params`` and the same shapes.
    """
    if not callable(f_and_grads):
        raise TypeError(
            f"f_and_grads: expected a function params -> (loss, grads), "
            f"got {type(f_and_grads).__name__}"
        )
    _check_params(params)
    check_positive("eps", eps)
    theta = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    out = f_and_grads(theta)
    if not (isinstance(out, tuple) and len(out) == 2):
        raise TypeError(
            f"f_and_grads: expected it to return a pair (loss, grads), got {type(out).__name__}"
        )
    _, analytic = out
    if not isinstance(analytic, dict) or set(analytic) != set(theta):
        got = sorted(analytic) if isinstance(analytic, dict) else type(analytic).__name__
        raise ValueError(f"grads: expected a dict with keys {sorted(theta)}, got {got}")
    for k in theta:
        check_array(f"grads['{k}']", _as_float(f"grads['{k}']", analytic[k]), theta[k].shape)
    numerical = numerical_grads(lambda p: f_and_grads(p)[0], theta, eps)
    errors = {k: relative_error(analytic[k], numerical[k]) for k in theta}
    worst = max(errors, key=errors.get)
    a, n = np.asarray(analytic[worst], dtype=np.float64), numerical[worst]
    idx = np.unravel_index(int(np.argmax(np.abs(a - n))), a.shape)
    index = tuple(int(i) for i in idx)
    return GradCheckReport(errors[worst], worst, index, float(a[idx]), float(n[idx]), errors)
