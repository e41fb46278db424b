"""Data-parallel training: two gloo ranks on the CPU keep identical weights and learn.

The two-process run is launched exactly as the notebook launches it, by torchrun; the same
configuration run in one process (world size 1, the whole batch) must give the same losses,
because the all-reduced mean gradient of two half-batches is the gradient of the whole batch.
"""

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnnbook.topics import data_parallel

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--tiny", "--corpus", "synthetic", "--steps", "15", "--max-chars", "20000"]


@pytest.fixture(scope="module")
def two_ranks():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    proc = subprocess.run(
        [*cmd, "-m", "rnnbook.topics.data_parallel", *ARGS],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return data_parallel.parse_result(proc.stdout)


def test_two_gloo_ranks_end_identical_and_the_loss_falls(two_ranks):
    assert two_ranks["world_size"] == 2 and two_ranks["backend"] == "gloo"
    assert two_ranks["max_param_diff"] == 0.0  # the copies never drift apart
    losses = two_ranks["losses"]
    assert len(losses) == 15
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.3


def test_two_ranks_match_one_process_with_the_whole_batch(two_ranks):
    torch.set_num_threads(1)
    config = dataclasses.replace(data_parallel.TINY, corpus="synthetic", steps=15, max_chars=20000)
    alone = data_parallel.run(config)
    assert alone["world_size"] == 1
    assert alone["losses"] == pytest.approx(two_ranks["losses"], rel=1e-4, abs=1e-5)
    assert alone["param_checksum"] == pytest.approx(two_ranks["param_checksum"], rel=1e-4)


def test_allreduce_mean_gives_every_rank_the_average():
    g = [
        [torch.tensor([1.0, 2.0]), torch.tensor([[3.0]])],
        [torch.tensor([3.0, 6.0]), torch.tensor([[5.0]])],
    ]
    out = data_parallel.allreduce_mean(g)
    for rank in out:
        assert torch.equal(rank[0], torch.tensor([2.0, 4.0]))
        assert torch.equal(rank[1], torch.tensor([[4.0]]))
    out[0][0] += 1  # every rank owns its copy
    assert torch.equal(out[1][0], torch.tensor([2.0, 4.0]))
    with pytest.raises(ValueError, match="same number of gradients"):
        data_parallel.allreduce_mean([[torch.zeros(1)], []])


def test_shard_rows_splits_the_batch_in_equal_blocks():
    x = torch.arange(12).reshape(6, 2)
    parts = [data_parallel.shard_rows(x, r, 3) for r in range(3)]
    assert torch.equal(torch.cat(parts), x)
    with pytest.raises(ValueError, match="divisible by world_size = 4"):
        data_parallel.shard_rows(x, 0, 4)
    with pytest.raises(ValueError, match=r"rank: expected an int in \[0, 2\]"):
        data_parallel.shard_rows(x, 3, 3)


def test_backend_is_gloo_without_enough_gpus():
    if torch.cuda.device_count() < 2:
        assert data_parallel.choose_backend(2) == ("gloo", torch.device("cpu"))
    else:
        assert data_parallel.choose_backend(2)[0] == "nccl"


def test_parse_result_needs_the_tagged_line():
    assert data_parallel.parse_result('noise\nDDP_RESULT {"a": 1}\n') == {"a": 1}
    with pytest.raises(ValueError, match="DDP_RESULT"):
        data_parallel.parse_result("nothing here")
