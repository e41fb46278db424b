"""Computational graphs: the RNN's folded and unfolded graphs, and small expression graphs.

Two kinds of graph live here, both pure Python and numpy (``rnnbook.drawing`` draws them):

1. :class:`Graph`, a directed graph of :class:`Node` objects, for pictures of models. A node
   has a kind (``input``, ``hidden``, ``output``, ``loss``, ``target``, ``parameter``, ``op``)
   and a time index ``t`` or ``None``; an edge may carry the name of the weight it multiplies
   by. :func:`unrolled_graph` builds the unfolded graph of the two RNNs of the lecture notes
   (Goodfellow et al., ch. 10) for ``tau`` steps:

   - ``"hidden"``: recurrence between hidden units,
     ``h^(t) = tanh(b + W h^(t-1) + U x^(t))``, ``o^(t) = c + V h^(t)``;
   - ``"output"``: recurrence from the output to the next hidden state,
     ``h^(t) = tanh(b + W o^(t-1) + U x^(t))``, ``o^(t) = c + V h^(t)``.

   Each ``o^(t)`` meets its target ``y^(t)`` in a loss ``L^(t)``. The same ``U, W, V`` label
   an edge at every step and the same ``b, c`` every hidden and output node:
   :meth:`Graph.shared_parameters` and :meth:`Graph.shared_biases` list where each one is used.
   :func:`folded_graph` gives the cyclic picture, whose recurrent edge carries a one-step delay.

2. :class:`ExpressionGraph`, a micrograd-sized graph of operations on numpy arrays.
   :meth:`ExpressionGraph.forward` evaluates it node by node and
   :meth:`ExpressionGraph.backward` runs reverse-mode differentiation node by node, recording
   each gradient and the rule used (``grad_x = grad_u2 @ W.T``) so that a notebook can print
   the chain rule at work. Each operation's backward sits right below its forward in ``OPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from rnnbook._validate import check_array, check_choice, check_positive

NODE_KINDS = ("input", "hidden", "output", "loss", "target", "parameter", "op")
RNN_MODELS = ("hidden", "output")
SEQUENCE_SHAPES = (
    "one-to-one",
    "one-to-many",
    "many-to-one",
    "many-to-many",
    "many-to-many-delayed",
)


# --------------------------------------------------------------------------------------------
# Graphs of models
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A node of a model's graph.

    ``label`` is matplotlib mathtext (``"$h^{(2)}$"``); ``time`` is ``t`` or ``None`` for a node
    outside time; ``bias`` names the bias added at this node (``"b"`` at ``h^(t)``), if any.
    """

    id: str
    label: str
    kind: str
    time: int | None = None
    bias: str | None = None


@dataclass(frozen=True)
class Edge:
    """A directed edge ``source -> target``.

    ``parameter`` names the weight the edge multiplies by (``"W"``); ``delay`` marks an edge
    that feeds the value from the previous time step (the black square of the folded graph).
    """

    source: str
    target: str
    parameter: str | None = None
    delay: bool = False


@dataclass
class Graph:
    """A directed graph of :class:`Node` and :class:`Edge`, in insertion order."""

    name: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def add_node(self, id: str, label: str, kind: str, time: int | None = None, bias=None) -> Node:
        """Add a node and return it; ids are unique."""
        check_choice("kind", kind, NODE_KINDS)
        if id in self.nodes:
            raise ValueError(f"id: expected a new node id, got {id!r}, which is already used")
        node = Node(id, label, kind, time, bias)
        self.nodes[id] = node
        return node

    def add_edge(self, source: str, target: str, parameter: str | None = None, delay=False) -> Edge:
        """Add the edge ``source -> target`` between existing nodes and return it."""
        for name, node_id in (("source", source), ("target", target)):
            if node_id not in self.nodes:
                raise ValueError(
                    f"{name}: expected the id of a node in the graph, got {node_id!r}; "
                    f"known ids: {list(self.nodes)}"
                )
        edge = Edge(source, target, parameter, delay)
        self.edges.append(edge)
        return edge

    def predecessors(self, node_id: str) -> list[str]:
        """Ids of the nodes with an edge into ``node_id``."""
        return [e.source for e in self.edges if e.target == node_id]

    def successors(self, node_id: str) -> list[str]:
        """Ids of the nodes that ``node_id`` has an edge into."""
        return [e.target for e in self.edges if e.source == node_id]

    def nodes_of_kind(self, kind: str) -> list[Node]:
        """The nodes of one kind, in insertion order."""
        check_choice("kind", kind, NODE_KINDS)
        return [n for n in self.nodes.values() if n.kind == kind]

    def shared_parameters(self) -> dict[str, list[Edge]]:
        """Map each weight name to the edges that use it, e.g. ``{"W": [h0->h1, h1->h2, ...]}``."""
        shared: dict[str, list[Edge]] = {}
        for edge in self.edges:
            if edge.parameter is not None:
                shared.setdefault(edge.parameter, []).append(edge)
        return shared

    def shared_biases(self) -> dict[str, list[str]]:
        """Map each bias name to the ids of the nodes that add it, e.g. ``{"b": ["h1", ...]}``."""
        shared: dict[str, list[str]] = {}
        for node in self.nodes.values():
            if node.bias is not None:
                shared.setdefault(node.bias, []).append(node.id)
        return shared

    def find_cycle(self) -> list[str] | None:
        """A list of node ids forming a directed cycle (first id repeated at the end), or None."""
        colour = {node_id: "white" for node_id in self.nodes}
        stack: list[str] = []

        def visit(node_id: str) -> list[str] | None:
            colour[node_id] = "grey"
            stack.append(node_id)
            for nxt in self.successors(node_id):
                if colour[nxt] == "grey":
                    return stack[stack.index(nxt) :] + [nxt]
                if colour[nxt] == "white":
                    found = visit(nxt)
                    if found:
                        return found
            stack.pop()
            colour[node_id] = "black"
            return None

        for node_id in self.nodes:
            if colour[node_id] == "white":
                found = visit(node_id)
                if found:
                    return found
        return None

    def is_acyclic(self) -> bool:
        """True when the graph has no directed cycle (an unfolded graph never has one)."""
        return self.find_cycle() is None

    def topological_order(self) -> list[str]:
        """Node ids so that every edge points forward; raises on a cyclic graph."""
        cycle = self.find_cycle()
        if cycle is not None:
            raise ValueError(
                f"graph: expected an acyclic graph, got the cycle {' -> '.join(cycle)}"
            )
        indegree = {node_id: 0 for node_id in self.nodes}
        for edge in self.edges:
            indegree[edge.target] += 1
        ready = [node_id for node_id, d in indegree.items() if d == 0]
        order = []
        while ready:
            node_id = ready.pop(0)
            order.append(node_id)
            for nxt in self.successors(node_id):
                indegree[nxt] -= 1
                if indegree[nxt] == 0:
                    ready.append(nxt)
        return order


def _check_model(model: str) -> str:
    return check_choice("model", model, RNN_MODELS)


def _check_tau(tau) -> int:
    return check_positive("tau", tau, integer=True)


def unrolled_graph(model: str = "hidden", tau: int = 3) -> Graph:
    """The unfolded computational graph of an RNN over ``tau`` time steps.

    ``model="hidden"``: ``h^(t-1) -> h^(t)`` through ``W`` (recurrence between hidden units);
    ``model="output"``: ``o^(t-1) -> h^(t)`` through ``W`` (recurrence from the output).
    In both, ``x^(t) -> h^(t)`` through ``U``, ``h^(t) -> o^(t)`` through ``V``, and
    ``o^(t) -> L^(t) <- y^(t)``. The initial state (``h^(0)``, or ``o^(0)``) is a node at t = 0.
    The graph has ``5 tau + 1`` nodes and ``5 tau`` edges; each of ``U, W, V`` labels ``tau``
    edges, ``b`` sits on every ``h^(t)`` and ``c`` on every ``o^(t)``.
    """
    _check_model(model)
    _check_tau(tau)
    g = Graph(name=f"{model}-to-hidden recurrence, unfolded for tau = {tau}")
    if model == "hidden":
        g.add_node("h0", "$h^{(0)}$", "hidden", 0)
    else:
        g.add_node("o0", "$o^{(0)}$", "output", 0)
    for t in range(1, tau + 1):
        g.add_node(f"x{t}", f"$x^{{({t})}}$", "input", t)
        g.add_node(f"h{t}", f"$h^{{({t})}}$", "hidden", t, bias="b")
        g.add_node(f"o{t}", f"$o^{{({t})}}$", "output", t, bias="c")
        g.add_node(f"L{t}", f"$L^{{({t})}}$", "loss", t)
        g.add_node(f"y{t}", f"$y^{{({t})}}$", "target", t)
        g.add_edge(f"x{t}", f"h{t}", "U")
        previous = f"h{t - 1}" if model == "hidden" else f"o{t - 1}"
        g.add_edge(previous, f"h{t}", "W")
        g.add_edge(f"h{t}", f"o{t}", "V")
        g.add_edge(f"o{t}", f"L{t}")
        g.add_edge(f"y{t}", f"L{t}")
    return g


def folded_graph(model: str = "hidden") -> Graph:
    """The folded (cyclic) graph of an RNN: one node per variable, no time index.

    ``"hidden"`` has a self-loop ``h -> h`` through ``W``; ``"output"`` has ``o -> h`` through
    ``W``. The recurrent edge has ``delay=True``: it carries the value of the previous step.
    """
    _check_model(model)
    g = Graph(name=f"{model}-to-hidden recurrence, folded")
    g.add_node("x", "$x$", "input")
    g.add_node("h", "$h$", "hidden", bias="b")
    g.add_node("o", "$o$", "output", bias="c")
    g.add_node("L", "$L$", "loss")
    g.add_node("y", "$y$", "target")
    g.add_edge("x", "h", "U")
    g.add_edge("h" if model == "hidden" else "o", "h", "W", delay=True)
    g.add_edge("h", "o", "V")
    g.add_edge("o", "L")
    g.add_edge("y", "L")
    return g


def sequence_shape_graph(shape: str, length: int = 3) -> Graph:
    """The graph of one of the sequence shapes (inputs, RNN states, outputs).

    ``shape`` is one of ``SEQUENCE_SHAPES``: ``"one-to-one"`` (a single step, e.g. image
    classification), ``"one-to-many"`` (one input, a sequence out, e.g. captioning),
    ``"many-to-one"`` (a sequence summarised into one output, e.g. sentiment),
    ``"many-to-many"`` (an output at every step, e.g. tagging "Jon and Ethan ..."), and
    ``"many-to-many-delayed"`` (read the whole input, then write the output, e.g. translation).
    ``length`` is the number of steps drawn for the "many" side(s).
    """
    check_choice("shape", shape, SEQUENCE_SHAPES)
    check_positive("length", length, integer=True)
    if shape == "one-to-one":
        ins, outs, steps = [1], [1], 1
    elif shape == "one-to-many":
        ins, outs, steps = [1], list(range(1, length + 1)), length
    elif shape == "many-to-one":
        ins, outs, steps = list(range(1, length + 1)), [length], length
    elif shape == "many-to-many":
        ins, outs, steps = list(range(1, length + 1)), list(range(1, length + 1)), length
    else:
        steps = 2 * length
        ins, outs = list(range(1, length + 1)), list(range(length + 1, steps + 1))
    g = Graph(name=shape)
    for t in range(1, steps + 1):
        g.add_node(f"h{t}", f"$h^{{({t})}}$", "hidden", t, bias="b")
        if t > 1:
            g.add_edge(f"h{t - 1}", f"h{t}", "W")
        if t in ins:
            g.add_node(f"x{t}", f"$x^{{({t})}}$", "input", t)
            g.add_edge(f"x{t}", f"h{t}", "U")
        if t in outs:
            g.add_node(f"y{t}", f"$\\hat{{y}}^{{({t})}}$", "output", t, bias="c")
            g.add_edge(f"h{t}", f"y{t}", "V")
    return g


# --------------------------------------------------------------------------------------------
# Expression graphs: forward and reverse-mode differentiation, node by node
# --------------------------------------------------------------------------------------------


def _unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added or stretched to reach ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class Op(NamedTuple):
    """One operation: its forward, its backward (one gradient per input) and how to say them.

    ``backward(g, out, *inputs)`` receives the gradient ``g`` of the output and returns the
    gradient of each input; ``arity`` is the number of inputs. ``formula`` and ``rules`` are templates in which ``{out}`` is the
    output's name and ``{0}``, ``{1}`` the inputs' names.
    """

    arity: int
    forward: Callable
    backward: Callable
    formula: str
    rules: tuple[str, ...]


OPS: dict[str, Op] = {
    # C = A @ B  ->  dA = dC B^T,  dB = A^T dC
    "matmul": Op(
        arity=2,
        forward=lambda a, b: a @ b,
        backward=lambda g, out, a, b: (g @ b.T, a.T @ g),
        formula="{0} @ {1}",
        rules=("grad_{out} @ {1}.T", "{0}.T @ grad_{out}"),
    ),
    # C = A + B (B may be broadcast, e.g. a bias row)  ->  dA = dC, dB = dC summed over copies
    "add": Op(
        arity=2,
        forward=lambda a, b: a + b,
        backward=lambda g, out, a, b: (_unbroadcast(g, a.shape), _unbroadcast(g, b.shape)),
        formula="{0} + {1}",
        rules=("grad_{out}", "grad_{out} (summed over broadcast axes)"),
    ),
    # C = A * B elementwise  ->  dA = dC * B,  dB = dC * A
    "mul": Op(
        arity=2,
        forward=lambda a, b: a * b,
        backward=lambda g, out, a, b: (_unbroadcast(g * b, a.shape), _unbroadcast(g * a, b.shape)),
        formula="{0} * {1}",
        rules=("grad_{out} * {1}", "grad_{out} * {0}"),
    ),
    # c = a . b = sum(a * b), a scalar  ->  da = dc b,  db = dc a
    "dot": Op(
        arity=2,
        forward=lambda a, b: np.asarray(np.sum(a * b)),
        backward=lambda g, out, a, b: (g * b, g * a),
        formula="{0} . {1}",
        rules=("grad_{out} * {1}", "grad_{out} * {0}"),
    ),
    # s = sigma(a) = 1 / (1 + exp(-a))  ->  da = ds * s (1 - s)
    "sigmoid": Op(
        arity=1,
        forward=lambda a: 1.0 / (1.0 + np.exp(-a)),
        backward=lambda g, out, a: (g * out * (1.0 - out),),
        formula="sigmoid({0})",
        rules=("grad_{out} * {out} * (1 - {out})",),
    ),
    # h = tanh(a)  ->  da = dh * (1 - h^2)
    "tanh": Op(
        arity=1,
        forward=np.tanh,
        backward=lambda g, out, a: (g * (1.0 - out**2),),
        formula="tanh({0})",
        rules=("grad_{out} * (1 - {out}**2)",),
    ),
    # r = max(0, a)  ->  da = dr where a > 0, else 0
    "relu": Op(
        arity=1,
        forward=lambda a: np.maximum(0.0, a),
        backward=lambda g, out, a: (g * (a > 0),),
        formula="max(0, {0})",
        rules=("grad_{out} * ({0} > 0)",),
    ),
    # l = log(a)  ->  da = dl / a
    "log": Op(
        arity=1,
        forward=np.log,
        backward=lambda g, out, a: (g / a,),
        formula="log({0})",
        rules=("grad_{out} / {0}",),
    ),
    # s = a^2  ->  da = ds * 2a
    "square": Op(
        arity=1,
        forward=np.square,
        backward=lambda g, out, a: (g * 2.0 * a,),
        formula="{0}**2",
        rules=("grad_{out} * 2 * {0}",),
    ),
    # s = sum of all entries of a  ->  da = ds copied to every entry
    "sum": Op(
        arity=1,
        forward=lambda a: np.asarray(np.sum(a)),
        backward=lambda g, out, a: (np.ones_like(a) * g,),
        formula="sum({0})",
        rules=("grad_{out} * ones_like({0})",),
    ),
    # T = A^T  ->  dA = dT^T
    "transpose": Op(
        arity=1,
        forward=lambda a: a.T,
        backward=lambda g, out, a: (g.T,),
        formula="{0}.T",
        rules=("grad_{out}.T",),
    ),
}


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
        value = check_array(name, np.asarray(value, dtype=np.float64))
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
        node.value = check_array(name, np.asarray(value, dtype=np.float64))

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
    g = ExpressionGraph("y = sigmoid(x^T W + b)", title="$\\hat{y} = \\sigma(x^T W + b)$")
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


def graph_linear_dot(W=None, x=None, b=None, seed: int = 0) -> ExpressionGraph:
    """The notes' vector chain rule: y = W x, z = b^T y, so grad_x z = W^T b.

    x (m, 1) and b (n, 1) are columns, W (n, m); here ``b`` is the fixed vector of the example,
    not a bias. Missing arrays are drawn from a seeded normal with m = 3, n = 2.
    """
    rng = np.random.default_rng(seed)
    g = ExpressionGraph("y = W x, z = b^T y", title="$y = Wx,\\ z = b^T y$")
    g.variable("W", _rng_value(W, (2, 3), rng), kind="parameter")
    g.variable("x", _rng_value(x, (g["W"].value.shape[1], 1), rng))
    g.variable("b", _rng_value(b, (g["W"].value.shape[0], 1), rng), kind="parameter")
    g.apply("matmul", "W", "x", name="y")
    g.apply("dot", "b", "y", name="z")
    return g


EXAMPLES = {
    "xy_product": graph_xy_product,
    "logistic_layer": graph_logistic_layer,
    "relu_layer": graph_relu_layer,
    "square_log": graph_square_log,
    "linear_dot": graph_linear_dot,
}
