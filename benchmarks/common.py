"""Shared helpers of the language-model benchmarks: arguments, machine report, tables, and the
training options only the benchmarks use.

``bench_timemachine.py``, ``bench_shakespeare.py`` and ``bench_gpu.py`` import this module from
their own folder (``python benchmarks/bench_x.py`` puts that folder on ``sys.path``). Each script
prints, before its result table, the machine it ran on, the torch version and thread count, the
load average (the machine may be shared, and a wall-clock limit buys less training when it is
busy), the date and the budget's clock and, at the end, the load, the wall time and the CPU time.

:class:`RegularisedLM` (``rnnbook.lm.RNNLM`` plus embedding dropout and weight drop) and
:func:`fit` (AdamW with decoupled weight decay, warm-up and cosine over a step or time budget,
keep-best, weight averaging) live here, not in ``rnnbook``: no lecture uses them, and the
course's teaching loop, ``rnnbook.training.train``, stays one screen long without them.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: import the rnnbook next to this folder
    sys.path.insert(0, str(ROOT))

# idle OpenMP threads sleep instead of spinning: on a shared machine, spinning threads of two
# processes stall each other (see bench_cells.py); set before torch is imported
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from rnnbook.lm import RNNLM, as_index_tensor, evaluate, lm_loss  # noqa: E402


def parser(description: str, time_limit: float) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark takes.

    ``--tiny`` (a run of a few seconds, for the smoke test), ``--time-limit`` (seconds of
    training per model, default ``time_limit``), ``--seed`` and ``--threads`` (default 2).
    """
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--tiny", action="store_true", help="tiny models and data: runs in seconds")
    p.add_argument(
        "--time-limit",
        type=float,
        default=time_limit,
        help=f"seconds of training per model (default {time_limit:g})"
        if time_limit > 0
        else "seconds of training per model (default: set by the script)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="what --time-limit counts: wall-clock seconds (default) or seconds of this "
        "process's CPU time (for a shared machine; with --threads 1 it is what an idle core "
        "would give in that many seconds)",
    )
    return p


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    """``os.getloadavg()`` over 1, 5 and 15 minutes, or ``n/a`` where it does not exist."""
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def machine_report(threads: int, device: torch.device | None = None) -> list[str]:
    """Lines ``key  value`` describing where and when the benchmark runs."""
    lines = [
        f"machine   {platform.platform()}; CPU {cpu_model()}; {os.cpu_count()} cores",
        f"versions  python {platform.python_version()}, torch {torch.__version__}",
        f"threads   torch {threads}",
        f"load      {load_average()} (1, 5, 15 min averages)",
        f"date      {datetime.datetime.now().isoformat(timespec='seconds')}",
    ]
    if device is not None:
        name = str(device)
        if device.type == "cuda":
            name += f" ({torch.cuda.get_device_name(device)})"
        lines.append(f"device    {name}")
    return lines


def start(args: argparse.Namespace, device: torch.device | None = None) -> float:
    """Set the thread count, seed torch, print the machine report; return the start time."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    for line in machine_report(args.threads, device):
        print(line)
    clock = getattr(args, "clock", "wall")
    what = "wall-clock seconds" if clock == "wall" else "seconds of this process's CPU time"
    print(f"budget    --time-limit {args.time_limit:g} counts {what}")
    print(flush=True)
    return time.perf_counter()


def finish(t0: float) -> None:
    """Print the load average at the end, the wall time since ``t0`` and the CPU time used."""
    print(f"load      {load_average()} at the end")
    print(f"wall      {time.perf_counter() - t0:.1f} s", flush=True)
    print(f"cpu       {time.process_time():.1f} s of CPU time in this process", flush=True)


def table(headers: list[str], rows: list[list]) -> str:
    """A Markdown table; floats are printed with 3 decimals (4 significant digits if small)."""

    def cell(v) -> str:
        if isinstance(v, float):
            if not math.isfinite(v):
                return str(v)
            return f"{v:.3f}" if abs(v) >= 0.01 or v == 0 else f"{v:.3g}"
        return str(v)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]
    line = lambda cells: "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in text]
    return "\n".join(out)


def warmup_cosine(total_steps: int, warmup: float = 0.05):
    """A learning-rate factor for ``rnnbook.training.train``: linear warm-up, then cosine to 0.

    ``warmup`` is the fraction of ``total_steps`` spent rising from 0 to 1.
    """
    w = max(1, int(warmup * total_steps))

    def factor(step: int) -> float:
        if step < w:
            return step / w
        progress = min(1.0, (step - w) / max(1, total_steps - w))
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    return factor


def budget_schedule(
    total_steps: int, time_limit: float, warmup: float = 0.05, clock=time.perf_counter
):
    """Warm-up then cosine (:func:`warmup_cosine`), driven by whichever budget runs out first.

    The schedule's progress is the larger of ``step / total_steps`` and the fraction of
    ``time_limit`` seconds used since this function was called, so that a run cut short by the
    clock (on a busy machine, say) still ends with a small learning rate.  ``clock`` measures
    the seconds: wall-clock by default, ``time.process_time`` for CPU time.
    """
    by_steps = warmup_cosine(total_steps, warmup)
    t0 = clock()

    def factor(step: int) -> float:
        used = max(step / total_steps, (clock() - t0) / time_limit)
        return by_steps(max(step, math.ceil(used * total_steps)))

    return factor


# ----------------------------------------------------------------------------------------------
# What only the benchmarks use: a language model with embedding dropout and weight drop, and a
# training loop with AdamW weight decay, a warm-up/cosine schedule, weight averaging and
# keep-best.  The library's rnnbook.training.train is the teaching loop and has none of these.


class RegularisedLM(RNNLM):
    """``rnnbook.lm.RNNLM`` with two more regularisers, both active in ``model.train()`` only.

    * ``embed_dropout``: dropout on the input of the first recurrent layer (the embedding output
      e^(t), or the one-hot x^(t) when ``embed_dim`` is None), entry by entry.
    * ``weight_drop``: DropConnect on the recurrent matrices W (AWD-LSTM's weight drop): every
      forward pass uses W with that fraction of its entries set to zero (the rest scaled by
      1 / (1 - weight_drop)); one mask serves every time step of the batch.

    The other arguments, the submodules (``embedding``, ``rnn``, ``drop``, ``output``) and
    ``forward(x, state=None) -> (logits, state)`` are those of ``RNNLM``.
    """

    def __init__(self, *args, embed_dropout: float = 0.0, weight_drop: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        for name, p in (("embed_dropout", embed_dropout), ("weight_drop", weight_drop)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{name}: expected a probability in [0, 1), got {p!r}")
        self.embed_dropout, self.weight_drop = embed_dropout, weight_drop

    def forward(self, x: torch.Tensor, state=None):
        if x.dim() != 2:
            raise ValueError(f"x: expected token indices of shape (B, T), got {tuple(x.shape)}")
        if self.embedding is not None:
            e = self.embedding(x)
        else:
            e = F.one_hot(x, self.vocab_size).to(self.output.weight.dtype)
        e = F.dropout(e, self.embed_dropout, self.training)
        if self.training and self.weight_drop:
            dropped = {
                f"weight_hh_l{i}": F.dropout(getattr(self.rnn, f"weight_hh_l{i}"), self.weight_drop)
                for i in range(self.num_layers)
            }
            h, state = torch.func.functional_call(self.rnn, dropped, (e, state))
        else:
            h, state = self.rnn(e, state)
        return self.output(self.drop(h)), state


@dataclass
class Fit:
    """What :func:`fit` did: steps, tokens, losses, evaluations, times and why it stopped."""

    steps: int = 0
    tokens: int = 0
    train_loss: list = field(default_factory=list)
    val_step: list = field(default_factory=list)  # steps at which validation was measured
    val_ppl: list = field(default_factory=list)
    best_step: int = 0
    best_ppl: float = math.inf
    wall: float = 0.0  # seconds, training and every evaluation
    cpu: float = 0.0  # seconds of CPU time of this process over the same span
    stop: str = ""

    def tokens_per_s(self) -> float:
        return self.tokens / self.wall if self.wall > 0 else 0.0


def _state_fits(state, batch: int) -> bool:
    first = state[0] if isinstance(state, tuple) else state
    return state is None or first.shape[1] == batch


def _detach(state):
    if state is None:
        return None
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def fit(
    model: torch.nn.Module,
    batches,
    *,
    lr: float,
    time_limit: float,
    epochs: float = math.inf,
    weight_decay: float = 0.0,
    clip_norm: float = 1.0,
    warmup: float = 0.05,
    planned_steps: int | None = None,
    val_batches=None,
    eval_every: int | None = None,
    keep_best: bool = False,
    average_from: float | None = None,
    carry_state: bool = False,
    bf16: bool = False,
    device: torch.device | str = "cpu",
    clock: str = "wall",
) -> Fit:
    """Train ``model`` (an ``RNNLM``) on ``batches`` of ``(x, y)`` index arrays; return a :class:`Fit`.

    AdamW (decoupled ``weight_decay``), gradient clipping at ``clip_norm``, and a learning rate
    ``lr`` times :func:`budget_schedule` over ``planned_steps`` (default ``epochs`` passes) or
    ``time_limit`` seconds, whichever runs out first; training stops there too.
    ``carry_state=True`` carries the hidden state, detached, from batch to batch (truncated
    BPTT over sequential batches); otherwise every batch starts from zeros.  ``bf16=True`` runs
    forward and loss under bfloat16 autocast on ``device`` (the CPU by default).
    ``clock="wall"`` counts ``time_limit`` in wall-clock seconds; ``clock="cpu"`` in seconds of
    this process's CPU time (all threads together), which other jobs on a shared machine do not
    eat into: with one thread, a CPU-time budget is what the same run would get in that many
    wall-clock seconds on an idle core.

    ``val_batches`` are scored (``rnnbook.lm.evaluate``) every ``eval_every`` steps and at the
    end; ``keep_best=True`` loads the weights of the best evaluation into ``model`` at the end
    (early stopping chosen on ``val_batches``).  ``average_from`` (a fraction of the planned
    run) keeps a running mean of the weights from that point on (stochastic weight averaging)
    and scores the mean instead of the current weights.
    """
    if planned_steps is None:
        if not math.isfinite(epochs):
            raise ValueError("fit: expected epochs= or planned_steps=")
        planned_steps = max(1, int(epochs * len(batches)))
    device = torch.device(device)
    model.to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock: expected 'wall' or 'cpu', got {clock!r}")
    now = time.perf_counter if clock == "wall" else time.process_time
    schedule = budget_schedule(planned_steps, time_limit, warmup, now)
    avg, n_avg = None, 0
    out = Fit()
    best_state = None
    t0, c0, n0 = time.perf_counter(), time.process_time(), now()

    def progress() -> float:
        return max(out.steps / planned_steps, (now() - n0) / time_limit)

    def score() -> None:
        scored = model
        if avg is not None:
            scored = copy.deepcopy(model)
            scored.load_state_dict(avg)
        ppl = evaluate(scored, val_batches)["ppl"]
        out.val_step.append(out.steps)
        out.val_ppl.append(ppl)
        nonlocal best_state
        if ppl < out.best_ppl:
            out.best_ppl, out.best_step = ppl, out.steps
            if keep_best:
                best_state = copy.deepcopy(scored.state_dict())

    model.train()
    while not out.stop:
        state = None
        for x, y in batches:
            x, y = as_index_tensor(x, device), as_index_tensor(y, device)
            if not carry_state or not _state_fits(state, x.shape[0]):
                state = None
            for g in opt.param_groups:
                g["lr"] = lr * schedule(out.steps + 1)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits, state = model(x, state)
                loss = lm_loss(logits, y)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"training loss became {loss.item()} at step {out.steps}")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
            opt.step()
            state = _detach(state) if carry_state else None
            out.steps += 1
            out.tokens += y.numel()
            out.train_loss.append(loss.item())
            if average_from is not None and progress() >= average_from:
                n_avg += 1
                with torch.no_grad():
                    if avg is None:
                        avg = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    else:
                        for k, v in model.state_dict().items():
                            if v.is_floating_point():
                                avg[k] += (v - avg[k]) / n_avg
            if val_batches is not None and eval_every and out.steps % eval_every == 0:
                score()
                model.train()
            if out.steps >= planned_steps:
                out.stop = "planned steps"
            elif now() - n0 >= time_limit:
                out.stop = "time limit"
            if out.stop:
                break
    if val_batches is not None and (not out.val_step or out.val_step[-1] != out.steps):
        score()
    if avg is not None and not keep_best:
        model.load_state_dict(avg)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    out.wall, out.cpu = time.perf_counter() - t0, time.process_time() - c0
    return out


@torch.no_grad()
def ensemble_ppl(models: list[torch.nn.Module], val_batches) -> float:
    """Perplexity of the members' averaged predicted probabilities, every batch from zero.

    p(y^(t)) = (1/K) sum_k p_k(y^(t)); in logs, logsumexp_k(log p_k) - log K.
    """
    for m in models:
        m.eval()
    total, count = 0.0, 0
    for x, y in val_batches:
        x, y = as_index_tensor(x), as_index_tensor(y)
        logp = torch.stack([F.log_softmax(m(x)[0].float(), dim=-1) for m in models])
        logp = torch.logsumexp(logp, dim=0) - math.log(len(models))
        total -= logp.gather(-1, y.unsqueeze(-1)).sum().item()
        count += y.numel()
    return math.exp(total / count)
