"""Checkers for notebook 02 (computational graphs and the chain rule).

Each ``check_*`` calls the student's function on fresh random data, compares the answer with a
reference (the expression graphs of :mod:`rnnbook.topics.expression_graph`, or plain numpy),
and on a mismatch tries the likeliest mistakes one by one so that the message can name the
cause.

Shapes follow the lecture notes for these layers: one example per row.

- sigmoid layer ``y = sigma(x^T W + b)``: ``x (n_x, 1)``, ``W (n_x, n_y)``, ``b (1, n_y)``;
- ReLU layer ``H = max{0, X W + b}``: ``X (B, n_in)``, ``W (n_in, n_h)``, ``b (1, n_h)``;
- vector chain rule ``y = tanh(W x)``: ``W (n, m)``, ``x (m, 1)``, ``J = dy/dx (n, m)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    as_float_array,
    call_student,
    expect_close,
    expect_shape,
)
from rnnbook.topics import expression_graph

__all__ = [
    "check_sigmoid_layer_backward",
    "check_relu_layer_backward",
    "check_vector_chain_rule",
    "check_numerical_gradient",
]


def _same(a: np.ndarray, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    b = np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=rtol, atol=atol)


def _unpack(out, fn_name: str, names: tuple[str, ...]) -> list[np.ndarray]:
    if not (isinstance(out, (tuple, list)) and len(out) == len(names)):
        got = f"a {type(out).__name__}"
        if isinstance(out, (tuple, list)):
            got += f" of length {len(out)}"
        raise CheckFailed(f"{fn_name} should return a tuple ({', '.join(names)}), got {got}")
    return [as_float_array(n, v) for n, v in zip(names, out)]


def _check_gradient_shape(name: str, got: np.ndarray, like: str, shape: tuple, hint: str) -> None:
    """``got`` must have the shape of the variable ``like``; a transposed shape gets ``hint``."""
    shape = tuple(shape)
    if got.shape == shape:
        return
    if got.shape == shape[::-1]:
        raise CheckFailed(
            f"{name} has shape {got.shape} but {like} is {shape}: did you forget a transpose? "
            f"{hint}"
        )
    expect_shape(name, got, shape, f"a gradient always has the shape of its variable, {like}")


def _diagnose(name: str, got: np.ndarray, wrongs: list[tuple[np.ndarray, str]], label: str):
    """Raise with the hint of the first plausible wrong answer that ``got`` matches."""
    for wrong, why in wrongs:
        if _same(got, wrong):
            raise CheckFailed(f"{name} for {label}: {why}")


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


# ------------------------------------------------------------- ex1: backward of a sigmoid layer


def _sigmoid_reference(x, W, b, dy):
    g = expression_graph.graph_logistic_layer(x, W, b)
    g.forward()
    grads = g.backward(dy)
    return grads["x"], grads["W"], grads["b"]


def check_sigmoid_layer_backward(fn, *, seed: int = 0) -> None:
    """``fn(x, W, b, dy) -> (dx, dW, db)`` for ``y = sigma(x^T W + b)``, ``dy = grad_y L``."""
    rng = np.random.default_rng(seed)
    for n_x, n_y in ((3, 2), (4, 5), (3, 3)):
        x = rng.standard_normal((n_x, 1))
        W = rng.standard_normal((n_x, n_y))
        b = rng.standard_normal((1, n_y))
        dy = rng.standard_normal((1, n_y))
        label = f"x {x.shape}, W {W.shape}, b {b.shape}"
        out = call_student(
            fn, x.copy(), W.copy(), b.copy(), dy.copy(), name="sigmoid_layer_backward"
        )
        dx, dW, db = _unpack(out, "sigmoid_layer_backward", ("dx", "dW", "db"))
        dx_ref, dW_ref, db_ref = _sigmoid_reference(x, W, b, dy)

        _check_gradient_shape("dW", dW, "W", W.shape, "dW = x delta is (n_x, 1) @ (1, n_y)")
        _check_gradient_shape("db", db, "b", b.shape, "db = delta, a row like b")
        _check_gradient_shape("dx", dx, "x", x.shape, "dx = W delta^T is a column like x")

        u = x.T @ W + b
        y = _sigmoid(u)
        wrong_deltas = [
            (dy, "the sigmoid's derivative is missing: delta = dy * y * (1 - y)"),
            (dy * (1 - y**2), "that is tanh's derivative 1 - y^2; the sigmoid's is y (1 - y)"),
            (dy * u * (1 - u), "the derivative is y (1 - y) with y = sigma(u), not u (1 - u)"),
            (dy * y, "the factor (1 - y) is missing: sigma'(u) = y (1 - y)"),
        ]
        _diagnose("db", db, [(d, why) for d, why in wrong_deltas], label)
        expect_close("db", db, db_ref, hint=f"for {label}, db = delta = dy * y * (1 - y)")
        _diagnose("dW", dW, [(x @ d, why) for d, why in wrong_deltas], label)
        if n_x == n_y and _same(dW, dW_ref.T):
            raise CheckFailed(
                f"dW for {label} is the transpose of the right answer: dW = x delta, with "
                "dW[i, j] = x_i delta_j (W[i, j] links input i to output j)"
            )
        if _same(dW, np.ones_like(x) @ db_ref):
            raise CheckFailed(f"dW for {label} ignores x: dW = x delta (outer product)")
        expect_close(
            "dW", dW, dW_ref, hint=f"for {label}, dW = x delta with delta = dy * y * (1 - y)"
        )
        _diagnose("dx", dx, [(W @ d.T, why) for d, why in wrong_deltas], label)
        if n_x == n_y and _same(dx, W.T @ db_ref.T):
            raise CheckFailed(
                f"dx for {label} uses W^T: u = x^T W, so dx = W delta^T (W itself, no transpose)"
            )
        expect_close("dx", dx, dx_ref, hint=f"for {label}, dx = W delta^T")


# ---------------------------------------------------------------- ex2: backward of a ReLU layer


def _relu_reference(X, W, b, dH):
    g = expression_graph.graph_relu_layer(X, W, b)
    g.forward()
    grads = g.backward(dH)
    return grads["X"], grads["W"], grads["b"]


def check_relu_layer_backward(fn, *, seed: int = 0) -> None:
    """``fn(X, W, b, dH) -> (dX, dW, db)`` for ``H = max{0, X W + b}``, ``dH = grad_H L``."""
    rng = np.random.default_rng(seed)
    for batch, n_in, n_h in ((5, 3, 2), (4, 2, 6), (3, 3, 3)):
        X = rng.standard_normal((batch, n_in))
        W = rng.standard_normal((n_in, n_h))
        b = rng.standard_normal((1, n_h))
        dH = rng.standard_normal((batch, n_h))
        label = f"X {X.shape}, W {W.shape}, b {b.shape}"
        out = call_student(fn, X.copy(), W.copy(), b.copy(), dH.copy(), name="relu_layer_backward")
        dX, dW, db = _unpack(out, "relu_layer_backward", ("dX", "dW", "db"))
        dX_ref, dW_ref, db_ref = _relu_reference(X, W, b, dH)

        if db.shape == (batch, n_h) and batch != 1:
            raise CheckFailed(
                f"db has shape {db.shape} but b is {b.shape}: db should sum over the batch "
                "(b is added to every row, so every row's gradient flows into it)"
            )
        if db.shape == (n_h,):
            raise CheckFailed(
                f"db has shape {db.shape} but b is {b.shape}: keep the row, "
                "e.g. delta.sum(axis=0, keepdims=True)"
            )
        _check_gradient_shape("db", db, "b", b.shape, "db = delta summed over the batch")
        _check_gradient_shape("dW", dW, "W", W.shape, "dW = X^T delta is (n_in, B) @ (B, n_h)")
        _check_gradient_shape("dX", dX, "X", X.shape, "dX = delta W^T is (B, n_h) @ (n_h, n_in)")

        U = X @ W + b
        H = np.maximum(0.0, U)
        mask = (U > 0).astype(float)
        delta = dH * mask
        wrong_deltas = [
            (
                dH,
                "is the mask 1[XW + b > 0] missing? The ReLU passes the gradient only where "
                "its input was positive",
            ),
            (dH * H, "dH was multiplied by H itself; multiply by the 0/1 mask 1[XW + b > 0]"),
            (dH * (1 - mask), "the mask is inverted: the gradient passes where XW + b > 0"),
        ]
        if _same(db, delta.mean(axis=0, keepdims=True)):
            raise CheckFailed(
                f"db for {label} averages over the batch: b is added to every row, so its "
                "gradient is the sum over the batch, not the mean"
            )
        _diagnose("db", db, [(d.sum(axis=0, keepdims=True), w) for d, w in wrong_deltas], label)
        expect_close("db", db, db_ref, hint=f"for {label}, db should sum delta over the batch")
        _diagnose("dW", dW, [(X.T @ d, w) for d, w in wrong_deltas], label)
        if n_in == n_h and _same(dW, dW_ref.T):
            raise CheckFailed(
                f"dW for {label} is the transpose of the right answer: dW = X^T delta"
            )
        expect_close("dW", dW, dW_ref, hint=f"for {label}, dW = X^T delta, delta = dH * 1[U > 0]")
        _diagnose("dX", dX, [(d @ W.T, w) for d, w in wrong_deltas], label)
        expect_close("dX", dX, dX_ref, hint=f"for {label}, dX = delta W^T")


# ------------------------------------------------------------- ex3: the vector chain rule


def check_vector_chain_rule(fn, *, seed: int = 0) -> None:
    """``fn(W, x, grad_y) -> (J, grad_x)`` for ``y = tanh(W x)``.

    ``J = dy/dx`` is ``(n, m)``; ``grad_x = J^T grad_y`` is a column like ``x``.
    """
    rng = np.random.default_rng(seed)
    for n, m in ((4, 3), (2, 5), (3, 3)):
        W = rng.standard_normal((n, m))
        x = rng.standard_normal((m, 1))
        grad_y = rng.standard_normal((n, 1))
        label = f"W {W.shape}, x {x.shape}"
        out = call_student(fn, W.copy(), x.copy(), grad_y.copy(), name="vector_chain_rule")
        J, grad_x = _unpack(out, "vector_chain_rule", ("J", "grad_x"))

        u = W @ x
        y = np.tanh(u)
        J_ref = (1 - y**2) * W  # diag(1 - y^2) W: row i of W scaled by 1 - y_i^2
        grad_x_ref = J_ref.T @ grad_y

        if J.shape == (m, n) and n != m:
            raise CheckFailed(
                f"J has shape {J.shape}, expected {(n, m)}: the Jacobian dy/dx has one row per "
                "output y_i and one column per input x_j, J[i, j] = dy_i/dx_j"
            )
        expect_shape("J", J, (n, m), "J[i, j] = dy_i/dx_j: one row per output, one per input")
        wrong_jacobians = [
            (W, "J equals W: the derivative of tanh is missing, J = diag(1 - y^2) W"),
            ((1 - u**2) * W, "use 1 - tanh(u)^2 = 1 - y^2, not 1 - u^2"),
            ((1 - y) * W, "tanh' is 1 - y^2, not 1 - y"),
        ]
        if n == m:
            wrong_jacobians += [
                (
                    W * (1 - y.T**2),
                    "the diagonal went on the wrong side: J = diag(1 - y^2) W "
                    "scales row i of W by 1 - y_i^2",
                ),
                (J_ref.T, "J is transposed: J[i, j] = dy_i/dx_j"),
            ]
        _diagnose("J", J, wrong_jacobians, label)
        expect_close("J", J, J_ref, hint=f"for {label}, J = diag(1 - y^2) W with y = tanh(W x)")

        if grad_x.shape == (1, m):
            raise CheckFailed(
                f"grad_x has shape {grad_x.shape} but x is {x.shape}: a gradient has the shape of "
                "its variable; J^T grad_y is a column"
            )
        expect_shape("grad_x", grad_x, x.shape, "grad_x has the shape of x")
        wrong_grads = [
            (W.T @ grad_y, "grad_x = W^T grad_y: the tanh derivative (1 - y^2) is missing"),
        ]
        if n == m:
            wrong_grads.append(
                (J_ref @ grad_y, "grad_x = J grad_y: transpose the Jacobian, grad_x = J^T grad_y")
            )
        _diagnose("grad_x", grad_x, wrong_grads, label)
        expect_close("grad_x", grad_x, grad_x_ref, hint=f"for {label}, grad_x = J^T grad_y")


# ------------------------------------------------------------- ex4: central finite differences


def _central(f, x, eps):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        grad[idx] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def _forward(f, x, eps):
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        grad[idx] = (f(x + e) - f(x)) / eps
    return grad


def _by_rows(f, x, eps):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = eps
        grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return grad


def _exp2(x):
    return float(np.sum(np.exp(2 * x)))


def _exp2_grad(x):
    return 2 * np.exp(2 * x)


def _cubic(x):
    return float(np.sum(x**3) + x[0, 1] * x[2, 0])


def _cubic_grad(x):
    grad = 3 * x**2
    grad[0, 1] += x[2, 0]
    grad[2, 0] += x[0, 1]
    return grad


def check_numerical_gradient(fn, *, seed: int = 0) -> None:
    """``fn(f, x, eps=1e-5) -> grad`` (shape of x): central differences, one entry at a time."""
    rng = np.random.default_rng(seed)
    cases = [
        ("f(x) = sum(exp(2 x))", _exp2, _exp2_grad, (4,)),
        ("f(x) = sum(x^3) + x[0,1] x[2,0] on a (3, 2) array", _cubic, _cubic_grad, (3, 2)),
    ]
    for label, f, exact, shape in cases:
        x = rng.uniform(-1.0, 1.0, size=shape)
        x_before = x.copy()
        got = call_student(fn, f, x, 1e-5, name="numerical_gradient")
        if not np.array_equal(x, x_before):
            raise CheckFailed(
                f"numerical_gradient changed x for {label}: restore each entry after perturbing "
                "it, or perturb a copy"
            )
        if np.ndim(got) == 0:
            raise CheckFailed(
                f"numerical_gradient for {label} returned one number: perturb one entry at a "
                "time (x + eps e_j) and return an array with the shape of x"
            )
        got = as_float_array("grad", got)
        expect_shape(
            f"numerical_gradient for {label}", got, shape, "the gradient has the shape of x"
        )
        expected = exact(x)
        if _same(got, expected, rtol=1e-6, atol=1e-8):
            continue
        _diagnose(
            "numerical_gradient",
            got,
            [
                (
                    _forward(f, x, 1e-5),
                    "that is a forward difference (f(x + eps) - f(x)) / eps, whose error is "
                    "O(eps); use the central difference (f(x + eps) - f(x - eps)) / (2 eps)",
                ),
                (
                    2 * expected,
                    "the gradient is twice too large: divide by 2 eps, the distance "
                    "between x - eps and x + eps",
                ),
                (
                    np.full(shape, (f(x + 1e-5) - f(x - 1e-5)) / 2e-5),
                    "every entry is the same: "
                    "perturb one entry at a time (x + eps e_j), not all of them together",
                ),
            ],
            label,
        )
        if len(shape) == 2 and _same(got, _by_rows(f, x, 1e-5)):
            raise CheckFailed(
                f"numerical_gradient for {label}: x[i] of a 2-D array is a whole row; loop over "
                "every element, e.g. with np.ndindex(x.shape)"
            )
        expect_close(
            f"numerical_gradient for {label}",
            got,
            expected,
            rtol=1e-6,
            atol=1e-8,
            hint="compute in float64 with central differences",
        )

    # eps must be the one asked for: with a large eps the truncation error becomes visible.
    f = _exp2
    x = rng.uniform(-1.0, 1.0, size=3)
    got = as_float_array("grad", call_student(fn, f, x.copy(), 1e-2, name="numerical_gradient"))
    expected = _central(f, x, 1e-2)
    if _same(got, 2 * np.exp(2 * x), rtol=1e-7) and not _same(
        expected, 2 * np.exp(2 * x), rtol=1e-7
    ):
        raise CheckFailed(
            "numerical_gradient(f, x, eps=1e-2) gives the answer of a much smaller step: "
            "use the eps argument rather than a fixed step"
        )
    expect_close(
        "numerical_gradient with eps=1e-2",
        got,
        expected,
        rtol=1e-9,
        atol=1e-12,
        hint="use the eps argument as the step",
    )
