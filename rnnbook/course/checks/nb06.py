"""Checks for the exercises of notebook 06 (language models)."""

from __future__ import annotations

import numpy as np

from rnnbook.course.checks import CheckFailed, call_student, expect_close, expect_shape, expect_true
from rnnbook.topics import information

# ------------------------------------------------------------------------------------------
# Exercise 1: entropy, KL divergence and cross-entropy in bits
# ------------------------------------------------------------------------------------------

_PAIRS = [
    ((0.8, 0.2), (0.5, 0.5)),
    ((0.8, 0.2), (0.88, 0.12)),
    ((0.5, 0.25, 0.125, 0.125), (0.1, 0.2, 0.3, 0.4)),
    ((0.0, 0.3, 0.7), (0.2, 0.2, 0.6)),  # a zero probability in p
]


def _scalar(name: str, got) -> float:
    arr = expect_shape(name, np.asarray(got, dtype=float), (), "return one number (a float)")
    if not np.isfinite(arr):
        raise CheckFailed(
            f"{name} is {arr.item()}: terms with p_i = 0 contribute 0 (0 log 0 = 0); skip them "
            "instead of computing log 0"
        )
    return float(arr)


def check_information(entropy_bits, kl_bits, cross_entropy_bits) -> None:
    """Exercise 1: H(p), D_KL(p ‖ q) and CE(p, q), all in bits."""
    ln2 = np.log(2.0)
    for p, q in _PAIRS:
        p_arr, q_arr = np.array(p), np.array(q)
        label = f"p = {p}"
        got = _scalar(f"entropy_bits({label})", call_student(entropy_bits, p_arr.copy()))
        want = information.entropy(p_arr)
        if np.isclose(got, want * ln2):
            raise CheckFailed(f"entropy_bits({label}) is in nats: use log base 2 (np.log2)")
        if np.isclose(got, -want):
            raise CheckFailed(f"entropy_bits({label}) has the wrong sign: H(p) = -Σ p_i log2 p_i")
        expect_close(f"entropy_bits({label})", got, want, hint="H(p) = Σ_i p_i log2(1 / p_i)")

        label = f"p = {p}, q = {q}"
        got = _scalar(f"kl_bits({label})", call_student(kl_bits, p_arr.copy(), q_arr.copy()))
        want = information.kl_divergence(p_arr, q_arr)
        if np.isclose(got, want * ln2):
            raise CheckFailed(f"kl_bits({label}) is in nats: use log base 2 (np.log2)")
        if np.isclose(got, information.kl_divergence(q_arr, p_arr)) and not np.isclose(got, want):
            raise CheckFailed(
                f"kl_bits({label}) computes D_KL(q ‖ p): the divergence is not symmetric; "
                "weight by p: Σ_i p_i log2(p_i / q_i)"
            )
        expect_close(f"kl_bits({label})", got, want, hint="D_KL(p ‖ q) = Σ_i p_i log2(p_i / q_i)")

        got = _scalar(
            f"cross_entropy_bits({label})",
            call_student(cross_entropy_bits, p_arr.copy(), q_arr.copy()),
        )
        want = information.cross_entropy(p_arr, q_arr)
        if np.isclose(got, want * ln2):
            raise CheckFailed(f"cross_entropy_bits({label}) is in nats: use log base 2")
        if np.isclose(got, information.cross_entropy(q_arr, p_arr)) and not np.isclose(got, want):
            raise CheckFailed(
                f"cross_entropy_bits({label}) swaps p and q: CE(p, q) = -Σ_i p_i log2 q_i "
                "(the true distribution weights the log of the model's)"
            )
        if np.isclose(got, information.kl_divergence(p_arr, q_arr)):
            raise CheckFailed(
                f"cross_entropy_bits({label}) equals D_KL(p ‖ q): the cross-entropy also "
                "contains the entropy, CE = H(p) + D_KL(p ‖ q)"
            )
        expect_close(f"cross_entropy_bits({label})", got, want, hint="CE(p, q) = -Σ_i p_i log2 q_i")


# ------------------------------------------------------------------------------------------
# Exercise 2: perplexity from per-token negative log-likelihoods
# ------------------------------------------------------------------------------------------


def check_perplexity_from_nll(perplexity_from_nll) -> None:
    """Exercise 2: exp(mean NLL) for nats, 2 ** (mean NLL) for bits."""
    rng = np.random.default_rng(6)
    cases = [np.array([0.5, 1.5, 1.0]), rng.uniform(0.1, 3.0, 25)]
    for nlls in cases:
        for unit in ("nats", "bits"):
            label = f"perplexity_from_nll(nlls of {len(nlls)} tokens, unit={unit!r})"
            got = call_student(perplexity_from_nll, nlls.copy(), unit, name="perplexity_from_nll")
            got = expect_shape(label, np.asarray(got, dtype=float), (), "return one number")
            mean = nlls.mean()
            want = np.exp(mean) if unit == "nats" else 2.0**mean
            other = 2.0**mean if unit == "nats" else np.exp(mean)
            if np.isclose(got, other) and not np.isclose(got, want):
                base, right = ("2", "e") if unit == "nats" else ("e", "2")
                raise CheckFailed(
                    f"{label} uses base {base}: a loss in {unit} is undone by {right} ** L"
                )
            exps = np.exp(nlls) if unit == "nats" else 2.0**nlls
            if np.isclose(got, exps.mean()):
                raise CheckFailed(
                    f"{label} averages the per-token perplexities: average the NLLs first, "
                    "then exponentiate once (a geometric, not an arithmetic, mean)"
                )
            total = np.exp(nlls.sum()) if unit == "nats" else 2.0 ** nlls.sum()
            if np.isclose(got, total):
                raise CheckFailed(
                    f"{label} exponentiates the total NLL: divide by the number of tokens "
                    "(PP = P(x_1..x_T)^(-1/T))"
                )
            if np.isclose(got, mean):
                raise CheckFailed(f"{label} returns the mean NLL: exponentiate it")
            expect_close(label, got, want, rtol=1e-9)


# ------------------------------------------------------------------------------------------
# Exercise 3: bigram probabilities with add-k smoothing
# ------------------------------------------------------------------------------------------


def bigram_add_k_reference(tokens, vocab, k) -> np.ndarray:
    """P[i, j] = (c(v_i, v_j) + k) / (c(v_i) + k |V|), c(v_i) counting v_i as a context."""
    index = {w: i for i, w in enumerate(vocab)}
    counts = np.zeros((len(vocab), len(vocab)))
    for a, b in zip(tokens[:-1], tokens[1:]):
        counts[index[a], index[b]] += 1
    return (counts + k) / (counts.sum(axis=1, keepdims=True) + k * len(vocab))


_BIGRAM_CASES = [
    ("the cat sat on the mat the end".split(), ["cat", "end", "mat", "on", "sat", "the"], 1.0),
    (list("abracadabra"), list("abcdr"), 0.5),
    (list("aab"), list("abc"), 0.1),
]


def check_bigram_add_k(bigram_add_k) -> None:
    """Exercise 3: the |V| × |V| matrix of add-k bigram probabilities, rows = contexts."""
    for tokens, vocab, k in _BIGRAM_CASES:
        label = f"bigram_add_k({''.join(tokens)[:20]!r}..., k={k})"
        got = call_student(bigram_add_k, list(tokens), list(vocab), k, name="bigram_add_k")
        V = len(vocab)
        got = expect_shape(label, np.asarray(got, dtype=float), (V, V), "one row per context")
        want = bigram_add_k_reference(tokens, vocab, k)
        if np.allclose(got, want):
            continue
        if np.allclose(got, want.T):
            raise CheckFailed(
                f"{label} is transposed: row i is the context v_i, column j the next token v_j"
            )
        index = {w: i for i, w in enumerate(vocab)}
        counts = np.zeros((V, V))
        for a, b in zip(tokens[:-1], tokens[1:]):
            counts[index[a], index[b]] += 1
        row_sums = got.sum(axis=1)
        if np.allclose(got, (counts + k) / (counts.sum(axis=1, keepdims=True) + k)):
            raise CheckFailed(
                f"{label}: the rows sum to {np.round(row_sums, 3).tolist()}, not 1: k is "
                "added to every one of the |V| counts, so the denominator gets k |V|"
            )
        unigram = np.array([tokens.count(w) for w in vocab], dtype=float)[:, None]
        if np.allclose(got, (counts + k) / (unigram + k * V)):
            raise CheckFailed(
                f"{label}: the row of the last token {tokens[-1]!r} does not sum to 1: c(v_i) "
                "must count v_i as a context (followed by a token), so the last token of the "
                "text does not count; use the row sums of the bigram counts"
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            unsmoothed = counts / counts.sum(axis=1, keepdims=True)
        if np.allclose(np.nan_to_num(got), np.nan_to_num(unsmoothed)):
            raise CheckFailed(f"{label} has no smoothing: add k to every count")
        expect_true(
            np.allclose(row_sums, 1.0),
            f"{label}: the rows sum to {np.round(row_sums, 3).tolist()}, not 1",
        )
        expect_close(label, got, want, hint="P(v_j | v_i) = (c(v_i v_j) + k) / (c(v_i) + k |V|)")


# ------------------------------------------------------------------------------------------
# Exercise 4: next-token windows (x, y)
# ------------------------------------------------------------------------------------------


def make_windows_reference(ids, num_steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Non-overlapping windows: X[i] = ids[iT:(i+1)T], Y[i] = ids[iT+1:(i+1)T+1]."""
    ids = np.asarray(ids)
    n = (len(ids) - 1) // num_steps
    X = ids[: n * num_steps].reshape(n, num_steps)
    Y = ids[1 : n * num_steps + 1].reshape(n, num_steps)
    return X, Y


def check_make_windows(make_windows) -> None:
    """Exercise 4: inputs and targets shifted by one token, shape (N, T)."""
    for length, T in ((13, 4), (12, 4), (30, 5)):
        ids = np.arange(100, 100 + length)
        label = f"make_windows(ids of length {length}, num_steps={T})"
        out = call_student(make_windows, ids.copy(), T, name="make_windows")
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(f"{label} should return a pair (X, Y), got {type(out).__name__}")
        X, Y = (np.asarray(a) for a in out)
        X_ref, Y_ref = make_windows_reference(ids, T)
        if X.shape == (length // T, T) and X.shape != X_ref.shape:
            raise CheckFailed(
                f"{label} returned {length // T} windows, expected {X_ref.shape[0]}: the last "
                "target is one token after the last input, so only len(ids) - 1 tokens can be "
                "inputs: N = (len(ids) - 1) // num_steps"
            )
        expect_shape(f"X of {label}", X, X_ref.shape, "one row per window of num_steps tokens")
        expect_shape(f"Y of {label}", Y, Y_ref.shape, "Y has the shape of X")
        expect_close(f"X of {label}", X, X_ref, hint="window i holds ids[i*T : (i+1)*T]")
        if np.array_equal(Y, X_ref):
            raise CheckFailed(
                f"{label}: Y equals X; the target is the *next* token, ids shifted by one"
            )
        if np.array_equal(Y, X_ref - 1):
            raise CheckFailed(
                f"{label}: Y holds the previous token; the target of x^(t) is x^(t+1)"
            )
        expect_close(f"Y of {label}", Y, Y_ref, hint="Y[i, t] = ids[i*T + t + 1]")


# ------------------------------------------------------------------------------------------
# Exercise 5: softmax with a temperature
# ------------------------------------------------------------------------------------------


def temperature_softmax_reference(logits, tau: float) -> np.ndarray:
    z = np.asarray(logits, dtype=float) / tau
    z = np.exp(z - z.max())
    return z / z.sum()


def check_temperature_softmax(temperature_softmax) -> None:
    """Exercise 5: softmax(o / τ), stable for large logits."""
    o = np.array([2.0, 1.0, 0.1, -1.0])
    for tau in (1.0, 0.5, 2.0):
        label = f"temperature_softmax({o.tolist()}, tau={tau})"
        got = call_student(temperature_softmax, o.copy(), tau, name="temperature_softmax")
        got = expect_shape(
            label, np.asarray(got, dtype=float), o.shape, "one probability per token"
        )
        want = temperature_softmax_reference(o, tau)
        if np.allclose(got, want):
            continue
        if np.allclose(got, temperature_softmax_reference(o * tau, 1.0)):
            raise CheckFailed(
                f"{label} multiplies the logits by tau: divide them, o / tau (tau < 1 sharpens)"
            )
        if np.allclose(got, temperature_softmax_reference(o, 1.0) / tau):
            raise CheckFailed(
                f"{label} sums to {got.sum():.3f}: divide the logits by tau before the softmax, "
                "not the probabilities after it"
            )
        expect_true(np.isclose(got.sum(), 1.0), f"{label} sums to {got.sum():.4f}, not 1")
        expect_close(label, got, want, hint="softmax(o / tau)")
    big = np.array([1000.0, 999.0, 0.0])
    label = "temperature_softmax([1000, 999, 0], tau=0.5)"
    with np.errstate(over="ignore", invalid="ignore"):
        got = call_student(temperature_softmax, big.copy(), 0.5, name="temperature_softmax")
    got = np.asarray(got, dtype=float)
    if got.shape == big.shape and not np.all(np.isfinite(got)):
        raise CheckFailed(
            f"{label} overflows (exp(2000) is inf): subtract the largest logit before "
            "exponentiating; the softmax does not change"
        )
    expect_close(label, got, temperature_softmax_reference(big, 0.5), hint="softmax(o / tau)")
