"""The synthetic tagging task and the small tagger of notebook 03."""

import numpy as np
import pytest
import torch

from rnnbook.topics import tagging

torch.set_num_threads(1)


def test_sentences_are_tagged_word_by_word():
    rng = np.random.default_rng(0)
    data = tagging.make_dataset(300, rng)
    vocab = tagging.make_vocab()
    for words, tags in zip(data.sentences, data.tags):
        assert len(words) == len(tags) and set(tags) <= {0, 1}
        assert all(w in vocab for w in words)
        for w, t in zip(words, tags):
            if t == 1:
                assert w in tagging.NAMES + tagging.AMBIGUOUS  # only names are tagged
            elif w in tagging.NAMES:
                raise AssertionError(f"unambiguous name {w!r} tagged 0 in {words}")


def test_ambiguous_words_take_both_tags():
    data = tagging.make_dataset(500, np.random.default_rng(1))
    seen = {w: set() for w in tagging.AMBIGUOUS}
    for words, tags in zip(data.sentences, data.tags):
        for w, t in zip(words, tags):
            if w in seen:
                seen[w].add(t)
    assert all(tags == {0, 1} for tags in seen.values()), seen


def test_same_seed_same_data():
    a = tagging.make_dataset(20, np.random.default_rng(5))
    b = tagging.make_dataset(20, np.random.default_rng(5))
    assert a == b


def test_encode_pads_ids_and_tags():
    data = tagging.TaggingData(
        [["jon", "gave", "a", "talk"], ["will", "paid"]], [[1, 0, 0, 0], [1, 0]]
    )
    vocab = tagging.make_vocab()
    ids, tags = tagging.encode(data, vocab)
    assert ids.shape == tags.shape == (2, 4)
    assert ids[1, 2:].tolist() == [vocab[tagging.PAD]] * 2
    assert tags[1].tolist() == [1, 0, tagging.PAD_TAG, tagging.PAD_TAG]
    assert vocab.decode(ids[0]) == ["jon", "gave", "a", "talk"]


def test_accuracy_ignores_padding():
    tags = torch.tensor([[1, 0, tagging.PAD_TAG]])
    assert tagging.token_accuracy(torch.tensor([[1, 0, 1]]), tags) == 1.0
    assert tagging.token_accuracy(torch.tensor([[0, 0, 0]]), tags) == 0.5


def test_word_baseline_is_the_majority_tag():
    data = tagging.TaggingData(
        [["will", "paid"], ["jon", "will", "pay"], ["will", "paid"]], [[1, 0], [1, 0, 0], [1, 0]]
    )
    assert tagging.word_baseline(data) == {"will": 1, "paid": 0, "jon": 1, "pay": 0}


def test_tagger_learns_context():
    rng = np.random.default_rng(0)
    vocab = tagging.make_vocab()
    train_ids, train_tags = tagging.encode(tagging.make_dataset(1000, rng), vocab)
    test_data = tagging.make_dataset(200, rng)
    test_ids, test_tags = tagging.encode(test_data, vocab)
    torch.manual_seed(0)
    model = tagging.Tagger(len(vocab), d_embed=8, n_h=16)
    losses = tagging.train_tagger(model, train_ids, train_tags, steps=60, batch_size=32)
    assert losses[-1] < 0.2 * losses[0]
    predicted = tagging.predict(model, test_ids)
    assert predicted.shape == test_ids.shape
    ambiguous = torch.isin(test_ids, torch.tensor(vocab.encode(tagging.AMBIGUOUS)))
    assert tagging.token_accuracy(predicted, test_tags) >= 0.95
    # the ambiguous words need context: a word-by-word tagger gets about 60% of them
    assert tagging.token_accuracy(predicted[ambiguous], test_tags[ambiguous]) >= 0.9


def test_padding_does_not_change_a_sentence_s_tags():
    vocab = tagging.make_vocab()
    torch.manual_seed(0)
    model = tagging.Tagger(len(vocab), cell="gru")
    short = torch.tensor([vocab.encode(["jon", "will", "mark", "the", "exams"])])
    padded = torch.cat([short, torch.full((1, 3), vocab[tagging.PAD])], dim=1)
    with torch.no_grad():
        assert torch.allclose(model(short), model(padded)[:, :5])


def test_input_errors_name_the_argument():
    with pytest.raises(TypeError, match="rng: expected a numpy Generator"):
        tagging.make_sentence(0)
    with pytest.raises(ValueError, match="n: expected"):
        tagging.make_dataset(0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="cell: expected one of"):
        tagging.Tagger(10, cell="transformer")
    with pytest.raises(ValueError, match="ids: expected a \\(B, T\\) tensor"):
        tagging.Tagger(10)(torch.zeros(3, dtype=torch.long))
    bad = tagging.TaggingData([["jon", "paid"]], [[1]])
    with pytest.raises(ValueError, match="one tag per word"):
        tagging.encode(bad, tagging.make_vocab())
    with pytest.raises(ValueError, match="predicted: expected the shape"):
        tagging.token_accuracy(torch.zeros(2, 3), torch.zeros(2, 4))


def test_order_sentences_start_with_a_name_or_a_verb_told_apart_by_the_next_word():
    data = tagging.make_dataset(400, np.random.default_rng(2), orders=True)
    vocab = tagging.make_vocab()
    first_tags = [tags[0] for tags in data.tags]
    assert 0.4 < np.mean(first_tags) < 0.6  # half names, half orders
    for words, tags in zip(data.sentences, data.tags):
        assert words[0] in tagging.ORDER_WORDS and all(w in vocab for w in words)
        # the second word decides: an object after a verb, a modal or a verb after a name
        assert (words[1] in ("the", "a", "deep")) == (tags[0] == 0), words


def test_only_a_bidirectional_tagger_tags_the_first_word_of_an_order():
    rng = np.random.default_rng(0)
    vocab = tagging.make_vocab()
    train = tagging.encode(tagging.make_dataset(1000, rng, orders=True), vocab)
    test_ids, test_tags = tagging.encode(tagging.make_dataset(300, rng, orders=True), vocab)
    first = {}
    for bidirectional in (False, True):
        torch.manual_seed(0)
        model = tagging.Tagger(len(vocab), d_embed=8, n_h=16, bidirectional=bidirectional)
        tagging.train_tagger(model, *train, steps=60, batch_size=32)
        guess = tagging.predict(model, test_ids)
        first[bidirectional] = tagging.token_accuracy(guess[:, :1], test_tags[:, :1])
    assert abs(first[False] - 0.5) < 0.1 and first[True] >= 0.95, first


def test_bidirectional_must_be_a_bool():
    with pytest.raises(TypeError, match="bidirectional: expected True or False, got str"):
        tagging.Tagger(10, bidirectional="yes")
    with pytest.raises(TypeError, match="rng: expected a numpy Generator"):
        tagging.make_order_sentence(0)
