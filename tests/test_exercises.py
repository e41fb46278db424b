"""The exercise pipeline: generation from solutions/, grading, and rejection of wrong answers.

For every notebook in solutions/:
- exercises/ holds exactly what nbgrader's preprocessors make of it (nothing stale);
- the solutions score full marks;
- the untouched exercise notebook scores zero, with one "not attempted" line per exercise;
- a notebook carrying the plausible wrong answers of tests/wrong_answers/ loses exactly the points
  of the exercises answered wrongly.
"""

import copy
from pathlib import Path

import nbformat
import pytest
from answer_harness import answers
from nbformat.v4 import new_code_cell, new_notebook

from rnnbook.course import exercises, grading

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NAMES = [p.stem for p in SOLUTIONS]


def _first_answers(stem: str, kind: str) -> dict:
    """Per answer cell, the first wrong (or right) answer of tests/wrong_answers/."""
    wrong, right = answers(stem)
    if kind == "wrong":
        return {gid: table[0][1] for gid, table in wrong.items()}
    return {gid: table[0] for gid, table in right.items()}


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
def test_each_exercise_has_points_and_hidden_tests(path):
    nb = nbformat.read(path, as_version=4)
    tests = [c for c in nb.cells if grading.is_test_cell(c)]
    assert 4 <= len(tests) <= 7, f"{path.name}: {len(tests)} auto-graded exercises, need 4 to 7"
    assert all(c.metadata["nbgrader"]["points"] > 0 for c in tests)
    assert all("BEGIN HIDDEN TESTS" in c.source for c in tests), "every test cell hides tests"
    wrong, right = answers(path.stem)
    assert sorted(wrong) == sorted(_solution_ids(nb)), "wrong answers for every answer cell"
    assert sorted(right) == sorted(_solution_ids(nb)), "right answers for every answer cell"


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


def _with_answers(path: Path, chosen: dict, tmp_path: Path) -> Path:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grading.is_solution_cell(cell) and gid in chosen:
            cell.source = chosen[gid]
    student = tmp_path / path.name
    nbformat.write(nb, student)
    return student


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_wrong_answers_lose_their_points(path, tmp_path):
    wrong = _first_answers(path.stem, "wrong")
    report = grading.grade(_with_answers(path, wrong, tmp_path), path)
    # every exercise received a wrong answer, so every one must lose its points, with a reason
    auto = [r for r in report.results if not r.manual]
    lost = [r for r in auto if r.points < r.max_points]
    assert len(lost) == len(auto) == len(wrong), report.format()
    assert all(r.status in {"failed", "error"} and r.reason for r in lost), report.format()


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_correct_alternatives_score_full_marks(path, tmp_path):
    right = _first_answers(path.stem, "right")
    report = grading.grade(_with_answers(path, right, tmp_path), path)
    assert report.total == report.max_total > 0, report.format()


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


def _with_written_question(nb):
    from nbformat.v4 import new_markdown_cell

    answer = new_markdown_cell("YOUR ANSWER HERE")
    answer.metadata["nbgrader"] = {
        "grade": True,
        "solution": True,
        "locked": False,
        "points": 2,
        "grade_id": "ex2-written",
        "schema_version": 3,
        "task": False,
    }
    nb.cells.append(answer)
    return nb


def _hint_output(exercise: str, number: int) -> dict:
    from rnnbook.course.hints import HINT_MIME

    return nbformat.v4.new_output(
        "display_data",
        data={
            "text/plain": f"Hint {number}",
            HINT_MIME: {"notebook": "x", "exercise": exercise, "hint": number},
        },
    )


def test_hints_are_counted_per_exercise_and_cost_only_when_asked(tmp_path):
    source = _with_written_question(_tiny_source())
    nbformat.write(source, tmp_path / "source.ipynb")
    student = copy.deepcopy(source)
    # hint 1 twice (asked again after a restart) and hint 2: two distinct hints for ex1
    student.cells[0].outputs = [_hint_output("ex1", 1), _hint_output("ex1", 1)]
    student.cells[1].outputs = [_hint_output("ex1", 2)]
    nbformat.write(student, tmp_path / "student.ipynb")
    report = grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb")
    first = report.by_id()["ex1-tests"]
    assert (first.points, first.hints, report.hints_used) == (1, 2, 2), report.format()
    assert "2 hints used" in report.format() and "Hints used: 2" in report.markdown()
    paid = grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb", hint_penalty=0.25)
    assert paid.by_id()["ex1-tests"].points == 0.5, paid.format()
    with pytest.raises(ValueError, match="hint_penalty: expected points"):
        grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb", hint_penalty=-1)


def test_written_answers_are_left_to_the_instructor(tmp_path):
    source = _with_written_question(_tiny_source())
    nbformat.write(source, tmp_path / "source.ipynb")
    report = grading.grade(tmp_path / "source.ipynb", tmp_path / "source.ipynb")
    written = report.by_id()["ex2-written"]
    assert (written.manual, written.status) == (True, "not attempted")
    assert (report.total, report.max_total, report.manual_points) == (1, 1, 2)
    student = copy.deepcopy(source)
    student.cells[2].source = "Because the gradient is a product of Jacobians."
    nbformat.write(student, tmp_path / "student.ipynb")
    report = grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb")
    written = report.by_id()["ex2-written"]
    assert written.status == "to grade by hand" and written.points == 0
    assert "2 points of written answers to grade by hand" in report.format()
    book = tmp_path / "grades.csv"
    grading.write_gradebook([report], book)
    assert "by hand" in book.read_text()


def test_hints_are_shown_one_at_a_time():
    from rnnbook.course.hints import Hints

    hints = Hints("04", {"ex1": ["first", "second"]})
    assert hints("ex1") == "first" and hints("ex1") == "second" and hints("ex1") == "second"
    with pytest.raises(ValueError, match="one at a time"):
        Hints("04", {"ex1": ["a", "b", "c"]})("ex1", 3)
    with pytest.raises(KeyError, match="no hints for 'ex9'"):
        hints("ex9")
    with pytest.raises(ValueError, match="one to three hints"):
        Hints("04", {"ex1": []})


def test_a_hint_asked_for_in_an_answer_cell_costs_nothing(tmp_path):
    source = _tiny_source()
    nbformat.write(source, tmp_path / "source.ipynb")
    student = copy.deepcopy(source)
    student.cells[0].source = (
        "from rnnbook.course.checks import nb01 as checks\n"
        'checks.hint("ex1")\n'
        "def f():\n    return 1\n"
    )
    nbformat.write(student, tmp_path / "student.ipynb")
    report = grading.grade(tmp_path / "student.ipynb", tmp_path / "source.ipynb")
    assert report.total == report.max_total == 1, report.format()
