"""rnnbook.topics.hopfield: Hebb's rule, updates, the energy and recall."""

from __future__ import annotations

import numpy as np
import pytest

from rnnbook.topics import hopfield as hp


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_hebbian_weights_symmetric_zero_diagonal_and_scaled(rng):
    xi = hp.random_patterns(40, 3, rng)
    W = hp.hebbian_weights(xi)
    assert W.shape == (40, 40)
    assert np.allclose(W, W.T)
    assert np.all(np.diag(W) == 0)
    i, j = 3, 17
    assert np.isclose(W[i, j], np.sum(xi[i] * xi[j]) / 40)


def test_energy_matches_double_sum(rng):
    W = hp.hebbian_weights(hp.random_patterns(12, 2, rng))
    s = hp.random_patterns(12, 3, rng)
    E = hp.energy(W, s)
    by_hand = [
        -0.5 * sum(W[i, j] * s[i, b] * s[j, b] for i in range(12) for j in range(12))
        for b in range(3)
    ]
    assert E.shape == (3,)
    assert np.allclose(E, by_hand)
    assert isinstance(hp.energy(W, s[:, 0]), float)


def test_async_updates_never_increase_energy(rng):
    W = hp.hebbian_weights(hp.random_patterns(50, 10, rng))
    S = hp.random_patterns(50, 8, rng)
    E = hp.energy(W, S)
    for i in rng.permutation(50):
        S = hp.update_neuron(W, S, int(i))
        E_new = hp.energy(W, S)
        assert np.all(E_new <= E + 1e-12)
        E = E_new


def test_recall_energy_trace_is_monotone_and_reaches_fixed_point(rng):
    xi = hp.random_patterns(100, 5, rng)
    W = hp.hebbian_weights(xi)
    res = hp.recall(W, hp.corrupt(xi, 0.2, rng), rng)
    assert res.converged
    assert np.all(np.diff(res.energies, axis=0) <= 1e-12)
    assert np.array_equal(hp.sync_step(W, res.s), res.s)  # a fixed point of the dynamics
    assert np.all(np.diag(hp.overlap(res.s, xi)) > 0.95)


def test_async_sweep_does_not_modify_input_and_follows_order(rng):
    W = hp.hebbian_weights(hp.random_patterns(20, 6, rng))
    s = hp.random_patterns(20, 4, rng)
    before = s.copy()
    a = hp.async_sweep(W, s, order=np.arange(20))
    assert np.array_equal(s, before)
    b = hp.async_sweep(W, s, order=np.arange(20)[::-1])
    assert a.shape == s.shape
    assert not np.array_equal(a, b)  # the order matters: later neurons see earlier updates


def test_sync_update_can_oscillate():
    # two neurons that want to disagree, started equal: synchronous updates flip both forever
    W = np.array([[0.0, -1.0], [-1.0, 0.0]])
    s = np.array([1.0, 1.0])
    assert np.array_equal(hp.sync_step(W, hp.sync_step(W, s)), s)
    assert not np.array_equal(hp.sync_step(W, s), s)
    rng = np.random.default_rng(1)
    assert hp.recall(W, s, rng, mode="async").converged
    assert not hp.recall(W, s, rng, mode="sync", max_sweeps=10).converged


def test_corrupt_flips_exact_fraction_and_overlap(rng):
    xi = hp.random_patterns(50, 2, rng)
    cue = hp.corrupt(xi, 0.2, rng)
    assert np.all(np.sum(cue != xi, axis=0) == 10)
    assert np.allclose(np.diag(hp.overlap(cue, xi)), 0.6)
    assert hp.overlap(xi[:, 0], xi[:, 0]) == 1.0


def test_capacity_good_at_low_load_poor_at_high_load(rng):
    q = hp.capacity_curve(100, [0.05, 0.4], rng, n_trials=2)
    assert q[0] > 0.95
    assert q[1] < 0.7


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="s: expected 3 neurons"):
        hp.energy(np.zeros((3, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"patterns: expected entries in \{-1, \+1\}"):
        hp.hebbian_weights(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="W: expected a square array"):
        hp.sync_step(np.zeros((3, 4)), np.ones(3))
    with pytest.raises(ValueError, match="mode: expected one of"):
        hp.recall(np.zeros((2, 2)), np.ones(2), np.random.default_rng(0), mode="parallel")
