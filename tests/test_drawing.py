"""rnnbook.drawing: every drawing renders with Agg and labels every node once."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

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
    with pytest.raises(TypeError, match="expr_graph: expected an rnnbook.graph.ExpressionGraph"):
        drawing.draw_expression_graph(graph.folded_graph())
    with pytest.raises(ValueError, match="show_values: expected forward"):
        drawing.draw_expression_graph(expression_graph.graph_xy_product(), show_values=True)
    with pytest.raises(ValueError, match="shapes: expected one of"):
        drawing.draw_sequence_shapes(["one-to-one", "few-to-few"])
    with pytest.raises(ValueError, match="length: expected at most 5"):
        drawing.draw_sequence_shapes(length=9)
