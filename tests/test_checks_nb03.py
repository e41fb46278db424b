"""The checkers of notebook 03 accept the right answers and reject plausible wrong ones."""

import re

import numpy as np
import pytest

from rnnbook import cells
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb03 as checks


def _stub(*args, **kwargs):
    raise NotImplementedError()


# ---- right answers, written with the library where it has them ------------------------------


def right_one_hot(words, vocab):
    return cells.one_hot(np.array([vocab.index(w) for w in words]), len(vocab))


def right_jacobian(x_t, h_prev, U, W, b):
    h_t = np.tanh(b + W @ h_prev + U @ x_t)
    return np.diag(1 - h_t[:, 0] ** 2) @ W


def right_fit_readout(sentences, tags, vocab, U, W, b):
    n_h = W.shape[0]
    H = np.concatenate(
        [
            right_elman(right_one_hot(s, vocab).T[:, :, None], np.zeros((n_h, 1)), U, W, b)[:, :, 0]
            for s in sentences
        ]
    )
    Y = np.eye(2)[np.concatenate([np.asarray(t) for t in tags])]
    theta = np.linalg.lstsq(np.c_[H, np.ones(len(H))], Y, rcond=None)[0]
    return theta[:n_h].T, theta[n_h:].T


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


def test_right_answers_pass():
    checks.check_one_hot_sentence(right_one_hot)
    checks.check_elman_forward(right_elman)
    checks.check_elman_jacobian(right_jacobian)
    checks.check_answer_q3(0.5)
    checks.check_jordan_step(right_jordan)
    checks.check_answer_q5(" B ")
    checks.check_bidirectional(right_bidirectional)
    checks.check_tagger(right_one_hot, right_fit_readout)


@pytest.mark.parametrize(
    "checker",
    [
        checks.check_one_hot_sentence,
        checks.check_elman_forward,
        checks.check_elman_jacobian,
        checks.check_jordan_step,
        checks.check_bidirectional,
        lambda f: checks.check_tagger(right_one_hot, f),
        lambda f: checks.check_answer_q3(None),
        lambda f: checks.check_answer_q5(None),
    ],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


# ---- exercise 7: the one-hot code -----------------------------------------------------------------------------


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

    def sorted_vocab(words, vocab):
        return right_one_hot(words, sorted(vocab))

    def sized_by_data(words, vocab):
        seen = [w for w in vocab if w in words]
        return right_one_hot(words, seen)

    with pytest.raises(CheckFailed, match="expected exactly one"):
        checks.check_one_hot_sentence(counts)
    with pytest.raises(CheckFailed, match="sorted vocabulary"):
        checks.check_one_hot_sentence(sorted_vocab)
    with pytest.raises(CheckFailed, match="size it by the vocabulary"):
        checks.check_one_hot_sentence(sized_by_data)


# ---- exercise 1 -----------------------------------------------------------------------------


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


# ---- exercise 4 -----------------------------------------------------------------------------


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


# ---- exercise 2 -----------------------------------------------------------------------------


def _jac(scale):
    def f(x_t, h_prev, U, W, b):
        h_t = np.tanh(b + W @ h_prev + U @ x_t)
        return scale(h_t, h_prev, W)

    return f


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_jac(lambda h, hp, W: W), "derivative at h\\^\\(t\\) is missing"),
        (_jac(lambda h, hp, W: (1 - hp**2) * W), "taken at h_prev"),
        (_jac(lambda h, hp, W: W * (1 - h**2).T), "scales the columns"),
        (_jac(lambda h, hp, W: h * (1 - h) * W), "sigmoid's derivative"),
        (_jac(lambda h, hp, W: (1 - h) * W), "not 1 − h"),
        (_jac(lambda h, hp, W: (1 - h**2) * W.T), "this is its transpose"),
        (_jac(lambda h, hp, W: -(1 - h**2) * W), "wrong sign"),
        (_jac(lambda h, hp, W: 2 * (1 - h**2) * W), "2 times"),
        (_jac(lambda h, hp, W: 1 - h**2), r"has shape \(\d, 1\)"),
    ],
)
def test_jacobian_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_elman_jacobian(wrong)


# ---- exercises 3 and 5: only the form is checked here ----------------------------------------


@pytest.mark.parametrize(
    "check, value, hint",
    [
        (checks.check_answer_q3, "stable", "should be a number"),
        (checks.check_answer_q3, float("nan"), "finite"),
        (checks.check_answer_q3, -0.3, "positive"),
        (checks.check_answer_q5, "e", "one of the letters"),
        (checks.check_answer_q5, 3, "one of the letters"),
    ],
)
def test_understand_form(check, value, hint):
    with pytest.raises(CheckFailed, match=hint):
        check(value)


def test_understand_form_passes_and_says_when_it_is_graded(capsys):
    checks.check_answer_q3(0.66)
    checks.check_answer_q5("a")
    assert capsys.readouterr().out.count("graded when you hand in") == 2


# ---- exercise 7: the tagger --------------------------------------------------------------------


def _fit_then(change):
    def fit(sentences, tags, vocab, U, W, b):
        return change(*right_fit_readout(sentences, tags, vocab, U, W, b))

    return fit


def test_tagger_without_context_fails():
    def word_by_word(sentences, tags, vocab, U, W, b):  # every word from a zero state
        return right_fit_readout(sentences, tags, vocab, U, np.zeros_like(W), b)

    with pytest.raises(CheckFailed, match="ambiguous words.*one word at a time"):
        checks.check_tagger(right_one_hot, word_by_word)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (_fit_then(lambda V, c: (V.T, c)), r"expected \(2, n_h\)"),
        (_fit_then(lambda V, c: (V[::-1], c[::-1])), "swapped"),
        (_fit_then(lambda V, c: V), r"should return a tuple \(V, c\)"),
        (_fit_then(lambda V, c: (V, np.zeros((3, 1)))), r"c has shape \(3, 1\)"),
    ],
)
def test_tagger_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_tagger(right_one_hot, wrong)


def test_tagger_accepts_a_flat_bias():
    checks.check_tagger(right_one_hot, _fit_then(lambda V, c: (V, c[:, 0])))
