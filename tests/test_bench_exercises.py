"""benchmarks/bench_exercises.py: the exercise table and the fresh-draw sweep of build exercises."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_exercises.py"


def _run(*args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=600
    )


def test_tiny_sweep_grades_right_and_wrong_answers_on_a_fresh_draw():
    out = _run("--sweep", "--tiny", "--wrong")
    assert out.returncode == 0, out.stderr[-2000:]
    for key in ("machine ", "load ", "date ", "wall "):
        assert f"\n{key}" in "\n" + out.stdout, key
    rows = [line for line in out.stdout.splitlines() if line.startswith("| 04_bptt ex6 |")]
    assert [r.split("|")[2].strip() for r in rows[:3]] == ["solution", "right 0", "right 1"]
    assert all(r.split("|")[4].strip() == "0" for r in rows[:3])  # no correct answer rejected
    wrong = [r for r in rows if "| wrong " in r]
    assert len(wrong) >= 3 and all(r.split("|")[5].strip() == "0" for r in wrong)


def test_table_counts_exercises_points_hints_and_answers():
    out = _run("--table", "--only", "01_dynamical_systems")
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| 1 Euler's method, step by step | build | 4 | 3 |" in out.stdout
    assert "5 auto-graded exercises, 16 points" in out.stdout


def test_bad_arguments_are_named():
    out = _run("--sweep", "--only", "01_dynamical_systems")
    assert out.returncode == 2 and "--only: expected some of 02_computational_graphs" in out.stderr
    assert "got 01_dynamical_systems" in out.stderr
    out = _run("--sweep", "--draws", "0")
    assert out.returncode == 2 and "--draws: expected a whole number ≥ 1, got 0" in out.stderr
