"""The graphs behind the drawings of gated cells and of deep, bidirectional and output-fed networks.

Pure Python: each function returns an :class:`rnnbook.graph.Graph` (``rnnbook.drawing`` draws
it) and, for the cells, the equations each part implements.

- :func:`lstm_cell_graph`: one LSTM step, gates ``i, f, g, o_gate`` (the course's order), the
  cell-state path ``c^(t-1) -> x -> + -> c^(t)`` and the read-out ``h^(t) = o_gate * tanh(c^(t))``;
- :func:`gru_cell_graph`: one GRU step, gates ``r, z`` and candidate ``n``; no cell state, the
  state path runs through ``h`` itself;
- :func:`deep_graph`: ``L`` stacked recurrent layers unfolded for ``tau`` steps;
- :func:`bidirectional_graph`: a forward and a backward recurrent row feeding every output;
- :func:`output_and_hidden_graph`: hidden units that receive the previous output value
  ``y^(t-1)`` (through ``R``) as well as the previous state (Goodfellow et al., fig. 10.10).

Every node id is stable, so that tests and notebooks can ask about the structure:
``graph.predecessors("add")``, ``graph.shared_parameters()["R"]`` and so on.
"""

from __future__ import annotations

from typing import NamedTuple

from rnnbook._validate import check_positive
from rnnbook.graph import Graph, unrolled_graph

__all__ = [
    "Equation",
    "MAX_LAYERS",
    "MAX_STEPS",
    "LSTM_EQUATIONS",
    "GRU_EQUATIONS",
    "lstm_cell_graph",
    "gru_cell_graph",
    "deep_graph",
    "bidirectional_graph",
    "output_and_hidden_graph",
    "deep_equations",
    "BIDIRECTIONAL_EQUATIONS",
    "OUTPUT_AND_HIDDEN_EQUATIONS",
]

MAX_LAYERS = 4  # beyond this a deep network's rows no longer fit a notebook's height
MAX_STEPS = 6  # beyond this the rows no longer fit a notebook's width


class Equation(NamedTuple):
    """One equation of a drawing: its mathtext and the ids of the nodes that compute it."""

    tex: str
    nodes: tuple[str, ...]


# One entry per equation, in the order of notebook 07; ``nodes`` are where each one acts.
LSTM_EQUATIONS: dict[str, Equation] = {
    "I": Equation(r"$I^{(t)} = [h^{(t-1)};\ x^{(t)}]$", ("I",)),
    "f": Equation(r"$f^{(t)} = \sigma(U_f x^{(t)} + W_f h^{(t-1)} + b_f)$", ("f",)),
    "i": Equation(r"$i^{(t)} = \sigma(U_i x^{(t)} + W_i h^{(t-1)} + b_i)$", ("i",)),
    "g": Equation(r"$g^{(t)} = \tanh(U_g x^{(t)} + W_g h^{(t-1)} + b_g)$", ("g",)),
    "o_gate": Equation(
        r"$o^{(t)}_{\mathrm{gate}} = \sigma(U_o x^{(t)} + W_o h^{(t-1)} + b_o)$", ("o_gate",)
    ),
    "c": Equation(
        r"$c^{(t)} = f^{(t)} \odot c^{(t-1)} + i^{(t)} \odot g^{(t)}$", ("mul_f", "mul_ig", "add")
    ),
    "h": Equation(r"$h^{(t)} = o^{(t)}_{\mathrm{gate}} \odot \tanh(c^{(t)})$", ("tanh_c", "mul_o")),
}

GRU_EQUATIONS: dict[str, Equation] = {
    "I": Equation(r"$I^{(t)} = [h^{(t-1)};\ x^{(t)}]$", ("I",)),
    "z": Equation(r"$z^{(t)} = \sigma(U_z x^{(t)} + b_{xz} + W_z h^{(t-1)} + b_{hz})$", ("z",)),
    "r": Equation(r"$r^{(t)} = \sigma(U_r x^{(t)} + b_{xr} + W_r h^{(t-1)} + b_{hr})$", ("r",)),
    "n": Equation(
        r"$n^{(t)} = \tanh(U_n x^{(t)} + b_{xn} + r^{(t)} \odot (W_n h^{(t-1)} + b_{hn}))$",
        ("n",),
    ),
    "h": Equation(
        r"$h^{(t)} = (1 - z^{(t)}) \odot n^{(t)} + z^{(t)} \odot h^{(t-1)}$",
        ("one_minus", "mul_n", "mul_z", "add"),
    ),
}

BIDIRECTIONAL_EQUATIONS: dict[str, Equation] = {
    "forward": Equation(
        r"$h_{\rightarrow}^{(t)} = \tanh(b_{\rightarrow} + W_{\rightarrow} h_{\rightarrow}^{(t-1)}"
        r" + U_{\rightarrow} x^{(t)})$",
        (),
    ),
    "backward": Equation(
        r"$h_{\leftarrow}^{(t)} = \tanh(b_{\leftarrow} + W_{\leftarrow} h_{\leftarrow}^{(t+1)}"
        r" + U_{\leftarrow} x^{(t)})$",
        (),
    ),
    "output": Equation(r"$o^{(t)} = c + V\,[h_{\rightarrow}^{(t)};\ h_{\leftarrow}^{(t)}]$", ()),
}

OUTPUT_AND_HIDDEN_EQUATIONS: dict[str, Equation] = {
    "hidden": Equation(r"$h^{(t)} = \tanh(b + W h^{(t-1)} + R\, y^{(t-1)} + U x^{(t)})$", ()),
    "output": Equation(r"$o^{(t)} = c + V h^{(t)}$", ()),
}


def _check_steps(name: str, value, most: int) -> int:
    check_positive(name, value, integer=True)
    if value > most:
        raise ValueError(f"{name}: expected at most {most} for a readable drawing, got {value}")
    return value


def lstm_cell_graph() -> Graph:
    """One LSTM step as a graph: inputs, the stacked input ``I``, four gates, the operations.

    Node ids: ``c_prev``, ``h_prev``, ``x`` (inputs); ``I`` = ``[h^(t-1); x^(t)]``, which every
    gate reads; the gates ``f``, ``i``, ``g``, ``o_gate``; the operations ``mul_f`` (f * c^(t-1)),
    ``mul_ig`` (i * g), ``add``, ``tanh_c``, ``mul_o``; the outputs ``c_t`` and ``h_t``. The
    cell-state path is ``c_prev -> mul_f -> add -> c_t``: one multiply and one add, nothing else.
    """
    g = Graph(name="LSTM cell")
    g.add_node("c_prev", "$c^{(t-1)}$", "hidden")
    g.add_node("h_prev", "$h^{(t-1)}$", "hidden")
    g.add_node("x", "$x^{(t)}$", "input")
    g.add_node("I", "$I^{(t)}$", "op")
    for gate, label in (("f", "$f$"), ("i", "$i$"), ("g", "$g$"), ("o_gate", r"$o_{\rm gate}$")):
        g.add_node(gate, label, "op")
    for op, label in (
        ("mul_f", r"$\times$"),
        ("mul_ig", r"$\times$"),
        ("add", "$+$"),
        ("tanh_c", "tanh"),
        ("mul_o", r"$\times$"),
    ):
        g.add_node(op, label, "op")
    g.add_node("c_t", "$c^{(t)}$", "hidden")
    g.add_node("h_t", "$h^{(t)}$", "hidden")
    g.add_edge("h_prev", "I")
    g.add_edge("x", "I")
    for gate in ("f", "i", "g", "o_gate"):
        g.add_edge("I", gate)
    g.add_edge("c_prev", "mul_f")
    g.add_edge("f", "mul_f")
    g.add_edge("i", "mul_ig")
    g.add_edge("g", "mul_ig")
    g.add_edge("mul_f", "add")
    g.add_edge("mul_ig", "add")
    g.add_edge("add", "c_t")
    g.add_edge("c_t", "tanh_c")
    g.add_edge("tanh_c", "mul_o")
    g.add_edge("o_gate", "mul_o")
    g.add_edge("mul_o", "h_t")
    return g


def gru_cell_graph() -> Graph:
    """One GRU step as a graph, in PyTorch's form (the course's), gates ``r, z`` and ``n``.

    Node ids: ``h_prev``, ``x``; ``I`` = ``[h^(t-1); x^(t)]``; the gates ``z``, ``r`` and the
    candidate ``n`` (which reads ``I`` and the reset gate ``r``, because ``r`` scales the
    recurrent part ``W_n h^(t-1) + b_hn`` of its pre-activation); the operations ``mul_z``
    (z * h^(t-1)), ``one_minus`` (1 - z), ``mul_n`` ((1 - z) * n), ``add``; the output ``h_t``.
    There is no cell state: the state path is ``h_prev -> mul_z -> add -> h_t``.
    """
    g = Graph(name="GRU cell")
    g.add_node("h_prev", "$h^{(t-1)}$", "hidden")
    g.add_node("x", "$x^{(t)}$", "input")
    g.add_node("I", "$I^{(t)}$", "op")
    for gate in ("z", "r", "n"):
        g.add_node(gate, f"${gate}$", "op")
    for op, label in (
        ("mul_z", r"$\times$"),
        ("one_minus", "$1-$"),
        ("mul_n", r"$\times$"),
        ("add", "$+$"),
    ):
        g.add_node(op, label, "op")
    g.add_node("h_t", "$h^{(t)}$", "hidden")
    g.add_edge("h_prev", "I")
    g.add_edge("x", "I")
    for gate in ("z", "r", "n"):
        g.add_edge("I", gate)
    g.add_edge("r", "n")
    g.add_edge("h_prev", "mul_z")
    g.add_edge("z", "mul_z")
    g.add_edge("z", "one_minus")
    g.add_edge("one_minus", "mul_n")
    g.add_edge("n", "mul_n")
    g.add_edge("mul_z", "add")
    g.add_edge("mul_n", "add")
    g.add_edge("add", "h_t")
    return g


def deep_graph(num_layers: int = 2, tau: int = 3) -> Graph:
    """``num_layers`` stacked recurrent layers unfolded for ``tau`` steps.

    Node ids: ``x{t}``, ``h{l}_{t}`` (layer ``l`` = 1 .. L at step ``t`` = 0 .. tau, step 0 the
    initial state), ``o{t}``. Layer ``l`` reads layer ``l - 1``'s state at the same step
    through ``U_l`` (layer 1 reads ``x^(t)`` through ``U_1``) and its own previous state
    through ``W_l``; the output reads the top layer through ``V``.
    """
    _check_steps("num_layers", num_layers, MAX_LAYERS)
    _check_steps("tau", tau, MAX_STEPS)
    g = Graph(name=f"deep RNN, {num_layers} layers, unfolded for tau = {tau}")
    for layer in range(1, num_layers + 1):
        g.add_node(f"h{layer}_0", f"$h_{{{layer}}}^{{(0)}}$", "hidden", 0)
    for t in range(1, tau + 1):
        g.add_node(f"x{t}", f"$x^{{({t})}}$", "input", t)
        below = f"x{t}"
        for layer in range(1, num_layers + 1):
            node = f"h{layer}_{t}"
            g.add_node(node, f"$h_{{{layer}}}^{{({t})}}$", "hidden", t, bias=f"b_{layer}")
            g.add_edge(below, node, f"U_{layer}")
            g.add_edge(f"h{layer}_{t - 1}", node, f"W_{layer}")
            below = node
        g.add_node(f"o{t}", f"$o^{{({t})}}$", "output", t, bias="c")
        g.add_edge(below, f"o{t}", "V")
    return g


def deep_equations(num_layers: int = 2) -> dict[str, Equation]:
    """The equations of :func:`deep_graph`: one per layer's recurrence, then the output."""
    _check_steps("num_layers", num_layers, MAX_LAYERS)
    top = num_layers
    return {
        "layer": Equation(
            r"$h_l^{(t)} = \tanh(b_l + W_l h_l^{(t-1)} + U_l h_{l-1}^{(t)}),\ "
            r"h_0^{(t)} = x^{(t)}$",
            (),
        ),
        "output": Equation(f"$o^{{(t)}} = c + V h_{{{top}}}^{{(t)}}$", ()),
    }


def bidirectional_graph(tau: int = 3) -> Graph:
    """A bidirectional recurrent layer unfolded for ``tau`` steps.

    Node ids: ``x{t}``; the forward row ``hf{t}`` (t = 0 .. tau, ``hf0`` the initial state),
    whose edges run forward in time through ``W_→``; the backward row ``hb{t}`` (t = 1 .. tau + 1,
    ``hb{tau+1}`` its initial state), whose edges run backward in time through ``W_←``; ``o{t}``,
    which reads both rows through ``V``.
    """
    _check_steps("tau", tau, MAX_STEPS)
    right, left = r"_{\rightarrow}", r"_{\leftarrow}"
    g = Graph(name=f"bidirectional RNN, unfolded for tau = {tau}")
    g.add_node("hf0", f"$h{right}^{{(0)}}$", "hidden", 0)
    g.add_node(f"hb{tau + 1}", f"$h{left}^{{({tau + 1})}}$", "hidden", tau + 1)
    for t in range(1, tau + 1):
        g.add_node(f"x{t}", f"$x^{{({t})}}$", "input", t)
        g.add_node(f"hf{t}", f"$h{right}^{{({t})}}$", "hidden", t, bias=f"b{right}")
        g.add_node(f"hb{t}", f"$h{left}^{{({t})}}$", "hidden", t, bias=f"b{left}")
        g.add_node(f"o{t}", f"$o^{{({t})}}$", "output", t, bias="c")
    for t in range(1, tau + 1):
        g.add_edge(f"x{t}", f"hf{t}", f"U{right}")
        g.add_edge(f"hf{t - 1}", f"hf{t}", f"W{right}")
    for t in range(tau, 0, -1):
        g.add_edge(f"x{t}", f"hb{t}", f"U{left}")
        g.add_edge(f"hb{t + 1}", f"hb{t}", f"W{left}")
    for t in range(1, tau + 1):
        g.add_edge(f"hf{t}", f"o{t}", "V")
        g.add_edge(f"hb{t}", f"o{t}", "V")
    return g


def output_and_hidden_graph(tau: int = 3) -> Graph:
    """Hidden units that receive the previous output value as well as the previous state.

    Goodfellow et al., fig. 10.10: ``h^(t) = tanh(b + W h^(t-1) + R y^(t-1) + U x^(t))``,
    ``o^(t) = c + V h^(t)``, loss ``L^(t)`` between ``o^(t)`` and ``y^(t)``. ``y^(t-1)`` is the
    target during training and the sampled output when generating. Node ids as in
    ``rnnbook.graph.unrolled_graph`` (``x{t}``, ``h{t}``, ``o{t}``, ``L{t}``, ``y{t}``, ``h0``);
    the edges ``y{t-1} -> h{t}`` (t = 2 .. tau) carry ``R``.
    """
    _check_steps("tau", tau, MAX_STEPS)
    g = unrolled_graph("hidden", tau)  # the hidden-to-hidden model, plus the R edges below
    g.name = f"hidden and output recurrence, unfolded for tau = {tau}"
    for t in range(2, tau + 1):
        g.add_edge(f"y{t - 1}", f"h{t}", "R")
    return g
