"""Figures and widgets for the lecture notebooks (the only general-purpose plotting module).

Functions take data and return the matplotlib Figure or Axes they drew on; nothing here
computes model quantities. Widgets redraw on every change and draw once when created, so a
notebook executed headless (CI) still shows the figure.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from rnnbook.topics import dynamics


def _axes(ax=None, figsize=(6, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _check_curves(x_name: str, x, name: str, curves) -> None:
    """``curves`` a non-empty dict of label -> values, each as long as ``x``."""
    if not isinstance(curves, dict) or not curves:
        raise TypeError(
            f"{name}: expected a non-empty dict of label -> values, got {type(curves).__name__}"
        )
    n = len(np.asarray(x))
    for label, values in curves.items():
        if np.shape(values)[:1] != (n,):
            raise ValueError(
                f"{name}[{label!r}]: expected {n} values (one per entry of {x_name}), "
                f"got shape {np.shape(values)}"
            )


def plot_series(ts, series: dict, *, ax=None, title="", xlabel="t", ylabel="s(t)", styles=None):
    """Plot several curves over the same times ``ts (n,)``; ``series`` maps a label to values
    ``(n,)``; ``styles`` maps a label to a matplotlib format string such as ``"k-"``."""
    _check_curves("ts", ts, "series", series)
    ax = _axes(ax)
    styles = styles or {}
    for label, values in series.items():
        ax.plot(ts, values, styles.get(label, "-"), label=label)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_loglog_error(hs, errors: dict, *, ax=None, reference_orders=(1,), title=""):
    """Global error against step size on log-log axes, with reference slopes h^p.

    ``reference_orders[k]`` is drawn through the first point of the k-th series of ``errors``,
    so each method sits next to the slope it should follow.
    """
    _check_curves("hs", hs, "errors", errors)
    hs = np.asarray(hs, dtype=float)
    if hs.ndim != 1 or np.any(hs <= 0):
        raise ValueError(f"hs: expected a 1-D array of positive step sizes, got {hs}")
    for label, err in errors.items():
        if np.any(np.asarray(err, dtype=float) <= 0):
            raise ValueError(
                f"errors[{label!r}]: expected positive errors (a log scale), got {np.asarray(err)}"
            )
    ax = _axes(ax, figsize=(5, 3.5))
    for label, err in errors.items():
        ax.loglog(hs, err, "o-", label=label)
    for p, err in zip(reference_orders, errors.values()):
        ref = np.asarray(err)[0] * (hs / hs[0]) ** p
        ax.loglog(hs, ref, "k--", lw=0.8, label=f"∝ Δt^{p}")
    ax.set(xlabel="step size Δt", ylabel="max |error|", title=title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, which="both")
    return ax


def oscillator_figure(dt=0.05, k=2.0, m=1.0, A=0.5, t1=20.0, s0=1.0, v0=0.0):
    """Euler's trajectory of the forced oscillator against the exact solution; returns the Figure.

    Left: s(t) over time. Right: the phase portrait (s, v).
    """
    ts, euler_states = dynamics.euler(dynamics.oscillator_rhs(k, m, A), [s0, v0], 0.0, t1, dt)
    exact = dynamics.oscillator_exact(ts, k, m, A, s0, v0)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    plot_series(
        ts,
        {"exact": exact[:, 0], f"Euler, Δt = {dt:g}": euler_states[:, 0]},
        ax=left,
        title=f"m s'' = -k s + A cos t   (k = {k:g}, m = {m:g}, A = {A:g})",
        styles={"exact": "k-"},
    )
    right.plot(exact[:, 0], exact[:, 1], "k-", label="exact")
    right.plot(euler_states[:, 0], euler_states[:, 1], "-", label="Euler")
    right.set(xlabel="s", ylabel="v = ds/dt", title="phase portrait")
    right.legend(fontsize="small")
    right.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def oscillator_widget(dt=0.05, k=2.0, m=1.0, A=0.5, t1=20.0):
    """Sliders for the step dt (Δt), k, m and A that redraw :func:`oscillator_figure`.

    Returns the widget box.

    Show it by making it the last expression of a cell; it draws once on creation.
    """
    import ipywidgets as widgets

    steps = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4]
    if dt not in steps:
        raise ValueError(f"dt: expected one of the slider's steps {steps}, got {dt!r}")
    sliders = {
        "dt": widgets.SelectionSlider(options=steps, value=dt, description="Δt"),
        "k": widgets.FloatSlider(value=k, min=0.25, max=4.0, step=0.25, description="k"),
        "m": widgets.FloatSlider(value=m, min=0.25, max=4.0, step=0.25, description="m"),
        "A": widgets.FloatSlider(value=A, min=0.0, max=2.0, step=0.1, description="A"),
    }

    def draw(dt, k, m, A):
        fig = oscillator_figure(dt=dt, k=k, m=m, A=A, t1=t1)
        plt.show(fig)

    out = widgets.interactive_output(draw, sliders)
    return widgets.VBox([widgets.HBox(list(sliders.values())), out])
