"""The checkers of notebook 03 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest
import torch
from torch import nn

from rnnbook import cells
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb03 as checks

torch.set_num_threads(1)


def _stub(*args, **kwargs):
    raise NotImplementedError()


# ---- right answers, written with the library where it has them ------------------------------


def right_one_hot(words, vocab):
    return cells.one_hot(np.array([vocab.index(w) for w in words]), len(vocab))


def _elman(step, xs, h0):
    h, out = h0, []
    for x_t in xs:
        h = step(h, x_t)
        out.append(h)
    return np.stack(out)


def right_elman(xs, h0, U, W, b):
    cell = cells.ElmanCell(U.shape[1], U.shape[0])
    states, _ = cells.unroll(cell, {"U": U, "W": W, "b": b}, xs, cells.ElmanState(h0))
    return np.stack([s.h for s in states])


def right_jordan(params, o_prev, y_prev, x_t, teacher_forcing):
    s = cells.one_hot(y_prev, params["V"].shape[0]) if teacher_forcing else o_prev
    h_t = np.tanh(params["b"] + params["W"] @ s + params["U"] @ x_t)
    return h_t, params["c"] + params["V"] @ h_t


def _run(p, seq):
    return right_elman(seq, np.zeros((p["W"].shape[0], seq.shape[2])), p["U"], p["W"], p["b"])


def right_bidirectional(xs, pf, pb):
    return np.concatenate([_run(pf, xs), _run(pb, xs[::-1])[::-1]], axis=1)


def right_count(mode, n_x, n_h, num_layers, bidirectional):
    cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[mode]
    module = cls(n_x, n_h, num_layers=num_layers, bidirectional=bidirectional)
    return sum(p.numel() for p in module.parameters())


def test_right_answers_pass():
    checks.check_one_hot_sentence(right_one_hot)
    checks.check_elman_forward(right_elman)
    checks.check_jordan_step(right_jordan)
    checks.check_bidirectional(right_bidirectional)
    checks.check_count_params(right_count)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_one_hot_sentence,
        checks.check_elman_forward,
        checks.check_jordan_step,
        checks.check_bidirectional,
        checks.check_count_params,
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


# ---- exercise 1 -----------------------------------------------------------------------------


def test_one_hot_wrong():
    def own_vocab(words, vocab):  # numbers the words in their order of appearance
        mine = list(dict.fromkeys(words))
        return right_one_hot(words, mine + [w for w in vocab if w not in mine])

    def off_by_one(words, vocab):  # every 1 one row too low
        return np.roll(right_one_hot(words, vocab), 1, axis=0)

    def counts(words, vocab):  # bag of words: every column counts all occurrences
        X = right_one_hot(words, vocab)
        return np.repeat(X.sum(axis=1, keepdims=True), len(words), axis=1)

    with pytest.raises(CheckFailed, match="transpose your matrix"):
        checks.check_one_hot_sentence(lambda w, v: right_one_hot(w, v).T)
    with pytest.raises(CheckFailed, match="position in the given vocab list"):
        checks.check_one_hot_sentence(own_vocab)
    with pytest.raises(CheckFailed, match="off-by-one"):
        checks.check_one_hot_sentence(off_by_one)
    with pytest.raises(CheckFailed, match="expected exactly one"):
        checks.check_one_hot_sentence(counts)


# ---- exercise 2 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda xs, h0, U, W, b: _elman(lambda h, x: np.tanh(W @ h + U @ x), xs, h0),
            "the bias b is missing",
        ),
        (
            lambda xs, h0, U, W, b: _elman(lambda h, x: b + W @ h + U @ x, xs, h0),
            "the tanh is missing",
        ),
        (
            lambda xs, h0, U, W, b: _elman(lambda h, x: cells.sigmoid(b + W @ h + U @ x), xs, h0),
            "uses the sigmoid",
        ),
        (
            lambda xs, h0, U, W, b: np.stack([np.tanh(b + W @ h0 + U @ x) for x in xs]),
            "every step reads h0",
        ),
        (
            lambda xs, h0, U, W, b: _elman(lambda h, x: np.tanh(b + W @ h) + U @ x, xs, h0),
            "adds U x after the tanh",
        ),
        (
            lambda xs, h0, U, W, b: np.concatenate([h0[None], right_elman(xs, h0, U, W, b)]),
            "without the initial state h0",
        ),
        (
            lambda xs, h0, U, W, b: _elman(lambda h, x: np.tanh(b + W.T @ h + U @ x), xs, h0),
            "tanh(b + W h^(t-1) + U x^(t))",
        ),
    ],
)
def test_elman_forward_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_elman_forward(wrong)


# ---- exercise 3 -----------------------------------------------------------------------------


def _jordan_from(s_of):
    def step(params, o_prev, y_prev, x_t, teacher_forcing):
        s = s_of(params, o_prev, y_prev, teacher_forcing)
        h_t = np.tanh(params["b"] + params["W"] @ s + params["U"] @ x_t)
        return h_t, params["c"] + params["V"] @ h_t

    return step


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_jordan_from(lambda p, o, y, tf: o), "was computed from o_prev"),
        (
            _jordan_from(lambda p, o, y, tf: cells.one_hot(y, p["V"].shape[0])),
            "was computed from the target y_prev",
        ),
        (
            _jordan_from(
                lambda p, o, y, tf: cells.one_hot(y, p["V"].shape[0]) if tf else cells.softmax(o)
            ),
            "reads softmax(o_prev)",
        ),
        (
            lambda p, o, y, x, tf: (
                right_jordan(p, o, y, x, tf)[0],
                p["V"] @ right_jordan(p, o, y, x, tf)[0],
            ),
            "missing the output bias c",
        ),
        (lambda p, o, y, x, tf: right_jordan(p, o, y, x, tf)[0], "should return a pair"),
    ],
)
def test_jordan_step_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_jordan_step(wrong)


# ---- exercise 4 -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda xs, pf, pb: np.concatenate([_run(pf, xs), _run(pb, xs[::-1])], axis=1),
            "in reading order",
        ),
        (
            lambda xs, pf, pb: np.concatenate([_run(pf, xs), _run(pb, xs)], axis=1),
            "read the sequence forward in time",
        ),
        (
            lambda xs, pf, pb: np.concatenate([_run(pf, xs), _run(pb, xs[::-1])[::-1]], axis=0),
            "concatenated along time",
        ),
        (
            lambda xs, pf, pb: np.concatenate([_run(pb, xs[::-1])[::-1], _run(pf, xs)], axis=1),
            "did you put the backward states first?",
        ),
    ],
)
def test_bidirectional_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_bidirectional(wrong)


# ---- exercise 5 -----------------------------------------------------------------------------


def _formula(mode, n_x, n_h, L, bi, *, k=None, biases=2, upper=None, D=None, first_only=False):
    k = {"rnn": 1, "gru": 3, "lstm": 4}[mode] if k is None else k
    D_true = 2 if bi else 1
    D = D_true if D is None else D
    total = 0
    for layer in range(L):
        n_in = n_x if layer == 0 or first_only else (D_true * n_h if upper is None else upper)
        total += D * k * n_h * (n_in + n_h + biases)
    return total


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda m, x, h, L, bi: _formula(m, x, h, L, bi, biases=1), "counts one bias"),
        (lambda m, x, h, L, bi: _formula(m, x, h, L, bi, upper=h), "read 2 n_h features"),
        (lambda m, x, h, L, bi: _formula(m, x, h, L, bi, k=1), "forgets the gates"),
        (lambda m, x, h, L, bi: _formula(m, x, h, L, bi, D=1), "forgets the second direction"),
        (lambda m, x, h, L, bi: _formula(m, x, h, L, bi, first_only=True), "n_x inputs"),
        (lambda m, x, h, L, bi: right_count(m, x, h, L, bi) + 1, "2 k n_h biases"),
        (lambda m, x, h, L, bi: "many", "should be a whole number"),
    ],
)
def test_count_params_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_count_params(wrong)
