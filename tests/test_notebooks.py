"""Conventions of the committed notebooks: numbered, paired, clean and seeded."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALL = sorted(p for d in ("notebooks", "solutions", "exercises") for p in (ROOT / d).glob("*.ipynb"))


def test_lecture_notebooks_are_numbered_in_order():
    names = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert names, "no lecture notebooks"
    numbers = [int(re.match(r"(\d\d)_[a-z0-9_]+\.ipynb$", n)[1]) for n in names]
    assert numbers == list(range(1, len(numbers) + 1)), names


def test_every_exercise_notebook_has_a_lecture():
    lectures = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for p in (ROOT / "solutions").glob("*.ipynb"):
        assert p.name in lectures, f"solutions/{p.name} has no notebooks/{p.name}"


@pytest.mark.parametrize("path", ALL, ids=[f"{p.parent.name}/{p.name}" for p in ALL])
def test_committed_without_outputs_and_seeded(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c.get("outputs") for c in code), "commit notebooks without outputs"
    assert all(c.get("execution_count") is None for c in code), "clear execution counts"
    first = "".join(code[0]["source"])
    assert "seed_everything(" in first, "the first code cell seeds the generators"
