"""Checks for the exercises of notebook 05 (vanishing and exploding gradients, clipping)."""

from __future__ import annotations

import numpy as np

from rnnbook import bptt, cells
from rnnbook.course.checks import CheckFailed, call_student, expect_close, expect_shape, expect_true


def _grads(rng, scale):
    return {"W": scale * rng.normal(size=(3, 3)), "b": scale * rng.normal(size=(3, 1))}


def _copy(grads):
    return {k: v.copy() for k, v in grads.items()}


def _same(a: dict, b: dict) -> bool:
    return set(a) == set(b) and all(
        np.shape(a[k]) == np.shape(b[k]) and np.allclose(a[k], b[k]) for k in a
    )


def _as_grad_dict(got, label, keys):
    if not isinstance(got, dict):
        raise CheckFailed(f"{label} should return a dict of arrays, got {type(got).__name__}")
    expect_true(
        set(got) == set(keys),
        f"{label} returned keys {sorted(got)}; expected the keys of grads, {sorted(keys)}",
    )
    return {k: np.asarray(v, dtype=float) for k, v in got.items()}


def check_clip_by_global_norm(clip_by_global_norm) -> None:
    """Exercise 1: (clipped, total_norm) with one global norm over all parameters."""
    rng = np.random.default_rng(5)
    for scale, max_norm in ((10.0, 1.0), (0.05, 1.0), (3.0, 2.5)):
        grads = _grads(rng, scale)
        original = _copy(grads)
        label = f"clip_by_global_norm(grads, max_norm={max_norm})"
        out = call_student(clip_by_global_norm, grads, max_norm, name="clip_by_global_norm")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(
                f"{label} should return a pair (clipped_grads, total_norm), "
                f"got {type(out).__name__}"
            )
        got, total = out
        expect_true(
            _same(grads, original),
            f"{label} changed the grads it was given: build new arrays (g * scale), do not "
            "write into the originals (no *= on the input)",
        )
        got = _as_grad_dict(got, label, grads)
        ref, ref_total = bptt.clip_grad_norm(grads, max_norm)
        sq_sum = ref_total**2
        if np.isclose(float(np.asarray(total)), sq_sum) and not np.isclose(sq_sum, ref_total):
            raise CheckFailed(
                f"{label} returned total_norm = {float(total):.6g}, the sum of squares: take its "
                f"square root (expected {ref_total:.6g})"
            )
        if ref_total > max_norm and np.isclose(float(np.asarray(total)), max_norm):
            raise CheckFailed(
                f"{label} returned total_norm = {float(total):.6g}, the norm after clipping: "
                f"report the norm measured before clipping ({ref_total:.6g})"
            )
        expect_close(
            f"{label}, total_norm",
            total,
            ref_total,
            hint="the global norm is sqrt(sum over all parameters and elements of g²)",
        )
        if _same(got, ref):
            continue
        per_param = {k: g * min(1.0, max_norm / np.linalg.norm(g)) for k, g in grads.items()}
        if _same(got, per_param):
            raise CheckFailed(
                f"{label} clips each gradient by its own norm: the norm is global, one number "
                "for all parameters together, and every gradient is scaled by the same factor"
            )
        if _same(got, bptt.clip_grad_value(grads, max_norm)):
            raise CheckFailed(
                f"{label} clips each element into [-max_norm, max_norm]: that is clipping by "
                "value, which changes the direction; rescale the whole gradient instead"
            )
        if ref_total <= max_norm:
            raise CheckFailed(
                f"{label} changed gradients whose global norm {ref_total:.3g} is already "
                "<= max_norm: leave them as they are and rescale only when the norm is larger"
            )
        for key in ref:
            expect_close(
                f"{label}['{key}']",
                got[key],
                ref[key],
                hint="when ‖g‖ > max_norm every gradient is multiplied by max_norm / ‖g‖",
            )


def check_clip_by_value(clip_by_value) -> None:
    """Exercise 2: every element clipped into [−clip_value, clip_value]."""
    rng = np.random.default_rng(7)
    for scale, clip_value in ((3.0, 1.0), (0.1, 1.0), (2.0, 0.5)):
        grads = _grads(rng, scale)
        original = _copy(grads)
        label = f"clip_by_value(grads, clip_value={clip_value})"
        got = call_student(clip_by_value, grads, clip_value, name="clip_by_value")
        expect_true(
            _same(grads, original),
            f"{label} changed the grads it was given: return new arrays (np.clip without "
            "out=, or a copy), do not write into the originals",
        )
        got = _as_grad_dict(got, label, grads)
        ref = bptt.clip_grad_value(grads, clip_value)
        if _same(got, ref):
            continue
        upper_only = {k: np.minimum(g, clip_value) for k, g in grads.items()}
        if _same(got, upper_only):
            raise CheckFailed(
                f"{label} clips only from above: elements below -clip_value must become "
                "-clip_value too (clip into [-clip_value, clip_value])"
            )
        if _same(got, bptt.clip_grad_norm(grads, clip_value)[0]):
            raise CheckFailed(
                f"{label} rescales the whole gradient by its norm: clipping by value treats each "
                "element on its own"
            )
        for key in ref:
            expect_close(
                f"{label}['{key}']",
                got[key],
                ref[key],
                hint="each element g becomes min(max(g, -clip_value), clip_value)",
            )


def _non_normal(rng, n, rho):
    """A non-normal matrix with spectral radius rho: ‖W^k‖ and ρ^k then differ."""
    Q = rng.normal(size=(n, n))
    D = np.diag(rho * np.linspace(1.0, 0.3, n))
    D[0, 1] = 2.0  # a large off-diagonal term: transient growth
    return Q @ D @ np.linalg.inv(Q)


def check_linear_jacobian_norms(linear_jacobian_norms) -> None:
    """Exercise 3: entry k is ‖W^k‖₂ = ‖∂h^(T)/∂h^(T−k)‖₂ for a linear RNN, k = 0..T."""
    rng = np.random.default_rng(11)
    for n, rho, T in ((4, 0.9, 12), (3, 1.1, 8)):
        W = _non_normal(rng, n, rho)
        label = f"linear_jacobian_norms(W, T={T}) with W {n}x{n}, ρ(W) = {rho}"
        got = np.asarray(
            call_student(linear_jacobian_norms, W.copy(), T, name="linear_jacobian_norms"),
            dtype=float,
        )
        ref = np.array([np.linalg.norm(np.linalg.matrix_power(W, k), 2) for k in range(T + 1)])
        if got.shape == (T,):
            raise CheckFailed(
                f"{label} returned {T} norms; expected {T + 1}: start at lag k = 0, where "
                "∂h^(T)/∂h^(T) = I has norm 1"
            )
        expect_shape(label, got, ref.shape, "one norm per lag k = 0, 1, …, T")
        if np.allclose(got, ref, rtol=1e-8):
            continue
        radius = np.max(np.abs(np.linalg.eigvals(W)))
        if np.allclose(got, radius ** np.arange(T + 1), rtol=1e-6):
            raise CheckFailed(
                f"{label} returns ρ(W)^k: that is only the asymptotic rate; for this non-normal W "
                "the norm of the product W^k differs. Multiply the matrices (np.linalg.matrix_power)"
            )
        elementwise = np.array([np.linalg.norm(W**k, 2) for k in range(T + 1)])
        if np.allclose(got, elementwise, rtol=1e-6):
            raise CheckFailed(
                f"{label} uses W**k, which raises each element to the power k: the Jacobian "
                "product is the matrix power W @ W @ … (np.linalg.matrix_power(W, k))"
            )
        frob = np.array([np.linalg.norm(np.linalg.matrix_power(W, k)) for k in range(T + 1)])
        if np.allclose(got, frob, rtol=1e-6):
            raise CheckFailed(
                f"{label} uses the Frobenius norm: use the spectral norm, np.linalg.norm(M, 2)"
            )
        if np.allclose(got, ref[::-1], rtol=1e-8):
            raise CheckFailed(
                f"{label} is in reverse order: entry k is the lag k, so entry 0 is the identity"
            )
        expect_close(label, got, ref, rtol=1e-8, hint="entry k is ‖W^k‖₂")


def check_irnn_params(irnn_params) -> None:
    """Exercise 4: IRNN initialisation, W = I, b = 0, U ~ N(0, 0.001²)."""
    n_x, n_h = 40, 50
    label = f"irnn_params(n_x={n_x}, n_h={n_h}, rng)"
    params = call_student(irnn_params, n_x, n_h, np.random.default_rng(0), name="irnn_params")
    if not isinstance(params, dict) or set(params) != {"U", "W", "b"}:
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise CheckFailed(f"{label} should return a dict with keys ['U', 'W', 'b'], got {got}")
    U, W, b = (np.asarray(params[k], dtype=float) for k in ("U", "W", "b"))
    if U.shape == (n_x, n_h):
        raise CheckFailed(
            f"{label}: U has shape {U.shape}; U maps x (n_x) to the hidden units, so it is "
            f"(n_h, n_x) = {(n_h, n_x)}"
        )
    expect_shape(f"{label}['U']", U, (n_h, n_x))
    expect_shape(f"{label}['W']", W, (n_h, n_h), "W is square, (n_h, n_h)")
    expect_shape(f"{label}['b']", b, (n_h, 1), "biases are columns, (n_h, 1)")
    if np.allclose(W, 1.0):
        raise CheckFailed(f"{label}: W is all ones; it should be the identity matrix, np.eye(n_h)")
    diag = np.diag(W)
    if np.allclose(W, np.diag(diag)) and np.allclose(diag, diag[0]) and not np.isclose(diag[0], 1):
        raise CheckFailed(
            f"{label}: W is {diag[0]:.3g} times the identity; the IRNN starts from W = I exactly, "
            "so that h^(t) = h^(t-1) while the input is zero"
        )
    expect_close(f"{label}['W']", W, np.eye(n_h), hint="W should be the identity, np.eye(n_h)")
    expect_close(f"{label}['b']", b, np.zeros((n_h, 1)), hint="b starts at zero")
    if np.allclose(U, 0.0):
        raise CheckFailed(
            f"{label}: U is all zeros; draw it from a normal distribution with standard "
            "deviation 0.001, so that the input reaches the hidden units"
        )
    std = float(U.std())
    expect_true(
        0.0007 < std < 0.0013 and abs(float(U.mean())) < 1e-4,
        f"{label}: U has mean {U.mean():.2g} and standard deviation {std:.2g}; expected "
        "N(0, 0.001²): rng.normal(0.0, 0.001, size=(n_h, n_x))",
    )
    again = call_student(irnn_params, n_x, n_h, np.random.default_rng(0), name="irnn_params")
    other = call_student(irnn_params, n_x, n_h, np.random.default_rng(1), name="irnn_params")
    expect_true(
        np.allclose(again["U"], U) and not np.allclose(other["U"], U),
        f"{label}: U must be drawn with the rng argument (rng.normal), not np.random, so that "
        "the same rng gives the same parameters",
    )
    cells.ElmanCell(n_x, n_h, "relu").check_params(
        {"U": U, "W": W, "b": b}, name="irnn_params(...)"
    )


def check_adding_batch(adding_batch) -> None:
    """Exercise 5: an adding-problem batch, x (T, 2, B) and y (1, B)."""
    for B, T in ((300, 10), (200, 7)):
        label = f"adding_batch(batch={B}, length={T}, rng)"
        out = call_student(adding_batch, B, T, np.random.default_rng(2), name="adding_batch")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(f"{label} should return a pair (x, y), got {type(out).__name__}")
        x, y = (np.asarray(a, dtype=float) for a in out)
        if x.shape != (T, 2, B) and sorted(x.shape) == sorted((T, 2, B)):
            raise CheckFailed(
                f"{label}: x has shape {x.shape}; in the numpy layout columns are examples, "
                f"so x is (T, 2, B) = {(T, 2, B)}"
            )
        expect_shape(f"{label}, x", x, (T, 2, B))
        if y.shape in ((B,), (B, 1)):
            raise CheckFailed(f"{label}: y has shape {y.shape}; expected (1, B) = {(1, B)}")
        expect_shape(f"{label}, y", y, (1, B))
        values, markers = x[:, 0], x[:, 1]
        expect_true(
            np.all((values >= 0) & (values < 1)) and values.std() > 0.2,
            f"{label}: x[:, 0] should hold values drawn uniformly from [0, 1)",
        )
        expect_true(
            np.all((markers == 0) | (markers == 1)),
            f"{label}: x[:, 1] should hold markers, 0 or 1",
        )
        n_marks = markers.sum(axis=0)
        if np.any(n_marks == 1) and np.all(n_marks >= 1):
            raise CheckFailed(
                f"{label}: some examples have only one marked step: both marks fell on the same "
                "step. Draw the first in the first half and the second in the second half"
            )
        expect_true(
            np.all(n_marks == 2),
            f"{label}: every example needs exactly two marked steps, got counts "
            f"{sorted(set(n_marks.astype(int).tolist()))}",
        )
        half = T // 2
        expect_true(
            np.all(markers[:half].sum(axis=0) == 1) and np.all(markers[half:].sum(axis=0) == 1),
            f"{label}: one mark belongs in the first half (t < {half}) and one in the second "
            f"(t >= {half})",
        )
        first = markers[:half].argmax(axis=0)
        expect_true(
            len(set(first.tolist())) > 1,
            f"{label}: the marked steps are the same in every example: draw them at random, "
            "per example",
        )
        if np.allclose(y[0], values.sum(axis=0)):
            raise CheckFailed(f"{label}: y sums every value; only the two marked values count")
        expect_close(
            f"{label}, y",
            y[0],
            (values * markers).sum(axis=0),
            rtol=1e-5,
            atol=1e-6,
            hint="y is the sum of the two marked values, x[:, 0] where x[:, 1] == 1",
        )
