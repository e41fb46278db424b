"""Instructor-only references for the exercises of notebook 02 (computational graphs).

The hidden tests of ``solutions/02_computational_graphs.ipynb`` call the ``hidden_exN``
functions below with the student's functions: each draws fresh shapes and values
(:func:`~rnnbook.course.references.fresh_rng`) and compares the answer with the reference
implementations here, naming the mistake when it is a known one. The answers to the questions
are here too, with the reason each wrong choice is wrong.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    as_float_array,
    call_student,
    check_choice,
    check_number,
    expect_close,
    expect_gradient,
    unpack,
)
from rnnbook.course.checks import nb02 as visible
from rnnbook.course.references import fresh_rng

# ----------------------------------------------------------------------------------------------
# reference implementations
# ----------------------------------------------------------------------------------------------


def sigmoid_layer_backward(x, W, b, dy):
    """(dx, dW, db) of y_hat = σ(xᵀ W + b) for a column x (n_x, 1), W (n_x, n_y), b (1, n_y)."""
    y_hat = 1.0 / (1.0 + np.exp(-(x.T @ W + b)))
    delta = dy * y_hat * (1.0 - y_hat)
    return W @ delta.T, x @ delta, delta


def relu_layer_backward(X, W, b, dH):
    """(dX, dW, db) of H = max{0, X W + b} for a batch X (B, n_in)."""
    delta = dH * (X @ W + b > 0)
    return delta @ W.T, X.T @ delta, delta.sum(axis=0, keepdims=True)


def softmax_cross_entropy(O, y):
    """(L, dO): the mean over the rows of -log softmax(O_i)[y_i], and its gradient."""
    Z = O - O.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    dO = P.copy()
    dO[rows, y] -= 1.0
    return float(-np.mean(np.log(P[rows, y]))), dO / len(y)


def numerical_gradient(f, x, eps=1e-5):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[idx] = eps
        grad[idx] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def train_classifier(X, y, n_classes, n_h, rng, steps=2000, lr=0.5):
    """A ReLU hidden layer and a linear output, softmax cross-entropy, full-batch descent."""
    W1 = rng.normal(size=(X.shape[1], n_h))
    W2 = rng.normal(size=(n_h, n_classes)) / np.sqrt(n_h)
    b1, b2 = np.zeros((1, n_h)), np.zeros((1, n_classes))
    for _ in range(steps):
        H = np.maximum(0.0, X @ W1 + b1)
        _, dO = softmax_cross_entropy(H @ W2 + b2, y)
        dH = dO @ W2.T
        W2 -= lr * H.T @ dO
        b2 -= lr * dO.sum(axis=0, keepdims=True)
        _, dW1, db1 = relu_layer_backward(X, W1, b1, dH)
        W1 -= lr * dW1
        b1 -= lr * db1
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


# the questions
Q6 = "b"
Q6_WRONG = {
    "a": "a wrong backward pass gives errors of order 1e-2 to 1 in float64 too; here the "
    "same backward passes in float64, so the float32 rounding is to blame",
    "c": "the truncation error is about ε² |f'''| / 6, near 1e-14 for ε = 1e-7: far too small "
    "to give 1e-2; it is the rounding term u |f| / ε, with u ≈ 6e-8 in float32, that is large",
    "d": "central differences are not biased (their error is O(ε²)); a forward difference "
    "has the same rounding term u |f| / ε and a larger truncation error, so it would not agree "
    "better",
}
PASSES_Q7 = 3  # reverse mode: one pass per output of f : R^1000 -> R^3


# ----------------------------------------------------------------------------------------------
# hidden tests: fresh inputs at every grading
# ----------------------------------------------------------------------------------------------


def hidden_ex1(fn) -> None:
    rng = fresh_rng()
    for _ in range(2):
        n_x, n_y = (int(v) for v in rng.integers(2, 7, size=2))
        x, W = rng.normal(size=(n_x, 1)), rng.normal(size=(n_x, n_y))
        b, dy = rng.normal(size=(1, n_y)), rng.normal(size=(1, n_y))
        out = call_student(
            fn, x.copy(), W.copy(), b.copy(), dy.copy(), name="sigmoid_layer_backward", derive=True
        )
        got = unpack(out, "sigmoid_layer_backward", ("dx", "dW", "db"))
        label = f"x {x.shape}, W {W.shape}"
        for name, g, e in zip(("dx", "dW", "db"), got, sigmoid_layer_backward(x, W, b, dy)):
            expect_gradient(f"{name} for {label}", g, e)


def hidden_ex2(fn) -> None:
    rng = fresh_rng()
    for _ in range(2):
        B, n_in, n_h = (int(v) for v in rng.integers(2, 8, size=3))
        X, W = rng.normal(size=(B, n_in)), rng.normal(size=(n_in, n_h))
        b, dH = rng.normal(size=(1, n_h)), rng.normal(size=(B, n_h))
        out = call_student(
            fn, X.copy(), W.copy(), b.copy(), dH.copy(), name="relu_layer_backward", derive=True
        )
        got = unpack(out, "relu_layer_backward", ("dX", "dW", "db"))
        label = f"X {X.shape}, W {W.shape}"
        for name, g, e in zip(("dX", "dW", "db"), got, relu_layer_backward(X, W, b, dH)):
            expect_gradient(f"{name} for {label}", g, e)


def hidden_ex3(fn) -> None:
    rng = fresh_rng()
    for offset in (0.0, rng.uniform(800, 1200)):
        B, C = int(rng.integers(2, 9)), int(rng.integers(3, 9))
        O = offset + rng.uniform(1, 4) * rng.normal(size=(B, C))
        y = rng.integers(0, C - 1, size=B)  # the last class is never a target
        out = call_student(fn, O.copy(), y.copy(), name="softmax_cross_entropy", derive=True)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed("softmax_cross_entropy should return a pair (L, dO)")
        L, dO = softmax_cross_entropy(O, y)
        label = f"O {O.shape} with entries near {offset:.0f}"
        expect_close(f"L for {label}", out[0], L, rtol=1e-7, atol=1e-10)
        expect_gradient(f"dO for {label}", as_float_array("dO", out[1]), dO)


def hidden_ex4(fn) -> None:
    rng = fresh_rng()
    A = rng.normal(size=(3, 4))
    x = rng.normal(size=(4, 2))

    def f(v):
        return float(np.sum(np.tanh(A @ v)) + v[1, 0] * v[3, 1])

    before = x.copy()
    eps = float(rng.choice([1e-4, 1e-5, 1e-6]))
    got = as_float_array("grad", call_student(fn, f, x, eps, name="numerical_gradient"))
    if not np.allclose(x, before, rtol=1e-12, atol=1e-6 * eps):
        raise CheckFailed("numerical_gradient changed x: restore each entry, or perturb a copy")
    exact = A.T @ (1 - np.tanh(A @ before) ** 2)
    exact[1, 0] += before[3, 1]
    exact[3, 1] += before[1, 0]
    expect_close(
        "numerical_gradient of sum(tanh(A x)) + x[1,0] x[3,1]", got, exact, rtol=1e-5, atol=1e-7
    )


def hidden_ex5(fn) -> None:
    rng = fresh_rng()
    angle = rng.uniform(0, 2 * np.pi)  # rotated about the data's centre, which stays at 0
    X, y = visible.two_moons(200, rng, angle=angle)
    X_test, y_test = visible.two_moons(2000, rng, angle=angle)
    seed = int(rng.integers(2**31))
    params = call_student(
        fn, X.copy(), y.copy(), 2, 16, np.random.default_rng(seed), name="train_classifier"
    )
    accuracy = visible.accuracy(params, X_test, y_test, 16, 2)
    if accuracy < visible.THRESHOLD:
        raise CheckFailed(
            f"train_classifier reaches {accuracy * 100:.1f} % on 2,000 fresh points of rotated moons; it needs {visible.THRESHOLD * 100:.0f} % (the best straight boundary gets "
            "under 90 %)"
        )


def hidden_ex6(answer) -> None:
    check_choice("answer_q6", answer, Q6, Q6_WRONG)


def hidden_ex7(answer) -> None:
    check_number(
        "passes_q7",
        answer,
        PASSES_Q7,
        rtol=0.0,
        atol=0.01,
        why="a reverse pass gives one row of the Jacobian (the gradient of one output) and a "
        "forward pass one column (the derivative along one input); 3 rows beat 1,000 columns",
    )
