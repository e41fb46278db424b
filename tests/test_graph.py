"""rnnbook.graph: RNN graphs (folded, unfolded, sequence shapes) and expression graphs."""

import numpy as np
import pytest
import torch

from rnnbook import graph
from rnnbook.graph import ExpressionGraph

torch.set_num_threads(1)


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


# ------------------------------------------------------------------------- expression graphs


def _numerical_grad(g: ExpressionGraph, name: str, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the sum of the output's entries with respect to variable ``name``."""
    base = g[name].value.copy()
    grad = np.zeros_like(base)
    for index in np.ndindex(base.shape):
        values = []
        for step in (eps, -eps):
            shifted = base.copy()
            shifted[index] += step
            g.set_value(name, shifted)
            values.append(float(np.sum(g.forward())))
        grad[index] = (values[0] - values[1]) / (2 * eps)
    g.set_value(name, base)
    g.forward()
    return grad


def _variables(g):
    return [n.name for n in g.nodes.values() if n.op is None]


@pytest.mark.parametrize("builder", list(graph.EXAMPLES.values()), ids=list(graph.EXAMPLES))
def test_backward_matches_finite_differences(builder):
    g = builder()
    g.forward()
    grads = {k: v.copy() for k, v in g.backward().items()}
    for name in _variables(g):
        assert grads[name].shape == g[name].value.shape
        np.testing.assert_allclose(grads[name], _numerical_grad(g, name), rtol=1e-6, atol=1e-8)


def test_forward_values_by_hand():
    x, W, b = (
        np.array([[0.5], [-1.0], [2.0]]),
        np.arange(6.0).reshape(3, 2) / 6,
        np.array([[0.1, -0.2]]),
    )
    g = graph.graph_logistic_layer(x, W, b)
    y_hat = g.forward()
    u = x.T @ W + b
    np.testing.assert_allclose(g["u2"].value, x.T @ W)
    np.testing.assert_allclose(y_hat, 1 / (1 + np.exp(-u)))
    np.testing.assert_allclose(g["x"].value, x)

    X = np.array([[1.0, -2.0], [0.5, 0.5], [-1.0, 3.0]])
    W2, b2 = np.array([[1.0, -1.0], [0.5, 2.0]]), np.array([[0.0, -1.0]])
    H = graph.graph_relu_layer(X, W2, b2).forward()
    np.testing.assert_array_equal(H, np.maximum(0, X @ W2 + b2))
    assert float(graph.graph_xy_product(3.0, -4.0).forward()) == -12.0


def test_backward_by_hand_with_upstream_gradient():
    rng = np.random.default_rng(1)
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    dH = rng.standard_normal((5, 4))
    g = graph.graph_relu_layer(X, W, b)
    g.forward()
    grads = g.backward(dH)
    delta = dH * (X @ W + b > 0)
    np.testing.assert_allclose(grads["W"], X.T @ delta)
    np.testing.assert_allclose(grads["X"], delta @ W.T)
    np.testing.assert_allclose(grads["b"], delta.sum(axis=0, keepdims=True))  # broadcast summed
    with pytest.raises(
        ValueError, match=r"grad_output: expected shape \(5, 4\) \(the output's\), got \(4, 5\)"
    ):
        g.backward(dH.T)


def test_worked_examples():
    for x in (-3.0, 0.5, 2.0, 7.0):
        g = graph.graph_square_log(x)
        g.forward()
        assert np.isclose(g.backward()["x"], 2 / x, rtol=1e-12)
    g = graph.graph_linear_dot(seed=3)
    g.forward()
    grads = g.backward()
    W, b = g["W"].value, g["b"].value
    np.testing.assert_allclose(grads["x"], W.T @ b, rtol=1e-12)
    np.testing.assert_allclose(grads["W"], b @ g["x"].value.T, rtol=1e-12)


def _torch_grads(g: ExpressionGraph, expression):
    leaves = {
        name: torch.tensor(g[name].value, dtype=torch.float64, requires_grad=True)
        for name in _variables(g)
    }
    expression(**leaves).sum().backward()
    return {name: t.grad.numpy() for name, t in leaves.items()}


@pytest.mark.parametrize(
    "builder, expression",
    [
        (graph.graph_xy_product, lambda x, y: x * y),
        (graph.graph_logistic_layer, lambda x, W, b: torch.sigmoid(x.T @ W + b)),
        (graph.graph_relu_layer, lambda X, W, b: torch.relu(X @ W + b)),
    ],
    ids=["xy_product", "logistic_layer", "relu_layer"],
)
def test_backward_matches_torch_autograd(builder, expression):
    g = builder()
    g.forward()
    grads = g.backward()
    for name, expected in _torch_grads(g, expression).items():
        np.testing.assert_allclose(grads[name], expected, rtol=1e-12, atol=1e-14)


def test_trace_and_accumulation():
    g = graph.graph_logistic_layer()
    g.forward()
    g.backward()
    trace = g.trace()
    assert "u2 = matmul(u1, W): grad_u1 = grad_u2 @ W.T" in trace
    assert trace[0] == "y_hat = sigmoid(u3): grad_u3 = grad_y_hat * y_hat * (1 - y_hat)"
    assert g["u2"].rules == {"u1": "grad_u2 @ W.T", "W": "u1.T @ grad_u2"}
    # a variable used twice collects two contributions: d(x * x)/dx = 2x
    h = ExpressionGraph()
    h.variable("x", np.array([1.5, -2.0]))
    h.apply("mul", "x", "x", name="s")
    h.forward()
    np.testing.assert_allclose(h.backward()["x"], [3.0, -4.0])
    assert [str(step) for step in h.trace_steps] == ["grad_x = grad_s * x", "grad_x += grad_s * x"]


def test_expression_graph_input_errors():
    g = ExpressionGraph()
    g.variable("x", np.ones((2, 3)))
    g.variable("W", np.ones((2, 2)), kind="parameter")
    with pytest.raises(ValueError, match="op: expected one of"):
        g.apply("conv", "x")
    with pytest.raises(ValueError, match="inputs: expected 2 input"):
        g.apply("matmul", "x")
    with pytest.raises(ValueError, match="inputs: expected names of existing nodes, got 'V'"):
        g.apply("matmul", "x", "V")
    with pytest.raises(ValueError, match="name: expected a new node name, got 'x'"):
        g.variable("x", 1.0)
    with pytest.raises(ValueError, match="x: expected finite values"):
        ExpressionGraph().variable("x", np.array([1.0, np.nan]))
    g.apply("matmul", "x", "W")
    with pytest.raises(
        ValueError, match=r"u1 = matmul\(x, W\): cannot evaluate on x \(2, 3\), W \(2, 2\)"
    ):
        g.forward()
    with pytest.raises(RuntimeError, match="backward: expected forward"):
        g.backward()
