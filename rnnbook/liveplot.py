"""A live loss and perplexity plot for notebooks, as a training callback.

    plot = LivePlot(every=20)
    history = train(model, batches, epochs=5, val_batches=val, callbacks=[plot])

Every ``every`` steps the callback redraws two panels (loss in nats per token; perplexity on a
log scale) and replaces the previous picture in the cell's output, using IPython's
``display(..., display_id=True)`` and ``handle.update(...)``.  The figure is rendered to PNG with
matplotlib's Agg canvas, never through pyplot, so no GUI backend is touched: it behaves the same
in JupyterLab, in classic Jupyter and under nbval.  Outside a notebook kernel (a script, pytest)
the callback only counts its calls.  It never stops training.
"""

from __future__ import annotations

import io
import math

from rnnbook._validate import check_positive

__all__ = ["LivePlot", "in_notebook"]


def in_notebook() -> bool:
    """Whether code runs inside a Jupyter kernel (where rich output can be displayed)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _check_history(history) -> None:
    needed = ("step", "train_loss", "val_step", "val_loss", "val_ppl")
    missing = [name for name in needed if not hasattr(history, name)]
    if missing:
        raise TypeError(
            f"history: expected a rnnbook.history.History, got {type(history).__name__} "
            f"without {missing}"
        )
    if len(history.step) != len(history.train_loss):
        raise ValueError(
            f"history: expected as many steps as losses, got {len(history.step)} steps and "
            f"{len(history.train_loss)} losses"
        )


class LivePlot:
    """Callback ``(step, history) -> None`` that redraws the loss and perplexity curves.

    ``every``: redraw every this many steps (and on :meth:`finish`).  ``figsize`` in inches.
    ``active``: force on or off; default: on inside a Jupyter kernel only.
    """

    def __init__(self, every: int = 10, figsize=(9.0, 3.0), active: bool | None = None):
        self.every = check_positive("every", every, integer=True)
        if (
            not isinstance(figsize, (tuple, list))
            or len(figsize) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in figsize)
            or not all(0 < v <= 100 for v in figsize)
        ):
            raise ValueError(
                f"figsize: expected (width, height) in inches, each in (0, 100], got {figsize!r}"
            )
        if active not in (None, True, False):
            raise TypeError(f"active: expected None, True or False, got {active!r}")
        self.figsize = tuple(figsize)
        self.active = in_notebook() if active is None else bool(active)
        self.calls = 0
        self._handle = None
        self._history = None

    def __call__(self, step: int, history) -> None:
        _check_history(history)
        self.calls += 1
        self._history = history
        if self.active and step % self.every == 0:
            self._show(self.render(history))

    def finish(self) -> None:
        """Draw the final state once more (call after ``train`` returns)."""
        if self.active and self._history is not None:
            self._show(self.render(self._history))

    def render(self, history) -> bytes:
        """The two-panel figure of ``history`` as PNG bytes."""
        _check_history(history)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize)
        FigureCanvasAgg(fig)
        ax_loss, ax_ppl = fig.subplots(1, 2)
        ax_loss.plot(history.step, history.train_loss, lw=1, label="train")
        ax_ppl.plot(
            history.step, [math.exp(min(v, 50.0)) for v in history.train_loss], lw=1, label="train"
        )
        if history.val_step:
            ax_loss.plot(history.val_step, history.val_loss, "o-", ms=3, label="validation")
            ax_ppl.plot(history.val_step, history.val_ppl, "o-", ms=3, label="validation")
        ax_loss.set(xlabel="step", ylabel="loss (nats per token)")
        ax_ppl.set(xlabel="step", ylabel="perplexity", yscale="log")
        for ax in (ax_loss, ax_ppl):
            ax.grid(alpha=0.3)
            ax.legend(loc="upper right")
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def _show(self, png: bytes) -> None:
        from IPython.display import Image, display

        image = Image(data=png, format="png")
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)
