"""The checkers of notebook 09 accept the reference answers and name the plausible mistakes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from rnnbook.course.checks import CheckFailed, NotAttempted, nb09

WRONG_FILE = Path(__file__).parent / "wrong_answers" / "09_neuroscience.py"


def _wrong(grade_id: str):
    spec = importlib.util.spec_from_file_location("wrong09", WRONG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace: dict = {}
    exec(module.WRONG[grade_id], namespace)
    return namespace


def _stub(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- reference answers


def hebbian(patterns):
    W = patterns @ patterns.T / patterns.shape[0]
    np.fill_diagonal(W, 0.0)
    return W


def energy(W, s):
    return -0.5 * np.sum(s * (W @ s), axis=0)


def async_sweep(W, s, order):
    s = s.copy()
    for i in order:
        h_i = W[i] @ s
        s[i] = np.where(h_i > 0, 1.0, np.where(h_i < 0, -1.0, s[i]))
    return s


def dale_recurrent(W_raw, n_exc):
    d = np.where(np.arange(W_raw.shape[1]) < n_exc, 1.0, -1.0)
    return np.abs(W_raw) @ np.diag(d)


def accuracy_by_strength(choice, coherence):
    strength = np.abs(coherence)
    levels = np.unique(strength)
    correct = choice == np.sign(coherence)
    return levels, np.array([correct[strength == s].mean() for s in levels])


CASES = [
    (nb09.check_hebbian, hebbian, "ex1-solution", "hebbian", "patterns @ patterns.T"),
    (nb09.check_energy, energy, "ex2-solution", "energy", "the 1/2"),
    (nb09.check_async_sweep, async_sweep, "ex3-solution", "async_sweep", "synchronous"),
    (nb09.check_dale_recurrent, dale_recurrent, "ex4-solution", "dale_recurrent", "column j"),
    (
        nb09.check_accuracy_by_strength,
        accuracy_by_strength,
        "ex5-solution",
        "accuracy_by_strength",
        "fraction of +1 choices",
    ),
]


@pytest.mark.parametrize("checker, reference, gid, name, hint", CASES)
def test_reference_passes(checker, reference, gid, name, hint):
    checker(reference)
    checker(reference, seed=7)


@pytest.mark.parametrize("checker, reference, gid, name, hint", CASES)
def test_wrong_answer_is_named(checker, reference, gid, name, hint):
    with pytest.raises(CheckFailed) as info:
        checker(_wrong(gid)[name])
    assert not isinstance(info.value, NotAttempted)
    assert hint in str(info.value)


@pytest.mark.parametrize("checker, reference, gid, name, hint", CASES)
def test_stub_is_not_attempted(checker, reference, gid, name, hint):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


# ---------------------------------------------------------------- further mistakes


def _fails_with(checker, fn, text):
    with pytest.raises(CheckFailed) as info:
        checker(fn)
    assert text in str(info.value), str(info.value)


def test_hebbian_mistakes():
    def keeps_diagonal(p):
        return p @ p.T / p.shape[0]

    def no_scale(p):
        W = p @ p.T
        np.fill_diagonal(W, 0.0)
        return W

    def divides_by_p(p):
        W = p @ p.T / p.shape[1]
        np.fill_diagonal(W, 0.0)
        return W

    _fails_with(nb09.check_hebbian, keeps_diagonal, "set the diagonal to zero")
    _fails_with(nb09.check_hebbian, no_scale, "divide by N")
    _fails_with(nb09.check_hebbian, divides_by_p, "not by P")


def test_energy_mistakes():
    _fails_with(nb09.check_energy, lambda W, s: 0.5 * np.sum(s * (W @ s), 0), "wrong sign")
    _fails_with(nb09.check_energy, lambda W, s: -0.5 * s.T @ W @ s, "diagonal entry")
    _fails_with(nb09.check_energy, lambda W, s: -0.5 * np.sum(s * (W @ s)), "single number")


def test_async_sweep_mistakes():
    def sign_zero(W, s, order):
        s = s.copy()
        for i in order:
            s[i] = np.sign(W[i] @ s)
        return s

    def ties_to_plus(W, s, order):
        s = s.copy()
        for i in order:
            s[i] = np.where(W[i] @ s >= 0, 1.0, -1.0)
        return s

    def ignores_order(W, s, order):
        return async_sweep(W, s, range(len(order)))

    def in_place(W, s, order):
        for i in order:
            h_i = W[i] @ s
            s[i] = np.where(h_i > 0, 1.0, np.where(h_i < 0, -1.0, s[i]))
        return s

    _fails_with(nb09.check_async_sweep, sign_zero, "h_i = 0")
    _fails_with(nb09.check_async_sweep, ties_to_plus, "leave s_i unchanged")
    _fails_with(nb09.check_async_sweep, ignores_order, "`order`")
    _fails_with(nb09.check_async_sweep, in_place, "work on a copy")


def test_dale_mistakes():
    def no_abs(W_raw, n):
        return W_raw * np.where(np.arange(W_raw.shape[1]) < n, 1.0, -1.0)

    def reversed_signs(W_raw, n):
        return -dale_recurrent(W_raw, n)

    _fails_with(nb09.check_dale_recurrent, no_abs, "without the absolute value")
    _fails_with(nb09.check_dale_recurrent, reversed_signs, "reversed")


def test_accuracy_mistakes():
    def signed_levels(choice, coherence):
        levels = np.unique(coherence)
        return levels, np.array([np.mean(choice[coherence == c] == np.sign(c)) for c in levels])

    def pooled(choice, coherence):
        levels = np.unique(np.abs(coherence))
        return levels, np.full(len(levels), np.mean(choice == np.sign(coherence)))

    def unsorted(choice, coherence):
        levels, acc = accuracy_by_strength(choice, coherence)
        return levels[::-1], acc[::-1]

    _fails_with(nb09.check_accuracy_by_strength, signed_levels, "not by the signed coherence")
    _fails_with(nb09.check_accuracy_by_strength, pooled, "overall")
    _fails_with(nb09.check_accuracy_by_strength, unsorted, "sorted")
    _fails_with(nb09.check_accuracy_by_strength, lambda c, k: 0.5, "pair")
