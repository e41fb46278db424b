"""The students' copy (``python -m rnnbook.course.release OUT``) holds no answers."""

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from rnnbook.course import release

ROOT = Path(__file__).resolve().parents[1]


def _lines(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.splitlines() if line.strip()]


def _regions(source: str, begin: str, end: str) -> list[list[str]]:
    pattern = re.escape(begin) + r"(.*?)" + re.escape(end)
    return [_lines(m) for m in re.findall(pattern, source, flags=re.DOTALL)]


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("students") / "rnnbook-course"
    subprocess.run([sys.executable, "-m", "rnnbook.course.release", str(out)], check=True, cwd=ROOT)
    return out


def _texts(folder: Path) -> dict[Path, list[str]]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in {".py", ".ipynb", ".md", ".toml", ".yml", ".txt"}:
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".ipynb":
                nb = nbformat.reads(text, as_version=4)
                text = "\n".join(c.source for c in nb.cells)
            out[path] = _lines(text)
    return out


def test_release_has_what_students_need(copy):
    assert sorted(p.name for p in (copy / "exercises").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "solutions").glob("*.ipynb")
    )
    assert sorted(p.name for p in (copy / "notebooks").glob("*.ipynb")) == sorted(
        p.name for p in (ROOT / "notebooks").glob("*.ipynb")
    )
    assert (copy / "rnnbook" / "course" / "checks" / "nb04.py").is_file()
    assert (copy / "rnnbook" / "course" / "hints.py").is_file()
    for name in ("exercises", "notebooks", "rnnbook", "pyproject.toml", "README.md"):
        assert (copy / name).exists(), name
    for path in (copy / "exercises").glob("*.ipynb"):  # the same as the committed exercises
        assert path.read_text() == (ROOT / "exercises" / path.name).read_text(), path.name


def test_release_has_no_solutions_tests_or_references(copy):
    for name in ("solutions", "tests", "benchmarks", "book"):
        assert not (copy / name).exists(), f"{name}/ is in the students' copy"
    assert not (copy / "rnnbook" / "course" / "references").exists()
    found = [p for p in copy.rglob("*") if "references" in p.parts]
    assert not found, found


def test_no_solution_code_or_hidden_test_is_in_the_release(copy):
    texts = _texts(copy)
    joined = {path: "\n".join(lines) for path, lines in texts.items()}
    blocks = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            blocks += _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
            blocks += _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
    blocks = [b for b in blocks if sum(len(x) for x in b) >= 40]  # skip one-word answers
    assert blocks
    for block in blocks:
        needle = "\n".join(block)
        hits = [str(p.relative_to(copy)) for p, text in joined.items() if needle in text]
        assert not hits, f"this solution or hidden test is in {hits}:\n{needle}"


def test_the_release_imports_without_the_references(copy):
    code = (
        "import rnnbook.course.checks.nb04, rnnbook.course.hints\n"
        "try:\n    import rnnbook.course.references\nexcept ImportError:\n    print('absent')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=copy,
        env={"PYTHONPATH": str(copy), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "absent"


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="out: expected a new or empty folder"):
        release.build(tmp_path / "x")
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"
