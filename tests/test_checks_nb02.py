"""The checkers of notebook 02 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb02 as checks


def _stub(*args, **kwargs):
    raise NotImplementedError()


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------- right answers


def right_sigmoid(x, W, b, dy):
    y = _sigmoid(x.T @ W + b)
    delta = dy * y * (1 - y)
    return W @ delta.T, x @ delta, delta


def right_relu(X, W, b, dH):
    delta = dH * (X @ W + b > 0)
    return delta @ W.T, X.T @ delta, delta.sum(axis=0, keepdims=True)


def right_chain(W, x, grad_y):
    y = np.tanh(W @ x)
    J = (1 - y**2) * W
    return J, J.T @ grad_y


def right_numerical(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + eps
        f_plus = f(x)
        x[idx] = keep - eps
        f_minus = f(x)
        x[idx] = keep
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad


CHECKERS = [
    (checks.check_sigmoid_layer_backward, right_sigmoid),
    (checks.check_relu_layer_backward, right_relu),
    (checks.check_vector_chain_rule, right_chain),
    (checks.check_numerical_gradient, right_numerical),
]


@pytest.mark.parametrize("checker, right", CHECKERS)
def test_right_answers_pass(checker, right):
    checker(right)


@pytest.mark.parametrize("checker", [c for c, _ in CHECKERS])
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def test_right_answers_pass_with_other_seeds():
    for seed in (1, 2):
        checks.check_sigmoid_layer_backward(right_sigmoid, seed=seed)
        checks.check_relu_layer_backward(right_relu, seed=seed)
        checks.check_vector_chain_rule(right_chain, seed=seed)


# ---------------------------------------------------------------- ex1: sigmoid layer


def _sigmoid_with(delta_of):
    def wrong(x, W, b, dy):
        u = x.T @ W + b
        delta = delta_of(dy, u, _sigmoid(u))
        return W @ delta.T, x @ delta, delta

    return wrong


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_sigmoid_with(lambda dy, u, y: dy), "the sigmoid's derivative is missing"),
        (_sigmoid_with(lambda dy, u, y: dy * (1 - y**2)), "that is tanh's derivative"),
        (_sigmoid_with(lambda dy, u, y: dy * u * (1 - u)), "not u (1 - u)"),
        (_sigmoid_with(lambda dy, u, y: dy * y), "the factor (1 - y) is missing"),
        (
            lambda x, W, b, dy: (
                right_sigmoid(x, W, b, dy)[0],
                right_sigmoid(x, W, b, dy)[1].T,
                right_sigmoid(x, W, b, dy)[2],
            ),
            "dW has shape (2, 3) but W is (3, 2): did you forget a transpose?",
        ),
        (
            lambda x, W, b, dy: (right_sigmoid(x, W, b, dy)[0].T,) + right_sigmoid(x, W, b, dy)[1:],
            "dx has shape (1, 3) but x is (3, 1): did you forget a transpose?",
        ),
        (
            lambda x, W, b, dy: (
                (W.T @ right_sigmoid(x, W, b, dy)[2].T,) + right_sigmoid(x, W, b, dy)[1:]
                if W.shape[0] == W.shape[1]
                else right_sigmoid(x, W, b, dy)
            ),
            "dx = W delta^T (W itself, no transpose)",
        ),
        (lambda x, W, b, dy: right_sigmoid(x, W, b, dy)[:2], "should return a tuple (dx, dW, db)"),
    ],
)
def test_sigmoid_layer_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_sigmoid_layer_backward(wrong)


def test_sigmoid_layer_transposed_square_dw():
    def wrong(x, W, b, dy):
        dx, dW, db = right_sigmoid(x, W, b, dy)
        return dx, (dW.T if W.shape[0] == W.shape[1] else dW), db

    with pytest.raises(CheckFailed, match="dW for .* is the transpose of the right answer"):
        checks.check_sigmoid_layer_backward(wrong)


# ---------------------------------------------------------------- ex2: ReLU layer


def _relu_with(delta_of, db_of=lambda d: d.sum(axis=0, keepdims=True)):
    def wrong(X, W, b, dH):
        U = X @ W + b
        delta = delta_of(dH, U)
        return delta @ W.T, X.T @ delta, db_of(delta)

    return wrong


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_relu_with(lambda dH, U: dH), "is the mask 1[XW + b > 0] missing?"),
        (_relu_with(lambda dH, U: dH * np.maximum(0, U)), "multiplied by H itself"),
        (_relu_with(lambda dH, U: dH * (U <= 0)), "the mask is inverted"),
        (_relu_with(lambda dH, U: dH * (U > 0), lambda d: d), "db should sum over the batch"),
        (_relu_with(lambda dH, U: dH * (U > 0), lambda d: d.sum(axis=0)), "keepdims=True"),
        (
            _relu_with(lambda dH, U: dH * (U > 0), lambda d: d.mean(axis=0, keepdims=True)),
            "averages over the batch",
        ),
        (
            lambda X, W, b, dH: (
                right_relu(X, W, b, dH)[0],
                right_relu(X, W, b, dH)[1].T,
                right_relu(X, W, b, dH)[2],
            ),
            "dW has shape (2, 3) but W is (3, 2): did you forget a transpose?",
        ),
    ],
)
def test_relu_layer_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_relu_layer_backward(wrong)


# ---------------------------------------------------------------- ex3: vector chain rule


def _chain_with(jacobian_of, grad_of=lambda J, g: J.T @ g):
    def wrong(W, x, grad_y):
        J = jacobian_of(W, W @ x)
        return J, grad_of(J, grad_y)

    return wrong


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_chain_with(lambda W, u: W), "J equals W: the derivative of tanh is missing"),
        (_chain_with(lambda W, u: (1 - u**2) * W), "not 1 - u^2"),
        (_chain_with(lambda W, u: (1 - np.tanh(u)) * W), "not 1 - y"),
        (
            _chain_with(lambda W, u: ((1 - np.tanh(u) ** 2) * W).T, lambda J, g: J @ g),
            "J has shape (3, 4), expected (4, 3)",
        ),
        (
            lambda W, x, g: (right_chain(W, x, g)[0], right_chain(W, x, g)[1].T),
            "grad_x has shape (1, 3) but x is (3, 1)",
        ),
        (
            lambda W, x, g: (right_chain(W, x, g)[0], W.T @ g),
            "the tanh derivative (1 - y^2) is missing",
        ),
    ],
)
def test_vector_chain_rule_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_vector_chain_rule(wrong)


def test_vector_chain_rule_square_mistakes():
    def column_scaled(W, x, grad_y):
        J = right_chain(W, x, grad_y)[0]
        if W.shape[0] == W.shape[1]:
            J = W * (1 - np.tanh(W @ x).T ** 2)
        return J, J.T @ grad_y

    def no_transpose(W, x, grad_y):
        J, grad_x = right_chain(W, x, grad_y)
        return J, (J @ grad_y if W.shape[0] == W.shape[1] else grad_x)

    with pytest.raises(CheckFailed, match="the diagonal went on the wrong side"):
        checks.check_vector_chain_rule(column_scaled)
    with pytest.raises(CheckFailed, match=re.escape("transpose the Jacobian, grad_x = J^T grad_y")):
        checks.check_vector_chain_rule(no_transpose)


# ---------------------------------------------------------------- ex4: finite differences


def forward_difference(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        grad[idx] = (f(x + e) - f(x)) / eps
    return grad


def divides_by_eps(f, x, eps=1e-5):
    return 2 * right_numerical(f, x, eps)


def never_restores(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        x[idx] += eps
        f_plus = f(x)
        x[idx] -= eps  # forgets the second step back
        grad[idx] = (f_plus - f(x)) / eps
        x[idx] -= eps
    return grad


def all_at_once(f, x, eps=1e-5):
    return (f(x + eps) - f(x - eps)) / (2 * eps)


def by_rows(f, x, eps=1e-5):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def fixed_step(f, x, eps=1e-5):
    return right_numerical(f, x, 1e-6)


def in_float32(f, x, eps=1e-5):
    return right_numerical(f, x.astype(np.float32), np.float32(1e-3)).astype(np.float64)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (forward_difference, "that is a forward difference"),
        (divides_by_eps, "divide by 2 eps"),
        (never_restores, "numerical_gradient changed x"),
        (all_at_once, "returned one number: perturb one entry at a time"),
        (by_rows, "np.ndindex(x.shape)"),
        (fixed_step, "use the eps argument rather than a fixed step"),
        (in_float32, "compute in float64 with central differences"),
    ],
)
def test_numerical_gradient_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_numerical_gradient(wrong)


def test_numerical_gradient_same_value_everywhere():
    def broadcast(f, x, eps=1e-5):
        return np.full(x.shape, (f(x + eps) - f(x - eps)) / (2 * eps))

    with pytest.raises(CheckFailed, match="every entry is the same"):
        checks.check_numerical_gradient(broadcast)
