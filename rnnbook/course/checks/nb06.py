"""Checks for the exercises of notebook 06 (language models).

The character-level model of exercises 4 and 5 is the tanh Elman network of notebook 04 with
one-hot inputs: a vocabulary is a list of distinct characters, ``vocab[i]`` the character of
index i (in no particular order), ``theta`` holds ``U (n_h, |V|)``, ``W (n_h, n_h)``,
``b (n_h, 1)``, ``V (|V|, n_h)`` and ``c (|V|, 1)``, and

    h^(t) = tanh(b + W h^(t−1) + U x^(t)),   o^(t) = c + V h^(t),   P(x^(t+1) | x^(≤t)) = softmax(o^(t))

with h^(0) = 0 and x^(t) the one-hot vector of the t-th character.
"""

from __future__ import annotations

import time

import numpy as np

from rnnbook import bptt, cells, data, text
from rnnbook.course.checks import (  # noqa: F401 - the notebook calls them as checks.…
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_gradient,
    expect_shape,
    expect_true,
    unpack,
)
from rnnbook.course.hints import Hints
from rnnbook.topics import ngram

HINTS = {
    "ex1": [
        "Go backwards through the forward pass, one line at a time: from the loss to o, from o "
        "to h (and to V and c), from h to e through the tanh, and from e to W_emb.",
        "The gradient with respect to o is the one of notebook 02's softmax and cross-entropy; "
        "do not forget that the loss is a mean over the B examples.",
        "e = W_emb[:, x] copies columns of W_emb. A token that occurs several times in x receives the "
        "sum of the gradients of all its occurrences; a column no token used gets zero. "
        "Careful: dW_emb[:, x] += de does not add up repeated indices (np.add.at does).",
    ],
    "ex2": [
        "A loss in bits is undone with 2 ** L, a loss in nats with e ** L, and L must be a "
        "mean per token: per word here, not per character.",
        "Divide the total by the number of words to get the bits per word, then exponentiate.",
    ],
    "ex3": [
        "Training minimised the cross-entropy of softmax(o) on text like the held-out text. "
        "Which κ leaves softmax(o / κ) equal to that distribution?",
        "What does one confident wrong prediction cost in perplexity? And what is the "
        "perplexity of the uniform distribution?",
    ],
    "ex4": [
        "Start from h = 0 and feed the prefix one character at a time (its one-hot vector is "
        "a column of U); only the output after the last prefix character is used.",
        "Then, `length` times: p = softmax(o / κ), draw an index i with rng.choice(len(vocab), "
        "p=p) (never np.random: the rng argument makes a sample reproducible), append vocab[i], "
        "and feed i back in as the next input.",
        "Subtract the largest value from o / κ before exponentiating, or a small κ overflows.",
    ],
    "ex5": [
        "Turn the text into indices with the vocabulary (vocab.index(ch), or a dict), and cut "
        "them into B rows; windows of T steps of each row, in order, with targets shifted by "
        "one, let the state carry from one window to the next.",
        "For the gradient use the BPTT of notebook 04, rnnbook.bptt.elman_bptt(theta, xs, ys, "
        "h0), with xs the one-hot inputs (T, |V|, B) and ys the targets (T, B). Clip the "
        "gradient's global norm (notebook 05) and take an Adam step (rnnbook.optim.Adam).",
        "A 64-unit network, windows of 32 steps, batches of 32 rows, Adam with learning rate "
        "0.01 and about 300 steps train in a few seconds. Initialise with small random weights "
        "drawn from rng (e.g. normal with standard deviation 0.1), biases zero.",
    ],
}
hint = Hints("06", HINTS)

MAX_HIDDEN = 256  # a bound on n_h, so that training stays within the time limit
TRAIN_CHARS, HELDOUT_CHARS = 30_000, 6_000
SAMPLE_KAPPA, SAMPLE_LENGTH, MIN_WORD_SHARE = 0.5, 400, 0.5
PREFIX = "the time traveller "


def load_book() -> str:
    """The Time Machine, lower-cased, every run of non-letters one space (27 characters)."""
    return text.d2l_preprocess(data.load_corpus("timemachine"))


# ----------------------------------------------------------------------------------------------
# shared: the forward pass, and the forms of the understand answers
# ----------------------------------------------------------------------------------------------


def _log_softmax(o):
    shifted = o - o.max(axis=0, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))


def char_log_probs(theta, vocab, chars: str) -> np.ndarray:
    """log P(chars[t+1] | chars[:t+1]) under the model, for t = 0 … len(chars) − 2 (nats)."""
    index = {ch: i for i, ch in enumerate(vocab)}
    ids = np.array([index[ch] for ch in chars])
    n_h = theta["W"].shape[0]
    cell = cells.ElmanCell(len(vocab), n_h)
    xs = cells.one_hot(ids[:-1], len(vocab))[:, :, None].transpose(1, 0, 2)  # (T, |V|, 1)
    logits, _ = bptt.sequence_forward(cell, theta, xs, cell.init_state(1))
    log_p = _log_softmax(logits[:, :, 0].T)  # (|V|, T)
    return log_p[ids[1:], np.arange(len(ids) - 1)]


def perplexity(theta, vocab, chars: str) -> float:
    """exp of the mean negative log-likelihood per predicted character."""
    return float(np.exp(-np.mean(char_log_probs(theta, vocab, chars))))


# ----------------------------------------------------------------------------------------------
# Exercise 1: the gradients of a neural bigram model
# ----------------------------------------------------------------------------------------------

BIGRAM_KEYS = ("W_emb", "V", "c")


def neural_bigram_loss(theta, x, y) -> float:
    """The forward pass: e = W_emb[:, x], h = tanh(e), o = c + V h, mean cross-entropy over B."""
    e = theta["W_emb"][:, x]
    return _head_loss(theta, np.tanh(e), y)


def _head_loss(theta, h, y):
    o = theta["c"] + theta["V"] @ h
    return float(-_log_softmax(o)[y, np.arange(len(y))].mean())


def _numerical(f, arrays: dict, eps=1e-6) -> dict:
    grads = {}
    for key, a in arrays.items():
        g = np.zeros_like(a)
        for idx in np.ndindex(*a.shape):
            old = a[idx]
            a[idx] = old + eps
            up = f()
            a[idx] = old - eps
            down = f()
            a[idx] = old
            g[idx] = (up - down) / (2 * eps)
        grads[key] = g
    return grads


def random_bigram_case(rng, n_vocab, d, B):
    theta = {
        "W_emb": rng.normal(0, 0.8, (d, n_vocab)),
        "V": rng.normal(0, 0.8, (n_vocab, d)),
        "c": rng.normal(0, 0.3, (n_vocab, 1)),
    }
    # every token at least once, some twice, one never (its column's gradient is zero)
    x = np.concatenate([rng.permutation(n_vocab - 1), rng.integers(0, n_vocab - 1, B)])
    x = rng.permutation(x)[:B] if B < len(x) else rng.permutation(x)
    y = rng.integers(0, n_vocab, len(x))
    y[rng.integers(len(y))] = n_vocab - 1
    return theta, x, y


def check_neural_bigram_grads(neural_bigram_grads, rng=None) -> None:
    """Exercise 1: ``neural_bigram_grads(theta, x, y) -> (loss, grads)`` against central
    finite differences of the forward pass in float64; named mistakes."""
    if rng is None:
        rng = np.random.default_rng(6)
        sizes = [(5, 3, 9), (4, 4, 7)]  # (|V|, d, B): one non-square, one square V
    else:
        sizes = [(int(rng.integers(4, 8)), int(rng.integers(2, 5)), int(rng.integers(8, 14)))]
        sizes.append((sizes[0][1], sizes[0][1], int(rng.integers(6, 12))))
    for n_vocab, d, B in sizes:
        theta, x, y = random_bigram_case(rng, n_vocab, d, B)
        _check_bigram_once(neural_bigram_grads, theta, x, y)


def _check_bigram_once(neural_bigram_grads, theta, x, y):
    B = len(x)
    label = f"neural_bigram_grads(theta, x, y) with |V| = {len(theta['c'])}, B = {B}"
    out = call_student(
        neural_bigram_grads,
        {k: v.copy() for k, v in theta.items()},
        x.copy(),
        y.copy(),
        name="neural_bigram_grads",
        derive=True,
    )
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise CheckFailed(f"{label} should return a pair (loss, grads), got {type(out).__name__}")
    loss, grads = out
    expect_true(
        isinstance(grads, dict) and set(grads) == set(BIGRAM_KEYS),
        f"{label}: grads should be a dict with the keys {list(BIGRAM_KEYS)}, got "
        f"{sorted(grads) if isinstance(grads, dict) else type(grads).__name__}",
    )
    (loss,) = unpack((loss,), "neural_bigram_grads's loss", ("loss",))
    want_loss = neural_bigram_loss(theta, x, y)
    if np.isclose(float(loss), want_loss * B):
        raise CheckFailed(f"{label}: the loss is the sum over the batch; it is the mean")
    expect_true(
        np.isclose(float(loss), want_loss, rtol=1e-7),
        f"{label}: the loss is {float(loss):.6g}, expected {want_loss:.6g} (the forward pass)",
    )
    probe = {k: v.copy() for k, v in theta.items()}
    want = _numerical(lambda: neural_bigram_loss(probe, x, y), probe)
    # the gradients of the looked-up vectors and of h, one column per example (finite
    # differences of the same forward pass with e or h as its input)
    e = probe["W_emb"][:, x].copy()
    de = _numerical(lambda: _head_loss(probe, np.tanh(e), y), {"e": e})["e"]
    h = np.tanh(probe["W_emb"][:, x])
    dh = _numerical(lambda: _head_loss(probe, h, y), {"h": h})["h"]
    overwrite = np.zeros_like(probe["W_emb"])
    overwrite[:, x] = de  # the last occurrence of a repeated token wins
    no_tanh = np.zeros_like(probe["W_emb"])
    np.add.at(no_tanh.T, x, dh.T)
    expect_gradient(
        f"{label}: grads['W_emb']",
        grads["W_emb"],
        want["W_emb"],
        atol=1e-7,
        reference="∇_{W_emb} L (central differences)",
        mistakes=[
            (
                overwrite,
                "a token that occurs several times in x keeps only one occurrence's gradient: "
                "the gradients of all its occurrences must be added up (dW_emb[:, x] = … and "
                "dW_emb[:, x] += … both overwrite repeated indices; use np.add.at or a loop)",
            ),
            (no_tanh, "the derivative of the tanh between e and h is missing"),
        ],
    )
    for key in ("V", "c"):
        expect_gradient(
            f"{label}: grads['{key}']",
            grads[key],
            want[key],
            atol=1e-7,
            reference=f"∇_{key} L (central differences)",
        )


# ----------------------------------------------------------------------------------------------
# Exercise 4: sampling with a temperature
# ----------------------------------------------------------------------------------------------


def _sample(sample_chars, theta, vocab, prefix, length, kappa, rng, label):
    out = call_student(
        sample_chars,
        {k: v.copy() for k, v in theta.items()},
        list(vocab),
        prefix,
        length,
        kappa,
        rng,
        name="sample_chars",
    )
    if not isinstance(out, str):
        raise CheckFailed(f"{label} should return a string, got {type(out).__name__}")
    expect_true(
        len(out) == length,
        f"{label} returned {len(out)} characters; expected length = {length} new characters "
        "(without the prefix)",
    )
    strange = sorted(set(out) - set(vocab))
    expect_true(not strange, f"{label} returned characters not in vocab: {strange}")
    return out


def constant_theta(vocab, logits, n_h=3):
    """A model whose output does not depend on its input: o^(t) = c = logits."""
    n = len(vocab)
    return {
        "U": np.zeros((n_h, n)),
        "W": np.zeros((n_h, n_h)),
        "b": np.zeros((n_h, 1)),
        "V": np.zeros((n, n_h)),
        "c": np.asarray(logits, dtype=float).reshape(n, 1),
    }


def successor_theta(vocab, successor, gap=30.0):
    """A model that, after the character of index j, predicts index successor[j] with a margin
    of ``gap`` in the logits: h^(t) ≈ 2 x^(t) − 1 (tanh saturated), W = 0."""
    n = len(vocab)
    target = np.full((n, n), -gap / 2)
    target[successor, np.arange(n)] = gap / 2  # column j: the logits after character j
    return {
        "U": 10.0 * np.eye(n),
        "W": np.zeros((n, n)),
        "b": np.full((n, 1), -5.0),
        "V": 0.5 * target,
        "c": 0.5 * target.sum(axis=1, keepdims=True),
    }


def _greedy(theta, vocab, prefix, length):
    """The most likely continuation, and the smallest gap between the best two logits."""
    index = {ch: i for i, ch in enumerate(vocab)}
    n_h = theta["W"].shape[0]
    cell = cells.ElmanCell(len(vocab), n_h)
    state, gap, out = cell.init_state(1), np.inf, []
    ids = [index[ch] for ch in prefix]
    for t in range(len(prefix) + length - 1):
        i = ids[t] if t < len(prefix) else out[-1]
        x_t = cells.one_hot(np.array([i]), len(vocab))
        state, _ = cell.forward({k: theta[k] for k in "UWb"}, state, x_t)
        if t >= len(prefix) - 1:
            o = (theta["c"] + theta["V"] @ state.h).ravel()
            top = np.sort(o)[-2:]
            gap = min(gap, top[1] - top[0])
            out.append(int(np.argmax(o)))
    return "".join(vocab[i] for i in out), gap


def random_theta(rng, n, n_h, scale):
    return {
        "U": rng.normal(0, 1.0, (n_h, n)),
        "W": rng.normal(0, 2.0 / np.sqrt(n_h), (n_h, n_h)),
        "b": rng.normal(0, 0.3, (n_h, 1)),
        "V": rng.normal(0, scale, (n, n_h)),
        "c": rng.normal(0, 0.3, (n, 1)),
    }


def check_sample_chars(sample_chars, rng=None) -> None:
    """Exercise 4: ``sample_chars(theta, vocab, prefix, length, kappa, rng) -> str``.

    Every index of the vocabulary reachable (and mapped to its own character); the draws
    follow softmax(o / κ); the same rng seed gives the same text, another seed another text;
    the prefix is read and each drawn character fed back in.
    """
    if rng is None:
        rng = np.random.default_rng(4)
        vocab = list("tq zeoa")  # no particular order
    else:
        letters = list("abcdefghijklmnopqrstuvwxyz ")
        vocab = list(rng.choice(letters, size=int(rng.integers(5, 12)), replace=False))
    n = len(vocab)
    seed = int(rng.integers(2**31))
    # every index reachable: a model that is certain of index j
    for j in range(n):
        logits = np.zeros(n)
        logits[j] = 40.0
        label = f"sample_chars(model certain of vocab[{j}] = {vocab[j]!r}, kappa=1.0)"
        got = _sample(
            sample_chars, constant_theta(vocab, logits), vocab, vocab[0], 5, 1.0,
            np.random.default_rng(seed), label,
        )  # fmt: skip
        if got != vocab[j] * 5:
            raise CheckFailed(
                f"{label} gave {got!r}, expected {vocab[j] * 5!r}: index i of the output "
                "means vocab[i], and every index, the last one included, must be possible"
            )
    # the draws follow softmax(o / κ)
    logits = rng.normal(0, 1.0, n)
    logits[int(rng.integers(n))] += 1.5
    draws = 3000
    for kappa in (0.5, 2.0):
        label = f"sample_chars(model with fixed logits o, kappa={kappa}, length={draws})"
        got = _sample(
            sample_chars, constant_theta(vocab, logits), vocab, vocab[-1], draws, kappa,
            np.random.default_rng(seed + 1), label,
        )  # fmt: skip
        freq = np.array([got.count(ch) for ch in vocab]) / draws
        _expect_distribution(label, freq, logits, kappa, draws)
    # the rng argument is honoured
    logits = np.zeros(n)
    label = "sample_chars(uniform model, kappa=1.0, length=40)"
    one = _sample(
        sample_chars, constant_theta(vocab, logits), vocab, vocab[1], 40, 1.0,
        np.random.default_rng(seed + 2), label,
    )  # fmt: skip
    again = _sample(
        sample_chars, constant_theta(vocab, logits), vocab, vocab[1], 40, 1.0,
        np.random.default_rng(seed + 2), label,
    )  # fmt: skip
    other = _sample(
        sample_chars, constant_theta(vocab, logits), vocab, vocab[1], 40, 1.0,
        np.random.default_rng(seed + 3), label,
    )  # fmt: skip
    expect_true(
        one == again,
        f"{label} gave two different texts for two generators with the same seed: draw every "
        "random number from the rng argument (rng.choice, rng.random), never from np.random",
    )
    expect_true(
        one != other,
        f"{label} gave the same text for two generators with different seeds: draw the "
        "characters at random with the rng argument",
    )
    # the prefix is read, and each drawn character is fed back in
    order = rng.permutation(n)  # one cycle through the whole vocabulary: no fixed point
    successor = np.empty(n, dtype=int)
    successor[order] = np.roll(order, -1)
    theta = successor_theta(vocab, successor)
    start = int(rng.integers(n))
    prefix = "".join(rng.choice(vocab, 3)) + vocab[start]
    want, i = [], start
    for _ in range(2 * n):
        i = int(successor[i])
        want.append(vocab[i])
    want = "".join(want)
    label = f"sample_chars(model whose next character follows the current one, {prefix!r})"
    got = _sample(
        sample_chars, theta, vocab, prefix, 2 * n, 0.5, np.random.default_rng(seed), label
    )
    if got != want:
        if got[0] != want[0]:
            raise CheckFailed(
                f"{label} gave {got!r}, expected {want!r}: the first character is drawn from "
                "the output after the last character of the prefix (feed the whole prefix, "
                "starting from h = 0)"
            )
        raise CheckFailed(
            f"{label} gave {got!r}, expected {want!r}: each drawn character must be fed back "
            "in as the next input"
        )
    # the recurrence: a model whose most likely continuation depends on the whole prefix
    # and on W (it differs from what reading only the last character, or W = 0, would give)
    for _ in range(200):
        theta = random_theta(rng, n, 6, 4.0)
        prefix = "".join(rng.choice(vocab, 4))
        want, gap = _greedy(theta, vocab, prefix, 12)
        last_only = _greedy(theta, vocab, prefix[-1], 12)[0]
        no_w = _greedy({**theta, "W": np.zeros_like(theta["W"])}, vocab, prefix, 12)[0]
        if gap > 0.6 and want != last_only and want != no_w:
            break
    label = f"sample_chars(a random model, {prefix!r}, kappa=0.02)"
    got = _sample(sample_chars, theta, vocab, prefix, 12, 0.02, np.random.default_rng(seed), label)
    expect_true(
        got == want,
        f"{label} gave {got!r}; at this low temperature it should be the most likely "
        f"continuation, {want!r}: h^(t) = tanh(b + W h^(t−1) + U x^(t)) carries the state "
        "from step to step, and o^(t) = c + V h^(t)",
    )


def _expect_distribution(label, freq, logits, kappa, draws):
    def probs(z):
        z = np.exp(z - z.max())
        return z / z.sum()

    want = probs(logits / kappa)
    tol = 4 * np.sqrt(want * (1 - want) / draws) + 0.01
    if np.all(np.abs(freq - want) <= tol):
        return
    if freq.max() > 0.999:
        raise CheckFailed(
            f"{label} always gave the most likely character: draw the index at random from "
            "p = softmax(o / kappa) (rng.choice(len(vocab), p=p))"
        )
    for wrong, what in (
        (probs(logits * kappa), "multiplies the logits by kappa: divide them, o / kappa"),
        (probs(logits), "ignores kappa: the draws follow softmax(o), not softmax(o / kappa)"),
        (np.full(len(logits), 1 / len(logits)), "draws uniformly: use the model's p"),
    ):
        if np.all(np.abs(freq - wrong) <= tol):
            raise CheckFailed(f"{label} {what}")
    worst = int(np.argmax(np.abs(freq - want) - tol))
    raise CheckFailed(
        f"{label}: vocab[{worst}] came {freq[worst]:.3f} of the time, expected "
        f"{want[worst]:.3f} (softmax(o / kappa))"
    )


# ----------------------------------------------------------------------------------------------
# Exercise 5: a character-level language model, trained and measured
# ----------------------------------------------------------------------------------------------


def shuffled_vocab(rng) -> list[str]:
    return list(rng.permutation(list(" abcdefghijklmnopqrstuvwxyz")))


def word_share(sample: str, known_words: set) -> float:
    """The share of the complete words of ``sample`` (the first and last may be cut) that are
    words of the training text."""
    words = sample.split(" ")[1:-1]
    words = [w for w in words if w]
    return sum(w in known_words for w in words) / max(len(words), 1)


def check_train_char_lm(train_char_lm, book: str, *, start: int = 0, rng=None, sampler=None):
    """Exercise 5: train on ``book[start : start + TRAIN_CHARS]``; the grader measures the
    perplexity of the returned weights on the next ``HELDOUT_CHARS`` characters (which the
    student's function never sees) against the Kneser–Ney bigram fitted on the same training
    text. With ``sampler`` (a function like ``sample_chars``) it also samples from the weights
    and measures the share of real words. Returns the measurements."""
    train = book[start : start + TRAIN_CHARS]
    held = book[start + TRAIN_CHARS : start + TRAIN_CHARS + HELDOUT_CHARS]
    vocab = shuffled_vocab(np.random.default_rng(start + 11) if rng is None else rng)
    seed = 0 if rng is None else int(rng.integers(2**31))
    label = "train_char_lm(text, vocab, rng)"
    began = time.perf_counter()
    theta = call_student(
        train_char_lm, train, list(vocab), np.random.default_rng(seed), name="train_char_lm"
    )
    seconds = time.perf_counter() - began
    if not isinstance(theta, dict) or set(theta) != {"U", "W", "b", "V", "c"}:
        keys = sorted(theta) if isinstance(theta, dict) else type(theta).__name__
        raise CheckFailed(f"{label} should return theta, a dict with U, W, b, V, c; got {keys}")
    theta = {k: np.asarray(v, dtype=float) for k, v in theta.items()}
    n = len(vocab)
    n_h = np.shape(theta["W"])[0]
    expect_true(
        1 <= n_h <= MAX_HIDDEN,
        f"{label}: W has shape {np.shape(theta['W'])}; expected (n_h, n_h), n_h ≤ {MAX_HIDDEN}",
    )
    for key, shape in (
        ("U", (n_h, n)),
        ("W", (n_h, n_h)),
        ("b", (n_h, 1)),
        ("V", (n, n_h)),
        ("c", (n, 1)),
    ):
        expect_shape(f"{label}['{key}']", theta[key], shape, f"|V| = {n}, n_h = {n_h}")
    expect_true(
        all(np.all(np.isfinite(v)) for v in theta.values()),
        f"{label}: the weights contain NaN or inf",
    )
    bigram = ngram.NGramLM(2, "kneser_ney").fit(list(train)).perplexity(list(held))
    with np.errstate(all="ignore"):
        ppl = perplexity(theta, vocab, held)
    if not np.isfinite(ppl) or ppl > n:
        raise CheckFailed(
            f"{label}: the perplexity of your weights on the held-out text is {ppl:.3g}, worse "
            f"than guessing uniformly ({n}). Does index i of your one-hot vectors and of your "
            "outputs mean vocab[i], in the order given (not sorted)?"
        )
    expect_true(
        ppl < bigram,
        f"{label}: on the held-out text your model's perplexity is {ppl:.3f}; it must beat "
        f"the Kneser–Ney bigram fitted on the same training text, {bigram:.3f}: a recurrent "
        "model that cannot beat one character of context has not learned enough. Train "
        "longer (more steps) or with a larger learning rate, and check the windows' targets",
    )
    out = {"seconds": seconds, "ppl": ppl, "bigram": bigram, "theta": theta, "vocab": vocab}
    if sampler is not None:
        try:
            sample = sampler(
                theta, vocab, PREFIX, SAMPLE_LENGTH, SAMPLE_KAPPA, np.random.default_rng(7)
            )
        except Exception as err:  # noqa: BLE001 - the sampler is exercise 4's answer, not this one's
            print(f"(no sample drawn: sample_chars raised {type(err).__name__})")
            return out
        out["sample"] = sample
        out["word share"] = word_share(str(sample), set(train.split()))
    return out
