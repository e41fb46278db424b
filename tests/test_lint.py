"""ruff (lint and format check) over the library, the tests, the benchmarks and the notebooks."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ["rnnbook", "tests", "benchmarks", "notebooks", "solutions", "conftest.py"]


def _ruff(*args):
    targets = [t for t in TARGETS if (ROOT / t).exists()]
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *targets], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_lint():
    result = _ruff("check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = _ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, result.stdout + result.stderr
