"""The grader against what students really do: cheats, confinement, limits, real hand-ins, a class.

Every test grades with real kernels. Submissions are built from the released notebooks in
exercises/ and graded together, in parallel, to keep the suite quick.
"""

import copy
import hashlib
import os
import time
from pathlib import Path

import nbformat
import pytest
from cheats.cheats import CHEATS, EULER_STEP, OSCILLATOR_RHS

from rnnbook.course import grading, sandbox

ROOT = Path(__file__).resolve().parents[1]
NB01 = "01_dynamical_systems"


def _answers(stem: str) -> dict[str, str]:
    """The solutions' answer cells, by grade_id."""
    nb = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
    return {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nb.cells
        if grading.is_solution_cell(c)
    }


def _submission(stem: str, answers: dict[str, str]) -> nbformat.NotebookNode:
    nb = nbformat.read(ROOT / "exercises" / f"{stem}.ipynb", as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grading.is_solution_cell(cell) and gid in answers:
            cell.source = answers[gid]
    return nb


def _tree_digest() -> str:
    h = hashlib.sha256()
    for path in sorted((ROOT / "rnnbook" / "course").rglob("*.py")) + sorted(
        (ROOT / "solutions").glob("*.ipynb")
    ):
        h.update(path.read_bytes())
    return h.hexdigest()


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(pid))
    return found


@pytest.fixture(scope="module")
def cheats(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cheats")
    for name, (stem, answers, _points) in CHEATS.items():
        nbformat.write(_submission(stem, answers), folder / f"{name}.ipynb")
    before = _tree_digest()
    subs = [(name, folder / f"{name}.ipynb") for name in CHEATS]
    reports = grading.grade_class(subs, workers=2, cell_timeout=60)
    return {r.student: r for r in reports}, before, _tree_digest()


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_each_cheat_scores_what_it_earned(cheats, name):
    reports, _, _ = cheats
    report = reports[name]
    assert report.results and not report.problem, report.format()
    assert report.total == CHEATS[name][2], report.format()
    lost = [r for r in report.results if r.points < r.max_points]
    assert all(r.status != "passed" for r in lost), report.format()


def test_cheats_changed_nothing_and_left_nothing_running(cheats):
    _, before, after = cheats
    if not sandbox.can_confine():
        pytest.skip("the kernel is not confined on this machine")
    assert after == before, "a submission changed the grader or solutions/"
    assert _processes_with("rnnbook-cheat-detached") == [], "a student's process survived"


def test_flooding_is_quick_and_fails(cheats):
    report = cheats[0]["flood"]
    assert report.by_id()["ex1-tests"].status == "failed", report.format()
    assert report.seconds < 60, report.format()


# --- confinement ---------------------------------------------------------------------------


def test_the_kernel_is_confined():
    if not sandbox.can_confine():
        box = sandbox.Sandbox()
        assert box.protections_off(), "an unconfined kernel must say which protections are off"
        pytest.skip("not root on Linux: the kernel runs unconfined (the report says so)")
    probe = (
        "import os, socket\n"
        "def facts():\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', 22), timeout=1).close()\n"
        "        net = 'connected'\n"
        "    except OSError as err:\n"
        "        net = type(err).__name__\n"
        "    try:\n"
        "        open({!r}, 'a')\n"
        "        wrote = True\n"
        "    except OSError:\n"
        "        wrote = False\n"
        "    return (os.getuid(), os.getgid(), os.path.exists({!r}), os.path.exists({!r}), wrote,\n"
        "            net, os.listdir('/tmp'), os.getpid())\n"
    ).format(
        str(ROOT / "rnnbook" / "planted.py"),
        str(ROOT / "solutions" / f"{NB01}.ipynb"),
        str(ROOT / "rnnbook" / "course" / "grading.py"),
    )
    with sandbox.Sandbox() as box:
        remote = grading.Remote(box)
        box.start(time.monotonic() + 60)
        assert "ok" in remote.run(probe)
        uid, gid, solutions, grader, wrote, net, tmp, pid = grading.StudentFunction(
            remote, "facts"
        )()
        inside = _descendants(box.proc.pid)
        assert len(inside) >= 2, f"expected the namespace's shell and the kernel, got {inside}"
    # leaving the sandbox killed unshare; its --kill-child took the whole namespace with it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in inside):
        time.sleep(0.1)
    assert not [p for p in inside if _alive(p)], "a process of the kernel survived grading"
    assert (uid, gid) == (65534, 65534)
    assert not solutions and not grader and not wrote
    assert net != "connected" and tmp == []
    # the namespace's first process is a root shell that keeps unshare's --kill-child armed (a
    # change of user would clear it); the kernel is its child, numbered inside the namespace
    assert 1 < pid and pid not in inside, "the kernel runs inside its own PID namespace"
    assert not (ROOT / "rnnbook" / "planted.py").exists()


# --- limits --------------------------------------------------------------------------------


def _limit_submission(tmp_path, name, answers):
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(_submission(NB01, answers), path)
    return path


def test_limits_stop_what_they_should(tmp_path):
    stubborn = _limit_submission(
        tmp_path,
        "stubborn",
        {
            "ex1-solution": "import signal\n"
            "def euler_step(g, s, t, dt):\n"
            "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "    while True:\n"
            "        pass\n",
            "ex2-solution": OSCILLATOR_RHS,
        },
    )
    hungry = _limit_submission(
        tmp_path,
        "hungry",
        {
            "ex1-solution": EULER_STEP,
            "ex2-solution": "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    grow = []\n"
            "    while True:\n"
            "        grow.append(np.empty(10**8, dtype=np.uint8))\n",
        },
    )
    crash = _limit_submission(
        tmp_path,
        "crash",
        {
            "ex1-solution": EULER_STEP,
            "ex2-solution": "import ctypes\n"
            "def oscillator_rhs(state, t, k, m, gamma, A):\n"
            "    return ctypes.string_at(0)\n",
            "ex4-solution": "dt_max_q4 = 0.02\n",
        },
    )
    limits = sandbox.Limits(memory_bytes=3 * 1024**3)
    reports = grading.grade_class(
        [("stubborn", stubborn), ("hungry", hungry), ("crash", crash)],
        workers=2,
        cell_timeout=8,
        limits=limits,
    )
    stubborn_r, hungry_r, crash_r = reports
    # the endless loop that ignores signals: stopped at the limit, later exercises still graded
    ex1 = stubborn_r.by_id()["ex1-tests"]
    assert ex1.status == "failed" and "time limit" in ex1.reason, stubborn_r.format()
    assert stubborn_r.by_id()["ex2-tests"].status == "passed", stubborn_r.format()
    # unbounded memory: the limit stops it with an error, not the machine
    ex2 = hungry_r.by_id()["ex2-tests"]
    assert ex2.points == 0 and "MemoryError" in ex2.reason, hungry_r.format()
    assert hungry_r.by_id()["ex1-tests"].status == "passed", hungry_r.format()
    # a dead kernel: the points already earned stay, the reason is given, the rest is graded
    ex2 = crash_r.by_id()["ex2-tests"]
    assert ex2.points == 0 and "kernel" in ex2.reason, crash_r.format()
    assert crash_r.total == 6, crash_r.format()  # exercise 1 (4 points) and 4 (2 points)


def test_a_kernel_that_ignores_signals_is_stopped_at_the_limit():
    with sandbox.Sandbox() as box:
        remote = grading.Remote(box)
        box.start(time.monotonic() + 120)
        loop = (
            "import os, signal, subprocess\n"
            "for _s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
            "    signal.signal(_s, signal.SIG_IGN)\n"
            "subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            "while True:\n"
            "    pass\n"
        )
        remote.budget, remote.deadline = 3.0, time.monotonic() + 600
        start = time.monotonic()
        with pytest.raises(sandbox.KernelTimeout):
            remote.run(loop)
        stopped = time.monotonic() - start
        assert box.proc.poll() is not None, "the kernel is still running"
    assert 3.0 <= stopped < 6.0, f"stopped {stopped:.1f} s after the start, the limit is 3 s"


# --- the notebooks students really hand in ------------------------------------------------


def _strip(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    return nb


@pytest.fixture(scope="module")
def handins(tmp_path_factory):
    folder = tmp_path_factory.mktemp("handins")
    answers = _answers(NB01)
    # alice: added cells with a helper, an import in the setup cell, metadata stripped, renamed
    nb = _submission(
        NB01,
        {
            **answers,
            "ex2-solution": (
                "def oscillator_rhs(state, t, k, m, gamma, A):\n"
                "    s, v = state\n"
                "    return np.array([v, _force(s, v, t, k, gamma, A) / m])\n"
            ),
        },
    )
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source += "\nimport math"
    first_answer = next(i for i, c in enumerate(nb.cells) if grading.is_solution_cell(c))
    nb.cells.insert(
        first_answer,
        nbformat.v4.new_code_cell(
            "def _force(s, v, t, k, gamma, A):\n    return -k * s - gamma * v + A * math.cos(t)"
        ),
    )
    nb.cells.insert(first_answer, nbformat.v4.new_markdown_cell("My own helper:"))
    nbformat.write(_strip(nb), folder / f"alice_{NB01}-Copy1.ipynb")
    # bob, nbgrader's layout: a scratch copy of an answer below the original, one answer turned
    # into Markdown
    nb = _submission(NB01, answers)
    idx = next(
        i
        for i, c in enumerate(nb.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == "ex1-solution"
    )
    scratch = copy.deepcopy(nb.cells[idx])
    scratch["id"] = "scratch-copy"
    scratch.source = "def euler_step(g, s, t, dt):\n    return s  # trying something"
    nb.cells.insert(idx + 1, scratch)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") == "ex4-solution":
            c.cell_type = "markdown"
            c.pop("outputs", None)
            c.pop("execution_count", None)
    (folder / "bob" / "ps1").mkdir(parents=True)
    nbformat.write(nbformat.from_dict(nb), folder / "bob" / "ps1" / f"{NB01}.ipynb")
    # carol, dave, erin: files that are not gradable notebooks
    (folder / "carol.ipynb").write_text("")
    text = nbformat.writes(_submission(NB01, answers))
    (folder / "dave.ipynb").write_text(text[: len(text) // 2])
    (folder / "erin.ipynb").write_text("def euler_step(g, s, t, dt):\n    return s\n")
    gradebook, feedback = folder.parent / "grades.csv", folder.parent / "feedback"
    status = grading.main(
        [
            str(folder),
            "--workers",
            "2",
            "--gradebook",
            str(gradebook),
            "--feedback",
            str(feedback),
            "--fail-under",
            "50",
        ]
    )
    return folder, status, gradebook, feedback, None


def _row(gradebook: Path, student: str) -> dict:
    import csv

    with open(gradebook, newline="") as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    return rows[student]


def test_a_real_handin_with_added_cells_stripped_metadata_and_a_new_name(handins):
    _, _, gradebook, feedback, _ = handins
    row = _row(gradebook, "alice")
    assert row["notebook"] == NB01 and row["total"] == "16" and row["max"] == "16", row
    assert row["hints_used"] == "0" and row["ex1-tests"] == "4" and row["ex2-tests"] == "3"
    text = (feedback / "alice" / f"{NB01}.md").read_text()
    assert "no nbgrader metadata" in text and "cells you added" in text
    assert "by its content, not its file name" in text


def test_duplicates_and_markdown_cells_are_reported(handins):
    _, _, gradebook, feedback, _ = handins
    row = _row(gradebook, "bob")
    assert row["ex1-tests"] == "4" and row["ex4-tests"] == "0", row
    text = (feedback / "bob" / f"{NB01}.md").read_text()
    assert "ex1-solution appears in cells" in text and "was used" in text
    assert "turned into Markdown" in text


@pytest.mark.parametrize(
    "student, line",
    [
        ("carol", "the file is empty"),
        ("dave", "truncated or corrupt"),
        ("erin", "not a notebook: it holds Python source"),
    ],
)
def test_unreadable_files_get_one_line(handins, student, line):
    _, _, gradebook, feedback, _ = handins
    row = _row(gradebook, student)
    assert line in row["problem"] and row["total"] == "0", row
    assert "Traceback" not in (feedback / student / f"{student}.md").read_text()


def test_fail_under_sets_the_exit_status(handins):
    _, status, _, _, _ = handins
    assert status == 1


def test_validate_runs_the_visible_checks(tmp_path, capsys):
    nb = _submission(
        NB01,
        {
            **_answers(NB01),
            "ex2-solution": "def oscillator_rhs(state, t, k, m, gamma, A):\n    return state\n",
        },
    )
    path = tmp_path / "mine.ipynb"
    nbformat.write(nb, path)
    status = grading.main(["--validate", str(path), "--workers", "1", "--fail-under", "100"])
    out = capsys.readouterr().out
    assert status == 1, out
    assert "exercises/" in out or "exercises" in out
    assert "ex1-tests     4 / 4    passed" in out and "ex2-tests     0 / 3" in out, out
    assert "hidden tests" in out


def test_an_unconfined_kernel_says_which_protections_are_off(tmp_path):
    nb = _submission(NB01, {"ex1-solution": EULER_STEP})
    nbformat.write(nb, tmp_path / f"{NB01}.ipynb")
    report = grading.grade(tmp_path / f"{NB01}.ipynb", confine=False)
    assert report.by_id()["ex1-tests"].status == "passed", report.format()
    assert report.protections_off, report.format()
    assert "protection off: the kernel runs as the grader's own user" in report.format()


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid``, read from /proc."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in os.listdir(f"/proc/{parent}/task") if os.path.isdir(f"/proc/{parent}") else []:
            try:
                with open(f"/proc/{parent}/task/{task}/children") as f:
                    kids = [int(c) for c in f.read().split()]
            except OSError:
                continue
            found += kids
            todo += kids
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
