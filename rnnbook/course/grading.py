"""Grade students' exercise notebooks: scores from evidence the grader sees itself.

For each submission the grader

1. reads the notebook (an empty, truncated or non-notebook file gets one line saying so) and
   finds its source in ``solutions/`` by content (the cells it shares with each exercise
   notebook), not by file name;
2. runs the student's code cells (the setup cell with the student's additions, the answer
   cells, every cell the student added), in order, in a confined kernel
   (:mod:`rnnbook.course.sandbox`), only to *define* the student's names. Answer cells are
   matched by their nbgrader ``grade_id``, else by their content (with a warning); the
   instructor's test cells in the submission are never run there;
3. executes each test cell of the source (hidden tests included) in the grader's own process.
   Every name the student defined is a proxy: calling it sends the arguments to the kernel as
   plain data (:mod:`rnnbook.course.wire`), the kernel calls the student's function and sends
   the result back as plain data, and the checker, numpy and torch compare it here, where the
   student cannot patch them. A test passes only when the grader saw the test cell return;
4. writes one line per exercise: points and, when points were lost, why ("not attempted", the
   checker's message, the error, "did not run: …").

Usage::

    python -m rnnbook.course.grading alice.ipynb                    # one notebook
    python -m rnnbook.course.grading submissions/ --gradebook grades.csv --feedback feedback/ \
        --workers 4 --fail-under 50                                  # a class
    python -m rnnbook.course.grading --validate my_copy.ipynb       # a student, before handing in
"""

from __future__ import annotations

import argparse
import ast
import builtins
import csv
import difflib
import functools
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from rnnbook.course import hints, sandbox, wire
from rnnbook.course.checks import CheckFailed
from rnnbook.course.exercises import EXERCISES, SOLUTIONS, student_version

NOT_ATTEMPTED_ERRORS = {"NotImplementedError", "NotAttempted"}


# ----------------------------------------------------------------------------------------------
# reports
# ----------------------------------------------------------------------------------------------


@dataclass
class ExerciseResult:
    """The score of one test cell and, when points were lost, why."""

    grade_id: str
    points: float
    max_points: float
    status: str  # "passed", "failed", "not attempted", "error", "did not run", "to grade by hand"
    reason: str = ""
    hints: int = 0  # hints the student revealed for this exercise
    manual: bool = False  # a written answer: its points are given by hand, not here


@dataclass
class GradeReport:
    """The scores of one notebook, with the warnings and the protections that were off."""

    notebook: str
    results: list[ExerciseResult] = field(default_factory=list)
    seconds: float = 0.0
    source: str = ""
    student: str = ""
    warnings: list[str] = field(default_factory=list)
    protections_off: list[str] = field(default_factory=list)
    problem: str = ""  # the file could not be graded at all
    hints_used: int = 0  # over the whole notebook
    hint_penalty: float = 0.0  # points taken per hint (the instructor's choice; off by default)

    @property
    def total(self) -> float:
        return sum(r.points for r in self.results if not r.manual)

    @property
    def max_total(self) -> float:
        return sum(r.max_points for r in self.results if not r.manual)

    @property
    def manual_points(self) -> float:
        """The points of the written answers, which an instructor grades by hand."""
        return sum(r.max_points for r in self.results if r.manual)

    def by_id(self) -> dict[str, ExerciseResult]:
        return {r.grade_id: r for r in self.results}

    def format(self) -> str:
        lines = [f"Grading {self.notebook}" + (f" against {self.source}" if self.source else "")]
        if self.problem:
            lines.append(f"  cannot grade: {self.problem}")
        lines += [f"  warning: {w}" for w in self.warnings]
        lines += [f"  protection off: {p}" for p in self.protections_off]
        width = max([len(r.grade_id) for r in self.results] + [8])
        for r in self.results:
            got = "-" if r.manual else _num(r.points)
            line = f"  {r.grade_id:<{width}}  {got:>4} / {_num(r.max_points):<4} {r.status}"
            if r.reason:
                line += f": {r.reason}"
            if r.hints:
                line += f" [{_hints_text(r.hints, self.hint_penalty)}]"
            lines.append(line)
        total = (
            f"  {'total':<{width}}  {_num(self.total):>4} / {_num(self.max_total):<4}"
            f" ({self.seconds:.0f} s)"
        )
        if self.manual_points:
            total += f", and {_num(self.manual_points)} points of written answers to grade by hand"
        if self.hints_used:
            total += f"; hints used: {self.hints_used}"
        lines.append(total)
        return "\n".join(lines)

    def markdown(self) -> str:
        """The feedback file: per exercise the points and the reason."""
        title = Path(self.source).stem if self.source else Path(self.notebook).name
        out = [f"# Feedback: {title}", ""]
        if self.student:
            out.append(f"Student: {self.student}  ")
        out.append(f"Submission: `{Path(self.notebook).name}`  ")
        score = f"Score: **{_num(self.total)} / {_num(self.max_total)}**"
        if self.manual_points:
            score += f" (written answers, {_num(self.manual_points)} points, are graded by hand)"
        out.append(score + "  ")
        out.append(f"Hints used: {self.hints_used}")
        out.append("")
        if self.problem:
            out += [f"This file could not be graded: {self.problem}", ""]
        if self.results:
            out += ["| exercise | points | result |", "|---|---|---|"]
            for r in self.results:
                text = r.status + (f": {r.reason}" if r.reason else "")
                if r.hints:
                    text += f" ({_hints_text(r.hints, self.hint_penalty)})"
                text = text.replace("|", "\\|").replace("\n", " ")
                got = "by hand" if r.manual else _num(r.points)
                out.append(f"| {r.grade_id} | {got} / {_num(r.max_points)} | {text} |")
            out.append("")
        if self.warnings:
            out += ["Notes on the file:", ""] + [f"- {w}" for w in self.warnings] + [""]
        return "\n".join(out)


def _num(x: float) -> str:
    return f"{x:g}"


def _hints_text(n: int, penalty: float) -> str:
    text = f"{n} hint{'s' if n != 1 else ''} used"
    return text + (f", {_num(n * penalty)} points off" if penalty else "")


def exercise_key(grade_id: str) -> str:
    """The exercise a cell belongs to: ``ex3-tests`` and ``ex3-solution`` are ``ex3``."""
    return grade_id.split("-", 1)[0]


def _first_line(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ----------------------------------------------------------------------------------------------
# notebooks: reading, matching to a source, planning what runs where
# ----------------------------------------------------------------------------------------------


class NotebookUnreadable(ValueError):
    """The file is not a notebook that can be graded; the message is one line."""


def _nbgrader(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_solution_cell(cell) -> bool:
    """A code cell the student answers in (written answers are :func:`is_written_answer`)."""
    return bool(_nbgrader(cell).get("solution")) and cell.cell_type == "code"


def is_test_cell(cell) -> bool:
    meta = _nbgrader(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def is_written_answer(cell) -> bool:
    """A manually graded written answer: a Markdown cell nbgrader marks as graded solution."""
    meta = _nbgrader(cell)
    return cell.cell_type == "markdown" and bool(meta.get("grade")) and bool(meta.get("solution"))


WRITTEN_STUB = "YOUR ANSWER HERE"


def _written_results(source, student) -> list[tuple[int, ExerciseResult]]:
    """The written answers, by their position in the source: attempted or not (by hand)."""
    answers = {
        _nbgrader(c).get("grade_id"): c.source for c in student.cells if is_written_answer(c)
    }
    out = []
    for i, c in enumerate(source.cells):
        if not is_written_answer(c):
            continue
        gid = _nbgrader(c).get("grade_id", "?")
        pts = float(_nbgrader(c).get("points", 0))
        text = " ".join(str(answers.get(gid, "")).split())
        if not text or text == WRITTEN_STUB:
            result = ExerciseResult(gid, 0.0, pts, "not attempted", manual=True)
        else:
            result = ExerciseResult(
                gid, 0.0, pts, "to grade by hand", f"{len(text.split())} words", manual=True
            )
        out.append((i, result))
    return out


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """The notebook at ``path``, or NotebookUnreadable with one line saying what the file is."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"student_path: no notebook at {path}")
    data = path.read_bytes()
    if not data.strip():
        raise NotebookUnreadable("the file is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NotebookUnreadable(
            f"the file is not a notebook: {len(data)} bytes of binary data, not text"
        ) from None
    try:
        obj = json.loads(text)
    except ValueError as err:
        if text.lstrip().startswith("{"):
            raise NotebookUnreadable(
                f"the notebook is truncated or corrupt: its JSON breaks at line {err.lineno}"
            ) from None
        kind = "Python source" if re.search(r"^\s*(def|import|from) ", text, re.M) else "text"
        raise NotebookUnreadable(f"the file is not a notebook: it holds {kind}, not JSON") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("cells"), list):
        raise NotebookUnreadable("the file is JSON but not a Jupyter notebook (no list of cells)")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # nbformat's many validation errors
        raise NotebookUnreadable(
            f"the notebook does not follow nbformat: {_first_line(err, 120)}"
        ) from None
    return nb


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


@functools.lru_cache(maxsize=64)
def _source_info(path: str, mtime: float):
    source = nbformat.read(path, as_version=4)
    released = student_version(source)
    fingerprint = {_norm(c.source) for c in released.cells if c.source.strip()}
    return source, released, fingerprint


def source_info(path: str | Path):
    path = Path(path).resolve()
    return _source_info(str(path), path.stat().st_mtime)


def find_source(
    student: nbformat.NotebookNode, name: str = "", folder: Path = SOLUTIONS
) -> Path | None:
    """The source notebook in ``folder`` whose released cells the submission shares most."""
    cells = {_norm(c.source) for c in student.cells if c.source.strip()}
    best, best_score = None, 0
    for path in sorted(Path(folder).glob("*.ipynb")):
        score = len(cells & source_info(path)[2])
        if score > best_score or (score == best_score and score and path.stem in name):
            best, best_score = path, score
    return best if best_score >= 3 else None


@dataclass
class Plan:
    """What the kernel runs and what the warnings say."""

    kernel_cells: list[tuple[str, str]]  # (label, source) in order
    answer_label: dict[str, str]  # grade_id -> label of the kernel cell that answers it
    warnings: list[str]
    markdown_answers: dict[str, str]  # grade_id -> where it was turned into Markdown
    preload: tuple[str, ...] = ()  # modules the source's setup cell imports


def _def_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip().startswith(("def ", "class ")):
            return line.strip()
    return ""


def plan(student: nbformat.NotebookNode, source: nbformat.NotebookNode, released) -> Plan:
    """Match the submission's cells to the source's and decide what runs in the kernel."""
    stubs = {_nbgrader(c)["grade_id"]: c.source for c in released.cells if is_solution_cell(c)}
    order = [gid for gid in stubs]
    test_texts = set()
    for c in list(released.cells) + list(source.cells):
        if is_test_cell(c):
            test_texts.add(_norm(c.source))
    warnings: list[str] = []
    by_id: dict[str, list[int]] = {}
    is_test, code_idx = set(), []
    for i, c in enumerate(student.cells):
        if c.cell_type != "code":
            continue
        if is_test_cell(c) or _norm(c.source) in test_texts:
            is_test.add(i)
            continue
        code_idx.append(i)
        gid = _nbgrader(c).get("grade_id")
        if is_solution_cell(c) and gid in stubs:
            by_id.setdefault(gid, []).append(i)
    chosen: dict[str, int] = {}
    skipped: set[int] = set()
    for gid, idx in by_id.items():
        chosen[gid] = idx[0]
        if len(idx) > 1:
            others = ", ".join(str(j + 1) for j in idx[1:])
            warnings.append(
                f"{gid} appears in cells {idx[0] + 1} and {others}; cell {idx[0] + 1} was used "
                f"and the other copies did not run"
            )
            skipped.update(idx[1:])
    # answers without metadata: match by the stub's def line, then by similarity, in order
    taken = set(chosen.values()) | skipped
    markdown: dict[str, str] = {}
    for gid in order:
        if gid in chosen:
            continue
        stub, head = stubs[gid], _def_line(stubs[gid])
        free = [i for i in code_idx if i not in taken and not _nbgrader(student.cells[i])]
        match = next((i for i in free if head and _def_line(student.cells[i].source) == head), None)
        if match is None:
            scored = [
                (difflib.SequenceMatcher(None, stub, student.cells[i].source).ratio(), i)
                for i in free
            ]
            scored = [s for s in scored if s[0] >= 0.6]
            match = max(scored)[1] if scored else None
        if match is not None:
            chosen[gid] = match
            taken.add(match)
            warnings.append(
                f"{gid}: the cell has no nbgrader metadata; cell {match + 1} was matched to it by "
                f"its content"
            )
            continue
        for i, c in enumerate(student.cells):
            if c.cell_type != "code" and (
                _nbgrader(c).get("grade_id") == gid or (head and head in c.source)
            ):
                markdown[gid] = f"cell {i + 1}"
                warnings.append(
                    f"{gid}: the answer cell was turned into {c.cell_type.capitalize()} "
                    f"(cell {i + 1}), so it did not run"
                )
                break
        else:
            warnings.append(f"{gid}: no answer cell found; it counts as not attempted")
    label_of = {i: f"cell {i + 1}" for i in code_idx}
    answer_label = {gid: label_of[i] for gid, i in chosen.items()}
    known = set(chosen.values()) | {
        i
        for i in code_idx
        if _norm(student.cells[i].source) in {_norm(x.source) for x in released.cells}
    }
    added = [
        i
        for i in code_idx
        if i not in known and i not in skipped and student.cells[i].source.strip()
    ]
    if added:
        cells = ", ".join(str(i + 1) for i in added[:10]) + (" …" if len(added) > 10 else "")
        warnings.append(f"cells you added ran in order with the others: {cells}")
    # a missing answer is replaced by its stub, defined first so that added cells may redefine it
    kernel_cells = [(f"stub of {gid}", stubs[gid]) for gid in order if gid not in chosen]
    kernel_cells += [(label_of[i], student.cells[i].source) for i in code_idx if i not in skipped]
    preload = []
    try:
        for node in ast.walk(ast.parse(_setup_source(source))):
            if isinstance(node, ast.Import):
                preload += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                preload.append(node.module)
    except SyntaxError:
        pass
    if "rnnbook" in preload:
        preload.append("torch")  # rnnbook.seed_everything seeds torch, importing it
    return Plan(kernel_cells, answer_label, warnings, markdown, tuple(preload))


# ----------------------------------------------------------------------------------------------
# the kernel, seen from the grader
# ----------------------------------------------------------------------------------------------


class DidNotRun(RuntimeError):
    """A test could not run (the kernel is gone, the time is up)."""


class StudentError(RuntimeError):
    """An error from the student's code that is not one of Python's built-in exceptions."""


class Remote:
    """The conversation with the kernel; a test cell's deadline is ``self.deadline``."""

    def __init__(self, box: sandbox.Sandbox):
        self.box = box
        self.codec = wire.Codec(trusted_side=True)
        self.codec.remote_callable = self._kernel_callable
        self.codec.module_alias = lambda cls: cls.__module__.startswith("rnnbook.course")
        self.rng_sync = wire.RngSync(self.codec)
        # the kernel's time for one cell or one test: only time spent waiting for the kernel
        # counts (the grader's own checking does not), and never past the notebook's deadline
        self.budget = 60.0
        self.deadline = time.monotonic() + 60

    def _kernel_callable(self, handle, name):
        raise wire.WireError("the kernel may not lend callables to the grader")

    def request(self, msg: dict) -> dict:
        self.box.send(msg)
        while True:
            began = time.monotonic()
            reply = self.box.recv(min(began + self.budget, self.deadline))
            self.budget -= time.monotonic() - began
            if not isinstance(reply, dict):
                raise sandbox.KernelDied("the kernel sent something that is not a message")
            if reply.get("op") == "reply":
                return reply
            if reply.get("op") == "callback":
                self._serve_callback(reply)
                continue
            raise sandbox.KernelDied(f"the kernel sent an unexpected message {reply.get('op')!r}")

    def _serve_callback(self, msg: dict) -> None:
        fn = self.codec.handles.get(msg.get("handle"))
        try:
            if fn is None:
                raise ValueError("unknown callback")
            memo: dict = {}
            args = self.codec.decode(msg["args"], memo)
            kwargs = self.codec.decode(msg["kwargs"], memo)
            self._set_rng(msg.get("rng"))
            value = fn(*args, **kwargs)
            reply = {"op": "result", "value": self.codec.encode(value), "rng": self._rng()}
        except (sandbox.KernelDied, sandbox.KernelTimeout):
            raise
        except Exception as err:
            reply = dict(wire.error_frame(err), op="result")
        self.box.send(reply)

    def _rng(self):
        return self.rng_sync.outgoing()

    def _set_rng(self, state) -> None:
        self.rng_sync.incoming(state)

    def run(self, source: str) -> dict:
        return self.request({"op": "run", "source": source})

    def describe(self, name: str):
        return self.request({"op": "describe", "name": name})

    def call(self, name: str, args: tuple, kwargs: dict):
        memo: dict = {}
        msg = {
            "op": "call",
            "name": name,
            "args": self.codec.encode(args, memo),
            "kwargs": self.codec.encode(kwargs, memo),
            "rng": self._rng(),
        }
        guarded = wire.guard_label()  # inside checks.own_gradients: the kernel guards the call too
        if guarded is not None:
            msg["own_gradients"] = guarded
        reply = self.request(msg)
        if "error" in reply:
            err = reply["error"]
            types = [str(t) for t in err.get("types", [])]
            cls = wire.builtin_exception(types)
            message = str(err.get("message", ""))
            if guarded is not None and types[:2] == ["CheckFailed", "AssertionError"]:
                raise CheckFailed(message)  # a blocked gradient routine, named in the message
            if "NotImplementedError" in types:
                raise NotImplementedError(message)
            if cls is Exception:
                raise StudentError(f"{types[0] if types else 'Error'}: {message}")
            raise cls(message)
        self._set_rng(reply.get("rng"))
        after = self.codec.decode(reply["args_after"])
        for orig, new in zip(args, after):
            _copy_back(orig, new)
        if "same_as_arg" in reply:
            return args[int(reply["same_as_arg"])]
        result = self.codec.decode(reply["result"])
        graph = set(reply.get("graph", []))
        if graph and "torch" in sys.modules:
            result = self._attach_graph(result, reply.get("tensor_ids", []), graph, args)
        return result

    def _attach_graph(self, result, tensor_ids, graph, args):
        """Tensors with a graph in the kernel get one here: backward asks the kernel."""
        import torch

        params = [p for a in args if isinstance(a, torch.nn.Module) for p in a.parameters()]
        found = wire.tensors_in(result, torch)
        swap = {}
        for t, kid in zip(found, tensor_ids):
            if kid in graph and params and t.device.type != "meta":
                swap[id(t)] = _RemoteGrad.apply(self, kid, t.detach(), *params)
        return _replace(result, swap) if swap else result

    def backward(self, kid: int, grad):
        reply = self.request(
            {"op": "backward", "tensor": kid, "grad": self.codec.encode(grad.detach())}
        )
        if "error" in reply:
            raise StudentError(f"backward in the kernel failed: {reply['error'].get('message')}")
        return self.codec.decode(reply["grads"])


def _replace(value, swap):
    if id(value) in swap:
        return swap[id(value)]
    if isinstance(value, tuple) and not hasattr(type(value), "_fields"):
        return tuple(_replace(v, swap) for v in value)
    if isinstance(value, list):
        return [_replace(v, swap) for v in value]
    if isinstance(value, dict):
        return {k: _replace(v, swap) for k, v in value.items()}
    return value


def _make_remote_grad():
    import torch

    class RemoteGrad(torch.autograd.Function):
        @staticmethod
        def forward(ctx, remote, kid, value, *params):
            ctx.remote, ctx.kid = remote, kid
            ctx.shapes = [(p.dtype, p.device) for p in params]
            return value.clone()

        @staticmethod
        def backward(ctx, grad):
            grads = ctx.remote.backward(ctx.kid, grad)
            out = []
            for g, (dtype, device) in zip(grads, ctx.shapes):
                out.append(None if g is None else g.to(dtype=dtype, device=device))
            return (None, None, None, *out)

    return RemoteGrad


class _LazyRemoteGrad:
    fn = None

    def apply(self, *args):
        if self.fn is None:
            self.fn = _make_remote_grad()
        return self.fn.apply(*args)


_RemoteGrad = _LazyRemoteGrad()


def _copy_back(orig, new) -> None:
    """Write what the student's function did to an argument into the grader's own object."""
    np = sys.modules.get("numpy")
    torch = sys.modules.get("torch")
    if np is not None and isinstance(orig, np.ndarray) and isinstance(new, np.ndarray):
        if orig.flags.writeable and orig.shape == new.shape and not np.array_equal(orig, new):
            np.copyto(orig, new, casting="unsafe")
    elif np is not None and isinstance(orig, np.random.Generator):
        if isinstance(new, np.random.Generator):
            orig.bit_generator.state = new.bit_generator.state
    elif torch is not None and isinstance(orig, torch.nn.Module):
        if isinstance(new, torch.nn.Module):
            keep = {k: v for k, v in orig.__dict__.items() if "hooks" in k}
            orig.__dict__.update(new.__dict__)
            orig.__dict__.update(keep)
    elif torch is not None and isinstance(orig, torch.Tensor) and isinstance(new, torch.Tensor):
        if orig.shape == new.shape and orig.device == new.device and orig.device.type != "meta":
            with torch.no_grad():
                if not torch.equal(orig, new.to(orig.dtype)):
                    orig.copy_(new)
    elif isinstance(orig, list) and isinstance(new, list):
        if len(orig) == len(new):
            for a, b in zip(orig, new):
                _copy_back(a, b)
        else:
            orig[:] = new
    elif isinstance(orig, tuple) and isinstance(new, tuple) and len(orig) == len(new):
        for a, b in zip(orig, new):
            _copy_back(a, b)
    elif isinstance(orig, dict) and isinstance(new, dict):
        for k in list(orig):
            if k not in new:
                del orig[k]
        for k, v in new.items():
            if k in orig and type(orig[k]) is type(v) and not isinstance(v, (int, float, str)):
                _copy_back(orig[k], v)
            else:
                orig[k] = v


class StudentFunction:
    """A student's function, seen from the grader: calling it calls it in the kernel."""

    def __init__(self, remote: Remote, name: str):
        self._remote, self.__name__, self.__qualname__ = remote, name, name

    def __call__(self, *args, **kwargs):
        return self._remote.call(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<the student's {self.__name__}>"


# ----------------------------------------------------------------------------------------------
# grading one notebook
# ----------------------------------------------------------------------------------------------


def _free_names(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
    return names


class _Kernel:
    """A sandboxed kernel that has run the student's cells; restarted after a crash."""

    def __init__(self, plan_: Plan, limits, confine, cell_timeout, deadline):
        self.plan, self.limits, self.confine = plan_, limits, confine
        self.cell_timeout, self.deadline = cell_timeout, deadline
        self.cell_errors: dict[str, str] = {}  # label -> reason
        self.skip: set[str] = set()
        self.timed_out: set[str] = set()
        self.notes: list[str] = []
        self.remote: Remote | None = None
        self.protections_off: list[str] = []

    def start(self) -> None:
        """Start a kernel and run the student's cells; a cell that kills it is skipped after."""
        for _attempt in range(len(self.plan.kernel_cells) + 1):
            box = sandbox.Sandbox(self.limits, self.confine)
            self.protections_off = box.protections_off() + self.notes
            self.remote = Remote(box)
            self.remote.deadline = self.deadline
            try:
                box.start(min(time.monotonic() + 120, self.deadline), self.plan.preload)
            except sandbox.KernelDied as err:
                if not box.confined:
                    raise
                # the namespaces could not be built here: grade unconfined, and say so
                self.confine = False
                self.notes.append(f"the confined kernel could not start ({err})")
                continue
            current = ""
            try:
                for label, source in self.plan.kernel_cells:
                    if label in self.skip:
                        continue
                    current = label
                    self.remote.budget = self.cell_timeout
                    reply = self.remote.run(source)
                    if "error" in reply:
                        err = reply["error"]
                        kind = (err.get("types") or ["Error"])[0]
                        self.cell_errors[label] = f"{kind}: {_first_line(err.get('message', ''))}"
                return
            except sandbox.KernelTimeout:
                box.kill()
                if time.monotonic() >= self.deadline:
                    raise DidNotRun("the grading time limit was reached") from None
                self.cell_errors[current] = (
                    f"it ran past its time limit of {self.cell_timeout:g} s and was stopped"
                )
                self.timed_out.add(current)
                self.skip.add(current)
            except sandbox.KernelDied as err:
                self.cell_errors[current] = f"{err}"
                self.skip.add(current)
        raise DidNotRun("the kernel could not run the notebook")

    def kill(self) -> None:
        if self.remote is not None:
            self.remote.box.kill()


def _setup_source(source: nbformat.NotebookNode) -> str:
    parts = []
    for c in source.cells:
        if c.cell_type != "code":
            continue
        if _nbgrader(c):
            break
        parts.append(c.source)
    return "\n".join(parts)


def _classify(err: BaseException, gid: str, pts: float, answer_error: str) -> ExerciseResult:
    name = type(err).__name__
    if name in NOT_ATTEMPTED_ERRORS or isinstance(err, NotImplementedError):
        return ExerciseResult(gid, 0.0, pts, "not attempted")
    if answer_error == "TIMEOUT":
        reason = "your solution cell ran past its time limit and was stopped"
        return ExerciseResult(gid, 0.0, pts, "failed", reason)
    if answer_error:
        return ExerciseResult(gid, 0.0, pts, "error", f"your solution cell raised {answer_error}")
    if isinstance(err, sandbox.KernelTimeout):
        return ExerciseResult(gid, 0.0, pts, "failed", "your code ran past the time limit")
    if isinstance(err, sandbox.KernelDied):
        return ExerciseResult(gid, 0.0, pts, "error", _first_line(err))
    if name == "CheckFailed":
        return ExerciseResult(gid, 0.0, pts, "failed", _first_line(err))
    if isinstance(err, AssertionError):
        reason = f"a hidden test failed: {_first_line(err) or 'AssertionError'}"
        return ExerciseResult(gid, 0.0, pts, "failed", reason)
    if isinstance(err, StudentError):
        return ExerciseResult(gid, 0.0, pts, "error", _first_line(err))
    return ExerciseResult(gid, 0.0, pts, "error", f"{name}: {_first_line(err)}")


def grade(
    student_path: str | Path,
    source_path: str | Path | None = None,
    *,
    cell_timeout: float = 120.0,
    total_timeout: float = 600.0,
    limits: sandbox.Limits | None = None,
    confine: bool | None = None,
    visible_only: bool = False,
    student: str = "",
    hint_penalty: float = 0.0,
) -> GradeReport:
    """Grade ``student_path`` against its source (default: found in ``solutions/`` by content).

    With ``visible_only`` the tests are the released ones (no hidden tests): what a student can
    run before handing in.
    """
    for name, value in (("cell_timeout", cell_timeout), ("total_timeout", total_timeout)):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{name}: expected a positive number of seconds, got {value!r}")
    if (
        not isinstance(hint_penalty, (int, float))
        or isinstance(hint_penalty, bool)
        or hint_penalty < 0
    ):
        raise ValueError(f"hint_penalty: expected points ≥ 0 per hint, got {hint_penalty!r}")
    student_path = Path(student_path)
    start = time.monotonic()
    report = GradeReport(notebook=str(student_path), student=student, hint_penalty=hint_penalty)
    if source_path is not None and not Path(source_path).is_file():
        raise FileNotFoundError(f"source_path: no source notebook at {source_path}")
    try:
        nb = read_notebook(student_path)
    except NotebookUnreadable as err:
        report.problem = str(err)
        if source_path is not None:
            report.source = str(source_path)
            report.results = _zero_results(Path(source_path), "did not run", str(err))
        return report
    folder = EXERCISES if visible_only else SOLUTIONS
    if source_path is None:
        found = find_source(nb, student_path.stem, folder)
        if found is None:
            report.problem = f"it matches none of the exercise notebooks in {folder}"
            return report
        source_path = found
        if found.name != student_path.name:
            report.warnings.append(f"matched to {found.name} by its content, not its file name")
    source_path = Path(source_path)
    report.source = str(source_path)
    per_exercise = hints.hints_used(nb)
    source, released, _ = source_info(source_path)
    tests_from = released if visible_only else source
    the_plan = plan(nb, source, released)
    report.warnings += the_plan.warnings
    deadline = start + total_timeout
    kernel = _Kernel(the_plan, limits, confine, cell_timeout, deadline)
    try:
        _run_tests(kernel, source, tests_from, the_plan, report, deadline)
    finally:
        kernel.kill()
    _add_written_and_hints(report, source, nb, per_exercise)
    report.protections_off = kernel.protections_off
    report.seconds = time.monotonic() - start
    return report


def _add_written_and_hints(report: GradeReport, source, nb, per_exercise: dict) -> None:
    """Put the written answers in source order among the tests; count hints per exercise."""
    position = {
        _nbgrader(c).get("grade_id"): i for i, c in enumerate(source.cells) if is_test_cell(c)
    }
    ordered = [(position.get(r.grade_id, 0), r) for r in report.results]
    ordered += _written_results(source, nb)
    report.results = [r for _, r in sorted(ordered, key=lambda pair: pair[0])]
    given: set[str] = set()
    for r in report.results:
        key = exercise_key(r.grade_id)
        if key in per_exercise and key not in given:  # counted once, on its first graded cell
            given.add(key)
            r.hints = per_exercise[key]
            if not r.manual and report.hint_penalty:
                r.points = max(0.0, r.points - report.hint_penalty * r.hints)
    report.hints_used = sum(per_exercise.values())


def _zero_results(source_path: Path, status: str, reason: str) -> list[ExerciseResult]:
    source = source_info(source_path)[0]
    out = []
    for c in source.cells:
        if is_test_cell(c):
            meta = _nbgrader(c)
            out.append(
                ExerciseResult(meta["grade_id"], 0.0, float(meta.get("points", 0)), status, reason)
            )
    return out


def _run_tests(kernel: _Kernel, source, tests_from, the_plan: Plan, report, deadline) -> None:
    tests = [c for c in tests_from.cells if is_test_cell(c)]
    # the answers each test depends on: the solution cells since the previous test
    answers_before: dict[str, list[str]] = {}
    pending: list[str] = []
    for c in source.cells:
        if is_solution_cell(c):
            pending.append(_nbgrader(c)["grade_id"])
        elif is_test_cell(c):
            answers_before[_nbgrader(c)["grade_id"]] = pending
            pending = []
    ns: dict = {"__name__": "__grading__", "__builtins__": builtins}
    exec(compile(_setup_source(source), "<setup>", "exec"), ns)
    dead_reason = ""
    student_names: set[str] = set()
    try:
        kernel.start()
    except (DidNotRun, sandbox.KernelDied, sandbox.KernelTimeout) as err:
        dead_reason = str(err)
    for cell in tests:
        meta = _nbgrader(cell)
        gid, pts = meta.get("grade_id", "?"), float(meta.get("points", 0))
        answer_error = ""
        for sol in answers_before.get(gid, []):
            label = the_plan.answer_label.get(sol)
            if sol in the_plan.markdown_answers:
                answer_error = (
                    f"nothing: it was turned into Markdown ({the_plan.markdown_answers[sol]})"
                )
            elif label in kernel.timed_out:
                answer_error = "TIMEOUT"
            elif label in kernel.cell_errors:
                answer_error = kernel.cell_errors[label]
        if not dead_reason and time.monotonic() >= deadline:
            dead_reason = "the grading time limit was reached"
        if dead_reason:
            report.results.append(ExerciseResult(gid, 0.0, pts, "did not run", dead_reason))
            continue
        remote = kernel.remote
        remote.budget, remote.deadline = kernel.cell_timeout, deadline
        for name in student_names:  # fetched afresh: the kernel may have been restarted
            ns.pop(name, None)
        student_names.clear()
        try:
            for name in _free_names(cell.source):
                if name in ns or hasattr(builtins, name):
                    continue
                info = remote.describe(name)
                if info.get("callable"):
                    ns[name] = StudentFunction(remote, name)
                    student_names.add(name)
                elif "value" in info:
                    ns[name] = remote.codec.decode(info["value"])
                    student_names.add(name)
            exec(compile(cell.source, f"<{gid}>", "exec"), ns)
        except (sandbox.KernelTimeout, sandbox.KernelDied) as err:
            if isinstance(err, sandbox.KernelTimeout) and answer_error == "":
                reason = f"your code ran past the time limit of {kernel.cell_timeout:g} s"
                report.results.append(ExerciseResult(gid, 0.0, pts, "failed", reason))
            else:
                report.results.append(_classify(err, gid, pts, answer_error))
            try:
                kernel.kill()
                kernel.start()
            except (DidNotRun, sandbox.KernelDied, sandbox.KernelTimeout) as again:
                dead_reason = f"the kernel could not be restarted ({again})"
            continue
        except BaseException as err:  # noqa: BLE001 - every failure of a test is a lost point
            if isinstance(err, KeyboardInterrupt):
                raise
            report.results.append(_classify(err, gid, pts, answer_error))
            continue
        report.results.append(ExerciseResult(gid, pts, pts, "passed"))


# ----------------------------------------------------------------------------------------------
# a class at a time
# ----------------------------------------------------------------------------------------------


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """(student, notebook) pairs: ``folder/<student>.ipynb`` or ``folder/<student>/…/*.ipynb``."""
    out = []
    for path in sorted(Path(folder).rglob("*.ipynb")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue  # .ipynb_checkpoints and the like
        if len(rel.parts) > 1:
            student = rel.parts[0]
        else:
            student = re.sub(r"-Copy\d*$", "", path.stem)
            for src in sorted(SOLUTIONS.glob("*.ipynb")):
                student = student.replace(src.stem, "")
            student = student.strip("_- ") or path.stem
        out.append((student, path))
    return out


def _grade_one(job):
    student, path, kwargs = job
    try:
        report = grade(path, student=student, **kwargs)
    except Exception as err:  # one broken submission must not stop the class
        report = GradeReport(notebook=str(path), student=student, problem=_first_line(err))
    return report


def grade_class(
    submissions: list[tuple[str, Path]],
    *,
    workers: int = 2,
    gradebook: Path | None = None,
    feedback: Path | None = None,
    on_report=None,
    **kwargs,
) -> list[GradeReport]:
    """Grade many submissions in parallel; write the gradebook CSV and the feedback files."""
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(student, path, kwargs) for student, path in submissions]
    reports = []
    if workers <= 1 or len(jobs) <= 1:
        for job in jobs:
            reports.append(_grade_one(job))
            if on_report is not None:
                on_report(reports[-1])
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for report in pool.map(_grade_one, jobs):
                reports.append(report)
                if on_report is not None:
                    on_report(report)
    if feedback is not None:
        for report in reports:
            dest = (
                feedback
                / _safe(report.student or "student")
                / (f"{Path(report.source).stem or Path(report.notebook).stem}.md")
            )
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(report.markdown(), encoding="utf-8")
    if gradebook is not None:
        write_gradebook(reports, gradebook)
    return reports


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.@-]+", "_", name).strip(".") or "student"


def _cell(result: ExerciseResult | None) -> str:
    if result is None:
        return ""
    return "by hand" if result.manual else _num(result.points)


def write_gradebook(reports: list[GradeReport], path: Path) -> None:
    """CSV: student, notebook, points per exercise, total, max, hints used, problem."""
    exercises: list[str] = []
    for r in reports:
        for x in r.results:
            if x.grade_id not in exercises:
                exercises.append(x.grade_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["student", "notebook", *exercises, "total", "max", "hints_used", "problem"]
        )
        for r in reports:
            points = r.by_id()
            writer.writerow(
                [
                    r.student,
                    Path(r.source).stem if r.source else Path(r.notebook).name,
                    *[_cell(points.get(e)) for e in exercises],
                    _num(r.total),
                    _num(r.max_total),
                    r.hints_used,
                    r.problem,
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Grade students' exercise notebooks.")
    parser.add_argument("paths", type=Path, nargs="+", help="notebooks, or folders of them")
    parser.add_argument("--source", type=Path, default=None, help="the solutions notebook")
    parser.add_argument("--cell-timeout", type=float, default=120.0)
    parser.add_argument("--timeout", type=float, default=600.0, help="for a whole notebook")
    parser.add_argument("--workers", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--gradebook", type=Path, default=None, help="write this CSV")
    parser.add_argument("--feedback", type=Path, default=None, help="a folder for feedback files")
    parser.add_argument(
        "--fail-under",
        type=float,
        default=None,
        help="exit with status 1 when a submission scores under this percentage of its points",
    )
    parser.add_argument(
        "--hint-penalty",
        type=float,
        default=0.0,
        help="points taken off an exercise per hint its student revealed (default 0: none)",
    )
    parser.add_argument(
        "--validate",
        action="store_true",
        help="a student's check before handing in: the released (visible) tests only",
    )
    args = parser.parse_args(argv)
    submissions: list[tuple[str, Path]] = []
    for p in args.paths:
        if p.is_dir():
            submissions += find_submissions(p)
        elif p.exists():
            submissions.append(("", p))
        else:
            print(f"{p}: no such file or folder", file=sys.stderr)
            return 2
    kwargs = dict(
        cell_timeout=args.cell_timeout,
        total_timeout=args.timeout,
        visible_only=args.validate,
        hint_penalty=args.hint_penalty,
    )
    if args.source is not None:
        kwargs["source_path"] = args.source

    def show(report: GradeReport) -> None:
        print(report.format(), flush=True)
        if args.validate:
            print(
                "  (the grader also runs hidden tests, and runs your code confined: files, "
                "network and other notebooks are out of its reach)",
                flush=True,
            )

    start = time.monotonic()
    reports = grade_class(
        submissions,
        workers=args.workers,
        gradebook=args.gradebook,
        feedback=args.feedback,
        on_report=show,
        **kwargs,
    )
    if len(reports) > 1:
        print(f"graded {len(reports)} submissions in {time.monotonic() - start:.0f} s")
    if args.fail_under is not None:
        low = [
            r for r in reports if r.max_total == 0 or 100 * r.total / r.max_total < args.fail_under
        ]
        if low:
            print(f"{len(low)} of {len(reports)} submissions scored under {args.fail_under:g}%")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
