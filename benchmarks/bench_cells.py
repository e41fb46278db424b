"""Training throughput of recurrent cells: forward + backward tokens per second, numpy and torch.

Every row trains the same character-level model for one step on a random batch: one-hot inputs
(vocabulary n_y), one recurrent layer of n_h units, an output layer o^(t) = c + V h^(t), and the
softmax cross-entropy summed over time and averaged over the batch (rnnbook.bptt's default).
Only the recurrent part changes from row to row:

    Elman rows (ratio to nn.RNN)            LSTM rows (ratio to nn.LSTM)
    numpy, hand-written BPTT (rnnbook.bptt)  numpy, hand-written BPTT (rnnbook.bptt)
    torch autograd, scratch ElmanCell loop   torch autograd, scratch LSTMCell loop
    nn.RNN                                   torch, scratch LSTM, hand-written BPTT
                                             nn.LSTM
                                             (--compile: scratch LSTM step, torch.compile)

All in float32, forward and backward: before timing, the script checks the dtype of the numpy
rows' logits (forward) and of their gradient on the initial state (backward: it has passed
through every step of BPTT), and prints both.  A token is one (example, time step) pair:
tokens/s = B*T / seconds per step.  Each figure is the median time of one call over repeated
rounds, the rows taking turns in every round, so that load from other processes spreads over
all of them and stalls (a descheduled thread) do not count.  Before timing, the numpy and torch
models are given the same weights and their losses and gradients compared.

``--threads 1,2`` (the default) runs the whole benchmark once per thread count, each in a
fresh process (numpy reads its thread count when it is imported), and prints both tables.

    python benchmarks/bench_cells.py            # the two sizes of RESULTS.md, 1 and 2 threads
    python benchmarks/bench_cells.py --tiny     # seconds: a smoke test for CI
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--tiny", action="store_true", help="tiny sizes, one round: runs in seconds")
    p.add_argument(
        "--threads",
        default="1,2",
        help="torch and BLAS threads; a comma-separated list runs once per count (default 1,2)",
    )
    p.add_argument("--rounds", type=int, default=None, help="timing rounds (default 5; tiny 1)")
    p.add_argument("--size", choices=["small", "medium", "all"], default="all", help="which size")
    p.add_argument(
        "--compile", action="store_true", help="add a torch.compile row (compiles for minutes)"
    )
    return p.parse_args(argv)


def run_per_thread_count(counts: list[int]) -> int:
    """Run this script once per thread count, each in a fresh process; print their outputs."""
    import subprocess

    argv = sys.argv[1:]
    if "--threads" in argv:  # drop "--threads LIST"
        i = argv.index("--threads")
        del argv[i : i + 2]
    argv = [a for a in argv if not a.startswith("--threads=")]
    for n in counts:
        done = subprocess.run(
            [sys.executable, os.path.abspath(__file__), *argv, "--threads", str(n)]
        )
        if done.returncode:
            return done.returncode
        print()
    return 0


ARGS = parse_args()
THREAD_COUNTS = [int(n) for n in str(ARGS.threads).split(",") if n.strip()]
if len(THREAD_COUNTS) > 1 and __name__ == "__main__":
    sys.exit(run_per_thread_count(THREAD_COUNTS))
ARGS.threads = THREAD_COUNTS[0]
# numpy reads its thread settings when it is first imported: set them before that
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
# Idle worker threads sleep instead of spinning. Otherwise, on a loaded machine, torch's OpenMP
# team and OpenBLAS's pool spin against each other (and against other jobs) as the rows take
# turns, and small per-step operations wait milliseconds for a descheduled thread: measured here
# with 2 threads, a 25- to 35-fold slowdown of the Python-loop rows.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from common import cpu_model  # noqa: E402

from rnnbook import bptt, cells  # noqa: E402
from rnnbook.torch_cells import StackedRNN  # noqa: E402

SIZES = {  # name: (n_h, B, T, vocabulary n_y = n_x)
    "small": (64, 32, 32, 65),
    "medium": (256, 64, 64, 65),
}
TINY_SIZES = {"tiny": (8, 4, 5, 11)}
DTYPE = np.float32


# ----------------------------------------------------------------------------------------------
# the model, in numpy and in torch


def numpy_model(kind, n_h, n_y, rng):
    cell = cells.ElmanCell(n_y, n_h) if kind == "Elman" else cells.LSTMCell(n_y, n_h)
    params = {k: v.astype(DTYPE) for k, v in cell.init_params(rng).items()}
    out_params = {k: v.astype(DTYPE) for k, v in cells.init_output_params(n_h, n_y, rng).items()}
    return cell, params, out_params


def numpy_step(cell, params, out_params, xs, ys):
    """One forward + backward through rnnbook.bptt; xs (T, n_y, B) one-hot, ys (T, B)."""
    B = xs.shape[2]
    state0 = cell.state_type(*(np.zeros((cell.n_h, B), DTYPE) for _ in cell.state_type._fields))
    return bptt.sequence_loss_and_grads(cell, {**params, **out_params}, xs, ys, state0)


class TorchCharModel(nn.Module):
    """The same model in torch: recurrent layer, then o^(t) = c + V h^(t), then the loss."""

    def __init__(self, recurrent: nn.Module, n_h: int, n_y: int):
        super().__init__()
        self.recurrent = recurrent
        bound = 1.0 / n_h**0.5
        self.V = nn.Parameter(torch.empty(n_y, n_h).uniform_(-bound, bound))
        self.c = nn.Parameter(torch.empty(n_y).uniform_(-bound, bound))

    def forward(self, x, y):
        """x (T, B, n_y) one-hot, y (T, B) -> L = sum over t of the batch-mean cross-entropy."""
        h, _ = self.recurrent(x)
        o = h @ self.V.T + self.c  # (T, B, n_y)
        return F.cross_entropy(o.flatten(0, 1), y.flatten(), reduction="sum") / x.shape[1]


def torch_model(row, n_h, n_y):
    recurrent = {
        "scratch": lambda kind: StackedRNN("rnn" if kind == "Elman" else "lstm", n_y, n_h),
        "bptt": lambda kind: StackedRNN("lstm", n_y, n_h, fast="bptt"),
        "compiled": lambda kind: _compiled_lstm(n_y, n_h),
        "nn": lambda kind: nn.RNN(n_y, n_h) if kind == "Elman" else nn.LSTM(n_y, n_h),
    }[row.impl](row.kind)
    return TorchCharModel(recurrent, n_h, n_y)


def _compiled_lstm(n_x, n_h):
    """The scratch LSTM with its one-step function compiled by torch.compile (inductor)."""
    model = StackedRNN("lstm", n_x, n_h)
    cell = model.layers[0].cell
    cell.recurrence = torch.compile(cell.recurrence, dynamic=False)
    return model


def torch_step(model, x, y):
    for p in model.parameters():
        p.grad = None
    loss = model(x, y)
    loss.backward()
    return loss


# ----------------------------------------------------------------------------------------------
# the rows


class Row:
    def __init__(self, kind, impl, label):
        self.kind, self.impl, self.label = kind, impl, label


ROWS = [
    Row("Elman", "numpy", "numpy, hand-written BPTT (rnnbook.bptt)"),
    Row("Elman", "scratch", "torch autograd, scratch ElmanCell loop"),
    Row("Elman", "nn", "nn.RNN"),
    Row("LSTM", "numpy", "numpy, hand-written BPTT (rnnbook.bptt)"),
    Row("LSTM", "scratch", "torch autograd, scratch LSTMCell loop"),
    Row("LSTM", "bptt", "torch, scratch LSTM, hand-written BPTT (LSTMScanBPTT)"),
    Row("LSTM", "nn", "nn.LSTM"),
]
COMPILE_ROW = Row("LSTM", "compiled", "torch autograd, scratch LSTM step, torch.compile")
BASELINE = {"Elman": "nn.RNN", "LSTM": "nn.LSTM"}


def batch(n_y, B, T, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_y, size=(T + 1, B))
    xs = np.zeros((T, n_y, B), DTYPE)  # numpy: columns are examples
    xs[np.arange(T)[:, None], ids[:-1], np.arange(B)[None, :]] = 1.0
    ys = ids[1:]
    x = torch.from_numpy(np.ascontiguousarray(xs.transpose(0, 2, 1)))  # torch: (T, B, n_y)
    return xs, ys, x, torch.from_numpy(ys)


def numpy_dtypes(n_h, n_y, B, T) -> dict:
    """The dtypes the numpy rows compute in: forward (logits) and backward, for each cell.

    The backward's dtype is that of the gradient on the initial state, which BPTT carries
    through every time step; the parameter gradients are accumulated into arrays of the
    parameters' own dtype and would hide a backward that ran in float64.
    """
    xs, ys, _, _ = batch(n_y, B, T, seed=2)
    found = {}
    for kind in ("Elman", "LSTM"):
        res = numpy_step(*numpy_model(kind, n_h, n_y, np.random.default_rng(2)), xs, ys)
        backward = {np.dtype(s.dtype).name for s in res.dstate0}
        grads = {np.dtype(g.dtype).name for g in res.grads.values()}
        found[kind] = (np.dtype(res.logits.dtype).name, "/".join(sorted(backward | grads)))
    return found


def check_parity(n_h, n_y, B, T):
    """Same weights in numpy and torch: the losses and dW must agree (float32)."""
    xs, ys, x, y = batch(n_y, B, T, seed=1)
    worst = 0.0
    for kind in ("Elman", "LSTM"):
        cell, params, out_params = numpy_model(kind, n_h, n_y, np.random.default_rng(1))
        res = numpy_step(cell, params, out_params, xs, ys)
        model = torch_model(Row(kind, "scratch", ""), n_h, n_y)
        torch_cell = model.recurrent.layers[0].cell
        with torch.no_grad():
            torch_cell.U.copy_(torch.from_numpy(params["U"]))
            torch_cell.W.copy_(torch.from_numpy(params["W"]))
            torch_cell.b.copy_(torch.from_numpy(params["b"][:, 0]))  # (n, 1) column -> (n,)
            model.V.copy_(torch.from_numpy(out_params["V"]))
            model.c.copy_(torch.from_numpy(out_params["c"][:, 0]))
        loss = torch_step(model, x, y)
        loss_gap = abs(loss.item() - res.loss) / abs(res.loss)
        dW = torch_cell.W.grad.numpy()
        grad_gap = np.abs(dW - res.grads["W"]).max() / np.abs(res.grads["W"]).max()
        worst = max(worst, loss_gap, grad_gap)
        if not (loss_gap < 1e-4 and grad_gap < 1e-3):
            raise AssertionError(
                f"{kind}: numpy and torch disagree on the same weights: loss {res.loss} vs "
                f"{loss.item()}, relative dW gap {grad_gap:.1e}"
            )
    return worst


def time_rows(rows, n_h, B, T, n_y, rounds, min_time):
    """Median seconds per forward+backward step of every row, rows taking turns each round."""
    xs, ys, x, y = batch(n_y, B, T)
    steps = {}
    for i, row in enumerate(rows):
        torch.manual_seed(i)
        if row.impl == "numpy":
            model = numpy_model(row.kind, n_h, n_y, np.random.default_rng(i))
            steps[row] = lambda m=model: numpy_step(*m, xs, ys)
        else:
            model = torch_model(row, n_h, n_y)
            steps[row] = lambda m=model: torch_step(m, x, y)
    reps = {}
    for row, step in steps.items():  # warm up (allocators, caches)
        t0 = time.perf_counter()
        for _ in range(3):
            step()
        per_call = (time.perf_counter() - t0) / 3
        reps[row] = max(1, int(min_time / max(per_call, 1e-6)))
    samples = {row: [] for row in rows}
    for _ in range(rounds):
        for row, step in steps.items():
            for _ in range(reps[row]):  # each call timed alone: the median ignores stalls
                t0 = time.perf_counter()
                step()
                samples[row].append(time.perf_counter() - t0)
    return {row: (statistics.median(s), len(s)) for row, s in samples.items()}


def main(args) -> int:
    torch.set_num_threads(args.threads)
    sizes = TINY_SIZES if args.tiny else SIZES
    if not args.tiny and args.size != "all":
        sizes = {args.size: SIZES[args.size]}
    rounds = args.rounds or (1 if args.tiny else 5)
    min_time = 0.0 if args.tiny else 0.2
    rows = ROWS + ([COMPILE_ROW] if args.compile else [])
    start = time.perf_counter()
    load_before = os.getloadavg()

    print("# bench_cells: forward + backward tokens per second, float32")
    print(f"date     {datetime.datetime.now().isoformat(timespec='seconds')}")
    print(f"machine  {platform.platform()}; {cpu_model()}; {os.cpu_count()} logical cores")
    print(
        f"threads  torch {torch.get_num_threads()}, OMP/OPENBLAS/MKL {args.threads}, "
        f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
        f"OPENBLAS_THREAD_TIMEOUT={os.environ['OPENBLAS_THREAD_TIMEOUT']}"
    )
    print(
        f"versions python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}"
    )
    print(f"load     {' '.join(f'{v:.2f}' for v in load_before)} (1, 5, 15 min) before")
    n_h, B, T, n_y = next(iter(sizes.values()))
    print(
        f"parity   numpy vs torch on the same weights: worst relative gap {check_parity(n_h, n_y, B, T):.1e}"
    )
    dtypes = numpy_dtypes(n_h, n_y, B, T)
    print(
        "dtypes   numpy "
        + "; ".join(f"{k}: forward {f}, backward {b}" for k, (f, b) in dtypes.items())
    )
    wrong = {k: fb for k, fb in dtypes.items() if fb != ("float32", "float32")}
    if wrong:
        print(f"WARNING  the numpy rows do not run in float32 throughout: {wrong}")
    print(f"timing   median time of one step, over {rounds} round(s) of >= {min_time} s per row\n")

    calls = {}
    print("| size | cell | implementation | tokens/s | ratio to nn.* |")
    print("|---|---|---|---:|---:|")
    for name, (n_h, B, T, n_y) in sizes.items():
        timed = time_rows(rows, n_h, B, T, n_y, rounds, min_time)
        rate = {row: B * T / s for row, (s, _) in timed.items()}
        calls[name] = min(n for _, n in timed.values())
        size = f"{name} (n_h={n_h}, B={B}, T={T}, vocab {n_y})"
        for row in rows:
            base = next(r for r in rows if r.kind == row.kind and r.label == BASELINE[row.kind])
            ratio = rate[row] / rate[base]
            print(f"| {size} | {row.kind} | {row.label} | {rate[row]:.0f} | {ratio:.2f} |")
    print()
    print(f"calls    at least {min(calls.values())} timed calls per row")
    print(f"load     {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min) after")
    print(f"wall     {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
