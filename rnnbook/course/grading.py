"""Grade a student's exercise notebook against its source in ``solutions/``.

The grader

1. takes the student's answers (the nbgrader solution cells, matched by ``grade_id``) and puts
   them into a copy of the source notebook, so that every other cell, the test cells with their
   hidden tests included, is the instructor's and cannot have been edited away;
2. executes that notebook in a fresh kernel, each cell under a time limit and the whole under
   another (a cell that runs over is interrupted and counts as failed);
3. scores each test cell (an nbgrader cell with ``points``): full points if it ran cleanly, none
   otherwise, with one line saying why: "not attempted" when the answer is still the stub, the
   checker's message when it found a mistake, the error when the student's own cell crashed.

Usage::

    python -m rnnbook.course.grading exercises/01_dynamical_systems.ipynb
    python -m rnnbook.course.grading my_copy.ipynb --source solutions/01_dynamical_systems.ipynb
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from rnnbook.course.exercises import SOLUTIONS, student_version

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_ATTEMPTED_ERRORS = {"NotImplementedError", "NotAttempted"}


@dataclass
class ExerciseResult:
    """The score of one test cell and, when points were lost, why."""

    grade_id: str
    points: float
    max_points: float
    status: str  # "passed", "failed", "not attempted", "error"
    reason: str = ""


@dataclass
class GradeReport:
    """The scores of one notebook."""

    notebook: str
    results: list[ExerciseResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results)

    @property
    def max_total(self) -> float:
        return sum(r.max_points for r in self.results)

    def by_id(self) -> dict[str, ExerciseResult]:
        return {r.grade_id: r for r in self.results}

    def format(self) -> str:
        width = max([len(r.grade_id) for r in self.results] + [8])
        lines = [f"Grading {self.notebook}"]
        for r in self.results:
            line = (
                f"  {r.grade_id:<{width}}  {_num(r.points):>4} / {_num(r.max_points):<4} {r.status}"
            )
            if r.reason:
                line += f": {r.reason}"
            lines.append(line)
        lines.append(
            f"  {'total':<{width}}  {_num(self.total):>4} / {_num(self.max_total):<4}"
            f" ({self.seconds:.0f} s)"
        )
        return "\n".join(lines)


def _num(x: float) -> str:
    return f"{x:g}"


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution_cell(cell) -> bool:
    return bool(_nbgrader(cell).get("solution"))


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def assemble(student: nbformat.NotebookNode, source: nbformat.NotebookNode):
    """The notebook to execute: the source, with the student's solution cells put in.

    A solution cell the student deleted is replaced by the unanswered stub.
    """
    answers = {
        _nbgrader(c)["grade_id"]: c
        for c in student.cells
        if is_solution_cell(c) and "grade_id" in _nbgrader(c)
    }
    stubs = {
        _nbgrader(c)["grade_id"]: c for c in student_version(source).cells if is_solution_cell(c)
    }
    nb = copy.deepcopy(source)
    for i, cell in enumerate(nb.cells):
        if is_solution_cell(cell):
            gid = _nbgrader(cell).get("grade_id")
            chosen = answers.get(gid, stubs.get(gid, cell))
            nb.cells[i] = copy.deepcopy(chosen)
            nb.cells[i].metadata["nbgrader"] = copy.deepcopy(_nbgrader(cell))
        if nb.cells[i].cell_type == "code":
            nb.cells[i].outputs = []
            nb.cells[i].execution_count = None
    return nb


def _error(cell) -> tuple[str, str] | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return out.get("ename", "Error"), _ANSI.sub("", out.get("evalue", "")).strip()
    return None


def _first_line(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def score(executed: nbformat.NotebookNode, name: str = "") -> GradeReport:
    """Score an executed notebook: one result per test cell."""
    report = GradeReport(notebook=name)
    pending_solutions: list = []
    for cell in executed.cells:
        if is_solution_cell(cell) and cell.cell_type == "code":
            pending_solutions.append(cell)
            continue
        if not is_test_cell(cell):
            continue
        meta = _nbgrader(cell)
        max_points = float(meta.get("points", 0))
        gid = meta.get("grade_id", f"cell {len(report.results) + 1}")
        sol_errors = [e for e in map(_error, pending_solutions) if e]
        pending_solutions = []
        err = _error(cell)
        if err is None:
            report.results.append(ExerciseResult(gid, max_points, max_points, "passed"))
            continue
        ename, evalue = err
        if ename in NOT_ATTEMPTED_ERRORS or any(e[0] in NOT_ATTEMPTED_ERRORS for e in sol_errors):
            report.results.append(ExerciseResult(gid, 0.0, max_points, "not attempted"))
        elif ename == "KeyboardInterrupt" or any(e[0] == "KeyboardInterrupt" for e in sol_errors):
            reason = "a cell ran past its time limit and was interrupted"
            report.results.append(ExerciseResult(gid, 0.0, max_points, "failed", reason))
        elif sol_errors:
            sname, svalue = sol_errors[0]
            reason = f"your solution cell raised {sname}: {_first_line(svalue)}"
            report.results.append(ExerciseResult(gid, 0.0, max_points, "error", reason))
        elif ename == "CheckFailed":
            report.results.append(
                ExerciseResult(gid, 0.0, max_points, "failed", _first_line(evalue))
            )
        elif ename == "AssertionError":
            reason = f"a hidden test failed: {_first_line(evalue) or 'AssertionError'}"
            report.results.append(ExerciseResult(gid, 0.0, max_points, "failed", reason))
        else:
            reason = f"{ename}: {_first_line(evalue)}"
            report.results.append(ExerciseResult(gid, 0.0, max_points, "error", reason))
    return report


def grade(
    student_path: str | Path,
    source_path: str | Path | None = None,
    *,
    cell_timeout: float = 120.0,
    total_timeout: float = 600.0,
    kernel_name: str = "python3",
) -> GradeReport:
    """Grade ``student_path`` against its source (default: ``solutions/<same name>``)."""
    from nbclient import NotebookClient

    student_path = Path(student_path)
    if not student_path.is_file():
        raise FileNotFoundError(f"student_path: no notebook at {student_path}")
    source_path = Path(source_path) if source_path else SOLUTIONS / student_path.name
    if not source_path.is_file():
        raise FileNotFoundError(
            f"source_path: no source notebook at {source_path}; pass --source explicitly"
        )
    for name, value in (("cell_timeout", cell_timeout), ("total_timeout", total_timeout)):
        if not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name}: expected a positive number of seconds, got {value!r}")
    student = nbformat.read(student_path, as_version=4)
    source = nbformat.read(source_path, as_version=4)
    nb = assemble(student, source)

    start = time.monotonic()
    deadline = start + total_timeout

    def timeout_for(cell) -> int:
        return max(1, int(min(cell_timeout, deadline - time.monotonic())))

    client = NotebookClient(
        nb,
        timeout_func=timeout_for,
        kernel_name=kernel_name,
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": str(source_path.parent.resolve())}},
    )
    client.execute()
    report = score(nb, name=str(student_path))
    report.seconds = time.monotonic() - start
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade a student's exercise notebook.")
    parser.add_argument("notebook", type=Path, help="the student's notebook")
    parser.add_argument("--source", type=Path, default=None, help="the solutions notebook")
    parser.add_argument("--cell-timeout", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="for the whole notebook")
    args = parser.parse_args(argv)
    report = grade(
        args.notebook, args.source, cell_timeout=args.cell_timeout, total_timeout=args.timeout
    )
    print(report.format())
    return 0


if __name__ == "__main__":
    sys.exit(main())
