"""Exercise checkers: helpers shared by every notebook's checks.

A checker raises :class:`CheckFailed` with a message that says precisely what is wrong and
hints at why, or :class:`NotAttempted` when the student's code still raises
``NotImplementedError``.  The grader reports the message of whichever arrives.
"""

from __future__ import annotations

import contextlib
import importlib
import types
from collections.abc import Callable, Iterator

import numpy as np


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

LIBRARY_GRADIENT_ROUTINES: tuple[tuple[str, str], ...] = (
    ("rnnbook.cells", "softmax_cross_entropy"),
    ("rnnbook.cells", "_softmax_backward"),
    ("rnnbook.cells", "output_backward"),
    ("rnnbook.cells", "embedding_backward"),
    ("rnnbook.cells", "Cell.backward"),
    ("rnnbook.cells", "Cell.hidden_grad"),
    ("rnnbook.cells", "ElmanCell.backward"),
    ("rnnbook.cells", "JordanCell.backward"),
    ("rnnbook.cells", "JordanCell.hidden_grad"),
    ("rnnbook.cells", "JordanCell._feed_backward"),
    ("rnnbook.cells", "LSTMCell.backward"),
    ("rnnbook.cells", "GRUCell.backward"),
    ("rnnbook.bptt", "elman_bptt"),
    ("rnnbook.bptt", "sequence_loss_and_grads"),
    ("rnnbook.bptt", "_Sweep.run"),
    ("rnnbook.bptt", "hidden_jacobians"),
    ("rnnbook.bptt", "jacobian_norms_by_lag"),
    ("rnnbook.gradcheck", "numerical_grads"),
    ("rnnbook.gradcheck", "grad_check"),
    ("rnnbook.torch_cells", "LSTMScanBPTT.backward"),
    ("rnnbook.topics.expression_graph", "unbroadcast"),
    ("rnnbook.topics.expression_graph", "matmul_backward"),
    ("rnnbook.topics.expression_graph", "add_backward"),
    ("rnnbook.topics.expression_graph", "mul_backward"),
    ("rnnbook.topics.expression_graph", "dot_backward"),
    ("rnnbook.topics.expression_graph", "sigmoid_backward"),
    ("rnnbook.topics.expression_graph", "tanh_backward"),
    ("rnnbook.topics.expression_graph", "relu_backward"),
    ("rnnbook.topics.expression_graph", "log_backward"),
    ("rnnbook.topics.expression_graph", "square_backward"),
    ("rnnbook.topics.expression_graph", "sum_backward"),
    ("rnnbook.topics.expression_graph", "transpose_backward"),
    ("rnnbook.topics.expression_graph", "ExpressionGraph.backward"),
    ("rnnbook.topics.numpy_lm", "NumpyRNNLM.loss_and_grads"),
    ("rnnbook.topics.gradient_cliff", "CliffSurface.grad"),
)
"""The library's gradient code, as ``(module, attribute)``: each backward pass, BPTT, Jacobian,
finite-difference gradient and loss-with-its-gradient of ``rnnbook`` outside ``rnnbook.course``.
:func:`own_gradients` blocks every one of them."""

TORCH_AUTODIFF_ROUTINES: tuple[tuple[str, str, str], ...] = (
    ("torch.Tensor.backward", "torch._tensor", "Tensor.backward"),
    ("torch.autograd.backward", "torch.autograd", "backward"),
    ("torch.autograd.grad", "torch.autograd", "grad"),
    ("torch.autograd.functional.vjp", "torch.autograd.functional", "vjp"),
    ("torch.autograd.functional.jvp", "torch.autograd.functional", "jvp"),
    ("torch.autograd.functional.jacobian", "torch.autograd.functional", "jacobian"),
    ("torch.autograd.functional.hessian", "torch.autograd.functional", "hessian"),
    ("torch.autograd.functional.hvp", "torch.autograd.functional", "hvp"),
    ("torch.autograd.functional.vhp", "torch.autograd.functional", "vhp"),
    ("torch.autograd.forward_ad.make_dual", "torch.autograd.forward_ad", "make_dual"),
    ("torch.func.grad", "torch._functorch.apis", "grad"),
    ("torch.func.grad_and_value", "torch._functorch.apis", "grad_and_value"),
    ("torch.func.vjp", "torch._functorch.eager_transforms", "vjp"),
    ("torch.func.jvp", "torch._functorch.eager_transforms", "jvp"),
    ("torch.func.jacrev", "torch._functorch.eager_transforms", "jacrev"),
    ("torch.func.jacfwd", "torch._functorch.eager_transforms", "jacfwd"),
    ("torch.func.hessian", "torch._functorch.eager_transforms", "hessian"),
    ("torch.func.linearize", "torch._functorch.eager_transforms", "linearize"),
    # the engine entry every reverse-mode route above ends in (backward, grad, torch.func's
    # grad and vjp, torch.autograd.functional): blocked too, should a route not listed reach it
    ("torch's autograd engine", "torch.autograd.graph", "_engine_run_backward"),
)
"""torch's automatic differentiation, as ``(name shown, module, attribute)``."""

_guard_labels: list[str] = []  # the student functions inside own_gradients, innermost last
_guard_saved: list[tuple[types.FunctionType, types.CodeType]] = []  # what to put back
_guard_engine: list[tuple[type, object]] = []  # torch's engine object, while replaced
_refusing_codes: dict[tuple[str, str], types.CodeType] = {}


def refusal(routine: str, kind: str) -> CheckFailed:
    """The CheckFailed a blocked routine raises: which routine was called, and why not."""
    label = _guard_labels[-1] if _guard_labels else "your function"
    what = (
        "torch's automatic differentiation"
        if kind == "torch"
        else "the library's own gradient code"
    )
    return CheckFailed(
        f"{label} calls {routine}, {what}: this exercise asks you to derive the gradients "
        "yourself (work the chain rule out by hand and write it in numpy)"
    )


def _refusing_code(routine: str, kind: str) -> types.CodeType:
    """The code of a function that raises :func:`refusal` for ``routine``, whatever its arguments.

    It replaces a routine's ``__code__`` (below), so it runs with that routine's module globals:
    it reaches this module through ``__import__`` and holds the routine's name as a constant.
    """
    key = (routine, kind)
    if key not in _refusing_codes:
        source = (
            "def refused(*args, **kwargs):\n"
            "    raise __import__('rnnbook.course.checks', fromlist=['refusal'])"
            f".refusal({routine!r}, {kind!r})\n"
        )
        namespace: dict = {}
        exec(compile(source, f"<own_gradients: {routine}>", "exec"), namespace)
        _refusing_codes[key] = namespace["refused"].__code__
    return _refusing_codes[key]


def _resolve(module: str, attribute: str) -> types.FunctionType | None:
    """The function ``module.attribute`` (``attribute`` may be ``Class.method``), or None when
    the module cannot be imported here (torch missing, or ``rnnbook.topics`` out of view)."""
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    for part in attribute.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, types.FunctionType):
        raise TypeError(f"{module}.{attribute} is a {type(obj).__name__}, not a Python function")
    return obj


class _RefusingEngine:
    """Stands in for torch's C++ autograd engine: ``run_backward`` refuses, the rest passes on."""

    def __init__(self, engine):
        self._engine = engine

    def run_backward(self, *args, **kwargs):
        raise refusal("torch's autograd engine", "torch")

    def __getattr__(self, name):
        return getattr(self._engine, name)


def _block_all() -> None:
    """Swap every routine's code for a refusing one; keep what is needed to put it back."""
    targets = [
        (f"{module}.{attribute}", "library", module, attribute)
        for module, attribute in LIBRARY_GRADIENT_ROUTINES
    ]
    targets += [(shown, "torch", module, attr) for shown, module, attr in TORCH_AUTODIFF_ROUTINES]
    for routine, kind, module, attribute in targets:
        fn = _resolve(module, attribute)
        if fn is not None:
            code = fn.__code__
            fn.__code__ = _refusing_code(routine, kind)
            _guard_saved.append((fn, code))
    try:
        from torch.autograd.variable import Variable
    except ImportError:
        return
    _guard_engine.append((Variable, Variable._execution_engine))
    Variable._execution_engine = _RefusingEngine(Variable._execution_engine)


def _restore_all() -> None:
    """Put back every routine's own code and torch's engine (the reverse of :func:`_block_all`)."""
    while _guard_engine:
        holder, engine = _guard_engine.pop()
        holder._execution_engine = engine
    while _guard_saved:
        fn, code = _guard_saved.pop()
        fn.__code__ = code


@contextlib.contextmanager
def own_gradients(label: str = "your function") -> Iterator[None]:
    """For its duration, the library's gradient code and torch's autodiff refuse to run.

    Wrap a student's call in a "derive" exercise with it: a call of any routine of
    :data:`LIBRARY_GRADIENT_ROUTINES` (``LSTMCell.backward``, ``bptt.sequence_loss_and_grads``,
    ``gradcheck.numerical_grads``, ``ExpressionGraph.backward``, …) or of
    :data:`TORCH_AUTODIFF_ROUTINES` (``Tensor.backward``, ``torch.autograd.grad``,
    ``torch.autograd.functional.*``, ``torch.func.grad``/``vjp``/``jacrev``/``jacfwd``, …)
    raises CheckFailed naming ``label`` (the student's function) and the routine.

    Each routine's ``__code__`` is swapped, not the name that refers to it, so a name the student
    imported earlier (``from torch.autograd import grad``, ``from rnnbook.bptt import
    elman_bptt``), a bound method and an entry of ``expression_graph.OPS`` are blocked too; so
    is torch's engine object (``Variable._execution_engine.run_backward``). Everything is put
    back on exit, also when the body raises. Nested or re-entered, only the outermost entry
    blocks and restores; the innermost label is the one named. Not thread-safe: the routines are
    blocked for every thread of the process while the body runs.

    It cannot stop a student who copies the library's source text into their answer, or who
    computes the gradient by finite differences of their own.
    """
    outermost = not _guard_labels
    _guard_labels.append(label)
    try:
        if outermost:
            _block_all()
        yield
    finally:
        _guard_labels.pop()
        if outermost:
            _restore_all()


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
