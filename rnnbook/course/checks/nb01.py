"""Checks for the exercises of notebook 01 (dynamical systems and Euler's method).

The visible checks compare with the library's integrator (:mod:`rnnbook.topics.dynamics`) on
fixed systems, and test the equation of motion the prompt states; the grader's hidden tests
draw fresh systems, steps and intervals.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_attempted,
    expect_close,
    expect_shape,
    expect_true,
)
from rnnbook.course.hints import Hints
from rnnbook.topics import dynamics

HINTS = {
    "ex1": [
        "Euler's method follows the tangent: the slope it uses for the whole step is the one "
        "at the start of the step, at the current state and the current time.",
        "In `euler_integrate`, first work out how many steps fit between t0 and t1. Floating "
        "point makes (0.7 - 0.1) / 0.1 equal 5.999…, so turn the ratio into a whole number "
        "with `round`, not `int`.",
        "Keep a list of states that starts with s0, call your `euler_step` once per step with "
        "the time of the state you step from, and stack the list with `np.stack`.",
    ],
    "ex2": [
        "Introduce the velocity v = ds/dt. Then the second derivative s'' is dv/dt, and the "
        "equation of motion tells you what it equals.",
        "Solve the equation of motion for s'': every force term, the damping included, is "
        "divided by the mass.",
    ],
    "ex3": [
        "For each Δt, call your `euler_integrate` on ds/dt = -λ s from s(0) = 1, and compare "
        "the states with the exact e^(-λ t) at the same times; the error is the largest "
        "absolute difference over the grid.",
        "The order is the slope of log(error) against log(Δt): `np.polyfit(x, y, 1)[0]` "
        "fits a straight line and returns its slope first.",
        "For the stability limit, write a function that says whether a given Δt lets the "
        "energy grow over n_steps steps; then keep an interval [lo, hi] with lo stable and "
        "hi unstable and halve it until it is shorter than a thousandth of hi.",
    ],
    "ex4": [
        "The two components do not interact: each is a decay ds/dt = -λ s with its own λ, "
        "and Euler multiplies each by its own factor 1 - Δt λ at every step.",
        "The whole state stays bounded only if both factors have modulus below 1.",
    ],
    "ex5": [
        "Write the energy after t/Δt steps as (1 + Δt² k/m)^(t/Δt) E(0), and take the "
        "logarithm: for small x, log(1 + x) ≈ x.",
    ],
}

hint = Hints("01", HINTS)

# Test systems: a decay, a linear system with a time-dependent force, a vector system.
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


# ------------------------------------------------------------------ ex1: Euler's method


def check_euler_step(euler_step) -> None:
    """Exercise 1, first part: one step of Euler's method."""
    for label, g, s, t, dt in _SYSTEMS:
        got = call_student(euler_step, g, s.copy(), t, dt, name="euler_step")
        expected = dynamics.euler_step(g, s, t, dt)
        got = expect_shape(
            f"euler_step(...) for {label}", got, expected.shape, "the new state has the shape of s"
        ).astype(float)
        if np.allclose(got, expected, rtol=1e-10, atol=1e-12):
            continue
        slope = np.asarray(g(s, t), dtype=float)
        diagnoses = [
            (
                s + dt * np.asarray(g(s, t + dt)),
                "evaluates g at t + Δt: Euler's method uses the slope at the start of the step",
            ),
            (dt * slope, "returns only the increment: add it to the current state s"),
            (s + slope, "forgets to multiply the slope by the step size dt"),
            (s - dt * slope, "steps backwards: the state moves along the slope, not against it"),
        ]
        for wrong, why in diagnoses:
            if np.allclose(got, wrong):
                raise CheckFailed(f"euler_step for {label} {why}")
        expect_close(f"euler_step(...) for {label}", got, expected, rtol=1e-10, atol=1e-12)


def check_euler_integrate(euler_integrate) -> None:
    """Exercise 1, second part: integrate from t0 to t1, returning (ts, states)."""
    cases = [(*system, 8) for system in _SYSTEMS]
    # 0.1 + 6 × 0.1 = 0.7, and (0.7 - 0.1) / 0.1 = 5.999…: the interval does not divide evenly
    cases.append(("ds/dt = -s", lambda s, t: -s, np.array(1.0), 0.1, 0.1, 6))
    for label, g, s0, t0, dt, n in cases:
        t1 = round(t0 + n * dt, 12)
        out = call_student(euler_integrate, g, s0.copy(), t0, t1, dt, name="euler_integrate")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed(
                f"euler_integrate should return a pair (ts, states), got {type(out).__name__}"
            )
        ts, states = (np.asarray(a, dtype=float) for a in out)
        ts_ref, states_ref = dynamics.euler(g, s0, t0, t1, dt)
        where = f"{label} from t0 = {t0:g} to t1 = {t1:g} with dt = {dt:g}"
        truncated = len(ts) == n and len(ts) > 0 and np.isclose(ts[0], t0)
        if truncated or len(states) == n - 1:
            raise CheckFailed(
                f"euler_integrate for {where} made {len(states) - 1} steps instead of {n}: "
                f"(t1 - t0)/dt = {(t1 - t0) / dt!r} in floating point; round it to the "
                "nearest whole number instead of truncating"
            )
        if len(states) == n:
            raise CheckFailed(
                f"euler_integrate for {where} returned {n} states; expected {n + 1}: "
                f"the initial state s0 plus {n} steps"
            )
        expect_shape(f"ts for {where}", ts, ts_ref.shape, "expected t0, t0 + dt, …, t1")
        expect_close(f"ts for {where}", ts, ts_ref, rtol=1e-9, hint="expected t0, t0 + dt, …, t1")
        expect_shape(
            f"states for {where}", states, states_ref.shape, "stack the states along a first axis"
        )
        expect_true(np.allclose(states[0], s0), f"states[0] for {where} should be s0 itself")
        frozen = dynamics.euler(lambda s, t, g=g, t0=t0: g(s, t0), s0, t0, t1, dt)[1]
        if not np.allclose(states_ref, frozen) and np.allclose(states, frozen):
            raise CheckFailed(
                f"euler_integrate for {where} always evaluates g at t0: pass the time of the "
                "current state, t0 + n dt, to each step"
            )
        late = dynamics.euler(lambda s, t, g=g, dt=dt: g(s, t + dt), s0, t0, t1, dt)[1]
        if not np.allclose(states_ref, late) and np.allclose(states, late):
            raise CheckFailed(
                f"euler_integrate for {where} evaluates g one step late: the step from the "
                "state at t_n uses the time t_n"
            )
        expect_close(f"states for {where}", states, states_ref, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------- ex2: the damped, forced oscillator


def check_oscillator_rhs(oscillator_rhs) -> None:
    """Exercise 2: m s'' = -k s - γ s' + A cos t as a first-order system in (s, v)."""
    cases = [
        ((0.7, -0.2), 1.3, 2.0, 0.5, 0.3, 0.8),
        ((-1.0, 0.4), 0.4, 3.0, 2.0, 0.7, 1.5),
        ((0.3, 1.1), 2.9, 0.5, 3.0, 1.2, 0.0),
    ]
    for state, t, k, m, gamma, A in cases:
        label = f"oscillator_rhs at state={state}, t={t}, k={k}, m={m}, gamma={gamma}, A={A}"
        got = call_student(
            oscillator_rhs, np.array(state), t, k, m, gamma, A, name="oscillator_rhs"
        )
        got = expect_shape(label, got, (2,), "return the pair (ds/dt, dv/dt)").astype(float)
        s, v = state
        force = A * np.cos(t) - k * s - gamma * v  # the prompt's right-hand side, m s''
        if np.isclose(got[0], force / m) and np.isclose(got[1], v):
            raise CheckFailed(f"{label}: the two components are swapped: ds/dt comes first")
        expect_close(f"{label}, ds/dt", got[0], v, hint="ds/dt is the velocity v")
        wrongs = [
            (force, "dv/dt is missing the division by the mass m"),
            ((A * np.cos(t) - k * s) / m, "the damping term -γ v / m is missing"),
            ((A * np.cos(t) - k * s + gamma * v) / m, "the damping has the wrong sign"),
            ((A * np.cos(t) + k * s - gamma * v) / m, "the spring force has the wrong sign"),
            ((A * np.sin(t) - k * s - gamma * v) / m, "the force is A cos t, not A sin t"),
            (A * np.cos(t) / m - k * s - gamma * v, "only the force A cos t is divided by m"),
        ]
        for wrong, why in wrongs:
            if np.isclose(got[1], wrong, rtol=1e-9) and not np.isclose(wrong, force / m):
                raise CheckFailed(f"{label}: {why}")
        residual = m * got[1] - force
        expect_true(
            abs(residual) < 1e-9 * max(1.0, abs(force)),
            f"{label}: m · dv/dt should equal -k s - γ v + A cos t, but differs by {residual:.3g}",
        )


# ------------------------------------------------- ex3: Euler's order and stability limit, measured


def check_euler_order(euler_order) -> None:
    """Exercise 3, first part: the errors of Euler on a decay, and their log-log slope."""
    lam, t_end = 1.3, 1.7
    dts = np.array([0.085, 0.0425, 0.02125, 0.010625])
    out = call_student(euler_order, lam, dts.copy(), t_end, name="euler_order")
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise CheckFailed("euler_order should return a pair (errors, order)")
    errors = expect_shape("errors", np.asarray(out[0], dtype=float), dts.shape, "one per Δt")
    label = f"λ = {lam}, t_end = {t_end}, dts = {dts}"
    expected = []
    for dt in dts:
        ts, s = dynamics.euler(dynamics.decay_rhs(lam), 1.0, 0.0, t_end, dt)
        expected.append(np.abs(s - np.exp(-lam * ts)))
    at_end = np.array([e[-1] for e in expected])
    if np.allclose(errors, at_end, rtol=1e-6) and not np.allclose(
        at_end, [e.max() for e in expected]
    ):
        raise CheckFailed(
            f"errors for {label} are the errors at t_end only: take the largest error over "
            "every time of the grid"
        )
    expect_close(
        f"errors for {label}",
        errors,
        [e.max() for e in expected],
        rtol=1e-6,
        hint="the largest |s_n - e^(-λ t_n)| over the grid, one per Δt, with your euler_integrate",
    )
    order = float(np.asarray(out[1], dtype=float))
    slope = float(np.polyfit(np.log(dts), np.log(errors), 1)[0])
    if np.isclose(order, slope / np.log(10)) or np.isclose(order, slope * np.log(10)):
        raise CheckFailed(
            f"order = {order:.4g} for {label}: the two logarithms have different bases; use "
            "the same logarithm for Δt and for the error"
        )
    expect_close(
        f"order for {label}",
        order,
        slope,
        rtol=1e-6,
        hint="the least-squares slope of log(error) against log(Δt), over all the steps",
    )
    expect_true(
        abs(order - 1) < 0.1,
        f"order = {order:.3g} for {label}: Euler's global error is proportional to Δt, so the "
        "slope should be within 0.1 of 1",
    )


def _spectral_limit(k, m, gamma):
    """The step where the eigenvalues of one Euler step reach modulus 1 (bisection on ρ)."""
    M = np.array([[0.0, 1.0], [-k / m, -gamma / m]])
    lo, hi = 0.0, 10.0
    for _ in range(60):
        mid = (lo + hi) / 2
        rho = np.abs(np.linalg.eigvals(np.eye(2) + mid * M)).max()
        lo, hi = (mid, hi) if rho < 1 else (lo, mid)
    return lo


def check_stability_limit(stability_limit) -> None:
    """Exercise 3, second part: the largest stable step of the damped oscillator, measured."""
    for k, m, gamma in ((1.0, 1.0, 0.6), (2.5, 0.8, 0.9)):
        limit = _spectral_limit(k, m, gamma)
        label = f"stability_limit(k={k}, m={m}, gamma={gamma}, dt_max={3 * limit:.4g})"
        got = call_student(stability_limit, k, m, gamma, 3 * limit, 2000, name="stability_limit")
        got = float(expect_attempted(got, "stability_limit"))
        if abs(got - 2 * m / gamma) < 0.02 * limit or abs(got - 2 / gamma) < 0.02 * limit:
            raise CheckFailed(
                f"{label} = {got:.4g}: that is 2/λ for a decay at rate γ (or γ/m); the "
                "oscillator's limit depends on the spring too. Measure it with your integrator"
            )
        expect_true(
            np.isfinite(got) and 0 < got < 3 * limit,
            f"{label} returned {got!r}: expected a step between 0 and dt_max",
        )
        expect_true(
            abs(got - limit) < 0.02 * limit,
            f"{label} = {got:.4g}, but Euler's solution stops growing at Δt = {limit:.4g} "
            f"(within 2 %): bisect on whether the energy after n_steps steps ends above the "
            "energy at the start",
        )


# ------------------------------------------------------------- ex4, ex5: questions


def check_dt_max_q4(answer) -> None:
    """Exercise 4: the form only; the grader checks the value."""
    check_number_form("dt_max_q4", answer, positive=True, why="a step Δt is positive")


def check_q5(answer) -> None:
    """Exercise 5: a letter among the options; the grader checks which."""
    check_choice_form("answer_q5", answer)
