"""The cliff surfaces and gradient descent with and without clipping."""

import numpy as np
import pytest

from rnnbook.topics import gradient_cliff


def _numerical_grad(surface, theta, eps=1e-6):
    g = np.zeros(2)
    for i in range(2):
        e = np.zeros(2)
        e[i] = eps
        g[i] = (surface.loss(*(theta + e)) - surface.loss(*(theta - e))) / (2 * eps)
    return g


@pytest.mark.parametrize("theta", [[-1.0, 0.5], [0.01, 0.0], [0.2, 0.3], [2.0, -1.0]])
def test_grad_matches_finite_differences(theta):
    s = gradient_cliff.CliffSurface()
    theta = np.array(theta)
    assert np.allclose(s.grad(theta), _numerical_grad(s, theta), rtol=1e-5, atol=1e-6)


def test_wall_is_much_steeper_than_the_bowl():
    s = gradient_cliff.CliffSurface()
    on_wall = np.linalg.norm(s.grad(np.array([s.c, 0.0])))
    away = np.linalg.norm(s.grad(np.array([-1.0, 0.0])))
    assert on_wall > 20 * away
    assert np.isclose(on_wall, s.max_wall_slope(), rtol=0.05)


def test_clipping_keeps_the_path_bounded_and_unclipped_jumps():
    s = gradient_cliff.CliffSurface()
    free = gradient_cliff.descend(s, [-2.5, 1.0], 0.2, 40)
    clipped = gradient_cliff.descend(s, [-2.5, 1.0], 0.2, 40, clip=1.0)
    by_value = gradient_cliff.descend(s, [-2.5, 1.0], 0.2, 40, clip=1.0, clip_mode="value")
    assert free.shape == (41, 2)
    assert np.linalg.norm(np.diff(free, axis=0), axis=1).max() > 10
    assert np.linalg.norm(np.diff(clipped, axis=0), axis=1).max() <= 0.2 + 1e-12
    assert np.linalg.norm(np.diff(by_value, axis=0), axis=1).max() <= 0.2 * np.sqrt(2) + 1e-12
    assert s.loss(*clipped[-1]) < s.loss(*free[-1])


def test_descend_without_a_cliff_is_plain_gradient_descent():
    s = gradient_cliff.CliffSurface(height=0.0)
    path = gradient_cliff.descend(s, [0.0, 1.0], 0.1, 3)
    theta = np.array([0.0, 1.0])
    for row in path[1:]:
        theta = theta - 0.1 * s.grad(theta)
        assert np.allclose(row, theta)


def test_one_unit_rnn_loss_iterates_the_unit():
    h = 0.5
    for _ in range(5):
        h = 3.0 / (1 + np.exp(-h)) - 1.0
    assert np.isclose(gradient_cliff.one_unit_rnn_loss(3.0, -1.0, steps=5), (h - 0.7) ** 2)
    grid = gradient_cliff.one_unit_rnn_loss(np.ones((3, 4)), np.zeros((3, 4)))
    assert grid.shape == (3, 4)


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="clip_mode: expected one of"):
        gradient_cliff.descend(
            gradient_cliff.CliffSurface(), [0.0, 0.0], 0.1, 3, clip=1.0, clip_mode="max"
        )
    with pytest.raises(ValueError, match="theta0: expected shape"):
        gradient_cliff.descend(gradient_cliff.CliffSurface(), [0.0, 0.0, 0.0], 0.1, 3)


def test_fixed_points_of_the_unit_solve_its_equation_and_border_the_basins():
    one = gradient_cliff.one_unit_fixed_points(2.0, -5.0)
    three = gradient_cliff.one_unit_fixed_points(16.0, -9.45)
    assert len(one) == 1 and len(three) == 3
    for w, b, points in ((2.0, -5.0, one), (16.0, -9.45, three)):
        assert np.allclose(w / (1 + np.exp(-points)) + b, points, atol=1e-8)
    # the middle fixed point separates the basins: start just below it, end at the lower one
    low, mid, high = three
    for start, end in ((mid - 0.01, low), (mid + 0.01, high)):
        h = start
        for _ in range(500):
            h = 16.0 / (1 + np.exp(-h)) - 9.45
        assert np.isclose(h, end, atol=1e-6)


def test_fixed_point_errors_name_the_argument():
    with pytest.raises(TypeError, match="w: expected a real number, got str"):
        gradient_cliff.one_unit_fixed_points("2", 0.0)
    with pytest.raises(ValueError, match="b: expected a finite number, got nan"):
        gradient_cliff.one_unit_fixed_points(2.0, float("nan"))
    with pytest.raises(ValueError, match="resolution: expected at least 3 grid points, got 2"):
        gradient_cliff.one_unit_fixed_points(2.0, 0.0, resolution=2)
