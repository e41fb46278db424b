"""The checkers of notebook 08 accept right answers and name the plausible mistakes."""

import copy

import numpy as np
import pytest
import torch

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb08 as checks
from rnnbook.course.references import nb08 as ref
from rnnbook.lm import count_targets, lm_loss

torch.set_num_threads(1)


def combine(grads, counts):
    total = sum(counts)
    return [sum(g[k] * n / total for g, n in zip(grads, counts)) for k in range(len(grads[0]))]


def accumulated(model, x, y, micro_batch, lr, weight=count_targets, every_step=False):
    grads, counts, losses = [], [], []
    for s in range(0, len(x), micro_batch):
        xb, yb = torch.as_tensor(x[s : s + micro_batch]), torch.as_tensor(y[s : s + micro_batch])
        loss = lm_loss(model(xb)[0], yb)
        grads.append(torch.autograd.grad(loss, list(model.parameters())))
        counts.append(weight(yb))
        losses.append(loss.item())
        if every_step:
            with torch.no_grad():
                for p, g in zip(model.parameters(), grads[-1]):
                    p -= lr * g
    if not every_step:
        with torch.no_grad():
            for p, g in zip(model.parameters(), combine(grads, counts)):
                p -= lr * g
    return model, losses


def _stub(*args, **kwargs):
    raise NotImplementedError()


def test_right_answers_pass_visible_and_hidden_checks():
    checks.check_combine_gradients(combine)
    checks.check_accumulated_step(accumulated)
    ref.hidden_combine_gradients(combine)
    ref.hidden_accumulated_step(accumulated)


@pytest.mark.parametrize("checker", [checks.check_combine_gradients, checks.check_accumulated_step])
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda g, n: combine(g, [1] * len(n)), "plain mean over ranks"),
        (lambda g, n: [sum(r[k] for r in g) for k in range(len(g[0]))], "summed"),
        (lambda g, n: [x * sum(n) for x in combine(g, n)], "not divided by the total"),
        (lambda g, n: combine(g, [1 / c for c in n]), "inverted"),
        (lambda g, n: [x / len(n) for x in combine(g, n)], "number of ranks once more"),
        (lambda g, n: combine(g, n)[:1], "a list of 2 gradients"),
        (lambda g, n: [x.T for x in combine(g, n)], "transposed"),
    ],
)
def test_combine_mistakes_are_named(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_combine_gradients(wrong)


def test_combine_check_refuses_an_answer_that_changes_its_input():
    def in_place(grads, counts):
        out = combine(grads, counts)
        grads[0][0] *= 0
        return out

    with pytest.raises(CheckFailed, match="changed the gradients"):
        checks.check_combine_gradients(in_place)


def test_finite_differences_agree_with_autograd():
    theta, _, (X, y) = checks.ranks_problem(0)
    A = torch.tensor(theta["A"], requires_grad=True)
    a = torch.tensor(theta["a"], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(X) @ A.T + a, torch.from_numpy(y))
    loss.backward()
    fd = checks._fd(theta, X, y)
    assert np.allclose(fd[0], A.grad.numpy(), atol=1e-8)
    assert np.allclose(fd[1], a.grad.numpy(), atol=1e-8)


def _last_only(model, x, y, m, lr):
    starts = list(range(0, len(x), m))
    _, losses = accumulated(copy.deepcopy(model), x, y, m, lr)
    s = starts[-1]
    return accumulated(model, x[s:], y[s:], m, lr)[0], losses


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda *a: accumulated(*a, weight=len), "weighted by their rows"),
        (lambda *a: accumulated(*a, weight=lambda y: 1), "equal weights"),
        (lambda *a: accumulated(*a, weight=lambda y: 1e-9) and None, "pair"),
        (lambda *a: accumulated(*a, every_step=True), "after every micro-batch"),
        (_last_only, "only the last micro-batch"),
        (lambda m, *a: (m, accumulated(copy.deepcopy(m), *a)[1]), "still has its starting weights"),
        (lambda *a: (accumulated(*a)[0], [0.0, 0.0, 0.0]), r"losses\[0\] is 0"),
        (lambda *a: (accumulated(*a)[0], []), "one loss per micro-batch"),
    ],
)
def test_accumulation_mistakes_are_named(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        checks.check_accumulated_step(wrong)


def test_lm_batch_pads_some_rows_and_keeps_a_full_one():
    x, y = checks.lm_batch(0, 7, 5, 6)
    per_row = [count_targets(torch.as_tensor(row)) for row in y]
    assert max(per_row) == 5 and min(per_row) >= 1 and len(set(per_row)) > 1


def test_questions():
    checks.check_q3(114306.98)
    checks.check_q4(" A")
    for check in (checks.check_q3, checks.check_q4):
        with pytest.raises(NotAttempted):
            check(None)
    with pytest.raises(CheckFailed, match="positive"):
        checks.check_q3(-1.0)
    w = checks.RECORDED_RUN["wall_time"]
    assert ref.q3_answer() == pytest.approx(12 * 64 * 128 / (w[-1] - w[2]))
    ref.hidden_q3(ref.q3_answer() * 1.005)
    with pytest.raises(CheckFailed, match="warm-up included"):
        ref.hidden_q3(15 * 64 * 128 / w[-1])
    ref.hidden_q4("a")
    with pytest.raises(CheckFailed, match="exactly the large batch"):
        ref.hidden_q4("c")


def test_hints_cover_every_exercise():
    assert sorted(checks.HINTS) == ["ex1", "ex2", "ex3", "ex4", "ex5"]


def test_the_notebook_shows_the_recorded_run_the_grader_uses():
    import ast
    from pathlib import Path

    import nbformat

    nb = nbformat.read(Path(__file__).parents[1] / "solutions" / "08_gpu_training.ipynb", 4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("run = {"))
    shown = ast.literal_eval(ast.parse(cell.source).body[0].value)
    assert shown == checks.RECORDED_RUN
