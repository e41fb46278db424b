"""The checkers of notebook 06 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb06 as checks
from rnnbook.topics import information


def _stub(*args, **kwargs):
    raise NotImplementedError()


def entropy_bits(p):
    return information.entropy(p)


def kl_bits(p, q):
    return information.kl_divergence(p, q)


def cross_entropy_bits(p, q):
    return information.cross_entropy(p, q)


def perplexity_from_nll(nlls, unit):
    return information.perplexity(np.mean(nlls), unit)


def _softmax(o):
    z = np.exp(o - o.max())
    return z / z.sum()


def test_right_answers_pass():
    checks.check_information(entropy_bits, kl_bits, cross_entropy_bits)
    checks.check_perplexity_from_nll(perplexity_from_nll)
    checks.check_bigram_add_k(checks.bigram_add_k_reference)
    checks.check_make_windows(checks.make_windows_reference)
    checks.check_temperature_softmax(checks.temperature_softmax_reference)


@pytest.mark.parametrize(
    "call",
    [
        lambda: checks.check_information(_stub, kl_bits, cross_entropy_bits),
        lambda: checks.check_information(entropy_bits, _stub, cross_entropy_bits),
        lambda: checks.check_information(entropy_bits, kl_bits, _stub),
        lambda: checks.check_perplexity_from_nll(_stub),
        lambda: checks.check_bigram_add_k(_stub),
        lambda: checks.check_make_windows(_stub),
        lambda: checks.check_temperature_softmax(_stub),
    ],
)
def test_stub_is_not_attempted(call):
    with pytest.raises(NotAttempted, match="not attempted"):
        call()


@pytest.mark.parametrize(
    "funcs, hint",
    [
        ((lambda p: information.entropy(p, "nats"), kl_bits, cross_entropy_bits), "is in nats"),
        ((lambda p: -information.entropy(p), kl_bits, cross_entropy_bits), "wrong sign"),
        ((lambda p: float(-np.sum(p * np.log2(p))), kl_bits, cross_entropy_bits), "0 log 0 = 0"),
        (
            (
                entropy_bits,
                lambda p, q: information.kl_divergence(p, q, "nats"),
                cross_entropy_bits,
            ),
            "nats",
        ),
        (
            (entropy_bits, lambda p, q: information.kl_divergence(q, p), cross_entropy_bits),
            "D_KL(q ‖ p)",
        ),
        ((entropy_bits, kl_bits, lambda p, q: information.cross_entropy(q, p)), "swaps p and q"),
        ((entropy_bits, kl_bits, kl_bits), "CE = H(p) + D_KL(p ‖ q)"),
    ],
)
def test_information_wrong(funcs, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_information(*funcs)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, u: 2.0 ** np.mean(n), "uses base 2"),
        (lambda n, u: np.exp(np.mean(n)), "uses base e"),
        (lambda n, u: np.mean((np.e if u == "nats" else 2.0) ** n), "averages the per-token"),
        (lambda n, u: (np.e if u == "nats" else 2.0) ** np.sum(n), "exponentiates the total"),
        (lambda n, u: np.mean(n), "exponentiate it"),
        (lambda n, u: np.array([1.0, 2.0]), "return one number"),
    ],
)
def test_perplexity_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_perplexity_from_nll(wrong)


def _counts(tokens, vocab):
    index = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for a, b in zip(tokens[:-1], tokens[1:]):
        counts[index[a], index[b]] += 1
    return counts


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda t, v, k: checks.bigram_add_k_reference(t, v, k).T, "is transposed"),
        (
            lambda t, v, k: (_counts(t, v) + k) / (_counts(t, v).sum(1, keepdims=True) + k),
            "the denominator gets k |V|",
        ),
        (
            lambda t, v, k: (
                (_counts(t, v) + k)
                / (np.array([t.count(w) for w in v], float)[:, None] + k * len(v))
            ),
            "the last token of the text does not count",
        ),
        (
            lambda t, v, k: _counts(t, v) / np.maximum(_counts(t, v).sum(1, keepdims=True), 1),
            "add k to every count",
        ),
        (lambda t, v, k: np.zeros((2, 2)), "one row per context"),
    ],
)
def test_bigram_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint.replace("|", r"\|")):
        checks.check_bigram_add_k(wrong)


def test_make_windows_wrong():
    def too_many(ids, T):
        n = len(ids) // T
        shifted = np.concatenate([ids[1:], [0]])  # pads a made-up target at the end
        return ids[: n * T].reshape(n, T), shifted[: n * T].reshape(n, T)

    def unshifted(ids, T):
        X, _ = checks.make_windows_reference(ids, T)
        return X, X.copy()

    def previous(ids, T):
        X, _ = checks.make_windows_reference(ids, T)
        return X, X - 1

    with pytest.raises(CheckFailed, match=r"N = \(len\(ids\) - 1\) // num_steps"):
        checks.check_make_windows(too_many)
    with pytest.raises(CheckFailed, match="Y equals X"):
        checks.check_make_windows(unshifted)
    with pytest.raises(CheckFailed, match="previous token"):
        checks.check_make_windows(previous)
    with pytest.raises(CheckFailed, match="should return a pair"):
        checks.check_make_windows(lambda ids, T: checks.make_windows_reference(ids, T)[0])


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda o, tau: _softmax(o * tau), "multiplies the logits by tau"),
        (lambda o, tau: _softmax(o) / tau, "not the probabilities after it"),
        (lambda o, tau: np.exp(o / tau) / np.exp(o / tau).sum(), "subtract the largest logit"),
        (lambda o, tau: _softmax(o) ** (1 / tau), "not 1"),
    ],
)
def test_temperature_softmax_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_temperature_softmax(wrong)
