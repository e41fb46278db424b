"""Build the students' copy of the course: exercises and lectures, no answers.

What a student release holds:

- ``exercises/``: the exercise notebooks, made afresh from ``solutions/`` by nbgrader's own
  preprocessors (solutions replaced by stubs, hidden tests removed, outputs cleared);
- ``notebooks/``: the lecture notebooks;
- ``rnnbook/``: the library, with the exercise checks students run, the hints and the grader's
  ``--validate`` mode, but **without** ``rnnbook/course/references`` (the instructors'
  reference implementations and answers that the hidden tests compare with);
- ``pyproject.toml``, ``environment.yml`` and a README for students.

Never in it: ``solutions/``, ``tests/`` (they hold wrong and right answers to every exercise),
``benchmarks/``, the course site sources. ``tests/test_release.py`` checks that no solution code,
hidden test or reference is in a release.

Usage::

    python -m rnnbook.course.release OUT      # OUT must not exist, or be an empty folder
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from rnnbook.course.exercises import ROOT, render, student_version

LEFT_OUT = ("course/references",)  # below rnnbook/: instructor material

STUDENT_README = """\
# rnnbook: the students' copy

Lecture notebooks in `notebooks/`, your exercises in `exercises/`, and the `rnnbook` library
they use. Set up once, in this folder (Python 3.11 or newer):

```bash
python -m venv .venv
source .venv/bin/activate          # Windows: .venv\\Scripts\\Activate.ps1
python -m pip install -e .
python -m rnnbook.data             # fetch the two corpora once (or set RNNBOOK_DATA_DIR)
jupyter lab --ServerApp.ip=127.0.0.1
```

In an exercise notebook, fill in each cell marked `# YOUR CODE HERE` and run the check below it.
A check that passes prints nothing; one that fails says what is wrong. Ask for a hint with
`checks.hint("ex3")` (one at a time; the number you used is saved in the notebook, and your
instructor decides whether hints cost anything). Written questions are answered in the Markdown
cell below them and graded by hand.

Before handing in, run the checks of a whole notebook as the grader will (your instructor's
grader also runs hidden tests, on inputs you have not seen):

```bash
python -m rnnbook.course.grading --validate exercises/04_bptt.ipynb
```
"""


def _ignore_instructor(src: str, names: list[str]) -> set[str]:
    here = Path(src)
    out = {n for n in names if n in {"__pycache__", ".ipynb_checkpoints"} or n.endswith(".pyc")}
    for left in LEFT_OUT:
        left_path = ROOT / "rnnbook" / left
        out |= {n for n in names if (here / n).resolve() == left_path.resolve()}
    return out


def build(out: Path, root: Path = ROOT) -> Path:
    """Write the students' copy to ``out`` (all or nothing); return ``out``."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FileExistsError(f"out: expected a new or empty folder, got {out} (not empty)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".release-") as tmp:
        stage = Path(tmp) / "release"
        stage.mkdir()
        shutil.copytree(root / "rnnbook", stage / "rnnbook", ignore=_ignore_instructor)
        shutil.copytree(root / "notebooks", stage / "notebooks", ignore=_ignore_instructor)
        (stage / "exercises").mkdir()
        for src in sorted((root / "solutions").glob("*.ipynb")):
            nb = student_version(nbformat.read(src, as_version=4))
            (stage / "exercises" / src.name).write_text(render(nb), encoding="utf-8")
        for name in ("pyproject.toml", "environment.yml"):
            shutil.copy2(root / name, stage / name)
        (stage / "README.md").write_text(STUDENT_README, encoding="utf-8")
        if out.exists():
            out.rmdir()
        stage.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="a new or empty folder for the students' copy")
    args = parser.parse_args(argv)
    try:
        build(args.out)
    except FileExistsError as err:
        print(err, file=sys.stderr)
        return 2
    files = sum(1 for p in args.out.rglob("*") if p.is_file())
    print(f"wrote the students' copy to {args.out} ({files} files; no solutions, no references)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
