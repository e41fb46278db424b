"""Tests of rnnbook.topics.ngram: add-k and interpolated Kneser-Ney n-gram models."""

import math

import numpy as np
import pytest

from rnnbook.topics.ngram import NGramLM

CORPUS = "a b a b c".split()  # V = {a, b, c, <unk>}, |V| = 4
TEXT = "the cat sat on the mat the cat ate the rat".split()


def test_add_one_bigram_against_hand_computed_values():
    model = NGramLM(2, "add_k", k=1).fit(CORPUS)
    assert model.vocab == ["a", "b", "c", "<unk>"]
    # c(b, a) = 1, c(b, .) = 2:  (1 + 1) / (2 + 4)
    assert model.prob("a", ["b"]) == pytest.approx(2 / 6)
    assert model.prob("b", ["b"]) == pytest.approx(1 / 6)
    # c(a, b) = 2, c(a, .) = 2: (2 + 1) / (2 + 4)
    assert model.prob("b", ["a"]) == pytest.approx(3 / 6)
    # the first token follows the start padding: c(<s>, a) = 1, c(<s>, .) = 1
    assert model.prob("a", []) == pytest.approx(2 / 5)


def test_add_k_unigram_against_hand_computed_values():
    model = NGramLM(1, "add_k", k=0.5).fit(CORPUS)
    assert model.prob("a") == pytest.approx((2 + 0.5) / (5 + 0.5 * 4))
    assert model.prob("zebra") == pytest.approx(0.5 / 7) == model.prob("<unk>")


def test_kneser_ney_bigram_against_hand_computed_values():
    model = NGramLM(2, "kneser_ney", discount=0.75).fit(CORPUS)
    # continuation counts: a follows {<s>, b}, b follows {a}, c follows {b}: total 4, 3 types
    p_cont_a = (2 - 0.75) / 4 + 0.75 * 3 / 4 * (1 / 4)
    assert p_cont_a == 0.453125
    # after b: c(b, a) = 1, c(b, .) = 2, 2 distinct followers
    assert model.prob("a", ["b"]) == pytest.approx((1 - 0.75) / 2 + 0.75 * 2 / 2 * p_cont_a)
    assert model.prob("a", ["b"]) == pytest.approx(0.46484375)
    # an unseen context (c as context never occurs) falls back to the continuation unigram
    assert model.prob("a", ["c"]) == pytest.approx(p_cont_a)
    p_cont_unk = 0.75 * 3 / 4 * (1 / 4)
    assert model.prob("zebra", ["b"]) == pytest.approx(0.75 * 2 / 2 * p_cont_unk)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("smoothing", ["add_k", "kneser_ney"])
def test_probabilities_sum_to_one_for_every_context(n, smoothing):
    model = NGramLM(n, smoothing, k=0.3, discount=0.6).fit(TEXT)
    contexts = [[], ["the"], ["the", "cat"], ["cat", "the"], ["dog", "zebra"], ["<s>", "the"]]
    contexts += [[a, b] for a in model.vocab for b in model.vocab]
    for context in contexts:
        p = model.probs(context)
        assert np.all(p > 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-12), context


def test_unknown_tokens_and_perplexity():
    model = NGramLM(2, "kneser_ney").fit(TEXT)
    assert model.prob("dog", ["the"]) == model.prob("<unk>", ["the"]) > 0
    ppl_seen = model.perplexity("the cat sat on the mat".split())
    ppl_odd = model.perplexity("mat the on sat cat the".split())
    assert 1 < ppl_seen < ppl_odd
    assert math.isfinite(model.perplexity(["zebra", "dog"]))


def test_unigram_perplexity_by_hand():
    tokens = list("abcd") * 5
    model = NGramLM(1, "add_k", k=1).fit(tokens)  # (5 + 1) / (20 + 5) for each letter
    assert model.perplexity(list("abcd")) == pytest.approx(25 / 6)
    assert model.perplexity(["<unk>"]) == pytest.approx(25)


def test_perplexity_with_context_scores_only_the_tokens_after_it():
    model = NGramLM(3, "kneser_ney").fit(TEXT)
    text = "the cat sat on the mat".split()
    # the context conditions the first predictions but is not scored
    by_hand = -sum(
        math.log(model.prob(w, (["on", "the"] + text)[i : i + 2])) for i, w in enumerate(text)
    )
    assert model.perplexity(text, context=["cat", "on", "the"]) == pytest.approx(
        math.exp(by_hand / len(text))
    )
    # a context shorter than n - 1 is padded with <s>, as the start of a text is
    assert model.perplexity(text[1:], context=text[:1]) == pytest.approx(
        math.exp(-sum(math.log(model.prob(w, text[: i + 1])) for i, w in enumerate(text[1:])) / 5)
    )
    assert model.perplexity(text, context=[]) == model.perplexity(text)
    unigram = NGramLM(1, "add_k").fit(TEXT)
    assert unigram.perplexity(text, context=["cat"]) == unigram.perplexity(text)


def test_input_checks():
    with pytest.raises(ValueError, match="n: expected one of"):
        NGramLM(4)
    with pytest.raises(ValueError, match=r"discount: expected a number in \(0, 1\]"):
        NGramLM(2, "kneser_ney", discount=1.5)
    with pytest.raises(RuntimeError, match="call fit"):
        NGramLM(2).prob("a")
