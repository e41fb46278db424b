"""Throughput helpers: the arithmetic is exact, the timers time what they are given."""

import time

import pytest
import torch

from rnnbook.lm import RNNLM
from rnnbook.topics import throughput
from rnnbook.torch_cells import StackedRNN

torch.set_num_threads(1)


def test_tokens_per_s_is_tokens_over_seconds():
    assert throughput.tokens_per_s(1000, 0.5) == 2000.0
    with pytest.raises(ValueError, match="seconds: expected a finite number > 0"):
        throughput.tokens_per_s(10, 0.0)


def test_steady_tokens_per_s_leaves_out_the_warm_up_steps():
    wall = [5.0, 6.0, 7.0, 8.0]  # the first step took 5 s (warm-up), then 1 s each
    assert throughput.steady_tokens_per_s(wall, 100, skip=1) == pytest.approx(100.0)
    assert throughput.steady_tokens_per_s(wall, 100, skip=0) == pytest.approx(400 / 8.0)
    assert throughput.steady_tokens_per_s(wall, 100, skip=2) == pytest.approx(100.0)
    with pytest.raises(ValueError, match="more than skip = 4 steps"):
        throughput.steady_tokens_per_s(wall, 100, skip=4)


def test_time_call_runs_warmup_untimed_and_returns_the_median():
    calls = []

    def fn():
        calls.append(1)
        time.sleep(0.02 if len(calls) > 1 else 0.2)  # a slow first (warm-up) call

    seconds = throughput.time_call(fn, repeats=3, warmup=1)
    assert len(calls) == 4
    assert 0.015 < seconds < 0.15


def test_lm_and_rnn_throughput_are_positive_and_scale_with_batch():
    model = RNNLM(20, 32, "lstm", embed_dim=8)
    small = throughput.lm_tokens_per_s(model, 1, 16, repeats=3, warmup=1)
    large = throughput.lm_tokens_per_s(model, 64, 16, repeats=3, warmup=1)
    assert 0 < small < large  # 64 rows cost far less than 64 times one row
    rnn = StackedRNN("lstm", 8, 16, fast="bptt")
    assert throughput.rnn_tokens_per_s(rnn, 4, 8, 8, repeats=2, warmup=2) > 0
    lstm = torch.nn.LSTM(8, 16, batch_first=True)
    assert throughput.rnn_tokens_per_s(lstm, 4, 8, 8, backward=False, repeats=2) > 0


def test_copy_to_the_same_device_is_free_and_returns_the_tensor():
    x = torch.ones(1000)
    assert x.to("cpu") is x
    assert throughput.copy_seconds(x, "cpu", repeats=3) < 1e-3
    with pytest.raises(TypeError, match="x: expected a torch.Tensor"):
        throughput.copy_seconds([1.0], "cpu")
