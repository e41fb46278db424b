"""Character-level LSTM on Tiny Shakespeare for a fixed wall-clock budget, against nanoGPT.

Data: ``rnnbook.data.load_corpus("tinyshakespeare")``, one token per character (65 characters,
plus ``<unk>``, which never occurs), the first 90 % of the characters for training and the last
10 % for validation: nanoGPT's split of the same file.

Training: ``rnnbook.lm.RNNLM`` (LSTM, learned embedding) trained by ``rnnbook.training.train``
with truncated BPTT over ``rnnbook.text.SequentialBatches`` (the hidden state is carried from
batch to batch, with a fresh random offset every epoch), AdamW, clipping at norm 1, bfloat16
autocast on the CPU where it is supported, and a learning rate that warms up and then follows a
cosine to zero over the wall-clock budget (``--time-limit``, default 300 s).

Scoring: after training, the whole validation split is read once, in order, as one stream from a
zero state, in chunks of 1,000 characters with the state carried across chunks, in float32;
every character after the first is predicted once, and the figure is the mean negative
log-likelihood in nats per character over all of them.  (nanoGPT's own ``estimate_loss`` averages
200 random blocks of 256 characters instead; the published reference figures
give both.)

    python benchmarks/bench_shakespeare.py            # 5 min of training, about 6 min in all
    python benchmarks/bench_shakespeare.py --tiny     # seconds: the smoke test
"""

from __future__ import annotations

import time

import numpy as np
import torch
from common import budget_schedule, finish, parser, start, table

from rnnbook.data import load_corpus
from rnnbook.lm import RNNLM, evaluate
from rnnbook.text import SequentialBatches, Vocab, split_tokens, tokenize
from rnnbook.training import train

CONFIG = dict(
    n_h=256,
    embed_dim=64,
    num_layers=1,
    dropout=0.1,
    lr=3e-3,
    weight_decay=0.01,
    batch_size=32,
    num_steps=64,
)
NANOGPT = {"cpu": 1.88, "gpu": 1.47}  # validation loss, nats/char
GOALS = (1.88, 1.75)


def bf16_supported() -> bool:
    """Whether bfloat16 matrix products run on this CPU (torch's check of AVX-512 BF16 / AMX)."""
    try:
        return bool(
            torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
        )
    except (AttributeError, RuntimeError):
        return False


def stream_chunks(ids: np.ndarray, chunk: int = 1000):
    """``(x, y)`` batches of shape ``(1, <= chunk)`` that cover ``ids`` in order: every token
    after the first is a target exactly once (the last chunk is shorter)."""
    for k in range(0, len(ids) - 1, chunk):
        x = ids[k : k + chunk]
        y = ids[k + 1 : k + chunk + 1]
        yield x[None, : len(y)], y[None, :]


def score_stream(model: torch.nn.Module, ids: np.ndarray, device) -> dict:
    """Mean nats per token over the whole of ``ids``, read as one stream (state carried)."""
    return evaluate(model, list(stream_chunks(ids)), device=device, stateful=True)


def run(args, device, cfg, train_ids, val_ids, vocab_size, bf16, nanogpt):
    torch.manual_seed(args.seed)
    model = RNNLM(
        vocab_size,
        cfg["n_h"],
        "lstm",
        num_layers=cfg["num_layers"],
        dropout=cfg["dropout"],
        embed_dim=cfg["embed_dim"],
    )
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    batches = SequentialBatches(
        train_ids, cfg["batch_size"], cfg["num_steps"], random_offset=True, seed=args.seed
    )
    # a step budget far beyond what the time allows: the clock ends the cosine
    schedule = budget_schedule(10**7, args.time_limit)
    history = train(
        model,
        batches,
        time_limit_s=args.time_limit,
        optimizer=opt,
        lr_schedule=schedule,
        clip_norm=1.0,
        device=device,
        autocast_bf16=bf16,
        progress=False,
    )
    t_eval = time.perf_counter()
    result = score_stream(model, val_ids, device)
    t_eval = time.perf_counter() - t_eval
    train_tail = float(np.mean(history.train_loss[-50:]))
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"trained {history.step[-1]:,} steps ({history.tokens / len(train_ids):.2f} epochs) "
        f"in {history.wall_time[-1]:.0f} s; scored {result['tokens']:,} validation characters "
        f"in {t_eval:.0f} s",
        flush=True,
    )
    desc = (
        f"LSTM {cfg['num_layers']}x{cfg['n_h']}, emb {cfg['embed_dim']}, B {cfg['batch_size']}, "
        f"T {cfg['num_steps']}"
    )
    row = [
        desc,
        f"{n_params / 1e6:.2f} M",
        f"{history.wall_time[-1]:.0f}",
        f"{history.tokens_per_s():,.0f}",
        train_tail,
        result["nll"],
        result["bits"],
        nanogpt,
    ]
    return row, result


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=300.0)
    args = p.parse_args(argv)
    device = torch.device("cpu")
    t_start = start(args, device)
    bf16 = bf16_supported()
    print(f"bfloat16 autocast: {'on' if bf16 else 'off (not supported by this CPU)'}")

    text = load_corpus("tinyshakespeare")
    tokens = tokenize(text, "char")
    vocab = Vocab(tokens, order="sorted")
    ids = np.asarray(vocab.encode(tokens), dtype=np.int64)
    train_ids, val_ids = split_tokens(ids, (0.9, 0.1))
    cfg = dict(CONFIG)
    if args.tiny:
        cfg.update(n_h=32, embed_dim=16, batch_size=8, num_steps=32)
        train_ids, val_ids = train_ids[:20_000], val_ids[:3_000]
        args.time_limit = min(args.time_limit, 3.0)
    print(
        f"vocabulary {len(vocab)} symbols; {len(train_ids):,} characters train, "
        f"{len(val_ids):,} validate",
        flush=True,
    )
    row, result = run(args, device, cfg, train_ids, val_ids, len(vocab), bf16, NANOGPT["cpu"])
    print()
    headers = [
        "model",
        "params",
        "train s",
        "train tok/s",
        "train loss (last 50)",
        "val loss nats/char",
        "val bits/char",
        "nanoGPT CPU",
    ]
    print(table(headers, [row]))
    goal, stretch = GOALS
    nll = result["nll"]
    verdict = "stretch goal met" if nll <= stretch else "goal met" if nll <= goal else "goal missed"
    print(f"goal <= {goal}, stretch <= {stretch}: {verdict} ({nll:.3f})")
    finish(t_start)


if __name__ == "__main__":
    main()
