"""The checkers of notebook 08 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest
import torch

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb08 as checks
from rnnbook.lm import lm_loss
from rnnbook.topics import data_parallel, throughput

torch.set_num_threads(1)


def _stub(*args, **kwargs):
    raise NotImplementedError()


def right_forward_on(model, x, y, device):
    model.to(device)
    x = torch.as_tensor(x, device=device).long()
    y = torch.as_tensor(y, device=device).long()
    logits, _ = model(x)
    return logits, lm_loss(logits, y)


def right_throughput(wall_time, batch_size, num_steps, skip):
    return throughput.steady_tokens_per_s(wall_time, batch_size * num_steps, skip)


def right_rng(fn):
    state = torch.get_rng_state()
    try:
        return fn()
    finally:
        torch.set_rng_state(state)


def test_right_answers_pass():
    checks.check_forward_on(right_forward_on)
    checks.check_steady_throughput(right_throughput)
    checks.check_allreduce_mean(data_parallel.allreduce_mean)
    checks.check_call_with_rng_restored(right_rng)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_forward_on,
        checks.check_steady_throughput,
        checks.check_allreduce_mean,
        checks.check_call_with_rng_restored,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def _forward(move_model=True, move_y=True, long=True, item=False, total=False, move_x=True):
    def forward_on(model, x, y, device):
        if move_model:
            model.to(device)
        x = torch.as_tensor(x, device=device if move_x else "cpu")
        y = torch.as_tensor(y, device=device if move_y else "cpu")
        if long:
            x, y = x.long(), y.long()
        logits, _ = model(x)
        loss = lm_loss(logits, y) * (y.numel() if total else 1)
        return logits, loss.item() if item else loss

    return forward_on


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_forward(move_model=False), "move the model with model.to(device)"),
        (_forward(move_x=False), "create the index tensor on the device"),
        (_forward(move_y=False), "y (the targets) must be moved to the device too"),
        (_forward(long=False), "convert x and y to int64"),
        (_forward(item=True), "do not call .item()"),
        (_forward(total=True), "not the sum"),
        (lambda m, x, y, d: m(torch.as_tensor(x))[0], "should return a pair (logits, loss)"),
    ],
)
def test_forward_on_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_forward_on(wrong)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda w, B, T, s: len(w) * B * T / (w[-1] - (w[s - 1] if s else 0.0)),
            "warm-up steps' tokens",
        ),
        (lambda w, B, T, s: (len(w) - s) * B * T / w[-1], "divides by the whole run time"),
        (
            lambda w, B, T, s: (len(w) - s) * B / (w[-1] - (w[s - 1] if s else 0.0)),
            "counts sequences, not tokens",
        ),
        (
            lambda w, B, T, s: (len(w) - s) * B * T / (w[-1] - w[s]),
            "starts the clock one step late",
        ),
        (lambda w, B, T, s: (len(w) - s) * B * T / (w[-1] - w[s - 1]), "divided by zero"),
        (lambda w, B, T, s: 1.0, "tokens over"),
    ],
)
def test_steady_throughput_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_steady_throughput(wrong)


def _summed(grads):
    total = [sum(g[k] for g in grads) for k in range(len(grads[0]))]
    return [[t.clone() for t in total] for _ in grads]


def _shared(grads):
    means = data_parallel.allreduce_mean(grads)[0]
    return [means for _ in grads]


def _in_place(grads):
    means = data_parallel.allreduce_mean(grads)[0]
    for rank in grads:
        for g, m in zip(rank, means):
            g.copy_(m)
    return grads


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_summed, "is the sum over ranks"),
        (lambda grads: data_parallel.allreduce_mean(grads)[0], "one list of gradients per rank"),
        (
            lambda grads: [[g.mean() for g in rank] for rank in grads],
            "not over the entries of one gradient",
        ),
        (_shared, "share one tensor object"),
        (_in_place, "changed the gradients it was given"),
        (lambda grads: [[g.clone() for g in grads[0]] for _ in grads], "gradient 0 differs"),
    ],
)
def test_allreduce_mean_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_allreduce_mean(wrong)


def _reseeds(fn):
    torch.manual_seed(0)
    return fn()


def _forgets_restore(fn):
    torch.get_rng_state()
    return fn()


def _seeds_after(fn):
    result = fn()
    torch.manual_seed(0)
    return result


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_reseeds, "do not re-seed"),
        (_forgets_restore, "torch's generator is not where it was"),
        (_seeds_after, "torch's generator is not where it was"),
        (lambda fn: fn().numpy(), "should return fn()'s result"),
    ],
)
def test_call_with_rng_restored_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_call_with_rng_restored(wrong)


def test_checker_leaves_numpy_untouched():
    state = np.random.get_state()[1].copy()
    checks.check_call_with_rng_restored(right_rng)
    assert np.array_equal(np.random.get_state()[1], state)
