"""rnnbook.graph: RNN graphs (folded, unfolded, sequence shapes)."""

import pytest

from rnnbook import graph

# ------------------------------------------------------------------------------ model graphs


@pytest.mark.parametrize("model", ["hidden", "output"])
@pytest.mark.parametrize("tau", [1, 2, 3, 4, 5])
def test_unrolled_graph_counts(model, tau):
    g = graph.unrolled_graph(model, tau)
    assert len(g.nodes) == 5 * tau + 1
    assert len(g.edges) == 5 * tau
    kinds = {k: len(g.nodes_of_kind(k)) for k in ("input", "hidden", "output", "loss", "target")}
    initial = {"hidden": "hidden", "output": "output"}[model]
    expected = dict.fromkeys(kinds, tau)
    expected[initial] += 1
    assert kinds == expected
    assert g.is_acyclic()
    assert len(g.topological_order()) == len(g.nodes)


@pytest.mark.parametrize("model", ["hidden", "output"])
def test_shared_parameters_list_the_right_edges(model):
    tau = 4
    g = graph.unrolled_graph(model, tau)
    shared = g.shared_parameters()
    assert set(shared) == {"U", "W", "V"}
    pairs = {name: [(e.source, e.target) for e in edges] for name, edges in shared.items()}
    assert pairs["U"] == [(f"x{t}", f"h{t}") for t in range(1, tau + 1)]
    assert pairs["V"] == [(f"h{t}", f"o{t}") for t in range(1, tau + 1)]
    state = "h" if model == "hidden" else "o"
    assert pairs["W"] == [(f"{state}{t - 1}", f"h{t}") for t in range(1, tau + 1)]
    biases = g.shared_biases()
    assert biases == {
        "b": [f"h{t}" for t in range(1, tau + 1)],
        "c": [f"o{t}" for t in range(1, tau + 1)],
    }
    # each loss reads its output and its target, nothing else
    for t in range(1, tau + 1):
        assert sorted(g.predecessors(f"L{t}")) == [f"o{t}", f"y{t}"]


def test_folded_graphs_have_the_cycle():
    hidden, output = graph.folded_graph("hidden"), graph.folded_graph("output")
    assert hidden.find_cycle() == ["h", "h"]
    assert output.find_cycle() == ["h", "o", "h"]
    assert not hidden.is_acyclic() and not output.is_acyclic()
    for g, source in ((hidden, "h"), (output, "o")):
        (w_edge,) = g.shared_parameters()["W"]
        assert (w_edge.source, w_edge.target, w_edge.delay) == (source, "h", True)
        assert sum(e.delay for e in g.edges) == 1
    with pytest.raises(ValueError, match="expected an acyclic graph, got the cycle h -> h"):
        hidden.topological_order()


def test_sequence_shapes():
    counts = {}
    for shape in graph.SEQUENCE_SHAPES:
        g = graph.sequence_shape_graph(shape, length=3)
        counts[shape] = tuple(len(g.nodes_of_kind(k)) for k in ("input", "hidden", "output"))
        assert g.is_acyclic()
    assert counts == {
        "one-to-one": (1, 1, 1),
        "one-to-many": (1, 3, 3),
        "many-to-one": (3, 3, 1),
        "many-to-many": (3, 3, 3),
        "many-to-many-delayed": (3, 6, 3),
    }
    many_to_one = graph.sequence_shape_graph("many-to-one", 4)
    assert many_to_one.predecessors("y4") == ["h4"]  # one read-out, from the last state


def test_graph_and_model_input_errors():
    with pytest.raises(
        ValueError, match=r"model: expected one of \['hidden', 'output'\], got 'jordan'"
    ):
        graph.unrolled_graph("jordan", 3)
    with pytest.raises(ValueError, match="model: expected one of"):
        graph.folded_graph("elman")
    with pytest.raises(ValueError, match="tau: expected a finite number > 0, got 0"):
        graph.unrolled_graph("hidden", 0)
    with pytest.raises(TypeError, match="tau: expected an integer, got float 2.5"):
        graph.unrolled_graph("hidden", 2.5)
    with pytest.raises(ValueError, match="shape: expected one of"):
        graph.sequence_shape_graph("two-to-two")
    g = graph.Graph()
    g.add_node("a", "$a$", "input")
    with pytest.raises(ValueError, match="id: expected a new node id, got 'a'"):
        g.add_node("a", "$a$", "input")
    with pytest.raises(ValueError, match="kind: expected one of"):
        g.add_node("b", "$b$", "neuron")
    with pytest.raises(ValueError, match="target: expected the id of a node in the graph, got 'z'"):
        g.add_edge("a", "z")
