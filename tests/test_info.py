"""Entropy, KL divergence, cross-entropy and perplexity, against the lecture notes' numbers."""

import numpy as np
import pytest

from rnnbook.topics import information


def test_seed_numbers_in_bits():
    p = np.array([0.8, 0.2])
    assert round(information.entropy(p), 2) == 0.72
    assert information.entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert round(information.kl_divergence(p, [0.5, 0.5]), 2) == 0.28
    assert round(information.kl_divergence(p, [0.88, 0.12]), 2) == 0.04


def test_cross_entropy_is_entropy_plus_kl_and_bases_agree():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    for base in information.BASES:
        ce = information.cross_entropy(p, q, base)
        assert ce == pytest.approx(
            information.entropy(p, base) + information.kl_divergence(p, q, base)
        )
    assert information.nats_to_bits(information.entropy(p, "nats")) == pytest.approx(
        information.entropy(p, "bits")
    )
    assert information.kl_divergence(p, p) == pytest.approx(0.0)
    assert information.kl_divergence(p, q) > 0


def test_zero_probabilities():
    assert information.entropy([1.0, 0.0]) == 0.0
    assert information.kl_divergence([0.5, 0.5], [1.0, 0.0]) == float("inf")
    assert information.cross_entropy([0.0, 1.0], [0.3, 0.7]) == pytest.approx(-np.log2(0.7))


def test_perplexity_base_two_and_e_agree():
    nll_nats = 1.7
    assert information.perplexity(nll_nats) == pytest.approx(np.exp(1.7))
    assert information.perplexity(information.nats_to_bits(nll_nats), "bits") == pytest.approx(
        np.exp(1.7)
    )
    # a uniform distribution over V tokens has perplexity V
    assert information.perplexity(information.entropy(np.full(7, 1 / 7)), "bits") == pytest.approx(
        7.0
    )


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="p: expected non-negative probabilities that sum to 1"):
        information.entropy([0.5, 0.6])
    with pytest.raises(ValueError, match="q: expected shape"):
        information.kl_divergence([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="base: expected one of"):
        information.entropy([1.0], base="dits")
    with pytest.raises(ValueError, match="nll_per_token"):
        information.perplexity(-1.0)
