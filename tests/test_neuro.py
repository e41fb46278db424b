"""rnnbook.topics.ei_network: Dale's law by parametrisation, the E/I rate RNN and the decision task."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.topics import ei_network

torch.set_num_threads(1)


def test_dale_signs_split():
    d = ei_network.dale_signs(10, 0.8)
    assert d.tolist() == [1.0] * 8 + [-1.0] * 2
    with pytest.raises(ValueError, match="frac_exc"):
        ei_network.dale_signs(10, 1.0)


def test_dale_weights_equals_abs_times_diag_and_works_for_numpy():
    W_raw = torch.randn(6, 6, generator=torch.Generator().manual_seed(0))
    d = ei_network.dale_signs(6, 0.5)
    W = ei_network.dale_weights(W_raw, d)
    assert torch.allclose(W, W_raw.abs() @ torch.diag(d))
    assert np.allclose(ei_network.dale_weights(W_raw.numpy(), d.numpy()), W.numpy())


def test_eirnn_obeys_dale_after_training_steps():
    torch.manual_seed(0)
    model = ei_network.EIRNN(2, 20, 2)
    ei_network.train_decision(model, n_steps=5, batch_size=8, T=10, lr=0.1)
    W = model.W.detach()
    n_e = model.n_exc
    assert n_e == 16
    assert torch.all(W[:, :n_e] >= 0) and torch.all(W[:, n_e:] <= 0)
    assert torch.all(model.U >= 0) and torch.all(model.V >= 0)


def test_forward_shapes_and_nonnegative_rates():
    torch.manual_seed(0)
    model = ei_network.EIRNN(2, 20, 2)
    x, coh = ei_network.decision_batch(4, 7)
    assert x.shape == (7, 4, 2) and coh.shape == (4,)
    o, r = model(x)
    assert o.shape == (7, 4, 2) and r.shape == (7, 4, 20)
    assert torch.all(r >= 0)
    with pytest.raises(ValueError, match=r"x: expected shape \(T, B, n_x\)"):
        model(torch.zeros(7, 4, 3))


def test_decision_batch_mean_follows_coherence():
    g = torch.Generator().manual_seed(0)
    x, coh = ei_network.decision_batch(512, 200, coherences=(0.5,), input_noise=0.5, generator=g)
    diff = (x[:, :, 0] - x[:, :, 1]).mean(dim=0)
    assert torch.all(torch.sign(diff) == torch.sign(coh))
    assert torch.allclose(coh.abs(), torch.tensor(0.5))


def test_training_learns_the_task():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    model = ei_network.EIRNN(2, 20, 2)
    history = ei_network.train_decision(model, n_steps=60, batch_size=32, T=15, generator=g)
    assert np.mean(history[-10:]) < np.mean(history[:5])
    with torch.no_grad():
        x, coh = ei_network.decision_batch(400, 15, coherences=(0.8,), generator=g)
        choice = ei_network.choose(model(x)[0])
    assert (choice == torch.sign(coh)).float().mean() > 0.8


def test_accuracy_by_strength():
    choice = np.array([1, 1, -1, -1, 1, -1])
    coherence = np.array([0.1, -0.1, -0.2, 0.2, 0.2, 0.1])
    levels, acc = ei_network.accuracy_by_strength(choice, coherence)
    assert np.allclose(levels, [0.1, 0.2])
    assert np.allclose(acc, [1 / 3, 2 / 3])
    with pytest.raises(ValueError, match="coherence: expected non-zero"):
        ei_network.accuracy_by_strength(choice, np.zeros(6))
