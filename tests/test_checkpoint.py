"""Tests of rnnbook.checkpoint: safe loading, exact resumption, atomic writes."""

import random

import numpy as np
import pytest
import torch

from rnnbook import checkpoint
from rnnbook.checkpoint import CheckpointError, load_checkpoint, resume_training, save_checkpoint
from rnnbook.lm import RNNLM
from rnnbook.text import SequentialBatches, Vocab, tokenize
from rnnbook.training import make_optimizer, train

torch.set_num_threads(1)

TEXT = "the cat sat on the mat. " * 20


def setup(seed):
    torch.manual_seed(seed)
    vocab = Vocab(tokenize(TEXT))
    model = RNNLM(len(vocab), 12, cell="lstm", dropout=0.3)  # dropout: uses the torch generator
    batches = SequentialBatches(vocab.encode(tokenize(TEXT)), 4, 10)
    return model, make_optimizer(model, "adam", lr=1e-2), batches


class RunsCode:
    """An object whose unpickling would call a function: here, write a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_tampered_checkpoint_is_refused_and_runs_no_code(tmp_path):
    model, opt, _ = setup(0)
    path = save_checkpoint(tmp_path / "ok.pt", model, opt, step=3)
    payload = torch.load(path, weights_only=True)
    marker = tmp_path / "pwned"
    payload["extra"] = {"note": RunsCode(marker)}
    torch.save(payload, tmp_path / "bad.pt")
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="refused to load .*could run arbitrary code"):
        load_checkpoint(tmp_path / "bad.pt", model)
    assert not marker.exists()  # the object's __reduce__ was never called
    assert load_checkpoint(path, model)["step"] == 3  # a clean one loads


@pytest.mark.parametrize("stateful, where", [(False, "mid-epoch"), (True, "epoch end")])
def test_resumed_run_reaches_exactly_the_same_loss(tmp_path, stateful, where):
    # the carried hidden state is not saved, so a stateful run resumes exactly at an epoch end
    common = dict(steps=16, lr_schedule="cosine", stateful=stateful, progress=False)
    model, opt, batches = setup(0)
    full = train(model, batches, optimizer=opt, **common)

    model, opt, batches = setup(0)
    interrupt_at = len(batches) + (2 if where == "mid-epoch" else 0)
    first = train(
        model, batches, optimizer=opt, callbacks=[lambda step, h: step == interrupt_at], **common
    )
    assert first.train_loss == full.train_loss[:interrupt_at]
    save_checkpoint(tmp_path / "ckpt.pt", model, opt, step=interrupt_at)

    # a fresh process would start with other weights and generators: scramble both
    model, opt, batches = setup(123)
    random.random(), np.random.rand(), torch.rand(3)
    rest = resume_training(tmp_path / "ckpt.pt", model, batches, optimizer=opt, **common)
    assert rest.step == list(range(interrupt_at + 1, 17))  # len(batches) is 11
    assert rest.train_loss == full.train_loss[interrupt_at:]  # bit-for-bit on the CPU
    assert rest.lr == full.lr[interrupt_at:]


def test_rng_states_round_trip(tmp_path):
    model, opt, _ = setup(0)
    save_checkpoint(tmp_path / "c.pt", model, opt)
    expected = (random.random(), float(np.random.rand()), float(torch.rand(1)))
    random.random(), np.random.rand(), torch.rand(5)
    load_checkpoint(tmp_path / "c.pt")
    assert (random.random(), float(np.random.rand()), float(torch.rand(1))) == expected


def test_interrupted_write_leaves_old_checkpoint_and_no_partial_file(tmp_path, monkeypatch):
    model, opt, _ = setup(0)
    target = tmp_path / "ckpt.pt"
    save_checkpoint(target, model, opt, step=1)
    before = target.read_bytes()

    def half_then_fail(payload, fileobj):
        fileobj.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "_write", half_then_fail)
    with torch.no_grad():
        model.output.bias.add_(1.0)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(target, model, opt, step=2)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]
    assert load_checkpoint(target, restore_rng=False)["step"] == 1

    monkeypatch.setattr(checkpoint, "_write", half_then_fail)
    with pytest.raises(OSError):
        save_checkpoint(tmp_path / "new.pt", model)
    assert not (tmp_path / "new.pt").exists()


def test_unsupported_extra_is_rejected_before_replacing(tmp_path):
    model, _, _ = setup(0)
    target = save_checkpoint(tmp_path / "c.pt", model, step=5)
    with pytest.raises(CheckpointError, match="refused"):
        save_checkpoint(target, model, step=6, extra={"obj": RunsCode(tmp_path / "m")})
    assert load_checkpoint(target, restore_rng=False)["step"] == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]
