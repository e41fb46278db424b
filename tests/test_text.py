"""Tests of rnnbook.text: tokens, vocabulary, one-hot codes, batching, d2l's Time Machine."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from rnnbook.text import (
    RandomBatches,
    SequentialBatches,
    Vocab,
    WindowBatches,
    d2l_preprocess,
    next_token_pairs,
    one_hot,
    one_hot_torch,
    split_tokens,
    timemachine_d2l,
    tokenize,
)

_LOCAL_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora"


@pytest.fixture(autouse=True)
def _data_dir(monkeypatch):
    """Use a local copy of the corpora when one exists and none is configured."""
    if "RNNBOOK_DATA_DIR" not in os.environ and _LOCAL_CORPORA.is_dir():
        monkeypatch.setenv("RNNBOOK_DATA_DIR", str(_LOCAL_CORPORA))


def test_tokenize_char_and_word():
    assert tokenize("ab c") == ["a", "b", " ", "c"]
    assert tokenize("Yes here  we\ngo", "word") == ["Yes", "here", "we", "go"]
    with pytest.raises(ValueError, match="kind: expected one of"):
        tokenize("x", kind="byte")


def test_next_token_pairs_as_in_the_lecture_notes():
    words = tokenize(d2l_preprocess("Yes, here we go again"), "word")
    pairs = next_token_pairs(words)
    assert pairs[0] == ("yes", "here")
    assert pairs[-1] == ("go", "again")
    assert len(pairs) == len(words) - 1


def test_vocab_frequency_order_min_freq_reserved_and_round_trip():
    tokens = list("aaabbc")
    vocab = Vocab(tokens, reserved_tokens=["<pad>"])
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b", "c"]
    assert len(vocab) == 5 and vocab.unk == 0
    assert vocab.decode(vocab.encode(tokens)) == tokens
    assert vocab["z"] == vocab.unk and vocab.encode(["a", "z"]) == [2, 0]
    rare = Vocab(tokens, min_freq=2)
    assert "c" not in rare and rare["c"] == rare.unk and len(rare) == 3
    with pytest.raises(IndexError, match="indices"):
        vocab.decode([7])


def test_vocab_sorted_order_is_d2l_order():
    vocab = Vocab(list("ba a"), order="sorted")
    assert vocab.idx_to_token == [" ", "<unk>", "a", "b"]


def test_one_hot_numpy_columns_and_torch_last_axis():
    codes = one_hot(np.array([2, 0]), 3)
    assert codes.shape == (3, 2)
    np.testing.assert_array_equal(codes, [[0, 1], [0, 0], [1, 0]])
    seq = one_hot(np.array([[0, 1], [2, 2]]), 3)  # (T, B) -> (T, n, B)
    assert seq.shape == (2, 3, 2) and seq[1, 2, 0] == 1 and seq.sum() == 4
    t = one_hot_torch(torch.tensor([[1, 2]]), 4)
    assert t.shape == (1, 2, 4) and t[0, 1, 2] == 1 and t.sum() == 2
    with pytest.raises(
        ValueError, match=r"y: expected class indices in \[0, 2\] .* got values in \[3, 3\]"
    ):
        one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match=r"would take 2\d\.\d GiB; use an embedding"):
        one_hot(
            np.zeros(70_000, dtype=np.int64), 40_000
        )  # 40k-word vocabulary: refused, not allocated


@pytest.mark.parametrize("offset", [0, 3])
def test_sequential_partitioning_covers_the_corpus_exactly_once(offset):
    ids = np.arange(1000)  # token value = its position, so targets show where they came from
    B, T = 4, 7
    batches = SequentialBatches(ids, B, T, offset=offset)
    pairs = list(batches)
    assert len(pairs) == len(batches) == (1000 - offset - 1) // (B * T)
    targets = np.concatenate([y.ravel() for _, y in pairs])
    n_used = B * T * len(batches)
    # every token of the used range is a target exactly once per epoch
    np.testing.assert_array_equal(np.sort(targets), np.arange(offset + 1, offset + 1 + n_used))
    for (x0, y0), (x1, _) in zip(pairs[:-1], pairs[1:]):
        np.testing.assert_array_equal(y0, x0 + 1)  # targets are the next tokens
        np.testing.assert_array_equal(x1[:, 0], x0[:, -1] + 1)  # rows continue across batches
    assert list(batches)[0][0].shape == (B, T)  # iterable again


def test_sequential_random_offset_moves_and_keeps_length():
    batches = SequentialBatches(np.arange(500), 2, 10, random_offset=True, seed=1)
    firsts = {int(next(iter(batches))[0][0, 0]) for _ in range(20)}
    assert len(firsts) > 1 and all(0 <= f < 10 for f in firsts)
    assert all(len(list(batches)) == len(batches) for _ in range(5))


def test_random_partitioning_shapes_shift_and_determinism():
    ids = np.arange(300)
    a = list(RandomBatches(ids, 3, 5, seed=0))
    b = list(RandomBatches(ids, 3, 5, seed=0))
    assert len(a) == len(RandomBatches(ids, 3, 5)) == (300 - 5) // 5 // 3
    for (xa, ya), (xb, _) in zip(a, b):
        assert xa.shape == (3, 5)
        np.testing.assert_array_equal(ya, xa + 1)
        np.testing.assert_array_equal(xa, xb)
    starts = np.concatenate([x[:, 0] for x, _ in a])
    assert len(set(starts.tolist())) == len(starts)  # no subsequence twice
    assert not np.all(np.diff(starts) > 0)  # shuffled


def test_window_batches_cover_all_rows_with_last_batch_smaller():
    X = np.arange(20).reshape(10, 2)
    batches = WindowBatches(X, X + 1, 4, shuffle=True, seed=0)
    rows = np.concatenate([x for x, _ in batches])
    assert len(batches) == 3 and sorted(rows[:, 0].tolist()) == list(range(0, 20, 2))


def test_split_tokens_is_contiguous_and_complete():
    train, val, test = split_tokens(list(range(10)), (0.6, 0.2, 0.2))
    assert train == list(range(6)) and val == [6, 7] and test == [8, 9]
    with pytest.raises(ValueError, match="fractions"):
        split_tokens(list(range(10)), (0.5, 0.4))


def test_batches_reject_too_short_corpus():
    with pytest.raises(ValueError, match="ids: expected more than"):
        SequentialBatches(np.arange(10), 4, 5)


def test_timemachine_d2l_reproduces_the_d2l_split():
    data = timemachine_d2l()
    assert len(data.vocab) == 28
    assert data.vocab.idx_to_token[:3] == [" ", "<unk>", "a"] and data.vocab["z"] == 27
    assert data.X_train.shape == data.Y_train.shape == (10000, 32)
    assert data.X_val.shape == data.Y_val.shape == (5000, 32)
    assert "".join(data.vocab.decode(data.X_train[0])) == "the time machine by h g wells i "
    assert "".join(data.vocab.decode(data.Y_train[0])) == "he time machine by h g wells i t"
    np.testing.assert_array_equal(data.X_train[1:, 0], data.corpus[1:10000])  # every offset
    np.testing.assert_array_equal(data.X_val[0], data.corpus[10000:10032])
    assert data.vocab.encode(list("the time")) == [21, 9, 6, 0, 21, 10, 14, 6]
    assert len(data.val_batches()) == 5 and len(data.train_batches()) == 10
