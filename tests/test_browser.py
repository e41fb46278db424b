"""The course as a student meets it: JupyterLab driven by a real browser (headless Chromium).

nbval runs the kernels without a front end, so a widget that fails to render, a figure that never
appears or a check that behaves differently in JupyterLab would pass there. This module starts
JupyterLab as `make lab` does (127.0.0.1, token authentication, a free port, throwaway settings
and home folders), serves a copy of the course from a temporary folder (nothing is ever saved
into the repository) and drives it with Debian's `chromium` through Playwright:

- every lecture notebook in notebooks/: open it, Run All through the menu, wait until the kernel
  is idle; no error output, every cell that draws shows its figure as an image, every widget
  rendered; where there is a slider, move it and see the figure it drives change;
- one exercise notebook: a correct answer passes its check, a plausible wrong one gets the hint.

A failure saves a screenshot under ``browser-failures/`` (or ``$RNNBOOK_SCREENSHOT_DIR``) and
names the file in the message.

Run by hand, the module repeats notebooks, e.g. to check that a lecture never crashes:
``python tests/test_browser.py --repeat 10 notebooks/08_gpu_training.ipynb``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest
from cheats.cheats import EULER_STEP

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNNBOOK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(os.environ.get("RNNBOOK_SCREENSHOT_DIR", ROOT / "browser-failures"))
LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
RUN_TIMEOUT_S = 600
# The flags keep a headless Chromium from reaching out to the network on its own (without them
# connections are refused, many at a time) and from needing a sandbox or a GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Throwaway user settings: nothing is saved behind the test's back, every cell stays in the page,
# and JupyterLab does not look for news or updates on the web.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
# A code cell that draws: its source shows a figure or calls one of the course's drawing helpers.
DRAWS = re.compile(r"plt\.show\(|\bdrawing\.draw_|\bplotting\.\w+\(")
MAKES_WIDGET = re.compile(r"widgets\.interact|interactive_output|_widget\(")
ERROR_TEXT = re.compile(r"Traceback \(most recent call last\)|Error displaying widget")


# One round trip reads what every code cell of the open notebook shows.
SNAPSHOT_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell')].map(c => {
  const out = c.querySelector('.jp-Cell-outputArea');
  const q = (sel) => out ? [...out.querySelectorAll(sel)] : [];
  return {
    prompt: (c.querySelector('.jp-InputPrompt') || {}).textContent || '',
    text: out ? out.innerText : '',
    images: q('img').map(e => e.src).concat(q('.jp-RenderedSVG svg').map(e => e.outerHTML)),
    widgets: q('.jupyter-widgets').length,
    driven: q('.widget-output, .jupyter-widgets-output-area').map(e => e.innerText),
    readouts: q('.widget-readout').map(e => e.textContent),
  };
})"""


def _code_sources(path: Path) -> list[str]:
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server on a copy of the course, started as `make lab` starts it."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="rnnbook-lab-"))
        self.course = self.tmp / "course"
        for folder in ("notebooks", "exercises"):
            shutil.copytree(ROOT / folder, self.course / folder)
        settings = self.tmp / "settings"
        for name, value in LAB_SETTINGS.items():
            (settings / name).parent.mkdir(parents=True, exist_ok=True)
            (settings / name).write_text(json.dumps(value))
        home = self.tmp / "home"
        home.mkdir()
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # a lecturer's kernel draws inline, as JupyterLab sets it
        env.setdefault("RNNBOOK_CACHE_DIR", str(Path.home() / ".cache" / "rnnbook"))
        env.update(
            HOME=str(home),
            JUPYTER_CONFIG_DIR=str(self.tmp / "config"),
            JUPYTER_RUNTIME_DIR=str(self.tmp / "runtime"),
            IPYTHONDIR=str(self.tmp / "ipython"),
            MPLCONFIGDIR=str(self.tmp / "mpl"),
        )
        self.port, self.token = _free_port(), secrets.token_hex(16)
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.course}",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.tmp / 'workspaces'}",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        self.log = open(self.tmp / "jupyterlab.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                self.api("status")
                break
            except OSError as exc:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.log.flush()
                    log = (self.tmp / "jupyterlab.log").read_text()[-3000:]
                    self.close()
                    raise RuntimeError(f"JupyterLab did not start within 120 s:\n{log}") from exc
                time.sleep(0.5)

    def api(self, path: str, method: str = "GET"):
        req = urllib.request.Request(
            f"{self.base}/api/{path}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Stop every kernel, so that the next notebook has the cores to itself."""
        for session in self.api("sessions"):
            self.api(f"sessions/{session['id']}", method="DELETE")

    def url(self, relpath: str, workspace: str) -> str:
        return f"{self.base}/lab/workspaces/{workspace}/tree/{relpath}?token={self.token}"

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Course:
    """JupyterLab in headless Chromium: open notebooks, run them, read what the page shows."""

    def __init__(self):
        from playwright.sync_api import sync_playwright

        self.lab = Lab()
        self.profile = tempfile.mkdtemp(prefix="rnnbook-chromium-")
        self._pw = sync_playwright().start()
        try:
            # a fresh profile folder each time (Playwright passes it as --user-data-dir)
            self.context = self._pw.chromium.launch_persistent_context(
                self.profile,
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1000},
            )
        except Exception:
            self._pw.stop()
            self.lab.close()
            raise
        self.page = None
        self._opened = 0

    def close(self):
        self.context.close()
        self._pw.stop()
        self.lab.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    # -- failures -----------------------------------------------------------------------------
    def fail(self, what: str, name: str, cell: int | None = None):
        """Fail the test with `what`, saving a screenshot of the page named after `name`,
        scrolled to code cell `cell` (0-based) when given."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if cell is not None:
            try:
                self.code_cells().nth(cell).scroll_into_view_if_needed(timeout=10_000)
            except Exception:
                pass
        shot = SCREENSHOTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.png"
        try:
            self.page.screenshot(path=str(shot), full_page=True)
            where = f"screenshot: {shot}"
        except Exception as exc:  # the page itself may be what broke
            where = f"no screenshot ({exc})"
        print(f"browser test failure: {what}\n  {where}", file=sys.stderr)
        pytest.fail(f"{what}\n{where}")

    # -- notebooks ----------------------------------------------------------------------------
    def open(self, relpath: str, n_cells: int):
        """Open a notebook in a fresh workspace; wait for all its cells and an idle kernel."""
        if self.page is not None:
            self.page.close()
            self.lab.shutdown_kernels()
        self._opened += 1
        self.page = self.context.new_page()
        self.page.goto(self.lab.url(relpath, f"w{self._opened}"))
        name = Path(relpath).stem
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            sessions = [s for s in self.lab.api("sessions") if s["path"] == relpath]
            kernel_idle = sessions and sessions[0]["kernel"]["execution_state"] == "idle"
            shown = self.cells().count()
            indicator = self.page.locator(
                ".jp-Notebook-ExecutionIndicator[data-status='idle']"
            ).count()
            if kernel_idle and indicator and shown == n_cells:
                return
            time.sleep(0.5)
        self.fail(
            f"{relpath}: after 180 s JupyterLab shows {self.cells().count()} of {n_cells} cells"
            f" and the kernel is not idle ({self.lab.api('sessions')})",
            name,
        )

    def cells(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")

    def code_cells(self):
        return self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-CodeCell")

    def snapshot(self) -> list[dict]:
        """Per code cell: its prompt, output text, images, widget count and widget outputs."""
        return self.page.evaluate(SNAPSHOT_JS)

    def prompts(self) -> list[str]:
        return [c["prompt"] for c in self.snapshot()]

    def menu(self, top: str, item: str):
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()

    def wait_idle(self, name: str, timeout_s: float = RUN_TIMEOUT_S):
        """Wait until no cell is queued or running and the kernel reports idle."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            busy = any("*" in p for p in self.prompts())
            idle = self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count()
            if not busy and idle:
                return
            time.sleep(0.5)
        self.fail(f"{name}: still running after {timeout_s:.0f} s", name)

    def run_all(self, relpath: str) -> float:
        """Run All from the Run menu; returns the seconds until the kernel is idle again."""
        name = Path(relpath).stem
        t0 = time.monotonic()
        started = "() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
        started += ".some(p => /\\[(\\*|\\d+)\\]/.test(p.textContent))"
        for attempt in range(3):
            self.menu("Run", "Run All Cells")
            try:
                self.page.wait_for_function(started, timeout=30_000)
                break
            except Exception:
                if attempt == 2:
                    self.fail(f"{name}: Run All Cells started no cell", name)
        self.wait_idle(name)
        return time.monotonic() - t0

    def images(self, i: int) -> list[str]:
        """The sources of the images in code cell i's output (figures are PNGs or SVGs)."""
        return self.snapshot()[i]["images"]

    def driven(self, i: int) -> list[str]:
        """What a widget in code cell i drives: its images, and the text its output areas show."""
        cell = self.snapshot()[i]
        return cell["images"] + cell["driven"]

    # -- what a lecture must show -------------------------------------------------------------
    def check_lecture(self, path: Path) -> dict:
        relpath = f"notebooks/{path.name}"
        name = path.stem
        sources = _code_sources(path)
        self.open(relpath, len(json.loads(path.read_text())["cells"]))
        n_code = self.code_cells().count()
        if n_code != len(sources):
            self.fail(
                f"{relpath}: JupyterLab shows {n_code} code cells, the file has {len(sources)}",
                name,
            )
        seconds = self.run_all(relpath)
        shown = self.snapshot()
        for i, cell in enumerate(shown):
            if ERROR_TEXT.search(cell["text"]):
                self.fail(
                    f"{relpath}: code cell {i + 1} shows an error:\n{cell['text'][-2000:]}",
                    name,
                    i,
                )
            if not re.search(r"\[\d+\]", cell["prompt"]):
                self.fail(
                    f"{relpath}: code cell {i + 1} was never run (prompt {cell['prompt']!r})", name
                )
        n_figures = 0
        for i, src in enumerate(sources):
            if DRAWS.search(src):
                if not shown[i]["images"]:
                    self.fail(f"{relpath}: code cell {i + 1} draws, but shows no image", name, i)
                n_figures += len(shown[i]["images"])
        widget_cells = [i for i, src in enumerate(sources) if MAKES_WIDGET.search(src)]
        for i in widget_cells:
            if shown[i]["widgets"] == 0 or "(children=" in shown[i]["text"]:
                self.fail(f"{relpath}: the widget of code cell {i + 1} did not render", name)
        moved = None
        if widget_cells:
            moved = self.move_slider(relpath, widget_cells)
        return {
            "seconds": seconds,
            "figures": n_figures,
            "widgets": len(widget_cells),
            "moved": moved,
        }

    def move_slider(self, relpath: str, widget_cells: list[int]) -> str:
        """Move the first slider one step (right, or left from its maximum); what it drives (a
        figure, or the text its function prints) must change."""
        name = Path(relpath).stem
        for i in widget_cells:
            cell = self.code_cells().nth(i)
            handles = cell.locator(".jp-Cell-outputArea .widget-slider .noUi-handle")
            if handles.count() == 0:
                continue
            label = cell.locator(".jp-Cell-outputArea .widget-slider .widget-label").first
            before = self.driven(i)
            readouts = self.snapshot()[i]["readouts"]
            handles.first.focus()
            handles.first.press("ArrowRight")
            time.sleep(0.5)
            if self.snapshot()[i]["readouts"] == readouts:  # at its maximum: step back instead
                handles.first.press("ArrowLeft")
                handles.first.press("ArrowLeft")
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                after = self.driven(i)
                if after and after != before:
                    self.wait_idle(name)
                    return f"cell {i + 1}, slider {label.inner_text()!r}"
                time.sleep(0.3)
            self.fail(
                f"{relpath}: moving the slider {label.inner_text()!r} of code cell {i + 1} did "
                "not change what it drives",
                name,
            )
        self.fail(f"{relpath}: a widget but no slider to move", name)

    # -- an exercise --------------------------------------------------------------------------
    def run_cell(self, i: int):
        """Select cell i (of all cells), run it with Shift+Enter and wait until it is done."""
        cell = self.cells().nth(i)
        cell.locator(".jp-InputPrompt").click()
        self.page.keyboard.press("Shift+Enter")
        time.sleep(0.5)
        self.wait_idle("exercise", timeout_s=120)

    def type_into(self, i: int, text: str):
        cell = self.cells().nth(i)
        cell.locator(".cm-content").click()
        self.page.keyboard.press("Control+A")
        self.page.keyboard.press("Delete")
        self.page.keyboard.insert_text(text)
        self.page.keyboard.press("Escape")


@pytest.fixture(scope="module")
def course():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does)")
    pytest.importorskip("playwright", reason="playwright comes with `pip install -e '.[test]'`")
    c = Course()
    yield c
    c.close()


def test_there_are_lectures():
    assert len(LECTURES) >= 9, [p.name for p in LECTURES]


@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_runs_in_jupyterlab(course, path):
    result = course.check_lecture(path)
    print(f"{path.name}: {result}")
    if DRAWS.search("\n".join(_code_sources(path))):
        assert result["figures"] >= 1
    if result["widgets"]:
        assert result["moved"], result


EXERCISE = "exercises/01_dynamical_systems.ipynb"
CORRECT = EULER_STEP  # exercise 1 asks for euler_step and the euler_integrate built on it
WRONG = "def euler_step(g, s, t, dt):\n    return s + g(s, t)\n"  # forgot the step size
HINT = "forgets to multiply the slope by the step size dt"


def test_exercise_check_passes_a_right_answer_and_hints_at_a_wrong_one(course):
    sources = ["".join(c["source"]) for c in json.loads((ROOT / EXERCISE).read_text())["cells"]]
    course.open(EXERCISE, len(sources))
    answer = next(i for i, s in enumerate(sources) if "def euler_step" in s)
    check = next(i for i, s in enumerate(sources) if "check_euler_step" in s)
    imports = next(i for i, s in enumerate(sources) if "import" in s and "checks" in s)
    assert imports < answer < check
    course.run_cell(imports)
    outputs = course.page.locator(".jp-Notebook .jp-Cell")

    course.type_into(answer, CORRECT)
    course.run_cell(answer)
    course.run_cell(check)
    text = outputs.nth(check).locator(".jp-Cell-outputArea").inner_text()
    if text.strip():
        course.fail(
            f"{EXERCISE}: the check rejects a correct euler_step:\n{text}", "exercise-correct"
        )

    course.type_into(answer, WRONG)
    course.run_cell(answer)
    course.run_cell(check)
    text = outputs.nth(check).locator(".jp-Cell-outputArea").inner_text()
    if HINT not in text:
        course.fail(
            f"{EXERCISE}: a wrong euler_step did not get the hint {HINT!r}:\n{text}",
            "exercise-wrong",
        )
    assert "CheckFailed" in text


def run_through(course: Course, path: Path) -> dict:
    """Run All on a lecture; after a cell that fails, go on from the next one (Run > Run
    Selected Cell and All Below), so that one flaky cell does not hide the cells after it.

    Returns the seconds taken and the failing code cells with the last line of their errors.
    """
    relpath = f"notebooks/{path.name}"
    course.open(relpath, len(json.loads(path.read_text())["cells"]))
    t0 = time.monotonic()
    course.run_all(relpath)
    errors = {}
    while True:
        shown = course.snapshot()
        new = [i for i, c in enumerate(shown) if i not in errors and ERROR_TEXT.search(c["text"])]
        for i in new:
            lines = [ln for ln in shown[i]["text"].splitlines() if ln.strip()]
            errors[i] = lines[-1] if lines else "?"
        if not new or max(new) + 1 >= len(shown):
            break
        course.code_cells().nth(max(new) + 1).locator(".jp-InputPrompt").click()
        course.menu("Run", "Run Selected Cell and All Below")
        time.sleep(1.0)
        course.wait_idle(path.stem)
    never_run = [
        i + 1 for i, c in enumerate(course.snapshot()) if not re.search(r"\[\d+\]", c["prompt"])
    ]
    return {
        "seconds": round(time.monotonic() - t0, 1),
        "errors": {i + 1: e for i, e in errors.items()},
        "never_run": never_run,
    }


def main(argv=None) -> int:
    """Run lecture notebooks in JupyterLab again and again; prints one line per run.

    A run fails when any cell shows an error; with --go-on, the cells after a failing one are
    still run (Run Selected Cell and All Below) and every failing cell is reported.
    """
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("notebooks", nargs="*", type=Path, default=LECTURES)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--go-on", action="store_true", help="go on after a failing cell")
    args = ap.parse_args(argv)
    course = Course()
    failures = 0
    try:
        for k in range(args.repeat):
            for path in args.notebooks:
                t0 = time.monotonic()
                try:
                    if args.go_on:
                        result = run_through(course, path.resolve())
                        ok = not result["errors"] and not result["never_run"]
                    else:
                        result, ok = course.check_lecture(path.resolve()), True
                    status = f"{'ok' if ok else 'FAILED'} {result}"
                except (Exception, pytest.fail.Exception) as exc:
                    ok, status = False, f"FAILED {exc}"
                failures += not ok
                print(f"run {k + 1} {path.name} {time.monotonic() - t0:.1f} s {status}", flush=True)
    finally:
        course.close()
    print(f"{args.repeat * len(args.notebooks) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())


def test_rise_presents_a_lecture_as_slides(course):
    """View > Render as slideshow (Alt+R, jupyterlab-rise) shows the lecture's slides."""
    import nbformat

    from rnnbook.course import slides

    path = LECTURES[0]
    nb = json.loads(path.read_text())
    course.open(f"notebooks/{path.name}", len(nb["cells"]))
    course.cells().first.click()
    course.page.keyboard.press("Escape")
    course.page.keyboard.press("Alt+R")
    expected = len(slides.slides_of(nbformat.reads(path.read_text(), as_version=4)))
    title = "".join(nb["cells"][0]["source"]).splitlines()[0].lstrip("# ").strip()
    deadline = time.monotonic() + 300  # RISE saves, then renders the notebook in a frame
    found = None
    while time.monotonic() < deadline:
        for frame in course.page.frames:  # RISE renders the deck in a frame of its own
            try:
                found = frame.evaluate(
                    "() => [document.querySelectorAll('.reveal .slides section').length,"
                    " (document.querySelector('.reveal .slides section.present') || {}).innerText"
                    " || '']"
                )
            except Exception:  # the frame is still loading
                continue
            if not found[0]:  # not the deck's frame, or not drawn yet
                continue
            if found[0] >= expected and title in found[1]:
                return
        time.sleep(1)
    course.fail(
        f"RISE did not show the {expected} slides of {path.name} with the title {title!r} "
        f"on the first (found {found})",
        "rise",
    )
