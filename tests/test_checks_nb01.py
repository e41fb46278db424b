"""The checkers of notebook 01 accept the right answers and reject plausible wrong ones; the
hidden tests accept the references on fresh inputs and reject an answer fitted to the visible
case."""

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb01 as checks
from rnnbook.course.references import nb01 as ref


def _stub(*args, **kwargs):
    raise NotImplementedError()


def _measured_limit(k, m, gamma, dt_max, n_steps=2000):
    """A bisection on the energy after n_steps Euler steps, as the exercise asks."""

    def stable(dt):
        with np.errstate(over="ignore", invalid="ignore"):
            _, st = ref.euler_integrate(
                lambda x, t: ref.oscillator_rhs(x, t, k, m, gamma, 0.0),
                np.array([1.0, 0.0]),
                0.0,
                n_steps * dt,
                dt,
            )
            return bool(m * st[-1, 1] ** 2 + k * st[-1, 0] ** 2 < k)

    lo, hi = 0.0, dt_max
    while hi - lo > 1e-3 * hi:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if stable(mid) else (lo, mid)
    return (lo + hi) / 2


def test_references_pass_the_visible_checks():
    checks.check_euler_step(ref.euler_step)
    checks.check_euler_integrate(ref.euler_integrate)
    checks.check_oscillator_rhs(ref.oscillator_rhs)
    checks.check_euler_order(ref.euler_order)
    checks.check_stability_limit(_measured_limit)
    checks.check_dt_max_q4(ref.DT_MAX_Q4)
    checks.check_q5(ref.Q5)


def test_references_pass_the_hidden_tests_on_fresh_inputs():
    for _ in range(3):
        ref.hidden_ex1(ref.euler_step, ref.euler_integrate)
        ref.hidden_ex2(ref.oscillator_rhs)
    ref.hidden_ex3(ref.euler_order, _measured_limit)
    ref.hidden_ex4(ref.DT_MAX_Q4)
    ref.hidden_ex5(ref.Q5)


def test_the_measured_limit_is_the_eigenvalue_limit():
    rng = np.random.default_rng(5)
    for _ in range(5):
        k, m = rng.uniform(0.5, 2.0, size=2)
        gamma = rng.uniform(0.4, 0.9) * np.sqrt(k * m)
        exact = ref.stability_limit_exact(k, m, gamma)
        assert abs(checks._spectral_limit(k, m, gamma) / exact - 1) < 1e-9
        assert abs(_measured_limit(k, m, gamma, 3 * exact) / exact - 1) < 0.005


def test_the_visible_steps_give_order_one_within_the_threshold():
    _, order = ref.euler_order(1.3, np.array([0.085, 0.0425, 0.02125, 0.010625]), 1.7)
    assert abs(order - 1) < 0.1


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_euler_step,
        checks.check_euler_integrate,
        checks.check_oscillator_rhs,
        checks.check_euler_order,
        checks.check_stability_limit,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


@pytest.mark.parametrize("checker", [checks.check_dt_max_q4, checks.check_q5])
def test_unanswered_question_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(None)


def test_an_answer_fitted_to_the_visible_case_fails_the_hidden_tests():
    visible = (1.3, 1.7)

    def fitted_order(lam, dts, t_end):
        errors, order = ref.euler_order(lam, dts, t_end)
        return (errors, order) if (lam, t_end) == visible else (errors * 1.01, order)

    checks.check_euler_order(fitted_order)
    with pytest.raises(CheckFailed, match="errors for"):
        ref.hidden_ex3(fitted_order, _measured_limit)


def test_wrong_question_answers_are_explained():
    with pytest.raises(CheckFailed, match="falls four times faster"):
        ref.hidden_ex5("b")
    with pytest.raises(CheckFailed, match="the fast one"):
        ref.hidden_ex4(2.0)
    with pytest.raises(CheckFailed, match="should be one of"):
        checks.check_q5("e")
