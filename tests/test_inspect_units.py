"""rnnbook.topics.unit_inspection: activations of a language model, features of text, correlations."""

import numpy as np
import pytest
import torch

from rnnbook import lm
from rnnbook.topics import unit_inspection

torch.set_num_threads(1)


def test_position_in_word_counts_letters_and_resets_at_non_letters():
    np.testing.assert_array_equal(
        unit_inspection.position_in_word("the cat"), [0, 1, 2, 0, 0, 1, 2]
    )
    np.testing.assert_array_equal(unit_inspection.position_in_word("a, b"), [0, 0, 0, 0])
    with pytest.raises(TypeError, match="text: expected a str"):
        unit_inspection.position_in_word(["a"])


def test_best_unit_finds_the_unit_built_from_the_feature():
    rng = np.random.default_rng(0)
    feature = rng.normal(size=200)
    acts = rng.normal(size=(200, 6))
    acts[:, 4] = -3.0 * feature + 0.1 * rng.normal(size=200)  # strongly anti-correlated
    acts[:, 2] = 1.0  # constant: correlation 0, not NaN
    unit, r = unit_inspection.best_unit(acts, feature)
    assert unit == 4 and r < -0.99
    r_all = unit_inspection.correlations(acts, feature)
    assert r_all[2] == 0.0 and np.all(np.abs(r_all) <= 1 + 1e-12)
    np.testing.assert_allclose(r_all[0], np.corrcoef(acts[:, 0], feature)[0, 1], rtol=1e-12)


def test_correlations_check_shapes():
    with pytest.raises(ValueError, match="feature"):
        unit_inspection.correlations(np.zeros((5, 3)), np.zeros(4))


def test_record_hidden_matches_the_models_own_forward_and_restores_its_mode():
    torch.manual_seed(0)
    model = lm.RNNLM(7, 5, cell="lstm", num_layers=2, dropout=0.5)
    model.train()
    ids = np.array([1, 2, 3, 0, 6, 5])
    acts = unit_inspection.record_hidden(model, ids)
    assert acts.shape == (6, 5) and model.training
    model.eval()
    with torch.no_grad():
        x = torch.nn.functional.one_hot(torch.as_tensor(ids)[None], 7).float()
        h, _ = model.rnn(x)
    np.testing.assert_allclose(acts, h[0].numpy(), rtol=1e-6)


def test_colour_text_html_colours_each_character_by_sign():
    out = unit_inspection.colour_text_html("ab <", [1.0, -1.0, 0.0, 0.5])
    assert out.count("<span") == 4
    assert "rgb(255, 0, 0)" in out and "rgb(0, 0, 255)" in out  # full red, full blue
    assert "&lt;" in out and "&nbsp;" in out  # escaped, and spaces kept visible
    with pytest.raises(ValueError, match="values"):
        unit_inspection.colour_text_html("ab", [1.0])
