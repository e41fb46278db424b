"""The checkers of notebook 06 accept the right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb06 as checks
from rnnbook.course.references import nb06 as ref


def _stub(*args, **kwargs):
    raise NotImplementedError()


@pytest.fixture(scope="module")
def book():
    return checks.load_book()


@pytest.fixture(scope="module")
def trained(book):
    """The reference model of exercise 5, trained on the visible check's text."""
    return checks.check_train_char_lm(ref.train_char_lm, book, sampler=ref.sample_chars)


def test_the_references_pass_the_visible_and_hidden_checks(trained):
    checks.check_neural_bigram_grads(ref.neural_bigram_grads)
    ref.check_neural_bigram_grads(ref.neural_bigram_grads)
    checks.check_sample_chars(ref.sample_chars)
    checks.check_sample_chars(ref.sample_chars, np.random.default_rng(1))
    assert trained["ppl"] < trained["bigram"]
    assert trained["word share"] >= checks.MIN_WORD_SHARE


def test_the_hidden_training_check_passes_the_reference(book):
    got = ref.check_train_char_lm(ref.train_char_lm, book)
    assert got["ppl"] < got["bigram"] and got["word share"] >= checks.MIN_WORD_SHARE


def test_the_grader_forward_matches_the_sampler_model():
    # the perplexity the grader computes and the sampler read the same model
    rng = np.random.default_rng(2)
    vocab = list("xa b")
    theta = checks.random_theta(rng, 4, 5, 1.0)
    text = "ab xa ba"
    log_p = checks.char_log_probs(theta, vocab, text)
    h = np.zeros((5, 1))
    want = []
    for a, b in zip(text[:-1], text[1:]):
        h = np.tanh(theta["b"] + theta["W"] @ h + theta["U"][:, [vocab.index(a)]])
        o = (theta["c"] + theta["V"] @ h).ravel()
        want.append(o[vocab.index(b)] - np.log(np.exp(o).sum()))
    assert np.allclose(log_p, want)


def test_a_uniform_model_has_the_vocabulary_size_as_perplexity():
    vocab = list("qwe rt")
    theta = checks.constant_theta(vocab, np.zeros(6))
    assert np.isclose(checks.perplexity(theta, vocab, "we tree wet"), 6.0)


def test_the_temperature_claim_of_question_3(trained, book):
    """For the trained model the held-out perplexity of softmax(o / κ) is smallest near κ = 1."""
    theta, vocab = trained["theta"], trained["vocab"]
    held = book[checks.TRAIN_CHARS : checks.TRAIN_CHARS + checks.HELDOUT_CHARS]
    kappas = np.array([0.5, 0.7, 0.85, 1.0, 1.2, 1.5, 2.0])
    ppl = [checks.perplexity({**theta, "V": theta["V"] / k, "c": theta["c"] / k}, vocab, held)
           for k in kappas]  # fmt: skip
    assert 0.7 <= kappas[int(np.argmin(ppl))] <= 1.2
    assert ppl[0] > ppl[3] and ppl[-1] > ppl[3]


@pytest.mark.parametrize(
    "call",
    [
        lambda: checks.check_neural_bigram_grads(_stub),
        lambda: checks.check_sample_chars(_stub),
        lambda: checks.check_train_char_lm(_stub, "ab " * 20_000),
        lambda: checks.check_number_form("word_perplexity", None),
        lambda: checks.check_choice_form("answer_q3", None, "abcd"),
    ],
)
def test_stub_is_not_attempted(call):
    with pytest.raises(NotAttempted, match="not attempted"):
        call()


def test_a_transposed_output_gradient_is_named():
    def transposed(theta, x, y):
        loss, grads = ref.neural_bigram_grads(theta, x, y)
        return loss, {**grads, "V": grads["V"].T}

    with pytest.raises(CheckFailed, match="transposed"):
        checks.check_neural_bigram_grads(transposed)


def test_a_sampler_that_ignores_the_temperature_is_named():
    def no_kappa(theta, vocab, prefix, length, kappa, rng):
        return ref.sample_chars(theta, vocab, prefix, length, 1.0, rng)

    with pytest.raises(CheckFailed, match="ignores kappa"):
        checks.check_sample_chars(no_kappa)


def test_a_sampler_that_ignores_the_recurrence_is_caught():
    def no_w(theta, vocab, prefix, length, kappa, rng):
        return ref.sample_chars({**theta, "W": 0 * theta["W"]}, vocab, prefix, length, kappa, rng)

    with pytest.raises(CheckFailed, match="most likely continuation"):
        checks.check_sample_chars(no_w)


def test_a_sampler_that_returns_the_prefix_too_is_named():
    def with_prefix(theta, vocab, prefix, length, kappa, rng):
        return prefix + ref.sample_chars(theta, vocab, prefix, length, kappa, rng)

    with pytest.raises(CheckFailed, match="without the prefix"):
        checks.check_sample_chars(with_prefix)


def test_the_word_share_counts_complete_words_only():
    known = {"the", "time", "machine"}
    assert checks.word_share("ime the tmie machine tra", known) == pytest.approx(2 / 3)
    assert checks.word_share("nothing", known) == 0.0


def test_the_per_word_question():
    ref.check_q2(ref.word_perplexity())
    ref.check_q2(2 ** (2840 / 2000 * 5.5))  # a rounded number of characters per word
    for wrong, why in (
        (2 ** (2840 / 2000), "per character"),
        (np.exp(2840 / 364), "nats"),
        (2840 / 364, "exponentiate"),
        (1.0, "not right"),
    ):
        with pytest.raises(CheckFailed, match=why):
            ref.check_q2(wrong)


def test_the_choice():
    ref.check_q3("b")
    for letter in "acd":
        with pytest.raises(CheckFailed, match="is not right: "):
            ref.check_q3(letter)
