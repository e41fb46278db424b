"""Checks for the exercises of notebook 03 (recurrent networks and unrolling).

Each checker replays the most plausible mistakes and names the one the answer matches, before
a generic message. The two "understand" questions are checked here only for their form (a
letter, a finite number); they are graded when the notebook is handed in. The tagger of
exercise 7 is measured here on held-out sentences with the library's forward pass, from the
read-out the student's function returns.

Shapes follow the numpy half of the course: columns are examples, ``x_t (n_x, B)``,
``h_t (n_h, B)``, biases ``(n_h, 1)``, sequences ``(T, n, B)``.
"""

from __future__ import annotations

import numpy as np

from rnnbook import cells
from rnnbook.course.checks import (
    CheckFailed,
    call_student,
    check_choice_form,
    check_number_form,
    expect_close,
    expect_gradient,
    expect_shape,
    expect_true,
    unpack,
)
from rnnbook.course.hints import Hints
from rnnbook.topics import tagging

HINTS = {
    "ex1": [
        "Keep one variable `h` for the current state: start it at `h0`, and inside a loop over "
        "`xs` (which yields the `x_t` of shape `(n_x, B)`, one step at a time) replace it by "
        "the new state.",
        "Append each new state to a list and `np.stack` the list at the end: the result has "
        "`T` entries, without `h0`.",
    ],
    "ex2": [
        "Entry `J[i, j]` asks how unit `i` of the new state moves when unit `j` of the old state "
        "moves. Write the chain rule for one entry: through the pre-activation `a_i`, then "
        "through the tanh of unit `i`.",
        "The derivative of the tanh can be read off its output `h^(t)` (notebook 03, section 4, "
        '"Measuring chaos", writes the product). Which index does that factor carry, `i` or '
        "`j`? That decides whether it scales the rows or the columns of `W`.",
    ],
    "ex3": [
        "Iterate `h = np.tanh(b + W @ h)` a few hundred times from `h0` and check that the "
        "change between two steps has become tiny: that is the fixed point.",
        "Call your `elman_jacobian` there with a zero input (`U` can be any `(2, 1)` array with "
        "`x_t = 0`), then take `np.max(np.abs(np.linalg.eigvals(J)))`.",
    ],
    "ex4": [
        "First decide what the step reads from the past, `s_prev`: the one-hot code of "
        "`y_prev` when teacher forcing is on, `o_prev` otherwise. Then the two equations.",
        "A one-hot code with examples as columns: `np.eye(n_y)[:, y_prev]` has shape "
        "`(n_y, B)`; `n_y` is the number of rows of `V`.",
    ],
    "ex5": [
        "With teacher forcing, what does step t read, and is it known before step t−1 has run?",
        "Ask of each statement: is it about training or about use, and at test time, who "
        "provides y^(t−1)?",
    ],
    "ex6": [
        "Write a small function that runs one Elman recurrence over a sequence from zeros and "
        "returns its states `(T, n_h, B)`; call it twice.",
        "The backward recurrence reads `xs[::-1]`; its first state belongs to step T, so "
        "reverse its states (`[::-1]`) before concatenating along `axis=1`.",
    ],
    "ex7": [
        "`one_hot_sentence`: the row of a word is its position in the list `vocab` "
        "(`vocab.index(word)`), and the matrix has `len(vocab)` rows whatever the sentence.",
        "`fit_readout`: run each sentence from a zero state with your `elman_forward` (inputs "
        "`X.T[:, :, None]`, shape `(T, |V|, 1)`) and collect every word's state as a row of a "
        "matrix `H`; the targets are rows of one-hot tags `Y`.",
        "Append a column of ones to `H` for the bias, solve `np.linalg.lstsq(H1, Y, rcond=None)` "
        "and split the solution into `V` (transpose of the first n_h rows) and `c`.",
    ],
}
hint = Hints("03", HINTS)


def _params(rng, n_x, n_h, scale=0.8):
    return {
        "U": rng.normal(scale=scale, size=(n_h, n_x)),
        "W": rng.normal(scale=scale, size=(n_h, n_h)),
        "b": rng.normal(scale=scale, size=(n_h, 1)),
    }


def _elman_states(params, xs, h0):
    """All hidden states h^(1..T) of the Elman recurrence, (T, n_h, B), from the library."""
    cell = cells.ElmanCell(params["U"].shape[1], params["U"].shape[0])
    states, _ = cells.unroll(cell, params, xs, cells.ElmanState(h0))
    return np.stack([s.h for s in states])


# --------------------------------------------------------------------------------------------
# Exercise 1: the Elman forward pass over a sequence


def _elman_mistake(got, p, xs, h0) -> str | None:
    """Which plausible mistake of exercise 1 reproduces ``got``, if any."""
    U, W, b = p["U"], p["W"], p["b"]
    diagnoses = [
        (lambda h, x: np.tanh(W @ h + U @ x), "the bias b is missing: a = b + W h + U x"),
        (lambda h, x: b + W @ h + U @ x, "the tanh is missing: h^(t) = tanh(b + W h + U x)"),
        (
            lambda h, x: cells.sigmoid(b + W @ h + U @ x),
            "uses the sigmoid: this exercise's nonlinearity is tanh",
        ),
        (
            lambda h, x: np.tanh(b + W @ h0 + U @ x),
            "every step reads h0: carry the new state into the next step (h_prev = h_t)",
        ),
        (
            lambda h, x: np.tanh(b + W @ h) + U @ x,
            "adds U x after the tanh: the input goes inside, tanh(b + W h + U x)",
        ),
    ]
    for step, why in diagnoses:
        h, out = h0, []
        for x_t in xs:
            h = step(h, x_t)
            out.append(h)
        if np.allclose(got, np.stack(out)):
            return why
    return None


def check_elman_forward(elman_forward) -> None:
    """Exercise 1: ``elman_forward(xs, h0, U, W, b) -> hs (T, n_h, B)``, the states h^(1..T)."""
    rng = np.random.default_rng(3)
    for T, n_x, n_h, B in ((5, 3, 4, 2), (1, 2, 3, 1), (7, 4, 2, 3)):
        p = _params(rng, n_x, n_h)
        xs = rng.normal(size=(T, n_x, B))
        h0 = rng.normal(scale=0.5, size=(n_h, B))
        args = (xs.copy(), h0.copy(), p["U"].copy(), p["W"].copy(), p["b"].copy())
        got = call_student(elman_forward, *args, name="elman_forward")
        label = f"elman_forward with T={T}, n_x={n_x}, n_h={n_h}, B={B}"
        expected = _elman_states(p, xs, h0)
        got = np.asarray(got, dtype=float)
        if got.shape == (T + 1, n_h, B):
            raise CheckFailed(
                f"{label} returned {T + 1} states; expected {T}: return h^(1), …, h^(T), "
                "without the initial state h0"
            )
        expect_shape(label, got, expected.shape, "stack the T hidden states along a first axis")
        if np.allclose(got, expected):
            continue

        why = _elman_mistake(got, p, xs, h0)
        if why is not None:
            raise CheckFailed(f"{label}: {why}")
        expect_close(label, got, expected, hint="h^(t) = tanh(b + W h^(t-1) + U x^(t))")


# --------------------------------------------------------------------------------------------
# Exercise 4: one Jordan step, with and without teacher forcing


def _jordan_params(rng, n_x, n_h, n_y):
    p = _params(rng, n_x, n_h)
    p["W"] = rng.normal(scale=0.8, size=(n_h, n_y))
    p["V"] = rng.normal(scale=0.8, size=(n_y, n_h))
    p["c"] = rng.normal(scale=0.8, size=(n_y, 1))
    return p


def _jordan_reference(params, o_prev, y_prev, x_t, teacher_forcing):
    n_y = params["V"].shape[0]
    cell = cells.JordanCell(params["U"].shape[1], params["U"].shape[0], n_y, feedback="output")
    h_dummy = np.zeros((cell.n_h, x_t.shape[1]))
    state = cells.JordanState(h_dummy, o_prev, o_prev)
    if teacher_forcing:
        state = cell.force(state, y_prev)
    new, _ = cell.forward(params, state, x_t)
    return new.h, new.o


def check_jordan_step(jordan_step) -> None:
    """Exercise 4: ``jordan_step(params, o_prev, y_prev, x_t, teacher_forcing) -> (h_t, o_t)``."""
    rng = np.random.default_rng(5)
    n_x, n_h, n_y, B = 3, 4, 5, 6
    params = _jordan_params(rng, n_x, n_h, n_y)
    o_prev = rng.normal(size=(n_y, B))
    y_prev = np.array([3, 0, 4, 1, 2, 0])  # every class, not in order
    x_t = rng.normal(size=(n_x, B))
    for forcing in (True, False):
        out = call_student(
            jordan_step,
            {k: v.copy() for k, v in params.items()},
            o_prev.copy(),
            y_prev.copy(),
            x_t.copy(),
            forcing,
            name="jordan_step",
        )
        label = f"jordan_step(..., teacher_forcing={forcing})"
        if not (isinstance(out, tuple) and len(out) == 2):
            raise CheckFailed(f"{label} should return a pair (h_t, o_t), got {type(out).__name__}")
        h_t, o_t = (np.asarray(a, dtype=float) for a in out)
        h_ref, o_ref = _jordan_reference(params, o_prev, y_prev, x_t, forcing)
        expect_shape(f"{label}: h_t", h_t, (n_h, B), "h_t is (n_h, B)")
        expect_shape(f"{label}: o_t", o_t, (n_y, B), "o_t is (n_y, B)")
        h_free, _ = _jordan_reference(params, o_prev, y_prev, x_t, False)
        h_forced, _ = _jordan_reference(params, o_prev, y_prev, x_t, True)
        if forcing and np.allclose(h_t, h_free):
            raise CheckFailed(
                f"{label}: h_t was computed from o_prev; with teacher forcing the step reads the "
                "one-hot target of the previous step, one_hot(y_prev), in place of o_prev"
            )
        if not forcing and np.allclose(h_t, h_forced):
            raise CheckFailed(
                f"{label}: h_t was computed from the target y_prev; without teacher forcing the "
                "network reads its own previous output o_prev"
            )
        if not forcing:
            soft = np.tanh(params["b"] + params["W"] @ cells.softmax(o_prev) + params["U"] @ x_t)
            if np.allclose(h_t, soft):
                raise CheckFailed(
                    f"{label}: h_t reads softmax(o_prev); this exercise feeds back the output "
                    "o_prev itself"
                )
        expect_close(
            f"{label}: h_t",
            h_t,
            h_ref,
            hint="h_t = tanh(b + W s + U x_t), s = one_hot(y_prev) with forcing, else o_prev",
        )
        if np.allclose(o_t, params["V"] @ h_ref):
            raise CheckFailed(f"{label}: o_t is missing the output bias c: o_t = c + V h_t")
        expect_close(f"{label}: o_t", o_t, o_ref, hint="o_t = c + V h_t")


# --------------------------------------------------------------------------------------------
# Exercise 6: a bidirectional layer


def check_bidirectional(bidirectional_forward) -> None:
    """Exercise 6: ``bidirectional_forward(xs, params_f, params_b) -> (T, 2 n_h, B)``."""
    rng = np.random.default_rng(7)
    for T, n_x, n_h, B in ((5, 3, 4, 2), (3, 2, 2, 1)):
        pf, pb = _params(rng, n_x, n_h), _params(rng, n_x, n_h)
        xs = rng.normal(size=(T, n_x, B))
        got = call_student(
            bidirectional_forward,
            xs.copy(),
            {k: v.copy() for k, v in pf.items()},
            {k: v.copy() for k, v in pb.items()},
            name="bidirectional_forward",
        )
        label = f"bidirectional_forward with T={T}, n_x={n_x}, n_h={n_h}, B={B}"
        zeros = np.zeros((n_h, B))
        fwd = _elman_states(pf, xs, zeros)
        bwd_read_order = _elman_states(pb, xs[::-1], zeros)
        bwd = bwd_read_order[::-1]
        expected = np.concatenate([fwd, bwd], axis=1)
        got = np.asarray(got, dtype=float)
        if got.shape == (2 * T, n_h, B):
            raise CheckFailed(
                f"{label} has shape {got.shape}: you concatenated along time; concatenate the "
                "two states of each step along the feature axis (axis=1), giving (T, 2 n_h, B)"
            )
        expect_shape(label, got, expected.shape, "(T, 2 n_h, B): forward rows, then backward rows")
        if np.allclose(got, expected):
            continue
        expect_close(
            f"{label}, rows :n_h (forward direction)",
            got[:, :n_h],
            fwd,
            hint=(
                "the first n_h rows are the forward layer's states h^(1..T) from zeros, with "
                "params_f (did you put the backward states first?)"
            ),
        )
        back = got[:, n_h:]
        if np.allclose(back, bwd_read_order):
            raise CheckFailed(
                f"{label}: the backward states are in reading order; reverse them so that row t "
                "holds the state after reading x^(T), …, x^(t), the state that belongs to step t"
            )
        if np.allclose(back, _elman_states(pb, xs, zeros)):
            raise CheckFailed(
                f"{label}: the backward layer read the sequence forward in time; feed it "
                "xs[::-1] (and reverse its outputs back)"
            )
        expect_close(
            f"{label}, rows n_h: (backward direction)",
            back,
            bwd,
            hint="run params_b over xs[::-1] from zeros, then reverse the states in time",
        )


# --------------------------------------------------------------------------------------------
# Exercise 2: the Jacobian of one Elman step


def _numerical_jacobian(x_t, h_prev, U, W, b, eps=1e-6):
    """Central differences of h^(t) with respect to h^(t-1), column by column, in float64."""
    n_h = W.shape[0]
    J = np.zeros((n_h, n_h))
    for j in range(n_h):
        e = np.zeros((n_h, 1))
        e[j] = eps
        up = np.tanh(b + W @ (h_prev + e) + U @ x_t)
        down = np.tanh(b + W @ (h_prev - e) + U @ x_t)
        J[:, j] = (up - down)[:, 0] / (2 * eps)
    return J


def check_elman_jacobian(elman_jacobian) -> None:
    """Exercise 2: ``elman_jacobian(x_t, h_prev, U, W, b) -> J (n_h, n_h)``, J[i, j] = ∂h_i/∂h_j."""
    for seed, n_x, n_h in ((11, 3, 4), (12, 2, 5)):
        rng = np.random.default_rng(seed)
        p = _params(rng, n_x, n_h)
        U, W, b = p["U"], p["W"], p["b"]
        x_t, h_prev = rng.normal(size=(n_x, 1)), np.tanh(rng.normal(size=(n_h, 1)))
        got = call_student(
            elman_jacobian,
            x_t.copy(),
            h_prev.copy(),
            U.copy(),
            W.copy(),
            b.copy(),
            name="elman_jacobian",
            derive=True,
        )
        numerical = _numerical_jacobian(x_t, h_prev, U, W, b)
        h_t = np.tanh(b + W @ h_prev + U @ x_t)
        d, d_prev = 1 - h_t**2, 1 - h_prev**2
        mistakes = [
            (W, "it is W alone: the tanh's derivative at h^(t) is missing"),
            (
                d_prev * W,
                "the tanh's derivative is taken at h_prev; the tanh that matters is the one that "
                "made h^(t), so read its derivative off h^(t)",
            ),
            (
                W * d.T,
                "the derivative scales the columns of W; it belongs to the output unit i, so it "
                "must scale the rows (diag(·) on the left of W)",
            ),
            (h_t * (1 - h_t) * W, "h(1 − h) is the sigmoid's derivative; this cell uses tanh"),
            ((1 - h_t) * W, "the derivative of tanh is 1 − h², not 1 − h"),
            (d * W.T, "J[i, j] is ∂h_i/∂h_prev_j: this is its transpose"),
        ]
        expect_gradient(
            f"elman_jacobian (n_x={n_x}, n_h={n_h})",
            got,
            numerical,
            mistakes=mistakes,
            rtol=1e-5,
            atol=1e-7,
            reference="the Jacobian from central finite differences",
        )


# --------------------------------------------------------------------------------------------
# Exercises 3 and 5: understanding (graded when handed in; here only the form)


def check_answer_q3(answer_q3) -> None:
    """Exercise 3: a finite, positive number (its value is graded when you hand in)."""
    check_number_form("answer_q3", answer_q3, positive=True, why="a spectral radius is positive")


def check_answer_q5(answer_q5) -> None:
    """Exercise 5: one of the letters a–d (graded when you hand in)."""
    check_choice_form("answer_q5", answer_q5)


# --------------------------------------------------------------------------------------------
# Exercise 7: one-hot encoding and a tagger with a least-squares read-out


def _check_one_hot_case(one_hot_sentence, words, vocab) -> None:
    label = f"one_hot_sentence({words}, vocab of {len(vocab)} words)"
    got = call_student(one_hot_sentence, list(words), list(vocab), name="one_hot_sentence")
    got = np.asarray(got, dtype=float)
    want = np.array([vocab.index(w) for w in words])
    expected = np.zeros((len(vocab), len(words)))
    expected[want, np.arange(len(words))] = 1.0
    distinct = len(set(words))
    if got.shape == expected.T.shape and got.shape != expected.shape:
        raise CheckFailed(
            f"{label} has shape {got.shape}, expected {expected.shape} = (len(vocab), T): "
            "the words are columns (examples as columns), so transpose your matrix"
        )
    if got.ndim == 2 and got.shape[0] == distinct != len(vocab):
        raise CheckFailed(
            f"{label} has {got.shape[0]} rows, the number of distinct words in the sentence: "
            f"size it by the vocabulary, len(vocab) = {len(vocab)} rows, so that every "
            "sentence is coded in the same space"
        )
    expect_shape(label, got, expected.shape, "one row per vocabulary word, one column per word")
    sums = got.sum(axis=0)
    if not np.allclose(sums, 1.0):
        t = int(np.argmax(np.abs(sums - 1.0)))
        raise CheckFailed(
            f"{label}: column {t} (the word {words[t]!r}) holds {sums[t]:g} ones, expected "
            "exactly one"
        )
    rows = got.argmax(axis=0)
    if np.array_equal(rows, want):
        expect_close(label, got, expected)
        return
    if np.array_equal(rows, [sorted(vocab).index(w) for w in words]):
        raise CheckFailed(
            f"{label}: the rows follow the sorted vocabulary; use the order of the list vocab "
            "as given (vocab.index(word)), which need not be sorted"
        )
    V = len(vocab)
    if np.all(rows == (want + 1) % V) or np.all(rows == (want - 1) % V):
        raise CheckFailed(
            f"{label}: every word's 1 sits one row away from its vocab index: an off-by-one; "
            "Python's list indices start at 0"
        )
    t = int(np.flatnonzero(rows != want)[0])
    raise CheckFailed(
        f"{label}: the word {words[t]!r} has its 1 in row {rows[t]}, expected row {want[t]}: "
        "use the word's position in the given vocab list, not its position in the sentence or "
        "in a vocabulary of your own"
    )


def check_one_hot_sentence(one_hot_sentence) -> None:
    """``one_hot_sentence(words, vocab) -> (len(vocab), len(words))`` on unsorted vocabularies."""
    vocab = ["lectures", "jon", "<unk>", "gave", "deep", "and", "zoe", "ethan", "learning"]
    cases = [
        "jon and ethan gave deep learning lectures".split(),
        ["lectures", "and", "lectures", "jon"],
        ["zoe", "learning", "deep", "<unk>", "ethan", "and", "gave", "jon", "lectures"],  # all
    ]
    for words in cases:
        _check_one_hot_case(one_hot_sentence, words, vocab)


def tagging_problem(rng, n_h: int = 120, n_train: int = 300, n_test: int = 300) -> dict:
    """Training and held-out sentences, an unsorted vocabulary and a fixed random network.

    U ``(n_h, |V|)`` and b are random; W is random with spectral radius 0.5, so that the state
    keeps a fading memory of the last few words.
    """
    words = [w for w in tagging.make_vocab().idx_to_token if w not in ("<unk>", tagging.PAD)]
    vocab = [words[i] for i in rng.permutation(len(words))]
    train, test = tagging.make_dataset(n_train, rng), tagging.make_dataset(n_test, rng)
    W = rng.normal(size=(n_h, n_h))
    W *= 0.5 / np.max(np.abs(np.linalg.eigvals(W)))
    U = rng.normal(size=(n_h, len(vocab)))
    b = rng.normal(scale=0.2, size=(n_h, 1))
    return {"vocab": vocab, "train": train, "test": test, "U": U, "W": W, "b": b}


def tagger_predictions(V, c, problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predicted and true tags of every held-out word, and which words are ambiguous."""
    U, W, b, vocab = problem["U"], problem["W"], problem["b"], problem["vocab"]
    index = {w: i for i, w in enumerate(vocab)}
    cell = cells.ElmanCell(U.shape[1], U.shape[0])
    predicted, truth, ambiguous = [], [], []
    for words, tags in zip(problem["test"].sentences, problem["test"].tags):
        xs = np.eye(len(vocab))[[index[w] for w in words]][:, :, None]  # (T, |V|, 1)
        states, _ = cells.unroll(cell, {"U": U, "W": W, "b": b}, xs, cell.init_state(1))
        scores = np.stack([c + V @ s.h for s in states])[:, :, 0]  # (T, 2)
        predicted.append(scores.argmax(axis=1))
        truth.append(np.array(tags))
        ambiguous.append(np.isin(words, tagging.AMBIGUOUS))
    return np.concatenate(predicted), np.concatenate(truth), np.concatenate(ambiguous)


def word_by_word_accuracy(problem) -> float:
    """Accuracy on the ambiguous held-out words of the best tagger that reads one word at a
    time: each word's most frequent tag in the training sentences."""
    majority = tagging.word_baseline(problem["train"])
    right = total = 0
    for words, tags in zip(problem["test"].sentences, problem["test"].tags):
        for w, t in zip(words, tags):
            if w in tagging.AMBIGUOUS:
                right, total = right + int(majority.get(w, 0) == t), total + 1
    return right / max(total, 1)


MIN_ACCURACY, MIN_AMBIGUOUS = 0.97, 0.85


def measure_tagger(fit_readout, problem, label: str) -> tuple[float, float]:
    """Call the student's ``fit_readout`` once, then measure its read-out on held-out words."""
    U, W, b = problem["U"], problem["W"], problem["b"]
    n_h = U.shape[0]
    train = problem["train"]
    out = call_student(
        fit_readout,
        [list(s) for s in train.sentences],
        [list(t) for t in train.tags],
        list(problem["vocab"]),
        U.copy(),
        W.copy(),
        b.copy(),
        name="fit_readout",
    )
    V, c = unpack(out, "fit_readout", ("V", "c"))
    if V.shape == (n_h, 2):
        raise CheckFailed(
            f"fit_readout: V has shape {V.shape}, expected (2, n_h) = (2, {n_h}): o = c + V h "
            "maps the n_h hidden units to the 2 tags (transpose the solution of lstsq)"
        )
    expect_shape("fit_readout: V", V, (2, n_h), "o = c + V h has one row per tag")
    if c.shape == (2,):
        c = c[:, None]
    expect_shape("fit_readout: c", c, (2, 1), "c is the output bias, one entry per tag")
    expect_true(np.all(np.isfinite(V)) and np.all(np.isfinite(c)), "fit_readout: V or c has NaN")
    predicted, truth, ambiguous = tagger_predictions(V, c, problem)
    accuracy = float(np.mean(predicted == truth))
    acc_amb = float(np.mean(predicted[ambiguous] == truth[ambiguous]))
    if accuracy < 0.5:
        raise CheckFailed(
            f"{label}: held-out accuracy {accuracy:.3f}, worse than always answering 'not a "
            "name': the tags look swapped (row 0 of V scores tag 0, row 1 scores tag 1)"
        )
    if acc_amb < MIN_AMBIGUOUS:
        base = word_by_word_accuracy(problem)
        raise CheckFailed(
            f"{label}: on the ambiguous words ('will', 'may', 'mark', 'bill') the held-out "
            f"accuracy is {acc_amb:.3f}; a tagger that reads one word at a time reaches "
            f"{base:.3f} here, and exercise 7 asks for at least {MIN_AMBIGUOUS}: the read-out "
            "needs states that carry the words before (run each sentence as one sequence "
            "from a zero state, carrying the state from word to word)"
        )
    if accuracy < MIN_ACCURACY:
        raise CheckFailed(
            f"{label}: held-out accuracy {accuracy:.3f}, below the {MIN_ACCURACY} that a "
            "least-squares read-out of these states reaches: did you fit every word of every "
            "sentence, with a bias column, against one-hot targets?"
        )
    return accuracy, acc_amb


def check_tagger(one_hot_sentence, fit_readout) -> None:
    """Exercise 7: the one-hot code, then the tagger, measured on 300 held-out sentences."""
    check_one_hot_sentence(one_hot_sentence)
    problem = tagging_problem(np.random.default_rng(2024))
    accuracy, acc_amb = measure_tagger(fit_readout, problem, "your tagger")
    print(
        f"held-out accuracy {accuracy:.3f}, on the ambiguous words {acc_amb:.3f} "
        f"(one word at a time: {word_by_word_accuracy(problem):.3f})"
    )
