"""Instructor-only references for the exercises of notebook 01 (dynamical systems, Euler).

The hidden tests of ``solutions/01_dynamical_systems.ipynb`` call the ``hidden_exN`` functions
below with the student's functions: each draws fresh systems, steps and intervals
(:func:`~rnnbook.course.references.fresh_rng`) and compares the answer with the reference
implementations here. The answers to the questions are here too, with the reason each wrong
choice is wrong.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice,
    check_number,
    expect_close,
    expect_shape,
)
from rnnbook.course.references import fresh_rng

# ----------------------------------------------------------------------------------------------
# reference implementations
# ----------------------------------------------------------------------------------------------


def euler_step(g, s, t, dt):
    """s + Δt g(s, t)."""
    return np.asarray(s, dtype=float) + dt * np.asarray(g(s, t), dtype=float)


def euler_integrate(g, s0, t0, t1, dt):
    """(ts, states) of Euler's method from t0 to t1; N = round((t1 - t0) / Δt) steps."""
    n = int(round((t1 - t0) / dt))
    ts = t0 + dt * np.arange(n + 1)
    out = [np.asarray(s0, dtype=float)]
    for i in range(n):
        out.append(euler_step(g, out[-1], ts[i], dt))
    return ts, np.stack(out)


def oscillator_rhs(state, t, k, m, gamma, A):
    """(ds/dt, dv/dt) of m s'' = -k s - γ s' + A cos t."""
    s, v = state
    return np.array([v, (A * np.cos(t) - k * s - gamma * v) / m])


def euler_order(lam, dts, t_end):
    """Errors of Euler on ds/dt = -λ s, s(0) = 1, over [0, t_end], and their log-log slope."""
    errors = []
    for dt in dts:
        ts, s = euler_integrate(lambda s, t: -lam * s, 1.0, 0.0, t_end, dt)
        errors.append(np.abs(s - np.exp(-lam * ts)).max())
    errors = np.array(errors)
    return errors, float(np.polyfit(np.log(dts), np.log(errors), 1)[0])


def stability_limit_exact(k, m, gamma):
    """The largest stable Euler step of the undriven, underdamped oscillator: γ / k.

    One step multiplies the state by I + Δt M, M = [[0, 1], [-k/m, -γ/m]], whose eigenvalues
    1 + Δt μ have |1 + Δt μ|² = 1 - Δt γ/m + Δt² k/m (μ complex, |μ|² = k/m, Re μ = -γ/2m).
    """
    return gamma / k


# the questions
DT_MAX_Q4 = 0.02  # s1' = -s1, s2' = -100 s2: the fast mode needs Δt < 2/100
Q5 = "a"
Q5_WRONG = {
    "b": "the extra steps do add up, but each step's gain 1 + Δt² k/m falls four times faster "
    "than the number of steps grows: log E(t)/E(0) ≈ (t/Δt)·Δt² k/m = t Δt k/m, which halves",
    "c": "the gain per step falls by four but the number of steps only doubles, so the total "
    "gain (1 + Δt² k/m)^(t/Δt) ≈ exp(t Δt k/m) does change: it moves closer to 1",
    "d": "every Euler step of the undriven oscillator multiplies E by exactly 1 + Δt² k/m > 1, "
    "so E(t) is never E(0) for any Δt > 0",
}


# ----------------------------------------------------------------------------------------------
# hidden tests: fresh inputs at every grading
# ----------------------------------------------------------------------------------------------


def _fresh_systems(rng):
    lam = rng.uniform(0.5, 3.0)
    M = rng.normal(size=(3, 3)) / 2
    c = rng.normal(size=3)
    w = rng.uniform(0.5, 3.0)
    return [
        (f"ds/dt = -{lam:.3g} s", lambda s, t: -lam * s, np.array(rng.normal())),
        ("ds/dt = M s + c sin(w t)", lambda s, t: M @ s + c * np.sin(w * t), rng.normal(size=3)),
    ]


def hidden_ex1(euler_step_fn, euler_integrate_fn) -> None:
    rng = fresh_rng()
    for label, g, s0 in _fresh_systems(rng):
        t = rng.uniform(-2, 2)
        dt = rng.uniform(0.01, 0.3)
        got = call_student(euler_step_fn, g, s0.copy(), t, dt, name="euler_step")
        expect_close(f"euler_step for {label}", got, euler_step(g, s0, t, dt), rtol=1e-9)
        # an interval of n steps that floating point does not divide evenly
        n = int(rng.integers(5, 40))
        dt = float(rng.choice([0.1, 0.3, 0.7, 0.01, 0.03]))
        t0 = float(rng.choice([0.1, 0.2, 0.3, 1.1]))
        t1 = round(t0 + n * dt, 10)  # e.g. 0.1 + 6 × 0.1 = 0.7, where (0.7 - 0.1)/0.1 < 6
        out = call_student(euler_integrate_fn, g, s0.copy(), t0, t1, dt, name="euler_integrate")
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed("euler_integrate should return a pair (ts, states)")
        ts_ref, states_ref = euler_integrate(g, s0, t0, t1, dt)
        where = f"{label} from t0 = {t0:g} to t1 = {t1:.10g} with Δt = {dt:g} ({n} steps)"
        expect_shape(
            f"ts for {where}",
            out[0],
            ts_ref.shape,
            "N = (t1 - t0)/Δt is a whole number only up to round-off: round it, do not truncate",
        )
        expect_close(f"ts for {where}", out[0], ts_ref, rtol=1e-9, atol=1e-9)
        expect_close(f"states for {where}", out[1], states_ref, rtol=1e-7, atol=1e-9)


def hidden_ex2(oscillator_rhs_fn) -> None:
    rng = fresh_rng()
    for _ in range(4):
        k, m, gamma, A = rng.uniform(0.2, 5.0, size=4)
        state, t = rng.normal(size=2), rng.uniform(-10, 10)
        got = call_student(
            oscillator_rhs_fn, state.copy(), t, k, m, gamma, A, name="oscillator_rhs"
        )
        expect_close(
            f"oscillator_rhs(state={np.round(state, 3)}, t={t:.3g}, k={k:.3g}, m={m:.3g}, "
            f"gamma={gamma:.3g}, A={A:.3g})",
            got,
            oscillator_rhs(state, t, k, m, gamma, A),
            rtol=1e-9,
        )


def hidden_ex3(euler_order_fn, stability_limit_fn) -> None:
    rng = fresh_rng()
    lam = rng.uniform(0.5, 1.0)  # with the steps below, λ Δt ≤ 0.15 as the prompt says
    t_end = round(rng.uniform(1.0, 3.0), 1)
    dts = t_end / rng.choice([[20, 40, 80, 160], [25, 50, 100, 200], [30, 60, 120, 240]])
    out = call_student(euler_order_fn, lam, dts.copy(), t_end, name="euler_order")
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise CheckFailed("euler_order should return a pair (errors, order)")
    errors, order = euler_order(lam, dts, t_end)
    label = f"λ = {lam:.3g}, t_end = {t_end:g}, Δt = {np.round(dts, 4)}"
    expect_close(f"errors for {label}", out[0], errors, rtol=1e-6)
    expect_close(f"order for {label}", out[1], order, rtol=1e-6)
    # the stability limit of a fresh underdamped oscillator, measured by the student's bisection
    k, m = rng.uniform(0.5, 2.0, size=2)
    gamma = rng.uniform(0.4, 0.9) * np.sqrt(k * m)
    exact = stability_limit_exact(k, m, gamma)
    got = call_student(stability_limit_fn, k, m, gamma, 3 * exact, 2000, name="stability_limit")
    check_number(
        f"stability_limit(k={k:.3g}, m={m:.3g}, gamma={gamma:.3g})",
        got,
        exact,
        rtol=0.02,
        why="the step where the eigenvalues of one Euler step, 1 + Δt μ, reach modulus 1; "
        "bisect on whether the energy after n_steps steps ends above its start",
    )


def hidden_ex4(answer) -> None:
    check_number(
        "dt_max_q4",
        answer,
        DT_MAX_Q4,
        rtol=0.02,
        why="each component decays on its own, and each must satisfy Δt < 2/λ: the fast one, "
        "λ = 100, sets the limit",
    )


def hidden_ex5(answer) -> None:
    check_choice("answer_q5", answer, Q5, Q5_WRONG)
