"""The numpy language model: gradients, optimisers, evaluation and a short training run."""

import numpy as np
import pytest

from rnnbook import optim, text
from rnnbook.history import History
from rnnbook.topics import numpy_lm


def _model(V=5, n_h=4, seed=0):
    return numpy_lm.NumpyRNNLM(V, n_h, np.random.default_rng(seed))


def test_gradients_match_finite_differences():
    model = _model()
    rng = np.random.default_rng(1)
    X, Y = rng.integers(0, 5, (3, 4)), rng.integers(0, 5, (3, 4))
    _, grads, _ = model.loss_and_grads(X, Y)
    eps = 1e-6
    for key in model.params:
        p = model.params[key]
        for idx in [(0, 0), tuple(i - 1 for i in p.shape)]:
            old = p[idx]
            p[idx] = old + eps
            up = model.loss_and_grads(X, Y)[0]
            p[idx] = old - eps
            down = model.loss_and_grads(X, Y)[0]
            p[idx] = old
            assert grads[key][idx] == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_untrained_loss_and_uniform_perplexity():
    model = _model(V=6)
    for k in model.params:
        model.params[k] = np.zeros_like(model.params[k])  # every logit 0: uniform prediction
    ids = np.arange(200) % 6
    result = numpy_lm.evaluate(model, text.SequentialBatches(ids, 2, 5))
    assert result["ppl"] == pytest.approx(6.0)


def test_training_learns_a_periodic_sequence():
    vocab = text.Vocab(list("abcd"))  # <unk> is index 0, a b c d are 1 2 3 4
    ids = np.tile(np.array(vocab.encode(list("abcdcb"))), 60)
    batches = text.SequentialBatches(ids, 4, 6)
    model = _model(V=len(vocab), n_h=16, seed=2)
    before = numpy_lm.evaluate(model, batches)["ppl"]
    history = numpy_lm.train(model, batches, epochs=30, lr=3e-2, val_batches=batches)
    assert isinstance(history, History) and history.stop_reason == "epochs"
    assert before > 3.0 and history.val_ppl[-1] < 1.01  # from near-uniform (4) to near-certain
    assert history.val_step[-1] == history.step[-1]
    assert len(history.train_ppl) == len(history.step) == 30 * len(batches)
    assert history.tokens == 30 * sum(y.size for _, y in batches)
    seq = numpy_lm.sample(
        model,
        vocab,
        "ab",
        10,
        strategy="temperature",
        temperature=0.1,
        generator=np.random.default_rng(0),
    )
    assert len(seq) == 12 and seq.startswith("ab") and set(seq) <= set("abcd")
    # the periodic sequence a b c d c b a …: after "ab" greedy continues with c d c b
    assert numpy_lm.sample(model, vocab, ["a", "b"], 4) == "abcdcb"


def test_evaluate_has_the_torch_half_signature_and_result():
    model = _model(V=6)
    ids = np.arange(200) % 6
    batches = text.SequentialBatches(ids, 2, 5)
    result = numpy_lm.evaluate(model, batches, device="cpu", stateful=False)
    assert set(result) == {"nll", "ppl", "bits", "ppl_bits", "tokens"}
    assert result["ppl"] == pytest.approx(result["ppl_bits"])
    assert result["bits"] == pytest.approx(result["nll"] / np.log(2))
    carried = numpy_lm.evaluate(model, batches, stateful=True)
    assert carried["tokens"] == result["tokens"] and carried["nll"] != result["nll"]


def test_train_accepts_an_optimizer_on_the_model_and_refuses_another():
    model = _model()
    X = np.zeros((2, 3), dtype=int)
    before = {k: v.copy() for k, v in model.params.items()}
    numpy_lm.train(model, [(X, X)], steps=2, optimizer=optim.SGD(model.params, lr=0.1))
    assert any(not np.array_equal(before[k], model.params[k]) for k in before)
    other = {k: v.copy() for k, v in model.params.items()}
    with pytest.raises(ValueError, match="optimizer: expected an optimiser built on model.params"):
        numpy_lm.train(model, [(X, X)], steps=1, optimizer=optim.SGD(other, lr=0.1))


def test_a_non_finite_loss_stops_training_with_its_history_and_the_last_finite_weights():
    model = _model()
    X = np.zeros((2, 3), dtype=int)
    real = model.loss_and_grads
    calls = []

    def nan_at_the_third_step(*args):  # a fault injected mid-training
        calls.append(1)
        loss, grads, state = real(*args)
        return (np.nan if len(calls) == 3 else loss), grads, state

    model.loss_and_grads = nan_at_the_third_step
    batches = [(X, X)] * 5
    with pytest.raises(
        FloatingPointError, match="loss: expected a finite value, got nan at step 3"
    ) as info:
        numpy_lm.train(model, batches, steps=5)
    history = info.value.history
    assert history.stop_reason == "non-finite loss" and history.step == [1, 2]
    twin = _model()  # the same model, trained for the two good steps only
    numpy_lm.train(twin, batches, steps=2)
    assert all(np.array_equal(twin.params[k], model.params[k]) for k in twin.params)


def test_errors():
    model = _model()
    with pytest.raises(ValueError, match="X: expected indices"):
        model.loss_and_grads(np.array([[7]]), np.array([[0]]))
    with pytest.raises(ValueError, match="optimizer: expected one of"):
        numpy_lm.train(model, [], steps=1, optimizer="rmsprop")
    with pytest.raises(ValueError, match="expected at least one of"):
        numpy_lm.train(model, [])
