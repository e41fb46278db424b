"""Dynamical systems and Euler's method (notebook 01), and the input-free RNN (notebook 05).

A discrete dynamical system applies the same map f with the same parameters θ at every step,

    s^(t) = f(s^(t-1); θ),

and a continuous one is given by its rate of change, ds/dt = g(s, t). Euler's method turns the
second into the first: with a step size Δt (``dt`` in code; the lecture notes call it h, which the course keeps
for the hidden state),

    s^(t+1) = s^(t) + Δt g(s^(t), t).

A recurrent network with its input switched off is such a discrete system,
h^(t) = φ(W h^(t-1)) (notebook 05): :func:`iterate` runs it and :func:`lyapunov_max` measures
whether nearby trajectories converge (λ_max < 0) or separate exponentially (λ_max > 0, chaos).

States are numpy arrays of any shape (a scalar is a 0-d array); times are floats. A run of
more than ``MAX_STEPS`` steps (a million: tens of seconds of Python) is refused with its step
count unless ``max_steps`` is raised on purpose.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive

RHS = Callable[[np.ndarray, float], np.ndarray]

MAX_STEPS = 1_000_000
"""The most steps a run takes unless its ``max_steps`` says otherwise."""


def _check_steps(name: str, steps, max_steps) -> int:
    """``steps`` a non-negative integer no larger than ``max_steps``; return it."""
    check_positive("max_steps", max_steps, integer=True)
    check_positive(name, steps, integer=True, allow_zero=True)
    if steps > max_steps:
        raise ValueError(
            f"{name}: expected at most max_steps = {max_steps:,} steps, got {steps:,}; "
            "pass a larger max_steps to run that long on purpose"
        )
    return steps


def _check_time(name: str, value) -> float:
    """A finite real number (a time, an amplitude); return it as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__} {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)


def _check_callable(name: str, f) -> None:
    if not callable(f):
        raise TypeError(f"{name}: expected a function, got {type(f).__name__} {f!r}")


def _state(name: str, value) -> np.ndarray:
    arr = np.asarray(value)
    if isinstance(value, (str, bytes)) or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: expected a number or a numeric array, got {type(value).__name__} {value!r}"
        )
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values, got {value!r}")
    return arr


def unfold(
    f: Callable[[np.ndarray], np.ndarray], s0, steps: int, *, max_steps: int = MAX_STEPS
) -> np.ndarray:
    """Apply s^(t) = f(s^(t-1)) ``steps`` times; return [s^(0), s^(1), …, s^(steps)].

    Unfolding for τ = 3 gives s^(3) = f(f(f(s^(0)))): the same f, the same θ, at every step.
    The result has shape ``(steps + 1, *s0.shape)``; more than ``max_steps`` steps are refused.
    """
    _check_callable("f", f)
    _check_steps("steps", steps, max_steps)
    states = [_state("s0", s0)]
    for _ in range(steps):
        states.append(np.asarray(f(states[-1]), dtype=float))
    return np.stack(states)


def iterate(
    f: Callable[[np.ndarray], np.ndarray], h0, steps: int, *, max_steps: int = MAX_STEPS
) -> np.ndarray:
    """Run the autonomous map h^(t) = f(h^(t-1)) for ``steps`` steps from ``h0``.

    Returns all the states, ``(steps + 1, *h0.shape)``: row 0 is h^(0). This is :func:`unfold`
    under the name used for a network's hidden state; for the input-free RNN of notebook 05 pass
    ``f = lambda h: np.tanh(W @ h)``.
    """
    return unfold(f, h0, steps, max_steps=max_steps)


_PHI = {"tanh": np.tanh, "identity": lambda a: a}


def lyapunov_max(
    W: np.ndarray, h0: np.ndarray, steps: int, burn_in: int = 100, nonlinearity: str = "tanh"
) -> float:
    """Largest Lyapunov exponent of h^(t) = φ(W h^(t-1)), φ = tanh (or the identity).

    A small perturbation v of the state is carried by the map's Jacobian,
    v^(t) = diag(φ'(W h^(t-1))) W v^(t-1), with φ' = 1 − (h^(t))² for tanh and 1 for the
    identity. Starting from v = (1, …, 1)/√n, each step renormalises v to length 1 and records
    log ‖v^(t)‖, the step's growth. λ_max is the average of these logs over the steps after
    the first ``burn_in`` (``steps`` counts them all), which lets the state reach its attractor.
    λ_max < 0: perturbations die out (a stable fixed point or cycle); λ_max > 0: chaos.
    For the identity λ_max → log ρ(W), and it is exactly log |w| in one dimension.

    W: (n, n); h0: (n,). Returns a float (−inf if v becomes exactly 0, e.g. for W = 0).
    """
    W = check_array("W", W, (None, None), ("n", "n"))
    n = W.shape[0]
    check_array("W", W, (n, n), ("n", "n"))
    h = check_array("h0", h0, (n,), ("n",)).astype(float)
    check_positive("steps", steps, integer=True)
    _check_steps("steps", steps, MAX_STEPS)
    check_positive("burn_in", burn_in, integer=True, allow_zero=True)
    if burn_in >= steps:
        raise ValueError(f"burn_in: expected fewer steps than steps = {steps}, got {burn_in}")
    check_choice("nonlinearity", nonlinearity, tuple(_PHI))
    v, total = np.ones(n) / np.sqrt(n), 0.0
    for t in range(steps):
        if nonlinearity == "tanh":
            h = np.tanh(W @ h)
            v = (1.0 - h**2) * (W @ v)  # the Jacobian diag(1 − h²) W applied to v
        else:  # a linear map's Jacobian is W whatever the state, so h is not needed
            v = W @ v
        norm = np.linalg.norm(v)
        if norm == 0.0:
            return -np.inf
        v /= norm
        if t >= burn_in:
            total += np.log(norm)
    return float(total / (steps - burn_in))


def drive(f: Callable[[np.ndarray, np.ndarray], np.ndarray], s0, xs: Sequence) -> np.ndarray:
    """A system driven by an input signal: s^(t+1) = f(s^(t), x^(t+1)).

    Returns the states [s^(0), …, s^(T)] for inputs xs = [x^(1), …, x^(T)]. With a hidden
    state h in place of s and a learned f this is a recurrent network.
    """
    _check_callable("f", f)
    if isinstance(xs, (str, bytes)) or not hasattr(xs, "__len__"):
        raise TypeError(f"xs: expected a sequence of inputs, got {type(xs).__name__} {xs!r}")
    if len(xs) == 0:
        raise ValueError("xs: expected a non-empty sequence of inputs, got length 0")
    states = [_state("s0", s0)]
    for x in xs:
        states.append(np.asarray(f(states[-1], np.asarray(x, dtype=float)), dtype=float))
    return np.stack(states)


def euler_step(g: RHS, s, t: float, dt: float) -> np.ndarray:
    """One step of Euler's method: s + Δt g(s, t); ``s`` any shape, the result the same shape."""
    _check_callable("g", g)
    check_positive("dt", dt)
    s = _state("s", s)
    return s + dt * np.asarray(g(s, t), dtype=float)


def euler(
    g: RHS, s0, t0: float, t1: float, dt: float, *, max_steps: int = MAX_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """Integrate ds/dt = g(s, t) from t0 to t1 with Euler's method and step size dt (Δt).

    Returns ``(ts, states)``: ``ts (n + 1,)`` with ``ts[k] = t0 + k dt`` and ``states
    (n + 1, *s0.shape)`` with ``states[k]`` ≈ s(ts[k]). The number of steps n is
    round((t1 - t0) / dt); dt must divide the interval (to 1e-9 relative). A step so small that
    n exceeds ``max_steps`` is refused with the count, before any work is done.
    """
    _check_callable("g", g)
    check_positive("dt", dt)
    t0, t1 = _check_time("t0", t0), _check_time("t1", t1)
    if t1 <= t0:
        raise ValueError(f"t1: expected a finite time after t0 = {t0!r}, got {t1!r}")
    check_positive("max_steps", max_steps, integer=True)
    ratio = (t1 - t0) / dt
    if ratio > max_steps + 0.5:
        raise ValueError(
            f"dt: expected a step giving at most max_steps = {max_steps:,} steps, got {dt!r}, "
            f"which gives {ratio:,.0f} steps from t0 = {t0:g} to t1 = {t1:g}; pass a larger "
            "max_steps to run that long on purpose"
        )
    n = int(round(ratio))
    if n < 1 or abs(n * dt - (t1 - t0)) > 1e-9 * max(1.0, abs(t1 - t0)):
        raise ValueError(
            f"dt: expected a step that divides t1 - t0 = {t1 - t0:g} a whole number of times, "
            f"got {dt!r} ({(t1 - t0) / dt:g} steps)"
        )
    ts = t0 + dt * np.arange(n + 1)
    states = [_state("s0", s0)]
    for i in range(n):
        states.append(euler_step(g, states[-1], ts[i], dt))
    return ts, np.stack(states)


def rk4(
    g: RHS, s0, t0: float, t1: float, dt: float, *, max_steps: int = MAX_STEPS
) -> tuple[np.ndarray, np.ndarray]:
    """The classical fourth-order Runge-Kutta method: a high-accuracy reference (error ∝ Δt⁴).

    Same arguments, checks and shapes as :func:`euler`: ``ts (n + 1,)``, ``states (n + 1,
    *s0.shape)``.
    """
    _check_callable("g", g)
    # validates every argument and builds the grid
    ts, _ = euler(lambda s, t: np.zeros_like(s), s0, t0, t1, dt, max_steps=max_steps)
    states = [_state("s0", s0)]
    for t in ts[:-1]:
        s = states[-1]
        k1 = np.asarray(g(s, t))
        k2 = np.asarray(g(s + dt / 2 * k1, t + dt / 2))
        k3 = np.asarray(g(s + dt / 2 * k2, t + dt / 2))
        k4 = np.asarray(g(s + dt * k3, t + dt))
        states.append(s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4))
    return ts, np.stack(states)


def decay_rhs(lam: float = 1.0) -> RHS:
    """ds/dt = -λ s, whose exact solution is s(t) = s(0) e^(-λ t)."""
    check_positive("lam", lam)
    return lambda s, t: -lam * s


def euler_stability_limit(lam: float) -> float:
    """The largest stable Euler step for ds/dt = -λ s: |1 - Δt λ| ≤ 1 holds for Δt ≤ 2/λ."""
    check_positive("lam", lam)
    return 2.0 / lam


def oscillator_rhs(k: float = 1.0, m: float = 1.0, A: float = 0.0) -> RHS:
    """The forced harmonic oscillator m s'' = -k s + A cos t as a first-order system.

    The state is (s, v) with v = ds/dt:  ds/dt = v,  dv/dt = -(k/m) s + (A/m) cos t.
    """
    check_positive("k", k)
    check_positive("m", m)
    _check_time("A", A)

    def g(state, t):
        s, v = state
        return np.array([v, -(k / m) * s + (A / m) * np.cos(t)])

    return g


def oscillator_exact(t, k: float = 1.0, m: float = 1.0, A: float = 0.0, s0=1.0, v0=0.0):
    """The exact (s(t), v(t)) of m s'' = -k s + A cos t with s(0) = s0, s'(0) = v0.

    With ω₀ = √(k/m) ≠ 1 the forced response is A/(k - m) cos t; at resonance (k = m) it is
    A/(2m) t sin t, which grows without bound.
    """
    check_positive("k", k)
    check_positive("m", m)
    t = np.asarray(t, dtype=float)
    w0 = np.sqrt(k / m)
    if np.isclose(k, m):
        a = A / (2 * m)
        s = s0 * np.cos(t) + v0 * np.sin(t) + a * t * np.sin(t)
        v = -s0 * np.sin(t) + v0 * np.cos(t) + a * (np.sin(t) + t * np.cos(t))
        return np.stack([s, v], axis=-1)
    p = A / (k - m)
    c1, c2 = s0 - p, v0 / w0
    s = c1 * np.cos(w0 * t) + c2 * np.sin(w0 * t) + p * np.cos(t)
    v = -c1 * w0 * np.sin(w0 * t) + c2 * w0 * np.cos(w0 * t) - p * np.sin(t)
    return np.stack([s, v], axis=-1)


def convergence_order(dts, errors) -> float:
    """The slope of log(error) against log(Δt): about 1 for Euler, 4 for RK4."""
    dts, errors = np.asarray(dts, dtype=float), np.asarray(errors, dtype=float)
    if dts.shape != errors.shape or dts.size < 2:
        raise ValueError(
            f"errors: expected as many values as dts ({dts.size}, at least 2), got {errors.size}"
        )
    if np.any(dts <= 0) or np.any(errors <= 0):
        raise ValueError("dts, errors: expected positive values (their logarithms are fitted)")
    return float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
