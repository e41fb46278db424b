"""``checks.own_gradients``: while a derive exercise's answer runs, the library's gradient code
and torch's automatic differentiation refuse to run, naming what was called; afterwards
everything works as before (also after an exception, and when nested)."""

import importlib
import inspect
import pkgutil
import re

import numpy as np
import pytest
import torch

import rnnbook
from rnnbook import cells
from rnnbook.course import wire
from rnnbook.course.checks import (
    LIBRARY_GRADIENT_ROUTINES,
    TORCH_AUTODIFF_ROUTINES,
    CheckFailed,
    call_student,
    own_gradients,
)

LIBRARY = [(f"{m}.{a}", m, a) for m, a in LIBRARY_GRADIENT_ROUTINES]
ROUTINES = LIBRARY + list(TORCH_AUTODIFF_ROUTINES)

# functions of the library whose names speak of gradients but that compute none: they check,
# clip or report gradients handed to them, or run a forward pass
NOT_GRADIENT_CODE = {
    "rnnbook.bptt._check_elman_bptt",
    "rnnbook.bptt._check_grads",
    "rnnbook.bptt.clip_grad_norm",
    "rnnbook.bptt.clip_grad_value",
    "rnnbook.cells.Cell.check_step_backward",
    "rnnbook.optim.Optimizer._check_grads",
}


def _function(module: str, attribute: str):
    obj = importlib.import_module(module)
    for part in attribute.split("."):
        obj = getattr(obj, part)
    return obj


def _codes() -> dict[str, object]:
    return {name: _function(m, a).__code__ for name, m, a in ROUTINES}


def _engine():
    return torch.autograd.variable.Variable._execution_engine


@pytest.mark.parametrize("routine, module, attribute", ROUTINES, ids=[r[0] for r in ROUTINES])
def test_each_routine_is_blocked_and_named(routine, module, attribute):
    fn = _function(module, attribute)
    with own_gradients("lstm_step_backward"):
        with pytest.raises(CheckFailed) as err:
            fn(1, 2, three=3)  # whatever the arguments: the routine itself never runs
    message = str(err.value)
    assert message.startswith(f"lstm_step_backward calls {routine}, "), message
    assert "derive the gradients yourself" in message
    kind = (
        "the library's own gradient code"
        if (routine, module, attribute) in LIBRARY
        else ("torch's automatic differentiation")
    )
    assert kind in message


def test_the_message_of_the_brief():
    with own_gradients("lstm_step_backward"), pytest.raises(CheckFailed) as err:
        cells.LSTMCell(2, 3).backward({}, None, None)
    assert str(err.value).startswith(
        "lstm_step_backward calls rnnbook.cells.LSTMCell.backward, the library's own gradient "
        "code: this exercise asks you to derive the gradients yourself"
    )


def test_everything_is_restored_afterwards_also_after_an_exception():
    before, engine = _codes(), _engine()
    with own_gradients("f"):
        assert _codes() != before
        assert _engine() is not engine
    assert _codes() == before and _engine() is engine
    with pytest.raises(ZeroDivisionError), own_gradients("f"):
        raise ZeroDivisionError("the body fails")
    assert _codes() == before and _engine() is engine
    with pytest.raises(CheckFailed), own_gradients("f"):
        torch.ones(2, requires_grad=True).sum().backward()
    assert _codes() == before and _engine() is engine
    assert not wire._guard_stack and not wire._guard_saved


def test_nested_and_reentered_only_the_outermost_restores():
    before = _codes()
    with own_gradients("outer"):
        with own_gradients("inner"), pytest.raises(CheckFailed, match=r"^inner calls"):
            torch.autograd.grad(torch.ones(1, requires_grad=True).sum(), [])
        # the inner exit put nothing back: still blocked, and the outer label is named again
        with pytest.raises(CheckFailed, match=r"^outer calls rnnbook\.bptt\.elman_bptt"):
            rnnbook.bptt.elman_bptt({}, None, None, None)
    assert _codes() == before


def test_a_name_imported_before_the_guard_is_blocked():
    from torch.autograd import grad
    from torch.func import jacrev

    from rnnbook.bptt import sequence_loss_and_grads
    from rnnbook.topics.expression_graph import OPS

    x = torch.ones(3, requires_grad=True)
    bound = cells.GRUCell(2, 3).backward
    with own_gradients("f"):
        for call, name in [
            (lambda: grad((x * x).sum(), x), "torch.autograd.grad"),
            (lambda: jacrev(torch.sin)(x), "torch.func.jacrev"),
            (lambda: sequence_loss_and_grads(None, {}, None, None, None), "sequence_loss_and"),
            (lambda: OPS["tanh"].backward(1, 1, 1), "expression_graph.tanh_backward"),
            (lambda: bound({}, None, None), "rnnbook.cells.GRUCell.backward"),
        ]:
            with pytest.raises(CheckFailed, match=re.escape(name)):
                call()


def test_the_engine_object_and_forward_mode_are_blocked():
    x = torch.ones(3, requires_grad=True)
    with own_gradients("f"):
        with pytest.raises(CheckFailed, match="torch's autograd engine"):
            _engine().run_backward(((x * x).sum(),), (None,), False, False, (), False, False)
        with pytest.raises(CheckFailed, match=r"torch\.autograd\.forward_ad\.make_dual"):
            with torch.autograd.forward_ad.dual_level():
                torch.autograd.forward_ad.make_dual(x.detach(), torch.ones(3))


def test_torch_autograd_and_the_library_work_again_afterwards():
    with pytest.raises(CheckFailed), own_gradients("f"):
        torch.func.grad(torch.sin)(torch.tensor(0.0))
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert torch.equal(x.grad, torch.tensor([2.0, 4.0]))
    assert torch.equal(torch.autograd.grad((x**3).sum(), x)[0], 3 * x.detach() ** 2)
    assert float(torch.func.grad(torch.sin)(torch.tensor(0.0))) == 1.0
    assert torch.equal(torch.func.jacfwd(lambda v: 2 * v)(x.detach()), 2 * torch.eye(2))
    cell, rng = cells.ElmanCell(2, 3), np.random.default_rng(0)
    params = cell.init_params(rng)
    state, cache = cell.forward(params, cell.init_state(1), rng.normal(size=(2, 1)))
    dstate, _, grads = cell.backward(params, state, cache)
    assert grads["W"].shape == (3, 3) and np.all(np.isfinite(dstate.h))


def test_call_student_guards_only_when_asked():
    def delegates():
        x = torch.ones(2, requires_grad=True)
        return torch.autograd.grad(x.sum(), x)[0]

    assert torch.equal(call_student(delegates, name="rnn_backward"), torch.ones(2))
    with pytest.raises(CheckFailed, match=r"^rnn_backward calls torch\.autograd\.grad"):
        call_student(delegates, name="rnn_backward", derive=True)
    assert not wire._guard_stack


def _library_functions():
    """Every function and method defined in ``rnnbook`` outside ``rnnbook.course``."""
    for info in pkgutil.walk_packages(rnnbook.__path__, "rnnbook."):
        if info.name.startswith("rnnbook.course"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}"
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if inspect.isfunction(getattr(member, "__func__", member)):
                        yield f"{info.name}.{name}.{attr}"


def test_every_gradient_routine_of_the_library_is_listed():
    """A function of the library named for gradients is blocked or known to compute none (the
    list also holds routines this misses, such as ``softmax_cross_entropy``)."""
    listed = {name for name, _, _ in LIBRARY}
    speaks_of_gradients = re.compile(r"backward|grad|bptt|jacobian", re.IGNORECASE)
    found = {
        name for name in _library_functions() if speaks_of_gradients.search(name.rsplit(".", 1)[-1])
    }
    missing = sorted(found - listed - NOT_GRADIENT_CODE)
    assert not missing, f"gradient code own_gradients does not block: {missing}"
    stale = sorted(NOT_GRADIENT_CODE - found)
    assert not stale, f"NOT_GRADIENT_CODE names what the library no longer has: {stale}"


def test_the_grader_blocks_them_in_the_kernel_too(tmp_path):
    """The grader runs a student's function in its kernel: a guarded call is guarded there."""
    import nbformat
    from answer_harness import ROOT, answers

    from rnnbook.course import grading

    wrong, right = answers("04_bptt")
    nb = nbformat.read(ROOT / "exercises" / "04_bptt.ipynb", as_version=4)
    chosen = {
        "ex1-solution": wrong["ex1-solution"][-1][1],  # rnnbook.cells.ElmanCell.backward
        "ex2-solution": wrong["ex2-solution"][-1][1],  # torch.autograd.grad, imported by name
        "ex3-solution": right["ex3-solution"][0],  # worked out by hand: scores
    }
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        cell.source = chosen.get(gid, cell.source)
    path = tmp_path / "04_bptt.ipynb"
    nbformat.write(nb, path)
    # unconfined, so that the kernel imports rnnbook wherever the checkout is installed from
    results = grading.grade(path, confine=False).by_id()
    assert results["ex1-tests"].points == 0
    assert results["ex1-tests"].reason.startswith(
        "rnn_step_backward calls rnnbook.cells.ElmanCell.backward, the library's own gradient"
    )
    assert results["ex2-tests"].points == 0
    assert results["ex2-tests"].reason.startswith(
        "rnn_backward calls torch.autograd.grad, torch's automatic differentiation"
    )
    assert results["ex3-tests"].points == results["ex3-tests"].max_points
