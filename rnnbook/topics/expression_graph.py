"""Small expression graphs of numpy operations, evaluated and differentiated node by node (notebook 02).

An :class:`ExpressionGraph` is a micrograd-sized graph: leaves hold numpy arrays (variables),
every other node applies one operation of :data:`OPS` to earlier nodes.
:meth:`ExpressionGraph.forward` evaluates it node by node in insertion order (a topological
order) and :meth:`ExpressionGraph.backward` runs reverse-mode differentiation node by node,
recording each gradient and the rule used (``grad_x = grad_u2 @ W.T``) so that a notebook can
print the chain rule at work.

Each operation is a pair of public functions written side by side, ``<op>_forward(*inputs)``
and ``<op>_backward(g, out, *inputs)``: the backward receives ``g``, the gradient of the final
scalar with respect to the operation's output ``out`` (``g`` has ``out``'s shape), and returns
one gradient per input, each of that input's shape. :data:`OPS` maps each name to its
:class:`Op` (arity, forward, backward, and the formulas a trace prints).

Shapes are those of the lecture notes' examples: a column vector is ``(n, 1)``, a row ``(1, n)``,
a batch has one example per row (``X (B, n_in)``); ``add`` and ``mul`` broadcast the way numpy
does (a bias row ``(1, n)`` over a batch) and sum the gradient back over the copies; ``dot``
and ``matmul`` never broadcast. :meth:`ExpressionGraph.to_graph` turns the graph into an
:class:`rnnbook.graph.Graph` for ``rnnbook.drawing``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_choice
from rnnbook.graph import Graph

__all__ = [
    "EXAMPLES",
    "OPS",
    "ExprNode",
    "ExpressionGraph",
    "Op",
    "TraceStep",
    "graph_linear_dot",
    "graph_logistic_layer",
    "graph_relu_layer",
    "graph_square_log",
    "graph_xy_product",
    "unbroadcast",
]


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added or stretched to reach ``shape``.

    ``grad`` has the broadcast output's shape; the result has ``shape``, the input's. A bias
    row ``b (1, n)`` added to ``XW (B, n)`` gets ``grad (B, n)`` summed over its B rows.
    """
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Op(NamedTuple):
    """One operation: its forward, its backward (one gradient per input) and how to say them.

    ``forward(*inputs)`` returns the output; ``backward(g, out, *inputs)`` receives the
    gradient ``g`` of the output (``out``'s shape) and returns the gradient of each input (each
    input's shape). ``arity`` is the number of inputs. ``formula`` and ``rules`` are templates
    in which ``{out}`` is the output's name and ``{0}``, ``{1}`` the inputs' names.
    """

    arity: int
    forward: Callable
    backward: Callable
    formula: str
    rules: tuple[str, ...]


# -- the operations, each forward beside its backward ----------------------------------------


def matmul_forward(a, b):
    """C = A @ B: A (m, k), B (k, n) -> C (m, n)."""
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"matmul: expected A (m, k) and B (k, n), got {a.shape} and {b.shape}")
    return a @ b


def matmul_backward(g, out, a, b):
    """dA = dC B^T (m, k) and dB = A^T dC (k, n), for g = dC (m, n)."""
    return g @ b.T, a.T @ g


def add_forward(a, b):
    """C = A + B, numpy broadcasting allowed (a bias row ``(1, n)`` over ``(B, n)``)."""
    return a + b


def add_backward(g, out, a, b):
    """dA = dC and dB = dC, each summed over the copies broadcasting made of it."""
    return unbroadcast(g, a.shape), unbroadcast(g, b.shape)


def mul_forward(a, b):
    """C = A * B elementwise, numpy broadcasting allowed."""
    return a * b


def mul_backward(g, out, a, b):
    """dA = dC * B and dB = dC * A, each summed over the copies broadcasting made of it."""
    return unbroadcast(g * b, a.shape), unbroadcast(g * a, b.shape)


def dot_forward(a, b):
    """c = a . b = sum(a * b), a scalar; a and b must have the same shape (no broadcasting)."""
    if a.shape != b.shape:
        raise ValueError(
            f"dot: expected two arrays of the same shape, got {a.shape} and {b.shape} "
            "(a (2,) vector against a (2, 1) column would broadcast into an outer product)"
        )
    return np.asarray(np.sum(a * b))


def dot_backward(g, out, a, b):
    """da = dc b and db = dc a, each of the inputs' common shape; g = dc is a scalar."""
    return g * b, g * a


def sigmoid_forward(a):
    """s = sigma(a) = 1 / (1 + exp(-a)), elementwise."""
    return 1.0 / (1.0 + np.exp(-a))


def sigmoid_backward(g, out, a):
    """da = ds * s (1 - s): the derivative of the sigmoid, written with its output s."""
    return (g * out * (1.0 - out),)


def tanh_forward(a):
    """h = tanh(a), elementwise."""
    return np.tanh(a)


def tanh_backward(g, out, a):
    """da = dh * (1 - h^2): the derivative of tanh, written with its output h."""
    return (g * (1.0 - out**2),)


def relu_forward(a):
    """r = max(0, a), elementwise."""
    return np.maximum(0.0, a)


def relu_backward(g, out, a):
    """da = dr where a > 0, and 0 where a <= 0."""
    return (g * (a > 0),)


def log_forward(a):
    """l = log(a), elementwise (a > 0)."""
    return np.log(a)


def log_backward(g, out, a):
    """da = dl / a."""
    return (g / a,)


def square_forward(a):
    """s = a^2, elementwise."""
    return np.square(a)


def square_backward(g, out, a):
    """da = ds * 2a."""
    return (g * 2.0 * a,)


def sum_forward(a):
    """s = the sum of all entries of a, a scalar."""
    return np.asarray(np.sum(a))


def sum_backward(g, out, a):
    """da = ds copied to every entry (a's shape)."""
    return (np.ones_like(a) * g,)


def transpose_forward(a):
    """T = A^T: (m, n) -> (n, m)."""
    return a.T


def transpose_backward(g, out, a):
    """dA = dT^T, back to A's shape."""
    return (g.T,)


OPS: dict[str, Op] = {
    "matmul": Op(
        2,
        matmul_forward,
        matmul_backward,
        "{0} @ {1}",
        ("grad_{out} @ {1}.T", "{0}.T @ grad_{out}"),
    ),
    "add": Op(
        2,
        add_forward,
        add_backward,
        "{0} + {1}",
        ("grad_{out}", "grad_{out} (summed over broadcast axes)"),
    ),
    "mul": Op(2, mul_forward, mul_backward, "{0} * {1}", ("grad_{out} * {1}", "grad_{out} * {0}")),
    "dot": Op(2, dot_forward, dot_backward, "{0} . {1}", ("grad_{out} * {1}", "grad_{out} * {0}")),
    "sigmoid": Op(
        1, sigmoid_forward, sigmoid_backward, "sigmoid({0})", ("grad_{out} * {out} * (1 - {out})",)
    ),
    "tanh": Op(1, tanh_forward, tanh_backward, "tanh({0})", ("grad_{out} * (1 - {out}**2)",)),
    "relu": Op(1, relu_forward, relu_backward, "max(0, {0})", ("grad_{out} * ({0} > 0)",)),
    "log": Op(1, log_forward, log_backward, "log({0})", ("grad_{out} / {0}",)),
    "square": Op(1, square_forward, square_backward, "{0}**2", ("grad_{out} * 2 * {0}",)),
    "sum": Op(1, sum_forward, sum_backward, "sum({0})", ("grad_{out} * ones_like({0})",)),
    "transpose": Op(1, transpose_forward, transpose_backward, "{0}.T", ("grad_{out}.T",)),
}
"""Every operation an :class:`ExpressionGraph` knows, by name."""


@dataclass
class ExprNode:
    """A node of an :class:`ExpressionGraph`: a variable (``op is None``) or an operation.

    ``value`` and ``grad`` are filled by ``forward()`` and ``backward()``; ``rules`` maps each
    input's name to the backward rule used for it (``{"x": "grad_u2 @ W.T"}``).
    """

    name: str
    label: str
    kind: str
    op: str | None = None
    inputs: tuple[str, ...] = ()
    value: np.ndarray | None = None
    grad: np.ndarray | None = None
    rules: dict[str, str] = field(default_factory=dict)


class TraceStep(NamedTuple):
    """One step of the backward pass: ``grad_<input> (+)= <rule>`` at node ``node``."""

    node: str
    input: str
    rule: str
    accumulate: bool

    def __str__(self) -> str:
        sign = "+=" if self.accumulate else "="
        return f"grad_{self.input} {sign} {self.rule}"


def _as_value(name: str, value) -> np.ndarray:
    """A variable's value as a float64 array; numbers and numeric arrays only."""
    arr = np.asarray(value)
    if isinstance(value, (str, bytes)) or arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{name}: expected a number or a numeric array, got {type(value).__name__} {value!r}"
        )
    return check_array(name, arr.astype(np.float64))


def _default_label(name: str) -> str:
    """``"u2"`` -> ``$u^{(2)}$``, ``"y_hat"`` -> ``$\\hat{y}$``, ``"W"`` -> ``$W$``."""
    if name.endswith("_hat"):
        return f"$\\hat{{{name[:-4]}}}$"
    stem = name.rstrip("0123456789")
    if stem and stem != name and len(stem) == 1:
        return f"${stem}^{{({name[len(stem) :]})}}$"
    return f"${name}$"


class ExpressionGraph:
    """A small graph of numpy operations, evaluated and differentiated node by node.

    ``name`` is plain text (for printing), ``title`` its mathtext form (for drawings).
    Build it with :meth:`variable` and :meth:`apply` (inputs must exist before they are used,
    so insertion order is a topological order); the last node added is the output.

    >>> g = ExpressionGraph("z = log(x^2)")
    >>> x = g.variable("x", 3.0)
    >>> y = g.apply("square", x, name="y")
    >>> z = g.apply("log", y, name="z")
    >>> float(g.forward()), float(g.backward()["x"])  # dz/dx = 2/x
    (2.1972245773362196, 0.6666666666666666)
    """

    def __init__(self, name: str = "", title: str | None = None):
        self.name = name
        self.title = name if title is None else title  # mathtext, for drawings
        self.nodes: dict[str, ExprNode] = {}
        self.trace_steps: list[TraceStep] = []
        self._count = 0

    # -- building ------------------------------------------------------------------------------

    def _new_name(self, name: str | None) -> str:
        if name is None:
            self._count += 1
            name = f"u{self._count}"
            while name in self.nodes:
                self._count += 1
                name = f"u{self._count}"
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"name: expected a Python identifier such as 'u1', got {name!r}")
        if name in self.nodes:
            raise ValueError(f"name: expected a new node name, got {name!r}, which is already used")
        return name

    def variable(self, name: str, value, label: str | None = None, kind: str = "input") -> str:
        """Add a leaf holding ``value`` (a float or float array); return its name.

        ``kind`` is ``"input"`` for data (x) or ``"parameter"`` for weights (W, b).
        """
        name = self._new_name(name)
        check_choice("kind", kind, ("input", "parameter"))
        value = _as_value(name, value)
        self.nodes[name] = ExprNode(name, label or _default_label(name), kind, value=value)
        return name

    def apply(
        self, op: str, *inputs: str, name: str | None = None, label: str | None = None
    ) -> str:
        """Add the node ``name = op(*inputs)``; names default to u1, u2, ...; return its name."""
        check_choice("op", op, list(OPS))
        arity = OPS[op].arity
        if len(inputs) != arity:
            raise ValueError(f"inputs: expected {arity} input(s) for {op}, got {len(inputs)}")
        for item in inputs:
            if item not in self.nodes:
                raise ValueError(
                    f"inputs: expected names of existing nodes, got {item!r}; "
                    f"known names: {list(self.nodes)}"
                )
        name = self._new_name(name)
        self.nodes[name] = ExprNode(name, label or _default_label(name), "op", op, tuple(inputs))
        return name

    def set_value(self, name: str, value) -> None:
        """Replace the value of the variable ``name`` (call ``forward()`` again afterwards)."""
        node = self._node(name)
        if node.op is not None:
            raise ValueError(f"name: expected a variable, got {name!r}, which is an {node.op} node")
        node.value = _as_value(name, value)

    def _node(self, name: str) -> ExprNode:
        if name not in self.nodes:
            raise KeyError(f"name: expected one of {list(self.nodes)}, got {name!r}")
        return self.nodes[name]

    @property
    def output(self) -> str:
        """The name of the output node (the last node added)."""
        if not self.nodes:
            raise ValueError("graph: expected at least one node, got an empty graph")
        return list(self.nodes)[-1]

    def to_graph(self) -> Graph:
        """The same graph as a :class:`Graph` (kinds input/parameter/op), for drawing."""
        g = Graph(name=self.name)
        for node in self.nodes.values():
            g.add_node(node.name, node.label, node.kind)
            for item in node.inputs:
                g.add_edge(item, node.name)
        return g

    def __getitem__(self, name: str) -> ExprNode:
        return self._node(name)

    def formula(self, name: str) -> str:
        """``"u2 = matmul(x, W)"``-style description of a node (its name for a variable)."""
        node = self._node(name)
        if node.op is None:
            return name
        return f"{name} = {node.op}({', '.join(node.inputs)})"

    # -- evaluating ----------------------------------------------------------------------------

    def forward(self) -> np.ndarray:
        """Evaluate every operation in insertion order, store each ``value``; return the output's."""
        for node in self.nodes.values():
            if node.op is None:
                continue
            args = [self.nodes[i].value for i in node.inputs]
            try:
                with np.errstate(divide="raise", invalid="raise"):
                    node.value = np.asarray(OPS[node.op].forward(*args), dtype=np.float64)
            except (ValueError, FloatingPointError) as err:
                shapes = ", ".join(f"{i} {self.nodes[i].value.shape}" for i in node.inputs)
                raise ValueError(
                    f"{self.formula(node.name)}: cannot evaluate on {shapes}: {err}"
                ) from err
        return self.nodes[self.output].value

    def backward(self, grad_output=None) -> dict[str, np.ndarray]:
        """Reverse-mode differentiation, node by node, from the output back to the variables.

        ``grad_output`` is the gradient of the final scalar with respect to the output; it
        defaults to ones, i.e. the gradient of the sum of the output's entries (1 for a scalar).
        Each node's ``grad`` is stored; ``trace_steps`` records every rule applied.
        Returns ``{name: gradient}`` for every node. Call ``forward()`` first.
        """
        out = self.nodes[self.output]
        if any(n.value is None for n in self.nodes.values()):
            raise RuntimeError("backward: expected forward() to have been called first")
        if grad_output is None:
            grad_output = np.ones_like(out.value)
        grad_output = check_array("grad_output", np.asarray(grad_output, dtype=np.float64))
        if grad_output.shape != out.value.shape:
            raise ValueError(
                f"grad_output: expected shape {out.value.shape} (the output's), "
                f"got {grad_output.shape}"
            )
        for node in self.nodes.values():
            node.grad = None
            node.rules = {}
        self.trace_steps = []
        out.grad = grad_output
        for node in reversed(list(self.nodes.values())):
            if node.op is None:
                continue
            if node.grad is None:  # does not lead to the output
                node.grad = np.zeros_like(node.value)
                continue
            op = OPS[node.op]
            args = [self.nodes[i].value for i in node.inputs]
            grads = op.backward(node.grad, node.value, *args)
            for k, (input_name, grad) in enumerate(zip(node.inputs, grads)):
                child = self.nodes[input_name]
                rule = op.rules[k].format(*node.inputs, out=node.name)
                accumulate = child.grad is not None
                child.grad = grad if child.grad is None else child.grad + grad
                node.rules[input_name] = rule
                self.trace_steps.append(TraceStep(node.name, input_name, rule, accumulate))
        for node in self.nodes.values():
            if node.grad is None:
                node.grad = np.zeros_like(node.value)
        return {name: node.grad for name, node in self.nodes.items()}

    def trace(self) -> list[str]:
        """The backward pass as lines: ``"u2 = matmul(x, W): grad_x = grad_u2 @ W.T"``."""
        return [f"{self.formula(step.node)}: {step}" for step in self.trace_steps]


# -- the lecture notes' examples -----------------------------------------------------------------


def _rng_value(value, shape, rng):
    return rng.standard_normal(shape) if value is None else value


def graph_xy_product(x=None, y=None) -> ExpressionGraph:
    """z = x * y (elementwise; scalars by default, x = 2, y = 3)."""
    g = ExpressionGraph("z = x * y", title="$z = x \\cdot y$")
    g.variable("x", 2.0 if x is None else x)
    g.variable("y", 3.0 if y is None else y)
    g.apply("mul", "x", "y", name="z")
    return g


def graph_logistic_layer(x=None, W=None, b=None, seed: int = 0) -> ExpressionGraph:
    """y_hat = sigmoid(x^T W + b): x (n_x, 1) a column, W (n_x, n_y), b (1, n_y).

    Nodes: u1 = x^T, u2 = u1 @ W, u3 = u2 + b, y_hat = sigmoid(u3). Missing arrays are drawn
    from a seeded normal with n_x = 3, n_y = 2.
    """
    rng = np.random.default_rng(seed)
    g = ExpressionGraph("y_hat = sigmoid(x^T W + b)", title="$\\hat{y} = \\sigma(x^T W + b)$")
    g.variable("x", _rng_value(x, (3, 1), rng))
    g.variable("W", _rng_value(W, (g["x"].value.shape[0], 2), rng), kind="parameter")
    g.variable("b", _rng_value(b, (1, g["W"].value.shape[1]), rng), kind="parameter")
    g.apply("transpose", "x", label="$x^T$")
    g.apply("matmul", "u1", "W")
    g.apply("add", "u2", "b")
    g.apply("sigmoid", "u3", name="y_hat")
    return g


def graph_relu_layer(X=None, W=None, b=None, seed: int = 0) -> ExpressionGraph:
    """H = max{0, X W + b}: X (B, n_in) one example per row as in the notes, W (n_in, n_h), b (1, n_h).

    Nodes: u1 = X @ W, u2 = u1 + b (b broadcast over the rows), H = relu(u2). Missing arrays
    are drawn from a seeded normal with B = 4, n_in = 3, n_h = 2.
    """
    rng = np.random.default_rng(seed)
    g = ExpressionGraph("H = max{0, XW + b}", title="$H = \\max\\{0, XW + b\\}$")
    g.variable("X", _rng_value(X, (4, 3), rng))
    g.variable("W", _rng_value(W, (g["X"].value.shape[1], 2), rng), kind="parameter")
    g.variable("b", _rng_value(b, (1, g["W"].value.shape[1]), rng), kind="parameter")
    g.apply("matmul", "X", "W")
    g.apply("add", "u1", "b")
    g.apply("relu", "u2", name="H")
    return g


def graph_square_log(x=2.0) -> ExpressionGraph:
    """The notes' scalar chain rule: y = x^2, z = log y, so dz/dx = (1 / x^2) 2x = 2 / x."""
    g = ExpressionGraph("y = x^2, z = log y", title="$y = x^2,\\ z = \\log y$")
    g.variable("x", x)
    g.apply("square", "x", name="y")
    g.apply("log", "y", name="z")
    return g


def graph_linear_dot(W=None, x=None, q=None, seed: int = 0) -> ExpressionGraph:
    """The notes' vector chain rule: y = W x, z = q^T y, so grad_x z = W^T q.

    x (m, 1) and q (n, 1) are columns, W (n, m). The notes call the fixed vector ``b``; the
    course keeps ``b`` for biases, so it is ``q`` here. Missing arrays are drawn from a seeded
    normal with m = 3, n = 2.
    """
    rng = np.random.default_rng(seed)
    g = ExpressionGraph("y = W x, z = q^T y", title="$y = Wx,\\ z = q^T y$")
    g.variable("W", _rng_value(W, (2, 3), rng), kind="parameter")
    g.variable("x", _rng_value(x, (g["W"].value.shape[1], 1), rng))
    g.variable("q", _rng_value(q, (g["W"].value.shape[0], 1), rng), kind="parameter")
    g.apply("matmul", "W", "x", name="y")
    g.apply("dot", "q", "y", name="z")
    return g


EXAMPLES = {
    "xy_product": graph_xy_product,
    "logistic_layer": graph_logistic_layer,
    "relu_layer": graph_relu_layer,
    "square_log": graph_square_log,
    "linear_dot": graph_linear_dot,
}
