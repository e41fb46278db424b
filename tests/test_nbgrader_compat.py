"""An instructor who runs nbgrader itself can use solutions/ unchanged.

In a temporary nbgrader course, ``nbgrader generate_assignment`` releases every solutions
notebook, and ``nbgrader autograde`` gives a copy of a solution full marks and its released
student version zero.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NB = "01_dynamical_systems"


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_nbgrader_generates_and_autogrades(tmp_path):
    course = tmp_path / "course"
    (course / "source" / "ps1").mkdir(parents=True)
    for path in (ROOT / "solutions").glob("*.ipynb"):
        shutil.copy(path, course / "source" / "ps1")
    (course / "nbgrader_config.py").write_text(
        'c = get_config()\nc.CourseDirectory.course_id = "rnnbook"\n'
    )
    done = _nbgrader(course, "generate_assignment", "ps1", "--force")
    assert done.returncode == 0, done.stdout + done.stderr
    released = sorted(p.name for p in (course / "release" / "ps1").glob("*.ipynb"))
    assert released == sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb"))

    for student, source in (("good", course / "source"), ("blank", course / "release")):
        (course / "submitted" / student / "ps1").mkdir(parents=True)
        shutil.copy(source / "ps1" / f"{NB}.ipynb", course / "submitted" / student / "ps1")
        assert _nbgrader(course, "db", "student", "add", student).returncode == 0
    done = _nbgrader(course, "autograde", "ps1", "--force")
    assert done.returncode == 0, done.stdout + done.stderr

    script = (
        "from nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:///{course / 'gradebook.db'}') as gb:\n"
        "    for s in ('good', 'blank'):\n"
        f"        nb = gb.find_submission_notebook('{NB}', 'ps1', s)\n"
        "        print(s, nb.code_score, nb.max_code_score)\n"  # written answers: by hand
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    scores = {line.split()[0]: line.split()[1:] for line in out.stdout.splitlines()}
    score, max_score = map(float, scores["good"])
    assert score == max_score > 0, out.stdout + out.stderr
    assert scores["blank"][0] == "0.0", out.stdout
