"""On a GPU: Tiny Shakespeare in 5 minutes against nanoGPT, and cuDNN's LSTM against ours.

The device is picked by ``rnnbook.devices.pick_device()`` (CUDA, else MPS, else the CPU;
``RNNBOOK_DEVICE`` forces one).  Without a GPU the script still runs, scaled down (smaller
model, shorter budget), so that it can be tested anywhere; its CPU figures are not GPU figures.

1. **Tiny Shakespeare** (the split, training and scoring of ``bench_shakespeare.py``): the
   validation loss in nats/char of an LSTM language model after ``--time-limit`` seconds of
   training (default 300 on a GPU, 60 on a CPU), against nanoGPT's GPU baseline (1.47).
2. **LSTM throughput**: forward + backward tokens per second (a token is one example at one time
   step) of ``nn.LSTM`` (cuDNN on a GPU) and of the scratch LSTM of ``rnnbook.torch_cells``
   (``StackedRNN("lstm", ...)``: the cell's equations in a Python loop over time, under
   autograd), each as is and compiled by ``torch.compile``; every figure is also given as a
   ratio to ``nn.LSTM``.  Figures are medians over rounds in which the rows take turns.

    python benchmarks/bench_gpu.py                 # on a GPU: about 7 minutes
    python benchmarks/bench_gpu.py --no-compile    # leave out the torch.compile rows
    python benchmarks/bench_gpu.py --tiny          # seconds: the smoke test (no compiling)
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import torch
from bench_shakespeare import CONFIG as CPU_CONFIG
from bench_shakespeare import HEADERS, NANOGPT, bf16_supported
from bench_shakespeare import run as run_shakespeare
from common import finish, parser, start, table
from torch import nn

from rnnbook.data import load_corpus
from rnnbook.devices import pick_device
from rnnbook.text import Vocab, split_tokens, tokenize
from rnnbook.torch_cells import StackedRNN

GPU_CONFIG = dict(
    n_h=1024,
    embed_dim=128,
    num_layers=2,
    dropout=0.25,
    lr=2e-3,
    weight_decay=0.05,
    batch_size=128,
    num_steps=256,
)
GOAL_GPU = 1.50
# (n_x, n_h, B, T) of the throughput test
THROUGHPUT_SIZES = {"cuda": (128, 512, 64, 100), "cpu": (64, 128, 32, 32), "tiny": (8, 16, 4, 8)}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def throughput_rows(device, size, rounds: int, compile_: bool) -> list[list]:
    """Tokens/s of forward + backward for nn.LSTM and the scratch LSTM, plain and compiled."""
    n_x, n_h, B, T = size
    torch.manual_seed(0)
    reference = nn.LSTM(n_x, n_h).to(device)
    scratch = StackedRNN("lstm", n_x, n_h).to(device)
    models = {"nn.LSTM": reference, "scratch LSTM (rnnbook.torch_cells)": scratch}
    if compile_:
        models["nn.LSTM, torch.compile"] = torch.compile(reference)
        models["scratch LSTM, torch.compile"] = torch.compile(scratch)
    x = torch.randn(T, B, n_x, device=device)

    def step(model):
        out, _ = model(x)
        loss = out.square().mean()
        loss.backward()

    for model in models.values():  # warm-up: compiling, cuDNN's algorithm choice, allocators
        for _ in range(3):
            step(model)
    sync(device)
    times = {name: [] for name in models}
    for _ in range(rounds):
        for name, model in models.items():
            sync(device)
            t = time.perf_counter()
            step(model)
            sync(device)
            times[name].append(time.perf_counter() - t)
    rate = {name: B * T / statistics.median(ts) for name, ts in times.items()}
    rows = [[name, f"{r:,.0f}", r / rate["nn.LSTM"]] for name, r in rate.items()]
    if not compile_:
        rows += [[f"{name}, torch.compile", "not run", "-"] for name in ("nn.LSTM", "scratch LSTM")]
    return rows


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=-1.0)
    p.add_argument("--no-compile", action="store_true", help="leave out the torch.compile rows")
    p.add_argument("--rounds", type=int, default=None, help="timing rounds (default 20; tiny 2)")
    args = p.parse_args(argv)
    device = pick_device()
    t_start = start(args, device)
    on_gpu = device.type == "cuda"
    if not on_gpu:
        print("no CUDA GPU: running scaled down on the CPU; these are not GPU figures")
    if args.time_limit <= 0:
        args.time_limit = 300.0 if on_gpu else 60.0
    cfg = dict(GPU_CONFIG if on_gpu else CPU_CONFIG)
    bf16 = True if on_gpu else bf16_supported()

    text = load_corpus("tinyshakespeare")
    tokens = tokenize(text, "char")
    vocab = Vocab(tokens, order="sorted")
    ids = np.asarray(vocab.encode(tokens), dtype=np.int64)
    train_ids, val_ids = split_tokens(ids, (0.9, 0.1))
    if args.tiny:
        cfg.update(n_h=32, embed_dim=16, num_layers=1, batch_size=8, num_steps=32)
        train_ids, val_ids = train_ids[:20_000], val_ids[:3_000]
        args.time_limit = min(args.time_limit, 3.0)
    print(f"1. Tiny Shakespeare, {args.time_limit:g} s of training on {device}", flush=True)
    row, result = run_shakespeare(
        args, device, cfg, train_ids, val_ids, len(vocab), bf16, NANOGPT["gpu"]
    )
    print()
    print(table(HEADERS + ["nanoGPT GPU"], [row]))
    if on_gpu:
        verdict = "met" if result["nll"] <= GOAL_GPU else "missed"
        print(f"goal <= {GOAL_GPU} (stream) on a GPU: {verdict} ({result['nll']:.3f})")
    else:
        print(
            f"goal <= {GOAL_GPU} is for a GPU: not measured here ({result['nll']:.3f} on {device})"
        )

    size = THROUGHPUT_SIZES["tiny" if args.tiny else device.type if on_gpu else "cpu"]
    rounds = args.rounds or (2 if args.tiny else 20)
    compile_ = not (args.no_compile or args.tiny)
    n_x, n_h, B, T = size
    print(
        f"\n2. LSTM throughput on {device}: n_x={n_x}, n_h={n_h}, B={B}, T={T}, float32, "
        f"median of {rounds} rounds",
        flush=True,
    )
    rows = throughput_rows(device, size, rounds, compile_)
    print()
    print(table(["LSTM", "tokens/s (fwd+bwd)", "ratio to nn.LSTM"], rows))
    finish(t_start)


if __name__ == "__main__":
    main()
