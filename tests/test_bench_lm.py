"""The language-model benchmarks run with --tiny and print their tables with finite figures.

The three scripts run at once, each in its own process (started when the module is imported by
the first test that needs them), with this process's environment: the corpora come from
``rnnbook.data.load_corpus``, which reads ``RNNBOOK_DATA_DIR`` (set in CI) or the user's cache.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = ("bench_timemachine.py", "bench_shakespeare.py", "bench_gpu.py")


@cache
def outputs() -> dict:
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(BENCH / name), "--tiny", "--threads", "1", "--seed", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in SCRIPTS
    }
    # kept even when a script fails, so that the next test does not run them all again
    return {name: (proc.communicate(timeout=300), proc.returncode) for name, proc in procs.items()}


def output(name: str) -> str:
    (stdout, stderr), returncode = outputs()[name]
    assert returncode == 0, f"{name} failed:\n{stderr}"
    return stdout


def table_rows(text: str, first_header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose first column is headed ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if re.match(rf"\|\s*{first_header}\s*\|", ln))
    rows = []
    for ln in lines[start + 2 :]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip("|").split("|")])
    return rows


def number(cell: str) -> float:
    value = float(cell.replace(",", "").split()[0])
    assert math.isfinite(value), cell
    return value


@pytest.mark.parametrize("name", SCRIPTS)
def test_prints_machine_load_date_and_wall_time(name):
    out = output(name)
    for field in ("machine", "versions", "threads", "load", "date", "wall"):
        assert re.search(rf"^{field}\s", out, re.M), f"{name}: no '{field}' line in:\n{out}"
    assert "cores" in out and "torch 1\n" in out  # core count; --threads reached torch
    assert re.search(r"^load\s+\d+\.\d\d \d+\.\d\d \d+\.\d\d", out, re.M)  # os.getloadavg()
    assert number(re.search(r"^wall\s+(\S+) s", out, re.M).group(1)) > 0


def test_timemachine_table_has_every_split_and_cell():
    rows = table_rows(output("bench_timemachine.py"), "split")
    assert [(r[0], r[1]) for r in rows] == [
        (split, cell) for split in ("d2l", "90/10") for cell in ("rnn", "lstm", "gru")
    ]
    for r in rows:
        best, final = number(r[3]), number(r[4])
        # 28 symbols: a model that learnt nothing scores about 28; nothing scores below 1
        assert 1.0 < best <= final < 60.0, r
        assert number(r[6]) >= 0 and number(r[7]) > 0  # wall time, tokens/s
    assert [r[8] for r in rows[:3]] == ["7.2", "6.7", "6.5"]  # d2l's published figures
    for r in rows[:3]:  # --tiny: the d2l split trains an ensemble of two
        members = [float(v) for v in r[9].split(",")]
        assert r[2].startswith("2 x") and len(members) == 2, r
        assert number(r[3]) <= math.exp(np.mean(np.log(members))) + 1e-3, r  # Jensen


def bench_module():
    sys.path.insert(0, str(BENCH))
    try:
        import bench_timemachine
    finally:
        sys.path.remove(str(BENCH))
    return bench_timemachine


def test_ensemble_of_one_is_evaluate_and_averaging_beats_the_members():
    import torch

    from rnnbook.lm import RNNLM, evaluate

    bench = bench_module()
    torch.manual_seed(0)
    val = [(torch.randint(0, 7, (5, 6)), torch.randint(0, 7, (5, 6))) for _ in range(2)]
    a, b = RNNLM(7, 8, "gru", embed_dim=4), RNNLM(7, 8, "lstm", embed_dim=4)
    assert bench.ensemble_ppl([a], val) == pytest.approx(evaluate(a, val)["ppl"], rel=1e-6)
    pa, pb = evaluate(a, val)["ppl"], evaluate(b, val)["ppl"]
    both = bench.ensemble_ppl([a, b], val)
    assert both <= math.sqrt(pa * pb) + 1e-9  # log of the mean >= mean of the logs
    assert both != pytest.approx(pa) and both != pytest.approx(pb)


def test_weight_drop_masks_w_in_training_and_leaves_evaluation_alone():
    import torch

    from rnnbook.lm import RNNLM

    bench = bench_module()
    torch.manual_seed(0)
    x = torch.randint(0, 7, (3, 6))
    plain = RNNLM(7, 8, "lstm", embed_dim=4)
    dropped = bench.WeightDropLM(7, 8, "lstm", embed_dim=4, weight_drop=0.5)
    dropped.load_state_dict(plain.state_dict())
    plain.eval(), dropped.eval()
    assert torch.equal(dropped(x)[0], plain(x)[0])
    dropped.train()
    w = dropped.rnn.weight_hh_l0.detach().clone()
    out1, out2 = dropped(x)[0], dropped(x)[0]
    assert not torch.allclose(out1, plain(x)[0]) and not torch.allclose(out1, out2)  # new masks
    out1.sum().backward()  # the gradient reaches the undropped matrix, which is unchanged
    assert dropped.rnn.weight_hh_l0.grad is not None
    assert torch.equal(dropped.rnn.weight_hh_l0, w)


def test_shakespeare_table_reports_nats_and_bits():
    out = output("bench_shakespeare.py")
    (row,) = table_rows(out, "model")
    nll, bits = number(row[5]), number(row[6])
    assert 0.5 < nll < 1.5 * math.log(66), row  # at most 1.5 x the loss of a uniform guess
    assert bits == pytest.approx(nll / math.log(2), abs=2e-3)
    assert number(row[7]) == 1.88  # nanoGPT's CPU figure
    scored = int(re.search(r"scored ([\d,]+) validation", out).group(1).replace(",", ""))
    assert scored == 3_000 - 1  # the whole (tiny) validation split, every character but the first


def test_gpu_script_runs_on_the_cpu_and_times_both_lstms():
    out = output("bench_gpu.py")
    if "device    cpu" in out:
        assert "no CUDA GPU" in out  # says plainly that these are not GPU figures
    (row,) = table_rows(out, "model")
    assert 0.5 < number(row[5]) < 1.5 * math.log(66), row
    rows = {r[0]: r for r in table_rows(out, "LSTM")}
    assert number(rows["nn.LSTM"][2]) == 1.0
    scratch = rows["scratch LSTM (rnnbook.torch_cells)"]
    assert number(scratch[1]) > 0 and number(scratch[2]) > 0
    assert rows["scratch LSTM, torch.compile"][1] == "not run"  # --tiny does not compile
