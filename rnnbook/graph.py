"""The RNN's computational graphs: folded, unfolded, and the shapes of sequence problems.

:class:`Graph` is a directed graph of :class:`Node` objects, for pictures of models (pure
Python; ``rnnbook.drawing`` draws it). A node has a kind (``input``, ``hidden``, ``output``,
``loss``, ``target``, ``parameter``, ``op``) and a time index ``t`` or ``None``; an edge may
carry the name of the weight it multiplies by. :func:`unrolled_graph` builds the unfolded graph
of the two RNNs of the lecture notes (Goodfellow et al., ch. 10) for ``tau`` steps:

- ``"hidden"``: recurrence between hidden units,
  ``h^(t) = tanh(b + W h^(t-1) + U x^(t))``, ``o^(t) = c + V h^(t)``;
- ``"output"``: recurrence from the output to the next hidden state,
  ``h^(t) = tanh(b + W o^(t-1) + U x^(t))``, ``o^(t) = c + V h^(t)``.

Each ``o^(t)`` meets its target ``y^(t)`` in a loss ``L^(t)``. The same ``U, W, V`` label
an edge at every step and the same ``b, c`` every hidden and output node:
:meth:`Graph.shared_parameters` and :meth:`Graph.shared_biases` list where each one is used.
:func:`folded_graph` gives the cyclic picture, whose recurrent edge carries a one-step delay;
:func:`sequence_shape_graph` draws one-to-one, one-to-many, many-to-one and many-to-many.

Small expression graphs of numpy operations, differentiated node by node (notebook 02), are a
topic of their own: :mod:`rnnbook.topics.expression_graph`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rnnbook._validate import check_choice, check_positive

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
