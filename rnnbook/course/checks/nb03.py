"""Checks for the exercises of notebook 03 (recurrent networks and unrolling)."""

from __future__ import annotations

import numpy as np

from rnnbook import cells
from rnnbook.course.checks import CheckFailed, call_student, expect_close, expect_shape, expect_true


def _params(rng, n_x, n_h, scale=0.8):
    return {
        "U": rng.normal(scale=scale, size=(n_h, n_x)),
        "W": rng.normal(scale=scale, size=(n_h, n_h)),
        "b": rng.normal(scale=scale, size=(n_h, 1)),
    }


def _elman_states(params, xs, h0):
    """Reference: all hidden states h^(1..T) of the Elman recurrence, (T, n_h, B)."""
    cell = cells.ElmanCell(params["U"].shape[1], params["U"].shape[0])
    states, _ = cells.unroll(cell, params, xs, cells.ElmanState(h0))
    return np.stack([s.h for s in states])


# --------------------------------------------------------------------------------------------
# Exercise 1: one-hot encoding of a sentence


def check_one_hot_sentence(one_hot_sentence) -> None:
    """Exercise 1: ``one_hot_sentence(words, vocab) -> (len(vocab), len(words))``."""
    vocab = ["<unk>", "and", "deep", "ethan", "gave", "jon", "learning", "lectures"]
    cases = [
        "jon and ethan gave deep learning lectures".split(),
        ["lectures", "and", "lectures", "jon"],
    ]
    for words in cases:
        got = call_student(one_hot_sentence, list(words), list(vocab), name="one_hot_sentence")
        label = f"one_hot_sentence({words}, vocab)"
        expected = np.zeros((len(vocab), len(words)))
        expected[[vocab.index(w) for w in words], np.arange(len(words))] = 1.0
        got = np.asarray(got, dtype=float)
        if got.shape == expected.T.shape and got.shape != expected.shape:
            raise CheckFailed(
                f"{label} has shape {got.shape}, expected {expected.shape} = (len(vocab), T): "
                "the words are columns (examples as columns), so transpose your matrix"
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
        want = np.array([vocab.index(w) for w in words])
        if np.array_equal(rows, want):
            expect_close(label, got, expected)
            continue
        V = len(vocab)  # a shifted index wraps around (X[-1] is the last row)
        if np.all(rows == (want + 1) % V) or np.all(rows == (want - 1) % V):
            raise CheckFailed(
                f"{label}: every word's 1 sits one row away from its vocab index (the word "
                f"{words[0]!r}, index {want[0]}, is in row {rows[0]}): an off-by-one; Python's "
                "list indices start at 0"
            )
        t = int(np.flatnonzero(rows != want)[0])
        raise CheckFailed(
            f"{label}: the word {words[t]!r} has its 1 in row {rows[t]}, expected row "
            f"{want[t]}: use the word's position in the given vocab list, not its position in "
            "the sentence or in a vocabulary of your own"
        )


# --------------------------------------------------------------------------------------------
# Exercise 2: the Elman forward pass over a sequence


def _elman_mistake(got, p, xs, h0) -> str | None:
    """Which plausible mistake of exercise 2 reproduces ``got``, if any."""
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
    """Exercise 2: ``elman_forward(xs, h0, U, W, b) -> hs (T, n_h, B)``, the states h^(1..T)."""
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
# Exercise 3: one Jordan step, with and without teacher forcing


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
    """Exercise 3: ``jordan_step(params, o_prev, y_prev, x_t, teacher_forcing) -> (h_t, o_t)``."""
    rng = np.random.default_rng(5)
    n_x, n_h, n_y, B = 3, 4, 5, 3
    params = _jordan_params(rng, n_x, n_h, n_y)
    o_prev = rng.normal(size=(n_y, B))
    y_prev = np.array([4, 0, 2])
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
# Exercise 4: a bidirectional layer


def check_bidirectional(bidirectional_forward) -> None:
    """Exercise 4: ``bidirectional_forward(xs, params_f, params_b) -> (T, 2 n_h, B)``."""
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
# Exercise 5: counting the parameters of a stacked RNN


def _torch_count(mode, n_x, n_h, num_layers, bidirectional) -> int:
    from torch import nn

    cls = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[mode]
    module = cls(n_x, n_h, num_layers=num_layers, bidirectional=bidirectional)
    return sum(p.numel() for p in module.parameters())


def _count(
    mode, n_x, n_h, num_layers, bidirectional, *, gates=True, upper_in=True, biases=2, sets=None
):
    k = {"rnn": 1, "gru": 3, "lstm": 4}[mode] if gates else 1
    D = 2 if bidirectional else 1
    sets = D if sets is None else sets  # weight sets per layer (one per direction)
    total = 0
    for layer in range(num_layers):
        n_in = n_x if layer == 0 else (D * n_h if upper_in else n_h)
        total += sets * k * n_h * (n_in + n_h + biases)
    return total


def check_count_params(count_rnn_params) -> None:
    """Exercise 5: the parameter count of ``nn.RNN``/``nn.GRU``/``nn.LSTM``."""
    cases = [
        ("rnn", 10, 20, 1, False),
        ("rnn", 8, 16, 2, True),
        ("lstm", 5, 7, 3, False),
        ("gru", 6, 4, 2, True),
        ("lstm", 3, 9, 2, True),
    ]
    for mode, n_x, n_h, L, bi in cases:
        got = call_student(count_rnn_params, mode, n_x, n_h, L, bi, name="count_rnn_params")
        label = (
            f"count_rnn_params({mode!r}, n_x={n_x}, n_h={n_h}, num_layers={L}, bidirectional={bi})"
        )
        expected = _torch_count(mode, n_x, n_h, L, bi)
        try:
            number = float(got)
        except (TypeError, ValueError):
            number = float("nan")
        expect_true(
            np.ndim(got) == 0 and np.isfinite(number) and number == int(number),
            f"{label} should be a whole number, got {got!r}",
        )
        if int(got) == expected:
            continue
        args = (mode, n_x, n_h, L, bi)
        diagnoses = [
            (
                _count(*args, biases=1),
                "counts one bias per layer; PyTorch has two, bias_ih and bias_hh",
            ),
            (
                _count(*args, upper_in=False),
                "forgets that layers above the first read 2 n_h features when bidirectional",
            ),
            (
                _count(*args, gates=False),
                "forgets the gates: an LSTM stacks 4 blocks of n_h rows, a GRU 3",
            ),
            (
                _count(mode, n_x, n_h, L, False),
                "forgets the second direction: a bidirectional layer has two sets of weights",
            ),
            (
                _count(*args, sets=1),
                "forgets the second direction: a bidirectional layer has two sets of weights",
            ),
            (
                _count(mode, n_x, n_h, 1, bi) * L,
                "gives every layer n_x inputs: layers above the first read the layer below",
            ),
        ]
        for wrong, why in diagnoses:
            if int(got) == wrong and wrong != expected:
                raise CheckFailed(f"{label} is {int(got)}, expected {expected}: it {why}")
        raise CheckFailed(
            f"{label} is {got}, expected {expected}: each layer and direction has "
            "k n_h (n_in + n_h) weights and 2 k n_h biases (k = 1, 3, 4 for RNN, GRU, LSTM)"
        )
