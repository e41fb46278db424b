"""Character-level LSTM on Tiny Shakespeare for a fixed wall-clock budget, against nanoGPT.

Data: ``rnnbook.data.load_corpus("tinyshakespeare")``, one token per character (65 characters,
plus ``<unk>``, which never occurs), the first 90 % of the characters for training and the last
10 % for validation: nanoGPT's split of the same file.

Training (``common.fit``, the benchmarks' own loop): ``rnnbook.lm.RNNLM`` (LSTM, learned
embedding) with truncated BPTT over ``rnnbook.text.SequentialBatches`` (the hidden state is
carried from batch to batch, with a fresh random offset every epoch), AdamW with decoupled
weight decay, clipping at norm 1, bfloat16 autocast on the CPU where it is supported, and a
learning rate that warms up and then follows a cosine to zero over the wall-clock budget
(``--time-limit``, default 300 s).  Nothing is chosen on the validation split during a run.

Scoring, after training, in float32, two ways side by side:

* **stream**: the whole validation split read once, in order, as one stream from a zero state,
  in chunks of 1,000 characters with the state carried across chunks; every character after
  the first is predicted once, and the figure is the mean negative log-likelihood in nats per
  character over all of them.
* **blocks**: the validation split cut into consecutive blocks of 256 characters, each scored
  from a zero state, as a model without memory beyond its block (nanoGPT's transformer, block
  size 256) sees it: every character is predicted once, with 0 to 255 characters of context.
  (nanoGPT's own ``estimate_loss`` averages 200 random blocks of 256 characters; the published
  reference figures are of that kind.)

    python benchmarks/bench_shakespeare.py            # 5 min of training, about 6 min in all
    python benchmarks/bench_shakespeare.py --tiny     # seconds: the smoke test
"""

from __future__ import annotations

import time

import numpy as np
import torch
from common import finish, fit, parser, start, table

from rnnbook.data import load_corpus
from rnnbook.lm import RNNLM, evaluate
from rnnbook.text import SequentialBatches, Vocab, WindowBatches, split_tokens, tokenize

CONFIG = dict(
    n_h=256,
    embed_dim=64,
    num_layers=1,
    dropout=0.25,
    lr=3e-3,
    weight_decay=0.01,
    batch_size=32,
    num_steps=64,
)
NANOGPT = {"cpu": 1.88, "gpu": 1.47}  # validation loss, nats/char
GOALS = (1.88, 1.75, 1.47)  # goal, stretch goal, nanoGPT's GPU baseline (stream-scored)
BLOCK = 256  # nanoGPT's block size


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


def blocks(ids: np.ndarray, block: int = BLOCK) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive blocks of ``block`` inputs and their ``block`` targets, ``(n, block)`` each."""
    n = (len(ids) - 1) // block
    return ids[: n * block].reshape(n, block), ids[1 : n * block + 1].reshape(n, block)


def score_blocks(model: torch.nn.Module, ids: np.ndarray, device) -> dict:
    """Mean nats per token over consecutive blocks of ``ids``, each from a zero state."""
    return evaluate(model, WindowBatches(*blocks(ids), 64), device=device, stateful=False)


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
    batches = SequentialBatches(
        train_ids, cfg["batch_size"], cfg["num_steps"], random_offset=True, seed=args.seed
    )
    history = fit(
        model,
        batches,
        lr=cfg["lr"],
        time_limit=args.time_limit,
        clock=args.clock,
        planned_steps=10**7,  # far beyond what the time allows: the clock ends the cosine
        weight_decay=cfg["weight_decay"],
        clip_norm=1.0,
        carry_state=True,
        bf16=bf16,
        device=device,
    )
    t_eval = time.perf_counter()
    result = score_stream(model, val_ids, device)
    block = score_blocks(model, val_ids, device)
    result["block_nll"], result["block_tokens"] = block["nll"], block["tokens"]
    t_eval = time.perf_counter() - t_eval
    train_tail = float(np.mean(history.train_loss[-50:]))
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"trained {history.steps:,} steps ({history.tokens / len(train_ids):.2f} epochs) "
        f"in {history.wall:.0f} s wall, {history.cpu:.0f} s CPU; scored {result['tokens']:,} "
        f"validation characters as a stream and {result['block_tokens']:,} in blocks of "
        f"{BLOCK} in {t_eval:.0f} s",
        flush=True,
    )
    desc = (
        f"LSTM {cfg['num_layers']}x{cfg['n_h']}, emb {cfg['embed_dim']}, B {cfg['batch_size']}, "
        f"T {cfg['num_steps']}"
    )
    row = [
        desc,
        f"{n_params / 1e6:.2f} M",
        f"{history.wall:.0f}",
        f"{history.cpu:.0f}",
        f"{history.tokens_per_s():,.0f}",
        train_tail,
        result["nll"],
        result["bits"],
        result["block_nll"],
        nanogpt,
    ]
    return row, result


HEADERS = [
    "model",
    "params",
    "train s",
    "CPU s",
    "train tok/s",
    "train loss (last 50)",
    "val nats/char, stream",
    "val bits/char, stream",
    f"val nats/char, blocks of {BLOCK}",
]


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=300.0)
    p.add_argument(
        "--set",
        default="",
        help="override CONFIG entries, e.g. --set dropout=0.2,n_h=384 (for experiments)",
    )
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
    for item in filter(None, args.set.split(",")):
        key, value = item.split("=")
        if key not in cfg:
            raise SystemExit(f"--set: expected keys among {sorted(cfg)}, got {key!r}")
        cfg[key] = type(cfg[key])(value)
    print(f"config    {cfg}")
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
    print(table(HEADERS + ["nanoGPT CPU"], [row]))
    nll = result["nll"]
    for name, bound in zip(("goal", "stretch goal", "GPU-baseline goal"), GOALS):
        verdict = "met" if nll <= bound else "missed"
        print(
            f"{name} <= {bound} (stream, {args.time_limit:g} s "
            f"{'wall clock' if args.clock == 'wall' else 'of CPU time'}, "
            f"{args.threads} thread(s)): {verdict} ({nll:.3f})"
        )
    finish(t_start)


if __name__ == "__main__":
    main()
