"""Data-parallel training of a character LSTM with ``DistributedDataParallel``, run by torchrun.

    torchrun --standalone --nproc_per_node=2 -m rnnbook.topics.data_parallel --tiny
    python -m rnnbook.topics.data_parallel --tiny                 # the same run in one process (world size 1)

Every process ("rank") holds a full copy of the model.  Each training step,

    1. every rank takes its own ``B / world_size`` rows of the global batch ``(B, T)``;
    2. forward and backward on those rows give the rank its own gradient g_r;
    3. DDP **all-reduces** the gradients during the backward pass: every rank ends with the mean
       g = (1 / world_size) sum_r g_r, which is the gradient of the mean loss over the global
       batch (the shards have equal sizes);
    4. every rank clips and takes the same optimiser step from the same weights with the same
       gradient, so the copies stay identical without ever sending weights.

The backend is NCCL when every rank can have a GPU of its own, otherwise gloo on the CPU.  The
run is deterministic on the CPU: the model is seeded identically on every rank (and DDP
broadcasts rank 0's weights at the start anyway), and the batches are fixed.

Rank 0 prints one line ``DDP_RESULT {json}`` (and writes the JSON to ``--out`` when given): the
backend, device, world size, the loss of every step (averaged over ranks), tokens per second,
and ``max_param_diff``, the largest difference between any parameter on any two ranks at the
end (0.0 when the copies agree, as they should).

Shapes follow :class:`rnnbook.lm.RNNLM`: token indices ``(B, T)``, ``batch_first``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
import time
from dataclasses import dataclass

import torch
import torch.distributed as dist

import rnnbook
from rnnbook._validate import check_choice, check_positive
from rnnbook.lm import RNNLM, lm_loss
from rnnbook.text import SequentialBatches, Vocab, tokenize

__all__ = [
    "DDPConfig",
    "TINY",
    "allreduce_mean",
    "choose_backend",
    "main",
    "parse_result",
    "run",
    "shard_rows",
    "synthetic_text",
]

RESULT_TAG = "DDP_RESULT"


@dataclass(frozen=True)
class DDPConfig:
    """What to train.  ``batch_size`` is the *global* batch, split evenly over the ranks."""

    corpus: str = "tinyshakespeare"  # a name for rnnbook.data.load_corpus, or "synthetic"
    max_chars: int = 200_000  # the first this many characters of the corpus
    n_h: int = 128
    num_layers: int = 1
    embed_dim: int = 32
    batch_size: int = 32
    num_steps: int = 32  # T, the truncated-BPTT window
    steps: int = 100
    lr: float = 3e-3
    clip_norm: float = 1.0
    seed: int = 0


TINY = DDPConfig(max_chars=50_000, n_h=64, batch_size=16, num_steps=32, steps=40, lr=1e-2)


def synthetic_text(n_chars: int, seed: int = 0) -> str:
    """A small, learnable text: words of a 12-word vocabulary in a seeded random order."""
    words = "the cat sat on a mat and dog ran to big red".split()
    gen = torch.Generator().manual_seed(seed)
    picks = torch.randint(0, len(words), (n_chars // 3 + 1,), generator=gen).tolist()
    return " ".join(words[i] for i in picks)[:n_chars]


def load_text(config: DDPConfig) -> str:
    if config.corpus == "synthetic":
        return synthetic_text(config.max_chars, config.seed)
    from rnnbook.data import load_corpus

    return load_corpus(config.corpus)[: config.max_chars]


def allreduce_mean(grads_per_rank: list[list[torch.Tensor]]) -> list[list[torch.Tensor]]:
    """What an all-reduce by averaging computes, simulated without processes.

    ``grads_per_rank[r][k]`` is rank r's gradient of parameter k.  Returns new lists of the same
    structure in which every rank holds, for every k, the mean over ranks of the k-th gradients.
    """
    if not grads_per_rank:
        raise ValueError("grads_per_rank: expected one list of gradients per rank, got none")
    n_params = len(grads_per_rank[0])
    if any(len(g) != n_params for g in grads_per_rank):
        counts = [len(g) for g in grads_per_rank]
        raise ValueError(
            f"grads_per_rank: expected the same number of gradients per rank, got {counts}"
        )
    world_size = len(grads_per_rank)
    means = [sum(grads[k] for grads in grads_per_rank) / world_size for k in range(n_params)]
    return [[m.clone() for m in means] for _ in range(world_size)]


def shard_rows(x, rank: int, world_size: int):
    """Rank ``rank``'s rows of a global batch ``x (B, T)``: the ``rank``-th of ``world_size``
    equal, contiguous blocks (``B`` must be divisible by ``world_size``)."""
    check_positive("world_size", world_size, integer=True)
    if not 0 <= rank < world_size:
        raise ValueError(f"rank: expected an int in [0, {world_size - 1}], got {rank!r}")
    B = x.shape[0]
    if B % world_size:
        raise ValueError(
            f"x: expected a batch size divisible by world_size = {world_size}, got {B}"
        )
    per = B // world_size
    return x[rank * per : (rank + 1) * per]


def choose_backend(world_size: int) -> tuple[str, torch.device]:
    """``("nccl", cuda:local_rank)`` when there is a GPU for every rank, else ``("gloo", cpu)``."""
    if torch.cuda.is_available() and torch.cuda.device_count() >= world_size:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        return "nccl", torch.device("cuda", local_rank)
    return "gloo", torch.device("cpu")


def _flat_params(model) -> torch.Tensor:
    return torch.cat([p.detach().reshape(-1) for p in model.parameters()])


def run(config: DDPConfig = TINY) -> dict:
    """Train as one rank of the process group (or alone when there is none); return the result.

    Call it in every process after ``torchrun`` started them; it initialises the process group
    from torchrun's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``...) and destroys it
    at the end.  Every rank returns the same dict.
    """
    check_choice("corpus", config.corpus, ("tinyshakespeare", "timemachine", "synthetic"))
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    backend, device = choose_backend(world_size)
    distributed = world_size > 1
    if distributed:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend)
    if config.batch_size % world_size:
        raise ValueError(
            f"batch_size: expected a multiple of world_size = {world_size}, got {config.batch_size}"
        )
    try:
        torch.set_num_threads(1)
        rnnbook.seed_everything(config.seed)  # the same initial weights on every rank
        tokens = tokenize(load_text(config), "char")
        vocab = Vocab(tokens)
        batches = SequentialBatches(vocab.encode(tokens), config.batch_size, config.num_steps)
        model = RNNLM(
            len(vocab), config.n_h, "lstm", config.num_layers, embed_dim=config.embed_dim
        ).to(device)
        ddp_model = (
            torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[device.index] if device.type == "cuda" else None
            )
            if distributed
            else model
        )
        opt = torch.optim.Adam(model.parameters(), lr=config.lr)

        losses, state, step = [], None, 0
        start = time.perf_counter()
        while step < config.steps:
            for x, y in batches:  # the global batch; this rank keeps its own rows
                if step >= config.steps:
                    break
                x = torch.as_tensor(shard_rows(x, rank, world_size), device=device)
                y = torch.as_tensor(shard_rows(y, rank, world_size), device=device)
                logits, state = ddp_model(x, state)
                loss = lm_loss(logits, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()  # DDP all-reduces (averages) the gradients here
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
                opt.step()
                state = tuple(s.detach() for s in state)  # truncated BPTT
                reported = loss.detach().clone()
                if distributed:
                    dist.all_reduce(reported)
                    reported /= world_size
                losses.append(float(reported))
                step += 1
            state = None  # a new epoch starts from zeros
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start

        flat = _flat_params(model)
        if distributed:
            gathered = [torch.empty_like(flat) for _ in range(world_size)]
            dist.all_gather(gathered, flat)
            max_diff = max(float((g - gathered[0]).abs().max()) for g in gathered)
        else:
            max_diff = 0.0
        return {
            "backend": backend if distributed else "none",
            "device": str(device),
            "world_size": world_size,
            "config": dataclasses.asdict(config),
            "n_params": int(flat.numel()),
            "losses": losses,
            "seconds": seconds,
            "tokens_per_s": config.batch_size * config.num_steps * len(losses) / seconds,
            "max_param_diff": max_diff,
            "param_checksum": float(flat.double().sum()),
            "unigram_nats": math.log(len(vocab)),
        }
    finally:
        if distributed:
            dist.barrier()
            dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="the small run used in CI")
    parser.add_argument("--corpus", choices=["tinyshakespeare", "timemachine", "synthetic"])
    for name in ("steps", "batch_size", "num_steps", "n_h", "num_layers", "max_chars", "seed"):
        parser.add_argument(f"--{name.replace('_', '-')}", type=int)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--out", help="also write the JSON result to this file (rank 0)")
    args = parser.parse_args(argv)
    config = TINY if args.tiny else DDPConfig()
    changes = {
        name: getattr(args, name)
        for name in (
            "corpus",
            "steps",
            "batch_size",
            "num_steps",
            "n_h",
            "num_layers",
            "max_chars",
            "seed",
            "lr",
        )
        if getattr(args, name) is not None
    }
    config = dataclasses.replace(config, **changes)
    result = run(config)
    if int(os.environ.get("RANK", "0")) == 0:
        text = json.dumps(result)
        print(f"{RESULT_TAG} {text}", flush=True)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(text)
    return 0


def parse_result(output: str) -> dict:
    """The result dict from the printed output of a run (the line starting ``DDP_RESULT``)."""
    for line in output.splitlines():
        if line.startswith(RESULT_TAG + " "):
            return json.loads(line[len(RESULT_TAG) + 1 :])
    raise ValueError(f"output: expected a line starting with {RESULT_TAG!r}, found none")


if __name__ == "__main__":
    code = main()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # A finished rank leaves at once. Letting the interpreter shut down normally runs the C++
        # destructors of torch's communication threads, and in about one run in ten one of them is
        # still joinable: "terminate called without an active exception", SIGABRT, and torchrun
        # reports the whole job as failed although every result was already written.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
