"""The long-lag task generators: shapes, layouts, markers, targets and baselines."""

import numpy as np
import pytest

from rnnbook.topics import long_lag_tasks


def test_adding_problem_shapes_and_targets():
    rng = np.random.default_rng(0)
    x, y = long_lag_tasks.adding_problem(50, 12, rng)
    assert x.shape == (12, 2, 50) and y.shape == (1, 50) and x.dtype == np.float32
    values, markers = x[:, 0], x[:, 1]
    assert np.all((values >= 0) & (values < 1))
    assert np.all(markers.sum(axis=0) == 2)
    assert np.all(markers[:6].sum(axis=0) == 1) and np.all(markers[6:].sum(axis=0) == 1)
    assert np.allclose(y[0], (values * markers).sum(axis=0), atol=1e-6)


def test_adding_problem_torch_layout_is_the_same_batch():
    a = long_lag_tasks.adding_problem(7, 9, np.random.default_rng(3))
    b = long_lag_tasks.adding_problem(7, 9, np.random.default_rng(3), layout="torch")
    assert b[0].shape == (9, 7, 2) and b[1].shape == (7, 1)
    assert np.array_equal(a[0].transpose(0, 2, 1), b[0]) and np.array_equal(a[1].T, b[1])


def test_adding_baseline_is_the_variance_of_the_target():
    x, y = long_lag_tasks.adding_problem(20000, 10, np.random.default_rng(1))
    assert abs(np.mean((y - 1.0) ** 2) - long_lag_tasks.adding_baseline_mse()) < 0.01


def test_copy_task_layout_and_targets():
    x, y = long_lag_tasks.copy_task(6, 4, np.random.default_rng(0), n_symbols=3, n_classes=5)
    T = 2 * 3 + 4
    assert x.shape == (T, 7, 6) and y.shape == (T, 6) and y.dtype == np.int64
    ids = x.argmax(axis=1)
    assert np.all(x.sum(axis=1) == 1)  # one-hot
    assert np.all((ids[:3] >= 1) & (ids[:3] <= 5))
    assert np.all(ids[3:7] == 0) and np.all(ids[7] == 6) and np.all(ids[8:] == 0)
    assert np.all(y[:7] == 0) and np.array_equal(y[7:], ids[:3])
    xt, yt = long_lag_tasks.copy_task(
        6, 4, np.random.default_rng(0), n_symbols=3, n_classes=5, layout="torch"
    )
    assert np.array_equal(xt.transpose(0, 2, 1), x) and np.array_equal(yt, y)


def test_copy_baseline():
    assert np.isclose(
        long_lag_tasks.copy_baseline_loss(10, n_symbols=5, n_classes=8), 5 * np.log(8) / 20
    )


@pytest.mark.parametrize(
    "call, match",
    [
        (
            lambda: long_lag_tasks.adding_problem(4, 1, np.random.default_rng()),
            "length: expected at least 2",
        ),
        (lambda: long_lag_tasks.adding_problem(0, 5, np.random.default_rng()), "batch: expected"),
        (
            lambda: long_lag_tasks.adding_problem(4, 5, 0),
            "rng: expected a numpy Generator, got int",
        ),
        (
            lambda: long_lag_tasks.copy_task(4, 5, np.random.default_rng(), layout="tf"),
            "layout: expected one of",
        ),
        (lambda: long_lag_tasks.copy_task(4, -1, np.random.default_rng()), "lag: expected"),
    ],
)
def test_errors_name_the_argument(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()
