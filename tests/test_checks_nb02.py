"""The checkers of notebook 02 accept the right answers and reject plausible wrong ones; the
hidden tests accept the references on fresh inputs and reject an answer fitted to the visible
case; the classifier's threshold separates a trained hidden layer from a straight boundary."""

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb02 as checks
from rnnbook.course.references import nb02 as ref


def _stub(*args, **kwargs):
    raise NotImplementedError()


CHECKERS = [
    (checks.check_sigmoid_layer_backward, ref.sigmoid_layer_backward, ref.hidden_ex1),
    (checks.check_relu_layer_backward, ref.relu_layer_backward, ref.hidden_ex2),
    (checks.check_softmax_cross_entropy, ref.softmax_cross_entropy, ref.hidden_ex3),
    (checks.check_numerical_gradient, ref.numerical_gradient, ref.hidden_ex4),
    (checks.check_train_classifier, ref.train_classifier, ref.hidden_ex5),
]


@pytest.mark.parametrize("checker, right, hidden", CHECKERS)
def test_references_pass_visible_and_hidden_checks(checker, right, hidden):
    checker(right)
    hidden(right)


@pytest.mark.parametrize("checker", [c for c, _, _ in CHECKERS])
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def test_questions():
    checks.check_q6(ref.Q6)
    checks.check_passes_q7(ref.PASSES_Q7)
    ref.hidden_ex6(ref.Q6)
    ref.hidden_ex7(ref.PASSES_Q7)
    with pytest.raises(NotAttempted):
        checks.check_q6(None)
    with pytest.raises(NotAttempted):
        checks.check_passes_q7(None)
    with pytest.raises(CheckFailed, match="rounding term"):
        ref.hidden_ex6("c")
    with pytest.raises(CheckFailed, match="3 rows beat"):
        ref.hidden_ex7(1000)


def test_perturb_and_restore_is_accepted_although_x_moves_by_round_off():
    def restore_by_steps(f, x, eps=1e-5):
        grad = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            x[idx] += eps
            up = f(x)
            x[idx] -= 2 * eps
            down = f(x)
            x[idx] += eps
            grad[idx] = (up - down) / (2 * eps)
        return grad

    x = np.random.default_rng(0).uniform(-1, 1, size=50)
    before = x.copy()
    restore_by_steps(lambda v: float(np.sum(v**2)), x)
    assert not np.array_equal(x, before)  # the idiom really leaves round-off behind
    checks.check_numerical_gradient(restore_by_steps)
    ref.hidden_ex4(restore_by_steps)


def test_an_answer_fitted_to_the_visible_case_fails_the_hidden_tests():
    seen = []

    def recording(x, W, b, dy):
        seen.append(x.copy())
        return ref.sigmoid_layer_backward(x, W, b, dy)

    checks.check_sigmoid_layer_backward(recording)

    def fitted(x, W, b, dy):  # right on the visible inputs only
        dx, dW, db = ref.sigmoid_layer_backward(x, W, b, dy)
        visible = any(v.shape == x.shape and np.array_equal(v, x) for v in seen)
        return (dx, dW, db) if visible else (dx, dW, 2 * db)

    checks.check_sigmoid_layer_backward(fitted)
    with pytest.raises(CheckFailed, match="db for"):
        ref.hidden_ex1(fitted)


def _linear_accuracy(X, y, X_test, y_test, steps=3000, lr=0.5):
    W, b = np.zeros((2, 2)), np.zeros((1, 2))
    for _ in range(steps):
        _, dO = ref.softmax_cross_entropy(X @ W + b, y)
        W -= lr * X.T @ dO
        b -= lr * dO.sum(axis=0, keepdims=True)
    return float(np.mean((X_test @ W + b).argmax(axis=1) == y_test))


def test_the_threshold_needs_a_trained_hidden_layer():
    for seed in range(3):
        data = np.random.default_rng(seed)
        angle = data.uniform(0, 2 * np.pi)
        X, y = checks.two_moons(200, data, angle=angle)
        X_test, y_test = checks.two_moons(2000, data, angle=angle)
        assert _linear_accuracy(X, y, X_test, y_test) < 0.9 < checks.THRESHOLD
        params = ref.train_classifier(X, y, 2, 16, np.random.default_rng(seed))
        assert checks.accuracy(params, X_test, y_test, 16, 2) >= checks.THRESHOLD + 0.01


def test_the_one_hot_must_follow_the_columns_of_O():
    def from_labels(O, y):
        L, dO = ref.softmax_cross_entropy(O, y)
        return L, dO[:, : y.max() + 1]

    with pytest.raises(CheckFailed, match="number of columns of O"):
        checks.check_softmax_cross_entropy(from_labels)
