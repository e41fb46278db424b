"""Instructor-only references for the exercises of notebook 06 (not in the students' copy)."""

from __future__ import annotations

import numpy as np

from rnnbook import bptt, optim
from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice,
    expect_attempted,
    expect_gradient,
)
from rnnbook.course.checks import nb06 as visible
from rnnbook.course.references import fresh_rng

# ----------------------------------------------------------------------------------------------
# Exercise 1
# ----------------------------------------------------------------------------------------------


def neural_bigram_grads(theta, x, y):
    """Backward pass of e = W_emb[:, x], h = tanh(e), o = c + V h, mean cross-entropy."""
    W_emb, V, c = theta["W_emb"], theta["V"], theta["c"]
    B = len(x)
    h = np.tanh(W_emb[:, x])
    o = c + V @ h
    p = np.exp(o - o.max(axis=0))
    p /= p.sum(axis=0)
    loss = float(-np.log(p[y, np.arange(B)]).mean())
    do = p.copy()
    do[y, np.arange(B)] -= 1.0
    do /= B
    de = (1.0 - h**2) * (V.T @ do)
    dW_emb = np.zeros_like(W_emb)
    np.add.at(dW_emb.T, x, de.T)
    return loss, {"W_emb": dW_emb, "V": do @ h.T, "c": do.sum(axis=1, keepdims=True)}


def check_neural_bigram_grads(student) -> None:
    """Hidden: fresh sizes and tokens, the finite-difference check, then the reference on a
    larger batch with many repeated tokens."""
    rng = fresh_rng()
    visible.check_neural_bigram_grads(student, rng)
    theta, x, y = visible.random_bigram_case(rng, int(rng.integers(6, 10)), 3, 40)
    loss, grads = call_student(
        student,
        {k: v.copy() for k, v in theta.items()},
        x.copy(),
        y.copy(),
        name="neural_bigram_grads",
        derive=True,
    )
    ref_loss, ref = neural_bigram_grads(theta, x, y)
    if not np.isclose(float(loss), ref_loss):
        raise CheckFailed(f"neural_bigram_grads: loss {float(loss):.6g}, expected {ref_loss:.6g}")
    for key in visible.BIGRAM_KEYS:
        expect_gradient(f"neural_bigram_grads (B = 40): grads['{key}']", grads[key], ref[key])


# ----------------------------------------------------------------------------------------------
# Exercises 2 and 3
# ----------------------------------------------------------------------------------------------

Q2_BITS, Q2_CHARS, Q2_WORDS = 2840.0, 2000, 364


def word_perplexity() -> float:
    return float(2.0 ** (Q2_BITS / Q2_WORDS))


def check_q2(value) -> None:
    value = expect_attempted(value, "word_perplexity")
    try:
        got = float(value)
    except (TypeError, ValueError):
        raise CheckFailed(
            f"word_perplexity should be a number, got {type(value).__name__}"
        ) from None
    want = word_perplexity()
    if np.isfinite(got) and abs(got - want) <= 0.02 * want:
        return
    per_char_bits = Q2_BITS / Q2_CHARS
    wrong = [
        (
            2.0**per_char_bits,
            "that is the perplexity per character; a word costs the bits of all its "
            "characters, so average the loss per word",
        ),
        (
            np.exp(Q2_BITS / Q2_WORDS),
            "the loss is in bits, which 2 ** L undoes; e ** L undoes a loss in nats",
        ),
        (
            2.0**per_char_bits * Q2_CHARS / Q2_WORDS,
            "perplexities do not add up over the characters of a word, losses do: the "
            "per-word loss is the per-character loss times the characters per word, and the "
            "perplexity is 2 to that power",
        ),
        (Q2_BITS / Q2_WORDS, "that is the loss per word in bits: exponentiate it"),
    ]
    for value_wrong, why in wrong:
        if np.isfinite(got) and abs(got - value_wrong) <= 0.02 * abs(value_wrong):
            raise CheckFailed(f"word_perplexity = {got:.6g} is not right: {why}")
    raise CheckFailed(
        f"word_perplexity = {got:.6g} is not right: the perplexity is 2 ** (mean loss in bits "
        "per word)"
    )


Q3_ANSWER = "b"
Q3_WHY = {
    "a": "a sharper distribution puts less probability on the characters that do come "
    "whenever the model is unsure, and a single confident mistake costs log(1 / tiny), which "
    "a mean over the text does not forgive: the perplexity rises as κ → 0",
    "c": "as κ grows softmax(o / κ) tends to the uniform distribution, whose perplexity is "
    "|V|: the model's knowledge is thrown away",
    "d": "the perplexity is computed from the probabilities the model assigns, so changing "
    "them with κ changes it; κ = 1 is the only value at which they are the trained ones",
}


def check_q3(value) -> None:
    check_choice("answer_q3", value, Q3_ANSWER, Q3_WHY)


# ----------------------------------------------------------------------------------------------
# Exercises 4 and 5
# ----------------------------------------------------------------------------------------------


def sample_chars(theta, vocab, prefix, length, kappa, rng):
    """Feed the prefix from h = 0, then draw ``length`` characters from softmax(o / κ)."""
    index = {ch: i for i, ch in enumerate(vocab)}
    U, W, b, V, c = (theta[k] for k in ("U", "W", "b", "V", "c"))
    h = np.zeros((W.shape[0], 1))
    for ch in prefix:
        h = np.tanh(b + W @ h + U[:, [index[ch]]])
    out = []
    for _ in range(length):
        z = (c + V @ h).ravel() / kappa
        p = np.exp(z - z.max())
        i = int(rng.choice(len(vocab), p=p / p.sum()))
        out.append(vocab[i])
        h = np.tanh(b + W @ h + U[:, [i]])
    return "".join(out)


def train_char_lm(text, vocab, rng, *, n_h=64, steps=400, T=32, B=32, lr=0.01):
    """The reference: Adam on elman_bptt over windows that carry the state, clipped at 1."""
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in text])
    n = len(vocab)
    theta = {
        "U": rng.normal(0, 0.1, (n_h, n)),
        "W": rng.normal(0, 0.5 / np.sqrt(n_h), (n_h, n_h)),
        "b": np.zeros((n_h, 1)),
        "V": rng.normal(0, 0.1, (n, n_h)),
        "c": np.zeros((n, 1)),
    }
    cols = (len(ids) - 1) // B
    inputs, targets = ids[: cols * B].reshape(B, cols), ids[1 : cols * B + 1].reshape(B, cols)
    opt = optim.Adam(theta, lr=lr)
    h, pos, eye = np.zeros((n_h, B)), 0, np.eye(n)
    for _ in range(steps):
        if pos + T > cols:
            h, pos = np.zeros((n_h, B)), 0
        xs = eye[:, inputs[:, pos : pos + T]].transpose(2, 0, 1)  # (T, |V|, B)
        ys = targets[:, pos : pos + T].T
        _, grads, h = bptt.elman_bptt(theta, xs, ys, h)
        grads, _ = bptt.clip_grad_norm({k: g / T for k, g in grads.items()}, 1.0)
        opt.step(grads)
        pos += T
    return theta


def check_train_char_lm(train_char_lm_student, book: str) -> dict:
    """Hidden: a fresh part of the book, a fresh vocabulary order and seed; the perplexity
    check, then the words of a sample drawn by the reference sampler from the weights."""
    rng = fresh_rng()
    start = int(rng.integers(0, len(book) - visible.TRAIN_CHARS - visible.HELDOUT_CHARS))
    start = book.index(" ", start) + 1  # begin at a word
    got = visible.check_train_char_lm(
        train_char_lm_student, book, start=start, rng=rng, sampler=sample_chars
    )
    if got["word share"] < visible.MIN_WORD_SHARE:
        raise CheckFailed(
            f"train_char_lm: of the words sampled from your weights at κ = "
            f"{visible.SAMPLE_KAPPA}, {got['word share']:.0%} are words of the training text; "
            f"expected at least {visible.MIN_WORD_SHARE:.0%}. The sample: {got['sample'][:120]!r}"
        )
    return got
