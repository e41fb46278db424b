"""Looking inside a trained character model: what does each hidden unit respond to?

After Karpathy, Johnson and Fei-Fei, *Visualizing and understanding recurrent networks* (2015):
run a trained language model over a passage, record every hidden unit's activation at every
character, and colour the characters by one unit's value. A unit that tracks something
interpretable (the position inside a word, being inside quotes, the end of a line) shows it at
a glance. To find such a unit without looking at all of them, correlate each unit's activation
with a feature of the text computed by hand and keep the best.

Shapes: a passage of T characters gives activations ``(T, n_h)`` (time first, one row per
character), taken from the top recurrent layer of a :class:`rnnbook.lm.RNNLM`.
"""

from __future__ import annotations

import html

import numpy as np

from rnnbook._validate import check_array, check_positive

__all__ = ["record_hidden", "position_in_word", "best_unit", "correlations", "colour_text_html"]


def record_hidden(model, ids) -> np.ndarray:
    """Top-layer hidden states h^(t) of ``model`` (an RNNLM) reading ``ids``: ``(T, n_h)``.

    ``ids`` is a 1-D sequence of token indices; the model starts from the zero state and runs
    in eval mode (no dropout). The model's train/eval mode is restored afterwards.
    """
    import torch

    for attribute in ("rnn", "embedding", "vocab_size", "output"):
        if not hasattr(model, attribute):
            raise TypeError(
                f"model: expected an rnnbook.lm.RNNLM (with .{attribute}), got {type(model).__name__}"
            )
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"ids: expected a 1-D sequence of token indices, got the str {ids!r}")
    ids = check_array("ids", np.asarray(ids), (None,), ("T",), dtype_kind="iu")
    if ids.min() < 0 or ids.max() >= model.vocab_size:
        raise ValueError(
            f"ids: expected token indices in [0, {model.vocab_size - 1}] (the model's vocab_size "
            f"= {model.vocab_size}), got [{ids.min()}, {ids.max()}]"
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            device = next(model.parameters()).device
            x = torch.as_tensor(ids, dtype=torch.long, device=device)[None, :]
            if model.embedding is not None:
                e = model.embedding(x)
            else:
                e = torch.nn.functional.one_hot(x, model.vocab_size).to(model.output.weight.dtype)
            h, _ = model.rnn(e)  # (1, T, n_h), batch_first
    finally:
        model.train(was_training)
    return h[0].float().cpu().numpy()


def position_in_word(text: str) -> np.ndarray:
    """For each character, how many letters of the current word came before it (0 at a space).

    ``"the cat"`` gives ``[0, 1, 2, 0, 0, 1, 2]``: the feature a "where am I in this word"
    unit would track. Any non-letter counts as a word boundary.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    out = np.zeros(len(text))
    k = 0
    for t, ch in enumerate(text):
        if ch.isalpha():
            out[t] = k
            k += 1
        else:
            k = 0
    return out


def correlations(acts: np.ndarray, feature: np.ndarray) -> np.ndarray:
    """Pearson correlation of every unit's activation with ``feature``: ``(n_h,)``.

    acts: (T, n_h); feature: (T,). A unit that never varies gets correlation 0.
    """
    acts = check_array("acts", acts, (None, None), ("T", "n_h"))
    feature = check_array("feature", feature, (acts.shape[0],), ("T",))
    a = acts - acts.mean(axis=0)
    f = feature - feature.mean()
    denom = np.sqrt((a**2).sum(axis=0) * (f**2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (a * f[:, None]).sum(axis=0) / denom
    return np.where(denom > 0, r, 0.0)


def best_unit(acts: np.ndarray, feature: np.ndarray) -> tuple[int, float]:
    """The unit whose activation correlates most strongly (either sign) with ``feature``.

    Returns ``(unit, r)`` with r the signed Pearson correlation.
    """
    r = correlations(acts, feature)
    unit = int(np.argmax(np.abs(r)))
    return unit, float(r[unit])


def colour_text_html(text: str, values, *, vmax: float | None = None, width: int = 90) -> str:
    """HTML for ``text`` with each character's background coloured by ``values`` (T,).

    Blue for negative, red for positive, white near zero, scaled by ``vmax`` (default: the
    largest |value|). Lines break at newlines and every ``width`` characters. Display with
    ``IPython.display.HTML``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    if isinstance(values, (str, bytes)) or np.asarray(values).dtype.kind not in "biuf":
        raise TypeError(f"values: expected a 1-D array of numbers, got {type(values).__name__}")
    values = check_array("values", np.asarray(values, dtype=float), (len(text),), ("T",))
    if vmax is not None:
        check_positive("vmax", vmax)
    check_positive("width", width, integer=True)
    scale = float(np.max(np.abs(values))) if vmax is None else float(vmax)
    scale = scale if scale > 0 else 1.0
    parts, column = [], 0
    for ch, v in zip(text, values):
        s = float(np.clip(v / scale, -1.0, 1.0))
        fade = int(round(255 * (1 - abs(s))))
        rgb = (255, fade, fade) if s > 0 else (fade, fade, 255)
        shown = "&nbsp;" if ch == " " else html.escape(ch)
        if ch == "\n":
            parts.append("<br>")
            column = 0
            continue
        parts.append(f'<span style="background-color: rgb{rgb}" title="{v:.2f}">{shown}</span>')
        column += 1
        if column >= width:
            parts.append("<br>")
            column = 0
    body = "".join(parts)
    return f'<div style="font-family: monospace; line-height: 1.5; color: black">{body}</div>'
