"""The checkers of notebook 09 accept the reference answers on any inputs, call a stub "not
attempted", grade the multiple choice with an explanation per wrong letter, and measure the
capacity with a margin that makes a correct answer pass at every grading.

The wrong and alternative correct answers are run by tests/test_answers_nb09.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from rnnbook.course.checks import CheckFailed, NotAttempted, nb09
from rnnbook.course.references import nb09 as reference
from rnnbook.topics import hopfield


def _stub(*args, **kwargs):
    raise NotImplementedError()


def async_sweep(W, s, order):
    return hopfield.async_sweep(W, s, order=order)


def recall_patterns(patterns, flip, rng):
    n, p = patterns.shape
    cues = hopfield.corrupt(patterns, flip, rng)
    return cues, hopfield.recall(hopfield.hebbian_weights(patterns), cues, rng, max_sweeps=100).s


# ---------------------------------------------------------------- the reference is right


def test_reference_backward_equals_autograd_and_finite_differences():
    rng = np.random.default_rng(3)
    n_h, n_exc, n_x, batch, dt, T_c = 9, 6, 4, 5, 0.9, 4.0
    h_prev, x, W_raw, U, b = nb09.ei_inputs(rng, n_h, n_exc, n_x, batch)
    dh = rng.normal(size=(n_h, batch))
    ours = reference.ei_step_backward(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c)
    numeric = nb09.numerical_gradients(dh, h_prev, x, W_raw, U, b, n_exc, dt, T_c)
    leaves = [torch.tensor(a, requires_grad=True) for a in (h_prev, W_raw, U, b)]
    th, tW_raw, tU, tb = leaves
    signs = torch.tensor(nb09.dale_signs(n_h, n_exc))
    h = th + dt / T_c * (-th + (tW_raw.abs() * signs) @ th.relu() + tU @ torch.tensor(x) + tb)
    (h * torch.tensor(dh)).sum().backward()
    for mine, num, leaf in zip(ours, numeric, leaves):
        assert np.allclose(mine, num, rtol=1e-6, atol=1e-8)
        assert np.allclose(mine, leaf.grad.numpy(), rtol=1e-12, atol=1e-12)
    # the forward is one Euler step of the equation: torch's h, computed from the equation
    assert np.allclose(reference.ei_step(h_prev, x, W_raw, U, b, n_exc, dt, T_c), h.detach())


@pytest.mark.parametrize("seed", range(5))
def test_reference_passes_visible_and_hidden_checks(seed):
    nb09.check_ei_step(reference.ei_step)
    nb09.check_ei_step_backward(reference.ei_step_backward)
    reference.hidden_ei(reference.ei_step, reference.ei_step_backward, np.random.default_rng(seed))
    nb09.check_hebbian(hopfield.hebbian_weights)
    nb09.check_async_sweep(async_sweep)
    nb09.check_recall_patterns(recall_patterns)
    reference.hidden_hopfield(
        hopfield.hebbian_weights, async_sweep, recall_patterns, np.random.default_rng(seed)
    )


def test_capacity_thresholds_hold_with_a_margin():
    """At load 0.05 the reference recalls every pattern and at 0.3 almost none, on 20 fresh
    networks each: the thresholds (>= 80 %, <= 20 %) leave a wide margin."""
    rng = np.random.default_rng(2026)
    low = [nb09.recall_capacity(recall_patterns, 200, 0.05, rng) for _ in range(20)]
    high = [nb09.recall_capacity(recall_patterns, 200, 0.3, rng) for _ in range(20)]
    assert min(low) >= 0.95, low
    assert max(high) <= 0.1, high


# ---------------------------------------------------------------- not attempted


@pytest.mark.parametrize(
    "check",
    [
        nb09.check_ei_step,
        nb09.check_ei_step_backward,
        nb09.check_hebbian,
        nb09.check_async_sweep,
        nb09.check_recall_patterns,
    ],
)
def test_stub_is_not_attempted(check):
    with pytest.raises(NotAttempted, match="not attempted"):
        check(_stub)


def test_stub_is_not_attempted_in_the_hidden_tests():
    rng = np.random.default_rng(0)
    with pytest.raises(NotAttempted):
        reference.hidden_ei(_stub, _stub, rng)
    with pytest.raises(NotAttempted):
        reference.hidden_hopfield(_stub, _stub, _stub, rng)
    with pytest.raises(NotAttempted):
        reference.hidden_choice("answer_q3", None)


# ---------------------------------------------------------------- multiple choice


@pytest.mark.parametrize("name", sorted(reference.ANSWERS))
def test_choices_are_graded_with_an_explanation_per_wrong_letter(name):
    correct, explanations = reference.ANSWERS[name]
    assert sorted([correct, *explanations]) == ["a", "b", "c", "d"]
    nb09.check_choice_form(name, correct.upper())
    reference.hidden_choice(name, f" {correct.upper()} ")
    for letter, why in explanations.items():
        nb09.check_choice_form(name, letter)  # the visible check says nothing about right/wrong
        with pytest.raises(CheckFailed) as info:
            reference.hidden_choice(name, letter)
        assert not isinstance(info.value, NotAttempted) and why in str(info.value)


@pytest.mark.parametrize("bad", ["e", "ab", 3, ""])
def test_choice_form_rejects_what_is_not_a_letter(bad):
    with pytest.raises(CheckFailed, match="one of the letters"):
        nb09.check_choice_form("answer_q3", bad)
    with pytest.raises(NotAttempted):
        nb09.check_choice_form("answer_q3", None)


def test_answers_are_spread_over_the_letters():
    letters = [correct for correct, _ in reference.ANSWERS.values()]
    assert len(set(letters)) == len(letters)


# ---------------------------------------------------------------- round-off is not a mistake


def test_checks_tolerate_round_off():
    """Gradients off by float round-off, and Hebbian weights summed in another order, pass."""

    def noisy_backward(*args):
        out = reference.ei_step_backward(*args)
        return tuple(g * (1 + 1e-9) for g in out)

    nb09.check_ei_step_backward(noisy_backward)

    def hebbian_loop(patterns):
        n = patterns.shape[0]
        W = sum(np.outer(p, p) for p in patterns.T[::-1]) / n
        np.fill_diagonal(W, 0)
        return W

    nb09.check_hebbian(hebbian_loop)
    reference.hidden_hopfield(hebbian_loop, async_sweep, recall_patterns, np.random.default_rng(1))


# ---------------------------------------------------------------- the visible case hard-coded


def _memorised(fn, wrong):
    """An answer that returns ``fn``'s results for the inputs it has seen before (the visible
    checks', recorded here) and ``wrong``'s for any other input."""
    seen = []

    def record(*args):
        out = fn(*args)
        seen.append(([np.array(a, copy=True) for a in args], out))
        return out

    def replay(*args):
        for old_args, out in seen:
            if all(
                np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(args, old_args)
            ):
                return out
        return wrong(*args)

    return record, replay


def test_an_answer_that_hard_codes_the_visible_case_fails_the_hidden_tests():
    rng = np.random.default_rng(11)

    def zero_step(h_prev, *args):
        return np.zeros_like(h_prev)

    record, replay = _memorised(reference.ei_step, zero_step)
    nb09.check_ei_step(record)
    nb09.check_ei_step(replay)  # the visible check passes ...
    with pytest.raises(CheckFailed):  # ... the hidden one, on fresh inputs, does not
        reference.hidden_ei(replay, reference.ei_step_backward, rng)

    def frozen(patterns, flip, rng):
        return patterns, patterns

    record, replay = _memorised(recall_patterns, frozen)
    nb09.check_recall_patterns(record)
    with pytest.raises(CheckFailed):
        reference.hidden_hopfield(hopfield.hebbian_weights, async_sweep, replay, rng)
