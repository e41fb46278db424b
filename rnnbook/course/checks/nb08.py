"""Checks for the exercises of notebook 08 (training on a GPU).

Exercise 1 is checked twice: on the CPU for the values, and on PyTorch's ``"meta"`` device for
the placement.  A meta tensor has a shape and a dtype but no data, so it behaves like a tensor on
a separate device on any machine, GPU or not: whatever was left behind on the CPU shows up.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnbook.course.checks import CheckFailed, call_student, expect_close, expect_true
from rnnbook.lm import RNNLM, lm_loss
from rnnbook.topics import data_parallel, throughput


class _SpyLM(RNNLM):
    """An RNNLM that remembers the device and dtype of the last input it was given."""

    seen: tuple | None = None

    def forward(self, x, state=None):
        self.seen = (x.device, x.dtype)
        return super().forward(x, state)


def _spy_model(seed: int = 0) -> _SpyLM:
    torch.manual_seed(seed)
    return _SpyLM(11, 8, "lstm", embed_dim=5)


def _batch(seed: int, dtype=np.int64):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 11, (3, 4)).astype(dtype), rng.integers(0, 11, (3, 4)).astype(dtype)


def _call_forward(forward_on, model, x, y, device, where: str):
    try:
        out = call_student(forward_on, model, x, y, device, name="forward_on")
    except RuntimeError as err:
        text = str(err).splitlines()[0]
        hint = "every tensor of one operation must be on the same device"
        moved = {p.device.type for p in model.parameters()} == {torch.device(device).type}
        if not moved:
            hint = "move the model with model.to(device)"
        elif "meta" in text and "expected" in text:
            hint = "y (the targets) must be moved to the device too, as x is"
        elif "Long" in text or "dtype" in text or "scalar type" in text:
            hint = "convert x and y to int64 (torch.long) index tensors"
        elif "size" in text or "shape" in text or "dimension" in text:
            hint = "flatten logits to (B*T, V) and y to (B*T,) before the cross-entropy"
        raise CheckFailed(f"forward_on {where} raised RuntimeError: {text} ({hint})") from None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckFailed(
            f"forward_on should return a pair (logits, loss), got {type(out).__name__}"
        )
    return out


def check_forward_on(forward_on) -> None:
    """Exercise 1: move model and batch to ``device``; return ``(logits, loss)`` computed there."""
    # values, on the CPU (with int32 input, which must become int64)
    for seed, dtype in ((0, np.int64), (1, np.int32)):
        model = _spy_model(seed)
        x, y = _batch(seed, dtype)
        logits, loss = _call_forward(forward_on, model, x, y, "cpu", f"with {np.dtype(dtype)} x, y")
        ref_model = _spy_model(seed)
        ref_logits, _ = ref_model(torch.as_tensor(x, dtype=torch.long))
        ref = lm_loss(ref_logits, torch.as_tensor(y, dtype=torch.long))
        expect_true(
            isinstance(logits, torch.Tensor),
            f"logits should be a torch.Tensor, got {type(logits).__name__}",
        )
        expect_true(
            tuple(logits.shape) == (3, 4, 11),
            f"logits have shape {tuple(logits.shape)}, expected (B, T, V) = (3, 4, 11): return "
            f"the model's logits as they come",
        )
        expect_true(
            isinstance(loss, torch.Tensor),
            f"loss should be a torch.Tensor (so that loss.backward() works and it stays on the "
            f"device), got {type(loss).__name__}: do not call .item()",
        )
        expect_true(
            loss.dim() == 0,
            f"loss should be a scalar tensor, got shape {tuple(loss.shape)}: average over all "
            f"B*T tokens",
        )
        expect_true(
            model.seen is not None and model.seen[1] == torch.long,
            f"the model was given x of dtype {model.seen[1] if model.seen else None}: convert x "
            f"to int64 (torch.long) token indices",
        )
        got, want = float(loss.detach()), float(ref.detach())
        if np.isclose(got, want * x.size, rtol=1e-5):
            raise CheckFailed(
                f"loss is {got:.5g}, {x.size} times the expected {want:.5g}: the loss is the "
                f"mean cross-entropy per token, not the sum"
            )
        expect_close("loss", got, want, rtol=1e-5, hint="use rnnbook.lm.lm_loss(logits, y)")

    # placement, on the meta device
    model = _spy_model(2)
    x, y = _batch(2)
    logits, loss = _call_forward(forward_on, model, x, y, torch.device("meta"), "on device 'meta'")
    where = {str(p.device) for p in model.parameters()}
    expect_true(
        where == {"meta"},
        f"after forward_on(model, x, y, 'meta') the model's parameters are on {sorted(where)}: "
        f"move the model with model.to(device)",
    )
    expect_true(
        model.seen is not None and model.seen[0].type == "meta",
        f"the model was given x on {model.seen[0] if model.seen else None}, expected 'meta': "
        f"create the index tensor on the device, torch.as_tensor(x, device=device)",
    )
    expect_true(
        isinstance(loss, torch.Tensor) and loss.device.type == "meta",
        f"loss is on {getattr(loss, 'device', type(loss).__name__)}, expected 'meta': compute "
        f"it from logits and targets that are both on the device",
    )
    expect_true(
        logits.device.type == "meta",
        f"logits are on {logits.device}, expected 'meta': return them where they were computed",
    )


def check_steady_throughput(steady_throughput) -> None:
    """Exercise 2: tokens per second after ``skip`` warm-up steps, from cumulative step times."""
    wall = [2.5, 2.9, 3.2, 3.6, 3.9, 4.3]  # the first step is slow (warm-up)
    for B, T, skip in ((8, 16, 1), (4, 32, 2), (2, 10, 0)):
        label = f"steady_throughput(wall_time, batch_size={B}, num_steps={T}, skip={skip})"
        try:
            got = call_student(steady_throughput, list(wall), B, T, skip, name="steady_throughput")
        except ZeroDivisionError:
            raise CheckFailed(
                f"{label} divided by zero: with skip = 0 the timed interval starts at time 0, "
                f"not at wall_time[-1]"
            ) from None
        expected = throughput.steady_tokens_per_s(wall, B * T, skip)
        n = len(wall)
        start = wall[skip - 1] if skip else 0.0
        wrong = [
            (n * B * T / (wall[-1] - start), "counts the warm-up steps' tokens too"),
            (
                (n - skip) * B * T / wall[-1],
                "divides by the whole run time wall_time[-1]: the "
                "timed interval starts when the warm-up ends, at wall_time[skip - 1]",
            ),
            (
                (n - skip) * B / (wall[-1] - start),
                "counts sequences, not tokens: every step processes batch_size * num_steps tokens",
            ),
            (n * B * T / wall[-1], "includes the warm-up steps, tokens and time"),
        ]
        if skip < n - 1:
            wrong.append(
                (
                    (n - skip) * B * T / (wall[-1] - wall[skip]),
                    "starts the clock one step late: "
                    "step skip ends at wall_time[skip - 1] (Python counts from 0)",
                )
            )
        if not np.isclose(float(got), expected, rtol=1e-9):
            for value, why in wrong:
                if np.isclose(float(got), value, rtol=1e-9):
                    raise CheckFailed(f"{label} is {float(got):.6g}: it {why}")
        expect_close(
            label,
            got,
            expected,
            rtol=1e-9,
            hint="(len(wall_time) - skip) * batch_size * num_steps tokens over "
            "wall_time[-1] - wall_time[skip - 1] seconds",
        )


def _gradients(seed: int, world_size: int):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(3, 2), (2,), (1, 4)]
    return [[torch.randn(s, generator=gen) for s in shapes] for _ in range(world_size)]


def check_allreduce_mean(allreduce_mean) -> None:
    """Exercise 3: every rank ends with the mean over ranks of every gradient."""
    for seed, world_size in ((0, 2), (1, 3), (2, 4)):
        grads = _gradients(seed, world_size)
        before = [[g.clone() for g in rank] for rank in grads]
        out = call_student(allreduce_mean, grads, name="allreduce_mean")
        expected = data_parallel.allreduce_mean(before)
        label = f"allreduce_mean with {world_size} ranks"
        expect_true(
            isinstance(out, list | tuple) and len(out) == world_size,
            f"{label} should return one list of gradients per rank ({world_size}), got "
            f"{len(out) if isinstance(out, list | tuple) else type(out).__name__}",
        )
        for r, rank in enumerate(out):
            expect_true(
                isinstance(rank, list | tuple) and len(rank) == len(expected[0]),
                f"{label}: rank {r} should hold {len(expected[0])} gradients, one per "
                f"parameter, got {len(rank) if isinstance(rank, list | tuple) else type(rank).__name__}",
            )
            for k, (g, want) in enumerate(zip(rank, expected[0])):
                g = torch.as_tensor(g)
                if g.shape == want.shape and torch.allclose(g, want * world_size, atol=1e-6):
                    raise CheckFailed(
                        f"{label}: rank {r}'s gradient {k} is the sum over ranks: divide by "
                        f"the number of ranks (the world size) to get the mean"
                    )
                if g.shape != want.shape:
                    raise CheckFailed(
                        f"{label}: rank {r}'s gradient {k} has shape {tuple(g.shape)}, expected "
                        f"{tuple(want.shape)}: average over ranks, element by element, not over "
                        f"the entries of one gradient"
                    )
                expect_close(
                    f"{label}: rank {r}'s gradient {k}",
                    g.detach().numpy(),
                    want.numpy(),
                    rtol=1e-6,
                    atol=1e-7,
                    hint="each rank holds (1 / world_size) * sum over ranks of gradient k",
                )
        expect_true(
            all(torch.equal(a, b) for ra, rb in zip(grads, before) for a, b in zip(ra, rb)),
            f"{label} changed the gradients it was given: build new tensors",
        )
        ptrs = [torch.as_tensor(rank[0]).data_ptr() for rank in out]
        expect_true(
            len(set(ptrs)) == world_size,
            f"{label}: the ranks share one tensor object; on real machines every rank holds "
            f"its own copy (use .clone() per rank)",
        )


def check_call_with_rng_restored(call_with_rng_restored) -> None:
    """Exercise 4: call ``fn`` from the current torch RNG state and put that state back after."""
    for seed in (3, 17):
        fn = lambda: torch.rand(4)
        torch.manual_seed(seed)
        torch.rand(2)  # a state that is not a fresh seed
        state = torch.get_rng_state()
        expected_result = fn()
        torch.set_rng_state(state)
        expected_next = torch.rand(3)  # what an undisturbed run draws next
        torch.set_rng_state(state)
        got = call_student(call_with_rng_restored, fn, name="call_with_rng_restored")
        got_next = torch.rand(3)
        expect_true(
            isinstance(got, torch.Tensor),
            f"call_with_rng_restored(fn) should return fn()'s result, got {type(got).__name__}",
        )
        if not torch.equal(got, expected_result):
            raise CheckFailed(
                "call_with_rng_restored(fn) returned a different result from fn() called from "
                "the current state: save the state with torch.get_rng_state(); do not re-seed "
                "with torch.manual_seed"
            )
        if not torch.equal(got_next, expected_next):
            raise CheckFailed(
                "after call_with_rng_restored(fn), torch's generator is not where it was: the "
                "numbers drawn next differ from those of an undisturbed run. Save "
                "torch.get_rng_state() before calling fn and restore it with "
                "torch.set_rng_state(...) after"
            )
