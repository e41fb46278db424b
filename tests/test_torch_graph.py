"""rnnbook.topics.autograd_graph: autograd's recorded graph as an rnnbook.graph.Graph."""

import pytest
import torch

from rnnbook.graph import Graph
from rnnbook.topics.autograd_graph import recorded_graph

torch.set_num_threads(1)


def two_layer_network():
    """v = W1 x, h = σ(v), z = W2 h, ŷ = softmax(z), columns are examples (notebook 02)."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(10, 1, generator=gen, dtype=torch.float64)
    W1 = torch.randn(4, 10, generator=gen, dtype=torch.float64, requires_grad=True)
    W2 = torch.randn(2, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    v = W1 @ x
    h = torch.sigmoid(v)
    z = W2 @ h
    y_hat = torch.softmax(z, dim=0)
    return y_hat, {"W_1": W1, "W_2": W2, "v": v, "h": h, "z": z, "y": y_hat}


def test_two_layer_network_graph_has_its_operations_leaves_and_edges():
    y_hat, names = two_layer_network()
    graph, ops = recorded_graph(y_hat, names)
    assert isinstance(graph, Graph)
    assert ops == [
        ("y", "SoftmaxBackward0"),
        ("z", "MmBackward0"),
        ("h", "SigmoidBackward0"),
        ("v", "MmBackward0"),
    ]
    assert sorted(n.id for n in graph.nodes_of_kind("parameter")) == ["W_1", "W_2"]
    assert sorted(n.id for n in graph.nodes_of_kind("op")) == ["h", "v", "y", "z"]
    assert "x" not in graph.nodes  # no gradient required: autograd does not record it
    edges = sorted((e.source, e.target) for e in graph.edges)
    assert edges == [("W_1", "v"), ("W_2", "z"), ("h", "z"), ("v", "h"), ("z", "y")]
    assert graph.is_acyclic() and graph.topological_order()[-1] == "y"
    assert graph.nodes["W_1"].label == "$W_1$"


def test_a_leaf_used_twice_is_one_node_with_two_edges():
    w = torch.tensor(2.0, requires_grad=True)
    a = w * 3.0
    b = a + w
    graph, ops = recorded_graph(b, {"w": w, "a": a, "b": b})
    assert [op for _, op in ops] == ["AddBackward0", "MulBackward0"]
    assert list(graph.nodes_of_kind("parameter"))[0].id == "w"
    assert sorted((e.source, e.target) for e in graph.edges) == [("a", "b"), ("w", "a"), ("w", "b")]


def test_recorded_graph_names_what_is_missing():
    y_hat, names = two_layer_network()
    del names["h"]
    with pytest.raises(ValueError, match="got none for a tensor produced by SigmoidBackward0"):
        recorded_graph(y_hat, names)
    with pytest.raises(ValueError, match="output: expected a tensor computed from tensors"):
        recorded_graph(torch.ones(3), {"x": torch.ones(3)})
    with pytest.raises(TypeError, match="names: expected a non-empty dict"):
        recorded_graph(y_hat, {})
