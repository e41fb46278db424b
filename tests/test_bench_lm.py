"""The language-model benchmarks run with --tiny and print their tables with finite figures.

The three scripts run at once, each in its own process (started when the module is imported by
the first test that needs them), with this process's environment: the corpora come from
``rnnbook.data.load_corpus``, which reads ``RNNBOOK_DATA_DIR`` (set in CI) or the user's cache.
"""

from __future__ import annotations

import importlib
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
EXTRA = {  # the Time Machine: every split and cell, two seeds, ensembles of two
    "bench_timemachine.py": ["--split", "both", "--cells", "rnn,lstm,gru", "--seeds", "1,2"]
    + ["--members", "2"]
}


@cache
def outputs() -> dict:
    procs = {
        name: subprocess.Popen(
            [sys.executable, str(BENCH / name), "--tiny", "--threads", "1", "--seed", "1"]
            + EXTRA.get(name, []),
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
    for field in ("machine", "versions", "threads", "load", "date", "wall", "cpu"):
        assert re.search(rf"^{field}\s", out, re.M), f"{name}: no '{field}' line in:\n{out}"
    assert "cores" in out and "torch 1\n" in out  # core count; --threads reached torch
    assert re.search(r"^load\s+\d+\.\d\d \d+\.\d\d \d+\.\d\d", out, re.M)  # os.getloadavg()
    assert number(re.search(r"^wall\s+(\S+) s", out, re.M).group(1)) > 0


def test_timemachine_table_has_every_split_cell_and_seed():
    out = output("bench_timemachine.py")
    rows = table_rows(out, "split")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (split, cell, seed)
        for split in ("d2l", "whole")
        for cell in ("rnn", "lstm", "gru")
        for seed in ("1", "2")
    ]
    for r in rows:
        val, held = number(r[4]), number(r[5])
        # 28 symbols: a model that learnt nothing scores about 28; nothing scores below 1
        assert 1.0 < val < 60.0 and 1.0 < held < 60.0, r
        assert r[3].startswith("2 x"), r  # --members 2
        assert number(r[7]) >= 0 and number(r[8]) >= 0 and number(r[9]) > 0  # wall, CPU, tok/s
        assert re.fullmatch(r"\d+\.\d\d -> \d+\.\d\d", r[10]), r  # load before and after
    assert [r[11] for r in rows[:6]] == ["7.2", "7.2", "6.7", "6.7", "6.5", "6.5"]  # d2l's
    # one summary per split and cell, whose mean, min and max are those of the table's rows
    for split in ("d2l", "whole"):
        for cell in ("rnn", "lstm", "gru"):
            mine = [r for r in rows if r[0] == split and r[1] == cell]
            line = re.search(rf"^{split} {cell} over 2 run\(s\): (.*)$", out, re.M).group(1)
            for column, what in ((4, "validation"), (5, "held-out")):
                v = [number(r[column]) for r in mine]
                m = re.search(rf"{what} ppl (\S+) \(min (\S+), max (\S+)\)", line)
                got = [float(x) for x in m.groups()]
                assert got == pytest.approx([np.mean(v), min(v), max(v)], abs=1.5e-3), line
    assert "held-out figure is reported beside it, never used for a choice" in out


def bench_module(name: str):
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH))


def test_held_out_windows_start_after_the_last_validation_character():
    bench = bench_module("bench_timemachine")
    corpus = np.arange(100_000) % 28
    data_val_end = 10_000 + 5_000 - 1 + 32  # the last validation window's last target
    X, Y = bench.windows_from(corpus, bench.HELD_OUT_FROM)
    assert bench.HELD_OUT_FROM == data_val_end + 1 == 15_032
    assert X.shape == Y.shape == (100_000 - 15_032 - 32, 32)
    assert np.array_equal(X[0], corpus[15_032 : 15_032 + 32])
    assert np.array_equal(Y[-1], corpus[-32:])  # to the end of the text, every offset
    assert np.array_equal(X[1:, :-1], X[:-1, 1:]) and np.array_equal(X[:, 1:], Y[:, :-1])


def test_ensemble_of_one_is_evaluate_and_averaging_beats_the_members():
    import torch

    from rnnbook.lm import RNNLM, evaluate

    common = bench_module("common")
    torch.manual_seed(0)
    val = [(torch.randint(0, 7, (5, 6)), torch.randint(0, 7, (5, 6))) for _ in range(2)]
    a, b = RNNLM(7, 8, "gru", embed_dim=4), RNNLM(7, 8, "lstm", embed_dim=4)
    assert common.ensemble_ppl([a], val) == pytest.approx(evaluate(a, val)["ppl"], rel=1e-6)
    pa, pb = evaluate(a, val)["ppl"], evaluate(b, val)["ppl"]
    both = common.ensemble_ppl([a, b], val)
    assert both <= math.sqrt(pa * pb) + 1e-9  # log of the mean >= mean of the logs
    assert both != pytest.approx(pa) and both != pytest.approx(pb)


def test_regularised_lm_drops_in_training_and_is_rnnlm_in_evaluation():
    import torch

    from rnnbook.lm import RNNLM

    common = bench_module("common")
    torch.manual_seed(0)
    x = torch.randint(0, 7, (3, 6))
    plain = RNNLM(7, 8, "lstm", embed_dim=4)
    dropped = common.RegularisedLM(7, 8, "lstm", embed_dim=4, embed_dropout=0.3, weight_drop=0.5)
    dropped.load_state_dict(plain.state_dict())  # the same parameters, by the same names
    plain.eval(), dropped.eval()
    assert torch.equal(dropped(x)[0], plain(x)[0])
    dropped.train()
    w = dropped.rnn.weight_hh_l0.detach().clone()
    out1, out2 = dropped(x)[0], dropped(x)[0]
    assert not torch.allclose(out1, plain(x)[0]) and not torch.allclose(out1, out2)  # new masks
    out1.sum().backward()  # the gradient reaches the undropped matrix, which is unchanged
    assert dropped.rnn.weight_hh_l0.grad is not None
    assert torch.equal(dropped.rnn.weight_hh_l0, w)
    only_embed = common.RegularisedLM(7, 8, "gru", embed_dim=4, embed_dropout=0.5).train()
    assert not torch.equal(only_embed(x)[0], only_embed(x)[0])  # embedding dropout alone
    with pytest.raises(ValueError, match="weight_drop"):
        common.RegularisedLM(7, 8, "lstm", weight_drop=1.0)


def test_fit_keeps_the_weights_of_the_best_validation():
    import torch

    from rnnbook.lm import RNNLM, evaluate

    common = bench_module("common")
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    train = [(rng.integers(0, 5, (4, 8)), rng.integers(0, 5, (4, 8))) for _ in range(6)]
    val = [(rng.integers(0, 5, (4, 8)), rng.integers(0, 5, (4, 8)))]
    model = RNNLM(5, 8, "rnn")
    # random targets: validation gets worse as the model memorises, so the best is early
    got = common.fit(
        model,
        train,
        lr=0.05,
        time_limit=60,
        epochs=8,
        val_batches=val,
        eval_every=2,
        keep_best=True,
    )
    assert got.steps == 48 and got.stop == "planned steps" and len(got.val_ppl) == 24
    assert got.best_ppl == min(got.val_ppl) and got.best_step == 2 * (1 + np.argmin(got.val_ppl))
    assert evaluate(model, val)["ppl"] == pytest.approx(got.best_ppl, rel=1e-6)
    assert got.best_ppl < got.val_ppl[-1]  # what was kept is not the last evaluation
    assert got.wall > 0 and got.cpu > 0 and got.tokens == 48 * 32


def test_shakespeare_table_reports_stream_and_block_scores():
    out = output("bench_shakespeare.py")
    (row,) = table_rows(out, "model")
    nll, bits, block = number(row[6]), number(row[7]), number(row[8])
    assert 0.5 < nll < 1.5 * math.log(66), row  # at most 1.5 x the loss of a uniform guess
    assert 0.5 < block < 1.5 * math.log(66), row
    assert bits == pytest.approx(nll / math.log(2), abs=2e-3)
    assert number(row[9]) == 1.88  # nanoGPT's CPU figure
    m = re.search(r"scored ([\d,]+) validation characters as a stream and ([\d,]+) in blocks", out)
    stream, blocks = (int(g.replace(",", "")) for g in m.groups())
    assert stream == 3_000 - 1  # the whole (tiny) validation split, every character but the first
    assert blocks == (3_000 - 1) // 256 * 256  # every whole block of 256
    assert re.search(r"^stretch goal <= 1\.75 \(stream", out, re.M)
    verdict = r"^GPU-baseline goal <= 1\.47 \(stream, 3 s wall clock, 1 thread\(s\)\): (met|missed)"
    assert re.search(verdict, out, re.M), out


def test_block_score_starts_every_block_from_zero():
    import torch

    from rnnbook.lm import RNNLM

    bench = bench_module("bench_shakespeare")
    torch.manual_seed(0)
    model = RNNLM(5, 8, "lstm", embed_dim=3).eval()
    ids = np.random.default_rng(0).integers(0, 5, 600)
    total = 0.0
    for k in range(2):  # 599 targets: two whole blocks of 256, the rest left out
        x = torch.as_tensor(ids[k * 256 : (k + 1) * 256])[None]
        y = torch.as_tensor(ids[k * 256 + 1 : (k + 1) * 256 + 1])
        with torch.no_grad():
            logits, _ = model(x)  # from a zero state
        total += torch.nn.functional.cross_entropy(logits[0], y, reduction="sum").item()
    got = bench.score_blocks(model, ids, "cpu")
    assert got["tokens"] == 512 and got["nll"] == pytest.approx(total / 512, rel=1e-5)
    stream = bench.score_stream(model, ids, "cpu")
    assert stream["tokens"] == 599 and stream["nll"] != pytest.approx(got["nll"], rel=1e-6)


def test_gpu_script_runs_on_the_cpu_and_times_both_lstms():
    out = output("bench_gpu.py")
    if "device    cpu" in out:
        assert "no CUDA GPU" in out  # says plainly that these are not GPU figures
    (row,) = table_rows(out, "model")
    assert 0.5 < number(row[6]) < 1.5 * math.log(66), row
    assert 0.5 < number(row[8]) < 1.5 * math.log(66), row
    rows = {r[0]: r for r in table_rows(out, "LSTM")}
    assert number(rows["nn.LSTM"][2]) == 1.0
    scratch = rows["scratch LSTM (rnnbook.torch_cells)"]
    assert number(scratch[1]) > 0 and number(scratch[2]) > 0
    assert rows["scratch LSTM, torch.compile"][1] == "not run"  # --tiny does not compile
