"""The checkers of notebook 07 accept right answers and name the plausible mistakes."""

import re

import numpy as np
import pytest

from rnnbook.cells import sigmoid
from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb07 as checks
from rnnbook.course.references import nb07 as ref

BWD = """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
    a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)
    i, f, o_gate = sigmoid(a_i), sigmoid(a_f), sigmoid(a_o)
    g = np.tanh(a_g)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g**2), dh_t * tanh_c * o_gate * (1 - o_gate)])
    return W.T @ da, dc * f, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)
"""

GRU = """
def gru_step_backward(dh_t, x_t, h_prev, U, W, b_x, b_h):
    ax_r, ax_z, ax_n = np.split(U @ x_t + b_x, 3)
    ah_r, ah_z, ah_n = np.split(W @ h_prev + b_h, 3)
    r, z = sigmoid(ax_r + ah_r), sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)
    d_n = dh_t * (1 - z) * (1 - n**2)
    d_z = dh_t * (h_prev - n) * z * (1 - z)
    d_r = d_n * ah_n * r * (1 - r)
    d_x = np.concatenate([d_r, d_z, d_n])
    d_h = np.concatenate([d_r, d_z, d_n * r])
    return (z * dh_t + W.T @ d_h, d_x @ x_t.T, d_h @ h_prev.T,
            d_x.sum(1, keepdims=True), d_h.sum(1, keepdims=True))
"""


def _define(source: str):
    ns = {"np": np, "sigmoid": sigmoid}
    exec(source, ns)
    return next(v for k, v in ns.items() if k.endswith("_backward"))


def _replace(source: str, old: str, new: str) -> str:
    assert old in source, old
    return source.replace(old, new)


def _stub(*args, **kwargs):
    raise NotImplementedError()


def test_right_backward_passes_pass_visible_and_hidden_checks():
    checks.check_lstm_step_backward(_define(BWD))
    checks.check_gru_step_backward(_define(GRU))
    ref.hidden_lstm_step_backward(_define(BWD))
    ref.hidden_gru_step_backward(_define(GRU))


@pytest.mark.parametrize(
    "checker",
    [checks.check_lstm_step_backward, checks.check_gru_step_backward, checks.check_train_recall],
)
def test_stub_is_not_attempted(checker):
    with pytest.raises(NotAttempted, match="not attempted"):
        checker(_stub)


def test_finite_differences_agree_with_autograd():
    """The visible reference (finite differences) and the hidden one (autograd) agree."""
    p = checks.lstm_problem(0)
    fd, auto = checks.lstm_fd(p), ref.lstm_autograd(p)
    assert all(np.allclose(fd[k], auto[k], rtol=1e-6, atol=1e-9) for k in checks.LSTM_NAMES)
    q = checks.gru_problem(0)
    fd, auto = checks.gru_fd(q), ref.gru_autograd(q)
    assert all(np.allclose(fd[k], auto[k], rtol=1e-6, atol=1e-9) for k in checks.GRU_NAMES)


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("dc = dc_t + dh_t", "dc = dh_t", "leaves out dc_t"),
        ("dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)", "dc = dc_t", "path through h^(t)"),
        (" * (1.0 - tanh_c**2)", "", "derivative of tanh(c^(t)) is missing"),
        ("dc * f, da", "dc, da", "skips the forget gate"),
        ("dc * i * (1 - g**2)", "dc * i * (1 - g)", "candidate g = tanh(a_g) is wrong"),
        ("dh_t * tanh_c * o_gate", "dh_t * (f * c_prev + i * g) * o_gate", "uses c^(t)"),
        ("da @ x_t.T", "x_t @ da.T", "transposed"),
        ("da.sum(axis=1", "da.mean(axis=1", "0.2 times"),
        ("return W.T @ da", "return -W.T @ da", "wrong sign"),
        ("dc * c_prev * f * (1 - f)", "dc * c_prev * (1 - f)", "forget gate f (rows 4:8) is wrong"),
    ],
)
def test_lstm_mistakes_are_named(old, new, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        checks.check_lstm_step_backward(_define(_replace(BWD, old, new)))


def test_lstm_swapped_blocks_are_named():
    swapped = _replace(
        BWD,
        "dc * i * (1 - g**2), dh_t * tanh_c * o_gate * (1 - o_gate)",
        "dh_t * tanh_c * o_gate * (1 - o_gate), dc * i * (1 - g**2)",
    )
    with pytest.raises(CheckFailed, match="swapped"):
        checks.check_lstm_step_backward(_define(swapped))


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("z * dh_t + W.T", "W.T", "direct path"),
        ("(h_prev - n)", "(n - h_prev)", "wrong sign"),
        ("d_n * r])", "d_n])", "misses the factor r"),
        ("dh_t * (1 - z) * (1 - n**2)", "dh_t * (1 - n**2)", "factor (1 − z)"),
        ("(1 - n**2)", "(1 - n)", "candidate n = tanh(·) is wrong"),
        ("np.concatenate([d_r, d_z, d_n])", "np.concatenate([d_r, d_z, d_n * r])", "without r"),
        ("z * (1 - z)", "z", "update gate z (rows 4:8) is wrong"),
        ("d_h.sum(1, keepdims=True))", "d_h.mean(1, keepdims=True))", "0.2 times"),
    ],
)
def test_gru_mistakes_are_named(old, new, message):
    with pytest.raises(CheckFailed, match=re.escape(message)):
        checks.check_gru_step_backward(_define(_replace(GRU, old, new)))


def test_perturbed_arguments_are_refused():
    def changes_w(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
        W += 1.0
        return _define(BWD)(dh_t, dc_t, x_t, h_prev, c_prev, U, W - 1.0, b)

    with pytest.raises(CheckFailed, match="changed its argument W"):
        checks.check_lstm_step_backward(changes_w)


def test_recall_task_has_every_symbol_and_no_leak_at_the_end():
    xs, y = checks.recall_task(600, 9, 4, np.random.default_rng(0))
    assert xs.shape == (9, 8, 600) and sorted(set(y)) == [0, 1, 2, 3]
    assert np.array_equal(xs[0, :4].argmax(axis=0), y)
    assert np.all(xs[1:, :4] == 0) and np.all(xs[1:, 4:].sum(axis=1) == 1)
    # the last input carries no information about the target: about chance agreement
    assert abs(np.mean(xs[-1, 4:].argmax(axis=0) == y) - 0.25) < 0.06


def test_recall_check_refuses_untrained_and_misshapen_parameters():
    def untrained(xs, y, n_y, n_h, rng):
        n_x = xs.shape[1]
        return {
            "U": rng.normal(size=(4 * n_h, n_x)),
            "W": rng.normal(size=(4 * n_h, n_h)),
            "b": np.zeros((4 * n_h, 1)),
            "V": rng.normal(size=(n_y, n_h)),
            "c": np.zeros((n_y, 1)),
        }

    with pytest.raises(CheckFailed, match=r"accuracy .* below 0\.9.*chance"):
        checks.check_train_recall(untrained)

    def transposed(*args):
        p = untrained(*args)
        p["V"] = p["V"].T
        return p

    with pytest.raises(CheckFailed, match=r"\['V'\] has shape"):
        checks.check_train_recall(transposed)
    with pytest.raises(CheckFailed, match="keys U, W, b, V, c"):
        checks.check_train_recall(lambda *a: {"U": 0})


def _remembers_first_symbol(xs, y, n_y, n_h, rng):
    """An LSTM set by hand that solves the recall task: the input gate opens only when a symbol
    is shown, the forget and output gates stay open, unit k stores symbol k."""
    n_x = xs.shape[1]
    U, b = np.zeros((4 * n_h, n_x)), np.zeros((4 * n_h, 1))
    i, f, g, o = (slice(k * n_h, (k + 1) * n_h) for k in range(4))
    U[i, :n_y], b[i] = 20.0, -10.0
    b[f] = b[o] = 10.0
    U[g][:n_y, :n_y] = 10.0 * np.eye(n_y)
    V = np.zeros((n_y, n_h))
    V[:, :n_y] = 10.0 * np.eye(n_y)
    return {"U": U, "W": np.zeros((4 * n_h, n_h)), "b": b, "V": V, "c": np.zeros((n_y, 1))}


def test_recall_gives_a_second_run_on_new_sequences_only_when_asked():
    calls = []

    def stalls_once(xs, y, n_y, n_h, rng):
        calls.append(xs)
        p = _remembers_first_symbol(xs, y, n_y, n_h, rng)
        if len(calls) == 1:
            p["V"][:] = 0.0  # a run that learned nothing: every sequence gets symbol 0
        return p

    args = {"T": 12, "n_y": 3, "n_h": 12, "seed": 5}
    assert checks.check_recall(_remembers_first_symbol, **args, attempts=2) == 1.0
    assert checks.check_recall(stalls_once, **args, attempts=2) == 1.0
    assert len(calls) == 2 and not np.array_equal(calls[0], calls[1])  # new sequences
    calls.clear()
    with pytest.raises(CheckFailed, match=r"sequences is 0\.3\d\d, below 0\.9"):
        checks.check_recall(stalls_once, **args)  # one run only: no second chance
    calls.clear()

    def never_learns(*a):
        calls.append(a)
        return {**_remembers_first_symbol(*a), "V": np.zeros((3, 12))}

    with pytest.raises(CheckFailed, match=r"is 0\.3\d\d and 0\.3\d\d in 2 runs on new sequences"):
        checks.check_recall(never_learns, **args, attempts=2)
    assert len(calls) == 2


def test_question_forms_and_answers():
    for check, value in ((checks.check_q4, 45), (checks.check_q5, " B"), (checks.check_q6, 57344)):
        check(value)
    for check in (checks.check_q4, checks.check_q5, checks.check_q6):
        with pytest.raises(NotAttempted):
            check(None)
    with pytest.raises(CheckFailed, match="whole number"):
        checks.check_q4(44.5)
    with pytest.raises(CheckFailed, match="one of the letters"):
        checks.check_q5("e")
    assert ref.q4_answer() == 45 and 0.7311**44 > 1e-6 > 0.7311**45
    assert ref.q6_answer() == 57344
    ref.hidden_q4(45)
    ref.hidden_q5("b")
    ref.hidden_q6(57344)
    with pytest.raises(CheckFailed, match="two bias vectors"):
        ref.hidden_q6(56832)
    with pytest.raises(CheckFailed, match="direct path"):
        ref.hidden_q5("a")


def test_hints_never_give_the_gradients_away():
    text = " ".join(h for hints in checks.HINTS.values() for h in hints)
    for giveaway in (r"1\s*-\s*h", r"\.T\b", r"1\s*-\s*tanh", r"\(1 - g"):
        assert not re.search(giveaway, text), giveaway
    assert sorted(checks.HINTS) == [f"ex{n}" for n in range(1, 7)]
