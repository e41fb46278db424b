"""rnnbook.drawing: every drawing renders with Agg and labels every node once."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import rnnbook.cell_diagrams as cell_diagrams  # noqa: E402
from rnnbook import drawing, graph  # noqa: E402
from rnnbook.topics import expression_graph  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _gids(ax, prefix):
    return [t.get_gid()[len(prefix) :] for t in ax.texts if (t.get_gid() or "").startswith(prefix)]


def _render(fig):
    fig.canvas.draw()  # raises if any artist cannot be drawn
    return np.asarray(fig.canvas.buffer_rgba())


@pytest.mark.parametrize("model", ["hidden", "output"])
@pytest.mark.parametrize("tau", [1, 3])
def test_draw_unrolled_labels_every_node(model, tau):
    ax = drawing.draw_unrolled(model, tau)
    g = graph.unrolled_graph(model, tau)
    assert sorted(_gids(ax, "node:")) == sorted(g.nodes)
    labels = {
        t.get_gid()[5:]: t.get_text() for t in ax.texts if (t.get_gid() or "").startswith("node:")
    }
    assert labels[f"h{tau}"] == f"$h^{{({tau})}}$"
    # one parameter label per weighted edge, coloured by the parameter it shares
    edge_texts = [t for t in ax.texts if (t.get_gid() or "").startswith("edge:")]
    assert len(edge_texts) == 3 * tau
    colours = {}
    for text in edge_texts:
        colours.setdefault(text.get_text(), set()).add(text.get_color())
    assert set(colours) == {"$U$", "$W$", "$V$"}
    assert all(len(c) == 1 for c in colours.values())
    assert len({c.pop() for c in colours.values()}) == 3
    image = _render(ax.figure)
    assert image.shape[0] > 100 and image[..., :3].std() > 0  # something was drawn


def test_layout_time_left_to_right_inputs_bottom_losses_top():
    pos = drawing.layered_layout(graph.unrolled_graph("hidden", 3))
    assert pos["x1"][0] < pos["x2"][0] < pos["x3"][0]
    assert pos["x2"][1] < pos["h2"][1] < pos["o2"][1] < pos["L2"][1]
    assert pos["L2"][1] == max(y for _, y in pos.values())


@pytest.mark.parametrize("model", ["hidden", "output"])
def test_draw_folded_has_delay_marker(model):
    ax = drawing.draw_folded(model)
    assert sorted(_gids(ax, "node:")) == ["L", "h", "o", "x", "y"]
    markers = [p for p in ax.patches if (p.get_gid() or "").startswith("delay:")]
    assert len(markers) == 1
    # the marker lies inside the visible area
    (x0, y0), side = markers[0].get_xy(), markers[0].get_width()
    assert ax.get_xlim()[0] < x0 < x0 + side < ax.get_xlim()[1]
    assert ax.get_ylim()[0] < y0 < y0 + side < ax.get_ylim()[1]
    _render(ax.figure)


def test_draw_folded_and_unfolded():
    fig = drawing.draw_folded_and_unfolded("output", tau=2)
    folded, arrow, unfolded = fig.axes
    assert len(_gids(folded, "node:")) == 5
    assert len(_gids(unfolded, "node:")) == 5 * 2 + 1
    assert [t.get_text() for t in arrow.texts] == ["unfold"]
    _render(fig)


@pytest.mark.parametrize("name", list(expression_graph.EXAMPLES))
def test_draw_expression_graph(name):
    g = expression_graph.EXAMPLES[name]()
    ax = drawing.draw_expression_graph(g)
    assert sorted(_gids(ax, "node:")) == sorted(g.nodes)
    ops = [n.name for n in g.nodes.values() if n.op is not None]
    assert sorted(_gids(ax, "op:")) == sorted(ops)
    assert _gids(ax, "value:") == [] and _gids(ax, "grad:") == []
    g.forward()
    g.backward()
    ax = drawing.draw_expression_graph(g, show_values=True, show_grads=True)
    assert sorted(_gids(ax, "value:")) == sorted(g.nodes)
    assert sorted(_gids(ax, "grad:")) == sorted(g.nodes)
    _render(ax.figure)


def test_expression_texts_do_not_cover_other_nodes():
    ax = drawing.draw_expression_graph(expression_graph.graph_logistic_layer())
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    circles = [p.get_window_extent(renderer) for p in ax.patches if hasattr(p, "get_radius")]
    for text in ax.texts:
        if (text.get_gid() or "").startswith("op:"):
            box = text.get_window_extent(renderer)
            assert not any(box.overlaps(c) for c in circles), text.get_text()


def test_scalar_values_are_printed():
    g = expression_graph.graph_square_log(2.0)
    g.forward()
    g.backward()
    ax = drawing.draw_expression_graph(g, show_values=True, show_grads=True)
    texts = {t.get_gid(): t.get_text() for t in ax.texts}
    assert texts["value:y"] == "= 4.00"
    assert texts["grad:x"] == "grad 1.00"  # dz/dx = 2/x at x = 2


def test_draw_sequence_shapes():
    fig = drawing.draw_sequence_shapes()
    assert [ax.get_title() for ax in fig.axes] == [
        "one-to-one",
        "one-to-many",
        "many-to-one",
        "many-to-many",
    ]
    counts = [len(_gids(ax, "node:")) for ax in fig.axes]
    assert counts == [3, 7, 7, 9]
    _render(fig)
    assert len(drawing.draw_sequence_shapes(graph.SEQUENCE_SHAPES, length=2).axes) == 5


def test_draw_graph_of_any_graph_with_custom_positions():
    g = graph.Graph(name="two nodes")
    g.add_node("a", "$a$", "input")
    g.add_node("b", "$b$", "op")
    g.add_edge("a", "b", "W")
    ax = drawing.draw_graph(g, pos={"a": (0, 0), "b": (0, 2)}, node_shape="box")
    assert sorted(_gids(ax, "node:")) == ["a", "b"]
    assert _gids(ax, "edge:") == ["a->b"]


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(
        ValueError, match=r"model: expected one of \['hidden', 'output'\], got 'lstm'"
    ):
        drawing.draw_unrolled("lstm", 3)
    with pytest.raises(ValueError, match="model: expected one of"):
        drawing.draw_folded("gru")
    with pytest.raises(ValueError, match="tau: expected a finite number > 0, got 0"):
        drawing.draw_unrolled("hidden", 0)
    with pytest.raises(TypeError, match="tau: expected an integer, got float 3.0"):
        drawing.draw_folded_and_unfolded("hidden", 3.0)
    with pytest.raises(ValueError, match="tau: expected at most 10 time steps"):
        drawing.draw_unrolled("hidden", 11)
    with pytest.raises(TypeError, match="graph: expected an rnnbook.graph.Graph, got dict"):
        drawing.draw_graph({})
    with pytest.raises(ValueError, match="node_shape: expected one of"):
        drawing.draw_graph(graph.folded_graph(), node_shape="hexagon")
    with pytest.raises(
        ValueError, match=r"pos: expected a position for every node, got none for \['y'\]"
    ):
        drawing.draw_graph(graph.folded_graph(), pos={k: (0, i) for i, k in enumerate("xhoL")})
    with pytest.raises(
        TypeError, match="expr_graph: expected an rnnbook.topics.expression_graph.ExpressionGraph"
    ):
        drawing.draw_expression_graph(graph.folded_graph())
    with pytest.raises(ValueError, match="show_values: expected forward"):
        drawing.draw_expression_graph(expression_graph.graph_xy_product(), show_values=True)
    with pytest.raises(ValueError, match="shapes: expected one of"):
        drawing.draw_sequence_shapes(["one-to-one", "few-to-few"])
    with pytest.raises(ValueError, match="length: expected at most 5"):
        drawing.draw_sequence_shapes(length=9)


# --------------------------------------------------------------------------------------------
# Gated cells and deep, bidirectional and output-fed networks
# --------------------------------------------------------------------------------------------


def _node_xy(ax):
    """{node id: (x, y)} read back from the drawn node labels."""
    return {
        t.get_gid()[5:]: tuple(t.get_position())
        for t in ax.texts
        if (t.get_gid() or "").startswith("node:")
    }


def _arrows(ax):
    return {p.get_gid()[5:]: p for p in ax.patches if (p.get_gid() or "").startswith("edge:")}


def _path_between(g, source, sink):
    """The unique chain of nodes from source to sink when each node on it has one successor."""
    path = [source]
    while path[-1] != sink:
        (nxt,) = g.successors(path[-1])
        path.append(nxt)
    return path


def test_lstm_cell_state_path_is_a_straight_line_with_one_multiply_and_one_add():
    ax = drawing.draw_lstm_cell()
    g = cell_diagrams.lstm_cell_graph()
    assert sorted(_gids(ax, "node:")) == sorted(g.nodes)
    path = _path_between(g, "c_prev", "c_t")
    assert path == ["c_prev", "mul_f", "add", "c_t"]
    assert [g.nodes[n].label for n in path[1:-1]] == [r"$\times$", "$+$"]
    xy = _node_xy(ax)
    assert len({xy[n][1] for n in path}) == 1  # one height: a straight horizontal line
    assert [xy[n][0] for n in path] == sorted(xy[n][0] for n in path)  # left to right
    # drawn thick and red, and no other arrow is
    arrows = _arrows(ax)
    red = {e for e, p in arrows.items() if p.get_linewidth() > 2.5}
    assert red == {f"{a}->{b}" for a, b in zip(path, path[1:])}
    colours = {matplotlib.colors.to_hex(arrows[e].get_edgecolor()) for e in red}
    assert colours == {drawing.STATE_PATH_COLOUR}
    _render(ax.figure)


def test_lstm_gates_read_the_stacked_input_and_act_where_their_equations_say():
    ax = drawing.draw_lstm_cell()
    g = cell_diagrams.lstm_cell_graph()
    gates = {
        p.get_gid().split(":")[1]: p.get_gid().split(":")[2]
        for p in ax.patches
        if (p.get_gid() or "").startswith("gate:")
    }
    assert gates == {"i": "sigmoid", "f": "sigmoid", "g": "tanh", "o_gate": "sigmoid"}
    assert sorted(g.predecessors("I")) == ["h_prev", "x"]
    for gate in gates:
        assert g.predecessors(gate) == ["I"]
    assert g.successors("f") == ["mul_f"]  # the forget gate scales c^(t-1)
    assert sorted(g.predecessors("mul_ig")) == ["g", "i"]  # i * g is what is written
    assert sorted(g.predecessors("mul_o")) == ["o_gate", "tanh_c"]  # h = o_gate * tanh(c)
    assert g.predecessors("tanh_c") == ["c_t"] and g.successors("mul_o") == ["h_t"]
    # every arrow of the graph is drawn once, with its gid
    assert sorted(_arrows(ax)) == sorted(f"{e.source}->{e.target}" for e in g.edges)
    # the gates sit in one row below the state path, and read I from a line below them
    xy = _node_xy(ax)
    assert len({xy[gate][1] for gate in gates}) == 1
    assert xy["I"][1] < xy["f"][1] < xy["c_prev"][1]


def test_lstm_equations_are_listed_in_order_and_numbered_beside_their_parts():
    ax = drawing.draw_lstm_cell()
    keys = _gids(ax, "equation:")
    assert keys == ["I", "f", "i", "g", "o_gate", "c", "h"]
    texts = {t.get_gid(): t for t in ax.texts if t.get_gid()}
    assert r"\odot c^{(t-1)}" in texts["equation:c"].get_text()
    assert r"\sigma" in texts["equation:f"].get_text()
    assert r"\tanh" in texts["equation:g"].get_text()
    assert r"\tanh(c^{(t)})" in texts["equation:h"].get_text()
    xy = _node_xy(ax)
    for number, key in enumerate(keys, start=1):
        assert texts[f"eqnum:{key}"].get_text() == str(number)
        tags = [t for gid, t in texts.items() if gid.startswith(f"tag:{key}:")]
        assert {t.get_gid().split(":")[2] for t in tags} == set(
            cell_diagrams.LSTM_EQUATIONS[key].nodes
        )
        for tag in tags:
            assert tag.get_text() == str(number)
            node = tag.get_gid().split(":")[2]
            assert np.hypot(*np.subtract(tag.get_position(), xy[node])) < 0.7  # beside it
    assert _gids(drawing.draw_lstm_cell(show_equations=False), "equation:") == []


def test_gru_has_no_cell_state_and_its_gates_act_where_their_equations_say():
    ax = drawing.draw_gru_cell()
    g = cell_diagrams.gru_cell_graph()
    assert sorted(_gids(ax, "node:")) == sorted(g.nodes)
    assert not any("c" in n.split("_")[0] for n in g.nodes)  # no c_prev, no c_t
    assert not any("c^" in node.label for node in g.nodes.values())
    path = _path_between(g, "mul_z", "h_t")
    assert ["h_prev", *path] == ["h_prev", "mul_z", "add", "h_t"]
    xy = _node_xy(ax)
    assert len({xy[n][1] for n in ["h_prev", *path]}) == 1  # the state path is straight
    gates = sorted(p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith("gate:"))
    assert gates == ["gate:n:tanh", "gate:r:sigmoid", "gate:z:sigmoid"]
    assert g.successors("r") == ["n"]  # the reset gate only scales the candidate's input
    assert sorted(g.successors("z")) == ["mul_z", "one_minus"]  # z keeps, 1 - z lets in
    assert sorted(g.predecessors("mul_n")) == ["n", "one_minus"]
    assert _gids(ax, "equation:") == ["I", "z", "r", "n", "h"]
    assert r"r^{(t)} \odot (W_n h^{(t-1)} + b_{hn})" in next(
        t.get_text() for t in ax.texts if t.get_gid() == "equation:n"
    )
    _render(ax.figure)


@pytest.mark.parametrize("num_layers", [1, 2, 4])
def test_deep_network_has_one_hidden_row_per_layer(num_layers):
    tau = 3
    ax = drawing.draw_deep(num_layers, tau)
    g = cell_diagrams.deep_graph(num_layers, tau)
    xy = _node_xy(ax)
    assert sorted(xy) == sorted(g.nodes)
    hidden_rows = {xy[n.id][1] for n in g.nodes_of_kind("hidden")}
    assert len(hidden_rows) == num_layers
    for layer in range(1, num_layers + 1):
        row = [n for n in g.nodes if n.startswith(f"h{layer}_")]
        assert len(row) == tau + 1 and len({xy[n][1] for n in row}) == 1
    rows_up = sorted(hidden_rows)
    for layer in range(1, num_layers + 1):  # layer l in the l-th row from the bottom
        assert xy[f"h{layer}_1"][1] == rows_up[layer - 1]
    shared = g.shared_parameters()
    assert len(shared) == 2 * num_layers + 1  # U_l and W_l per layer, and V
    for edge in shared[f"W_{num_layers}"]:  # along a row
        assert xy[edge.source][1] == xy[edge.target][1] and xy[edge.source][0] < xy[edge.target][0]
    for edge in shared["U_1"]:  # up a column
        assert xy[edge.source][0] == xy[edge.target][0] and xy[edge.source][1] < xy[edge.target][1]
    label_colours = {}
    for text in ax.texts:
        if (text.get_gid() or "").startswith("edge:"):
            label_colours.setdefault(text.get_text(), set()).add(text.get_color())
    assert all(len(c) == 1 for c in label_colours.values())
    assert len({c.pop() for c in label_colours.values()}) == 2 * num_layers + 1  # no two alike
    _render(ax.figure)


def test_bidirectional_network_has_two_hidden_rows_with_opposite_arrows():
    tau = 3
    ax = drawing.draw_bidirectional(tau)
    g = cell_diagrams.bidirectional_graph(tau)
    xy = _node_xy(ax)
    forward = [n for n in g.nodes if n.startswith("hf")]
    backward = [n for n in g.nodes if n.startswith("hb")]
    assert len(forward) == len(backward) == tau + 1
    assert len({xy[n][1] for n in forward}) == 1 and len({xy[n][1] for n in backward}) == 1
    assert xy[forward[0]][1] != xy[backward[0]][1]  # two rows
    along = {"hf": [], "hb": []}
    for e in g.edges:
        if e.source[:2] == e.target[:2] and e.source[:2] in along:
            along[e.source[:2]].append(xy[e.target][0] - xy[e.source][0])
    assert len(along["hf"]) == len(along["hb"]) == tau
    assert all(d > 0 for d in along["hf"]) and all(d < 0 for d in along["hb"])  # opposite
    for t in range(1, tau + 1):
        assert sorted(g.predecessors(f"o{t}")) == [f"hb{t}", f"hf{t}"]  # sees both directions
        assert sorted(g.successors(f"x{t}")) == [f"hb{t}", f"hf{t}"]
    assert _gids(ax, "equation:") == ["forward", "backward", "output"]
    _render(ax.figure)


def test_output_and_hidden_model_feeds_the_previous_output_into_the_hidden_units():
    tau = 4
    ax = drawing.draw_output_and_hidden(tau)
    g = cell_diagrams.output_and_hidden_graph(tau)
    assert sorted(_gids(ax, "node:")) == sorted(g.nodes)
    r_edges = [(e.source, e.target) for e in g.shared_parameters()["R"]]
    assert r_edges == [(f"y{t - 1}", f"h{t}") for t in range(2, tau + 1)]
    for t in range(1, tau + 1):  # and the previous state as well
        assert f"h{t - 1}" in g.predecessors(f"h{t}")
    assert _gids(ax, "edge:").count("y1->h2") == 1  # R is written on its edge
    # In the hidden-to-hidden model of notebook 03 a target only meets its loss (the outputs are
    # conditionally independent given x); here it also drives every later hidden state.
    plain = graph.unrolled_graph("hidden", tau)
    assert all(plain.successors(f"y{t}") == [f"L{t}"] for t in range(1, tau + 1))
    assert all(f"h{t + 1}" in g.successors(f"y{t}") for t in range(1, tau))
    _render(ax.figure)


@pytest.mark.parametrize(
    "draw", [drawing.draw_bidirectional, drawing.draw_output_and_hidden, drawing.draw_deep]
)
def test_network_edge_labels_do_not_cover_nodes(draw):
    ax = draw()
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    circles = [p.get_window_extent(renderer) for p in ax.patches if hasattr(p, "get_radius")]
    labels = [t for t in ax.texts if (t.get_gid() or "").startswith("edge:")]
    assert labels
    for text in labels:
        box = text.get_window_extent(renderer)
        assert not any(box.overlaps(c) for c in circles), text.get_text()


# --------------------------------------------------------------------------------------------
# Bad input: the argument's name, what was expected, what arrived
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, words",
    [
        (
            lambda: drawing.draw_lstm_cell(ax="left"),
            TypeError,
            "ax: expected a matplotlib Axes or None, got str",
        ),
        (
            lambda: drawing.draw_gru_cell(show_equations=1),
            TypeError,
            "show_equations: expected True or False, got int 1",
        ),
        (
            lambda: drawing.draw_lstm_cell(title=3),
            TypeError,
            "title: expected a string or None, got int",
        ),
        (
            lambda: drawing.draw_deep(0),
            ValueError,
            "num_layers: expected a finite number > 0, got 0",
        ),
        (
            lambda: drawing.draw_deep(5),
            ValueError,
            "num_layers: expected at most 4 for a readable drawing, got 5",
        ),
        (lambda: drawing.draw_deep(2, 2.0), TypeError, "tau: expected an integer, got float 2.0"),
        (
            lambda: drawing.draw_bidirectional(7),
            ValueError,
            "tau: expected at most 6 for a readable drawing, got 7",
        ),
        (
            lambda: drawing.draw_bidirectional(True),
            TypeError,
            "tau: expected an integer, got bool True",
        ),
        (
            lambda: drawing.draw_output_and_hidden(-1),
            ValueError,
            "tau: expected a finite number > 0, got -1",
        ),
        (
            lambda: drawing.draw_output_and_hidden(3, ax=[]),
            TypeError,
            "ax: expected a matplotlib Axes or None, got list",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), pos=[(0, 0)]),
            TypeError,
            r"pos: expected a dict \{node id: \(x, y\)\}, got list",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), pos={k: (0, "a") for k in "xhoLy"}),
            ValueError,
            r"pos: expected a pair of finite numbers \(x, y\) for node 'x', got \(0, 'a'\)",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), pos={k: (0, np.nan) for k in "xhoLy"}),
            ValueError,
            "pos: expected a pair of finite numbers",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), show_parameters="yes"),
            TypeError,
            "show_parameters: expected True or False, got str 'yes'",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), fontsize=0),
            ValueError,
            "fontsize: expected a finite number > 0, got 0",
        ),
        (
            lambda: drawing.draw_graph(graph.folded_graph(), node_shape=None),
            TypeError,
            "node_shape: expected 'circle' or 'box', got NoneType",
        ),
        (
            lambda: drawing.draw_graph(graph.Graph()),
            ValueError,
            "graph: expected at least one node, got an empty graph",
        ),
        (
            lambda: drawing.draw_unrolled(["hidden"]),
            TypeError,
            r"model: expected one of \['hidden', 'output'\], got list",
        ),
        (
            lambda: drawing.draw_folded("hidden", ax=1),
            TypeError,
            "ax: expected a matplotlib Axes or None, got int",
        ),
        (
            lambda: drawing.draw_expression_graph(graph.folded_graph(), show_grads="no"),
            TypeError,
            "show_grads: expected True or False, got str 'no'",
        ),
        (
            lambda: drawing.draw_sequence_shapes([]),
            ValueError,
            "shapes: expected at least one shape name, got an empty list",
        ),
        (
            lambda: drawing.draw_sequence_shapes(3),
            TypeError,
            "shapes: expected a shape name or a list of them",
        ),
        (
            lambda: drawing.draw_sequence_shapes([1]),
            TypeError,
            r"shapes: expected shape names \(strings\), got int",
        ),
        (
            lambda: drawing.layered_layout("graph"),
            TypeError,
            "graph: expected an rnnbook.graph.Graph, got str",
        ),
        (
            lambda: drawing.depth_layout(graph.folded_graph(), spacing=-1),
            ValueError,
            "spacing: expected a finite number > 0, got -1",
        ),
        (
            lambda: drawing.parameter_colours(None),
            TypeError,
            "graph: expected an rnnbook.graph.Graph, got NoneType",
        ),
        (lambda: cell_diagrams.deep_equations(9), ValueError, "num_layers: expected at most 4"),
    ],
)
def test_bad_drawing_arguments_name_the_argument(call, error, words):
    with pytest.raises(error, match=words):
        call()
    assert plt.get_fignums() == []  # refused before any figure was opened


@pytest.mark.parametrize("draw", [drawing.draw_lstm_cell, drawing.draw_gru_cell])
def test_cell_equations_and_tags_do_not_cover_other_parts(draw):
    ax = draw()
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    xy = _node_xy(ax)
    centres = {n: ax.transData.transform(p) for n, p in xy.items()}
    node_boxes = {}
    for patch in ax.patches:
        if (patch.get_gid() or "").startswith(("edge:", "next:")):
            continue
        box = patch.get_window_extent(renderer)  # a node's circle or box: find whose
        middle = ((box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2)
        owner = min(centres, key=lambda n: np.hypot(*np.subtract(centres[n], middle)))
        node_boxes[owner] = box
    assert sorted(node_boxes) == sorted(xy)
    arrows = [
        p.get_window_extent(renderer) for p in ax.patches if (p.get_gid() or "").startswith("edge:")
    ]
    for text in ax.texts:
        gid = text.get_gid() or ""
        box = text.get_window_extent(renderer)
        if gid.startswith("equation:"):  # the list on the right is clear of the whole drawing
            assert not any(box.overlaps(b) for b in [*node_boxes.values(), *arrows]), gid
        elif gid.startswith("tag:"):  # a number touches its own part and no other
            own = gid.split(":")[2]
            assert not any(box.overlaps(b) for n, b in node_boxes.items() if n != own), gid
