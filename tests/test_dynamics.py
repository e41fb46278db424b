"""Dynamical systems and Euler's method (rnnbook.topics.dynamics)."""

import numpy as np
import pytest

from rnnbook.topics import dynamics


def test_euler_decay_against_exponential():
    ts, s = dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, 1.0, 1e-4)
    assert ts[-1] == pytest.approx(1.0)
    assert s[-1] == pytest.approx(np.exp(-1.0), abs=1e-4)


def test_error_halves_when_h_halves():
    errs = []
    for h in (0.1, 0.05, 0.025):
        ts, s = dynamics.euler(dynamics.decay_rhs(1.0), 1.0, 0.0, 2.0, h)
        errs.append(np.max(np.abs(s - np.exp(-ts))))
    assert errs[0] / errs[1] == pytest.approx(2, rel=0.1)
    assert errs[1] / errs[2] == pytest.approx(2, rel=0.1)
    assert dynamics.convergence_order([0.1, 0.05, 0.025], errs) == pytest.approx(1, abs=0.1)


def test_rk4_is_fourth_order_and_matches_oscillator_exact():
    for k, m, A in ((2.0, 1.0, 0.5), (1.0, 1.0, 0.7), (0.5, 2.0, 0.0)):
        ts, s = dynamics.rk4(dynamics.oscillator_rhs(k, m, A), [1.0, -0.3], 0.0, 12.0, 0.01)
        exact = dynamics.oscillator_exact(ts, k, m, A, 1.0, -0.3)
        assert np.max(np.abs(s - exact)) < 1e-6
    hs = [0.2, 0.1, 0.05]
    errs = [
        np.abs(dynamics.rk4(dynamics.decay_rhs(1.0), 1.0, 0.0, 2.0, h)[1][-1] - np.exp(-2))
        for h in hs
    ]
    assert dynamics.convergence_order(hs, errs) == pytest.approx(4, abs=0.2)


def test_euler_stability_limit():
    lam = 4.0
    limit = dynamics.euler_stability_limit(lam)
    assert limit == 0.5
    _, below = dynamics.euler(dynamics.decay_rhs(lam), 1.0, 0.0, 20.0, 0.4)
    _, above = dynamics.euler(dynamics.decay_rhs(lam), 1.0, 0.0, 20.0, 0.625)
    assert abs(below[-1]) < 1e-3 and abs(above[-1]) > 1e3


def test_oscillator_rhs_matches_the_first_order_system():
    g = dynamics.oscillator_rhs(k=3.0, m=2.0, A=1.0)
    assert np.allclose(g(np.array([0.5, -1.0]), 0.0), [-1.0, -0.75 + 0.5])


def test_unfold_and_drive():
    states = dynamics.unfold(lambda s: 2 * s + 1, 0.0, 3)
    assert states.tolist() == [0.0, 1.0, 3.0, 7.0]
    driven = dynamics.drive(lambda s, x: 0.5 * s + x, 1.0, [1.0, 2.0])
    assert driven.tolist() == [1.0, 1.5, 2.75]


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: dynamics.euler(dynamics.decay_rhs(), 1.0, 0.0, 1.0, -0.1),
            "dt: expected a finite number > 0",
        ),
        (
            lambda: dynamics.euler(dynamics.decay_rhs(), 1.0, 0.0, 1.0, 0.3),
            "dt: expected a step that divides",
        ),
        (
            lambda: dynamics.euler(dynamics.decay_rhs(), 1.0, 1.0, 0.0, 0.1),
            "t1: expected a finite time after t0",
        ),
        (
            lambda: dynamics.euler(dynamics.decay_rhs(), np.nan, 0.0, 1.0, 0.1),
            "s0: expected finite values",
        ),
        (lambda: dynamics.oscillator_rhs(k=0.0), "k: expected a finite number > 0"),
        (lambda: dynamics.drive(lambda s, x: s, 0.0, []), "xs: expected a non-empty sequence"),
        (lambda: dynamics.convergence_order([0.1], [0.2, 0.1]), "errors: expected as many values"),
    ],
)
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


# ---- the input-free recurrent network h^(t) = φ(W h^(t-1)) ----------------------------------


def test_iterate_returns_every_state_of_the_map():
    W = np.array([[0.0, -1.0], [1.0, 0.0]])  # rotation by 90°: period 4
    hs = dynamics.iterate(lambda h: W @ h, np.array([1.0, 0.0]), 4)
    assert hs.shape == (5, 2)
    assert np.allclose(hs, [[1, 0], [0, 1], [-1, 0], [0, -1], [1, 0]])
    hs_tanh = dynamics.iterate(lambda h: np.tanh(0.5 * h), np.array([0.3]), 3)
    assert hs_tanh[3, 0] == pytest.approx(np.tanh(0.5 * np.tanh(0.5 * np.tanh(0.15))))


def test_lyapunov_of_a_one_unit_linear_map_is_log_abs_w():
    for w in (0.5, -0.9, 1.5, -3.0):
        lam = dynamics.lyapunov_max(
            np.array([[w]]), np.array([0.2]), 50, burn_in=10, nonlinearity="identity"
        )
        assert lam == pytest.approx(np.log(abs(w)), abs=1e-12)


def test_lyapunov_of_a_linear_map_tends_to_log_spectral_radius():
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 5))
    rho = np.max(np.abs(np.linalg.eigvals(W)))
    lam = dynamics.lyapunov_max(W, rng.normal(size=5), 2000, burn_in=200, nonlinearity="identity")
    assert lam == pytest.approx(np.log(rho), abs=0.01)


def test_lyapunov_is_negative_for_small_gain_and_positive_for_large_gain():
    rng = np.random.default_rng(1)
    W0 = rng.normal(size=(60, 60))
    W0 /= np.max(np.abs(np.linalg.eigvals(W0)))  # spectral radius 1
    h0 = rng.normal(size=60)
    small = dynamics.lyapunov_max(0.5 * W0, h0, 300)
    large = dynamics.lyapunov_max(3.0 * W0, h0, 300)
    assert small == pytest.approx(np.log(0.5), abs=0.1)  # at h = 0 the Jacobian is 0.5 W0
    assert large > 0.1  # chaos
    # the 1-D tanh map h -> tanh(w h) with w < 1 contracts to 0 at rate log w
    assert dynamics.lyapunov_max(np.array([[0.7]]), np.array([0.5]), 400) == pytest.approx(
        np.log(0.7), abs=1e-6
    )


def test_lyapunov_checks_its_arguments():
    with pytest.raises(ValueError, match=r"W: expected shape \(n, n\) = \(2, 2\), got \(2, 3\)"):
        dynamics.lyapunov_max(np.zeros((2, 3)), np.zeros(2), 10)
    with pytest.raises(ValueError, match="h0: expected shape"):
        dynamics.lyapunov_max(np.eye(2), np.zeros(3), 10)
    with pytest.raises(ValueError, match="burn_in: expected fewer steps than steps = 10, got 10"):
        dynamics.lyapunov_max(np.eye(2), np.zeros(2), 10, burn_in=10)
    with pytest.raises(ValueError, match="nonlinearity: expected one of"):
        dynamics.lyapunov_max(np.eye(2), np.zeros(2), 10, burn_in=0, nonlinearity="relu")
    assert dynamics.lyapunov_max(np.zeros((2, 2)), np.ones(2), 10, burn_in=0) == -np.inf
