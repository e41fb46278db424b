"""The checkers of notebook 05 accept the right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from rnnbook import bptt
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb05 as checks
from rnnbook.topics import long_lag_tasks


def _stub(*args, **kwargs):
    raise NotImplementedError()


def right_value(grads, clip_value):
    return bptt.clip_grad_value(grads, clip_value)


def right_norms(W, T):
    return np.array([np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(T + 1)])


def right_irnn(n_x, n_h, rng):
    return {"U": rng.normal(0.0, 0.001, (n_h, n_x)), "W": np.eye(n_h), "b": np.zeros((n_h, 1))}


def right_adding(batch, length, rng):
    return long_lag_tasks.adding_problem(batch, length, rng, dtype=np.float64)


def test_right_answers_pass():
    checks.check_clip_by_global_norm(bptt.clip_grad_norm)
    checks.check_clip_by_value(right_value)
    checks.check_linear_jacobian_norms(right_norms)
    checks.check_irnn_params(right_irnn)
    checks.check_adding_batch(right_adding)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_clip_by_global_norm,
        checks.check_clip_by_value,
        checks.check_linear_jacobian_norms,
        checks.check_irnn_params,
        checks.check_adding_batch,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def _global_norm(grads):
    return float(np.sqrt(sum(np.sum(g**2) for g in grads.values())))


def per_param(grads, max_norm):
    out = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
    return out, _global_norm(grads)


def always_rescale(grads, max_norm):
    n = _global_norm(grads)
    return {k: g * max_norm / n for k, g in grads.items()}, n


def no_sqrt(grads, max_norm):
    n = _global_norm(grads) ** 2
    return {k: g * min(1.0, max_norm / n) for k, g in grads.items()}, n


def by_value(grads, max_norm):
    return bptt.clip_grad_value(grads, max_norm), _global_norm(grads)


def in_place(grads, max_norm):
    n = _global_norm(grads)
    for g in grads.values():
        g *= min(1.0, max_norm / n)
    return grads, n


def norm_after(grads, max_norm):
    clipped, _ = bptt.clip_grad_norm(grads, max_norm)
    return clipped, _global_norm(clipped)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (per_param, "clips each gradient by its own norm"),
        (always_rescale, "leave them as they are"),
        (no_sqrt, "the sum of squares: take its square root"),
        (by_value, "that is clipping by value"),
        (in_place, "changed the grads it was given"),
        (norm_after, "report the norm measured before clipping"),
        (lambda g, m: bptt.clip_grad_norm(g, m)[0], "should return a pair"),
    ],
)
def test_clip_by_global_norm_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_clip_by_global_norm(wrong)


def _value_in_place(grads, c):
    for g in grads.values():
        np.clip(g, -c, c, out=g)
    return grads


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, c: {k: np.minimum(v, c) for k, v in g.items()}, "clips only from above"),
        (lambda g, c: bptt.clip_grad_norm(g, c)[0], "rescales the whole gradient by its norm"),
        (_value_in_place, "changed the grads it was given"),
        (lambda g, c: {"W": np.clip(g["W"], -c, c)}, "returned keys"),
        (lambda g, c: {k: np.clip(v, -c, c) * 0.9 for k, v in g.items()}, "min\\(max\\(g"),
    ],
)
def test_clip_by_value_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_clip_by_value(wrong)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda W, T: right_norms(W, T)[1:], "start at lag k = 0"),
        (
            lambda W, T: np.max(np.abs(np.linalg.eigvals(W))) ** np.arange(T + 1),
            "only the asymptotic rate",
        ),
        (lambda W, T: np.array([np.linalg.norm(W**k, 2) for k in range(T + 1)]), "W\\*\\*k"),
        (
            lambda W, T: np.array(
                [np.linalg.norm(np.linalg.matrix_power(W, k)) for k in range(T + 1)]
            ),
            "Frobenius",
        ),
        (lambda W, T: right_norms(W, T)[::-1], "reverse order"),
    ],
)
def test_linear_jacobian_norms_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_linear_jacobian_norms(wrong)


def _irnn_with(**changes):
    def fn(n_x, n_h, rng):
        params = right_irnn(n_x, n_h, rng)
        for key, make in changes.items():
            params[key] = make(n_x, n_h, rng)
        return params

    return fn


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_irnn_with(W=lambda n_x, n_h, rng: np.ones((n_h, n_h))), "all ones"),
        (_irnn_with(W=lambda n_x, n_h, rng: 0.5 * np.eye(n_h)), "0.5 times the identity"),
        (_irnn_with(U=lambda n_x, n_h, rng: np.zeros((n_h, n_x))), "U is all zeros"),
        (_irnn_with(U=lambda n_x, n_h, rng: rng.normal(size=(n_x, n_h))), "it is \\(n_h, n_x\\)"),
        (_irnn_with(U=lambda n_x, n_h, rng: rng.normal(size=(n_h, n_x))), "standard deviation"),
        (
            _irnn_with(U=lambda n_x, n_h, rng: np.random.normal(0, 0.001, (n_h, n_x))),
            "drawn with the rng argument",
        ),
        (_irnn_with(b=lambda n_x, n_h, rng: np.ones((n_h, 1))), "b starts at zero"),
        (lambda n_x, n_h, rng: (np.eye(n_h),), "should return a dict"),
    ],
)
def test_irnn_params_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_irnn_params(wrong)


def _same_step_marks(batch, length, rng):
    values = rng.uniform(size=(length, batch))
    markers = np.zeros((length, batch))
    for b in range(batch):
        markers[rng.integers(0, length, size=2), b] = 1.0
    return np.stack([values, markers], axis=1), (values * markers).sum(axis=0, keepdims=True)


def _sum_all(batch, length, rng):
    x, _ = right_adding(batch, length, rng)
    return x, x[:, 0].sum(axis=0, keepdims=True)


def _fixed_marks(batch, length, rng):
    x, _ = right_adding(batch, length, rng)
    x[:, 1] = 0.0
    x[0, 1] = x[-1, 1] = 1.0
    return x, (x[0, 0] + x[-1, 0])[None, :]


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_same_step_marks, "both marks fell on the same step"),
        (_sum_all, "y sums every value"),
        (_fixed_marks, "the marked steps are the same in every example"),
        (lambda B, T, rng: tuple(a.T for a in right_adding(B, T, rng)), "columns are examples"),
        (
            lambda B, T, rng: (right_adding(B, T, rng)[0], right_adding(B, T, rng)[1][0]),
            "y has shape",
        ),
        (lambda B, T, rng: right_adding(B, T, rng)[0], "should return a pair"),
    ],
)
def test_adding_batch_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_adding_batch(wrong)
