"""rnnbook.topics.expression_graph: forward and reverse mode node by node, against finite
differences and torch autograd; the operations' forward/backward pairs; bad inputs."""

import numpy as np
import pytest
import torch

from rnnbook.topics import expression_graph as graph
from rnnbook.topics.expression_graph import ExpressionGraph

torch.set_num_threads(1)


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
    W, q = g["W"].value, g["q"].value
    np.testing.assert_allclose(grads["x"], W.T @ q, rtol=1e-12)
    np.testing.assert_allclose(grads["W"], q @ g["x"].value.T, rtol=1e-12)


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
