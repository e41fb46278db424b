"""Tests of rnnbook.sampling: greedy, temperature and top-k generation."""

import pytest
import torch
from toy_models import NextLetter

from rnnbook.lm import RNNLM
from rnnbook.sampling import choose_next, sample
from rnnbook.text import SequentialBatches, Vocab, tokenize
from rnnbook.training import train

torch.set_num_threads(1)


VOCAB = Vocab(list("abcd"))  # <unk>, a, b, c, d


def test_greedy_follows_the_argmax():
    assert sample(NextLetter(len(VOCAB)), VOCAB, "ab", 3) == "abcd<unk>"


def test_word_level_joins_with_spaces_and_maps_unknown_words_to_unk():
    vocab = Vocab(["yes", "here", "we", "go"])
    text = sample(NextLetter(len(vocab)), vocab, "yes here", 1, tokenizer="word")
    assert text.split()[:2] == ["yes", "here"] and len(text.split()) == 3
    assert sample(NextLetter(len(vocab)), vocab, "zebra", 0, tokenizer="word") == "<unk>"


def test_sampling_is_deterministic_given_a_seeded_generator():
    model = NextLetter(len(VOCAB))
    draw = lambda seed, **kw: sample(
        model, VOCAB, "a", 40, generator=torch.Generator().manual_seed(seed), **kw
    )
    assert draw(3, strategy="temperature", temperature=3.0) == draw(
        3, strategy="temperature", temperature=3.0
    )
    assert draw(3, strategy="temperature", temperature=3.0) != draw(
        4, strategy="temperature", temperature=3.0
    )
    # a very low temperature behaves like greedy decoding
    assert draw(0, strategy="temperature", temperature=0.01) == sample(model, VOCAB, "a", 40)


def test_top_k_never_leaves_the_k_best():
    logits = torch.tensor([0.0, 3.0, 2.9, -1.0, 1.0])
    gen = torch.Generator().manual_seed(0)
    picks = {choose_next(logits, "top_k", k=2, temperature=5.0, generator=gen) for _ in range(200)}
    assert picks == {1, 2}
    picks = {choose_next(logits, "top_k", k=1, generator=gen) for _ in range(20)}
    assert picks == {1}


def test_input_checks_say_what_is_wrong():
    model = NextLetter(len(VOCAB))
    with pytest.raises(ValueError, match="prefix: expected at least one token"):
        sample(model, VOCAB, "", 5)
    with pytest.raises(ValueError, match="temperature: expected a number > 0, got 0"):
        sample(model, VOCAB, "a", 5, strategy="temperature", temperature=0)
    with pytest.raises(ValueError, match=r"k: expected an integer in \[1, 5\]"):
        sample(model, VOCAB, "a", 5, strategy="top_k", k=6)
    with pytest.raises(ValueError, match="strategy: expected one of"):
        sample(model, VOCAB, "a", 5, strategy="beam")


def test_a_trained_model_continues_its_training_text():
    torch.manual_seed(0)
    text = "hello world " * 40
    vocab = Vocab(tokenize(text))
    model = RNNLM(len(vocab), 24, cell="gru")
    batches = SequentialBatches(vocab.encode(tokenize(text)), 4, 12)
    train(model, batches, epochs=25, lr=2e-2, progress=False)
    assert sample(model, vocab, "hello w", 16) == "hello world hello world"
