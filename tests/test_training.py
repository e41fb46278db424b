"""Tests of rnnbook.lm and rnnbook.training: the model, perplexity, and the training loop."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from rnnbook.liveplot import LivePlot
from rnnbook.lm import RNNLM, detach_state, evaluate, perplexity
from rnnbook.text import RandomBatches, SequentialBatches, Vocab, WindowBatches, tokenize
from rnnbook.training import History, StopTraining, lr_factor, make_optimizer, train

torch.set_num_threads(1)

PERIODIC = "abcdefgh" * 60


def periodic_batches(batch_size=4, num_steps=12):
    vocab = Vocab(tokenize(PERIODIC))
    return vocab, SequentialBatches(vocab.encode(tokenize(PERIODIC)), batch_size, num_steps)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("embed_dim", [None, 8])
def test_rnnlm_shapes_state_and_carry(cell, embed_dim):
    torch.manual_seed(0)
    model = RNNLM(11, 8, cell=cell, num_layers=2, embed_dim=embed_dim)
    x = torch.randint(0, 11, (3, 5))
    logits, state = model(x)
    assert logits.shape == (3, 5, 11)
    zero = model.init_state(3)
    first = state[0] if cell == "lstm" else state
    assert first.shape == (2, 3, 8)
    # running in two halves with the state carried equals running at once
    a, s = model(x[:, :2], zero)
    b, _ = model(x[:, 2:], s)
    torch.testing.assert_close(torch.cat([a, b], 1), logits)
    detached = detach_state(state)
    assert not (detached[0] if cell == "lstm" else detached).requires_grad


def test_rnnlm_tie_weights_and_input_checks():
    model = RNNLM(10, 6, embed_dim=6, tie_weights=True)
    assert model.output.weight is model.embedding.weight
    with pytest.raises(ValueError, match="tie_weights: expected embed_dim == n_h = 6"):
        RNNLM(10, 6, embed_dim=4, tie_weights=True)
    with pytest.raises(ValueError, match="cell: expected one of"):
        RNNLM(10, 6, cell="elman")


class Uniform(nn.Module):
    """A model that gives every token the same probability."""

    def __init__(self, vocab_size):
        super().__init__()
        self.vocab_size = vocab_size
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x, state=None):
        return torch.zeros(*x.shape, self.vocab_size) + 0 * self.dummy, state


def test_uniform_model_perplexity_is_vocab_size_in_nats_and_bits():
    result = evaluate(Uniform(28), RandomBatches(np.arange(28).repeat(20), 4, 6))
    assert result["ppl"] == pytest.approx(28)
    assert result["ppl_bits"] == pytest.approx(result["ppl"])  # 2^bits == exp(nats)
    assert result["bits"] == pytest.approx(math.log2(28))
    assert perplexity(math.log(5)) == pytest.approx(5)


def test_tiny_lstm_learns_a_periodic_string_and_history_is_filled():
    torch.manual_seed(0)
    vocab, batches = periodic_batches()
    model = RNNLM(len(vocab), 16, cell="lstm")
    history = train(
        model,
        batches,
        epochs=15,
        lr=1e-2,
        val_batches=batches,
        lr_schedule="cosine",
        progress=False,
    )
    n = 15 * len(batches)
    assert history.step == list(range(1, n + 1)) and history.stop_reason == "epochs"
    for name in ("train_loss", "lr", "grad_norm", "wall_time", "epoch"):
        assert len(getattr(history, name)) == n, name
    assert history.train_loss[0] > math.log(len(vocab)) - 0.3  # starts near uniform
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
    assert len(history.val_ppl) == 15 and history.val_ppl[-1] < 1.5
    assert history.lr[0] == pytest.approx(1e-2) and history.lr[-1] < 1e-3  # cosine decay
    assert np.all(np.diff(history.wall_time) >= 0) and history.tokens == n * 4 * 12


def test_nan_loss_raises_with_advice_and_the_step():
    torch.manual_seed(0)
    vocab, batches = periodic_batches()
    model = RNNLM(len(vocab), 8)
    with torch.no_grad():
        model.output.bias.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match=r"at step 1: .*not finite before training"):
        train(model, batches, steps=3, progress=False)


def spoil_at(step_to_spoil, model, snapshots):
    """A callback that records the weights after every step and makes them NaN at one step."""

    def callback(step, history):
        snapshots[step] = [p.detach().clone() for p in model.parameters()]
        if step == step_to_spoil:
            with torch.no_grad():
                model.output.bias.fill_(float("nan"))

    return callback


@pytest.mark.parametrize(
    "clip_norm, advice",
    [
        (None, r"at step 4: .*turn on gradient clipping.*learning rate"),
        (1.0, r"at step 4: .*clipping is on \(clip_norm=1.0\), so lower the learning rate"),
    ],
)
def test_nan_loss_advice_depends_on_what_is_set(clip_norm, advice):
    torch.manual_seed(0)
    vocab, batches = periodic_batches()
    model, snapshots = RNNLM(len(vocab), 8), {}
    with pytest.raises(FloatingPointError, match=advice):
        train(
            model,
            batches,
            steps=10,
            clip_norm=clip_norm,
            callbacks=[spoil_at(3, model, snapshots)],
            progress=False,
        )


def test_callbacks_stop_early_by_return_value_or_exception():
    vocab, batches = periodic_batches()
    seen = []

    def stop_at_3(step, history):
        seen.append((step, len(history.train_loss)))
        return step == 3

    history = train(RNNLM(len(vocab), 8), batches, epochs=5, callbacks=[stop_at_3], progress=False)
    assert history.step == [1, 2, 3] and seen == [(1, 1), (2, 2), (3, 3)]
    assert "stop_at_3" in history.stop_reason

    def raise_at_2(step, history):
        if step == 2:
            raise StopTraining("enough")

    history = train(RNNLM(len(vocab), 8), batches, steps=50, callbacks=[raise_at_2], progress=False)
    assert history.step == [1, 2] and "enough" in history.stop_reason


def test_steps_time_limit_and_clipping_bound():
    vocab, batches = periodic_batches()
    history = train(
        RNNLM(len(vocab), 8),
        batches,
        steps=7,
        optimizer="sgd",
        lr=0.5,
        clip_norm=0.01,
        progress=False,
    )
    assert history.step == list(range(1, 8)) and history.stop_reason == "steps"
    assert all(g > 0.01 for g in history.grad_norm)  # the norm before clipping is recorded
    history = train(RNNLM(len(vocab), 8), batches, time_limit_s=1e-9, progress=False)
    assert len(history.step) == 1 and history.stop_reason == "time_limit_s"
    with pytest.raises(ValueError, match="at least one of epochs"):
        train(RNNLM(len(vocab), 8), batches)


def test_clipping_keeps_the_update_small():
    torch.manual_seed(0)
    vocab, batches = periodic_batches()
    model = RNNLM(len(vocab), 8)
    before = [p.detach().clone() for p in model.parameters()]
    train(model, batches, steps=1, optimizer="sgd", lr=1.0, clip_norm=1e-3, progress=False)
    moved = torch.sqrt(sum(((p - q) ** 2).sum() for p, q in zip(model.parameters(), before)))
    assert moved.item() == pytest.approx(1e-3, rel=1e-4)  # lr * clip_norm


def test_lr_factor_schedules():
    assert lr_factor(None, 5, 10) == 1.0
    assert lr_factor("cosine", 1, 10) == pytest.approx(1.0)
    assert lr_factor("cosine", 6, 10) == pytest.approx(0.5)
    assert lr_factor("step", 1, 9) == 1.0 and lr_factor("step", 4, 9) == 0.5
    assert lr_factor(lambda s: 1 / s, 4, None) == 0.25


def test_liveplot_is_harmless_without_a_notebook():
    vocab, batches = periodic_batches()
    plot = LivePlot(every=2)
    history = train(RNNLM(len(vocab), 8), batches, steps=4, callbacks=[plot], progress=False)
    assert isinstance(history, History) and plot.calls == 4 and plot.active is False


def test_progress_bar_and_window_batches_with_a_short_last_batch(capsys):
    vocab, batches = periodic_batches()
    pairs = list(batches)[:3]
    X = np.concatenate([x for x, _ in pairs])
    Y = np.concatenate([y for _, y in pairs])
    windows = WindowBatches(X, Y, batch_size=5, shuffle=True)  # 12 rows: 5, 5, 2
    history = train(RNNLM(len(vocab), 8), windows, epochs=2, val_batches=windows, progress=True)
    assert len(history.step) == 6 and len(history.val_ppl) == 2
    assert history.tokens == 2 * 12 * 12
    assert "train" in capsys.readouterr().err  # tqdm writes its bar to stderr outside Jupyter


@pytest.mark.parametrize("embed_dim", [None, 8])
def test_a_dropout_put_in_embed_drop_acts_on_the_input_in_training_only(embed_dim):
    # RNNLM has no embed_dropout option (a benchmark's); its embed_drop slot takes one
    torch.manual_seed(0)
    x = torch.randint(0, 6, (3, 5))
    plain = RNNLM(6, 8, "gru", embed_dim=embed_dim)
    assert isinstance(plain.embed_drop, nn.Identity)
    dropped = RNNLM(6, 8, "gru", embed_dim=embed_dim)
    dropped.embed_drop = nn.Dropout(0.5)
    dropped.load_state_dict(plain.state_dict())  # the dropout adds no parameters
    dropped.eval()
    assert torch.equal(dropped(x)[0], plain(x)[0])
    dropped.train()
    seen = []
    dropped.rnn.register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
    dropped(x)
    e = seen[0]  # the recurrent layer's input: about half its entries zeroed, the rest doubled
    full = F.one_hot(x, 6).float() if embed_dim is None else plain.embedding(x)
    dropped_share = (e[full != 0] == 0).float().mean().item()
    assert 0.25 < dropped_share < 0.75, dropped_share
    kept = e != 0
    assert torch.allclose(e[kept], 2 * full[kept])


def test_make_optimizer_names_and_its_checks():
    model = nn.Linear(3, 1)
    assert isinstance(make_optimizer(model, "adam", lr=0.1), torch.optim.Adam)
    assert isinstance(make_optimizer(model, "sgd", lr=0.1), torch.optim.SGD)
    with pytest.raises(
        ValueError, match=r"optimizer: expected one of \['adam', 'sgd'\], got 'adamx'"
    ):
        make_optimizer(model, "adamx")
