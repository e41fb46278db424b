"""rnnbook.torch_cells against nn.RNN / nn.LSTM / nn.GRU with copied weights (tiny sizes)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from rnnbook.torch_cells import (
    BidirectionalLayer,
    ElmanCell,
    GRUCell,
    LSTMCell,
    RecurrentLayer,
    StackedRNN,
    copy_from_torch,
    copy_to_torch,
)

torch.set_num_threads(1)

N_X, N_H, T, B = 5, 4, 6, 3
TORCH = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
TOL = 1e-6


def pair(mode, num_layers=1, bidirectional=False, batch_first=False, seed=0, **kw):
    """Our StackedRNN and the matching nn module, weights copied from ours."""
    torch.manual_seed(seed)
    ours = StackedRNN(
        mode, N_X, N_H, num_layers, bidirectional=bidirectional, batch_first=batch_first, **kw
    )
    nonlin = {"nonlinearity": kw["nonlinearity"]} if "nonlinearity" in kw else {}
    theirs = TORCH[mode](
        N_X, N_H, num_layers, bidirectional=bidirectional, batch_first=batch_first, **nonlin
    )
    return ours, copy_to_torch(ours, theirs)


def max_diff(a, b):
    if isinstance(a, tuple):
        return max(max_diff(u, v) for u, v in zip(a, b))
    return (a - b).abs().max().item()


def seq(batch_first=False, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((B, T, N_X) if batch_first else (T, B, N_X), generator=g)


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("num_layers", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
def test_equals_torch(mode, num_layers, bidirectional, batch_first):
    ours, theirs = pair(mode, num_layers, bidirectional, batch_first)
    x = seq(batch_first)
    out, state = ours(x)
    out_ref, state_ref = theirs(x)
    D = 2 if bidirectional else 1
    expected = (B, T, D * N_H) if batch_first else (T, B, D * N_H)
    assert out.shape == out_ref.shape == expected
    assert max_diff(out, out_ref) <= TOL
    assert max_diff(state, state_ref) <= TOL
    if mode == "lstm":
        assert state[0].shape == state[1].shape == (num_layers * D, B, N_H)


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_equals_torch_from_given_state(mode):
    ours, theirs = pair(mode, num_layers=2, bidirectional=True)
    g = torch.Generator().manual_seed(5)
    h0 = torch.randn(4, B, N_H, generator=g)
    state = (h0, torch.randn(4, B, N_H, generator=g)) if mode == "lstm" else h0
    x = seq()
    assert max_diff(ours(x, state), theirs(x, state)) <= TOL


def test_relu_elman_equals_torch():
    ours, theirs = pair("rnn", num_layers=2, nonlinearity="relu")
    x = seq()
    assert max_diff(ours(x), theirs(x)) <= TOL


def test_sigmoid_elman_cell_follows_its_equation():
    torch.manual_seed(0)
    cell = ElmanCell(N_X, N_H, nonlinearity="sigmoid")
    x_t, h_prev = torch.randn(B, N_X), torch.randn(B, N_H)
    expected = torch.sigmoid(x_t @ cell.U.T + h_prev @ cell.W.T + cell.b)
    assert max_diff(cell(x_t, h_prev), expected) <= TOL


@pytest.mark.parametrize(
    "ours_type, theirs_type",
    [(ElmanCell, nn.RNNCell), (LSTMCell, nn.LSTMCell), (GRUCell, nn.GRUCell)],
)
def test_single_cells_equal_torch_cells(ours_type, theirs_type):
    torch.manual_seed(0)
    cell, ref = ours_type(N_X, N_H), theirs_type(N_X, N_H)
    copy_from_torch(ref, cell)  # nn.*Cell has two non-zero biases: b must take their sum
    x_t, h = torch.randn(B, N_X), torch.randn(B, N_H)
    state = (h, torch.randn(B, N_H)) if ours_type is LSTMCell else h
    assert max_diff(cell(x_t, state), ref(x_t, state)) <= TOL
    # from zeros when no state is given, as in PyTorch
    assert max_diff(cell(x_t), ref(x_t)) <= TOL


@pytest.mark.parametrize("batch_first", [False, True])
def test_compiled_lstm_equals_python_loop_and_torch(batch_first, monkeypatch):
    """fast="compile": lstm_step under torch.compile (the eager backend here, to test the path
    without minutes of code generation) gives the python loop's and nn.LSTM's numbers."""
    from rnnbook import torch_cells

    eager = torch.compile(torch_cells.lstm_step, backend="eager", dynamic=True)
    monkeypatch.setitem(torch_cells._compiled, "lstm", eager)
    ours, theirs = pair("lstm", num_layers=2, batch_first=batch_first)
    fast = StackedRNN("lstm", N_X, N_H, 2, batch_first=batch_first, fast="compile")
    fast.load_state_dict(ours.state_dict())
    x = seq(batch_first)
    for _ in range(3):
        out = fast(x)
    assert max_diff(out, ours(x)) <= TOL
    assert max_diff(out, theirs(x)) <= TOL
    x_req = x.clone().requires_grad_(True)
    fast(x_req)[0].sum().backward()
    x_ref = x.clone().requires_grad_(True)
    theirs(x_ref)[0].sum().backward()
    assert max_diff(x_req.grad, x_ref.grad) <= 1e-5


def test_layers_alone():
    torch.manual_seed(0)
    cell_f, cell_b = LSTMCell(N_X, N_H), LSTMCell(N_X, N_H)
    bi = BidirectionalLayer(cell_f, cell_b, batch_first=True)
    ref = nn.LSTM(N_X, N_H, bidirectional=True, batch_first=True)
    for cell, sfx in [(cell_f, ""), (cell_b, "_reverse")]:
        getattr(ref, "weight_ih_l0" + sfx).data.copy_(cell.U.data)
        getattr(ref, "weight_hh_l0" + sfx).data.copy_(cell.W.data)
        getattr(ref, "bias_ih_l0" + sfx).data.copy_(cell.b.data)
        getattr(ref, "bias_hh_l0" + sfx).data.zero_()
    x = seq(batch_first=True)
    out, (s_f, s_b) = bi(x)
    out_ref, (h_n, c_n) = ref(x)
    assert max_diff(out, out_ref) <= TOL
    assert max_diff(s_f, (h_n[0], c_n[0])) <= TOL and max_diff(s_b, (h_n[1], c_n[1])) <= TOL
    # the backward direction's final state is the one after reading x at time 0
    rev = RecurrentLayer(cell_b, batch_first=True, reverse=True)
    assert max_diff(rev(x)[1], s_b) <= TOL


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
def test_copy_round_trips(mode):
    ours, theirs = pair(mode, num_layers=2, bidirectional=True)
    # ours -> torch -> ours gives back every parameter exactly
    other = StackedRNN(mode, N_X, N_H, 2, bidirectional=True)
    copy_from_torch(theirs, other)
    for (name, p), q in zip(ours.named_parameters(), other.parameters()):
        assert torch.equal(p, q), name
    # torch -> ours -> torch: weights come back exactly; biases may move between bias_ih and
    # bias_hh (Elman, LSTM), their sum does not, and the function is the same
    torch.manual_seed(7)
    src = TORCH[mode](N_X, N_H, 2, bidirectional=True)
    dst = copy_to_torch(
        copy_from_torch(src, StackedRNN(mode, N_X, N_H, 2, bidirectional=True)),
        TORCH[mode](N_X, N_H, 2, bidirectional=True),
    )
    params = dict(dst.named_parameters())
    for name, p in src.named_parameters():
        if name.startswith("weight") or mode == "gru":
            assert torch.equal(p, params[name]), name
        elif name.startswith("bias_ih"):
            other_name = name.replace("bias_ih", "bias_hh")
            total = params[name] + params[other_name]
            assert max_diff(p + getattr(src, other_name), total) <= TOL
    x = seq()
    assert max_diff(src(x), dst(x)) <= TOL


@pytest.mark.parametrize("mode", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gradients_equal_torch(mode, bidirectional):
    ours, theirs = pair(mode, num_layers=2, bidirectional=bidirectional)
    x = seq()
    targets = torch.randn(
        T, B, N_H * (2 if bidirectional else 1), generator=torch.Generator().manual_seed(3)
    )

    def loss_of(model, x_in):
        out, state = model(x_in)
        h_n = state[0] if mode == "lstm" else state
        return ((out - targets) ** 2).mean() + h_n.pow(3).sum()

    x_ours, x_ref = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    loss_of(ours, x_ours).backward()
    loss_of(theirs, x_ref).backward()
    assert max_diff(x_ours.grad, x_ref.grad) <= 1e-5
    D = 2 if bidirectional else 1
    grads = dict(theirs.named_parameters())
    checked = 0
    for k, cell in enumerate(ours.cells()):
        sfx = f"_l{k // D}" + ("_reverse" if k % D else "")
        assert max_diff(cell.U.grad, grads["weight_ih" + sfx].grad) <= 1e-5
        assert max_diff(cell.W.grad, grads["weight_hh" + sfx].grad) <= 1e-5
        if mode == "gru":
            assert max_diff(cell.b_x.grad, grads["bias_ih" + sfx].grad) <= 1e-5
            assert max_diff(cell.b_h.grad, grads["bias_hh" + sfx].grad) <= 1e-5
        else:  # b stands for both biases, and each of them gets the same gradient
            assert max_diff(cell.b.grad, grads["bias_ih" + sfx].grad) <= 1e-5
            assert max_diff(cell.b.grad, grads["bias_hh" + sfx].grad) <= 1e-5
        assert cell.W.grad.abs().sum() > 0  # the gradient really flows through the recurrence
        checked += 1
    assert checked == 2 * D


def test_dropout_between_layers_train_and_eval():
    ours, theirs = pair("lstm", num_layers=3, dropout=0.5)
    theirs.dropout = 0.5
    x = seq()
    ours.train()
    torch.manual_seed(11)
    out_a, _ = ours(x)
    out_b, _ = ours(x)
    assert max_diff(out_a, out_b) > 1e-3  # a fresh mask each call
    no_drop = StackedRNN("lstm", N_X, N_H, 3)
    no_drop.load_state_dict(ours.state_dict())
    assert max_diff(out_a, no_drop(x)[0]) > 1e-3
    # only between layers: a single layer with dropout is not affected
    one, one_ref = pair("lstm", num_layers=1, dropout=0.5)
    assert max_diff(one.train()(x), one_ref(x)) <= TOL
    ours.eval()
    theirs.eval()
    assert max_diff(ours(x), theirs(x)) <= TOL
    assert max_diff(ours(x), no_drop(x)) <= TOL


# ---- bad inputs: each message names the argument, what was expected and what arrived


def test_wrong_feature_size():
    ours, _ = pair("lstm")
    with pytest.raises(
        ValueError, match=r"x: expected shape \(T, B, n_x\) = \(\?, \?, 5\), got \(6, 3, 7\)"
    ):
        ours(torch.randn(T, B, 7))


def test_wrong_feature_size_batch_first_names_dims():
    ours, _ = pair("gru", batch_first=True)
    with pytest.raises(
        ValueError, match=r"x: expected shape \(B, T, n_x\) = \(\?, \?, 5\), got \(3, 6, 2\)"
    ):
        ours(torch.randn(B, T, 2))


def test_plain_tensor_as_lstm_state():
    ours, _ = pair("lstm")
    with pytest.raises(
        TypeError,
        match=r"state: expected a pair \(h, c\) of tensors for an LSTM, "
        r"got a single Tensor of shape \(1, 3, 4\)",
    ):
        ours(seq(), torch.zeros(1, B, N_H))
    with pytest.raises(TypeError, match=r"state: expected a pair \(h, c\).*got a single Tensor"):
        LSTMCell(N_X, N_H)(torch.randn(B, N_X), torch.zeros(B, N_H))


def test_tuple_as_elman_state():
    cell = ElmanCell(N_X, N_H)
    with pytest.raises(
        TypeError, match=r"state: expected a tensor h of shape \(B, n_h\) = \(3, 4\), got tuple"
    ):
        cell(torch.randn(B, N_X), (torch.zeros(B, N_H), torch.zeros(B, N_H)))


def test_mismatched_batch_in_state():
    ours, _ = pair("lstm", num_layers=2)
    h0 = torch.zeros(2, B + 1, N_H)
    with pytest.raises(
        ValueError,
        match=r"state\[0\] \(h\): expected shape \(L\*D, B, n_h\) = \(2, 3, 4\), got \(2, 4, 4\)",
    ):
        ours(seq(), (h0, h0))


def test_nan_in_input():
    ours, _ = pair("rnn")
    x = seq()
    x[2, 1, 3] = float("nan")
    with pytest.raises(
        ValueError, match=r"x: expected finite values, got nan at index \(2, 1, 3\)"
    ):
        ours(x)


def test_empty_sequence():
    ours, _ = pair("gru")
    with pytest.raises(
        ValueError,
        match=r"x: expected a non-empty tensor of shape \(T, B, n_x\).*got shape \(0, 3, 5\)",
    ):
        ours(torch.zeros(0, B, N_X))


def test_wrong_type_and_rank():
    ours, _ = pair("rnn")
    with pytest.raises(TypeError, match=r"x: expected a torch.Tensor, got ndarray"):
        ours(seq().numpy())
    with pytest.raises(
        ValueError, match=r"x: expected a 3-D tensor of shape \(T, B, n_x\).*got shape \(6, 5\)"
    ):
        ours(torch.randn(T, N_X))
    with pytest.raises(
        TypeError, match=r"x_t: expected a floating-point tensor, got dtype torch.int64"
    ):
        ElmanCell(N_X, N_H)(torch.zeros(B, N_X, dtype=torch.long))


def test_bad_constructor_arguments():
    with pytest.raises(
        ValueError, match=r"cell: expected one of \['rnn', 'lstm', 'gru'\], got 'elman'"
    ):
        StackedRNN("elman", N_X, N_H)
    with pytest.raises(ValueError, match=r"nonlinearity: expected one of .*got 'softplus'"):
        ElmanCell(N_X, N_H, nonlinearity="softplus")
    with pytest.raises(ValueError, match=r"dropout: expected a number in \[0, 1\), got 1.5"):
        StackedRNN("lstm", N_X, N_H, 2, dropout=1.5)
    with pytest.raises(ValueError, match=r"n_h: expected a finite number > 0, got 0"):
        StackedRNN("lstm", N_X, 0)
    with pytest.raises(ValueError, match=r"fast: the fast paths exist for unidirectional LSTMs"):
        StackedRNN("gru", N_X, N_H, fast="compile")


def test_copy_refuses_mismatched_modules():
    ours = StackedRNN("lstm", N_X, N_H, 2)
    with pytest.raises(
        TypeError,
        match=r"torch_module: expected nn.LSTM to match StackedRNN\(cell='lstm'\), got GRU",
    ):
        copy_to_torch(ours, nn.GRU(N_X, N_H, 2))
    with pytest.raises(
        ValueError,
        match=r"expected \(input_size, hidden_size, num_layers, bidirectional\) = \(5, 4, 2, False\), got \(5, 4, 3, False\)",
    ):
        copy_to_torch(ours, nn.LSTM(N_X, N_H, 3))
    with pytest.raises(ValueError, match=r"torch_module: expected proj_size=0, got proj_size=2"):
        copy_from_torch(nn.LSTM(N_X, N_H, 2, proj_size=2), ours)
    with pytest.raises(ValueError, match=r"expected nonlinearity='tanh', got 'relu'"):
        copy_to_torch(StackedRNN("rnn", N_X, N_H), nn.RNN(N_X, N_H, nonlinearity="relu"))
    with pytest.raises(
        TypeError, match=r"torch_module: expected nn.GRUCell to match GRUCell, got LSTMCell"
    ):
        copy_to_torch(GRUCell(N_X, N_H), nn.LSTMCell(N_X, N_H))


def test_hand_written_lstm_bptt_matches_autograd_and_gradcheck():
    """The LSTMScanBPTT fast path: same outputs and gradients as the autograd loop (float64)."""
    from rnnbook.torch_cells import LSTMScanBPTT

    torch.manual_seed(0)
    ref = StackedRNN("lstm", 5, 7, num_layers=2).double()
    fast = StackedRNN("lstm", 5, 7, num_layers=2, fast="bptt").double()
    fast.load_state_dict(ref.state_dict())
    x = torch.randn(6, 3, 5, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(2, 3, 7, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(2, 3, 7, dtype=torch.float64, requires_grad=True)

    def loss(model):
        out, (h, c) = model(x, (h0, c0))
        return out.sin().sum() + (h * h).sum() + c.cos().sum()

    grads_ref = torch.autograd.grad(loss(ref), [x, h0, c0, *ref.parameters()])
    grads_fast = torch.autograd.grad(loss(fast), [x, h0, c0, *fast.parameters()])
    for a, b in zip(grads_ref, grads_fast, strict=True):
        assert torch.allclose(a, b, atol=1e-12, rtol=1e-10)

    args = [
        torch.randn(*s, dtype=torch.float64, requires_grad=True)
        for s in ((4, 2, 12), (2, 3), (2, 3), (12, 3))
    ]
    assert torch.autograd.gradcheck(LSTMScanBPTT.apply, args)


def test_fast_path_names_are_checked():
    with pytest.raises(ValueError, match="fast: expected False, 'bptt' or 'compile', got 'jit'"):
        StackedRNN("lstm", 3, 4, fast="jit")
    for gone in (True, "script"):  # torch.jit is deprecated: its path is gone, and says so
        with pytest.raises(ValueError, match="the torch.jit.script path is gone"):
            StackedRNN("lstm", 3, 4, fast=gone)
    with pytest.raises(
        ValueError, match="fast: the fast paths exist for unidirectional LSTMs only"
    ):
        StackedRNN("gru", 3, 4, fast="bptt")


def test_finiteness_check_is_skipped_while_compiling(monkeypatch):
    """The value check would break a torch.compile graph; the shape checks stay."""
    ours, _ = pair("rnn")
    x = seq()
    x[2, 1, 3] = float("nan")
    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    out, _ = ours(x)  # no ValueError: the NaN passes through, as in nn.RNN
    assert torch.isnan(out[2:]).any() and torch.isfinite(out[:2]).all()
    with pytest.raises(ValueError, match=r"x: expected a 3-D tensor"):
        ours(x[0])


def test_stacked_rnn_compiles_to_one_graph():
    ours, _ = pair("gru")
    x = seq()
    compiled = torch.compile(ours, backend="eager", fullgraph=True)  # raises on a graph break
    out, h = compiled(x)
    ref_out, ref_h = ours(x)
    assert torch.allclose(out, ref_out, atol=TOL) and torch.allclose(h, ref_h, atol=TOL)
