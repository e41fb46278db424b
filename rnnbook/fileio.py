"""Writing a file so that a reader sees either the old version or the whole new one, never half.

``atomic_write(path, write)`` is the one writer that corpora (:mod:`rnnbook.data`) and
checkpoints (:mod:`rnnbook.checkpoint`) share:

1. ``write(f)`` fills a temporary file in the target's own folder (same file system, so the
   rename below cannot turn into a copy), named ``.<name>.<pid>.<random>.tmp``;
2. the file is flushed and ``fsync``'ed, and ``check(temp_path)``, if given, reads it back;
3. ``os.replace`` renames it over the target, atomically on POSIX and Windows, and the folder is
   fsync'ed so the rename itself survives a power cut.

If anything fails on the way, an exception or Ctrl-C (``KeyboardInterrupt``) included, the
temporary file is removed and an older file at the target stays as it was.  A process killed
outright (SIGKILL, or SIGTERM with no handler) cannot clean up after itself: its temporary file
stays, and :func:`remove_stale_temps` (called by every atomic write, and by
:func:`rnnbook.checkpoint.load_checkpoint`) deletes it later.  It recognises such a file by the
process id in its name: a temporary file whose writer is still running is left alone.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "remove_stale_temps", "temp_files"]


def _temp_pattern(target: Path) -> re.Pattern:
    return re.compile(rf"^\.{re.escape(target.name)}\.(\d+)\.[0-9a-f]+\.tmp$")


def temp_files(path: str | os.PathLike) -> list[Path]:
    """The temporary files that atomic writes of ``path`` have left in its folder (any writer)."""
    target = Path(path)
    pattern = _temp_pattern(target)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    return sorted(target.parent / n for n in names if pattern.match(n))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # a process we may not signal: it exists
    return True


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Delete the temporary files of ``path`` whose writing process no longer runs; return them.

    A writer killed mid-write (SIGKILL) leaves its temporary file behind; this removes it.  Files
    of writers that still run (another process saving at this moment) are kept.
    """
    removed = []
    pattern = _temp_pattern(Path(path))
    for tmp in temp_files(path):
        pid = int(pattern.match(tmp.name).group(1))
        if not _alive(pid):
            try:
                tmp.unlink()
                removed.append(tmp)
            except OSError:
                pass
    return removed


def atomic_write(
    path: str | os.PathLike,
    write: Callable[[BinaryIO], None],
    *,
    check: Callable[[Path], None] | None = None,
) -> Path:
    """Write ``path`` atomically: ``write(f)`` fills a temporary file that replaces ``path``.

    ``check(temp_path)`` may read the finished temporary file and raise to refuse it (a checksum
    that does not match, a file that does not load back); the target is then left untouched.
    Creates the folder if needed; returns ``path`` as a :class:`~pathlib.Path`.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    if not callable(write):
        raise TypeError(f"write: expected a callable write(file), got {type(write).__name__}")
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"path: expected a file to write, got the folder {str(target)!r}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (PermissionError, FileExistsError, NotADirectoryError) as err:
        raise type(err)(
            f"path: cannot create the folder {str(target.parent)!r} to write {target.name!r} "
            f"({err.strerror or err}); choose a folder you can write to"
        ) from err
    remove_stale_temps(target)
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except PermissionError as err:
        raise PermissionError(
            err.errno,
            f"path: cannot write in the folder {str(target.parent)!r} (permission denied); fix "
            f"its permissions or choose another folder",
        ) from err
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
