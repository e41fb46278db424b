"""Exercise checkers: helpers shared by every notebook's checks.

A checker raises :class:`CheckFailed` with a message that says precisely what is wrong and
hints at why, or :class:`NotAttempted` when the student's code still raises
``NotImplementedError``.  The grader reports the message of whichever arrives.
:func:`own_gradients` (``call_student(..., derive=True)``) keeps the library's gradient code and
torch's autodiff out of the answers of the derive exercises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np

from rnnbook.course import wire
from rnnbook.course.wire import (  # noqa: F401 - the lists own_gradients blocks, shown here
    LIBRARY_GRADIENT_ROUTINES,
    TORCH_AUTODIFF_ROUTINES,
)


class CheckFailed(AssertionError):
    """The student's answer is wrong; the message says where and suggests why."""


class NotAttempted(CheckFailed):
    """The student's answer is still the stub that raises ``NotImplementedError``."""


def call_student(fn: Callable, *args, name: str | None = None, derive: bool = False, **kwargs):
    """Call a student's function; turn the stub's ``NotImplementedError`` into NotAttempted.

    ``derive=True`` makes the call inside :func:`own_gradients`: for the exercises that ask for
    gradients worked out by hand, the library's gradient code and torch's automatic
    differentiation raise CheckFailed while the student's function runs.
    """
    label = name or getattr(fn, "__name__", "your function")
    if not callable(fn):
        raise CheckFailed(f"{label}: expected a function, got {type(fn).__name__}")
    guard = own_gradients(label) if derive else contextlib.nullcontext()
    try:
        with guard:
            return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted(
            f"{label} is not attempted yet (it raises NotImplementedError)"
        ) from None


# ----------------------------------------------------------------------------------------------
# derive exercises: the gradients must be the student's own
# ----------------------------------------------------------------------------------------------


def own_gradients(label: str = "your function") -> contextlib.AbstractContextManager:
    """For its duration, the library's gradient code and torch's autodiff refuse to run.

    Wrap a student's call in a "derive" exercise with it (``call_student(..., derive=True)``):
    a call of any routine of :data:`LIBRARY_GRADIENT_ROUTINES` (``LSTMCell.backward``,
    ``bptt.sequence_loss_and_grads``, ``gradcheck.numerical_grads``,
    ``ExpressionGraph.backward``, …) or of :data:`TORCH_AUTODIFF_ROUTINES` (``Tensor.backward``,
    ``torch.autograd.grad``, ``torch.autograd.functional.*``, ``torch.func.grad``/``vjp``/
    ``jacrev``/``jacfwd``, …) raises CheckFailed naming ``label`` (the student's function) and
    the routine: "lstm_step_backward calls rnnbook.cells.LSTMCell.backward, the library's own
    gradient code: this exercise asks you to derive the gradients yourself …".

    Each routine's ``__code__`` is swapped, not the name that refers to it, so a name the student
    imported earlier (``from torch.autograd import grad``, ``from rnnbook.bptt import
    elman_bptt``), a bound method and an entry of ``expression_graph.OPS`` are blocked too; so
    is torch's engine object (``Variable._execution_engine.run_backward``). Everything is put
    back on exit, also when the body raises. Nested or re-entered, only the outermost entry
    blocks and restores; the innermost label is the one named. Not thread-safe: the routines are
    blocked for every thread of the process while the body runs.

    The machinery is :func:`rnnbook.course.wire.refusing_gradients`, so that the grader's
    confined kernel, which runs the student's functions, blocks the same routines: a call made
    inside this guard asks the kernel to run the student's function inside it too.

    It cannot stop a student who copies the library's source text into their answer, or who
    computes the gradient by finite differences of their own.
    """
    return wire.refusing_gradients(label, CheckFailed)


def expect_attempted(value, name: str):
    """Raise NotAttempted when a variable the student must set is still ``None`` or ``...``."""
    if value is None or value is Ellipsis:
        raise NotAttempted(f"{name} is not attempted yet (it is still {value!r})")
    return value


def as_float_array(name: str, got) -> np.ndarray:
    """``got`` as a float array, or CheckFailed naming what arrived instead."""
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a numeric array, got {type(got).__name__}") from None


def expect_shape(name: str, got, shape: tuple, hint: str = "") -> np.ndarray:
    """Check that ``got`` is an array-like of ``shape``."""
    arr = np.asarray(got)
    if arr.shape != tuple(shape):
        msg = f"{name} has shape {arr.shape}, expected {tuple(shape)}"
        raise CheckFailed(f"{msg}: {hint}" if hint else msg)
    return arr


def expect_close(
    name: str,
    got,
    expected,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Check ``got`` against ``expected`` element-wise; report the worst element by index."""
    expected = np.asarray(expected, dtype=float)
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be numeric, got {type(got).__name__}") from None
    expect_shape(name, got_arr, expected.shape, hint)
    if not np.all(np.isfinite(got_arr)):
        raise CheckFailed(f"{name} contains NaN or inf" + (f": {hint}" if hint else ""))
    err = np.abs(got_arr - expected)
    tol = atol + rtol * np.abs(expected)
    if np.all(err <= tol):
        return
    if expected.ndim == 0:
        msg = f"{name} is {got_arr.item():.6g}, expected {expected.item():.6g}"
    else:
        idx = np.unravel_index(np.argmax(err - tol), err.shape)
        where = ",".join(str(int(i)) for i in idx)
        msg = (
            f"{name} differs from the expected value at {name}[{where}] by {err[idx]:.2g} "
            f"(got {got_arr[idx]:.6g}, expected {expected[idx]:.6g})"
        )
    raise CheckFailed(f"{msg}: {hint}" if hint else msg)


def expect_true(condition: bool, message: str) -> None:
    """Raise CheckFailed with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


# ----------------------------------------------------------------------------------------------
# shared by every notebook's checks: unpacking, closeness, naming a known mistake
# ----------------------------------------------------------------------------------------------


def same(got, expected, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """True when ``got`` has ``expected``'s shape and values (to float round-off)."""
    try:
        got = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=float)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def unpack(out, fn_name: str, names: tuple[str, ...]) -> list[np.ndarray]:
    """A function's tuple of arrays, or CheckFailed saying what it returned instead."""
    if not (isinstance(out, (tuple, list)) and len(out) == len(names)):
        got = f"a {type(out).__name__}"
        if isinstance(out, (tuple, list)):
            got += f" of length {len(out)}"
        raise CheckFailed(f"{fn_name} should return a tuple ({', '.join(names)}), got {got}")
    return [as_float_array(n, v) for n, v in zip(names, out)]


def expect_gradient(
    name: str,
    got,
    expected,
    *,
    mistakes: list[tuple[object, str]] = (),
    rtol: float = 1e-5,
    atol: float = 1e-8,
    reference: str = "the correct gradient",
) -> None:
    """Check a gradient and, when it is wrong, say how.

    ``mistakes`` lists ``(value a known mistake produces, what the mistake is)``; the first that
    ``got`` equals names the mistake. Then the generic diagnoses: a flipped sign, a transpose, a
    constant factor (e.g. a missing 1/B or a doubled term). Otherwise the worst element.
    """
    expected = np.asarray(expected, dtype=float)
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a numeric array, got {type(got).__name__}") from None
    if same(got_arr, expected, rtol=rtol, atol=atol):
        return
    for wrong, what in mistakes:
        if wrong is not None and same(got_arr, wrong, rtol=rtol, atol=atol):
            raise CheckFailed(f"{name} is wrong: {what}")
    if got_arr.shape != expected.shape:
        if got_arr.shape == expected.shape[::-1] and expected.ndim == 2:
            raise CheckFailed(
                f"{name} has shape {got_arr.shape}, expected {expected.shape}: it looks "
                "transposed (a gradient has the shape of the variable it belongs to)"
            )
        raise CheckFailed(
            f"{name} has shape {got_arr.shape}, expected {expected.shape} "
            "(a gradient has the shape of the variable it belongs to)"
        )
    if not np.all(np.isfinite(got_arr)):
        raise CheckFailed(f"{name} contains NaN or inf")
    if same(got_arr, -expected, rtol=rtol, atol=atol):
        raise CheckFailed(f"{name} has the wrong sign: it equals minus {reference}")
    if expected.ndim == 2 and expected.shape[0] == expected.shape[1]:
        if same(got_arr, expected.T, rtol=rtol, atol=atol):
            raise CheckFailed(f"{name} is transposed: it equals the transpose of {reference}")
    denom = float(np.sum(expected * expected))
    if denom > 0:
        k = float(np.sum(got_arr * expected)) / denom
        if abs(k) > 1e-12 and not np.isclose(k, 1.0) and same(got_arr, k * expected, rtol=rtol):
            raise CheckFailed(
                f"{name} is {k:.4g} times {reference}: a factor is missing or extra "
                "(a sum over the batch or over time counted the wrong number of times?)"
            )
    err = np.abs(got_arr - expected)
    idx = np.unravel_index(int(np.argmax(err)), err.shape)
    where = ",".join(str(int(i)) for i in idx)
    raise CheckFailed(
        f"{name} differs from {reference} at [{where}] by {err[idx]:.2g} "
        f"(got {got_arr[idx]:.6g}, expected {expected[idx]:.6g})"
    )


def check_choice(
    name: str, got, correct: str, explanations: dict[str, str], *, options: str = ""
) -> None:
    """A multiple-choice answer: one letter among ``explanations``' keys and ``correct``.

    Case and surrounding spaces do not matter. A wrong letter gets its explanation of why it is
    wrong. Used by the instructors' hidden tests (the answers are not in the students' copy).
    """
    got = expect_attempted(got, name)
    letters = sorted({correct, *explanations})
    if not isinstance(got, str) or got.strip().lower() not in letters:
        raise CheckFailed(
            f"{name} should be one of the letters {', '.join(repr(x) for x in letters)}, "
            f"got {got!r}"
        )
    letter = got.strip().lower()
    if letter != correct:
        raise CheckFailed(f"{name} = {letter!r} is not right: {explanations[letter]}")


def check_number(
    name: str, got, expected: float, *, rtol: float = 0.02, atol: float = 0.0, why: str = ""
) -> None:
    """A number the student computed or read off a plot, within ``rtol`` (relative)."""
    got = expect_attempted(got, name)
    try:
        value = float(got)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a number, got {type(got).__name__}") from None
    if not np.isfinite(value) or abs(value - expected) > atol + rtol * abs(expected):
        raise CheckFailed(
            f"{name} = {value:.6g} is not right (it should be within {rtol:.0%} of the "
            f"value the grader computed)" + (f": {why}" if why else "")
        )


def check_choice_form(name: str, value, letters: str = "abcd") -> None:
    """The visible check of a multiple-choice answer: one of ``letters`` (graded when handed in)."""
    value = expect_attempted(value, name)
    if not isinstance(value, str) or value.strip().lower() not in list(letters):
        raise CheckFailed(
            f"{name} should be one of the letters {', '.join(repr(c) for c in letters)}, "
            f"got {value!r}"
        )
    print(f"{name} = {value.strip().lower()!r} has the right form; it is graded when you hand in.")


def check_number_form(
    name: str,
    value,
    *,
    whole: str = "",
    positive: bool = False,
    below: float | None = None,
    why: str = "",
) -> float:
    """The visible check of a numeric answer: a finite number, whole (a count of ``whole``) or
    positive or below a bound where the question says so; its value is graded when handed in."""
    value = expect_attempted(value, name)
    if isinstance(value, (bool, str)):
        raise CheckFailed(f"{name} should be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise CheckFailed(f"{name} should be a number, got {type(value).__name__}") from None
    kind = "a positive, finite number" if positive else "a finite number"
    expect_true(np.isfinite(number), f"{name} should be {kind}, got {value!r}")
    reason = f": {why}" if why else ""
    if whole:
        expect_true(
            number.is_integer() and number >= (1 if positive else 0),
            f"{name} should be a whole number of {whole}, got {value!r}{reason}",
        )
    elif positive:
        expect_true(number > 0, f"{name} should be {kind}, got {value!r}{reason}")
    if below is not None:
        expect_true(number < below, f"{name} should be below {below:g}, got {value!r}{reason}")
    print(f"{name} = {value!r} has the right form; its value is graded when you hand in.")
    return number
