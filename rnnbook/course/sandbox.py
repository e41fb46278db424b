"""A confined Python process that holds a student's code while it is graded.

On Linux, as root, the kernel runs

- in its own mount, network and PID namespaces (``unshare -m -n -p --fork --kill-child``): it
  sees a fresh root that holds only the system directories, Python, the virtual environment and
  the ``rnnbook`` package without ``rnnbook/course`` (the checkers and the grader) and without
  ``rnnbook/topics`` (the lecture helpers, which hold reference answers), all read-only, plus an
  empty private ``/tmp`` and home folder; ``solutions/``, the repository, other students'
  submissions and ``/root`` are not in its view at all; there is no network;
- as the unprivileged user ``nobody`` (uid/gid 65534, ``setpriv``, no capabilities, no new
  privileges);
- under ``prlimit`` limits on address space, CPU time, processes, file size and open files;
- with its prints sent to ``/dev/null`` (output cannot flood the grader) and its conversation
  with the grader on two pipes (no connection file).

Killing the ``unshare`` process kills the namespace's first process and, with it, every process
the student started: nothing survives grading, whatever the code does with signals.

Elsewhere (not root, not Linux, no ``unshare``) the kernel is a plain child process in its own
process group with the same resource limits where the system has them;
:func:`Sandbox.protections_off` lists what is missing, and the grader's report repeats it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rnnbook.course import wire

PACKAGE = Path(__file__).resolve().parents[1]  # rnnbook/
NOBODY = 65534


@dataclass
class Limits:
    """Resource limits for one kernel."""

    memory_bytes: int = 6 * 1024**3  # address space; torch alone reserves about 1.5 GiB
    cpu_seconds: int = 900
    processes: int = 512  # counted per user: graders running in parallel share it
    file_bytes: int = 64 * 1024**2
    open_files: int = 1024


class KernelDied(RuntimeError):
    """The kernel exited, was killed, or broke the protocol."""


class KernelTimeout(RuntimeError):
    """The kernel did not answer before the deadline; it has been killed."""


_CONFINABLE: bool | None = None


def can_confine() -> bool:
    """Whether this machine lets the grader build the namespaces (Linux, root, unshare, setpriv)."""
    global _CONFINABLE
    if _CONFINABLE is None:
        tools = all(shutil.which(t) for t in ("unshare", "setpriv", "prlimit", "chroot"))
        ok = sys.platform.startswith("linux") and os.geteuid() == 0 and tools
        if ok:
            try:
                probe = subprocess.run(
                    ["unshare", "-m", "-n", "-p", "--fork", "--kill-child", "true"],
                    capture_output=True,
                    timeout=20,
                )
                ok = probe.returncode == 0
            except (OSError, subprocess.TimeoutExpired):
                ok = False
        _CONFINABLE = bool(ok)
    return _CONFINABLE


def _keep_paths() -> list[str]:
    """What the kernel needs to see: Python, the environment, the package, the corpora."""
    paths = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), str(PACKAGE)}
    data = os.environ.get("RNNBOOK_DATA_DIR")
    if data and os.path.isdir(data):
        paths.add(os.path.realpath(data))
    return sorted(paths)


_JAIL_SCRIPT = r"""
set -e
J="$RNNBOOK_JAIL"
mount -t tmpfs -o size=256m,mode=755 rnnbook-jail "$J"
for d in /usr /bin /sbin /lib /lib64 /lib32 /libx32 /etc; do
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$J$d"
  elif [ -d "$d" ]; then mkdir -p "$J$d"; mount --rbind "$d" "$J$d"; mount -o remount,bind,ro "$J$d"
  fi
done
mkdir -p "$J/dev" "$J/proc" "$J/tmp" "$J/home/student" "$J/dev/shm"
for n in null zero random urandom full; do touch "$J/dev/$n"; mount --bind "/dev/$n" "$J/dev/$n"; done
mount -t proc proc "$J/proc"
chmod 1777 "$J/tmp" "$J/dev/shm"
chown 65534:65534 "$J/home/student"
for k in $RNNBOOK_KEEP; do
  mkdir -p "$J$k"; mount --bind "$k" "$J$k"; mount -o remount,bind,ro "$J$k"
done
for h in $RNNBOOK_HIDE; do
  if [ -d "$J$h" ]; then mount -t tmpfs -o size=4k,mode=755 rnnbook-hidden "$J$h"; fi
done
# the kernel runs as a child: this shell stays the namespace's first process, as root, so that
# unshare --kill-child (whose signal a change of user would clear) still takes the whole
# namespace down when the grader kills unshare or dies itself
chroot "$J" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  --bounding-set=-all --no-new-privs -- prlimit $RNNBOOK_PRLIMIT -- \
  env -i -C /home/student HOME=/home/student PATH=/usr/bin:/bin LANG=C.UTF-8 \
  MPLBACKEND=Agg OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
  RNNBOOK_WIRE_IN="$RNNBOOK_WIRE_IN" RNNBOOK_WIRE_OUT="$RNNBOOK_WIRE_OUT" \
  RNNBOOK_PRELOAD="$RNNBOOK_PRELOAD" \
  ${RNNBOOK_DATA_DIR:+RNNBOOK_DATA_DIR="$RNNBOOK_DATA_DIR"} \
  "$RNNBOOK_PYTHON" -I -c "$1" &
wait $!
"""


def _kill_children(pid: int) -> None:
    """SIGKILL the direct children of ``pid`` (read from /proc; nothing happens elsewhere)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children = [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
        for child in children:
            try:
                os.kill(child, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def _die_with_parent() -> None:  # runs in the child, before exec
    """Ask Linux to SIGKILL this child when the grader dies, however it dies.

    The grader kills its kernels itself when it ends normally; this covers a grader that is killed
    (a test run stopped, a crash). For the confined kernel the child is ``unshare --kill-child``,
    whose death takes the whole namespace, and so everything the student started, with it.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass


class Sandbox:
    """One kernel process and the two pipes to it."""

    def __init__(self, limits: Limits | None = None, confine: bool | None = None):
        self.limits = limits or Limits()
        self.confined = can_confine() if confine is None else (confine and can_confine())
        self.proc: subprocess.Popen | None = None
        self._jail: str | None = None
        self.read_fd = self.write_fd = -1

    def protections_off(self) -> list[str]:
        """The protections this kernel runs without, one phrase each."""
        if self.confined:
            return []
        off = [
            "the kernel runs as the grader's own user, not as 'nobody'",
            "the kernel sees the whole file system (solutions/ included) and can write where "
            "the grader can",
            "the kernel has the network",
            "a process the student starts in a new session can outlive grading",
        ]
        if os.name != "posix":
            off.append("no memory, CPU-time, process or file-size limits")
        if os.name == "posix" and os.geteuid() == 0:
            off.append("unshare could not create namespaces here")
        return off

    def start(self, deadline: float, preload: tuple[str, ...] = ()) -> None:
        """Start the kernel; it imports ``preload`` before it says it is ready."""
        k_read, g_write = os.pipe()  # grader -> kernel
        g_read, k_write = os.pipe()  # kernel -> grader
        boot = Path(wire.__file__).read_text(encoding="utf-8")
        lim = self.limits
        env_common = {
            "RNNBOOK_WIRE_IN": str(k_read),
            "RNNBOOK_WIRE_OUT": str(k_write),
            "RNNBOOK_PRELOAD": ",".join(preload),
        }
        try:
            if self.confined:
                self._jail = tempfile.mkdtemp(prefix="rnnbook-jail-")
                prlimit = (
                    f"--as={lim.memory_bytes} --cpu={lim.cpu_seconds} --nproc={lim.processes} "
                    f"--fsize={lim.file_bytes} --nofile={lim.open_files}"
                )
                env = {
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "RNNBOOK_JAIL": self._jail,
                    "RNNBOOK_KEEP": " ".join(_keep_paths()),
                    "RNNBOOK_HIDE": f"{PACKAGE / 'course'} {PACKAGE / 'topics'}",
                    "RNNBOOK_PRLIMIT": prlimit,
                    "RNNBOOK_PYTHON": sys.executable,
                    **env_common,
                }
                data = os.environ.get("RNNBOOK_DATA_DIR")
                if data:
                    env["RNNBOOK_DATA_DIR"] = data
                cmd = ["unshare", "-m", "-n", "-p", "--fork", "--kill-child"]
                cmd += ["sh", "-c", _JAIL_SCRIPT, "sh", boot]
                self.proc = subprocess.Popen(
                    cmd,
                    env=env,
                    pass_fds=(k_read, k_write),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            else:
                env = dict(os.environ, **env_common, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
                workdir = tempfile.mkdtemp(prefix="rnnbook-kernel-")
                self._jail = workdir
                self.proc = subprocess.Popen(
                    [sys.executable, "-I", "-c", boot],
                    env=env,
                    cwd=workdir,
                    pass_fds=(k_read, k_write),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                    preexec_fn=self._set_limits if os.name == "posix" else None,
                )
        finally:
            os.close(k_read)
            os.close(k_write)
        self.read_fd, self.write_fd = g_read, g_write
        try:
            hello = self.recv(deadline)
        except KernelDied as err:
            raise KernelDied(f"{err}; {self._stderr_text()}".rstrip("; ")) from None
        if hello.get("op") != "ready":
            self.kill()
            raise KernelDied("the kernel did not start")

    def _stderr_text(self) -> str:
        if self.proc is None or self.proc.stderr is None or self.proc.stderr.closed:
            return ""
        try:
            return " ".join(self.proc.stderr.read(2000).decode(errors="replace").split())
        except (OSError, ValueError):
            return ""

    def _set_limits(self) -> None:  # runs in the child, before exec
        import resource

        _die_with_parent()
        lim = self.limits
        for which, value in (
            (resource.RLIMIT_AS, lim.memory_bytes),
            (resource.RLIMIT_CPU, lim.cpu_seconds),
            (resource.RLIMIT_FSIZE, lim.file_bytes),
        ):
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass

    def send(self, obj) -> None:
        try:
            wire.write_frame(self.write_fd, obj)
        except OSError as err:
            self.kill()
            reason = self._death_reason() or f"the kernel stopped listening ({err})"
            raise KernelDied(reason) from None

    def recv(self, deadline: float):
        import select

        def wait():
            left = deadline - time.monotonic()
            ready = left > 0 and select.select([self.read_fd], [], [], left)[0]
            if not ready:
                self.kill()
                raise KernelTimeout("the time limit was reached")

        try:
            return wire.read_frame(self.read_fd, wait)
        except (EOFError, OSError, wire.WireError) as err:
            reason = self._death_reason()
            self.kill()
            raise KernelDied(reason or f"the kernel broke the protocol ({err})") from None

    def _death_reason(self) -> str:
        if self.proc is None:
            return ""
        try:
            code = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return ""
        stderr = b""
        if self.proc.stderr is not None:
            try:
                stderr = self.proc.stderr.read(4000) or b""
            except (OSError, ValueError):
                pass
        if "Killed" in stderr.decode(errors="replace") or code in (-9, 137):
            return "the kernel was killed (out of memory, or over a limit)"
        if code in (-11, 139):
            return "the kernel crashed (segmentation fault)"
        if code in (-24, 152):
            return "the kernel ran out of CPU time"
        return f"the kernel exited with status {code}"

    def kill(self) -> None:
        """Kill the kernel and everything it started; close the pipes; remove the folder."""
        if self.proc is not None:
            if self.confined and self.proc.poll() is None:
                _kill_children(self.proc.pid)  # the namespace's first process, and so all of it
            if self.proc.poll() is None:
                try:
                    if self.confined:
                        self.proc.kill()  # --kill-child takes the namespace down with it
                    else:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if not self.confined:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError, OSError):
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if self.proc.stderr is not None:
                self.proc.stderr.close()
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.read_fd = self.write_fd = -1
        if self._jail:
            shutil.rmtree(self._jail, ignore_errors=True)
            self._jail = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()
