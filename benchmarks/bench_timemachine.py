"""Character-level language models on The Time Machine: our RNN, LSTM and GRU against d2l 1.0.

Two data splits, both over the text as Dive into Deep Learning 1.0 prepares it (letters
lower-cased, every run of other characters one space, 28 symbols with ``<unk>``):

* **d2l split** (``rnnbook.text.timemachine_d2l``): windows of 32 + 1 characters at every
  offset; the first 10,000 windows train, the next 5,000 validate.  Each validation window is
  scored from a zero state, all 32 positions, as d2l does; the training text is only the first
  10,032 characters of the book, so regularisation decides the result.
* **90/10 split** of the whole book: the first 90 % of the characters train (random 32-character
  windows from a zero state, ``rnnbook.text.RandomBatches``), the last 10 % validate, cut into
  consecutive 32-character windows, each scored from a zero state, so that every validation
  character is predicted once with 0 to 31 characters of context, as in the d2l split.

Every model is ``rnnbook.lm.RNNLM`` trained by ``rnnbook.training.train`` with AdamW, gradient
clipping at norm 1 and a learning rate that warms up and then follows a cosine down to zero
over the run's budget (planned epochs or the wall-clock limit, whichever runs out first).  The
validation perplexity is measured every half epoch; the table gives the best one (early
stopping), when it was reached, and the wall time of the whole run including evaluation.

    python benchmarks/bench_timemachine.py                  # 3 min per model, about 18 min
    python benchmarks/bench_timemachine.py --split d2l      # the d2l split only
    python benchmarks/bench_timemachine.py --tiny           # seconds: the smoke test
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch
from common import budget_schedule, finish, parser, start, table

from rnnbook.lm import RNNLM, evaluate
from rnnbook.text import RandomBatches, WindowBatches, split_tokens, timemachine_d2l
from rnnbook.training import train

# Hyper-parameters per cell, found on the d2l split (benchmarks/RESULTS.md keeps the log).
# embed_dropout drops embedding entries (the input); dropout acts on the recurrent outputs.
CONFIGS = {
    "rnn": dict(n_h=256, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=2e-3, weight_decay=0.1),
    "lstm": dict(n_h=128, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=3e-3, weight_decay=0.1),
    "gru": dict(n_h=128, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=3e-3, weight_decay=0.1),
}
BATCH_SIZE = 64
EPOCHS = {"d2l": 8, "90/10": 60}  # planned passes (90/10: an epoch is 76 batches)
D2L_REFERENCE = {"rnn": 7.2, "lstm": 6.7, "gru": 6.5}  # d2l 1.0's published figures
GOAL_PPL = 5.0


def build_model(cell: str, vocab_size: int, cfg: dict) -> RNNLM:
    """``RNNLM`` with a learned embedding; dropout on the embedding output when asked."""
    model = RNNLM(
        vocab_size,
        cfg["n_h"],
        cell,
        dropout=cfg["dropout"],
        embed_dim=cfg["embed_dim"],
    )
    if cfg["embed_dropout"]:
        # RNNLM.forward calls self.embedding(x): a Sequential inserts the dropout after it
        model.embedding = torch.nn.Sequential(
            model.embedding, torch.nn.Dropout(cfg["embed_dropout"])
        )
    return model


class KeepBest:
    """Callback for ``train``: remember the weights at the best validation perplexity."""

    def __init__(self, model: torch.nn.Module):
        self.model, self.best, self.state = model, math.inf, None
        self.seen = 0

    def __call__(self, step, history) -> bool:
        if len(history.val_ppl) > self.seen:
            self.seen = len(history.val_ppl)
            if history.val_ppl[-1] < self.best:
                self.best = history.val_ppl[-1]
                self.state = copy.deepcopy(self.model.state_dict())
        return False


def windows(ids: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive, non-overlapping windows of ``T`` inputs and their ``T`` targets."""
    n = (len(ids) - 1) // T
    return ids[: n * T].reshape(n, T), ids[1 : n * T + 1].reshape(n, T)


def run_one(cell, vocab_size, train_batches, val_batches, epochs, time_limit, seed, cfg):
    torch.manual_seed(seed)
    model = build_model(cell, vocab_size, cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    n = len(train_batches)
    keep = KeepBest(model)
    t0 = time.perf_counter()
    history = train(
        model,
        train_batches,
        epochs=epochs,
        time_limit_s=time_limit,
        optimizer=opt,
        lr_schedule=budget_schedule(epochs * n, time_limit),
        clip_norm=1.0,
        val_batches=val_batches,
        eval_every=max(1, n // 2),
        callbacks=[keep],
        device="cpu",
        progress=False,
    )
    keep(history.step[-1], history)  # the final evaluation comes after the last callback
    wall = time.perf_counter() - t0
    best = int(np.argmin(history.val_ppl))
    model.load_state_dict(keep.state)
    check = evaluate(model, val_batches)["ppl"]  # the kept weights give the reported figure
    assert abs(check - history.val_ppl[best]) < 1e-3 * check, (check, history.val_ppl[best])
    n_params = sum(p.numel() for p in model.parameters())
    return {
        "best_ppl": history.val_ppl[best],
        "best_epoch": history.val_step[best] / n,
        "final_ppl": history.val_ppl[-1],
        "epochs": history.step[-1] / n,
        "wall": wall,
        "params": n_params,
        "tokens_per_s": history.tokens_per_s(),
        "stop": history.stop_reason,
    }


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=180.0)
    p.add_argument(
        "--split", choices=["d2l", "90/10", "both"], default="both", help="which split(s) to run"
    )
    p.add_argument(
        "--cells", default="rnn,lstm,gru", help="comma-separated cells (default rnn,lstm,gru)"
    )
    args = p.parse_args(argv)
    t_start = start(args)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    splits = ["d2l", "90/10"] if args.split == "both" else [args.split]

    data = timemachine_d2l(batch_size=BATCH_SIZE)
    V = len(data.vocab)
    configs = {c: dict(CONFIGS[c]) for c in cells}
    if args.tiny:  # a few hundred windows and a small model: seconds, not minutes
        for cfg in configs.values():
            cfg.update(n_h=16, embed_dim=8)
    print(f"vocabulary {V} symbols; corpus {len(data.corpus):,} characters")

    rows = []
    for split in splits:
        if split == "d2l":
            X, Y, Xv, Yv = data.X_train, data.Y_train, data.X_val, data.Y_val
            if args.tiny:
                X, Y, Xv, Yv = X[:128], Y[:128], Xv[:64], Yv[:64]
            train_batches = WindowBatches(X, Y, BATCH_SIZE, shuffle=True, seed=args.seed)
            val_batches = WindowBatches(Xv, Yv, 1000)
            what = f"{len(X):,} windows of 32 train, {len(Xv):,} validate"
        else:
            train_ids, val_ids = split_tokens(data.corpus, (0.9, 0.1))
            if args.tiny:
                train_ids, val_ids = train_ids[:4096], val_ids[:512]
            train_batches = RandomBatches(train_ids, BATCH_SIZE, 32, seed=args.seed)
            val_batches = WindowBatches(*windows(val_ids, 32), 1000)
            what = f"{len(train_ids):,} characters train, {len(val_ids):,} validate"
        print(f"split {split}: {what}", flush=True)
        for cell in cells:
            r = run_one(
                cell,
                V,
                train_batches,
                val_batches,
                1 if args.tiny else EPOCHS[split],
                args.time_limit,
                args.seed,
                configs[cell],
            )
            cfg = configs[cell]
            print(
                f"  {split} {cell}: best ppl {r['best_ppl']:.3f} at epoch {r['best_epoch']:.1f} "
                f"of {r['epochs']:.1f}, {r['wall']:.0f} s, stop: {r['stop']}",
                flush=True,
            )
            rows.append(
                [
                    split,
                    cell,
                    f"{cfg['n_h']} h, {r['params']:,} p",
                    r["best_ppl"],
                    r["final_ppl"],
                    f"{r['best_epoch']:.1f} / {r['epochs']:.1f}",
                    f"{r['wall']:.0f}",
                    f"{r['tokens_per_s']:,.0f}",
                    f"{D2L_REFERENCE[cell]:.1f}" if split == "d2l" else "-",
                ]
            )
    print()
    headers = [
        "split",
        "cell",
        "size",
        "best val ppl",
        "final val ppl",
        "epoch best / run",
        "wall s",
        "train tok/s",
        "d2l 1.0",
    ]
    print(table(headers, rows))
    print(f"goal: best val ppl <= {GOAL_PPL} within {args.time_limit:g} s per model (d2l split)")
    finish(t_start)


if __name__ == "__main__":
    main()
