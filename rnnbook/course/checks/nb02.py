"""Checks for the exercises of notebook 02 (computational graphs and the chain rule).

The backward passes are compared with central finite differences of the forward pass in
float64, and a wrong gradient is diagnosed by name where the mistake is a common one. The
classifier of exercise 5 is judged by the accuracy the check measures itself on held-out
points. The grader's hidden tests draw fresh shapes, values and data.
"""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import (
    CheckFailed,
    as_float_array,
    call_student,
    check_choice_form,
    check_number_form,
    expect_close,
    expect_gradient,
    expect_shape,
    expect_true,
    same,
    unpack,
)
from rnnbook.course.hints import Hints

HINTS = {
    "ex1": [
        "Give the intermediate values names: u = xᵀW + b (a row), then ŷ = σ(u). Go down the "
        "graph one node at a time, starting from dy.",
        "The derivative of the sigmoid can be written with its own output: differentiate "
        "1/(1 + e^(-u)) and express the result with σ(u).",
        "Check the shapes: each gradient has the shape of its variable. Write one entry, "
        "∂L/∂W_ij, as a sum over j' of ∂L/∂u_j' ∂u_j'/∂W_ij, and read off the matrix product.",
    ],
    "ex2": [
        "The ReLU passes the gradient through where its input was positive and blocks it "
        "elsewhere.",
        "The bias row b is added to every row of XW, so it is used B times: the gradients of "
        "its uses add up.",
    ],
    "ex3": [
        "Subtract each row's largest logit before exponentiating: softmax does not change, and "
        "exp no longer overflows.",
        "The lecture's section 5 derives the gradient of -log softmax(o)_k for one example. "
        "The loss here is a mean over B rows: what does the 1/B do to each row's gradient?",
        "The number of classes is the number of columns of O, not the largest label plus one.",
    ],
    "ex4": [
        "Loop over every index of x with `np.ndindex(x.shape)`; for each, evaluate f with that "
        "one entry moved up by eps and down by eps.",
        "Save the entry before you perturb it and put the saved value back afterwards (or "
        "perturb a copy), so that f always sees the other entries unchanged.",
    ],
    "ex5": [
        "The forward pass: H = max{0, X W1 + b1}, O = H W2 + b2, then your softmax_cross_entropy "
        "gives the loss and dO.",
        "Backwards, the output layer O = H W2 + b2 is your ReLU layer of exercise 2 without "
        "the ReLU: the same rules for the weights, the bias and the input, with no mask; then "
        "your relu_layer_backward takes dH the rest of the way.",
        "Draw every initial weight from rng (not from np.random), and subtract η times each "
        "gradient at every step.",
    ],
    "ex6": [
        "The lecture's section 7 splits the error of a finite difference into two terms: which "
        "one grows when ε shrinks, and how large is it in float32?",
    ],
    "ex7": [
        "One reverse pass pulls back one vector u and gives uᵀJ; one forward pass pushes one "
        "direction v and gives J v. How many of each do you need to fill the 3 × 1000 matrix J?",
    ],
}

hint = Hints("02", HINTS)

THRESHOLD = 0.93
"""The held-out accuracy exercise 5 requires; a straight boundary stays under 0.90."""


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _fd(loss, arrays: dict[str, np.ndarray], eps: float = 1e-6) -> dict[str, np.ndarray]:
    """Central differences of ``loss(**arrays)`` with respect to each array, in float64."""
    grads = {}
    for name, a in arrays.items():
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            up = {k: v.copy() for k, v in arrays.items()}
            down = {k: v.copy() for k, v in arrays.items()}
            up[name][idx] += eps
            down[name][idx] -= eps
            g[idx] = (loss(**up) - loss(**down)) / (2 * eps)
        grads[name] = g
    return grads


# ------------------------------------------------------------- ex1: backward of a sigmoid layer


def check_sigmoid_layer_backward(fn) -> None:
    """``fn(x, W, b, dy) -> (dx, dW, db)`` for ``y_hat = σ(xᵀW + b)`` and ``dy = ∇_y_hat L``."""
    rng = np.random.default_rng(0)
    for n_x, n_y in ((3, 3), (3, 2), (4, 5)):
        x, W = rng.standard_normal((n_x, 1)), rng.standard_normal((n_x, n_y))
        b, dy = rng.standard_normal((1, n_y)), rng.standard_normal((1, n_y))
        label = f"x {x.shape}, W {W.shape}, b {b.shape}"
        out = call_student(
            fn, x.copy(), W.copy(), b.copy(), dy.copy(), name="sigmoid_layer_backward", derive=True
        )
        dx, dW, db = unpack(out, "sigmoid_layer_backward", ("dx", "dW", "db"))
        fd = _fd(
            lambda x, W, b, dy=dy: float(np.sum(dy * _sigmoid(x.T @ W + b))),
            {"x": x, "W": W, "b": b},
        )
        u = x.T @ W + b
        y = _sigmoid(u)
        delta = fd["b"]  # ∇_u L, measured
        wrong = [
            (dy, "the sigmoid's derivative is missing"),
            (dy * (1 - y**2), "that is tanh's derivative; the sigmoid's is written with σ itself"),
            (dy * u * (1 - u), "the sigmoid's derivative must be evaluated at σ(u), not at u"),
            (dy * y, "one factor of the sigmoid's derivative is missing"),
        ]
        expect_gradient(f"db for {label}", db, delta, mistakes=wrong)
        expect_gradient(
            f"dW for {label}",
            dW,
            fd["W"],
            mistakes=[(x @ d, why) for d, why in wrong]
            + [(np.ones_like(x) @ delta, "dW ignores x: W_ij multiplies x_i")],
        )
        dx_mistakes = [(W @ d.T, why) for d, why in wrong]
        if n_x == n_y:
            dx_mistakes.append(
                (W.T @ delta.T, "dx uses W transposed: u_j = Σ_i x_i W_ij runs along W's rows")
            )
        expect_gradient(f"dx for {label}", dx, fd["x"], mistakes=dx_mistakes)


# ---------------------------------------------------------------- ex2: backward of a ReLU layer


def _away_from_kinks(rng, B, n_in, n_h):
    """A batch whose pre-activations are all at least 0.05 away from 0, where ReLU bends."""
    while True:
        X, W = rng.standard_normal((B, n_in)), rng.standard_normal((n_in, n_h))
        b = rng.standard_normal((1, n_h))
        U = X @ W + b
        if np.abs(U).min() > 0.05 and (U > 0).any() and (U < 0).any():
            return X, W, b


def check_relu_layer_backward(fn) -> None:
    """``fn(X, W, b, dH) -> (dX, dW, db)`` for ``H = max{0, X W + b}`` and ``dH = ∇_H L``."""
    rng = np.random.default_rng(0)
    for B, n_in, n_h in ((5, 3, 2), (4, 2, 6), (3, 3, 3)):
        X, W, b = _away_from_kinks(rng, B, n_in, n_h)
        dH = rng.standard_normal((B, n_h))
        label = f"X {X.shape}, W {W.shape}, b {b.shape}"
        out = call_student(
            fn, X.copy(), W.copy(), b.copy(), dH.copy(), name="relu_layer_backward", derive=True
        )
        dX, dW, db = unpack(out, "relu_layer_backward", ("dX", "dW", "db"))
        if db.shape == (B, n_h):
            raise CheckFailed(
                f"db has shape {db.shape} but b is {b.shape}: b is added to every row, so "
                "the gradients of all the rows flow into it and add up"
            )
        if db.shape == (n_h,):
            raise CheckFailed(
                f"db has shape {db.shape} but b is {b.shape}: keep the row (e.g. keepdims=True)"
            )
        fd = _fd(
            lambda X, W, b, dH=dH: float(np.sum(dH * np.maximum(0.0, X @ W + b))),
            {"X": X, "W": W, "b": b},
        )
        U = X @ W + b
        mask = (U > 0).astype(float)
        wrong = [
            (dH, "the ReLU's mask is missing: the gradient passes only where XW + b > 0"),
            (dH * np.maximum(0.0, U), "dH was multiplied by H itself, not by the 0/1 mask"),
            (dH * (1 - mask), "the mask is inverted: the gradient passes where XW + b > 0"),
        ]
        expect_gradient(
            f"db for {label}",
            db,
            fd["b"],
            mistakes=[(d.sum(axis=0, keepdims=True), why) for d, why in wrong]
            + [(fd["b"] / B, "db averages over the batch; the uses of b add up, so sum them")],
        )
        expect_gradient(
            f"dW for {label}", dW, fd["W"], mistakes=[(X.T @ d, why) for d, why in wrong]
        )
        expect_gradient(
            f"dX for {label}", dX, fd["X"], mistakes=[(d @ W.T, why) for d, why in wrong]
        )


# ------------------------------------------------------- ex3: softmax with cross-entropy


def _mean_cross_entropy(O, y):
    """The forward pass of the prompt, computed stably."""
    Z = O - O.max(axis=1, keepdims=True)
    logp = Z - np.log(np.exp(Z).sum(axis=1, keepdims=True))
    return float(-np.mean(logp[np.arange(len(y)), y]))


def check_softmax_cross_entropy(fn) -> None:
    """``fn(O, y) -> (L, dO)``: the mean cross-entropy of softmax rows and its gradient."""
    rng = np.random.default_rng(0)
    cases = [
        ("4 rows, 3 classes", rng.standard_normal((4, 3)), np.array([2, 0, 1, 1])),
        # the last class is never a target: a one-hot sized from y has too few columns
        ("5 rows, 6 classes", rng.standard_normal((5, 6)), np.array([3, 0, 4, 1, 2])),
        # logits of size 1000: exp overflows unless the largest is subtracted
        ("logits near 1000", 1000 + 3 * rng.standard_normal((3, 4)), np.array([1, 3, 0])),
    ]
    for label, O, y in cases:
        out = call_student(fn, O.copy(), y.copy(), name="softmax_cross_entropy", derive=True)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise CheckFailed("softmax_cross_entropy should return a pair (L, dO)")
        L, dO = as_float_array("L", out[0]), as_float_array("dO", out[1])
        expect_true(L.shape == (), f"L for {label} should be one number, got shape {L.shape}")
        B, C = O.shape
        if not np.all(np.isfinite(dO)) or not np.isfinite(L):
            raise CheckFailed(
                f"softmax_cross_entropy for {label} gives NaN or inf: exp of large logits "
                "overflows; subtract each row's largest logit first (softmax does not change)"
            )
        if dO.shape == (B, int(y.max()) + 1) and dO.shape != O.shape:
            raise CheckFailed(
                f"dO for {label} has shape {dO.shape}, expected {O.shape}: the number of "
                "classes is the number of columns of O, not the largest label plus one"
            )
        expected_L = _mean_cross_entropy(O, y)
        if np.isclose(L, B * expected_L, rtol=1e-7):
            raise CheckFailed(f"L for {label} is the sum over the rows; the loss is their mean")
        expect_close(f"L for {label}", L, expected_L, rtol=1e-7, atol=1e-10)
        expected = _fd(lambda O, y=y: _mean_cross_entropy(O, y), {"O": O}, eps=1e-5)["O"]
        P = np.exp(O - O.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        expect_gradient(
            f"dO for {label}",
            dO,
            expected,
            mistakes=[
                (P / B, "the target's one-hot is not subtracted from the probabilities"),
                (
                    B * expected,
                    "it is B times too large: the loss is the mean over B rows, so each row's "
                    "gradient carries a factor 1/B",
                ),
            ],
            rtol=1e-5,
            atol=1e-7,
        )


# ------------------------------------------------------------- ex4: central finite differences


def _exp2(x):
    return float(np.sum(np.exp(2 * x)))


def _cubic(x):
    return float(np.sum(x**3) + x[0, 1] * x[2, 0])


def check_numerical_gradient(fn) -> None:
    """``fn(f, x, eps) -> grad`` (shape of x): central differences, one entry at a time.

    The expected values are the exact central differences of these polynomial and exponential
    functions, written in closed form: e.g. for e^(2x) it is e^(2x) sinh(2 eps) / eps.
    """
    rng = np.random.default_rng(0)
    for eps in (1e-5, 1e-2):
        cases = [
            (
                "f(x) = sum(exp(2 x)) on a vector",
                _exp2,
                (4,),
                lambda x, eps=eps: np.exp(2 * x) * np.sinh(2 * eps) / eps,
                lambda x, eps=eps: np.exp(2 * x) * np.expm1(2 * eps) / eps,
                lambda x: 2 * np.exp(2 * x),
            ),
            (
                "f(x) = sum(x^3) + x[0,1] x[2,0] on a (3, 2) array",
                _cubic,
                (3, 2),
                lambda x, eps=eps: 3 * x**2 + eps**2 + _cross(x),
                lambda x, eps=eps: 3 * x**2 + 3 * x * eps + eps**2 + _cross(x),
                lambda x: 3 * x**2 + _cross(x),
            ),
        ]
        for label, f, shape, central, forward, exact in cases:
            x = rng.uniform(-1.0, 1.0, size=shape)
            before = x.copy()
            got = call_student(fn, f, x, eps, name="numerical_gradient")
            moved = np.abs(x - before).max()
            if moved > 1e-6 * eps + 1e-12 * np.abs(before).max():
                raise CheckFailed(
                    f"numerical_gradient changed x by up to {moved:.2g} for {label}: put each "
                    "entry back after perturbing it (save it first), or perturb a copy"
                )
            if np.ndim(got) == 0:
                raise CheckFailed(
                    f"numerical_gradient for {label} returned one number: perturb one entry "
                    "at a time and return an array with the shape of x"
                )
            got = expect_shape(
                f"numerical_gradient for {label}",
                as_float_array("grad", got),
                shape,
                "the gradient has the shape of x",
            )
            where = f"numerical_gradient(f, x, eps={eps:g}) for {label}"
            if (
                eps > 1e-3
                and same(got, exact(x), rtol=1e-7)
                and not same(central(x), exact(x), rtol=1e-7)
            ):
                raise CheckFailed(f"{where} ignores eps: use the eps argument as the step")
            if not same(central(x), forward(x), rtol=1e-9) and same(
                got, forward(x), rtol=1e-7, atol=1e-8
            ):
                raise CheckFailed(
                    f"{where} is a forward difference (f(x + eps) - f(x)) / eps, whose error "
                    "is of order eps; use the central difference"
                )
            if same(got, 2 * central(x), rtol=1e-6):
                raise CheckFailed(
                    f"{where} is twice too large: divide by 2 eps, the distance between "
                    "x - eps and x + eps"
                )
            if same(got, np.full(shape, (f(x + eps) - f(x - eps)) / (2 * eps)), rtol=1e-6):
                raise CheckFailed(
                    f"{where}: every entry is the same: perturb one entry at a time, not all "
                    "of them together"
                )
            expect_close(
                where,
                got,
                central(x),
                rtol=1e-6,
                atol=1e-8,
                hint="compute in float64, one entry at a time (np.ndindex visits every entry "
                "of an array of any shape)",
            )


def _cross(x):
    g = np.zeros_like(x)
    g[0, 1], g[2, 0] = x[2, 0], x[0, 1]
    return g


# ------------------------------------------------------- ex5: a classifier from your own pieces


def two_moons(n: int, rng: np.random.Generator, *, noise: float = 0.15, angle=0.0, shift=(0, 0)):
    """``n`` points of two interleaved half circles, rotated by ``angle`` and shifted.

    Returns ``X (n, 2)`` and the labels ``y (n,)``, 0 or 1, about half each, in random order.
    """
    y = rng.permutation(np.arange(n) % 2)
    theta = rng.uniform(0, np.pi, size=n)
    upper = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    lower = np.stack([1 - np.cos(theta), 0.5 - np.sin(theta)], axis=1)
    X = np.where(y[:, None] == 0, upper, lower) + noise * rng.normal(size=(n, 2))
    c, s = np.cos(angle), np.sin(angle)
    return (X - [0.5, 0.25]) @ np.array([[c, -s], [s, c]]).T + np.asarray(shift), y


def _params(params, n_x: int, n_h: int, n_classes: int) -> dict[str, np.ndarray]:
    shapes = {"W1": (n_x, n_h), "b1": (1, n_h), "W2": (n_h, n_classes), "b2": (1, n_classes)}
    if not isinstance(params, dict) or set(params) != set(shapes):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise CheckFailed(
            f"train_classifier should return a dict with keys {sorted(shapes)}, got {got}"
        )
    out = {}
    for k, shape in shapes.items():
        out[k] = expect_shape(k, as_float_array(k, params[k]), shape)
        expect_true(np.all(np.isfinite(out[k])), f"{k} contains NaN or inf: is η too large?")
    return out


def accuracy(params, X, y, n_h: int, n_classes: int) -> float:
    """The fraction of rows of X whose largest score is the label y (the check's own forward)."""
    p = _params(params, X.shape[1], n_h, n_classes)
    H = np.maximum(0.0, X @ p["W1"] + p["b1"])
    return float(np.mean((H @ p["W2"] + p["b2"]).argmax(axis=1) == y))


def check_train_classifier(fn) -> None:
    """``fn(X, y, n_classes, n_h, rng) -> {"W1", "b1", "W2", "b2"}``, trained; judged on
    held-out points, and reproducible from ``rng``."""
    data = np.random.default_rng(0)
    X, y = two_moons(200, data)
    X_test, y_test = two_moons(2000, data)
    first = call_student(
        fn, X.copy(), y.copy(), 2, 16, np.random.default_rng(1), name="train_classifier"
    )
    acc = accuracy(first, X_test, y_test, 16, 2)
    expect_true(
        acc >= THRESHOLD,
        f"your classifier gets {acc * 100:.1f} % of 2,000 held-out points right; it needs "
        f"{THRESHOLD * 100:.0f} %. A straight boundary cannot beat about 89 % on the moons, so the hidden "
        "layer must be trained too: check the backward pass and η",
    )
    again = call_student(
        fn, X.copy(), y.copy(), 2, 16, np.random.default_rng(1), name="train_classifier"
    )
    other = call_student(
        fn, X.copy(), y.copy(), 2, 16, np.random.default_rng(2), name="train_classifier"
    )
    a, b, c = (_params(p, 2, 16, 2) for p in (first, again, other))
    if not all(same(a[k], b[k], rtol=1e-9, atol=1e-12) for k in a):
        raise CheckFailed(
            "two calls with generators seeded alike gave different weights: draw every random "
            "number from the rng argument"
        )
    if all(same(a[k], c[k]) for k in a):
        raise CheckFailed(
            "generators with different seeds gave the same weights: initialise the weights "
            "from the rng argument"
        )


# ------------------------------------------------------------- ex6, ex7: questions


def check_q6(answer) -> None:
    """Exercise 6: a letter among the options; the grader checks which."""
    check_choice_form("answer_q6", answer)


def check_passes_q7(answer) -> None:
    """Exercise 7: the form only; the grader checks the value."""
    check_number_form("passes_q7", answer, whole="passes", positive=True)
