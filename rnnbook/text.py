"""Text pipeline for language models: tokens, vocabulary, one-hot codes, batches, splits.

A corpus is turned into a list of tokens (characters or words), each token into an index by a
:class:`Vocab`, and the index sequence into training examples for next-token prediction:
the input x^(t) is the token at position t and the target y^(t) is the token at position t + 1.

Shapes.  Batches of indices are numpy ``int64`` arrays of shape ``(B, T)``: row b is one
subsequence, column t one time step (PyTorch's ``batch_first=True`` layout, which
:class:`rnnbook.lm.RNNLM` uses).  :func:`one_hot` follows the numpy half's convention (columns are
examples): indices ``(B,)`` -> ``(V, B)``, indices ``(T, B)`` -> ``(T, V, B)``.
:func:`one_hot_torch` follows PyTorch: indices of any shape ``S`` -> ``S + (V,)``.

Two ways to cut a long index sequence into batches of ``B`` rows of ``T`` steps:

* **sequential partitioning** (:class:`SequentialBatches`): the corpus is cut into ``B`` long
  rows; batch k holds columns ``k*T .. (k+1)*T - 1`` of every row, so row b of batch k + 1
  continues row b of batch k.  The hidden state at the end of one batch is the right initial
  state for the next; carrying it over and detaching it from the graph is truncated BPTT.
* **random partitioning** (:class:`RandomBatches`): subsequences of length ``T`` start at a random
  offset and are shuffled, so neighbouring rows and batches are unrelated and every batch starts
  from a zero state.

This module imports numpy only; :func:`one_hot_torch` imports torch when it is called.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from rnnbook._validate import check_choice, check_positive
from rnnbook.cells import one_hot  # the one one-hot of the numpy half, re-exported here

UNK = "<unk>"

__all__ = [
    "UNK",
    "D2LTimeMachine",
    "RandomBatches",
    "SequentialBatches",
    "Vocab",
    "WindowBatches",
    "d2l_preprocess",
    "next_token_pairs",
    "one_hot",
    "one_hot_torch",
    "split_tokens",
    "timemachine_d2l",
    "tokenize",
]


# --------------------------------------------------------------------------- tokens


def d2l_preprocess(text: str) -> str:
    """Replace every run of non-letters by one space and lower-case the result.

    This is the preprocessing of Dive into Deep Learning's Time Machine chapter:
    ``re.sub('[^A-Za-z]+', ' ', text).lower()``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return re.sub("[^A-Za-z]+", " ", text).lower()


def tokenize(text: str, kind: str = "char") -> list[str]:
    """Split ``text`` into tokens.

    ``kind="char"``: every character is a token (spaces and newlines included).
    ``kind="word"``: maximal runs of non-whitespace are tokens (``"go again,"`` -> ``["go",
    "again,"]``); preprocess first (e.g. :func:`d2l_preprocess`) to drop punctuation.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    check_choice("kind", kind, ("char", "word"))
    return list(text) if kind == "char" else text.split()


def next_token_pairs(tokens: Sequence) -> list[tuple]:
    """The (x, y) pairs of next-token prediction: ``(tokens[i], tokens[i + 1])`` for every i.

    ``["Yes", "here", "we"]`` -> ``[("Yes", "here"), ("here", "we")]``: each input token is
    paired with the token that follows it, so a corpus of T tokens gives T - 1 pairs.
    """
    if not hasattr(tokens, "__iter__"):
        raise TypeError(f"tokens: expected a sequence of tokens, got {type(tokens).__name__}")
    tokens = list(tokens)
    return list(zip(tokens[:-1], tokens[1:]))


# --------------------------------------------------------------------------- vocabulary


def _check_str_tokens(name: str, tokens) -> None:
    """Every token must be a str; name the first that is not and where it is."""
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise TypeError(
                f"{name}: expected str tokens, got {type(token).__name__} {token!r} "
                f"at position {position}"
            )


def _check_index(position: int, i) -> int:
    """One index for :meth:`Vocab.decode`: an int, a numpy integer or a 0-d integer tensor."""
    if hasattr(i, "ndim") and getattr(i, "ndim", None) == 0 and hasattr(i, "item"):
        dtype = getattr(i, "dtype", None)
        kind = getattr(dtype, "kind", None)  # numpy
        if kind is None:  # torch: floating, complex and bool dtypes are not indices
            floating = dtype.is_floating_point or dtype.is_complex or str(dtype) == "torch.bool"
            kind = "f" if floating else "i"
        if kind in "iu":
            return int(i.item())
    elif isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
        return int(i)
    raise TypeError(
        f"indices: expected integer token indices, got {type(i).__name__} {i!r} "
        f"at position {position}"
    )


class Vocab:
    """A two-way map between tokens and indices ``0 .. len(vocab) - 1``.

    Parameters
    ----------
    tokens : iterable of str (or of lists of str, which are flattened)
        The corpus whose tokens the vocabulary holds; every token must be a ``str`` (a ``str``
        given here is read as its characters).
    min_freq : int
        Tokens seen fewer than ``min_freq`` times are left out and map to ``<unk>``.
    reserved_tokens : list or tuple of str
        Extra tokens that always get an index (``["<pad>", "<eos>"]``). A bare ``str`` is
        refused: ``"<pad>"`` would otherwise reserve its five characters.
    order : ``"frequency"`` or ``"sorted"``
        ``"frequency"``: ``<unk>`` at index 0, then the reserved tokens, then the corpus tokens by
        descending count (ties broken alphabetically).  ``"sorted"``: all tokens, ``<unk>`` and the
        reserved ones included, in Python's string order; this is what Dive into Deep Learning 1.0
        does (``sorted(set(...))``), so that ``" "`` gets index 0 and ``"<unk>"`` index 1.

    ``vocab[token]`` and :meth:`encode` give indices (unknown tokens give ``vocab.unk``);
    :meth:`decode` maps indices back, so ``decode(encode(t)) == t`` for known tokens.
    ``kind`` is ``"char"`` when every corpus token is one character, else ``"word"``; it decides
    how :meth:`encode` splits a ``str``. ``reserved_tokens`` keeps the reserved tokens.
    """

    def __init__(
        self,
        tokens: Iterable = (),
        min_freq: int = 1,
        reserved_tokens: Sequence[str] = (),
        order: str = "frequency",
    ):
        check_positive("min_freq", min_freq, integer=True, allow_zero=True)
        check_choice("order", order, ("frequency", "sorted"))
        if isinstance(reserved_tokens, str) or not isinstance(reserved_tokens, (list, tuple)):
            raise TypeError(
                f"reserved_tokens: expected a list or tuple of str tokens such as ['<pad>'], "
                f"got {type(reserved_tokens).__name__} {reserved_tokens!r}"
            )
        _check_str_tokens("reserved_tokens", reserved_tokens)
        tokens = list(tokens)
        if tokens and isinstance(tokens[0], list):
            tokens = [token for line in tokens for token in line]
        counter = collections.Counter(tokens)
        bad = next((t for t in counter if not isinstance(t, str)), None)
        if bad is not None:  # each distinct token is looked at once
            raise TypeError(
                f"tokens: expected str tokens, got {type(bad).__name__} {bad!r} "
                f"at position {tokens.index(bad)}"
            )
        # by descending count, ties alphabetically: a deterministic order
        self.token_freqs: list[tuple[str, int]] = sorted(
            counter.items(), key=lambda item: (-item[1], item[0])
        )
        kept = [token for token, freq in self.token_freqs if freq >= min_freq]
        special = [UNK, *reserved_tokens]
        if order == "sorted":
            self.idx_to_token: list[str] = sorted(set(special + kept))
        else:
            seen = set(special)
            self.idx_to_token = list(dict.fromkeys(special)) + [t for t in kept if t not in seen]
        self.token_to_idx: dict[str, int] = {t: i for i, t in enumerate(self.idx_to_token)}
        self.order = order
        self.reserved_tokens: tuple[str, ...] = tuple(reserved_tokens)
        corpus_tokens = set(self.idx_to_token) - set(special)
        self.kind: str = "char" if all(len(t) == 1 for t in corpus_tokens) else "word"

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token) -> bool:
        return token in self.token_to_idx

    def __repr__(self) -> str:
        head = ", ".join(repr(t) for t in self.idx_to_token[:8])
        return f"Vocab(size={len(self)}, order={self.order!r}, tokens=[{head}, ...])"

    @property
    def unk(self) -> int:
        """The index of the unknown token ``<unk>``."""
        return self.token_to_idx[UNK]

    def __getitem__(self, tokens):
        """Index of one str token, or a list of indices for a list/tuple of str tokens."""
        if isinstance(tokens, (list, tuple)):
            _check_str_tokens("tokens", tokens)
            return [self.token_to_idx.get(t, self.unk) for t in tokens]
        if not isinstance(tokens, str):
            raise TypeError(
                f"token: expected a str (or a list of str), got {type(tokens).__name__} {tokens!r}"
            )
        return self.token_to_idx.get(tokens, self.unk)

    def encode(self, tokens: Iterable[str] | str) -> list[int]:
        """Indices of ``tokens``; tokens not in the vocabulary map to ``vocab.unk``.

        ``tokens`` is a list (or any iterable) of str tokens. A ``str`` is one token if the
        vocabulary holds it (``"<eos>"``); otherwise it is split by :attr:`kind`: into characters
        for a character vocabulary, into whitespace-separated words for a word vocabulary
        (``"then"`` -> one index, ``"the time"`` -> two), as :func:`tokenize` does.
        """
        if isinstance(tokens, str):
            if tokens in self.token_to_idx:
                tokens = [tokens]
            else:
                tokens = tokenize(tokens, self.kind)
        else:
            tokens = list(tokens)
            _check_str_tokens("tokens", tokens)
        return [self.token_to_idx.get(t, self.unk) for t in tokens]

    def decode(self, indices: Iterable[int]) -> list[str]:
        """Tokens of ``indices``: a list of ints, a 1-D integer numpy array or a 1-D tensor.

        Floats (1.7 is not an index), bools and strings (``"12"``) are refused with a
        ``TypeError``; indices outside ``[0, len(vocab) - 1]`` with an ``IndexError``.
        """
        if isinstance(indices, (str, bytes)):
            raise TypeError(
                f"indices: expected integer token indices (a list, a 1-D integer array or "
                f"tensor), got the {type(indices).__name__} {indices!r}"
            )
        dtype = getattr(indices, "dtype", None)
        if dtype is not None and (
            getattr(dtype, "kind", "i") not in "iu"
            or getattr(dtype, "is_floating_point", False)
            or getattr(dtype, "is_complex", False)
            or str(dtype) == "torch.bool"
        ):
            raise TypeError(f"indices: expected an integer array or tensor, got dtype {dtype}")
        ndim = getattr(indices, "ndim", None)
        if ndim is not None and ndim != 1:
            raise ValueError(
                f"indices: expected a 1-D sequence of token indices, got shape "
                f"{tuple(indices.shape)}"
            )
        out = []
        for position, i in enumerate(indices):
            i = _check_index(position, i)
            if not 0 <= i < len(self):
                raise IndexError(f"indices: expected values in [0, {len(self) - 1}], got {i}")
            out.append(self.idx_to_token[i])
        return out

    def to_tokens(self, indices):
        """Token of one index (an int or a 0-d integer array/tensor), or a list of tokens."""
        if isinstance(indices, (int, np.integer)) or getattr(indices, "ndim", None) == 0:
            return self.decode([indices])[0]
        return self.decode(indices)


# --------------------------------------------------------------------------- one-hot codes


def one_hot_torch(indices, n: int):
    """One-hot codes as a float32 tensor in PyTorch's layout: shape ``S`` -> ``S + (n,)``."""
    import torch
    import torch.nn.functional as F

    check_positive("n", n, integer=True)
    idx = torch.as_tensor(indices)
    if idx.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        raise TypeError(f"indices: expected an integer tensor, got dtype {idx.dtype}")
    if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise ValueError(
            f"indices: expected values in [0, {n - 1}], got [{int(idx.min())}, {int(idx.max())}]"
        )
    return F.one_hot(idx.long(), n).float()


# --------------------------------------------------------------------------- batches


def _as_ids(ids) -> np.ndarray:
    arr = np.asarray(ids)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(
            f"ids: expected a 1-D sequence of token indices, got shape {arr.shape} "
            f"and dtype {arr.dtype}"
        )
    if arr.size and arr.min() < 0:
        raise ValueError(
            f"ids: expected token indices >= 0, got {arr.min()} at position {arr.argmin()}"
        )
    return arr.astype(np.int64, copy=False)


class SequentialBatches:
    """Sequential partitioning of an index sequence into batches ``(X, Y)`` of shape ``(B, T)``.

    After dropping the first ``offset`` tokens, the corpus is trimmed to ``B * T * n + 1``
    tokens, where ``n = (len(ids) - offset - 1) // (B * T)`` is the number of batches, and
    cut into ``B`` rows of ``T * n`` inputs; ``Y`` is ``X`` shifted by one token.  Batch k holds
    columns ``k*T .. (k+1)*T - 1`` of every row, so row b of batch k + 1 continues row b of batch
    k, and in one epoch every token of ``ids[offset + 1 : offset + 1 + B*T*n]`` is a target
    exactly once.

    ``random_offset=True`` draws a fresh offset in ``[0, T)`` every epoch (from ``seed``), so that
    the cut points move between epochs; by default the offset is fixed.

    Iterating gives one epoch; the object can be iterated again.  ``sequential = True`` tells
    :func:`rnnbook.training.train` to carry the hidden state from batch to batch.
    """

    sequential = True

    def __init__(
        self,
        ids,
        batch_size: int,
        num_steps: int,
        *,
        offset: int = 0,
        random_offset: bool = False,
        seed: int = 0,
    ):
        self.ids = _as_ids(ids)
        self.batch_size = check_positive("batch_size", batch_size, integer=True)
        self.num_steps = check_positive("num_steps", num_steps, integer=True)
        self.offset = check_positive("offset", offset, integer=True, allow_zero=True)
        self.random_offset = bool(random_offset)
        self._rng = np.random.default_rng(seed)
        if self._num_batches(num_steps - 1 if random_offset else offset) < 1:
            raise ValueError(
                f"ids: expected more than batch_size * num_steps + offset = "
                f"{batch_size * num_steps + offset} tokens, got {len(self.ids)}"
            )

    def _num_batches(self, offset: int) -> int:
        return (len(self.ids) - offset - 1) // (self.batch_size * self.num_steps)

    def __len__(self) -> int:
        return self._num_batches(self.num_steps - 1 if self.random_offset else self.offset)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        B, T = self.batch_size, self.num_steps
        offset = int(self._rng.integers(0, T)) if self.random_offset else self.offset
        n = len(self)  # the same count for every offset, so len() holds each epoch
        used = B * T * n
        Xs = self.ids[offset : offset + used].reshape(B, T * n)
        Ys = self.ids[offset + 1 : offset + 1 + used].reshape(B, T * n)
        for k in range(n):
            yield Xs[:, k * T : (k + 1) * T], Ys[:, k * T : (k + 1) * T]


class RandomBatches:
    """Random partitioning: shuffled subsequences of length ``T``, ``B`` to a batch.

    Each epoch drops a random number ``0 .. T-1`` of leading tokens, cuts the rest into
    non-overlapping subsequences of ``T`` inputs (targets shifted by one), shuffles them and
    yields ``len(self)`` batches ``(X, Y)`` of shape ``(B, T)``; leftover subsequences are dropped.
    Rows of consecutive batches are unrelated, so ``sequential = False``: the training loop starts
    every batch from a zero state.  Deterministic given ``seed``.
    """

    sequential = False

    def __init__(self, ids, batch_size: int, num_steps: int, *, seed: int = 0):
        self.ids = _as_ids(ids)
        self.batch_size = check_positive("batch_size", batch_size, integer=True)
        self.num_steps = check_positive("num_steps", num_steps, integer=True)
        self._rng = np.random.default_rng(seed)
        if len(self) < 1:
            raise ValueError(
                f"ids: expected at least batch_size * num_steps + num_steps = "
                f"{batch_size * num_steps + num_steps} tokens, got {len(self.ids)}"
            )

    def __len__(self) -> int:
        # the worst offset (T - 1) still leaves this many subsequences
        n_sub = (len(self.ids) - self.num_steps) // self.num_steps
        return n_sub // self.batch_size

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        B, T = self.batch_size, self.num_steps
        offset = int(self._rng.integers(0, T))
        n_sub = (len(self.ids) - offset - 1) // T
        starts = offset + T * self._rng.permutation(n_sub)
        steps = np.arange(T)
        for k in range(len(self)):
            rows = starts[k * B : (k + 1) * B, None] + steps  # (B, T) positions
            yield self.ids[rows], self.ids[rows + 1]


class WindowBatches:
    """Batches ``(X[i], Y[i])`` of given windows ``X, Y`` of shape ``(N, T)``.

    ``shuffle=True`` draws a fresh order every epoch (from ``seed``); the last batch may be
    smaller than ``batch_size`` (as with a PyTorch ``DataLoader``).  Windows overlap, so
    ``sequential = False``.
    """

    sequential = False

    def __init__(self, X, Y, batch_size: int, *, shuffle: bool = False, seed: int = 0):
        self.X, self.Y = np.asarray(X), np.asarray(Y)
        for name, arr in (("X", self.X), ("Y", self.Y)):
            if arr.dtype.kind not in "iu":
                raise TypeError(
                    f"{name}: expected an integer array of token indices, got dtype {arr.dtype}"
                )
            if arr.size and arr.min() < 0:
                raise ValueError(f"{name}: expected token indices >= 0, got {arr.min()}")
        if self.X.ndim != 2 or self.X.shape != self.Y.shape:
            raise ValueError(
                f"X, Y: expected two arrays of the same shape (N, T), got {self.X.shape} "
                f"and {self.Y.shape}"
            )
        self.batch_size = check_positive("batch_size", batch_size, integer=True)
        self.shuffle = bool(shuffle)
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for k in range(len(self)):
            rows = order[k * self.batch_size : (k + 1) * self.batch_size]
            yield self.X[rows], self.Y[rows]


def split_tokens(ids, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> tuple:
    """Cut a sequence into consecutive train / validation / test parts by ``fractions``.

    The parts are contiguous (no shuffling: neighbouring text is correlated, so a random split
    would leak the test text into training).  ``fractions`` must sum to 1; returns one slice of
    ``ids`` per fraction.
    """
    fractions = [float(f) for f in fractions]
    if len(fractions) < 2 or any(f < 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(
            f"fractions: expected two or more non-negative numbers summing to 1, got {fractions}"
        )
    n = len(ids)
    bounds = np.round(np.cumsum([0.0, *fractions]) * n).astype(int)
    bounds[-1] = n
    return tuple(ids[a:b] for a, b in zip(bounds[:-1], bounds[1:]))


# --------------------------------------------------------------------------- d2l's Time Machine


@dataclass
class D2LTimeMachine:
    """The Time Machine as Dive into Deep Learning 1.0 prepares it (see :func:`timemachine_d2l`).

    ``corpus`` holds the index of every character; ``X_train, Y_train`` (``num_train`` windows)
    and ``X_val, Y_val`` (``num_val`` windows) are ``(N, num_steps)`` int64 arrays.
    """

    vocab: Vocab
    corpus: np.ndarray
    X_train: np.ndarray
    Y_train: np.ndarray
    X_val: np.ndarray
    Y_val: np.ndarray
    batch_size: int
    num_steps: int

    def train_batches(self, seed: int = 0) -> WindowBatches:
        """Shuffled training batches (d2l shuffles the training loader)."""
        return WindowBatches(self.X_train, self.Y_train, self.batch_size, shuffle=True, seed=seed)

    def val_batches(self) -> WindowBatches:
        """Validation batches in order."""
        return WindowBatches(self.X_val, self.Y_val, self.batch_size, shuffle=False)


def timemachine_d2l(
    batch_size: int = 1024,
    num_steps: int = 32,
    num_train: int = 10000,
    num_val: int = 5000,
    *,
    text: str | None = None,
) -> D2LTimeMachine:
    """Reproduce d2l 1.0's ``TimeMachine(batch_size, num_steps, num_train, num_val)`` exactly.

    The rule, step by step (d2l-en ``d2l/torch.py``, classes ``TimeMachine`` and ``Vocab``):

    1. ``re.sub('[^A-Za-z]+', ' ', text).lower()`` over the whole book (:func:`d2l_preprocess`);
    2. one token per character; the vocabulary is ``sorted(set(['<unk>'] + tokens))``, i.e.
       Python's string order: ``' '`` = 0, ``'<unk>'`` = 1, ``'a'`` = 2, ..., ``'z'`` = 27, 28 in
       all (d2l 1.0 computes ``token_freqs`` by frequency but indexes tokens in sorted order);
    3. a window of ``num_steps + 1`` indices starts at every offset ``i = 0 .. len(corpus) -
       num_steps - 1``; ``X`` is each window without its last index, ``Y`` without its first;
    4. windows ``0 .. num_train - 1`` are for training, the next ``num_val`` for validation.

    ``text`` defaults to ``rnnbook.data.load_corpus("timemachine")``.
    """
    check_positive("batch_size", batch_size, integer=True)
    check_positive("num_steps", num_steps, integer=True)
    check_positive("num_train", num_train, integer=True)
    check_positive("num_val", num_val, integer=True, allow_zero=True)
    if text is None:
        from rnnbook.data import load_corpus

        text = load_corpus("timemachine")
    tokens = tokenize(d2l_preprocess(text), "char")
    vocab = Vocab(tokens, order="sorted")
    corpus = np.asarray(vocab.encode(tokens), dtype=np.int64)
    n_windows = len(corpus) - num_steps
    if n_windows < 1:
        raise ValueError(
            f"text: expected more than num_steps = {num_steps} characters after preprocessing, "
            f"got {len(corpus)}"
        )
    if n_windows < num_train + num_val:
        raise ValueError(
            f"num_train + num_val: expected at most {n_windows} windows for this text, "
            f"got {num_train + num_val}"
        )
    windows = np.lib.stride_tricks.sliding_window_view(corpus, num_steps + 1)[:n_windows]
    X, Y = windows[:, :-1], windows[:, 1:]
    train, val = slice(0, num_train), slice(num_train, num_train + num_val)
    return D2LTimeMachine(
        vocab=vocab,
        corpus=corpus,
        X_train=np.ascontiguousarray(X[train]),
        Y_train=np.ascontiguousarray(Y[train]),
        X_val=np.ascontiguousarray(X[val]),
        Y_val=np.ascontiguousarray(Y[val]),
        batch_size=batch_size,
        num_steps=num_steps,
    )
