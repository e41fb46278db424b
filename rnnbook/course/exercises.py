"""Generate the students' exercise notebooks from the instructors' solutions.

``solutions/NN_topic.ipynb`` is the single source, in nbgrader's format. The student version
``exercises/NN_topic.ipynb`` is made by nbgrader's own preprocessors: ``ClearSolutions``
replaces each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region with a stub that raises
``NotImplementedError``, ``ClearHiddenTests`` removes each ``### BEGIN HIDDEN TESTS`` …
``### END HIDDEN TESTS`` region, and ``ClearOutput`` drops outputs.

Usage::

    python -m rnnbook.course.exercises            # regenerate exercises/ from solutions/
    python -m rnnbook.course.exercises --check    # exit 1 if exercises/ is stale
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"


def student_version(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version of a solutions notebook (the source is not modified)."""
    from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions

    nb = copy.deepcopy(source)
    resources: dict = {}
    for pre in (ClearSolutions(), ClearHiddenTests(), ClearOutput()):
        nb, resources = pre.preprocess(nb, resources)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.execution_count = None
    return nb


def render(nb: nbformat.NotebookNode) -> str:
    """The notebook as the text that is committed (nbformat's layout, trailing newline)."""
    return nbformat.writes(nb) + "\n"


def _pairs(solutions: Path, exercises: Path):
    for src in sorted(solutions.glob("*.ipynb")):
        yield src, exercises / src.name


def stale(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES) -> list[str]:
    """Names of exercise notebooks that are missing, out of date or have no source."""
    out = []
    expected = set()
    for src, dst in _pairs(solutions, exercises):
        expected.add(dst.name)
        text = render(student_version(nbformat.read(src, as_version=4)))
        if not dst.is_file() or dst.read_text(encoding="utf-8") != text:
            out.append(dst.name)
    out += sorted(p.name for p in exercises.glob("*.ipynb") if p.name not in expected)
    return out


def generate(solutions: Path = SOLUTIONS, exercises: Path = EXERCISES) -> list[Path]:
    """Write ``exercises/`` from ``solutions/``; return the paths written."""
    exercises.mkdir(parents=True, exist_ok=True)
    written = []
    for src, dst in _pairs(solutions, exercises):
        text = render(student_version(nbformat.read(src, as_version=4)))
        if not dst.is_file() or dst.read_text(encoding="utf-8") != text:
            dst.write_text(text, encoding="utf-8")
            written.append(dst)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale notebooks")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS)
    parser.add_argument("--exercises", type=Path, default=EXERCISES)
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.solutions, args.exercises)
        for name in names:
            print(f"stale: exercises/{name} (run `make exercises`)")
        return 1 if names else 0
    for path in generate(args.solutions, args.exercises):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
