"""Drawings of computational graphs with matplotlib only (patches, arrows, text).

Every drawing uses a simple layered layout of our own:

- graphs with time indices (an unfolded RNN, the sequence shapes): time runs left to right,
  one row per kind of node, inputs at the bottom and losses at the top;
- graphs without time: a folded RNN stacks the same rows in one column; an expression graph is
  layered by depth, variables at the bottom and the output at the top.

Edges that multiply by the same shared parameter (``U``, ``W``, ``V``) have the same colour,
and carry the parameter's name. Each node's label is a text artist with gid ``"node:<id>"``, so
a test or a notebook can find them in ``ax.texts``.

The gated cells (:func:`draw_lstm_cell`, :func:`draw_gru_cell`) are drawn as one time step, in
the same style: the state path runs straight along the top, the gates sit in a row below it and
read the stacked input ``I = [h^(t-1); x^(t)]`` from a line along the bottom, and a numbered list
of equations on the right says which equation each numbered part computes (gids
``"equation:<key>"`` for an equation, ``"tag:<key>:<node id>"`` for its number beside a node,
``"edge:<source>-><target>"`` for each arrow). :func:`draw_deep`, :func:`draw_bidirectional`
and :func:`draw_output_and_hidden` draw the unfolded networks of ``rnnbook.cell_diagrams``
with their equations underneath.

This module and ``rnnbook.plotting`` are the only ones that import matplotlib.
"""

from __future__ import annotations

import numbers

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

from rnnbook import cell_diagrams
from rnnbook._validate import check_choice, check_positive
from rnnbook.graph import (
    RNN_MODELS,
    SEQUENCE_SHAPES,
    Graph,
    folded_graph,
    sequence_shape_graph,
    unrolled_graph,
)
from rnnbook.topics.expression_graph import ExpressionGraph

MAX_TAU = 10  # beyond this the labels of an unfolded graph no longer fit a notebook's width

KIND_ROW = {"input": 0, "hidden": 1, "output": 2, "loss": 3, "target": 3, "parameter": 0, "op": 1}
KIND_COLOUR = {
    "input": "#f6c6c0",
    "hidden": "#cbe8c4",
    "output": "#c5d8f3",
    "loss": "#fbe0a8",
    "target": "#e4e4e4",
    "parameter": "#fff1a6",
    "op": "#ffffff",
}
PARAMETER_COLOUR = {"U": "#1f5fa8", "W": "#c0392b", "V": "#2e8b3a"}
_SPARE_COLOURS = [
    "#8e44ad",
    "#d35400",
    "#16a085",
    "#7f6000",
    "#2c3e50",
    "#c71585",
    "#5d4037",
    "#1b4f72",
]
PLAIN_EDGE = "#444444"

DX = 2.0  # horizontal distance between two time steps
DY = 1.7  # vertical distance between two rows
RADIUS = 0.36  # circle radius; a box is 2 * BOX_HALF wide
BOX_HALF = (0.42, 0.3)


def parameter_colours(graph: Graph) -> dict[str, str]:
    """One colour per shared parameter of ``graph``: U blue, W red, V green, others in turn."""
    _check_graph(graph)
    colours = {}
    spare = iter(_SPARE_COLOURS * 4)
    for name in graph.shared_parameters():
        colours[name] = PARAMETER_COLOUR.get(name) or next(spare)
    return colours


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def layered_layout(graph: Graph) -> dict[str, tuple[float, float]]:
    """Positions ``{id: (x, y)}`` in data units.

    Nodes with a time index sit in column ``t`` (``DX`` apart) and in their kind's row
    (``KIND_ROW``); a target shares the loss row, just right of its loss. Graphs without time
    but with op nodes are layered by depth (:func:`depth_layout`); the others (a folded RNN)
    use the rows in a single column.
    """
    _check_graph(graph)
    if any(n.kind == "op" for n in graph.nodes.values()) and all(
        n.time is None for n in graph.nodes.values()
    ):
        return depth_layout(graph)
    pos = {}
    for node in graph.nodes.values():
        x = DX * (node.time or 0)
        if node.kind == "target":
            x += 0.5 * DX
        pos[node.id] = (x, DY * KIND_ROW[node.kind])
    return pos


def depth_layout(
    graph: Graph, spacing: float = 1.8, layer_height: float = DY
) -> dict[str, tuple[float, float]]:
    """Bottom-to-top layers for an acyclic graph: a node sits one layer above its highest input.

    A variable with no inputs sits one layer below the first node that uses it, so ``b`` of
    ``u3 = u2 + b`` stands beside ``u2``. Within a layer nodes are ordered by the mean position
    of their inputs and kept ``spacing`` apart.
    """
    _check_graph(graph)
    check_positive("spacing", spacing)
    check_positive("layer_height", layer_height)
    order = graph.topological_order()
    depth: dict[str, int] = {}
    for node_id in order:
        preds = graph.predecessors(node_id)
        depth[node_id] = 1 + max(depth[p] for p in preds) if preds else 0
    for node_id in order:
        users = graph.successors(node_id)
        if not graph.predecessors(node_id) and users:
            depth[node_id] = min(depth[u] for u in users) - 1
    pos: dict[str, tuple[float, float]] = {}
    for layer in range(max(depth.values()) + 1):
        members = [n for n in order if depth[n] == layer]
        placed_right = max((x for x, _ in pos.values()), default=-spacing)
        wanted = {}
        for k, node_id in enumerate(members):
            preds = graph.predecessors(node_id)
            if preds:
                wanted[node_id] = float(np.mean([pos[p][0] for p in preds]))
            else:
                wanted[node_id] = (placed_right + spacing * (k + 1)) if layer > 0 else spacing * k
        members.sort(key=lambda n: wanted[n])
        xs = [wanted[n] for n in members]
        for k in range(1, len(xs)):
            xs[k] = max(xs[k], xs[k - 1] + spacing)
        for node_id, x in zip(members, xs):
            pos[node_id] = (x, layer_height * layer)
    return pos


# --------------------------------------------------------------------------------------------
# Drawing primitives
# --------------------------------------------------------------------------------------------


def _boundary(centre, towards, shape: str, half=BOX_HALF) -> np.ndarray:
    """Point where the segment from ``centre`` to ``towards`` leaves the node's outline."""
    centre, towards = np.asarray(centre, float), np.asarray(towards, float)
    d = towards - centre
    length = np.hypot(*d)
    if length == 0:
        return centre
    if shape == "circle":
        return centre + RADIUS * d / length
    hx, hy = half
    scale = min(hx / abs(d[0]) if d[0] else np.inf, hy / abs(d[1]) if d[1] else np.inf)
    return centre + scale * d


def _draw_node(ax, node_id, label, kind, xy, shape, fontsize):
    colour = KIND_COLOUR[kind]
    if shape == "circle":
        patch = Circle(xy, RADIUS, facecolor=colour, edgecolor="#333333", lw=1.3, zorder=3)
    else:
        hx, hy = BOX_HALF
        patch = FancyBboxPatch(
            (xy[0] - hx, xy[1] - hy),
            2 * hx,
            2 * hy,
            boxstyle="round,pad=0,rounding_size=0.06",
            facecolor=colour,
            edgecolor="#333333",
            lw=1.3,
            zorder=3,
        )
    ax.add_patch(patch)
    text = ax.text(*xy, label, ha="center", va="center", fontsize=fontsize, zorder=4)
    text.set_gid(f"node:{node_id}")
    return text


def _edge_label(ax, xy, text, colour, fontsize, gid):
    label = ax.text(
        *xy,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color=colour,
        fontweight="bold",
        zorder=5,
        bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.9),
    )
    label.set_gid(gid)
    return label


def _delay_marker(ax, xy, gid):
    """The small black square that marks a one-step delay on a recurrent edge."""
    side = 0.14
    square = Rectangle((xy[0] - side / 2, xy[1] - side / 2), side, side, color="black", zorder=6)
    square.set_gid(gid)
    ax.add_patch(square)


def _draw_edge(ax, edge, pos, shape, colour, show_parameters, fontsize) -> list:
    """Draw one edge; return the points it reaches beyond the nodes (for the axes' limits)."""
    p, q = np.asarray(pos[edge.source], float), np.asarray(pos[edge.target], float)
    style = dict(arrowstyle="-|>", mutation_scale=14, color=colour, lw=1.6, zorder=2)
    gid = f"edge:{edge.source}->{edge.target}"
    if edge.source == edge.target:  # self-loop: a cubic curve out to the right and back
        start = _boundary(p, p + np.array([1.0, 0.75]), shape)
        end = _boundary(p, p + np.array([1.0, -0.75]), shape)
        c1, c2 = p + np.array([1.35, 0.8]), p + np.array([1.35, -0.8])
        loop = Path([start, c1, c2, end], [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
        ax.add_patch(FancyArrowPatch(path=loop, **style))
        middle = (start + 3 * c1 + 3 * c2 + end) / 8  # the curve's point at t = 1/2
        if edge.delay:
            _delay_marker(ax, middle, f"delay:{edge.source}->{edge.target}")
        if not (show_parameters and edge.parameter):
            return [middle]
        where = middle + np.array([0.3, 0.0])
        _edge_label(ax, where, f"${edge.parameter}$", colour, fontsize, gid)
        return [middle, where]
    rad = 0.0
    if edge.delay and abs(p[0] - q[0]) < 1e-9:  # a recurrent edge back down a column: bend it
        rad = 1.0
        sign = np.sign(p[1] - q[1])
        start = _boundary(p, p + np.array([-1.0, -0.7 * sign]), shape)
        end = _boundary(q, q + np.array([-1.0, 0.7 * sign]), shape)
    else:
        start, end = _boundary(p, q, shape), _boundary(q, p, shape)
    ax.add_patch(FancyArrowPatch(start, end, connectionstyle=f"arc3,rad={rad}", **style))
    d = end - start
    # midpoint of matplotlib's arc3 curve (a quadratic Bezier), valid with an equal aspect ratio
    middle = (start + end) / 2 + 0.5 * rad * np.array([d[1], -d[0]])
    extra = [middle]
    if edge.delay:
        _delay_marker(ax, middle, f"delay:{edge.source}->{edge.target}")
    if show_parameters and edge.parameter:
        if rad:  # beyond the bend, away from the node
            outward = middle - (start + end) / 2
            where = middle + 0.3 * outward / np.hypot(*outward)
        else:  # beside the line, on the left of its direction of travel
            where = middle + 0.22 * np.array([-d[1], d[0]]) / np.hypot(*d)
        _edge_label(ax, where, f"${edge.parameter}$", colour, fontsize, gid)
        extra.append(where)
    return extra


def _finish_axes(ax, pos, title, extra=(), margin=0.6):
    points = list(pos.values()) + [tuple(e) for e in extra]
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    ax.set_xlim(min(xs) - margin, max(xs) + margin)
    ax.set_ylim(min(ys) - margin, max(ys) + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=12)


def _new_axes(pos, extra_right=0.0, scale=0.85):
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    width = (max(xs) - min(xs) + 1.5 + extra_right) * scale
    height = (max(ys) - min(ys) + 1.5) * scale + 0.4
    _, ax = plt.subplots(figsize=(min(max(width, 2.5), 16), min(max(height, 2.0), 10)))
    return ax


# --------------------------------------------------------------------------------------------
# Public drawings
# --------------------------------------------------------------------------------------------


def draw_graph(
    graph: Graph,
    ax=None,
    *,
    pos: dict | None = None,
    node_shape: str = "circle",
    show_parameters: bool = True,
    title: str | None = None,
    fontsize: float = 13,
):
    """Draw any :class:`Graph`; return the Axes.

    ``pos`` overrides the layout (``{id: (x, y)}``, default :func:`layered_layout`);
    ``node_shape`` is ``"circle"`` or ``"box"``; with ``show_parameters`` each edge carries its
    parameter's name, and edges sharing a parameter share a colour. Node labels are text
    artists with gid ``"node:<id>"``.
    """
    _check_graph(graph)
    _check_ax(ax)
    if not isinstance(node_shape, str):
        raise TypeError(f"node_shape: expected 'circle' or 'box', got {type(node_shape).__name__}")
    check_choice("node_shape", node_shape, ("circle", "box"))
    show_parameters = _check_flag("show_parameters", show_parameters)
    _check_title(title)
    check_positive("fontsize", fontsize)
    pos = layered_layout(graph) if pos is None else _check_pos(pos, graph)
    has_loop = any(e.source == e.target for e in graph.edges)
    if ax is None:
        ax = _new_axes(pos, extra_right=1.2 if has_loop else 0.0)
    colours = parameter_colours(graph)
    extra = []
    for edge in graph.edges:
        colour = colours.get(edge.parameter, PLAIN_EDGE)
        extra += _draw_edge(ax, edge, pos, node_shape, colour, show_parameters, fontsize - 1)
    for node in graph.nodes.values():
        _draw_node(ax, node.id, node.label, node.kind, pos[node.id], node_shape, fontsize)
    _finish_axes(ax, pos, title if title is not None else graph.name, extra)
    return ax


def _check_model(model) -> str:
    if not isinstance(model, str):
        raise TypeError(f"model: expected one of {list(RNN_MODELS)}, got {type(model).__name__}")
    return check_choice("model", model, RNN_MODELS)


def _check_tau_for_drawing(tau) -> int:
    check_positive("tau", tau, integer=True)
    if tau > MAX_TAU:
        raise ValueError(
            f"tau: expected at most {MAX_TAU} time steps for a readable drawing, got {tau}"
        )
    return tau


def draw_unrolled(model: str = "hidden", tau: int = 3, ax=None, **kwargs):
    """Draw the unfolded graph of ``unrolled_graph(model, tau)``; return the Axes."""
    _check_model(model)
    _check_tau_for_drawing(tau)
    _check_ax(ax)
    kwargs.setdefault("title", f"{model}-to-hidden recurrence, unfolded for $\\tau = {tau}$")
    return draw_graph(unrolled_graph(model, tau), ax=ax, **kwargs)


def draw_folded(model: str = "hidden", ax=None, **kwargs):
    """Draw the folded (cyclic) graph of ``folded_graph(model)``; return the Axes.

    The recurrent edge carries a black square: the value it passes on is the previous step's.
    """
    _check_model(model)
    _check_ax(ax)
    graph = folded_graph(model)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 4.6))
    return draw_graph(graph, ax=ax, **kwargs)


def draw_folded_and_unfolded(model: str = "hidden", tau: int = 3):
    """The folded graph, an "unfold" arrow, and the unfolded graph side by side; return the Figure."""
    _check_model(model)
    _check_tau_for_drawing(tau)
    fig, (ax_folded, ax_arrow, ax_unfolded) = plt.subplots(
        1,
        3,
        figsize=(3.0 + 1.75 * (tau + 1) + 1.2, 4.6),
        gridspec_kw={"width_ratios": [2.6, 1.0, 1.75 * (tau + 1)]},
    )
    draw_folded(model, ax=ax_folded, title="folded")
    draw_unrolled(model, tau, ax=ax_unfolded, title=f"unfolded, $\\tau = {tau}$")
    ax_arrow.add_patch(
        FancyArrowPatch(
            (0.1, 0.5),
            (0.9, 0.5),
            arrowstyle="-|>",
            mutation_scale=22,
            lw=2.2,
            color="#333333",
            transform=ax_arrow.transAxes,
        )
    )
    ax_arrow.text(
        0.5, 0.58, "unfold", ha="center", va="bottom", fontsize=12, transform=ax_arrow.transAxes
    ).set_gid("unfold")
    ax_arrow.axis("off")
    fig.tight_layout()
    return fig


def _format_array(value, precision: int = 2) -> str:
    value = np.asarray(value)
    if value.size == 1:
        return f"{value.item():.{precision}f}"
    if value.size <= 4:
        return np.array2string(
            value.ravel() if value.ndim > 1 and 1 in value.shape else value,
            precision=precision,
            suppress_small=True,
            separator=" ",
        )
    return f"{value.shape} array"


def draw_expression_graph(
    expr_graph: ExpressionGraph,
    show_values: bool = False,
    show_grads: bool = False,
    ax=None,
    title: str | None = None,
):
    """Draw an :class:`ExpressionGraph` bottom to top; return the Axes.

    Each operation node names its operation beside it; ``show_values`` writes each node's value
    (after ``forward()``) and ``show_grads`` its gradient (after ``backward()``). Arrays of
    more than four entries are shown by their shape.
    """
    show_values = _check_flag("show_values", show_values)
    show_grads = _check_flag("show_grads", show_grads)
    _check_ax(ax)
    _check_title(title)
    if not isinstance(expr_graph, ExpressionGraph):
        raise TypeError(
            f"expr_graph: expected an rnnbook.topics.expression_graph.ExpressionGraph, got {type(expr_graph).__name__}"
        )
    nodes = expr_graph.nodes.values()
    if show_values and any(n.value is None for n in nodes):
        raise ValueError(
            "show_values: expected forward() to have been called, got nodes without values"
        )
    if show_grads and any(n.grad is None for n in nodes):
        raise ValueError(
            "show_grads: expected backward() to have been called, got nodes without gradients"
        )
    graph = expr_graph.to_graph()
    annotated = show_values or show_grads
    pos = depth_layout(
        graph, spacing=3.2 if annotated else 2.0, layer_height=2.2 if annotated else DY
    )
    extra_right = 2.0 if annotated else 1.1
    if ax is None:
        ax = _new_axes(pos, extra_right=extra_right, scale=0.8)
    draw_graph(
        graph, ax=ax, pos=pos, show_parameters=False, title=title or expr_graph.title, fontsize=11
    )
    placed = []
    for node in nodes:
        x, y = pos[node.name]
        lines = []
        if node.op is not None:
            lines.append((node.op, "#555555", "op"))
        if show_values:
            lines.append((f"= {_format_array(node.value)}", "#1a1a1a", "value"))
        if show_grads:
            lines.append((f"grad {_format_array(node.grad)}", "#b03a2e", "grad"))
        top = y + 0.11 * (len(lines) - 1)
        for k, (text, colour, what) in enumerate(lines):
            artist = ax.text(
                x + RADIUS + 0.1,
                top - 0.22 * k,
                text,
                ha="left",
                va="center",
                fontsize=9,
                color=colour,
                style="italic" if what == "op" else "normal",
                zorder=5,
                bbox=dict(
                    boxstyle="square,pad=0.05", facecolor="white", edgecolor="none", alpha=0.75
                ),
            )
            artist.set_gid(f"{what}:{node.name}")
            placed.append((node.name, artist))
    xs = [p[0] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6 + extra_right)
    _move_texts_off_nodes(ax, pos, placed)
    return ax


def _move_texts_off_nodes(ax, pos, placed) -> None:
    """Move a node's texts to its left where, on its right, they would cover another node."""
    ax.apply_aspect()
    renderer = ax.figure.canvas.get_renderer()
    to_display = ax.transData.transform
    crowded = set()
    for name, artist in placed:
        box = artist.get_window_extent(renderer)
        for other, (ox, oy) in pos.items():
            (left, bottom), (right, top) = to_display(
                [(ox - RADIUS, oy - RADIUS), (ox + RADIUS, oy + RADIUS)]
            )
            if (
                other != name
                and box.x1 > left
                and box.x0 < right
                and box.y1 > bottom
                and box.y0 < top
            ):
                crowded.add(name)
    lowest = ax.get_xlim()[0]
    for name, artist in placed:
        if name in crowded:
            x, y = artist.get_position()
            artist.set_position((pos[name][0] - RADIUS - 0.1, y))
            artist.set_horizontalalignment("right")
            width = ax.transData.inverted().transform(
                [(0, 0), (artist.get_window_extent(renderer).width, 0)]
            )
            lowest = min(lowest, pos[name][0] - RADIUS - 0.2 - (width[1][0] - width[0][0]))
    ax.set_xlim(lowest, ax.get_xlim()[1])


def draw_sequence_shapes(shapes=SEQUENCE_SHAPES[:4], length: int = 3):
    """One figure, one panel per sequence shape (default: the four of the lecture notes).

    Inputs are boxes at the bottom, RNN states in the middle, outputs on top; return the Figure.
    """
    if isinstance(shapes, str):
        shapes = (shapes,)
    if not isinstance(shapes, (list, tuple)):
        raise TypeError(
            f"shapes: expected a shape name or a list of them (from {list(SEQUENCE_SHAPES)}), "
            f"got {type(shapes).__name__}"
        )
    if not shapes:
        raise ValueError(
            f"shapes: expected at least one shape name, got an empty {type(shapes).__name__}"
        )
    for shape in shapes:
        if not isinstance(shape, str):
            raise TypeError(f"shapes: expected shape names (strings), got {type(shape).__name__}")
        check_choice("shapes", shape, SEQUENCE_SHAPES)
    check_positive("length", length, integer=True)
    if length > 5:
        raise ValueError(f"length: expected at most 5 steps per panel, got {length}")
    graphs = [sequence_shape_graph(shape, length) for shape in shapes]
    widths = [max(n.time for n in g.nodes.values()) for g in graphs]
    fig, axes = plt.subplots(
        1,
        len(graphs),
        figsize=(sum(widths) * 1.1 + 0.3 * len(graphs), 3.0),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    for ax, graph in zip(axes[0], graphs):
        pos = {n.id: (DX * 0.6 * n.time, KIND_ROW[n.kind] * 1.1) for n in graph.nodes.values()}
        draw_graph(
            graph,
            ax=ax,
            pos=pos,
            node_shape="box",
            show_parameters=False,
            title=graph.name.replace("-delayed", " (delayed)"),
            fontsize=11,
        )
        ax.set_xlim(min(p[0] for p in pos.values()) - 0.6, max(p[0] for p in pos.values()) + 0.6)
        ax.set_ylim(-0.55, 2.75)
        ax.set_aspect("auto")  # fill the panel; the figure's size keeps the boxes' proportions
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# Argument checks shared by the drawings
# --------------------------------------------------------------------------------------------


def _check_ax(ax) -> None:
    from matplotlib.axes import Axes

    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")


def _check_flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_title(title) -> None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected a string or None, got {type(title).__name__}")


def _check_graph(graph) -> None:
    if not isinstance(graph, Graph):
        raise TypeError(f"graph: expected an rnnbook.graph.Graph, got {type(graph).__name__}")
    if not graph.nodes:
        raise ValueError("graph: expected at least one node, got an empty graph")


def _check_pos(pos, graph: Graph) -> dict:
    if not isinstance(pos, dict):
        raise TypeError(f"pos: expected a dict {{node id: (x, y)}}, got {type(pos).__name__}")
    missing = [n for n in graph.nodes if n not in pos]
    if missing:
        raise ValueError(f"pos: expected a position for every node, got none for {missing}")
    for node_id in graph.nodes:
        xy = pos[node_id]
        ok = (
            isinstance(xy, (tuple, list, np.ndarray))
            and len(xy) == 2
            and all(
                isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)
                for v in xy
            )
        )
        if not ok:
            raise ValueError(
                f"pos: expected a pair of finite numbers (x, y) for node {node_id!r}, got {xy!r}"
            )
    return pos


# --------------------------------------------------------------------------------------------
# Gated cells: one time step
# --------------------------------------------------------------------------------------------

GATE_COLOUR = {"sigmoid": "#fde2a7", "tanh": "#ddd0f2"}
STATE_PATH_COLOUR = "#c0392b"
TAG_COLOUR = "#34495e"

_LSTM_POS = {
    "c_prev": (0.0, 4.2),
    "h_prev": (-1.4, 0.0),
    "x": (0.0, -1.4),
    "I": (0.0, 0.0),
    "f": (1.4, 1.6),
    "i": (2.7, 1.6),
    "g": (4.0, 1.6),
    "o_gate": (5.6, 1.6),
    "mul_f": (1.4, 4.2),
    "mul_ig": (3.35, 2.9),
    "add": (3.35, 4.2),
    "c_t": (7.0, 4.2),
    "tanh_c": (7.0, 2.9),
    "mul_o": (7.0, 1.6),
    "h_t": (8.4, 1.6),
}
_LSTM_GATES = {"f": "sigmoid", "i": "sigmoid", "g": "tanh", "o_gate": "sigmoid"}

_GRU_POS = {
    "h_prev": (0.0, 4.2),
    "x": (-1.4, 0.0),
    "I": (0.0, 0.0),
    "z": (1.4, 1.6),
    "r": (3.4, 1.6),
    "n": (4.8, 1.6),
    "mul_z": (1.4, 4.2),
    "one_minus": (2.6, 2.9),
    "mul_n": (4.8, 2.9),
    "add": (4.8, 4.2),
    "h_t": (7.0, 4.2),
}
_GRU_GATES = {"z": "sigmoid", "r": "sigmoid", "n": "tanh"}


def _routed_arrow(ax, p, q, via, shape_p, shape_q, colour, lw, gid):
    """An arrow from node p to node q through the corner points ``via`` (straight segments)."""
    points = [np.asarray(v, float) for v in via]
    start = _boundary(p, points[0] if points else q, shape_p)
    end = _boundary(q, points[-1] if points else p, shape_q)
    vertices = [start, *points, end]
    path = Path(vertices, [Path.MOVETO] + [Path.LINETO] * (len(vertices) - 1))
    arrow = FancyArrowPatch(
        path=path, arrowstyle="-|>", mutation_scale=13, color=colour, lw=lw, zorder=2
    )
    arrow.set_gid(gid)
    ax.add_patch(arrow)
    return arrow


def _draw_cell(graph, pos, gates, equations, state_path, state_label, title, ax, show_equations):
    gate_ids = set(gates)
    on_path = set(zip(state_path, state_path[1:]))
    shape = {n: "box" if n in gate_ids else "circle" for n in graph.nodes}
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    right = max(xs) + RADIUS + 0.8
    limits = (min(xs) - 0.7, right + (7.6 if show_equations else 0.2), min(ys) - 0.7, max(ys) + 1.0)
    if ax is None:
        scale = 0.72  # inches per data unit
        _, ax = plt.subplots(
            figsize=(scale * (limits[1] - limits[0]), scale * (limits[3] - limits[2]) + 0.4)
        )
    for edge in graph.edges:
        p, q = pos[edge.source], pos[edge.target]
        via = []
        if edge.source == "I":  # the bus: along the bottom, then up into the gate
            via = [(q[0], p[1])]
        main = (edge.source, edge.target) in on_path
        _routed_arrow(
            ax,
            p,
            q,
            via,
            shape[edge.source],
            shape[edge.target],
            STATE_PATH_COLOUR if main else PLAIN_EDGE,
            3.2 if main else 1.5,
            f"edge:{edge.source}->{edge.target}",
        )
    for node in graph.nodes.values():
        text = _draw_node(
            ax, node.id, node.label, node.kind, pos[node.id], shape[node.id], fontsize=11
        )
        if node.id in gate_ids:
            ax.patches[-1].set_facecolor(GATE_COLOUR[gates[node.id]])
            ax.patches[-1].set_gid(f"gate:{node.id}:{gates[node.id]}")
        if "t-1" in node.label:
            text.set_fontsize(9.5)
        if node.label in ("tanh", "$1-$") or node.id == "o_gate":
            text.set_fontsize(9.5)
    for node_id in dict.fromkeys((state_path[-1], "h_t")):  # values handed on to the next step
        x, y = pos[node_id]
        stub = FancyArrowPatch(
            (x + RADIUS, y),
            (x + RADIUS + 0.6, y),
            arrowstyle="-|>",
            mutation_scale=11,
            color="#999999",
            lw=1.2,
            linestyle="--",
        )
        stub.set_gid(f"next:{node_id}")
        ax.add_patch(stub)
    x0, x1 = pos[state_path[0]][0], pos[state_path[-1]][0]
    y_path = pos[state_path[0]][1]
    label = ax.text(
        (x0 + x1) / 2 + 0.9,
        y_path + 0.5,
        state_label,
        ha="center",
        va="bottom",
        fontsize=10,
        color=STATE_PATH_COLOUR,
        style="italic",
    )
    label.set_gid("label:state-path")
    if show_equations:
        for number, (key, equation) in enumerate(equations.items(), start=1):
            for node_id in equation.nodes:
                x, y = pos[node_id]
                dx = BOX_HALF[0] if shape[node_id] == "box" else RADIUS * 0.75
                dy = BOX_HALF[1] if shape[node_id] == "box" else RADIUS * 0.75
                tag = ax.text(
                    x + dx,
                    y + dy,
                    str(number),
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white",
                    fontweight="bold",
                    zorder=7,
                    bbox=dict(boxstyle="circle,pad=0.18", facecolor=TAG_COLOUR, edgecolor="none"),
                )
                tag.set_gid(f"tag:{key}:{node_id}")
            y_line = max(ys) + 0.3 - 0.78 * (number - 1)
            num = ax.text(
                right + 0.5,
                y_line,
                str(number),
                ha="center",
                va="center",
                fontsize=8,
                color="white",
                fontweight="bold",
                bbox=dict(boxstyle="circle,pad=0.2", facecolor=TAG_COLOUR, edgecolor="none"),
            )
            num.set_gid(f"eqnum:{key}")
            eq = ax.text(right + 0.85, y_line, equation.tex, ha="left", va="center", fontsize=11.5)
            eq.set_gid(f"equation:{key}")
    ax.set_xlim(*limits[:2])
    ax.set_ylim(*limits[2:])
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title if title is not None else graph.name, fontsize=12)
    return ax


def draw_lstm_cell(ax=None, *, show_equations: bool = True, title: str | None = None):
    """Draw one step of an LSTM cell (``rnnbook.cell_diagrams.lstm_cell_graph``); return the Axes.

    The cell-state path ``c^(t-1) -> x -> + -> c^(t)`` runs straight along the top, thick and
    red: a forget-gate multiply and an add, nothing else. The gates ``f, i, g, o_gate`` (boxes:
    sigmoid gates yellow, the tanh candidate ``g`` violet) read ``I = [h^(t-1); x^(t)]`` from
    the line along the bottom. With ``show_equations`` the equations of notebook 07 are listed
    on the right, numbered, and each number sits beside the parts that compute it.
    """
    return _draw_gated_cell("lstm", ax, show_equations, title)


def draw_gru_cell(ax=None, *, show_equations: bool = True, title: str | None = None):
    """Draw one step of a GRU cell (``rnnbook.cell_diagrams.gru_cell_graph``); return the Axes.

    There is no cell state: the state path ``h^(t-1) -> x -> + -> h^(t)`` runs along the top
    (the update gate ``z`` keeps a share of the old state, ``1 - z`` lets in the candidate
    ``n``). The reset gate ``r`` feeds only the candidate, whose recurrent part it scales.
    Equations as in :func:`draw_lstm_cell`.
    """
    return _draw_gated_cell("gru", ax, show_equations, title)


def _draw_gated_cell(kind: str, ax, show_equations, title):
    _check_ax(ax)
    show_equations = _check_flag("show_equations", show_equations)
    _check_title(title)
    if kind == "lstm":
        graph, pos, gates = cell_diagrams.lstm_cell_graph(), _LSTM_POS, _LSTM_GATES
        equations, path = cell_diagrams.LSTM_EQUATIONS, ["c_prev", "mul_f", "add", "c_t"]
        path_label, default_title = "cell state", "LSTM cell, one step"
    else:
        graph, pos, gates = cell_diagrams.gru_cell_graph(), _GRU_POS, _GRU_GATES
        equations, path = cell_diagrams.GRU_EQUATIONS, ["h_prev", "mul_z", "add", "h_t"]
        path_label, default_title = (
            "the state itself (no separate cell state)",
            "GRU cell, one step",
        )
    title = title if title is not None else default_title
    return _draw_cell(graph, pos, gates, equations, path, path_label, title, ax, show_equations)


# --------------------------------------------------------------------------------------------
# Deep, bidirectional and output-fed networks, unfolded
# --------------------------------------------------------------------------------------------


def _label_edges(ax, graph, pos, where) -> None:
    """Label each weighted edge at ``where(edge) = (fraction, side)`` of its length, beside it.

    ``side`` is +1 for the left of the edge's direction of travel, -1 for its right.
    """
    colours = parameter_colours(graph)
    for edge in graph.edges:
        if edge.parameter is None:
            continue
        p, q = np.asarray(pos[edge.source], float), np.asarray(pos[edge.target], float)
        d = q - p
        fraction, side = where(edge)
        xy = p + fraction * d + side * 0.26 * np.array([-d[1], d[0]]) / np.hypot(*d)
        gid = f"edge:{edge.source}->{edge.target}"
        _edge_label(ax, xy, f"${edge.parameter}$", colours[edge.parameter], 11, gid)


def _draw_network(graph, pos, equations, title, ax, show_equations, label_where=None):
    xs = [x for x, _ in pos.values()]
    ys = [y for _, y in pos.values()]
    n_eq = len(equations) if show_equations else 0
    if ax is None:
        width = max(xs) - min(xs) + 1.6
        height = max(ys) - min(ys) + 1.4 + 0.6 * n_eq
        scale = min(0.8, 16 / width, 11 / height)  # inches per data unit, the same both ways
        _, ax = plt.subplots(figsize=(max(scale * width, 6.5), scale * height + 0.5))
    draw_graph(graph, ax=ax, pos=pos, title=title, fontsize=12, show_parameters=not label_where)
    if label_where:
        _label_edges(ax, graph, pos, label_where)
    bottom = min(ys) - 0.6
    if show_equations:
        for k, (key, equation) in enumerate(equations.items()):
            eq = ax.text(
                min(xs) - 0.4,
                min(ys) - 1.0 - 0.6 * k,
                equation.tex,
                ha="left",
                va="center",
                fontsize=12,
            )
            eq.set_gid(f"equation:{key}")
        bottom = min(ys) - 1.0 - 0.6 * (n_eq - 1) - 0.45
    ax.set_ylim(bottom, ax.get_ylim()[1])
    return ax


def draw_deep(
    num_layers: int = 2,
    tau: int = 3,
    ax=None,
    *,
    show_equations: bool = True,
    title: str | None = None,
):
    """Draw ``cell_diagrams.deep_graph(num_layers, tau)``: one row per layer; return the Axes.

    Inputs at the bottom, layers 1 .. L above them (layer ``l`` in row ``l``), outputs on top.
    Each layer has its own ``U_l`` (from the row below) and ``W_l`` (along its row).
    """
    graph = cell_diagrams.deep_graph(num_layers, tau)
    _check_ax(ax)
    show_equations = _check_flag("show_equations", show_equations)
    _check_title(title)
    pos = {}
    for node in graph.nodes.values():
        if node.kind == "input":
            row = 0
        elif node.kind == "output":
            row = num_layers + 1
        else:
            row = int(node.id[1:].split("_")[0])
        pos[node.id] = (DX * node.time, DY * row)
    layers = f"{num_layers} layer" + ("s" if num_layers > 1 else "")
    title = title if title is not None else f"deep RNN: {layers}, $\\tau = {tau}$"
    return _draw_network(
        graph, pos, cell_diagrams.deep_equations(num_layers), title, ax, show_equations
    )


BIDIRECTIONAL_OFFSET = 0.45  # the two hidden rows sit this far left and right of their column


def draw_bidirectional(
    tau: int = 3, ax=None, *, show_equations: bool = True, title: str | None = None
):
    """Draw ``cell_diagrams.bidirectional_graph(tau)``; return the Axes.

    Two hidden rows: the forward row (arrows left to right) just above the inputs, the backward
    row (arrows right to left) above it; each output reads both. The rows are shifted slightly
    left and right of their column so that the vertical edges pass beside the other row.
    """
    graph = cell_diagrams.bidirectional_graph(tau)
    _check_ax(ax)
    show_equations = _check_flag("show_equations", show_equations)
    _check_title(title)
    row = {"x": 0, "hf": 1, "hb": 2, "o": 3}
    shift = {"x": 0.0, "hf": -BIDIRECTIONAL_OFFSET, "hb": BIDIRECTIONAL_OFFSET, "o": 0.0}
    pos = {}
    for node in graph.nodes.values():
        kind = node.id.rstrip("0123456789")
        pos[node.id] = (1.3 * DX * node.time + shift[kind], DY * row[kind])

    def where(edge):  # each label on the side of its edge away from the other row's edges
        kinds = (edge.source.rstrip("0123456789"), edge.target.rstrip("0123456789"))
        return {
            ("x", "hf"): (0.5, 1),
            ("x", "hb"): (0.3, -1),
            ("hf", "o"): (0.72, 1),
            ("hb", "o"): (0.55, -1),
        }.get(kinds, (0.5, 1))

    title = title if title is not None else f"bidirectional RNN, $\\tau = {tau}$"
    return _draw_network(
        graph, pos, cell_diagrams.BIDIRECTIONAL_EQUATIONS, title, ax, show_equations, where
    )


def draw_output_and_hidden(
    tau: int = 3, ax=None, *, show_equations: bool = True, title: str | None = None
):
    """Draw ``cell_diagrams.output_and_hidden_graph(tau)``; return the Axes.

    The layout of :func:`draw_unrolled`, plus an edge ``y^(t-1) -> h^(t)`` through ``R`` at
    every step after the first (Goodfellow et al., fig. 10.10).
    """
    graph = cell_diagrams.output_and_hidden_graph(tau)
    _check_ax(ax)
    show_equations = _check_flag("show_equations", show_equations)
    _check_title(title)
    pos = {k: (1.3 * x, y) for k, (x, y) in layered_layout(graph).items()}  # room for R

    def where(edge):  # R just below y^(t-1); V on the right, away from the arriving R
        return {"R": (0.22, 1), "V": (0.5, -1)}.get(edge.parameter, (0.5, 1))

    title = title if title is not None else f"hidden and output recurrence, $\\tau = {tau}$"
    return _draw_network(
        graph, pos, cell_diagrams.OUTPUT_AND_HIDDEN_EQUATIONS, title, ax, show_equations, where
    )
