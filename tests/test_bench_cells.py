"""benchmarks/bench_cells.py --tiny runs, and prints every row with a finite positive figure."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_cells.py"

EXPECTED_ROWS = [
    ("Elman", "numpy, hand-written BPTT (rnnbook.bptt)"),
    ("Elman", "torch autograd, scratch ElmanCell loop"),
    ("Elman", "nn.RNN"),
    ("LSTM", "numpy, hand-written BPTT (rnnbook.bptt)"),
    ("LSTM", "torch autograd, scratch LSTMCell loop"),
    ("LSTM", "torch autograd, scratch LSTM, torch.jit.script"),
    ("LSTM", "torch, scratch LSTM, hand-written BPTT (LSTMScanBPTT)"),
    ("LSTM", "nn.LSTM"),
]


def test_tiny_run_prints_the_whole_table():
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for field in ("machine", "threads", "versions", "date", "load", "wall", "parity"):
        assert re.search(rf"^{field}\s", out, re.M), f"no '{field}' line in:\n{out}"
    assert "torch 1," in out  # --threads reached torch
    rows = re.findall(r"^\| (tiny [^|]*) \| (\w+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$", out, re.M)
    assert [(kind, label.strip()) for _, kind, label, _, _ in rows] == EXPECTED_ROWS, out
    for _, kind, label, rate, ratio in rows:
        rate, ratio = float(rate), float(ratio)
        assert math.isfinite(rate) and rate > 0, (kind, label, rate)
        assert math.isfinite(ratio) and ratio > 0, (kind, label, ratio)
        if label.strip() in ("nn.RNN", "nn.LSTM"):
            assert ratio == 1.0  # each baseline is its own reference
    gap = float(re.search(r"worst relative gap (\S+)", out).group(1))
    assert gap < 1e-3  # numpy and torch rows time the same model
