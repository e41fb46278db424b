"""Faults injected into training and into checkpoint saves: nothing is lost.

* a real process killed (SIGKILL, SIGTERM, SIGINT) in the middle of writing a checkpoint: the
  old checkpoint still loads, and no temporary file is left (or the next load removes it);
* a NaN in the middle of training: the last finite weights come back, with the history;
* Ctrl-C in the middle of training: the history says "interrupted", the model still works;
* a load that does not fit (another shape, another optimiser): model and optimiser unchanged.
"""

import copy
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from rnnbook import fileio
from rnnbook.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from rnnbook.lm import RNNLM, evaluate
from rnnbook.text import SequentialBatches, Vocab, tokenize
from rnnbook.training import TrainingDiverged, train

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
TEXT = "abcdefgh" * 30
VOCAB = Vocab(tokenize(TEXT))


def batches():
    return SequentialBatches(VOCAB.encode(tokenize(TEXT)), 4, 8)


def weights(model):
    return [p.detach().clone() for p in model.parameters()]


# --------------------------------------------------------------------------- killed saves

# The child saves a checkpoint of a 4 MB model; inside torch.save it writes all (or half) of the
# bytes into the temporary file, says so on stdout and waits to be killed.
CHILD = textwrap.dedent(
    """
    import io, sys, time
    import torch
    from rnnbook.checkpoint import save_checkpoint

    path, how = sys.argv[1], sys.argv[2]
    real_save = torch.save

    def save_then_wait(obj, f):
        buffer = io.BytesIO()
        real_save(obj, buffer)
        raw = buffer.getvalue()
        f.write(raw if how == "whole" else raw[: len(raw) // 2])
        f.flush()
        print("IN-WRITE", flush=True)
        time.sleep(120)

    torch.save = save_then_wait
    model = torch.nn.Linear(1000, 1000)
    with torch.no_grad():
        model.weight.fill_(2.0)
    save_checkpoint(path, model, step=2)
    print("SAVED", flush=True)
    """
)


@pytest.mark.parametrize("how", ["whole", "half"])
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
def test_a_process_killed_mid_save_leaves_the_old_checkpoint(tmp_path, sig, how):
    target = tmp_path / "ckpt.pt"
    old = torch.nn.Linear(1000, 1000)
    save_checkpoint(target, old, step=1)
    before = target.read_bytes()
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(target), how],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "IN-WRITE", child.stderr.read()
        temps = fileio.temp_files(target)
        assert len(temps) == 1 and temps[0].stat().st_size > 1_000_000 // (
            2 if how == "half" else 1
        )
        child.send_signal(sig)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode != 0
    assert "SAVED" not in child.stdout.read()
    assert target.read_bytes() == before  # the old checkpoint is untouched
    if sig == signal.SIGINT:  # KeyboardInterrupt in the child: it removed its own temp file
        assert fileio.temp_files(target) == []
    else:  # killed outright: the temp file stays until the next load or save
        assert len(fileio.temp_files(target)) == 1
    model = torch.nn.Linear(1000, 1000)
    assert load_checkpoint(target, model, restore_rng=False)["step"] == 1
    assert torch.equal(model.weight, old.weight)
    assert fileio.temp_files(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_the_next_save_also_removes_a_dead_writers_temp_file_but_not_a_live_ones(tmp_path):
    target = tmp_path / "c.pt"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".c.pt.{dead_pid}.0badc0de.tmp"
    live = tmp_path / f".c.pt.{os.getppid()}.0badc0de.tmp"  # our parent process still runs
    stale.write_bytes(b"half")
    live.write_bytes(b"half")
    save_checkpoint(target, torch.nn.Linear(2, 2))
    assert not stale.exists() and live.exists()


# --------------------------------------------------------------------------- training faults


def test_nan_mid_training_restores_the_last_finite_weights_and_keeps_the_history():
    torch.manual_seed(0)
    model = RNNLM(len(VOCAB), 8)
    snapshots = {}

    def spoil_at_3(step, history):
        snapshots[step] = weights(model)
        if step == 3:
            with torch.no_grad():
                model.rnn.weight_hh_l0[0, 0] = float("nan")

    with pytest.raises(
        TrainingDiverged,
        match=r"loss became nan at step 4: the weights that gave step 3 its finite loss were restored",
    ) as err:
        train(model, batches(), steps=10, callbacks=[spoil_at_3], progress=False)
    history = err.value.history
    assert history.step == [1, 2, 3] and len(history.train_loss) == 3
    assert history.stop_reason == "diverged at step 4" and err.value.step == 4
    assert all(torch.isfinite(p).all() for p in model.parameters())
    # the weights step 3 started from: the last whose loss was finite
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), snapshots[2]))
    assert isinstance(err.value, FloatingPointError)  # what older code caught
    assert evaluate(model, batches())["nll"] < 10


def test_ctrl_c_mid_training_returns_the_history_and_a_usable_model():
    torch.manual_seed(0)
    model = RNNLM(len(VOCAB), 8)
    snapshots = {}

    def ctrl_c_at_4(step, history):
        snapshots[step] = weights(model)
        if step == 4:
            raise KeyboardInterrupt

    history = train(
        model, batches(), steps=20, val_batches=batches(), callbacks=[ctrl_c_at_4], progress=False
    )
    assert history.stop_reason == "interrupted" and history.step == [1, 2, 3, 4]
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), snapshots[4]))
    assert model.training  # left in training mode, as train found it
    more = train(model, batches(), steps=2, progress=False)  # and it trains on
    assert more.stop_reason == "steps" and all(torch.isfinite(p).all() for p in model.parameters())


def test_ctrl_c_inside_the_optimizer_step_undoes_the_half_done_step():
    torch.manual_seed(0)
    model = RNNLM(len(VOCAB), 8)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    real_step, calls, snapshots = opt.step, [0], {}

    def step_then_interrupt(*args, **kwargs):
        calls[0] += 1
        real_step(*args, **kwargs)
        if calls[0] == 3:
            raise KeyboardInterrupt  # the weights have moved, the step is not finished

    opt.step = step_then_interrupt
    history = train(
        model,
        batches(),
        steps=10,
        optimizer=opt,
        callbacks=[lambda s, h: snapshots.setdefault(s, weights(model)) and False],
        progress=False,
    )
    assert history.stop_reason == "interrupted" and history.step == [1, 2]
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), snapshots[2]))


CTRL_C_CHILD = textwrap.dedent(
    """
    import json, time
    import torch
    from rnnbook.lm import RNNLM
    from rnnbook.text import SequentialBatches, Vocab, tokenize
    from rnnbook.training import train

    torch.set_num_threads(1)
    text = "abcdefgh" * 30
    vocab = Vocab(tokenize(text))
    model = RNNLM(len(vocab), 8)

    def slow(step, history):
        if step == 3:
            print("TRAINING", flush=True)
        time.sleep(0.05)

    history = train(model, SequentialBatches(vocab.encode(tokenize(text)), 4, 8),
                    time_limit_s=120, callbacks=[slow], progress=False)
    finite = all(bool(torch.isfinite(p).all()) for p in model.parameters())
    print(json.dumps({"reason": history.stop_reason, "steps": len(history.step), "finite": finite}))
    """
)


def test_a_real_ctrl_c_to_a_training_process_returns_its_history():
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    child = subprocess.Popen(
        [sys.executable, "-c", CTRL_C_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout.readline().strip() == "TRAINING", child.stderr.read()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert child.returncode == 0, err
    assert result["reason"] == "interrupted" and result["steps"] >= 3 and result["finite"]


# --------------------------------------------------------------------------- loads that do not fit


def trained(n_h, optimizer=torch.optim.Adam):
    torch.manual_seed(0)
    model = RNNLM(len(VOCAB), n_h, "lstm")
    opt = optimizer(model.parameters(), lr=1e-2)
    train(model, batches(), steps=2, optimizer=opt, progress=False)
    return model, opt


def test_a_load_of_another_shape_leaves_model_and_optimizer_bit_identical(tmp_path):
    path = save_checkpoint(tmp_path / "big.pt", *trained(16), step=2)
    model, opt = trained(8)
    model_before = copy.deepcopy(model.state_dict())
    opt_before = copy.deepcopy(opt.state_dict())
    rng_before = torch.get_rng_state()
    with pytest.raises(
        CheckpointError,
        match=r"model: 'rnn.weight_ih_l0' .* has shape \(64, 9\), the model expects \(32, 9\)",
    ):
        load_checkpoint(path, model, opt)
    for k, v in model.state_dict().items():
        assert torch.equal(v, model_before[k]), k
    after = opt.state_dict()
    assert after["param_groups"] == opt_before["param_groups"]
    for i, state in opt_before["state"].items():
        for k, v in state.items():
            assert torch.equal(after["state"][i][k], v), (i, k)
    assert torch.equal(torch.get_rng_state(), rng_before)  # the generators were not touched either


def test_an_adam_checkpoint_is_refused_by_sgd_before_the_model_changes(tmp_path):
    path = save_checkpoint(tmp_path / "adam.pt", *trained(8), step=2)
    model, sgd = trained(8, lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9))
    model_before = copy.deepcopy(model.state_dict())
    sgd_before = copy.deepcopy(sgd.state_dict())
    with pytest.raises(
        CheckpointError,
        match=r"optimizer: .* holds the state of a torch.optim.adam.Adam, got a torch.optim.sgd.SGD",
    ):
        load_checkpoint(path, model, sgd)
    assert all(torch.equal(v, model_before[k]) for k, v in model.state_dict().items())
    assert sgd.state_dict()["param_groups"] == sgd_before["param_groups"]
    assert all(
        torch.equal(sgd.state_dict()["state"][i]["momentum_buffer"], s["momentum_buffer"])
        for i, s in sgd_before["state"].items()
    )
    # the weights alone still load
    assert (
        load_checkpoint(path, model, restore_rng=False)["optimizer_class"]
        == "torch.optim.adam.Adam"
    )
