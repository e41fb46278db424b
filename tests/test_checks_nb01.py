"""The checkers of notebook 01 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb01 as checks
from rnnbook.topics import dynamics


def _stub(*args, **kwargs):
    raise NotImplementedError()


def right_integrate(g, s0, t0, t1, h):
    return dynamics.euler(g, s0, t0, t1, h)


def right_rhs(state, t, k, m, A):
    return dynamics.oscillator_rhs(k, m, A)(state, t)


def right_drive(a, xs, s0):
    return dynamics.drive(lambda s, x: a * s + x, s0, xs)


def test_right_answers_pass():
    checks.check_euler_step(dynamics.euler_step)
    checks.check_euler_integrate(right_integrate)
    checks.check_oscillator_rhs(right_rhs)
    checks.check_leaky_drive(right_drive)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_euler_step,
        checks.check_euler_integrate,
        checks.check_oscillator_rhs,
        checks.check_leaky_drive,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, s, t, h: s + h * g(s, t + h), "evaluates g at t + h"),
        (lambda g, s, t, h: h * g(s, t), "returns only the increment"),
        (lambda g, s, t, h: s + g(s, t), "forgets to multiply the slope by the step size h"),
        (lambda g, s, t, h: s - h * g(s, t), "steps backwards"),
        (lambda g, s, t, h: s + 0.5 * h * g(s, t), "expected s + h * g(s, t)"),
    ],
)
def test_euler_step_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_euler_step(wrong)


def test_euler_integrate_wrong():
    def no_initial_state(g, s0, t0, t1, h):
        ts, states = dynamics.euler(g, s0, t0, t1, h)
        return ts[1:], states[1:]

    def frozen_time(g, s0, t0, t1, h):
        return dynamics.euler(lambda s, t: g(s, t0), s0, t0, t1, h)

    with pytest.raises(CheckFailed, match="expected 9: the initial state s0 plus 8 steps"):
        checks.check_euler_integrate(no_initial_state)
    with pytest.raises(CheckFailed, match="always evaluates g at t0"):
        checks.check_euler_integrate(frozen_time)
    with pytest.raises(CheckFailed, match="should return a pair"):
        checks.check_euler_integrate(lambda g, s0, t0, t1, h: dynamics.euler(g, s0, t0, t1, h)[1])


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda st, t, k, m, A: np.array([st[1], -k * st[0] + A * np.cos(t)]),
            "division by the mass",
        ),
        (lambda st, t, k, m, A: np.array([st[1], k / m * st[0] + A / m * np.cos(t)]), "wrong sign"),
        (
            lambda st, t, k, m, A: np.array([st[1], -k / m * st[0] + A / m * np.sin(t)]),
            "not A sin t",
        ),
        (lambda st, t, k, m, A: np.array([-k / m * st[0] + A / m * np.cos(t), st[1]]), "swapped"),
        (lambda st, t, k, m, A: np.array([st[1]]), r"shape \(1,\), expected \(2,\)"),
    ],
)
def test_oscillator_rhs_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_oscillator_rhs(wrong)


def test_leaky_drive_wrong():
    def scales_input(a, xs, s0):
        return dynamics.drive(lambda s, x: a * (s + x), s0, xs)

    def no_initial_state(a, xs, s0):
        return right_drive(a, xs, s0)[1:]

    with pytest.raises(CheckFailed, match="the input is scaled by a too"):
        checks.check_leaky_drive(scales_input)
    with pytest.raises(CheckFailed, match="start the list with s0"):
        checks.check_leaky_drive(no_initial_state)
