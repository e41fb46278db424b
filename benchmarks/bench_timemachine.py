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
validation perplexity is measured every half epoch and ``train(keep_best=True)`` keeps the
weights of the best one (early stopping).

On the d2l split each "model" is an ensemble of ``MEMBERS["d2l"]`` networks that differ only in
their seed; they train one after another within the one time limit (each gets the time left
divided by the members left), and the ensemble predicts the mean of their probabilities.  The
table gives the ensemble's perplexity, the members' own best ones, and the wall time of the
whole ensemble including every evaluation.

    python benchmarks/bench_timemachine.py                  # 3 min per model, about 18 min
    python benchmarks/bench_timemachine.py --members 1      # single networks, as before
    python benchmarks/bench_timemachine.py --split d2l      # the d2l split only
    python benchmarks/bench_timemachine.py --tiny           # seconds: the smoke test
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from common import budget_schedule, finish, parser, start, table

from rnnbook.lm import RNNLM, as_index_tensor, evaluate
from rnnbook.text import RandomBatches, WindowBatches, split_tokens, timemachine_d2l
from rnnbook.training import train

# Hyper-parameters per cell, found on the d2l split (benchmarks/RESULTS.md keeps the log).
# embed_dropout drops embedding entries (the input); dropout acts on the recurrent outputs;
# weight_drop (DropConnect on W, class WeightDropLM) was tried and is off: it improved single
# networks but not the ensemble.
CONFIGS = {
    "rnn": dict(n_h=256, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=2e-3, weight_decay=0.1),
    "lstm": dict(n_h=128, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=3e-3, weight_decay=0.1),
    "gru": dict(n_h=128, embed_dim=32, dropout=0.5, embed_dropout=0.25, lr=3e-3, weight_decay=0.1),
}
BATCH_SIZE = 64
# d2l split: an ensemble of seeds sharing the time limit (averaged probabilities); 90/10: one
MEMBERS = {"d2l": 8, "90/10": 1}
EPOCHS = {"d2l": 8, "90/10": 60}  # planned passes (90/10: an epoch is 76 batches)
D2L_REFERENCE = {"rnn": 7.2, "lstm": 6.7, "gru": 6.5}  # d2l 1.0's published figures
GOAL_PPL = 5.0


class WeightDropLM(RNNLM):
    """``RNNLM`` with DropConnect on the recurrent matrices W (AWD-LSTM's weight drop).

    In training, every forward pass uses W with a fraction ``weight_drop`` of its entries set to
    zero (the rest scaled by 1 / (1 - weight_drop)); the same mask serves every time step of
    the batch, unlike dropout on h^(t).  In evaluation W is used as it is.
    """

    def __init__(self, *args, weight_drop: float = 0.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.weight_drop = weight_drop

    def forward(self, x, state=None):
        if not (self.training and self.weight_drop):
            return super().forward(x, state)
        if self.embedding is not None:
            e = self.embedding(x)
        else:
            e = F.one_hot(x, self.vocab_size).to(self.output.weight.dtype)
        e = self.embed_drop(e)
        dropped = {
            f"weight_hh_l{i}": F.dropout(getattr(self.rnn, f"weight_hh_l{i}"), self.weight_drop)
            for i in range(self.num_layers)
        }
        h, state = torch.func.functional_call(self.rnn, dropped, (e, state))
        return self.output(self.drop(h)), state


def build_model(cell: str, vocab_size: int, cfg: dict) -> RNNLM:
    """``RNNLM`` with a learned embedding, dropout on its output and on the recurrent outputs."""
    return WeightDropLM(
        vocab_size,
        cfg["n_h"],
        cell,
        dropout=cfg["dropout"],
        embed_dim=cfg["embed_dim"],
        embed_dropout=cfg["embed_dropout"],
        weight_drop=cfg.get("weight_drop", 0.0),
    )


def windows(ids: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive, non-overlapping windows of ``T`` inputs and their ``T`` targets."""
    n = (len(ids) - 1) // T
    return ids[: n * T].reshape(n, T), ids[1 : n * T + 1].reshape(n, T)


def run_one(cell, vocab_size, train_batches, val_batches, epochs, time_limit, seed, cfg):
    torch.manual_seed(seed)
    model = build_model(cell, vocab_size, cfg)
    n = len(train_batches)
    t0 = time.perf_counter()
    history = train(
        model,
        train_batches,
        epochs=epochs,
        time_limit_s=time_limit,
        optimizer="adamw",
        lr=cfg["lr"],
        weight_decay=cfg["weight_decay"],
        lr_schedule=budget_schedule(epochs * n, time_limit),
        clip_norm=1.0,
        val_batches=val_batches,
        eval_every=max(1, n // 2),
        keep_best=True,  # early stopping: the weights of the best evaluation are restored
        device="cpu",
        progress=False,
    )
    wall = time.perf_counter() - t0
    best = int(np.argmin(history.val_ppl))
    assert history.val_step[best] == history.best_step
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
        "model": model,
    }


@torch.no_grad()
def ensemble_ppl(models: list[torch.nn.Module], val_batches) -> float:
    """Perplexity of the members' averaged predicted probabilities, every window from zero.

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


def run_ensemble(cell, vocab_size, train_batches, val_batches, epochs, time_limit, seed, cfg):
    """``cfg["members"]`` models with seeds ``seed, seed + 1, ...`` sharing ``time_limit``.

    Each member trains as in :func:`run_one` with the budget left divided by the members left,
    so the whole ensemble trains within ``time_limit`` seconds; its figure averages the members'
    probabilities.  One member is :func:`run_one`.
    """
    k_all = cfg.get("members", 1)
    t0 = time.perf_counter()
    runs = []
    for k in range(k_all):
        left = time_limit - (time.perf_counter() - t0)
        if left <= 0:
            break
        budget = left / (k_all - k)
        runs.append(
            run_one(cell, vocab_size, train_batches, val_batches, epochs, budget, seed + k, cfg)
        )
    if len(runs) == 1:
        return runs[0]
    r = {key: float(np.mean([run[key] for run in runs])) for key in ("best_epoch", "epochs")}
    r.update(
        best_ppl=ensemble_ppl([run["model"] for run in runs], val_batches),
        member_ppl=[run["best_ppl"] for run in runs],
        # members' mean at their last evaluation; never below the ensemble's figure (Jensen)
        final_ppl=float(np.mean([run["final_ppl"] for run in runs])),
        wall=time.perf_counter() - t0,
        params=sum(run["params"] for run in runs),
        tokens_per_s=float(np.mean([run["tokens_per_s"] for run in runs])),
        stop=f"{len(runs)} of {k_all} members; " + ", ".join(run["stop"] for run in runs),
    )
    return r


def main(argv=None):
    p = parser(__doc__.split("\n")[0], time_limit=180.0)
    p.add_argument(
        "--split", choices=["d2l", "90/10", "both"], default="both", help="which split(s) to run"
    )
    p.add_argument(
        "--cells", default="rnn,lstm,gru", help="comma-separated cells (default rnn,lstm,gru)"
    )
    p.add_argument(
        "--members",
        type=int,
        default=None,
        help=f"models per ensemble on the d2l split (default {MEMBERS['d2l']}; 90/10: 1)",
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
        members = MEMBERS[split] if args.members is None or split != "d2l" else args.members
        if args.tiny:
            members = min(members, 2)
        for cell in cells:
            cfg = dict(configs[cell], members=members)
            r = run_ensemble(
                cell,
                V,
                train_batches,
                val_batches,
                1 if args.tiny else EPOCHS[split],
                args.time_limit,
                args.seed,
                cfg,
            )
            print(
                f"  {split} {cell}: best ppl {r['best_ppl']:.3f} at epoch {r['best_epoch']:.1f} "
                f"of {r['epochs']:.1f}, {r['wall']:.0f} s, stop: {r['stop']}",
                flush=True,
            )
            rows.append(
                [
                    split,
                    cell,
                    (f"{members} x " if members > 1 else "") + f"{cfg['n_h']} h, {r['params']:,} p",
                    r["best_ppl"],
                    r["final_ppl"],
                    f"{r['best_epoch']:.1f} / {r['epochs']:.1f}",
                    f"{r['wall']:.0f}",
                    f"{r['tokens_per_s']:,.0f}",
                    f"{D2L_REFERENCE[cell]:.1f}" if split == "d2l" else "-",
                    ", ".join(f"{v:.2f}" for v in r.get("member_ppl", [r["best_ppl"]])),
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
        "members' best val ppl",
    ]
    print(table(headers, rows))
    print(f"goal: best val ppl <= {GOAL_PPL} within {args.time_limit:g} s per model (d2l split)")
    finish(t_start)


if __name__ == "__main__":
    main()
