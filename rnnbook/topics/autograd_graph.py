"""The graph PyTorch's autograd recorded, as an ``rnnbook.graph.Graph`` (notebook 02).

While a forward computation runs, every tensor computed from tensors with
``requires_grad=True`` keeps the backward function of the operation that produced it
(``tensor.grad_fn``), and each backward function keeps those of its inputs
(``grad_fn.next_functions``). A leaf that requires a gradient appears as an
``AccumulateGrad`` function whose ``.variable`` is the leaf itself. ``.backward()`` walks
these links in reverse topological order; :func:`recorded_graph` walks them once to draw them.

Tensors follow PyTorch's shapes; only the graph's structure is read, never the values.
"""

from __future__ import annotations

import torch

from rnnbook.graph import Graph

__all__ = ["recorded_graph"]


def _check_names(names) -> None:
    if not isinstance(names, dict) or not names:
        got = "an empty dict" if isinstance(names, dict) else type(names).__name__
        raise TypeError(f"names: expected a non-empty dict of name -> tensor, got {got}")
    for name, tensor in names.items():
        if not isinstance(name, str) or not isinstance(tensor, torch.Tensor):
            raise TypeError(
                f"names: expected str -> torch.Tensor items, got {name!r} -> "
                f"{type(tensor).__name__}"
            )


def recorded_graph(output: torch.Tensor, names: dict) -> tuple[Graph, list[tuple[str, str]]]:
    """Turn the autograd graph that produced ``output`` into a :class:`~rnnbook.graph.Graph`.

    ``names`` maps a name to each tensor of interest: every leaf that requires a gradient
    becomes a ``"parameter"`` node with that name, and every recorded operation an ``"op"``
    node named after the tensor it produced (so every intermediate tensor must be named).
    Labels are the names in mathtext (``"$W_1$"``). Tensors that do not require a gradient,
    such as an input ``x``, are not recorded by autograd and do not appear.

    Returns ``(graph, ops)``: ``ops`` lists ``(name, backward function's name)`` for each
    operation in the order the walk from ``output`` meets them, e.g.
    ``[("z", "MmBackward0"), ...]``.
    """
    if not isinstance(output, torch.Tensor):
        raise TypeError(f"output: expected a torch.Tensor, got {type(output).__name__}")
    if output.grad_fn is None:
        raise ValueError(
            "output: expected a tensor computed from tensors with requires_grad=True "
            "(one with a grad_fn), got one with grad_fn None"
        )
    _check_names(names)
    by_fn = {t.grad_fn: n for n, t in names.items() if t.grad_fn is not None}
    by_leaf = {id(t): n for n, t in names.items() if t.grad_fn is None}

    def name_of(fn) -> str:
        if hasattr(fn, "variable"):  # AccumulateGrad: a leaf that requires a gradient
            key, table, what = id(fn.variable), by_leaf, "leaf tensor"
        else:
            key, table, what = fn, by_fn, f"tensor produced by {fn.name()}"
        if key not in table:
            raise ValueError(
                f"names: expected a name for every tensor on the path to output, "
                f"got none for a {what}; named: {list(names)}"
            )
        return table[key]

    recorded = Graph(name="graph recorded by autograd")
    ops, edges, stack, seen = [], [], [output.grad_fn], set()
    while stack:  # depth first, from the output back to the leaves
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        name = name_of(fn)
        if hasattr(fn, "variable"):
            recorded.add_node(name, f"${name}$", "parameter")
        else:
            ops.append((name, fn.name()))
            recorded.add_node(name, f"${name}$", "op")
        for parent, _ in fn.next_functions:
            if parent is not None:  # None: an input that does not require a gradient
                edges.append((parent, name))
                stack.append(parent)
    for parent, name in edges:  # every node exists now: add the edges, sources to targets
        recorded.add_edge(name_of(parent), name)
    return recorded, ops
