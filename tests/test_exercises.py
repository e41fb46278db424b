"""The exercise pipeline: generation from solutions/, grading, and rejection of wrong answers.

For every notebook in solutions/:
- exercises/ holds exactly what nbgrader's preprocessors make of it (nothing stale);
- the solutions score full marks;
- the untouched exercise notebook scores zero, with one "not attempted" line per exercise;
- a notebook carrying the plausible wrong answers of tests/wrong_answers/ loses exactly the points
  of the exercises answered wrongly.
"""

import copy
import importlib.util
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from rnnbook.course import exercises, grading

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NAMES = [p.stem for p in SOLUTIONS]


def _wrong_answers(stem: str) -> dict:
    path = ROOT / "tests" / "wrong_answers" / f"{stem}.py"
    assert path.is_file(), f"{path} is missing: every exercise needs a plausible wrong answer"
    spec = importlib.util.spec_from_file_location(f"wrong_{stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.WRONG


def _solution_ids(nb) -> list[str]:
    return [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if grading.is_solution_cell(c)]


def test_there_are_exercise_notebooks():
    assert "01_dynamical_systems" in NAMES


def test_exercises_are_in_sync_with_solutions():
    assert exercises.stale() == [], "exercises/ is stale: run `make exercises`"


def test_stale_exercises_are_detected(tmp_path):
    sol, ex = tmp_path / "solutions", tmp_path / "exercises"
    sol.mkdir()
    nb = nbformat.read(SOLUTIONS[0], as_version=4)
    nbformat.write(nb, sol / SOLUTIONS[0].name)
    assert exercises.stale(sol, ex) == [SOLUTIONS[0].name]  # missing
    exercises.generate(sol, ex)
    assert exercises.stale(sol, ex) == []
    nb.cells[0].source += "\nA changed sentence."
    nbformat.write(nb, sol / SOLUTIONS[0].name)
    assert exercises.stale(sol, ex) == [SOLUTIONS[0].name]  # out of date


def test_student_version_hides_solutions_and_hidden_tests():
    for path in SOLUTIONS:
        text = (ROOT / "exercises" / path.name).read_text()
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, path.name
        assert "raise NotImplementedError()" in text, path.name


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_each_exercise_has_enough_points_and_wrong_answers(path):
    nb = nbformat.read(path, as_version=4)
    tests = [c for c in nb.cells if grading.is_test_cell(c)]
    minimum = 3 if path.stem.startswith("01_") else 4
    assert len(tests) >= minimum, f"{path.name}: {len(tests)} graded exercises, need {minimum}"
    assert all(c.metadata["nbgrader"]["points"] > 0 for c in tests)
    assert all("BEGIN HIDDEN TESTS" in c.source for c in tests), "every test cell hides tests"
    wrong = _wrong_answers(path.stem)
    assert sorted(wrong) == sorted(_solution_ids(nb)), "one wrong answer per solution cell"


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_solutions_score_full_marks(path):
    report = grading.grade(path)
    assert report.results, "no graded exercises found"
    assert report.total == report.max_total, report.format()


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_untouched_exercises_score_zero_not_attempted(path):
    report = grading.grade(ROOT / "exercises" / path.name, path)
    assert report.total == 0, report.format()
    assert all(r.status == "not attempted" for r in report.results), report.format()
    lines = report.format().splitlines()
    assert sum("not attempted" in line for line in lines) == len(report.results)
    assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_wrong_answers_lose_their_points(path, tmp_path):
    wrong = _wrong_answers(path.stem)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grading.is_solution_cell(cell) and gid in wrong:
            cell.source = wrong[gid]
    student = tmp_path / path.name
    nbformat.write(nb, student)
    report = grading.grade(student, path)
    # every exercise received a wrong answer, so every one must lose its points, with a reason
    lost = [r for r in report.results if r.points < r.max_points]
    assert len(lost) == len(report.results) == len(wrong), report.format()
    assert all(r.status in {"failed", "error"} and r.reason for r in lost), report.format()


def _tiny_source():
    sol = new_code_cell("def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION")
    sol.metadata["nbgrader"] = {
        "grade": False,
        "solution": True,
        "locked": False,
        "grade_id": "ex1-solution",
        "schema_version": 3,
        "task": False,
    }
    test = new_code_cell(
        "assert f() == 1, 'f() should return 1'\n### BEGIN HIDDEN TESTS\nassert f() + 1 == 2\n### END HIDDEN TESTS"
    )
    test.metadata["nbgrader"] = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 1,
        "grade_id": "ex1-tests",
        "schema_version": 3,
        "task": False,
    }
    nb = new_notebook(cells=[sol, test])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.mark.parametrize(
    "answer, status, reason",
    [
        ("def f():\n    return 2", "failed", "f() should return 1"),
        ("def f():\n    return undefined_name", "error", "NameError"),
        ("import time\ntime.sleep(60)\ndef f():\n    return 1", "failed", "time limit"),
        ("def f(:\n    return 1", "error", "your solution cell raised SyntaxError"),
    ],
)
def test_grader_reasons(tmp_path, answer, status, reason):
    source = _tiny_source()
    nbformat.write(source, tmp_path / "source.ipynb")
    student = copy.deepcopy(source)
    student.cells[0].source = answer
    student.cells[1].source = "pass  # a student cannot edit the tests away"
    nbformat.write(student, tmp_path / "student.ipynb")
    report = grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb", cell_timeout=3)
    (result,) = report.results
    assert (result.points, result.status) == (0, status), report.format()
    assert reason in result.reason


def test_grader_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="student_path: no notebook at"):
        grading.grade(tmp_path / "missing.ipynb")
    nbformat.write(_tiny_source(), tmp_path / "x.ipynb")
    with pytest.raises(FileNotFoundError, match="source_path: no source notebook"):
        grading.grade(tmp_path / "x.ipynb", tmp_path / "nope.ipynb")
    with pytest.raises(ValueError, match="cell_timeout: expected a positive number"):
        grading.grade(tmp_path / "x.ipynb", tmp_path / "x.ipynb", cell_timeout=0)
