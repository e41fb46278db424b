"""What the exercise notebooks ask of students, checked against the course's rules.

Every notebook in solutions/ has 4 to 7 auto-graded exercises, each under a heading
``## Exercise N · KIND (P points): title`` with KIND one of derive, build, understand; at least
one of each kind, at least two "understand" questions, and at least one written question
``## Written question (P points, graded by hand): title`` answered in a Markdown cell that
nbgrader marks for manual grading. Every exercise offers one to three hints
(``checks.hint("exN")``). Hidden tests draw their inputs afresh from the instructor-only
references. The backward passes the lecture notes derive are practised as "derive" exercises
whose prompts give the forward pass, not the gradients. No skill is practised twice.
"""

import ast
import importlib
import re
from pathlib import Path

import nbformat
import pytest

from rnnbook.course import grading

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
NAMES = [p.stem for p in SOLUTIONS]
HEADING = re.compile(r"^## Exercise (\d+) · (derive|build|understand) \((\d+) points?\): \S")
WRITTEN = re.compile(r"^## Written question \((\d+) points?, graded by hand\): \S")
# the derive exercises the course must have: function name -> notebooks it may live in
REQUIRED_DERIVE = {
    "rnn_step_backward": {"04"},
    "rnn_backward": {"04"},
    "grad_U_L3": {"04"},
    "truncated_bptt": {"04", "05"},
    "lstm_step_backward": {"07"},
    "gru_step_backward": {"07"},
}
# written-out gradients that a derive prompt must not hand over
GIVEAWAYS = [r"1\s*-\s*h", r"\^\{?\\top", r"\.T\b", r"1\s*-\s*\\tanh", r"\\operatorname\{sech\}"]


def _exercises(nb):
    """[(number, kind, points, prompt markdown, solution cell, test cell)] in order."""
    out, current = [], None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = HEADING.match(cell.source)
            if m:
                current = [int(m[1]), m[2], int(m[3]), cell.source, None, None]
                out.append(current)
        elif current is not None and grading.is_solution_cell(cell) and current[4] is None:
            current[4] = cell
        elif current is not None and grading.is_test_cell(cell) and current[5] is None:
            current[5] = cell
    return out


def _defined(cell) -> list[str]:
    try:
        tree = ast.parse(re.sub(r"### (BEGIN|END) SOLUTION", "", cell.source))
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_exercises_are_labelled_with_kind_and_points(path):
    nb = nbformat.read(path, as_version=4)
    found = _exercises(nb)
    tests = [c for c in nb.cells if grading.is_test_cell(c)]
    assert 4 <= len(found) <= 7, f"{path.name}: {len(found)} labelled exercises, need 4 to 7"
    assert len(found) == len(tests), f"{path.name}: every auto-graded test needs a labelled heading"
    assert [n for n, *_ in found] == list(range(1, len(found) + 1)), "numbered 1, 2, 3, …"
    kinds = [k for _, k, *_ in found]
    assert {"derive", "build", "understand"} <= set(kinds), f"{path.name}: kinds {kinds}"
    assert kinds.count("understand") >= 2, f"{path.name}: needs two understand questions"
    for n, _kind, points, _prompt, solution, test in found:
        assert solution is not None and test is not None, f"{path.name} exercise {n}"
        assert test.metadata["nbgrader"]["points"] == points, f"{path.name} exercise {n} points"
        key = grading.exercise_key(test.metadata["nbgrader"]["grade_id"])
        assert key == f"ex{n}", f"{path.name}: exercise {n} is graded as {key}"
        assert key == grading.exercise_key(solution.metadata["nbgrader"]["grade_id"])


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_a_written_question_graded_by_hand(path):
    nb = nbformat.read(path, as_version=4)
    cells = nb.cells
    heads = [
        i for i, c in enumerate(cells) if c.cell_type == "markdown" and WRITTEN.match(c.source)
    ]
    assert heads, f"{path.name}: needs a written question graded by hand"
    for i in heads:
        answer = next(c for c in cells[i + 1 :] if grading.is_written_answer(c))
        points = int(WRITTEN.match(cells[i].source)[1])
        assert answer.metadata["nbgrader"]["points"] == points


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_every_exercise_has_one_to_three_hints(path):
    nb = nbformat.read(path, as_version=4)
    checks = importlib.import_module(f"rnnbook.course.checks.nb{path.stem[:2]}")
    for n, _, _, prompt, _, _ in _exercises(nb):
        hints = checks.HINTS.get(f"ex{n}")
        assert hints and 1 <= len(hints) <= 3, f"{path.name} exercise {n}: 1 to 3 hints"
        assert f'checks.hint("ex{n}")' in prompt, f"{path.name} exercise {n}: say how to ask"
    assert set(checks.HINTS) == {f"ex{n}" for n, *_ in _exercises(nb)}


@pytest.mark.parametrize("path", SOLUTIONS, ids=NAMES)
def test_hidden_tests_use_fresh_inputs_and_instructor_references(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if grading.is_test_cell(cell):
            hidden = cell.source.split("### BEGIN HIDDEN TESTS", 1)[-1]
            assert "rnnbook.course.references" in hidden, (
                f"{path.name} {cell.metadata['nbgrader']['grade_id']}: hidden tests compare "
                "with rnnbook.course.references on fresh inputs"
            )
    setup = "\n".join(
        c.source for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader")
    )
    assert "references" not in setup, "the students' cells must not import the references"


def test_checks_shipped_to_students_hold_no_references():
    for path in (ROOT / "rnnbook" / "course" / "checks").glob("*.py"):
        assert "references" not in path.read_text(encoding="utf-8").split('"""', 2)[-1], path


def test_the_required_derivations_are_derive_exercises():
    where: dict[str, set[str]] = {}
    for path in SOLUTIONS:
        for n, kind, _, prompt, solution, _ in _exercises(nbformat.read(path, as_version=4)):
            for name in _defined(solution):
                if kind == "derive":
                    where.setdefault(name, set()).add(path.stem[:2])
                    for pattern in GIVEAWAYS:
                        assert not re.search(pattern, prompt), (
                            f"{path.name} exercise {n}: the prompt hands over the gradient "
                            f"({pattern}); the formulas belong in the lecture notebook"
                        )
    for name, allowed in REQUIRED_DERIVE.items():
        assert where.get(name) and where[name] <= allowed, (
            f"derive exercise {name} in notebook(s) {sorted(allowed)}: found in {where.get(name)}"
        )


def test_no_skill_is_practised_twice():
    seen: dict[str, str] = {}
    for path in SOLUTIONS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if grading.is_solution_cell(cell):
                for name in _defined(cell):
                    assert name not in seen, (
                        f"{name} is an exercise in {seen.get(name)} and {path.name}"
                    )
                    seen[name] = path.name
