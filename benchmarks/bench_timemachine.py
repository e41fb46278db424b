"""Character-level language models on The Time Machine: our RNN, LSTM and GRU against d2l 1.0.

Data: the text as Dive into Deep Learning 1.0 prepares it (letters lower-cased, every run of
other characters one space, 28 symbols with ``<unk>``), cut as d2l cuts it
(``rnnbook.text.timemachine_d2l``): a window of 32 + 1 characters starts at every offset.

* **Training windows**: windows 0-9,999 (the first 10,032 characters of the book).
* **Validation windows**: windows 10,000-14,999, d2l's validation set.  Everything is chosen
  on them: the hyper-parameters of ``CONFIGS`` (benchmarks/RESULTS.md keeps the log) and, in
  each run, the evaluation (every half epoch) whose weights are kept (early stopping).
* **Held-out windows**: every window starting at character 15,032 or later (to the end of the
  book), cut the same way.  They share no character with the validation windows and no choice
  ever saw them; each run scores them once, at the end, with the weights chosen on validation.

Every window is scored from a zero state, all 32 positions, as d2l does; the figure is the
perplexity exp(mean nats per character).

Training (``common.fit``, a loop of the benchmarks' own): ``common.RegularisedLM`` (an
``rnnbook.lm.RNNLM`` with embedding dropout and weight drop), AdamW with decoupled weight decay,
clipping at norm 1, a learning rate that warms up and then follows a cosine down to zero over
the planned epochs or the wall-clock limit (``--time-limit``, default 180 s, which includes
every validation), whichever runs out first.

One network per run by default; ``--members K`` trains K networks with seeds ``seed .. seed +
K - 1`` one after another within the one time limit and scores the mean of their predicted
probabilities (an ensemble).  ``--seeds 0,1,2`` repeats the whole run for each seed and prints
the mean, minimum and maximum.  ``--split whole`` adds the whole book, cut 80/10/10 into
training text, validation windows and held-out windows (consecutive 32-character windows).

    python benchmarks/bench_timemachine.py                    # LSTM, seeds 0,1,2: about 10 min
    python benchmarks/bench_timemachine.py --cells rnn,lstm,gru --seeds 0
    python benchmarks/bench_timemachine.py --members 8        # ensembles of 8
    python benchmarks/bench_timemachine.py --tiny             # seconds: the smoke test
"""

from __future__ import annotations

import time

import numpy as np
import torch
from common import RegularisedLM, ensemble_ppl, finish, fit, load_average, parser, start, table

from rnnbook.lm import evaluate
from rnnbook.text import RandomBatches, WindowBatches, split_tokens, timemachine_d2l

# Chosen on the d2l split's validation windows (benchmarks/RESULTS.md keeps the log).
# embed_dropout: dropout on the embedding output; dropout: on the recurrent outputs;
# weight_drop: DropConnect on W; epochs: planned passes (the clock may end a run first).
CONFIGS = {
    "rnn": dict(
        n_h=256,
        embed_dim=32,
        dropout=0.5,
        embed_dropout=0.25,
        weight_drop=0.0,
        lr=2e-3,
        weight_decay=0.1,
        epochs=8,
    ),
    "lstm": dict(
        n_h=256,
        embed_dim=64,
        dropout=0.5,
        embed_dropout=0.3,
        weight_drop=0.6,
        lr=3e-3,
        weight_decay=0.3,
        epochs=12,
    ),
    "gru": dict(
        n_h=128,
        embed_dim=32,
        dropout=0.5,
        embed_dropout=0.25,
        weight_drop=0.0,
        lr=3e-3,
        weight_decay=0.1,
        epochs=8,
    ),
}
BATCH_SIZE = 64
T = 32
HELD_OUT_FROM = 15_032  # first character after the last validation window (d2l split)
WHOLE_EPOCHS = 60  # whole-book split: planned passes of random windows (an epoch is short)
D2L_REFERENCE = {"rnn": 7.2, "lstm": 6.7, "gru": 6.5}  # d2l 1.0's published figures
GOAL_PPL = 5.0


def windows_from(corpus: np.ndarray, first: int, T: int = T) -> tuple[np.ndarray, np.ndarray]:
    """d2l's cut from character ``first`` on: a window of T + 1 at every offset, X and Y."""
    w = np.lib.stride_tricks.sliding_window_view(corpus[first:], T + 1)
    return np.ascontiguousarray(w[:, :-1]), np.ascontiguousarray(w[:, 1:])


def consecutive_windows(ids: np.ndarray, T: int = T) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive, non-overlapping windows of ``T`` inputs and their ``T`` targets."""
    n = (len(ids) - 1) // T
    return ids[: n * T].reshape(n, T), ids[1 : n * T + 1].reshape(n, T)


def build_model(cell: str, vocab_size: int, cfg: dict) -> RegularisedLM:
    return RegularisedLM(
        vocab_size,
        cfg["n_h"],
        cell,
        dropout=cfg["dropout"],
        embed_dim=cfg["embed_dim"],
        embed_dropout=cfg["embed_dropout"],
        weight_drop=cfg["weight_drop"],
    )


def run(cell, vocab_size, make_train, val_batches, held_batches, cfg, time_limit, seed, clock):
    """One run: ``cfg["members"]`` networks sharing ``time_limit``; chosen on validation only.

    Member k has seed ``seed + k`` for its weights and for its order of training batches
    (``make_train(seed + k)``).
    """
    k_all = cfg["members"]
    now = time.perf_counter if clock == "wall" else time.process_time
    t0, c0, n0 = time.perf_counter(), time.process_time(), now()
    models, fits = [], []
    for k in range(k_all):
        left = time_limit - (now() - n0)
        if left <= 0:
            break
        torch.manual_seed(seed + k)
        model = build_model(cell, vocab_size, cfg)
        train_batches = make_train(seed + k)
        fits.append(
            fit(
                model,
                train_batches,
                lr=cfg["lr"],
                time_limit=left / (k_all - k),
                epochs=cfg["epochs"],
                weight_decay=cfg["weight_decay"],
                clip_norm=1.0,
                val_batches=val_batches,
                eval_every=max(1, len(train_batches) // 2),
                keep_best=True,  # early stopping: the weights of the best validation are kept
                clock=clock,
            )
        )
        models.append(model)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if len(models) == 1:
        val = evaluate(models[0], val_batches)["ppl"]
        assert abs(val - fits[0].best_ppl) < 1e-3 * val, (val, fits[0].best_ppl)  # kept weights
        held = evaluate(models[0], held_batches)["ppl"] if held_batches is not None else None
    else:
        val = ensemble_ppl(models, val_batches)
        held = ensemble_ppl(models, held_batches) if held_batches is not None else None
    n = len(make_train(seed))
    return {
        "val": val,
        "held": held,
        "members": [f.best_ppl for f in fits],
        "best_epoch": float(np.mean([f.best_step / n for f in fits])),
        "epochs": float(np.mean([f.steps / n for f in fits])),
        "wall": wall,
        "cpu": cpu,
        "tokens_per_s": sum(f.tokens for f in fits) / wall,
        "params": sum(p.numel() for m in models for p in m.parameters()),
        "stop": f"{len(fits)} of {k_all} members: " + ", ".join(f.stop for f in fits),
    }


def data_for(split: str, data, tiny: bool):
    """A maker of training batches (``seed -> batches``), validation batches, held-out batches
    and a description."""
    if split == "d2l":
        X, Y, Xv, Yv = data.X_train, data.Y_train, data.X_val, data.Y_val
        Xh, Yh = windows_from(data.corpus, HELD_OUT_FROM)
        if tiny:
            X, Y, Xv, Yv, Xh, Yh = X[:128], Y[:128], Xv[:64], Yv[:64], Xh[:64], Yh[:64]
        train = lambda seed: WindowBatches(X, Y, BATCH_SIZE, shuffle=True, seed=seed)
        what = (
            f"{len(X):,} windows of {T} train, {len(Xv):,} validate, {len(Xh):,} held out "
            f"(from character {HELD_OUT_FROM:,})"
        )
    else:
        train_ids, val_ids, held_ids = split_tokens(data.corpus, (0.8, 0.1, 0.1))
        if tiny:
            train_ids, val_ids, held_ids = train_ids[:4096], val_ids[:512], held_ids[:512]
        train = lambda seed: RandomBatches(train_ids, BATCH_SIZE, T, seed=seed)
        (Xv, Yv), (Xh, Yh) = consecutive_windows(val_ids), consecutive_windows(held_ids)
        what = (
            f"{len(train_ids):,} characters train, {len(val_ids):,} validate, "
            f"{len(held_ids):,} held out"
        )
    return train, WindowBatches(Xv, Yv, 1000), WindowBatches(Xh, Yh, 2000), what


def summary(values: list[float]) -> str:
    return f"{np.mean(values):.3f} (min {min(values):.3f}, max {max(values):.3f})"


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=180.0)
    p.add_argument(
        "--split", choices=["d2l", "whole", "both"], default="d2l", help="which split(s) to run"
    )
    p.add_argument("--cells", default="lstm", help="comma-separated cells (default lstm)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, one run each")
    p.add_argument("--members", type=int, default=1, help="networks per run (default 1)")
    args = p.parse_args(argv)
    t_start = start(args)
    cells = [c.strip() for c in args.cells.split(",") if c.strip()]
    seeds = [int(s) for s in args.seeds.split(",")]
    splits = ["d2l", "whole"] if args.split == "both" else [args.split]

    data = timemachine_d2l(batch_size=BATCH_SIZE)
    V = len(data.vocab)
    print(f"vocabulary {V} symbols; corpus {len(data.corpus):,} characters")
    rows, summaries = [], []
    for split in splits:
        for cell in cells:
            cfg = dict(CONFIGS[cell], members=args.members)
            if split == "whole":
                cfg["epochs"] = WHOLE_EPOCHS
            if args.tiny:
                cfg.update(n_h=16, embed_dim=8, epochs=1)
            vals, helds = [], []
            make_train, val_b, held_b, what = data_for(split, data, args.tiny)
            print(f"split {split}, {cell}: {what}", flush=True)
            for seed in seeds:
                load0 = load_average().split()[0]
                r = run(cell, V, make_train, val_b, held_b, cfg, args.time_limit, seed, args.clock)
                load1 = load_average().split()[0]
                vals.append(r["val"])
                helds.append(r["held"])
                print(
                    f"  {split} {cell} seed {seed}: val ppl {r['val']:.3f}, held-out ppl "
                    f"{r['held']:.3f}, best epoch {r['best_epoch']:.1f} of {r['epochs']:.1f}, "
                    f"{r['wall']:.0f} s wall, {r['cpu']:.0f} s CPU, load {load0} -> {load1}, "
                    f"stop: {r['stop']}",
                    flush=True,
                )
                size = f"{cfg['n_h']} h, {r['params']:,} p"
                rows.append(
                    [
                        split,
                        cell,
                        seed,
                        (f"{args.members} x " if args.members > 1 else "") + size,
                        r["val"],
                        r["held"],
                        f"{r['best_epoch']:.1f} / {r['epochs']:.1f}",
                        f"{r['wall']:.0f}",
                        f"{r['cpu']:.0f}",
                        f"{r['tokens_per_s']:,.0f}",
                        f"{load0} -> {load1}",
                        f"{D2L_REFERENCE[cell]:.1f}" if split == "d2l" else "-",
                    ]
                )
            met = sum(v <= GOAL_PPL for v in vals)
            summaries.append(
                f"{split} {cell} over {len(seeds)} run(s): validation ppl {summary(vals)}; "
                f"held-out ppl {summary(helds)}; validation <= {GOAL_PPL} in {met} of "
                f"{len(vals)} run(s); held-out <= {GOAL_PPL} in "
                f"{sum(h <= GOAL_PPL for h in helds)} of {len(helds)}"
            )
    print()
    headers = [
        "split",
        "cell",
        "seed",
        "size",
        "val ppl",
        "held-out ppl",
        "epoch chosen / run",
        "wall s",
        "CPU s",
        "train tok/s",
        "load 1 min",
        "d2l 1.0",
    ]
    print(table(headers, rows))
    print()
    for line in summaries:
        print(line)
    what = "a single network" if args.members == 1 else f"an ensemble of {args.members}"
    print(
        f"goal: {what} <= {GOAL_PPL} on the validation windows within {args.time_limit:g} s "
        f"({'wall clock' if args.clock == 'wall' else 'of CPU time'}, {args.threads} thread(s)) "
        f"(d2l split); the held-out figure is reported beside it, never used for a choice"
    )
    finish(t_start)


if __name__ == "__main__":
    main()
