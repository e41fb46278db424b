"""Shared helpers of the language-model benchmarks: arguments, machine report, tables.

``bench_timemachine.py``, ``bench_shakespeare.py`` and ``bench_gpu.py`` import this module from
their own folder (``python benchmarks/bench_x.py`` puts that folder on ``sys.path``). Each script
prints, before its result table, the machine it ran on, the torch version and thread count, the
load average (the machine may be shared, and a wall-clock limit buys less training when it is
busy), the date and, at the end, the wall time.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout: import the rnnbook next to this folder
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402


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
    print(flush=True)
    return time.perf_counter()


def finish(t0: float) -> None:
    """Print the wall time since ``t0`` and the load average at the end."""
    print(f"load      {load_average()} at the end")
    print(f"wall      {time.perf_counter() - t0:.1f} s", flush=True)


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


def budget_schedule(total_steps: int, time_limit: float, warmup: float = 0.05):
    """Warm-up then cosine (:func:`warmup_cosine`), driven by whichever budget runs out first.

    The schedule's progress is the larger of ``step / total_steps`` and the fraction of
    ``time_limit`` seconds used since this function was called, so that a run cut short by the
    clock (on a busy machine, say) still ends with a small learning rate.
    """
    by_steps = warmup_cosine(total_steps, warmup)
    t0 = time.perf_counter()

    def factor(step: int) -> float:
        used = max(step / total_steps, (time.perf_counter() - t0) / time_limit)
        return by_steps(max(step, math.ceil(used * total_steps)))

    return factor
