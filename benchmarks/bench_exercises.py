"""The exercises as an instructor sees them: a table per notebook, and how reliable the checks of
the build exercises are over fresh draws.

``--table`` executes each solution notebook cell by cell (in a kernel, as a student's notebook
runs) and prints, per exercise: its kind, points, hints, the seconds its solution and its checks
(visible and hidden) take, and how many wrong and other correct answers in
``tests/wrong_answers/`` test it.

``--sweep`` grades answers to the build exercises, whose hidden tests train a model on inputs
drawn fresh at every grading, over many draws (``--every``: to every exercise). The draws are
replayable: ``rnnbook.course.references.fresh_seed`` is replaced for the run, and the seed of
draw i is ``--first-seed`` + i (default 10,000). It uses the test suite's harness
(``tests/answer_harness.py``): every code cell of the solution notebook runs, with the answer put
in place of the exercise's answer cell, then the exercise's test cells. It counts the draws on
which a correct answer (the solution and each alternative in ``tests/wrong_answers/``) is
rejected, and, with ``--wrong``, those on which a wrong answer is accepted.

    .venv/bin/python benchmarks/bench_exercises.py --table
    .venv/bin/python benchmarks/bench_exercises.py --sweep --draws 100
    .venv/bin/python benchmarks/bench_exercises.py --sweep --draws 40 --wrong --only 07_lstm_gru
    .venv/bin/python benchmarks/bench_exercises.py --sweep --every --wrong --draws 30
    .venv/bin/python benchmarks/bench_exercises.py --sweep --tiny     (seconds; what CI runs)

Set ``RNNBOOK_DATA_DIR`` where the corpora are local (notebook 06's exercise reads one).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import platform
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("MPLBACKEND", "Agg")

import nbformat  # noqa: E402

import rnnbook.course.references as references  # noqa: E402
from rnnbook.course import grading  # noqa: E402

HEADING = re.compile(r"## Exercise (\d+) · (\w+) \((\d+) points?\): (.*)")
# the build exercises whose hidden tests train on fresh draws
TRAINING = {
    "02_computational_graphs": "ex5-solution",
    "03_recurrent_networks": "ex7-solution",
    "04_bptt": "ex6-solution",
    "05_vanishing_gradients": "ex2-solution",
    "06_language_models": "ex5-solution",
    "07_lstm_gru": "ex3-solution",
    "09_neuroscience": "ex2-solution",
}


def _load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except (AttributeError, OSError):
        return "n/a"


def _exercises(nb) -> list[tuple[str, str, int, str]]:
    """``(key, kind, points, title)`` of each auto-graded exercise, from its heading."""
    found = []
    for cell in nb.cells:
        match = HEADING.match(cell.source.splitlines()[0]) if cell.cell_type == "markdown" else None
        if match and cell.source:
            number, kind, points, title = match.groups()
            found.append((f"ex{number}", kind, int(points), title))
    return found


def table(stems: list[str]) -> None:
    import importlib

    import answer_harness
    from nbclient import NotebookClient

    total_points = total = 0
    for stem in stems:
        path = ROOT / "solutions" / f"{stem}.ipynb"
        nb = nbformat.read(path, as_version=4)
        seconds: dict[str, float] = {}
        client = NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(path.parent)}})
        with client.setup_kernel():
            for i, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                t0 = time.perf_counter()
                client.execute_cell(cell, i)
                gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                key = grading.exercise_key(gid) if gid else ""
                if key.startswith("ex"):
                    seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - t0
        hints = importlib.import_module(f"rnnbook.course.checks.nb{stem[:2]}").HINTS
        wrong, right = answer_harness.answers(stem)
        print(f"\n**{stem}**\n")
        print("| # | kind | points | hints | solution + checks | wrong answers | other correct |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for key, kind, points, title in _exercises(nb):
            n_wrong = sum(len(v) for gid, v in wrong.items() if gid.startswith(f"{key}-"))
            n_right = sum(len(v) for gid, v in right.items() if gid.startswith(f"{key}-"))
            print(
                f"| {key[2:]} {title} | {kind} | {points} | {len(hints.get(key, []))} | "
                f"{seconds.get(key, 0.0):.1f} s | {n_wrong} | {n_right} |"
            )
            total, total_points = total + 1, total_points + points
    print(f"\n{total} auto-graded exercises, {total_points} points")


def sweep(
    stems: list[str], draws: int, with_wrong: bool, every: bool = False, first_seed: int = 10_000
) -> None:
    import answer_harness

    print("| notebook | answer | draws | correct rejected | wrong accepted | seconds |")
    print("|---|---|---:|---:|---:|---:|")
    for stem in stems:
        nb = nbformat.read(ROOT / "solutions" / f"{stem}.ipynb", as_version=4)
        solutions = {
            c.metadata["nbgrader"]["grade_id"]: c.source
            for c in nb.cells
            if grading.is_solution_cell(c)
        }
        for gid in solutions if every else [TRAINING[stem]]:
            _sweep_one(answer_harness, stem, gid, solutions[gid], draws, with_wrong, first_seed)


def _sweep_one(answer_harness, stem, gid, solution, draws, with_wrong, first_seed) -> None:
    """Grade the solution and the other answers to ``gid`` on each draw; print a row each."""
    wrong, right = answer_harness.answers(stem)
    answers = [("solution", solution, False)]
    answers += [(f"right {i}", code, False) for i, code in enumerate(right.get(gid, []))]
    if with_wrong:
        answers += [(f"wrong {i}", code, True) for i, (_, code) in enumerate(wrong.get(gid, []))]
    for name, code, is_wrong in answers:
        bad, t0, first = 0, time.perf_counter(), ""
        for i in range(draws):
            references.fresh_seed = lambda i=i: first_seed + i
            passed, message = answer_harness.run(stem, gid, code)
            if passed == is_wrong:
                bad += 1
                first = first or f"draw {i}: {message[:300]}"
        rejected, accepted = ("–", bad) if is_wrong else (bad, "–")
        print(
            f"| {stem} {gid[:-9]} | {name} | {draws} | {rejected} | {accepted} | "
            f"{time.perf_counter() - t0:.0f} |",
            flush=True,
        )
        if first:
            print(f"|   | first: {first} | | | | |", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", action="store_true", help="the table per notebook")
    what.add_argument("--sweep", action="store_true", help="build exercises over fresh draws")
    parser.add_argument("--draws", type=int, default=100, help="fresh draws per answer")
    parser.add_argument("--wrong", action="store_true", help="sweep the wrong answers too")
    parser.add_argument(
        "--every", action="store_true", help="sweep every exercise, not only the build ones"
    )
    parser.add_argument("--first-seed", type=int, default=10_000, help="the seed of draw 0")
    parser.add_argument("--only", nargs="+", default=None, metavar="STEM", help="notebooks")
    parser.add_argument("--tiny", action="store_true", help="one draw of 04's build exercise")
    args = parser.parse_args(argv)
    if args.draws < 1:
        parser.error(f"--draws: expected a whole number ≥ 1, got {args.draws}")
    known = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))
    allowed = sorted(TRAINING) if args.sweep and not args.every else known
    stems = args.only or allowed
    unknown = [s for s in stems if s not in allowed]
    if unknown:
        choices = ", ".join(allowed)
        parser.error(f"--only: expected some of {choices}; got {', '.join(unknown)}")
    if args.tiny:
        stems, args.draws = ["04_bptt"], 1
    print(
        f"machine   {platform.platform()}; {os.cpu_count()} cores; python {platform.python_version()}"
    )
    print(f"load      {_load_average()} (1, 5, 15 min averages)")
    print(f"date      {datetime.datetime.now().isoformat(timespec='seconds')}\n", flush=True)
    t0 = time.perf_counter()
    with contextlib.chdir(ROOT):
        if args.table:
            table(stems)
        else:
            sweep(stems, args.draws, args.wrong, args.every, args.first_seed)
    print(f"\nload      {_load_average()} at the end")
    print(f"wall      {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
