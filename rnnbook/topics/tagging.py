"""A synthetic name-tagging task and a small recurrent tagger (notebook 03).

The lecture notes' example is named-entity tagging: "Jon and Ethan gave deep learning lectures"
→ 1 0 1 0 0 0 0, one tag per word, 1 for a name. This module generates sentences of that kind
from a small grammar, all lower case so that capitalisation gives nothing away. Some words are
**ambiguous**: "will", "may", "mark" and "bill" are names in some places and ordinary words in
others ("will gave the bill to mark" → 1 0 0 0 0 1; "jon will mark the exams" → 1 0 0 0 0).
Whether they are names depends on the words before them (a subject position, or after "to"), so
a tagger that looks at one word at a time cannot get them all right, and a recurrent one can.

:func:`make_order_sentence` writes a harder kind: sentences that start with "mark" or "bill",
which is a name ("mark gave a talk") or a verb giving an order ("mark the exams today"). Only
the word *after* it decides, so a tagger that reads left to right must guess, and a
bidirectional one (``Tagger(..., bidirectional=True)``) can see the answer.

Shapes follow PyTorch with ``batch_first=True``: token ids ``(B, T)``, tags ``(B, T)``, logits
``(B, T, 2)``. Sentences of different lengths are padded at the end with ``PAD_TAG`` in the
tags (ignored by the loss and by the accuracy); a unidirectional tagger reads left to right, so
padding after a sentence never changes its outputs inside the sentence (a bidirectional one
reads the padding first on its backward pass, and learns to ignore it).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from rnnbook._validate import check_choice, check_positive
from rnnbook.text import Vocab
from rnnbook.torch_cells import StackedRNN

__all__ = [
    "NAMES",
    "AMBIGUOUS",
    "PAD",
    "PAD_TAG",
    "make_sentence",
    "ORDER_WORDS",
    "make_order_sentence",
    "TaggingData",
    "make_dataset",
    "make_vocab",
    "encode",
    "Tagger",
    "train_tagger",
    "predict",
    "token_accuracy",
    "word_baseline",
]

NAMES = ("jon", "ethan", "ada", "alan", "grace", "linus", "mary", "tim")
AMBIGUOUS = ("will", "may", "mark", "bill")  # names in some places, ordinary words in others
PAD = "<pad>"
PAD_TAG = -100  # the ignore_index of nn.CrossEntropyLoss

_MODALS = ("will", "may", "can")
_VERBS_BASE = ("give", "teach", "mark", "write", "pay")
_VERBS_PAST = ("gave", "taught", "marked", "wrote", "paid")
_OBJECTS = (
    ("deep", "learning", "lectures"),
    ("the", "bill"),
    ("the", "exams"),
    ("a", "good", "mark"),
    ("the", "lectures"),
    ("a", "talk"),
)
_TAILS = (("today",), ("on", "monday"), ("again",))
ORDER_WORDS = ("mark", "bill")  # names, and verbs that can start an order


def _name(rng: np.random.Generator) -> str:
    pool = NAMES + AMBIGUOUS
    return pool[rng.integers(len(pool))]


def make_sentence(rng: np.random.Generator) -> tuple[list[str], list[int]]:
    """One sentence of the grammar and its tags (1 for a name, 0 otherwise).

    subject (a name, "name and name" or "the students") · optional modal + verb, or a verb in
    the past · object · optionally "to" + name · optionally a time ("today", "on monday").
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
    words: list[tuple[str, int]] = []
    kind = rng.integers(3)
    if kind == 0:
        words.append((_name(rng), 1))
    elif kind == 1:
        words += [(_name(rng), 1), ("and", 0), (_name(rng), 1)]
    else:
        words += [("the", 0), ("students", 0)]
    words += _predicate(rng) + _ending(rng)
    return [w for w, _ in words], [t for _, t in words]


def _predicate(rng: np.random.Generator) -> list[tuple[str, int]]:
    """A verb phrase (a modal and a verb, or a verb in the past) and its object, all tag 0."""
    if rng.random() < 0.5:
        words = [(_MODALS[rng.integers(3)], 0), (_VERBS_BASE[rng.integers(5)], 0)]
    else:
        words = [(_VERBS_PAST[rng.integers(5)], 0)]
    return words + [(w, 0) for w in _OBJECTS[rng.integers(len(_OBJECTS))]]


def _ending(rng: np.random.Generator) -> list[tuple[str, int]]:
    """Sometimes "to" and a name (tag 1), sometimes a tail such as "in the evening"."""
    words = []
    if rng.random() < 0.4:
        words += [("to", 0), (_name(rng), 1)]
    if rng.random() < 0.4:
        words += [(w, 0) for w in _TAILS[rng.integers(len(_TAILS))]]
    return words


def make_order_sentence(rng: np.random.Generator) -> tuple[list[str], list[int]]:
    """A sentence that starts with "mark" or "bill", and its tags: half orders, half statements.

    order (first word a verb, tag 0): "mark the exams today", "bill the students to ada";
    statement (first word a name, tag 1): "mark gave a talk", "bill will pay the bill".
    The first word is the same in both; the second decides ("the", "a", "deep" after a verb;
    a modal or a verb after a name). The rest follows :func:`make_sentence`.
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
    first = ORDER_WORDS[rng.integers(len(ORDER_WORDS))]
    if rng.random() < 0.5:  # an order: verb, then its object
        words = [(first, 0)]
        objects = _OBJECTS + (("the", "students"),)
        words += [(w, 0) for w in objects[rng.integers(len(objects))]]
    else:  # a statement about a person: name, then a verb phrase
        words = [(first, 1)] + _predicate(rng)
    words += _ending(rng)
    return [w for w, _ in words], [t for _, t in words]


class TaggingData(NamedTuple):
    """Sentences (lists of words) and their tags (lists of 0/1), aligned word by word."""

    sentences: list[list[str]]
    tags: list[list[int]]


def _check_data(data) -> TaggingData:
    if not isinstance(data, TaggingData):
        raise TypeError(f"data: expected a TaggingData, got {type(data).__name__}")
    if len(data.sentences) != len(data.tags):
        raise ValueError(
            f"data: expected one tag list per sentence, got {len(data.sentences)} sentences "
            f"and {len(data.tags)} tag lists"
        )
    for b, labels in enumerate(data.tags):
        bad = [t for t in labels if isinstance(t, bool) or t not in (0, 1)]
        if bad:
            raise ValueError(
                f"data: expected tags 0 (other) or 1 (name), got {bad[0]!r} in sentence {b}"
            )
    return data


def _check_tensor(name: str, value, ndim: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    if value.dim() != ndim or value.dtype != torch.long:
        raise ValueError(
            f"{name}: expected a {ndim}-D long tensor, got shape {tuple(value.shape)} "
            f"and dtype {value.dtype}"
        )
    return value


def _check_tags(name: str, tags: torch.Tensor) -> None:
    bad = tags[(tags != 0) & (tags != 1) & (tags != PAD_TAG)]
    if bad.numel():
        raise ValueError(
            f"{name}: expected tags 0, 1 or PAD_TAG = {PAD_TAG} (padding), got {int(bad[0])}"
        )


def make_dataset(n: int, rng: np.random.Generator, *, orders: bool = False) -> TaggingData:
    """``n`` sentences of :func:`make_sentence`, or of :func:`make_order_sentence` if ``orders``."""
    check_positive("n", n, integer=True)
    make = make_order_sentence if orders else make_sentence
    pairs = [make(rng) for _ in range(n)]
    return TaggingData([s for s, _ in pairs], [t for _, t in pairs])


def make_vocab() -> Vocab:
    """The vocabulary of the grammar, with ``<pad>`` reserved (every word the grammar can write)."""
    words = set(NAMES + AMBIGUOUS + _MODALS + _VERBS_BASE + _VERBS_PAST)
    words |= {"and", "the", "students", "to"}
    words |= {w for group in _OBJECTS + _TAILS for w in group}
    return Vocab(sorted(words), reserved_tokens=[PAD])


def encode(data: TaggingData, vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Token ids ``(B, T)`` padded with ``vocab[PAD]`` and tags ``(B, T)`` padded with ``PAD_TAG``.

    T is the length of the longest sentence in ``data``.
    """
    _check_data(data)
    if not isinstance(vocab, Vocab):
        raise TypeError(f"vocab: expected an rnnbook.text.Vocab, got {type(vocab).__name__}")
    if len(data.sentences) == 0:
        raise ValueError("data: expected at least one sentence, got none")
    T = max(len(s) for s in data.sentences)
    ids = torch.full((len(data.sentences), T), vocab[PAD], dtype=torch.long)
    tags = torch.full((len(data.sentences), T), PAD_TAG, dtype=torch.long)
    for b, (words, labels) in enumerate(zip(data.sentences, data.tags)):
        if len(words) != len(labels):
            raise ValueError(
                f"data: expected one tag per word, got {len(words)} words and "
                f"{len(labels)} tags in sentence {b}"
            )
        ids[b, : len(words)] = torch.tensor(vocab.encode(words))
        tags[b, : len(words)] = torch.tensor(labels)
    return ids, tags


class Tagger(nn.Module):
    """Many-to-many tagger: embedding → recurrent layer → linear read-out at every step.

    e^(t) = W_emb x^(t),  h^(t) = cell(h^(t−1), e^(t)),  o^(t) = c + V h^(t)  (two classes).
    ``cell`` is ``"rnn"`` (Elman), ``"gru"`` or ``"lstm"``, run by ``rnnbook.torch_cells``.
    With ``bidirectional=True`` a second cell reads the sentence backwards and the read-out sees
    [h_forward^(t); h_backward^(t)] (2 n_h features), so o^(t) depends on the whole sentence.

    forward(ids (B, T)) -> logits (B, T, 2)
    """

    def __init__(
        self,
        n_vocab: int,
        d_embed: int = 16,
        n_h: int = 32,
        cell: str = "rnn",
        bidirectional: bool = False,
    ):
        super().__init__()
        check_positive("n_vocab", n_vocab, integer=True)
        check_positive("d_embed", d_embed, integer=True)
        check_positive("n_h", n_h, integer=True)
        check_choice("cell", cell, ("rnn", "gru", "lstm"))
        self.embed = nn.Embedding(n_vocab, d_embed)
        if not isinstance(bidirectional, bool):
            raise TypeError(
                f"bidirectional: expected True or False, got {type(bidirectional).__name__}"
            )
        self.rnn = StackedRNN(cell, d_embed, n_h, bidirectional=bidirectional, batch_first=True)
        self.readout = nn.Linear(n_h * (2 if bidirectional else 1), 2)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        if not isinstance(ids, torch.Tensor) or ids.dim() != 2 or ids.dtype != torch.long:
            got = (
                f"shape {tuple(ids.shape)} and dtype {ids.dtype}"
                if isinstance(ids, torch.Tensor)
                else type(ids).__name__
            )
            raise ValueError(f"ids: expected a (B, T) tensor of token indices (long), got {got}")
        n_vocab = self.embed.num_embeddings
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= n_vocab):
            raise ValueError(
                f"ids: expected token indices in [0, {n_vocab - 1}] (n_vocab = {n_vocab}), "
                f"got [{int(ids.min())}, {int(ids.max())}]"
            )
        hs, _ = self.rnn(self.embed(ids))
        return self.readout(hs)


def train_tagger(
    model: Tagger,
    ids: torch.Tensor,
    tags: torch.Tensor,
    *,
    steps: int = 300,
    batch_size: int = 64,
    lr: float = 1e-2,
    seed: int = 0,
) -> list[float]:
    """Train with Adam on random mini-batches (forward, loss, backward, clip, step).

    The loss is the cross-entropy averaged over the real (unpadded) tokens. Returns the loss of
    every step.
    """
    check_positive("steps", steps, integer=True)
    check_positive("batch_size", batch_size, integer=True)
    check_positive("lr", lr)
    if not isinstance(model, Tagger):
        raise TypeError(f"model: expected a Tagger, got {type(model).__name__}")
    _check_tensor("ids", ids, 2)
    _check_tensor("tags", tags, 2)
    _check_tags("tags", tags)
    if ids.shape[0] == 0:
        raise ValueError(f"ids: expected at least one sentence, got shape {tuple(ids.shape)}")
    if ids.shape != tags.shape:
        raise ValueError(
            f"tags: expected the shape of ids {tuple(ids.shape)}, got {tuple(tags.shape)}"
        )
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD_TAG)
    losses = []
    model.train()
    for _ in range(steps):
        idx = torch.randint(ids.shape[0], (batch_size,), generator=generator)
        logits = model(ids[idx])
        loss = loss_fn(logits.reshape(-1, 2), tags[idx].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def predict(model: Tagger, ids: torch.Tensor) -> torch.Tensor:
    """The predicted tag of every token: ``(B, T)`` of 0/1 (padding positions included).

    The model runs in eval mode; its train/eval mode is restored afterwards.
    """
    if not isinstance(model, Tagger):
        raise TypeError(f"model: expected a Tagger, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        return model(ids).argmax(dim=-1)
    finally:
        model.train(was_training)


def token_accuracy(predicted: torch.Tensor, tags: torch.Tensor) -> float:
    """Fraction of real (unpadded) tokens whose predicted tag equals the target tag.

    predicted, tags: ``(B, T)`` long tensors; tags are 0, 1 or ``PAD_TAG`` (not counted).
    """
    for name, value in (("predicted", predicted), ("tags", tags)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(value).__name__}")
    _check_tags("tags", tags)
    if predicted.shape != tags.shape:
        raise ValueError(
            f"predicted: expected the shape of tags {tuple(tags.shape)}, got {tuple(predicted.shape)}"
        )
    real = tags != PAD_TAG
    if not bool(real.any()):
        raise ValueError(
            f"tags: expected at least one real (unpadded) token, got only PAD_TAG = {PAD_TAG}"
        )
    return float((predicted[real] == tags[real]).float().mean())


def word_baseline(train: TaggingData) -> dict[str, int]:
    """The majority tag of each word in ``train``: a tagger that looks at one word at a time.

    It is the best any tagger can do without context; it errs on the ambiguous words.
    """
    _check_data(train)
    counts: dict[str, list[int]] = {}
    for words, labels in zip(train.sentences, train.tags):
        for w, t in zip(words, labels):
            counts.setdefault(w, [0, 0])[t] += 1
    return {w: int(c[1] > c[0]) for w, c in counts.items()}
