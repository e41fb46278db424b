"""Bad input to the language-model stack: every message names the argument, what was expected
and what arrived, and nothing runs (or changes) before the mistake is reported.

Modules: rnnbook.lm, rnnbook.training, rnnbook.sampling, rnnbook.checkpoint, rnnbook.devices,
rnnbook.data, rnnbook.liveplot, rnnbook.history and rnnbook.fileio.
"""

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn
from toy_models import NextLetter

from rnnbook import data, fileio
from rnnbook.checkpoint import (
    CheckpointError,
    load_checkpoint,
    resume_training,
    save_checkpoint,
    set_rng_state,
)
from rnnbook.devices import autocast, pick_device
from rnnbook.history import History, perplexity
from rnnbook.liveplot import LivePlot
from rnnbook.lm import RNNLM, as_index_tensor, evaluate, lm_loss
from rnnbook.sampling import choose_next, sample
from rnnbook.text import SequentialBatches, Vocab, tokenize
from rnnbook.training import lr_factor, make_optimizer, train

torch.set_num_threads(1)

TEXT = "abcdefgh" * 30
VOCAB = Vocab(tokenize(TEXT))
V = len(VOCAB)


def batches():
    return SequentialBatches(VOCAB.encode(tokenize(TEXT)), 4, 8)


def weights(model):
    return [p.detach().clone() for p in model.parameters()]


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


# --------------------------------------------------------------------------- rnnbook.lm


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(vocab_size=0, n_h=4), ValueError, r"vocab_size: expected a finite number > 0, got 0"),
        (dict(vocab_size=5, n_h=2.5), TypeError, r"n_h: expected an integer, got float 2.5"),
        (dict(vocab_size=5, n_h=4, dropout=1.0), ValueError, r"dropout: expected a probability"),
        (dict(vocab_size=5, n_h=4, cell="elman"), ValueError, r"cell: expected one of"),
        (dict(vocab_size=5, n_h=4, num_layers=0), ValueError, r"num_layers: expected a finite"),
        (dict(vocab_size=5, n_h=4, tie_weights="yes"), TypeError, r"tie_weights: expected True"),
        (
            dict(vocab_size=2_000_000, n_h=1024),
            ValueError,
            r"RNNLM: [\d,]+ parameters would take \d+\.\d GiB .*embed_dim",
        ),
    ],
)
def test_rnnlm_constructor_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        RNNLM(**kwargs)


def test_rnnlm_has_no_benchmark_options():
    with pytest.raises(TypeError, match="unexpected keyword argument 'embed_dropout'"):
        RNNLM(5, 4, embed_dropout=0.1)


@pytest.mark.parametrize(
    "x, error, message",
    [
        (
            torch.zeros(2, 3),
            TypeError,
            r"x: expected integer token indices, got dtype torch.float32",
        ),
        (
            torch.zeros(6, dtype=torch.long),
            ValueError,
            r"x: expected token indices of shape \(B, T\)",
        ),
        (
            torch.tensor([[0, 9]]),
            ValueError,
            r"x: expected token indices in \[0, 8\] .* from 0 to 9",
        ),
        (torch.tensor([[-1, 0]]), ValueError, r"x: expected token indices in \[0, 8\]"),
        (np.zeros((2, 3), dtype=int), TypeError, r"x: expected a torch.Tensor .*as_index_tensor"),
    ],
)
def test_rnnlm_forward_refuses(x, error, message):
    with pytest.raises(error, match=message):
        RNNLM(9, 4)(x)


def test_one_hot_input_over_a_gibibyte_is_refused_with_its_size():
    model = RNNLM(300_000, 1)
    with pytest.raises(ValueError, match=r"one-hot input of a \(64, 64\) batch .* \d+\.\d GiB"):
        model(torch.zeros(64, 64, dtype=torch.long))


def test_init_state_refuses_a_zero_batch_and_a_bad_device():
    with pytest.raises(ValueError, match="batch: expected a finite number > 0, got 0"):
        RNNLM(5, 4).init_state(0)
    with pytest.raises(ValueError, match="device: expected a device such as 'cpu'"):
        RNNLM(5, 4).init_state(2, device="gpu")


def test_as_index_tensor_refuses_strings_and_floats():
    with pytest.raises(TypeError, match=r"x: expected integer token indices, got <U1 values"):
        as_index_tensor(["a", "b"])
    with pytest.raises(
        TypeError, match="x: expected integer token indices, got dtype torch.float64"
    ):
        as_index_tensor(np.zeros((2, 2)))


LOGITS = torch.zeros(2, 3, 5)


@pytest.mark.parametrize(
    "logits, y, error, message",
    [
        (
            LOGITS,
            torch.zeros(3, 2, dtype=torch.long),
            ValueError,
            r"y: expected .*\(2, 3\).*transposed",
        ),
        (LOGITS, torch.zeros(2, 4, dtype=torch.long), ValueError, r"y: expected targets of shape"),
        (
            LOGITS,
            torch.full((2, 3), -1),
            ValueError,
            r"y: expected targets in \[0, 4\] or -100 .*-1",
        ),
        (LOGITS, torch.full((2, 3), 5), ValueError, r"y: expected targets in \[0, 4\].* to 5"),
        (LOGITS, torch.zeros(2, 3), TypeError, r"y: expected integer target indices, got dtype"),
        (
            torch.zeros(6, 5),
            torch.zeros(2, 3, dtype=torch.long),
            ValueError,
            r"logits: expected a float",
        ),
        (LOGITS, torch.full((2, 3), -100), ValueError, r"y: every target is -100 \(ignored\)"),
        (LOGITS, [[0, 1, 2]], TypeError, r"y: expected a torch.Tensor, got list"),
    ],
)
def test_lm_loss_refuses(logits, y, error, message):
    with pytest.raises(error, match=message):
        lm_loss(logits, y)


def test_ignored_targets_are_left_out_of_the_mean_and_the_count():
    torch.manual_seed(0)
    logits = torch.randn(1, 4, 5)
    y = torch.tensor([[1, -100, 3, -100]])
    kept = lm_loss(logits[:, [0, 2]], y[:, [0, 2]])
    assert torch.allclose(lm_loss(logits, y), kept)
    model = RNNLM(5, 4)
    x = torch.tensor([[0, 1, 2, 3]])
    result = evaluate(model, [(x, y)])
    assert result["tokens"] == 2


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda m: evaluate(m, []), ValueError, "batches: expected at least one batch"),
        (lambda m: evaluate(m, 5), TypeError, "batches: expected an iterable of .* got int"),
        (
            lambda m: evaluate(m, [np.zeros((2, 3), dtype=int)]),
            TypeError,
            r"batches: expected every item to be an \(x, y\) pair, got ndarray at item 0",
        ),
        (lambda m: evaluate(m, batches(), stateful="yes"), TypeError, "stateful: expected None"),
        (lambda m: evaluate("model", batches()), TypeError, "model: expected a torch.nn.Module"),
        (lambda m: evaluate(m, batches(), device="gpu"), ValueError, "device: expected a device"),
    ],
)
def test_evaluate_refuses(call, error, message):
    with pytest.raises(error, match=message):
        call(RNNLM(V, 4))


# --------------------------------------------------------------------------- rnnbook.training


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(), ValueError, "train: expected at least one of epochs=, steps= or time_limit_s="),
        (dict(epochs=0), ValueError, "epochs: expected a finite number > 0, got 0"),
        (dict(steps=1.5), TypeError, "steps: expected an integer, got float 1.5"),
        (dict(steps=2, clip_norm=-1.0), ValueError, "clip_norm: expected a finite number > 0"),
        (dict(steps=2, lr=-0.1), ValueError, r"lr: expected a finite number > 0, got -0.1"),
        (
            dict(steps=2, optimizer="adamw"),
            ValueError,
            r"optimizer: expected one of \['adam', 'sgd'\]",
        ),
        (
            dict(steps=2, optimizer=3),
            TypeError,
            "optimizer: expected 'adam', 'sgd' or a torch.optim",
        ),
        (
            dict(steps=2, lr_schedule="cosin"),
            ValueError,
            r"lr_schedule: expected one of \['cosine'",
        ),
        (
            dict(steps=2, lr_schedule=lambda s: -1.0),
            ValueError,
            r"lr_schedule: .*>= 0, got -1.0 .*climbs",
        ),
        (
            dict(steps=2, lr_schedule=lambda s: math.nan),
            ValueError,
            r"lr_schedule: expected a finite",
        ),
        (
            dict(steps=2, lr_schedule=lambda s: "1"),
            TypeError,
            "lr_schedule: expected the callable to",
        ),
        (dict(time_limit_s=1, lr_schedule="cosine"), ValueError, "needs a known number of steps"),
        (dict(steps=2, callbacks=print), TypeError, "callbacks: expected a list of callables"),
        (dict(steps=2, device="gpu"), ValueError, "device: expected a device such as 'cpu'"),
        (dict(steps=2, stateful="no"), TypeError, "stateful: expected True or False, got 'no'"),
        (dict(steps=2, eval_every=0), ValueError, "eval_every: expected a finite number > 0"),
        (dict(steps=2, keep_best=True), TypeError, "unexpected keyword argument 'keep_best'"),
        (dict(steps=2, weight_decay=0.1), TypeError, "unexpected keyword argument 'weight_decay'"),
        (dict(steps=2, start_step=3), TypeError, "unexpected keyword argument 'start_step'"),
    ],
)
def test_train_refuses_before_the_first_step(kwargs, error, message):
    model = RNNLM(V, 4)
    before = weights(model)
    with pytest.raises(error, match=message):
        train(model, batches(), progress=False, **kwargs)
    assert same(before, weights(model))  # refused before anything moved


def test_train_refuses_an_optimizer_of_another_model():
    model, other = RNNLM(V, 4), RNNLM(V, 4)
    before = weights(model)
    opt = torch.optim.Adam(other.parameters())
    with pytest.raises(
        ValueError, match=r"optimizer: expected an optimiser over this model's .*lacks"
    ):
        train(model, batches(), steps=3, optimizer=opt, progress=False)
    assert same(before, weights(model))


def test_train_refuses_a_learning_rate_beside_a_ready_optimizer():
    model = RNNLM(V, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    with pytest.raises(
        ValueError, match=r"lr: a ready optimizer brings its own learning rate \(0.5\), got lr=0.1"
    ):
        train(model, batches(), steps=1, optimizer=opt, lr=0.1, progress=False)


def test_train_refuses_batches_that_are_not_an_iterable_of_pairs():
    with pytest.raises(TypeError, match=r"train_batches: expected an iterable of \(x, y\) batches"):
        train(RNNLM(V, 4), torch.zeros(3, 4), steps=1, progress=False)
    with pytest.raises(TypeError, match=r"val_batches: expected an iterable"):
        train(RNNLM(V, 4), batches(), steps=1, val_batches=3, progress=False)


def test_train_warns_with_the_number_about_a_run_of_hours():
    with pytest.warns(UserWarning, match=r"train: 1,000,000 steps are planned with no time_limit"):
        history = train(
            RNNLM(V, 4), batches(), steps=1_000_000, callbacks=[lambda s, h: True], progress=False
        )
    assert history.step == [1]


def test_lr_factor_and_make_optimizer_refuse():
    with pytest.raises(ValueError, match="step: expected a finite number > 0, got 0"):
        lr_factor("cosine", 0, 10)
    with pytest.raises(ValueError, match="total_steps: expected a finite number > 0, got 0"):
        lr_factor("cosine", 1, 0)
    with pytest.raises(TypeError, match="model: expected a torch.nn.Module, got str"):
        make_optimizer("model")
    frozen = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="model: expected trainable parameters, got none"):
        make_optimizer(frozen)


# --------------------------------------------------------------------------- rnnbook.sampling


L5 = torch.tensor([0.0, 3.0, 2.9, -1.0, 1.0])


@pytest.mark.parametrize(
    "args, kwargs, error, message",
    [
        (
            (L5, "temperature"),
            dict(temperature=-1.0),
            ValueError,
            r"temperature: expected a number > 0, got -1.0 .*inverts",
        ),
        (
            (L5, "temperature"),
            dict(temperature=0),
            ValueError,
            r"temperature: expected a number > 0, got 0",
        ),
        (
            (L5, "temperature"),
            dict(temperature=math.nan),
            ValueError,
            r"temperature: expected a number > 0, got nan",
        ),
        (
            (L5, "temperature"),
            dict(temperature="hot"),
            TypeError,
            r"temperature: expected a number > 0, got 'hot'",
        ),
        (
            (L5, "topk"),
            dict(k=2),
            ValueError,
            r"strategy: expected one of \['greedy', 'temperature', 'top_k'\], got 'topk'",
        ),
        ((L5, "temperature"), dict(k=2), ValueError, r"k: only strategy='top_k' uses k, got k=2"),
        ((L5, "top_k"), dict(k=0), ValueError, r"k: expected an integer in \[1, 5\]"),
        ((L5, "top_k"), dict(k=2.0), ValueError, r"k: expected an integer in \[1, 5\] .*got 2.0"),
        (
            (torch.zeros(2, 5), "greedy"),
            dict(),
            ValueError,
            r"logits: expected a vector of V logits",
        ),
        (
            (torch.tensor([0.0, math.nan]), "greedy"),
            dict(),
            ValueError,
            "logits: expected numbers, got NaN",
        ),
        (([0.0, 1.0], "greedy"), dict(), TypeError, "logits: expected a torch.Tensor"),
        (
            (L5, "temperature"),
            dict(generator=0),
            TypeError,
            "generator: expected a torch.Generator",
        ),
        (
            (L5, "temperature"),
            dict(temprature=0.5),
            TypeError,
            "unexpected keyword argument 'temprature'",
        ),
    ],
)
def test_choose_next_refuses(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        choose_next(*args, **kwargs)


WORDS = Vocab(["the", "time", "machine", "the"])
CHARS = Vocab(list("abcd"))


@pytest.mark.parametrize(
    "model, vocab, prefix, num_tokens, kwargs, error, message",
    [
        (
            NextLetter(len(WORDS)),
            WORDS,
            "the time",
            3,
            {},
            ValueError,
            r"tokenizer: 'char' .*holds words .*tokenizer='word'",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            "abc abd",
            3,
            dict(tokenizer="word"),
            ValueError,
            r"tokenizer: 'word' .*single characters; pass tokenizer='char'",
        ),
        (
            NextLetter(7),
            CHARS,
            "ab",
            3,
            {},
            ValueError,
            r"vocab: expected the model to give one logit per token .*\(5\)",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            42,
            3,
            {},
            TypeError,
            r"prefix: expected a str or a list of str tokens, got 42",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            "ab",
            -1,
            {},
            ValueError,
            r"num_tokens: expected a finite number >= 0",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            "ab",
            3,
            dict(tokenizer="chars"),
            ValueError,
            r"tokenizer: expected one of",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            "ab",
            3,
            dict(strategy="temperature", temperature=-2),
            ValueError,
            r"temperature: expected a number > 0, got -2",
        ),
        (
            NextLetter(len(CHARS)),
            ["a", "b"],
            "ab",
            3,
            {},
            TypeError,
            r"vocab: expected an rnnbook.text.Vocab, got list",
        ),
        (
            lambda x, s: x,
            CHARS,
            "ab",
            3,
            {},
            TypeError,
            r"model: expected a torch.nn.Module, got function",
        ),
        (
            NextLetter(len(CHARS)),
            CHARS,
            "ab",
            3,
            dict(temprature=0.5),
            TypeError,
            "unexpected keyword argument 'temprature'",
        ),
    ],
)
def test_sample_refuses(model, vocab, prefix, num_tokens, kwargs, error, message):
    with pytest.raises(error, match=message):
        sample(model, vocab, prefix, num_tokens, **kwargs)


class Stops(NextLetter):
    """Gives one warm-up, then stops the run: enough to see the warning without sampling."""

    def forward(self, x, state=None):
        if state is not None:
            raise RuntimeError("stopped after the warm-up")
        logits, _ = super().forward(x)
        return logits, 1


def test_sample_warns_with_the_number_about_a_long_run():
    with pytest.warns(
        UserWarning, match=r"num_tokens: 1,000,000 tokens means 1,000,000 model calls"
    ):
        with pytest.raises(RuntimeError, match="stopped after the warm-up"):
            sample(Stops(len(CHARS)), CHARS, "ab", 1_000_000)


# --------------------------------------------------------------------------- rnnbook.checkpoint


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = RNNLM(V, 4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    train(model, batches(), steps=2, optimizer=opt, progress=False)
    return save_checkpoint(tmp_path / "c.pt", model, opt, step=2), model, opt


def test_broken_files_raise_one_error_that_says_what_and_where(saved, tmp_path):
    path = saved[0]
    raw = path.read_bytes()
    cases = {
        "empty.pt": (b"", r"'.*empty.pt' is empty: 0 bytes"),
        "cut.pt": (raw[: len(raw) // 2], r"'.*cut.pt' is truncated: \d+ bytes, and the end"),
        "text.pt": (
            b"hello, not a checkpoint\n",
            r"'.*text.pt' is not a checkpoint: it does not start",
        ),
    }
    flipped = bytearray(raw)
    at = raw.find(saved[1].output.weight.detach().numpy().tobytes())
    assert at > 0
    flipped[at + 8] ^= 0xFF  # one weight of the output layer, damaged
    cases["flip.pt"] = (bytes(flipped), r"'.*flip.pt' is corrupt: the checksum of its part")
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(tmp_path / name, restore_rng=False)
    torch.save({"weights": torch.zeros(2)}, tmp_path / "plain.pt")
    with pytest.raises(
        CheckpointError, match=r"'.*plain.pt' is not a checkpoint: expected an rnnbook"
    ):
        load_checkpoint(tmp_path / "plain.pt")


def test_load_refuses_missing_paths_and_folders(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"path: expected an existing checkpoint file.*nothing there"
    ):
        load_checkpoint(tmp_path / "nope.pt")
    with pytest.raises(
        FileNotFoundError, match=r"path: expected an existing checkpoint file.*a folder"
    ):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: RNNLM(V, 6),
            r"model: 'rnn.weight_ih_l0' in .* has shape \(4, \d+\), the model expects \(6, \d+\)",
        ),
        (
            lambda: RNNLM(V, 4, num_layers=2),
            r"model: .*does not fit this model: keys missing from the file",
        ),
        (
            lambda: RNNLM(V, 4).double(),
            r"model: 'embedding|model: '.*' in .* is torch.float32, the model's is torch.float64",
        ),
    ],
)
def test_load_into_a_model_that_does_not_fit_changes_nothing(saved, make, message):
    path = saved[0]
    model = make()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path, model)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())


def test_load_refuses_missing_optimizer_and_scheduler_state(tmp_path):
    model = RNNLM(V, 4)
    path = save_checkpoint(tmp_path / "w.pt", model)
    with pytest.raises(CheckpointError, match="optimizer: .* holds no optimiser state"):
        load_checkpoint(path, model, torch.optim.Adam(model.parameters()))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, 3)
    with pytest.raises(CheckpointError, match="scheduler: .* holds no scheduler state"):
        load_checkpoint(path, model, scheduler=sched)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda p, m, o: save_checkpoint(p, m, step=-1),
            ValueError,
            "step: expected a non-negative int, got -1",
        ),
        (
            lambda p, m, o: save_checkpoint(p, "model"),
            TypeError,
            "model: expected a torch.nn.Module, got str",
        ),
        (
            lambda p, m, o: save_checkpoint(p, m, "adam"),
            TypeError,
            "optimizer: expected a torch.optim.Optimizer or None",
        ),
        (
            lambda p, m, o: save_checkpoint(p, m, extra=[1]),
            TypeError,
            "extra: expected a dict or None, got list",
        ),
        (
            lambda p, m, o: save_checkpoint(3, m),
            TypeError,
            "path: expected a str or os.PathLike, got int",
        ),
        (
            lambda p, m, o: load_checkpoint(p, m, restore_rng="yes"),
            TypeError,
            "restore_rng: expected True or False",
        ),
        (
            lambda p, m, o: load_checkpoint(p, m, map_location="gpu"),
            ValueError,
            "map_location: expected a device such as",
        ),
        (
            lambda p, m, o: load_checkpoint(p, "model"),
            TypeError,
            "model: expected a Module or None, got str",
        ),
        (
            lambda p, m, o: set_rng_state({}),
            ValueError,
            "state: expected get_rng_state\\(\\)'s dict",
        ),
        (
            lambda p, m, o: resume_training(p, m, batches(), optimizer="adam", steps=4),
            TypeError,
            "optimizer: expected the torch.optim.Optimizer to restore, got str",
        ),
        (
            lambda p, m, o: resume_training(p, m, batches(), optimizer=o, steps=2, progress=False),
            ValueError,
            "path: the checkpoint is at step 2, and the run planned 2 steps: nothing is left",
        ),
    ],
)
def test_checkpoint_functions_refuse(saved, call, error, message):
    path, model, opt = saved
    with pytest.raises(error, match=message):
        call(path, model, opt)


# --------------------------------------------------------------------------- rnnbook.devices


def test_pick_device_refuses(monkeypatch):
    with pytest.raises(TypeError, match=r"override: expected a device name .* got int 3"):
        pick_device(3)
    with pytest.raises(ValueError, match=r"override: expected 'cpu', 'cuda' or 'mps', got 'meta'"):
        pick_device("meta")
    with pytest.raises(ValueError, match=r"device: expected a device such as .* got ''"):
        pick_device("", name="device")
    monkeypatch.setenv("RNNBOOK_DEVICE", "gpu")
    with pytest.raises(ValueError, match=r"RNNBOOK_DEVICE: expected a device such as .*'gpu'"):
        pick_device()


def test_autocast_refuses():
    with pytest.raises(TypeError, match="enabled: expected None, True or False, got 'yes'"):
        autocast("cpu", enabled="yes")
    with pytest.raises(ValueError, match="dtype: expected torch.bfloat16 or torch.float16"):
        autocast("cpu", enabled=True, dtype=torch.float32)
    with pytest.raises(ValueError, match="device: expected a device such as"):
        autocast("gpu", enabled=True)


# --------------------------------------------------------------------------- rnnbook.data


def test_data_dir_pointing_at_a_file_or_nowhere_names_the_variable(monkeypatch, tmp_path):
    (tmp_path / "timemachine.txt").write_text("x")
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path / "timemachine.txt"))
    with pytest.raises(
        NotADirectoryError, match=r"RNNBOOK_DATA_DIR: expected a folder .* got the file"
    ):
        data.corpus_path("timemachine")
    monkeypatch.setenv("RNNBOOK_DATA_DIR", str(tmp_path / "no-such-folder"))
    with pytest.raises(
        data.CorpusUnavailable, match=r"RNNBOOK_DATA_DIR: expected a folder .*does not exist"
    ):
        data.corpus_path("timemachine")


def test_cache_dir_pointing_at_a_file_names_the_variable(monkeypatch, tmp_path):
    (tmp_path / "f").write_text("x")
    monkeypatch.setenv("RNNBOOK_CACHE_DIR", str(tmp_path / "f"))
    with pytest.raises(
        NotADirectoryError, match=r"RNNBOOK_CACHE_DIR: expected a folder .* got the file"
    ):
        data.cache_dir()


def test_unreadable_cache_folder_gives_a_hint(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNBOOK_DATA_DIR", raising=False)
    monkeypatch.setenv("RNNBOOK_CACHE_DIR", str(tmp_path))
    real = Path.is_file

    def denied(self):
        if self.parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "is_file", denied)  # root ignores chmod, so deny by hand
    with pytest.raises(PermissionError, match=r"RNNBOOK_CACHE_DIR: cannot read .*chmod u\+rwx"):
        data.corpus_path("timemachine")


def test_unwritable_cache_folder_gives_a_hint(monkeypatch, tmp_path):
    monkeypatch.delenv("RNNBOOK_DATA_DIR", raising=False)
    monkeypatch.setenv("RNNBOOK_CACHE_DIR", str(tmp_path / "cache"))
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(fileio.os, "open", denied)
    with pytest.raises(
        data.CorpusUnavailable, match=r"cache folder .* cannot be written .*RNNBOOK_CACHE_DIR"
    ):
        data.corpus_path("timemachine")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            dict(url="ftp://x/y"),
            r"url: expected an http\(s\):// or file:// address, got 'ftp://x/y'",
        ),
        (dict(sha256="abc"), r"sha256: expected 64 lower-case hex digits, got 'abc'"),
        (dict(expected_bytes=-1), r"expected_bytes: expected an int >= 0 or None, got -1"),
        (dict(timeout=0), r"timeout: expected a number of seconds > 0, got 0"),
    ],
)
def test_download_refuses_before_connecting(tmp_path, kwargs, message):
    args = dict(url="http://127.0.0.1:9/x", target=tmp_path / "x", sha256="0" * 64) | kwargs
    with pytest.raises(ValueError, match=message):
        data.download(**args)
    assert list(tmp_path.iterdir()) == []


def test_data_helpers_refuse(tmp_path):
    with pytest.raises(
        ValueError, match=r"name: expected one of \['timemachine', 'tinyshakespeare'\], got 3"
    ):
        data.corpus_path(3)
    with pytest.raises(FileNotFoundError, match="path: expected an existing file, got"):
        data.sha256_of(tmp_path / "none")
    with pytest.raises(TypeError, match="download_if_missing: expected True or False"):
        data.corpus_path("timemachine", download_if_missing="no")


# --------------------------------------------------------------------------- liveplot, history, fileio


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(every=0), ValueError, "every: expected a finite number > 0, got 0"),
        (dict(figsize=(3,)), ValueError, r"figsize: expected \(width, height\) in inches"),
        (dict(figsize=(3, -1)), ValueError, r"figsize: expected \(width, height\)"),
        (dict(active="yes"), TypeError, "active: expected None, True or False, got 'yes'"),
    ],
)
def test_liveplot_refuses(kwargs, error, message):
    with pytest.raises(error, match=message):
        LivePlot(**kwargs)


def test_liveplot_refuses_what_is_not_a_history():
    with pytest.raises(TypeError, match=r"history: expected a rnnbook.history.History, got dict"):
        LivePlot(active=False)(1, {"step": [1]})
    broken = History(step=[1, 2], train_loss=[1.0])
    with pytest.raises(ValueError, match="history: expected as many steps as losses, got 2 steps"):
        LivePlot(active=False).render(broken)


@pytest.mark.parametrize(
    "args, error, message",
    [
        ((1.0, "e"), ValueError, r"base: expected one of \['nats', 'bits'\], got 'e'"),
        ((-1.0,), ValueError, "nll_per_token: expected a number >= 0, got -1.0"),
        ((math.nan,), ValueError, "nll_per_token: expected a number >= 0, got nan"),
        (("x",), TypeError, "nll_per_token: expected a number, got str 'x'"),
    ],
)
def test_perplexity_refuses(args, error, message):
    with pytest.raises(error, match=message):
        perplexity(*args)


def test_atomic_write_refuses(tmp_path):
    with pytest.raises(TypeError, match="path: expected a str or os.PathLike, got int"):
        fileio.atomic_write(3, lambda f: None)
    with pytest.raises(TypeError, match=r"write: expected a callable write\(file\), got bytes"):
        fileio.atomic_write(tmp_path / "a", b"data")
    with pytest.raises(IsADirectoryError, match="path: expected a file to write, got the folder"):
        fileio.atomic_write(tmp_path, lambda f: None)
    assert list(tmp_path.iterdir()) == []
