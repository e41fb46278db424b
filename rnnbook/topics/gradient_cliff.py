"""Loss surfaces with a cliff, and gradient descent on them with and without clipping.

Pascanu, Mikolov & Bengio (2013) showed that the loss of a recurrent network can contain
"cliffs": thin regions where the loss rises so steeply that one gradient step, of a size that is
reasonable everywhere else, throws the parameters far away. Clipping the gradient's norm bounds
that step and leaves its direction alone.

Two surfaces, both numpy only:

- :class:`CliffSurface`, a two-parameter toy: a quadratic bowl whose minimum sits beyond a steep
  sigmoid wall, so that the best reachable point is at the foot of the wall,

      L(θ) = ½ a θ₂² + ½ k (θ₁ − m)² + H σ(s (θ₁ − c − κ θ₂))

  (notebook 05 writes a, k, m, s and c as k₂, k₁, θ₁*, S and θ_wall, since those letters mean
  other things in the course, and uses the default tilt κ = 1/2).

  The wall has height H, steepness s and, at its middle, slope H s / 4 across it.
- :func:`one_unit_rnn_loss`, the example of Pascanu et al.: a single recurrent unit
  h^(t) = w σ(h^(t−1)) + b run for T steps from h^(0), with loss (h^(T) − target)². Near the
  values of (w, b) where the unit has two stable fixed points and the unstable one between them
  passes through h^(0), h^(T) jumps from one to the other, and the loss surface has a wall.
  :func:`one_unit_fixed_points` finds the fixed points of the unit for one (w, b).

:func:`descend` runs gradient descent on any surface with a ``grad`` method, optionally clipping
each gradient with ``rnnbook.bptt.clip_grad_norm`` or ``clip_grad_value``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive
from rnnbook.bptt import clip_grad_norm, clip_grad_value
from rnnbook.cells import sigmoid

__all__ = ["CliffSurface", "MAX_STEPS", "descend", "one_unit_fixed_points", "one_unit_rnn_loss"]

MAX_STEPS = 1_000_000
"""The most steps :func:`descend` and :func:`one_unit_rnn_loss` take."""


@dataclass(frozen=True)
class CliffSurface:
    """L(θ) = ½ a θ₂² + ½ k (θ₁ − m)² + H σ(s (θ₁ − c − κ θ₂)), θ = (θ₁, θ₂).

    The bowl pulls θ₁ towards m; the wall, centred on the line θ₁ = c + κ θ₂, blocks the way
    when m > c. ``loss`` broadcasts over arrays (for contour plots); ``grad`` takes one point.
    """

    a: float = 1.0  # curvature across the valley (θ₂)
    k: float = 0.5  # curvature along the valley (θ₁)
    m: float = 1.5  # where the bowl alone would put θ₁, beyond the wall
    height: float = 4.0  # H
    steepness: float = 80.0  # s
    c: float = 0.0  # where the wall stands at θ₂ = 0
    tilt: float = 0.5  # κ: the wall is the line θ₁ = c + κ θ₂

    def __post_init__(self):
        for name in ("a", "k", "m", "height", "steepness", "c", "tilt"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(
                    f"{name}: expected a real number, got {type(value).__name__} {value!r}"
                )
            if not np.isfinite(value):
                raise ValueError(f"{name}: expected a finite number, got {value!r}")
        for name in ("a", "k", "steepness"):
            check_positive(name, getattr(self, name))
        check_positive("height", self.height, allow_zero=True)

    def _z(self, theta1, theta2):
        return self.steepness * (theta1 - self.c - self.tilt * theta2)

    def loss(self, theta1, theta2):
        """L at (θ₁, θ₂); both may be arrays of one shape (a grid), the result has that shape."""
        bowl = 0.5 * self.a * theta2**2 + 0.5 * self.k * (theta1 - self.m) ** 2
        return bowl + self.height * sigmoid(self._z(theta1, theta2))

    def grad(self, theta: np.ndarray) -> np.ndarray:
        """∇L at one point ``theta (2,)``; returns (2,)."""
        theta = check_array("theta", theta, (2,), ("2",))
        t1, t2 = theta
        sig = sigmoid(self._z(t1, t2))
        wall = self.height * sig * (1.0 - sig) * self.steepness  # dH σ(z)/dz · dz/dθ₁
        return np.array([self.k * (t1 - self.m) + wall, self.a * t2 - self.tilt * wall])

    def max_wall_slope(self) -> float:
        """The wall's steepest slope across it, H s / 4 · √(1 + κ²), at its middle."""
        return self.height * self.steepness / 4.0 * float(np.hypot(1.0, self.tilt))


def descend(
    surface,
    theta0,
    lr: float,
    steps: int,
    *,
    clip: float | None = None,
    clip_mode: str = "norm",
) -> np.ndarray:
    """Gradient descent θ ← θ − lr · g from ``theta0``; returns the path ``(steps + 1, 2)``.

    With ``clip`` set, each gradient g is clipped first: ``clip_mode="norm"`` rescales it to
    norm ``clip`` when it is longer (direction kept, ``rnnbook.bptt.clip_grad_norm``);
    ``"value"`` clips each component into [−clip, clip] (``clip_grad_value``). Either way no
    step is longer than lr · clip (times √2 for "value"). A path that leaves the finite numbers
    stops there; the remaining rows repeat its last point.
    """
    if not callable(getattr(surface, "grad", None)):
        raise TypeError(
            f"surface: expected an object with a grad(theta) method (a CliffSurface), "
            f"got {type(surface).__name__}"
        )
    if isinstance(theta0, (str, bytes)) or np.asarray(theta0).dtype.kind not in "iuf":
        raise TypeError(f"theta0: expected two numbers (θ₁, θ₂), got {theta0!r}")
    theta = np.array(check_array("theta0", np.asarray(theta0, dtype=float), (2,), ("2",)))
    check_positive("lr", lr)
    check_positive("steps", steps, integer=True)
    if steps > MAX_STEPS:
        raise ValueError(f"steps: expected at most MAX_STEPS = {MAX_STEPS:,}, got {steps:,}")
    check_choice("clip_mode", clip_mode, ("norm", "value"))
    if clip is not None:
        check_positive("clip", clip)
    path = np.empty((steps + 1, 2))
    path[0] = theta
    for i in range(1, steps + 1):
        g = surface.grad(theta)
        if clip is not None:
            clipped = (
                clip_grad_norm({"theta": g}, clip)[0]
                if clip_mode == "norm"
                else clip_grad_value({"theta": g}, clip)
            )
            g = clipped["theta"]
        new = theta - lr * g
        if not np.all(np.isfinite(new)):
            path[i:] = theta
            break
        theta = new
        path[i] = theta
    return path


def one_unit_rnn_loss(w, b, *, steps: int = 50, h0: float = 0.5, target: float = 0.7) -> np.ndarray:
    """Loss (h^(T) − target)² of the one-unit RNN h^(t) = w σ(h^(t−1)) + b, T = ``steps``.

    ``w`` and ``b`` are numbers or arrays of one shape (a grid); the result has that shape.
    This is the network whose loss surface Pascanu et al. (2013, fig. 6) plot to show a cliff.
    """
    check_positive("steps", steps, integer=True)
    if steps > MAX_STEPS:
        raise ValueError(f"steps: expected at most MAX_STEPS = {MAX_STEPS:,}, got {steps:,}")
    for name, value in (("h0", h0), ("target", target)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"{name}: expected a finite number, got {value!r}")
    for name, value in (("w", w), ("b", b)):
        if isinstance(value, (str, bytes)) or np.asarray(value).dtype.kind not in "iuf":
            raise TypeError(f"{name}: expected a number or a numeric array, got {value!r}")
    try:
        w, b = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
    except ValueError as err:
        raise ValueError(
            f"b: expected the shape of w {np.shape(w)} (or one that broadcasts), got {np.shape(b)}"
        ) from err
    h = np.full(w.shape, float(h0))
    for _ in range(steps):
        h = w * sigmoid(h) + b
    return (h - target) ** 2


def one_unit_fixed_points(w: float, b: float, *, resolution: int = 200_001) -> np.ndarray:
    """The fixed points h* = w σ(h*) + b of the one-unit RNN, in increasing order.

    Every fixed point lies between b and w + b (σ is between 0 and 1), so the function looks for
    sign changes of w σ(h) + b − h on a grid of ``resolution`` points spanning that interval
    (widened by 1) and refines each by bisection to 1e-12. One fixed point: the unit forgets its
    start; three: two stable ones and an unstable one between them, the border of their basins.
    A fixed point where the curve only touches the diagonal (at a bifurcation) can be missed.
    """
    for name, value in (("w", w), ("b", b)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
        if not np.isfinite(value):
            raise ValueError(f"{name}: expected a finite number, got {value!r}")
    check_positive("resolution", resolution, integer=True)
    if resolution < 3:
        raise ValueError(f"resolution: expected at least 3 grid points, got {resolution}")

    def excess(h):
        return w * sigmoid(h) + b - h

    h = np.linspace(min(b, w + b) - 1.0, max(b, w + b) + 1.0, resolution)
    F = excess(h)
    roots = []
    for i in np.flatnonzero(np.sign(F[:-1]) * np.sign(F[1:]) <= 0):
        lo, hi = h[i], h[i + 1]
        if F[i] == 0.0:
            roots.append(lo)
            continue
        while hi - lo > 1e-12:
            mid = 0.5 * (lo + hi)
            if np.sign(excess(mid)) == np.sign(excess(lo)):
                lo = mid
            else:
                hi = mid
        roots.append(0.5 * (lo + hi))
    return np.unique(np.round(roots, 9))
