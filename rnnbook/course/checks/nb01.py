"""Checks for the exercises of notebook 01 (dynamical systems and Euler's method)."""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import CheckFailed, call_student, expect_close, expect_shape, expect_true
from rnnbook.topics import dynamics

# Test systems: a decay, a linear system with a time-dependent force, and a vector system.
_SYSTEMS = [
    ("ds/dt = -2 s", lambda s, t: -2.0 * s, np.array(1.5), 0.3, 0.1),
    ("ds/dt = cos(t) - s", lambda s, t: np.cos(t) - s, np.array(0.2), 1.0, 0.25),
    (
        "ds/dt = (v, -4 s + t)",
        lambda s, t: np.array([s[1], -4.0 * s[0] + t]),
        np.array([1.0, -0.5]),
        0.7,
        0.05,
    ),
]


def check_euler_step(euler_step) -> None:
    """Exercise 1: one step of Euler's method, s + h g(s, t)."""
    for label, g, s, t, h in _SYSTEMS:
        got = call_student(euler_step, g, s.copy(), t, h, name="euler_step")
        expected = dynamics.euler_step(g, s, t, h)
        got = expect_shape(
            f"euler_step(...) for {label}", got, expected.shape, "the new state has the shape of s"
        ).astype(float)
        if np.allclose(got, expected, rtol=1e-10, atol=1e-12):
            continue
        slope = np.asarray(g(s, t), dtype=float)
        diagnoses = [
            (
                s + h * np.asarray(g(s, t + h)),
                "evaluates g at t + h: Euler's method uses the "
                "slope at the start of the step, g(s, t)",
            ),
            (h * slope, "returns only the increment h g(s, t): add it to the current state s"),
            (s + slope, "forgets to multiply the slope by the step size h"),
            (s - h * slope, "steps backwards: the update is s + h g(s, t)"),
        ]
        for wrong, why in diagnoses:
            if np.allclose(got, wrong):
                raise CheckFailed(f"euler_step for {label} {why}")
        expect_close(
            f"euler_step(...) for {label}",
            got,
            expected,
            rtol=1e-10,
            atol=1e-12,
            hint="expected s + h * g(s, t)",
        )


def check_euler_integrate(euler_integrate) -> None:
    """Exercise 2: integrate from t0 to t1, returning (ts, states) with the initial state first."""
    for label, g, s0, t0, h in _SYSTEMS:
        t1 = t0 + 8 * h
        out = call_student(euler_integrate, g, s0.copy(), t0, t1, h, name="euler_integrate")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(
                f"euler_integrate should return a pair (ts, states), got {type(out).__name__}"
            )
        ts, states = (np.asarray(a, dtype=float) for a in out)
        ts_ref, states_ref = dynamics.euler(g, s0, t0, t1, h)
        if ts.shape == (8,) or len(states) == 8:
            raise CheckFailed(
                f"euler_integrate for {label} from t0 = {t0:g} to t1 = {t1:g} with h = {h:g} "
                f"returned {len(states)} states; expected 9: the initial state s0 plus 8 steps"
            )
        expect_shape(f"ts for {label}", ts, ts_ref.shape, "expected t0, t0 + h, …, t1")
        expect_close(f"ts for {label}", ts, ts_ref, hint="expected t0, t0 + h, …, t1")
        expect_shape(
            f"states for {label}",
            states,
            states_ref.shape,
            "stack the states along a first, time axis",
        )
        expect_true(np.allclose(states[0], s0), f"states[0] for {label} should be s0 itself")
        frozen = dynamics.euler(lambda s, t, g=g, t0=t0: g(s, t0), s0, t0, t1, h)[1]
        if not np.allclose(states_ref, frozen) and np.allclose(states, frozen):
            raise CheckFailed(
                f"euler_integrate for {label} always evaluates g at t0: pass the current time "
                "t_n = t0 + n h to each step"
            )
        expect_close(
            f"states for {label}",
            states,
            states_ref,
            rtol=1e-9,
            atol=1e-12,
            hint="each step is s_{n+1} = s_n + h g(s_n, t_n)",
        )


def check_oscillator_rhs(oscillator_rhs) -> None:
    """Exercise 3: the forced oscillator as a first-order system in (s, v)."""
    cases = [((0.7, -0.2), 1.3, 2.0, 0.5, 0.8), ((-1.0, 0.4), 0.0, 3.0, 2.0, 1.5)]
    for state, t, k, m, A in cases:
        got = call_student(oscillator_rhs, np.array(state), t, k, m, A, name="oscillator_rhs")
        expected = dynamics.oscillator_rhs(k, m, A)(np.array(state), t)
        got = expect_shape(
            f"oscillator_rhs(state, t={t}, k={k}, m={m}, A={A})",
            got,
            (2,),
            "return the pair (ds/dt, dv/dt)",
        )
        s, v = state
        label = f"oscillator_rhs at state={state}, t={t}, k={k}, m={m}, A={A}"
        if np.isclose(got[0], -(k / m) * s + (A / m) * np.cos(t)) and np.isclose(got[1], v):
            raise CheckFailed(f"{label}: the two components are swapped: ds/dt = v comes first")
        expect_close(f"{label}, ds/dt", got[0], v, hint="ds/dt is the velocity v")
        if np.isclose(got[1], -k * s + A * np.cos(t)):
            raise CheckFailed(f"{label}: dv/dt is missing the division by the mass m")
        if np.isclose(got[1], (k / m) * s + (A / m) * np.cos(t)):
            raise CheckFailed(f"{label}: the spring force has the wrong sign: it is -(k/m) s")
        if np.isclose(got[1], -(k / m) * s + (A / m) * np.sin(t)):
            raise CheckFailed(f"{label}: the force is A cos t, not A sin t")
        expect_close(f"{label}, dv/dt", got[1], expected[1], hint="dv/dt = -(k/m) s + (A/m) cos t")


def check_leaky_drive(leaky_drive) -> None:
    """Exercise 4: the driven system s^(t) = a s^(t-1) + x^(t), returning all T + 1 states."""
    xs = np.array([1.0, 0.0, -2.0, 0.5, 3.0])
    for a, s0 in ((0.5, 0.0), (0.9, 2.0), (-0.3, 1.0)):
        got = call_student(leaky_drive, a, xs.copy(), s0, name="leaky_drive")
        expected = dynamics.drive(lambda s, x, a=a: a * s + x, s0, xs)
        label = f"leaky_drive(a={a}, xs, s0={s0})"
        got = np.asarray(got, dtype=float)
        if got.shape == (len(xs),):
            raise CheckFailed(
                f"{label} returned {len(xs)} states; expected {len(xs) + 1}: start the list with s0"
            )
        expect_shape(label, got, expected.shape)
        shifted = dynamics.drive(lambda s, x, a=a: a * (s + x), s0, xs)
        if np.allclose(got, shifted):
            raise CheckFailed(f"{label}: the input is scaled by a too; only the old state decays")
        expect_close(label, got, expected, hint="s^(t) = a s^(t-1) + x^(t)")
