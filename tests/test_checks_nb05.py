"""The checkers of notebook 05 accept the right answers and reject plausible wrong ones."""

import numpy as np
import pytest

from rnnbook import bptt, cells
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb05 as checks
from rnnbook.course.references import nb05 as ref

# answers built from the library's gradient routines: the guard is tested on its own
pytestmark = pytest.mark.usefixtures("library_gradients_allowed")


def _stub(*args, **kwargs):
    raise NotImplementedError()


def clip(grads, max_norm):
    return bptt.clip_grad_norm(grads, max_norm)


def train(theta, xs, ys, *, k, lr, steps, max_norm):
    theta = {key: v.copy() for key, v in theta.items()}
    h0 = np.zeros((theta["W"].shape[0], xs.shape[2]))
    for _ in range(steps):
        grads = ref.truncated_bptt(theta, xs, ys, h0, k)[1]
        if np.isfinite(max_norm):
            grads = clip(grads, max_norm)[0]
        theta = {key: theta[key] - lr * grads[key] for key in theta}
    return theta


def test_the_reference_passes_the_visible_and_hidden_checks():
    checks.check_truncated_bptt(ref.truncated_bptt)
    ref.check_truncated_bptt(ref.truncated_bptt)
    measured = checks.check_clipped_training(train, clip)
    assert measured["accuracy"] >= checks.MIN_ACCURACY
    assert measured["clipped"] < measured["start"] < measured["no clipping"]


def test_the_reference_equals_elman_bptt_when_the_window_covers_the_sequence():
    theta, xs, ys, h0 = checks.random_case(np.random.default_rng(1), 2, 3, 4, 2, 6)
    loss, grads, h = ref.truncated_bptt(theta, xs, ys, h0, 6)
    loss_full, grads_full, h_full = bptt.elman_bptt(theta, xs, ys, h0)
    assert np.isclose(loss, loss_full) and np.allclose(h, h_full)
    assert all(np.allclose(grads[k], grads_full[k]) for k in grads)


@pytest.mark.parametrize(
    "call",
    [
        lambda: checks.check_truncated_bptt(_stub),
        lambda: checks.check_clipped_training(train, _stub),
        lambda: checks.check_clipped_training(_stub, clip),
        lambda: checks.check_number_form("lag_below_1e6", None),
        lambda: checks.check_choice_form("answer_q4", None, "abcd"),
    ],
)
def test_stub_is_not_attempted(call):
    with pytest.raises(NotAttempted, match="not attempted"):
        call()


def test_full_bptt_is_named():
    def full(theta, xs, ys, h0, k):
        return bptt.elman_bptt(theta, xs, ys, h0)

    with pytest.raises(CheckFailed, match="crosses the window boundary"):
        checks.check_truncated_bptt(full)


def test_a_transposed_recurrent_gradient_is_named():
    def transposed(theta, xs, ys, h0, k):
        loss, grads, h = ref.truncated_bptt(theta, xs, ys, h0, k)
        return loss, {**grads, "W": grads["W"].T}, h

    with pytest.raises(CheckFailed, match="transposed"):
        checks.check_truncated_bptt(transposed)


def test_a_gradient_that_is_twice_too_large_is_named():
    def doubled(theta, xs, ys, h0, k):
        loss, grads, h = ref.truncated_bptt(theta, xs, ys, h0, k)
        return loss, {**grads, "c": 2 * grads["c"]}, h

    with pytest.raises(CheckFailed, match="2 times"):
        checks.check_truncated_bptt(doubled)


def test_a_wrong_final_state_is_named():
    def first_state(theta, xs, ys, h0, k):
        loss, grads, _ = ref.truncated_bptt(theta, xs, ys, h0, k)
        return loss, grads, h0

    with pytest.raises(CheckFailed, match="h_T"):
        checks.check_truncated_bptt(first_state)


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda g, m: (bptt.clip_grad_norm(g, m)[0], 0.0), "total_norm"),
        (
            lambda g, m: ({k: v / np.linalg.norm(v) * m for k, v in g.items()}, clip(g, m)[1]),
            "own norm",
        ),
        (lambda g, m: ({k: np.clip(v, -m, m) for k, v in g.items()}, clip(g, m)[1]), "by value"),
        (lambda g, m: clip(g, m)[0], "should return a pair"),
        (lambda g, m: (clip(g, m)[0], clip(clip(g, m)[0], m)[1]), "norm after clipping"),
    ],
)
def test_clip_by_global_norm_wrong(wrong, hint):
    with pytest.raises(CheckFailed, match=hint):
        checks.check_clip_by_global_norm(wrong)


def test_training_that_ignores_max_norm_is_caught():
    def never_clips(theta, xs, ys, *, k, lr, steps, max_norm):
        return train(theta, xs, ys, k=k, lr=lr, steps=steps, max_norm=np.inf)

    with pytest.raises(CheckFailed, match="should fall"):
        checks.check_clipped_training(never_clips, clip)


def test_training_that_always_clips_is_caught():
    def always_clips(theta, xs, ys, *, k, lr, steps, max_norm):
        return train(theta, xs, ys, k=k, lr=lr, steps=steps, max_norm=1.0)

    with pytest.raises(CheckFailed, match="should diverge"):
        checks.check_clipped_training(always_clips, clip)


def test_the_lag_question():
    answer = ref.lag_below(checks.exercise3_W())
    naive = int(np.ceil(np.log(1e-6) / np.log(0.9)))
    assert answer > naive + 20  # the transient growth of a non-normal W delays the decay
    ref.check_lag(answer)
    ref.check_lag(float(answer))
    for wrong, why in ((naive, "asymptotic"), (answer - 1, "last lag"), (answer + 1, "too late")):
        with pytest.raises(CheckFailed, match=why):
            ref.check_lag(wrong)
    with pytest.raises(CheckFailed, match="whole number"):
        checks.check_number_form("lag_below_1e6", 12.5, whole="steps")


@pytest.mark.parametrize("check, answer", [(ref.check_q4, "b"), (ref.check_q5, "c")])
def test_the_choices(check, answer):
    check(answer)
    check(answer.upper())
    for letter in set("abcd") - {answer}:
        with pytest.raises(CheckFailed, match="is not right: "):
            check(letter)
    with pytest.raises(CheckFailed, match="one of the letters"):
        checks.check_choice_form("answer_q4", "e", "abcd")


def test_question_4_windows_shorter_than_the_delay_leave_the_task_unlearned():
    """The claim of answer (b): with windows of 5 steps and a delay of 8, no gradient term links
    a target to its bit, and the clipped training of exercise 2 stays near chance."""
    rng = np.random.default_rng(0)
    theta = checks.initial_theta(rng)
    xs, ys = checks.delay_task(rng, delay=8)
    trained = train(theta, xs, ys, k=5, lr=checks.LR, steps=checks.STEPS, max_norm=1.0)
    xs_test, ys_test = checks.delay_task(np.random.default_rng(1), 500, 30, delay=8)
    cell = cells.ElmanCell(2, checks.N_H)
    logits, _ = bptt.sequence_forward(cell, trained, xs_test, cell.init_state(500))
    assert (logits.argmax(axis=1)[8:] == ys_test[8:]).mean() < 0.6


def test_divergence_is_read_off_the_weights_as_well_as_the_loss():
    """Unclipped runs end at a chaotic loss that can land below the start; their weights grow."""
    data_rng = np.random.default_rng(3)
    theta = checks.initial_theta(data_rng)
    xs, ys = checks.delay_task(data_rng)
    free = ref.reference_train_clipped(theta, xs, ys, np.inf)
    clipped = ref.reference_train_clipped(theta, xs, ys, 1.0)
    assert checks.diverged(theta, free, xs, ys)[0]
    assert not checks.diverged(theta, clipped, xs, ys)[0]
    assert not checks.diverged(theta, theta, xs, ys)[0]  # no step at all
    assert checks.diverged(theta, {**clipped, "V": clipped["V"] * np.nan}, xs, ys)[0]
    # weights 4 times as long as the clipped run's, whatever the loss: diverged
    longer = {k: 4.0 * v for k, v in clipped.items()}
    blew_up, _, growth = checks.diverged(theta, longer, xs, ys)
    assert blew_up and growth > checks.GROWTH
