"""The checkers of notebook 07 accept the right answers and reject plausible wrong ones."""

import re
import textwrap

import numpy as np
import pytest
import torch

from rnnbook.course.checks import CheckFailed, NotAttempted
from rnnbook.course.checks import nb07 as checks

torch.set_num_threads(1)

RIGHT = {
    "lstm_step_forward": """
def lstm_step_forward(x_t, h_prev, c_prev, U, W, b):
    a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)
    i, f, o_gate = (1.0 / (1.0 + np.exp(-a)) for a in (a_i, a_f, a_o))
    c_t = f * c_prev + i * np.tanh(a_g)
    return o_gate * np.tanh(c_t), c_t
""",
    "lstm_step_backward": """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
    from rnnbook.cells import LSTMCell, LSTMState
    cell = LSTMCell(U.shape[1], W.shape[1])
    params = {"U": U, "W": W, "b": b}
    _, cache = cell.forward(params, LSTMState(h_prev, c_prev), x_t)
    dstate, _, grads = cell.backward(params, LSTMState(dh_t, dc_t), cache)
    return dstate.h, dstate.c, grads["U"], grads["W"], grads["b"]
""",
    "gru_step_forward": """
def gru_step_forward(x_t, h_prev, U, W, b_x, b_h):
    from rnnbook.cells import GRUCell, GRUState
    cell = GRUCell(U.shape[1], W.shape[1])
    params = {"U": U, "W": W, "b_x": b_x, "b_h": b_h}
    return cell.forward(params, GRUState(h_prev), x_t)[0].h
""",
    "copy_into_nn_lstm": """
def copy_into_nn_lstm(notes, lstm):
    from rnnbook import torch_cells
    course = checks.notes_to_course(notes)
    ours = torch_cells.LSTMCell(course["U"].shape[1], course["W"].shape[1]).double()
    with torch.no_grad():
        ours.U.copy_(torch.from_numpy(course["U"]))
        ours.W.copy_(torch.from_numpy(course["W"]))
        ours.b.copy_(torch.from_numpy(course["b"][:, 0]))
    cell = torch.nn.LSTMCell(ours.n_x, ours.n_h).double()
    torch_cells.copy_to_torch(ours, cell)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, name + "_l0").copy_(getattr(cell, name))
    return lstm
""",
    "lstm_num_params": """
def lstm_num_params(n_x, n_h, num_layers):
    return sum(4 * n_h * ((n_x if k == 0 else n_h) + n_h + 2) for k in range(num_layers))
""",
}

CHECKERS = {
    "lstm_step_forward": checks.check_lstm_step_forward,
    "lstm_step_backward": checks.check_lstm_step_backward,
    "gru_step_forward": checks.check_gru_step_forward,
    "copy_into_nn_lstm": checks.check_copy_into_nn_lstm,
    "lstm_num_params": checks.check_lstm_num_params,
}


def _define(source: str):
    namespace = {"np": np, "torch": torch, "checks": checks}
    exec(textwrap.dedent(source), namespace)
    name = re.search(r"def (\w+)\(", source).group(1)
    return namespace[name]


def _replace(source: str, old: str, new: str) -> str:
    assert old in source, f"{old!r} not in the source"
    return source.replace(old, new)


def _stub(*args, **kwargs):
    raise NotImplementedError()


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_right_answer_passes(name):
    CHECKERS[name](_define(RIGHT[name]))


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_stub_is_not_attempted(name):
    with pytest.raises(NotAttempted, match="not attempted"):
        CHECKERS[name](_stub)


def test_wrong_answers_of_the_pipeline_fail_with_their_hint():
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path

    path = Path(__file__).parent / "wrong_answers" / "07_lstm_gru.py"
    spec = spec_from_file_location("wrong07", path)
    module = module_from_spec(spec)
    spec.loader.exec_module(module)
    hints = {
        "ex1-solution": ("lstm_step_forward", "order i, f, o, g"),
        "ex2-solution": ("lstm_step_backward", "ignores dc_t"),
        "ex3-solution": ("gru_step_forward", "swapped"),
        "ex4-solution": ("copy_into_nn_lstm", "notes' order a, i, f, o"),
        "ex5-solution": ("lstm_num_params", "two bias vectors"),
    }
    assert sorted(hints) == sorted(module.WRONG)
    for gid, (name, hint) in hints.items():
        with pytest.raises(CheckFailed, match=re.escape(hint)):
            CHECKERS[name](_define(module.WRONG[gid]))


FWD = RIGHT["lstm_step_forward"]


@pytest.mark.parametrize(
    "old, new, hint",
    [
        ("a_i, a_f, a_g, a_o =", "a_g, a_i, a_f, a_o =", "notes' order a, i, f, o"),
        ("np.tanh(a_g)", "1.0 / (1.0 + np.exp(-a_g))", "uses a sigmoid"),
        ("o_gate * np.tanh(c_t), c_t", "o_gate * c_t, c_t", "missing the tanh"),
        ("i * np.tanh(a_g)", "np.tanh(a_g)", "without the input gate"),
        ("i * np.tanh(a_g)", "(1 - f) * np.tanh(a_g)", "(1 − f) in place of the input gate"),
        ("o_gate * np.tanh(c_t), c_t", "(o_gate * np.tanh(c_t)).T, c_t", "columns are examples"),
    ],
)
def test_lstm_forward_mistakes_are_named(old, new, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_lstm_step_forward(_define(_replace(FWD, old, new)))


BWD = """
def lstm_step_backward(dh_t, dc_t, x_t, h_prev, c_prev, U, W, b):
    a_i, a_f, a_g, a_o = np.split(b + W @ h_prev + U @ x_t, 4)
    i, f, o_gate = (1.0 / (1.0 + np.exp(-a)) for a in (a_i, a_f, a_o))
    g = np.tanh(a_g)
    tanh_c = np.tanh(f * c_prev + i * g)
    dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f),
                         dc * i * (1 - g**2), dh_t * tanh_c * o_gate * (1 - o_gate)])
    return W.T @ da, dc * f, da @ x_t.T, da @ h_prev.T, da.sum(axis=1, keepdims=True)
"""


def test_the_backward_used_for_mistakes_is_right():
    checks.check_lstm_step_backward(_define(BWD))


@pytest.mark.parametrize(
    "old, new, hint",
    [
        ("dc = dc_t + dh_t", "dc = 0 * dc_t + dh_t", "ignores dc_t"),
        ("dc = dc_t + dh_t * o_gate * (1.0 - tanh_c**2)", "dc = dc_t", "the path through h^(t)"),
        ("o_gate * (1.0 - tanh_c**2)", "o_gate", "(1 − tanh²(c_t)) factor"),
        ("dc * f, da @ x_t.T", "dc, da @ x_t.T", "through the forget gate"),
        ("da @ x_t.T", "x_t @ da.T", "transposed"),
        ("da.sum(axis=1, keepdims=True)", "da.sum(axis=1, keepdims=True) * 2", "db differs"),
    ],
)
def test_lstm_backward_mistakes_are_named(old, new, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_lstm_step_backward(_define(_replace(BWD, old, new)))


GRU = """
def gru_step_forward(x_t, h_prev, U, W, b_x, b_h):
    ax_r, ax_z, ax_n = np.split(U @ x_t + b_x, 3)
    ah_r, ah_z, ah_n = np.split(W @ h_prev + b_h, 3)
    r = 1.0 / (1.0 + np.exp(-(ax_r + ah_r)))
    z = 1.0 / (1.0 + np.exp(-(ax_z + ah_z)))
    W_n, b_hn = np.split(W, 3)[2], np.split(b_h, 3)[2]
    n = np.tanh(ax_n + r * ah_n)
    return (1.0 - z) * n + z * h_prev
"""


@pytest.mark.parametrize(
    "old, new, hint",
    [
        ("r * ah_n", "W_n @ (r * h_prev) + b_hn", "2014 paper's variant"),
        ("r * ah_n", "r * (W_n @ h_prev) + b_hn", "outside the reset gate"),
        ("r * ah_n", "ah_n", "never applied"),
        ("return (1.0 - z) * n", "return (1.0 - z) * n, r", "h_t alone"),
    ],
)
def test_gru_mistakes_are_named(old, new, hint):
    checks.check_gru_step_forward(_define(GRU))
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_gru_step_forward(_define(_replace(GRU, old, new)))


COPY = """
def copy_into_nn_lstm(notes, lstm):
    order = "ifao"
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([notes["U_" + k] for k in order])))
        lstm.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([notes["W_" + k] for k in order])))
        lstm.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([notes["b_" + k] for k in order])))
        lstm.bias_hh_l0.zero_()
    return lstm
"""


@pytest.mark.parametrize(
    "old, new, hint",
    [
        ('order = "ifao"', 'order = "iofa"', "out of order"),
        ("lstm.bias_hh_l0.zero_()", "pass", "still holds its old values"),
        (
            "lstm.bias_hh_l0.zero_()",
            'lstm.bias_hh_l0.copy_(torch.from_numpy(np.concatenate([notes["b_" + k] for k in order])))',
            "counted twice",
        ),
        (
            'notes["U_" + k] for k in order])))\n',
            'notes["W_" + k] for k in order])))\n',
            "RuntimeError",
        ),
    ],
)
def test_copy_mistakes_are_named(old, new, hint):
    checks.check_copy_into_nn_lstm(_define(COPY))
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        checks.check_copy_into_nn_lstm(_define(_replace(COPY, old, new)))


COUNT = """
def lstm_num_params(n_x, n_h, num_layers):
    return sum(4 * n_h * ((n_x if k == 0 else n_h) + n_h + 2) for k in range(num_layers))
"""


@pytest.mark.parametrize(
    "old, new, hint",
    [
        ("4 * n_h * (", "n_h * (", "4 gate blocks"),
        ("n_h + 2)", "n_h)", "biases are missing"),
        ("(n_x if k == 0 else n_h)", "n_x", "input size is n_h"),
        ("for k in range(num_layers)", "for k in range(1)", "number of layers"),
        ("return sum(", "return float(sum(", "should return an int"),
    ],
)
def test_count_mistakes_are_named(old, new, hint):
    with pytest.raises(CheckFailed, match=re.escape(hint)):
        source = _replace(COUNT, old, new)
        if "float(" in source:
            source = source.rstrip() + ")\n"
        checks.check_lstm_num_params(_define(source))


def test_notes_to_course_matches_the_notes_equations():
    """The notes' LSTM (a, i, f, o with one matrix per gate) equals the course's stacking."""
    from rnnbook.cells import sigmoid

    notes = checks.notes_lstm_params(0)
    p = checks.lstm_problem(0)
    x, h, c = p["x_t"], p["h_prev"], p["c_prev"]

    def v(k):
        return notes[f"W_{k}"] @ h + notes[f"U_{k}"] @ x + notes[f"b_{k}"][:, None]

    c_t = sigmoid(v("f")) * c + sigmoid(v("i")) * np.tanh(v("a"))
    h_t = sigmoid(v("o")) * np.tanh(c_t)
    course = checks.notes_to_course(notes)
    h_ref, c_ref, _ = checks.lstm_reference(course["U"], course["W"], course["b"], x, h, c)
    np.testing.assert_allclose(h_t, h_ref, rtol=1e-12)
    np.testing.assert_allclose(c_t, c_ref, rtol=1e-12)
