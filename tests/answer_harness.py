"""Run one answer to one exercise the way the grader scores it, fast enough for every answer.

``tests/wrong_answers/NN_topic.py`` holds, per answer cell (its nbgrader ``grade_id``):

- ``WRONG[gid]``: at least three plausible wrong answers, each ``(pattern, code)``: the
  exercise's checks must fail, and their message must match ``pattern`` (a regular expression,
  case-insensitive) that names the mistake;
- ``RIGHT[gid]``: at least two correct answers written differently from the solution, each
  passing every check, hidden ones included.

The answer replaces the solution cell; the notebook's other code cells (setup, the other
answers, the demonstrations) run first, as they would in the student's kernel, and then the
exercise's test cells, hidden tests included, run in the same process. The grader itself runs
the same test cells on the same answers (``tests/test_exercises.py`` grades a notebook made of
the first wrong answer of every exercise, and one made of the first correct alternative).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import io
import os
import re
from pathlib import Path

import nbformat

from rnnbook.course import grading

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
ANSWERS = ROOT / "tests" / "wrong_answers"


def answers(stem: str) -> tuple[dict, dict]:
    """``(WRONG, RIGHT)`` of notebook ``stem``."""
    path = ANSWERS / f"{stem}.py"
    spec = importlib.util.spec_from_file_location(f"answers_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG, getattr(module, "RIGHT", {})


def exercises(stem: str) -> list[str]:
    """The grade_ids of the notebook's auto-graded answer cells, in order."""
    nb = nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if grading.is_solution_cell(c)]


def cases(stem: str, kind: str) -> list[tuple[str, int]]:
    """pytest parameters: (grade_id, index) of every wrong (``kind="wrong"``) or right answer."""
    wrong, right = answers(stem)
    table = wrong if kind == "wrong" else right
    return [(gid, i) for gid in exercises(stem) for i in range(len(table.get(gid, [])))]


@functools.cache
def _notebook(stem: str):
    return nbformat.read(SOLUTIONS / f"{stem}.ipynb", as_version=4)


@functools.cache
def _base_namespace(stem: str) -> dict:
    """The namespace after every non-test code cell of the solutions notebook ran."""
    nb = _notebook(stem)
    ns: dict = {"__name__": "__main__"}
    with _in(SOLUTIONS), contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type == "code" and not grading.is_test_cell(cell):
                exec(compile(cell.source, "<cell>", "exec"), ns)
    return ns


@contextlib.contextmanager
def _in(folder: Path):
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(old)


def run(stem: str, gid: str, code: str) -> tuple[bool, str]:
    """Put ``code`` in place of answer cell ``gid`` and run the exercise's tests.

    Returns ``(passed, message)``: the message of the first failure, or "" when all passed.
    """
    nb = _notebook(stem)
    key = grading.exercise_key(gid)
    ns = dict(_base_namespace(stem))
    with _in(SOLUTIONS), contextlib.redirect_stdout(io.StringIO()):
        try:
            for cell in nb.cells:  # every answer afresh, so that functions see this namespace
                if grading.is_solution_cell(cell):
                    this = cell.metadata["nbgrader"]["grade_id"] == gid
                    exec(compile(code if this else cell.source, "<answer>", "exec"), ns)
            for cell in nb.cells:
                if grading.is_test_cell(cell):
                    if grading.exercise_key(cell.metadata["nbgrader"]["grade_id"]) == key:
                        exec(compile(cell.source, "<tests>", "exec"), ns)
        except Exception as err:  # noqa: BLE001 - any failure is what we look at
            return False, f"{type(err).__name__}: {err}"
    return True, ""


def check_wrong(stem: str, gid: str, i: int) -> None:
    pattern, code = answers(stem)[0][gid][i]
    passed, message = run(stem, gid, code)
    assert not passed, f"{stem} {gid}: wrong answer {i} scored:\n{code}"
    assert re.search(pattern, message, re.IGNORECASE | re.DOTALL), (
        f"{stem} {gid}: wrong answer {i} failed, but its message does not name the mistake "
        f"({pattern!r}):\n{message}"
    )


def check_right(stem: str, gid: str, i: int) -> None:
    code = answers(stem)[1][gid][i]
    passed, message = run(stem, gid, code)
    assert passed, f"{stem} {gid}: correct answer {i} was rejected: {message}\n{code}"


def check_counts(stem: str) -> None:
    """At least three wrong and two right answers per exercise, none of them the solution."""
    wrong, right = answers(stem)
    nb = _notebook(stem)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if grading.is_solution_cell(c)
    }
    for gid, source in solutions.items():
        assert len(wrong.get(gid, [])) >= 3, f"{stem} {gid}: needs ≥ 3 wrong answers"
        assert len(right.get(gid, [])) >= 2, f"{stem} {gid}: needs ≥ 2 correct answers"
        solution = _strip(source)
        for code in right[gid]:
            assert _strip(code) != solution, f"{stem} {gid}: a 'right' answer is the solution"
    assert set(wrong) <= set(solutions) and set(right) <= set(solutions), (
        f"{stem}: answers for cells the notebook does not have: "
        f"{sorted((set(wrong) | set(right)) - set(solutions))}"
    )


def _strip(source: str) -> str:
    text = re.sub(r"\s*### (BEGIN|END) SOLUTION", "", source)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())
