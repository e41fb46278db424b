"""The numpy language model: gradients, optimisers, evaluation and a short training run."""

import numpy as np
import pytest

from rnnbook import text
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


def test_optimisers_do_not_modify_arguments_and_descend():
    params = {"w": np.array([3.0, -2.0])}
    for name in ("sgd", "adagrad", "adam"):
        opt = numpy_lm.make_optimizer(name, 0.1)
        p = {"w": params["w"].copy()}
        for _ in range(50):
            new = opt.step(p, {"w": 2 * p["w"]})  # gradient of |w|²
            assert new["w"] is not p["w"]
            p = new
        assert np.linalg.norm(p["w"]) < np.linalg.norm(params["w"]), name
    adam = numpy_lm.Adam(lr=0.1)
    first = adam.step({"w": np.zeros(2)}, {"w": np.array([1e-3, -5.0])})
    assert np.allclose(first["w"], [-0.1, 0.1], atol=1e-4)  # bias-corrected first step is ±lr


def test_training_learns_a_periodic_sequence():
    ids = np.tile(np.array([0, 1, 2, 3, 2, 1]), 60)
    batches = text.SequentialBatches(ids, 4, 6)
    model = _model(V=4, n_h=16, seed=2)
    before = numpy_lm.evaluate(model, batches)["ppl"]
    history = numpy_lm.train(model, batches, epochs=30, lr=3e-2, val_batches=batches)
    assert before > 3.0 and history.val_ppl[-1] < 1.01  # from near-uniform (4) to near-certain
    assert history.val_step[-1] == history.step[-1]
    assert len(history.train_ppl) == len(history.step) == 30 * len(batches)
    seq = numpy_lm.sample(model, [0, 1], 10, np.random.default_rng(0), temperature=0.1)
    assert len(seq) == 12 and all(0 <= i < 4 for i in seq)


def test_errors():
    model = _model()
    with pytest.raises(ValueError, match="X: expected indices"):
        model.loss_and_grads(np.array([[7]]), np.array([[0]]))
    with pytest.raises(ValueError, match="optimizer: expected one of"):
        numpy_lm.make_optimizer("rmsprop", 0.1)
    with pytest.raises(ValueError, match="expected at least one of"):
        numpy_lm.train(model, [])
