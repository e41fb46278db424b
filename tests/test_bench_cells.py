"""benchmarks/bench_cells.py --tiny runs, and prints every row with a finite positive figure."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_cells.py"

EXPECTED_ROWS = [
    ("Elman", "numpy, hand-written BPTT (rnnbook.bptt)"),
    ("Elman", "torch autograd, scratch ElmanCell loop"),
    ("Elman", "nn.RNN"),
    ("LSTM", "numpy, hand-written BPTT (rnnbook.bptt)"),
    ("LSTM", "torch autograd, scratch LSTMCell loop"),
    ("LSTM", "torch, scratch LSTM, hand-written BPTT (LSTMScanBPTT)"),
    ("LSTM", "nn.LSTM"),
]


@cache
def run_tiny(threads: str) -> str:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--tiny", "--threads", threads],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_table(out: str) -> None:
    for field in ("machine", "threads", "versions", "date", "load", "wall", "parity", "dtypes"):
        assert re.search(rf"^{field}\s", out, re.M), f"no '{field}' line in:\n{out}"
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


def test_tiny_run_prints_the_whole_table():
    out = run_tiny("1")
    check_table(out)
    assert "torch 1," in out  # --threads reached torch


def test_numpy_rows_run_in_float32_forward_and_backward():
    out = run_tiny("1")
    dtypes = re.search(r"^dtypes\s+numpy (.*)$", out, re.M).group(1)
    for kind in ("Elman", "LSTM"):
        assert f"{kind}: forward float32, backward float32" in dtypes, dtypes
    assert "WARNING" not in out


def test_default_thread_list_runs_once_per_count():
    out = run_tiny("1,2")
    parts = out.split("# bench_cells:")[1:]
    assert len(parts) == 2, out
    for n, part in zip((1, 2), parts):
        check_table(part)
        assert f"threads  torch {n}, OMP/OPENBLAS/MKL {n}," in part
