"""Checks for the exercises of notebook 04 (back-propagation through time).

Every gradient is compared with central finite differences (``rnnbook.gradcheck``) in float64,
so a message can say "dW differs from the numerical gradient at W[3,1]". Before that generic
message, each checker replays the most plausible mistakes and names the one that matches.

Shapes follow the numpy half of the course: columns are examples, ``x_t (n_x, B)``,
``h_t (n_h, B)``, biases ``(n_h, 1)``, sequences ``(T, n, B)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook import bptt
from rnnbook.cells import sigmoid
from rnnbook.course.checks import CheckFailed, call_student, expect_shape, expect_true
from rnnbook.gradcheck import numerical_grads

# Sizes are all different (n_x ≠ n_h ≠ B) so that a transposed or misplaced factor changes
# a shape or, for the square W, its values.
_N_X, _N_H, _B, _T = 3, 4, 2, 5


def _problem(seed: int, n_x=_N_X, n_h=_N_H, batch=_B, T=_T, scale=0.8):
    """A reproducible random Elman problem: params, h0, xs and upstream gradients dhs."""
    rng = np.random.default_rng(seed)
    return {
        "U": rng.normal(scale=scale, size=(n_h, n_x)),
        "W": rng.normal(scale=scale, size=(n_h, n_h)),
        "b": rng.normal(scale=0.3, size=(n_h, 1)),
        "h0": np.tanh(rng.normal(size=(n_h, batch))),
        "xs": rng.normal(size=(T, n_x, batch)),
        "dhs": rng.normal(size=(T, n_h, batch)),
    }


def _step(U, W, b, h_prev, x_t):
    return np.tanh(b + W @ h_prev + U @ x_t)


def _unroll(U, W, b, h0, xs):
    hs, h = [], h0
    for x_t in xs:
        h = _step(U, W, b, h, x_t)
        hs.append(h)
    return np.stack(hs)


def _first_bad(got: np.ndarray, ref: np.ndarray) -> tuple[tuple[int, ...], float]:
    idx = np.unravel_index(int(np.argmax(np.abs(got - ref))), ref.shape)
    return tuple(int(i) for i in idx), float(np.abs(got - ref)[idx])


def _close(got, ref) -> bool:
    return bool(np.allclose(got, ref, rtol=1e-6, atol=1e-8))


def _check_grad(label: str, param: str, got, numerical, diagnoses, shape_hint: str = ""):
    """Compare one gradient with its numerical value; name the matching mistake if any.

    ``diagnoses`` is a list of (wrong value or None, hint); the first one that ``got`` matches
    gives the hint. Shapes are checked first (a mismatch often names the mistake by itself).
    """
    got_shape = np.shape(got)
    for wrong, hint in diagnoses:
        if wrong is None or got_shape != np.shape(wrong) or not _close(got, wrong):
            continue
        if got_shape != numerical.shape:
            raise CheckFailed(f"{label} has shape {got_shape}, expected {numerical.shape}: {hint}")
        if _close(got, numerical):
            continue  # this mistake makes no difference on this problem
        idx, err = _first_bad(np.asarray(got, dtype=float), numerical)
        where = f"{param}[{','.join(map(str, idx))}]"
        raise CheckFailed(
            f"{label} differs from the numerical gradient at {where} by {err:.2g}: {hint}"
        )
    got = expect_shape(label, got, numerical.shape, shape_hint).astype(float)
    if not np.all(np.isfinite(got)):
        raise CheckFailed(f"{label} contains NaN or inf")
    if not _close(got, numerical):
        idx, err = _first_bad(got, numerical)
        where = f"{param}[{','.join(map(str, idx))}]"
        raise CheckFailed(
            f"{label} differs from the numerical gradient at {where} by {err:.2g} "
            f"(got {got[idx]:.6g}, expected {numerical[idx]:.6g})"
        )


# --------------------------------------------------------------------------------------------
# Exercise 1: one Elman step forward
# --------------------------------------------------------------------------------------------


def check_rnn_step_forward(rnn_step_forward) -> None:
    """Exercise 1: h^(t) = tanh(b + W h^(t−1) + U x^(t)) for a batch of column vectors."""
    for seed in (0, 1):
        p = _problem(seed)
        U, W, b, h_prev, x_t = p["U"], p["W"], p["b"], p["h0"], p["xs"][0]
        label = f"rnn_step_forward (n_x={_N_X}, n_h={_N_H}, B={_B})"
        got = call_student(
            rnn_step_forward,
            x_t.copy(),
            h_prev.copy(),
            U.copy(),
            W.copy(),
            b.copy(),
            name="rnn_step_forward",
        )
        got = np.asarray(got, dtype=float)
        if got.shape == (_B, _N_H):
            raise CheckFailed(
                f"{label} returned shape {got.shape}, expected (n_h, B) = {(_N_H, _B)}: "
                "columns are examples, so compute W @ h_prev + U @ x_t, not x_t.T @ U.T"
            )
        expect_shape(label, got, (_N_H, _B), "h_t has the shape of h_prev, (n_h, B)")
        expected = _step(U, W, b, h_prev, x_t)
        if _close(got, expected):
            continue
        a_t = b + W @ h_prev + U @ x_t
        diagnoses = [
            (a_t, "returns the pre-activation a^(t): apply tanh to it"),
            (sigmoid(a_t), "uses the logistic sigmoid; this cell uses tanh"),
            (np.tanh(W @ h_prev + U @ x_t), "forgets the bias b"),
            (
                np.tanh(b + W.T @ h_prev + U @ x_t),
                "multiplies h_prev by Wᵀ: the step uses W @ h_prev",
            ),
            (np.tanh(b + U @ x_t), "ignores the previous state: add W @ h_prev"),
        ]
        for wrong, why in diagnoses:
            if _close(got, wrong):
                raise CheckFailed(f"{label} {why}")
        idx, err = _first_bad(got, expected)
        raise CheckFailed(
            f"{label} differs from tanh(b + W h_prev + U x_t) at h_t[{idx[0]},{idx[1]}] by "
            f"{err:.2g} (got {got[idx]:.6g}, expected {expected[idx]:.6g})"
        )


# --------------------------------------------------------------------------------------------
# Exercise 2: one Elman step backward
# --------------------------------------------------------------------------------------------


def _step_numerical(p, dh_t):
    """Numerical gradients of f = Σ dh_t ⊙ h_t with respect to U, W, b and h_prev."""
    theta = {"U": p["U"], "W": p["W"], "b": p["b"], "h_prev": p["h0"]}

    def f(q):
        return float(np.sum(dh_t * _step(q["U"], q["W"], q["b"], q["h_prev"], p["xs"][0])))

    return numerical_grads(f, theta)


def _unpack(out, names: tuple[str, ...], fn_name: str):
    if not isinstance(out, tuple | list) or len(out) != len(names):
        got = f"{len(out)} values" if isinstance(out, tuple | list) else type(out).__name__
        raise CheckFailed(f"{fn_name} should return a tuple ({', '.join(names)}), got {got}")
    return out


def check_rnn_step_backward(rnn_step_backward) -> None:
    """Exercise 2: the backward of one tanh step: (dh_prev, dU, dW, db) from dh_t."""
    for seed in (2, 3):
        p = _problem(seed)
        U, W, b, h_prev, x_t, dh_t = p["U"], p["W"], p["b"], p["h0"], p["xs"][0], p["dhs"][0]
        h_t = _step(U, W, b, h_prev, x_t)
        out = call_student(
            rnn_step_backward,
            dh_t.copy(),
            x_t.copy(),
            h_prev.copy(),
            h_t.copy(),
            U.copy(),
            W.copy(),
            name="rnn_step_backward",
        )
        dh_prev, dU, dW, db = _unpack(out, ("dh_prev", "dU", "dW", "db"), "rnn_step_backward")
        num = _step_numerical(p, dh_t)
        da = dh_t * (1 - h_t**2)
        no_tanh = "is the (1 − h²) factor of the tanh missing?"
        one_minus_h = "the derivative of tanh is 1 − h², not 1 − h"
        sig = "h(1 − h) is the sigmoid's derivative; tanh's is 1 − h²"
        prev = "the tanh derivative is read off h_t (this step's output), not h_prev"
        _check_grad(
            "db",
            "b",
            db,
            num["b"],
            [
                (dh_t.sum(axis=1, keepdims=True), no_tanh),
                ((dh_t * (1 - h_t)).sum(axis=1, keepdims=True), one_minus_h),
                ((dh_t * h_t * (1 - h_t)).sum(axis=1, keepdims=True), sig),
                ((dh_t * (1 - h_prev**2)).sum(axis=1, keepdims=True), prev),
                (da.mean(axis=1, keepdims=True), "sum over the batch, do not average"),
            ],
            "db has the shape of b, (n_h, 1): sum da over the batch (axis=1, keepdims=True)",
        )
        _check_grad(
            "dW",
            "W",
            dW,
            num["W"],
            [
                (h_prev @ da.T, "db is right but dW is the transpose: dW = da @ h_prev.T"),
                (dh_t @ h_prev.T, no_tanh),
                (da @ h_t.T, "dW pairs da with the step's input state h_prev, not with h_t"),
            ],
        )
        _check_grad(
            "dU",
            "U",
            dU,
            num["U"],
            [(dh_t @ x_t.T, no_tanh)],
            "dU has the shape of U, (n_h, n_x): dU = da @ x_t.T",
        )
        _check_grad(
            "dh_prev",
            "h_prev",
            dh_prev,
            num["h_prev"],
            [
                (W @ da, "the gradient flows back through Wᵀ: dh_prev = W.T @ da"),
                (W.T @ dh_t, "dh_prev is missing the (1 − h²) factor: use W.T @ da"),
            ],
            "dh_prev has the shape of h_prev, (n_h, B)",
        )


# --------------------------------------------------------------------------------------------
# Exercise 3: BPTT over a sequence
# --------------------------------------------------------------------------------------------


def _sequence_numerical(p):
    """Numerical gradients of f = Σ_t Σ dhs[t] ⊙ h^(t) with respect to U, W, b and h0."""
    theta = {"U": p["U"], "W": p["W"], "b": p["b"], "h0": p["h0"]}

    def f(q):
        return float(np.sum(p["dhs"] * _unroll(q["U"], q["W"], q["b"], q["h0"], p["xs"])))

    return numerical_grads(f, theta)


def _backward_variant(
    dhs, xs, hs, h0, U, W, *, carry=True, accumulate=True, reverse=True, wrap_h0=False
):
    """The reference backward and its plausible mistakes, selected by the flags."""
    T = len(xs)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros((W.shape[0], 1))
    dh_next = np.zeros_like(h0)
    order = range(T - 1, -1, -1) if reverse else range(T)
    for t in order:
        h_prev = hs[t - 1] if (t > 0 or wrap_h0) else h0
        dh = dhs[t] + (dh_next if carry else 0.0)
        da = dh * (1 - hs[t] ** 2)
        if accumulate:
            dU, dW, db = dU + da @ xs[t].T, dW + da @ h_prev.T, db + da.sum(1, keepdims=True)
        else:
            dU, dW, db = da @ xs[t].T, da @ h_prev.T, da.sum(1, keepdims=True)
        dh_next = W.T @ da
    return dU, dW, db, dh_next


def check_rnn_backward(rnn_backward) -> None:
    """Exercise 3: BPTT over a sequence: (dU, dW, db, dh0) from the direct gradients dhs."""
    for seed in (4, 5):
        p = _problem(seed)
        U, W, b, h0, xs, dhs = p["U"], p["W"], p["b"], p["h0"], p["xs"], p["dhs"]
        hs = _unroll(U, W, b, h0, xs)
        out = call_student(
            rnn_backward,
            dhs.copy(),
            xs.copy(),
            hs.copy(),
            h0.copy(),
            U.copy(),
            W.copy(),
            name="rnn_backward",
        )
        dU, dW, db, dh0 = _unpack(out, ("dU", "dW", "db", "dh0"), "rnn_backward")
        num = _sequence_numerical(p)
        args = (dhs, xs, hs, h0, U, W)
        variants = {
            "carry": _backward_variant(*args, carry=False),
            "accumulate": _backward_variant(*args, accumulate=False),
            "reverse": _backward_variant(*args, reverse=False),
            "wrap": _backward_variant(*args, wrap_h0=True),
        }
        hints = {
            "carry": "gradients from later time steps are missing: did you carry dh_next "
            "backward and add it to dhs[t]?",
            "accumulate": "only one step's term survives: the parameters are shared, so add "
            "every step's term (dW += …), as in eqs. 10.23–10.28",
            "reverse": "the loop runs forwards in time: BPTT starts at the last step, "
            "t = T−1, and walks back to t = 0",
            "wrap": "step 0 read h0, not hs[-1] (hs[t-1] wraps around when t = 0)",
        }
        results = {"dU": dU, "dW": dW, "db": db, "dh0": dh0}
        params = {"dU": "U", "dW": "W", "db": "b", "dh0": "h0"}
        for name in ("dW", "dU", "db", "dh0"):  # variants hold (dU, dW, db, dh0)
            k = ("dU", "dW", "db", "dh0").index(name)
            diagnoses = [(variants[v][k], hints[v]) for v in variants]
            _check_grad(name, params[name], results[name], num[params[name]], diagnoses)


# --------------------------------------------------------------------------------------------
# Exercise 4: clipping by the global norm
# --------------------------------------------------------------------------------------------


def _grad_dict(seed: int, scale: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = {"U": (4, 3), "W": (4, 4), "b": (4, 1), "V": (2, 4), "c": (2, 1)}
    return {k: scale * rng.normal(size=s) for k, s in shapes.items()}


def check_clip_grad_norm(clip_grad_norm) -> None:
    """Exercise 4: rescale all gradients together when their global norm exceeds max_norm."""
    cases = [(6, 3.0, 1.0), (7, 0.05, 1.0), (8, 1.0, 2.5)]
    for seed, scale, max_norm in cases:
        grads = _grad_dict(seed, scale)
        keep = {k: g.copy() for k, g in grads.items()}
        out = call_student(clip_grad_norm, grads, max_norm, name="clip_grad_norm")
        clipped, total = _unpack(out, ("clipped", "total_norm"), "clip_grad_norm")
        expect_true(
            all(np.array_equal(grads[k], keep[k]) for k in keep),
            "clip_grad_norm modified the gradients it was given: return new arrays "
            "(g * scale), do not write into them (g *= scale)",
        )
        expect_true(
            isinstance(clipped, dict) and set(clipped) == set(grads),
            f"clip_grad_norm should return a dict with the keys {sorted(grads)} first",
        )
        ref, ref_total = bptt.clip_grad_norm(grads, max_norm)
        squares = sum(float(np.sum(g**2)) for g in grads.values())
        label = f"clip_grad_norm with global norm {ref_total:.4g} and max_norm {max_norm}"
        if np.isclose(total, squares) and not np.isclose(squares, ref_total):
            raise CheckFailed(
                f"{label}: total_norm is the sum of squares {squares:.4g}; take its square root"
            )
        if np.isclose(total, max_norm) and not np.isclose(ref_total, max_norm):
            raise CheckFailed(
                f"{label}: total_norm {total:.4g} is the norm after clipping; report the norm "
                "measured before"
            )
        if not np.isclose(total, ref_total, rtol=1e-9):
            raise CheckFailed(
                f"{label}: total_norm is {float(total):.6g}, expected {ref_total:.6g} "
                "= sqrt(Σ over every parameter and element of g²)"
            )
        if all(_close(clipped[k], ref[k]) for k in ref):
            continue
        per_param = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
        elementwise = {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}
        always = {k: g * (max_norm / ref_total) for k, g in grads.items()}
        diagnoses = [
            (
                per_param,
                "clips each parameter by its own norm: the scale factor must come "
                "from the global norm over all parameters together",
            ),
            (
                elementwise,
                "clips element by element (np.clip), which changes the direction "
                "of the gradient; rescale every gradient by max_norm / total_norm instead",
            ),
            (
                always,
                "rescales even though the norm is below max_norm: leave the gradients "
                "unchanged then",
            ),
            (grads, "returns the gradients unchanged although the norm exceeds max_norm"),
        ]
        for wrong, why in diagnoses:
            if all(_close(clipped[k], wrong[k]) for k in wrong):
                raise CheckFailed(f"{label} {why}")
        for k in ref:
            if not _close(clipped[k], ref[k]):
                idx, err = _first_bad(np.asarray(clipped[k], dtype=float), ref[k])
                raise CheckFailed(
                    f"{label}: clipped['{k}'] differs at {k}[{','.join(map(str, idx))}] by "
                    f"{err:.2g}: every gradient is multiplied by the same max_norm / total_norm"
                )
