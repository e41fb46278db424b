"""The course's corpora: found locally, or downloaded once, verified and cached.

``load_corpus(name)`` looks for the file, in order, in

1. the directory named by the environment variable ``RNNBOOK_DATA_DIR`` (CI and offline
   classrooms point it at a folder holding the files);
2. the user's cache, ``$RNNBOOK_CACHE_DIR`` or ``$XDG_CACHE_HOME/rnnbook`` or ``~/.cache/rnnbook``;
3. the corpus's canonical address, from which it is downloaded, checked against its SHA-256 and
   written into the cache atomically with :func:`rnnbook.fileio.atomic_write` (a temporary file
   in the same folder, renamed only once the checksum matches: an interrupted or corrupted
   download never leaves a file behind).

Offline with nothing cached, the error names the missing file and where to put it.
``RNNBOOK_DATA_DIR`` set to a file or to a folder that does not exist is an error naming the
variable (a typo there should not turn into a silent download), and so is a cache folder that
cannot be read, with a hint how to fix it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from rnnbook.fileio import atomic_write

__all__ = [
    "CORPORA",
    "ENV_CACHE_DIR",
    "ENV_DATA_DIR",
    "ChecksumMismatch",
    "Corpus",
    "CorpusUnavailable",
    "cache_dir",
    "corpus_path",
    "download",
    "load_corpus",
    "sha256_of",
]

ENV_DATA_DIR = "RNNBOOK_DATA_DIR"
ENV_CACHE_DIR = "RNNBOOK_CACHE_DIR"


@dataclass(frozen=True)
class Corpus:
    """A corpus the course uses: its file name, canonical address, size and SHA-256."""

    name: str
    filename: str
    url: str
    sha256: str
    n_bytes: int
    description: str


CORPORA: dict[str, Corpus] = {
    "timemachine": Corpus(
        name="timemachine",
        filename="timemachine.txt",
        url="http://d2l-data.s3-accelerate.amazonaws.com/timemachine.txt",
        sha256="8424dbd9532ac81f7e5f0b6add90e6952baea29158309d7d1bf3884f4e12c516",
        n_bytes=178_979,
        description="H. G. Wells, The Time Machine (the file Dive into Deep Learning uses)",
    ),
    "tinyshakespeare": Corpus(
        name="tinyshakespeare",
        filename="tinyshakespeare.txt",
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        n_bytes=1_115_394,
        description="Tiny Shakespeare, the char-rnn / nanoGPT character-level benchmark",
    ),
}


class CorpusUnavailable(FileNotFoundError):
    """The corpus is not on disk and could not be downloaded."""


class ChecksumMismatch(ValueError):
    """A file's SHA-256 is not the one the corpus is published with."""


def _corpus(name: str) -> Corpus:
    if not isinstance(name, str) or name not in CORPORA:
        raise ValueError(f"name: expected one of {sorted(CORPORA)}, got {name!r}")
    return CORPORA[name]


def cache_dir() -> Path:
    """The user's cache folder for rnnbook's corpora (not created here).

    ``$RNNBOOK_CACHE_DIR`` pointing at a file is an error naming the variable.
    """
    if os.environ.get(ENV_CACHE_DIR):
        folder = Path(os.environ[ENV_CACHE_DIR]).expanduser()
        if folder.exists() and not folder.is_dir():
            raise NotADirectoryError(
                f"{ENV_CACHE_DIR}: expected a folder for the corpus cache, got the file "
                f"{str(folder)!r}"
            )
        return folder
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rnnbook"


def _data_dir() -> Path | None:
    """``$RNNBOOK_DATA_DIR`` as a folder that exists, None when unset; an error otherwise."""
    value = os.environ.get(ENV_DATA_DIR)
    if not value:
        return None
    folder = Path(value).expanduser()
    if not folder.exists():
        raise CorpusUnavailable(
            f"{ENV_DATA_DIR}: expected a folder that holds the corpora, got {value!r}, which "
            f"does not exist; fix the path or unset {ENV_DATA_DIR}"
        )
    if not folder.is_dir():
        raise NotADirectoryError(
            f"{ENV_DATA_DIR}: expected a folder that holds the corpora, got the file {value!r}; "
            f"point it at the folder that holds that file"
        )
    return folder


def _is_file(path: Path, variable: str) -> bool:
    """Whether ``path`` is a readable file; a folder we may not read gets a hint, not a bare
    PermissionError."""
    try:
        if not path.is_file():
            return False
        with open(path, "rb"):
            return True
    except PermissionError as err:
        raise PermissionError(
            err.errno,
            f"{variable}: cannot read {str(path)!r} (permission denied); give yourself access "
            f"(chmod u+rwx {str(path.parent)!r}, chmod u+r on the file) or set {variable} to "
            f"another folder",
        ) from None


def sha256_of(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file, read in chunks."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a str or os.PathLike, got {type(path).__name__}")
    if not Path(path).is_file():
        raise FileNotFoundError(f"path: expected an existing file, got {str(path)!r}")
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, corpus: Corpus) -> None:
    got = sha256_of(path)
    if got != corpus.sha256:
        raise ChecksumMismatch(
            f"{path}: expected SHA-256 {corpus.sha256} for corpus {corpus.name!r}, got {got}; "
            "the file is corrupt or a different version: delete it and try again"
        )


def download(
    url: str,
    target: str | os.PathLike,
    sha256: str,
    *,
    expected_bytes: int | None = None,
    timeout: float = 30.0,
) -> Path:
    """Download ``url`` to ``target`` atomically, keeping the file only if its SHA-256 matches.

    The bytes go to a temporary file beside ``target`` (:func:`rnnbook.fileio.atomic_write`); it
    is renamed onto ``target`` only after the transfer is complete and verified, and removed
    otherwise, so no half-written or corrupt file is ever left at ``target``.
    """
    if not isinstance(url, str) or not re.match(r"^(https?|file)://", url):
        raise ValueError(f"url: expected an http(s):// or file:// address, got {url!r}")
    if not isinstance(sha256, str) or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ValueError(f"sha256: expected 64 lower-case hex digits, got {sha256!r}")
    if expected_bytes is not None and (
        isinstance(expected_bytes, bool)
        or not isinstance(expected_bytes, int)
        or expected_bytes < 0
    ):
        raise ValueError(f"expected_bytes: expected an int >= 0 or None, got {expected_bytes!r}")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"timeout: expected a number of seconds > 0, got {timeout!r}")
    digest, n = hashlib.sha256(), 0

    def fetch(out) -> None:
        nonlocal n
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                out.write(chunk)
                digest.update(chunk)
                n += len(chunk)
        if declared is not None and n != int(declared):
            raise OSError(f"download of {url} was cut short: got {n} of {declared} bytes")

    def verify(_tmp) -> None:
        if expected_bytes is not None and n != expected_bytes:
            raise ChecksumMismatch(
                f"download of {url}: expected {expected_bytes} bytes, got {n}; nothing was saved"
            )
        if digest.hexdigest() != sha256:
            raise ChecksumMismatch(
                f"download of {url}: expected SHA-256 {sha256}, got {digest.hexdigest()}; "
                "nothing was saved"
            )

    return atomic_write(target, fetch, check=verify)


def corpus_path(name: str, *, download_if_missing: bool = True) -> Path:
    """The verified local path of corpus ``name``, downloading it into the cache if needed."""
    corpus = _corpus(name)
    if not isinstance(download_if_missing, bool):
        raise TypeError(f"download_if_missing: expected True or False, got {download_if_missing!r}")
    folder = _data_dir()
    data_dir = os.environ.get(ENV_DATA_DIR)
    if folder is not None:
        candidate = folder / corpus.filename
        if _is_file(candidate, ENV_DATA_DIR):
            _verify(candidate, corpus)
            return candidate
    cached = cache_dir() / corpus.filename
    if _is_file(cached, ENV_CACHE_DIR):
        _verify(cached, corpus)
        return cached
    where = (
        f"{ENV_DATA_DIR}={data_dir} (no {corpus.filename} there) or the cache {cached.parent}"
        if data_dir
        else f"the cache {cached.parent} (and {ENV_DATA_DIR} is not set)"
    )
    if not download_if_missing:
        raise CorpusUnavailable(
            f"corpus {name!r}: {corpus.filename} was not found in {where}; "
            f"download it from {corpus.url} into {cached.parent}"
        )
    try:
        return download(corpus.url, cached, corpus.sha256, expected_bytes=corpus.n_bytes)
    except PermissionError as err:
        raise CorpusUnavailable(
            f"corpus {name!r}: {corpus.filename} was not found in {where}, and the cache folder "
            f"{str(cached.parent)!r} cannot be written ({err.strerror or err}); give yourself "
            f"access (chmod u+rwx) or set {ENV_CACHE_DIR} to a folder you can write to"
        ) from err
    except (urllib.error.URLError, OSError, http.client.HTTPException) as err:
        raise CorpusUnavailable(
            f"corpus {name!r}: {corpus.filename} was not found in {where}, and downloading it "
            f"from {corpus.url} failed ({err}). Put the file at {cached} "
            f"(SHA-256 {corpus.sha256}), or set {ENV_DATA_DIR} to a folder that holds it."
        ) from err


def load_corpus(name: str) -> str:
    """The text of corpus ``name`` ("timemachine" or "tinyshakespeare"), verified."""
    return corpus_path(name).read_text(encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Fetch every corpus now (``make lab`` calls this), so no lecture waits for a download.

    Prints where each corpus is, or why it is not available; returns 1 only with ``--strict``.
    """
    import argparse

    parser = argparse.ArgumentParser(description="Find, or download and verify, the corpora.")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a corpus is missing")
    args = parser.parse_args(argv)
    missing = 0
    for name in CORPORA:
        try:
            print(f"{name}: {corpus_path(name)}")
        except (CorpusUnavailable, ChecksumMismatch) as err:
            missing += 1
            print(f"{name}: not available yet. {err}")
    return 1 if (missing and args.strict) else 0


if __name__ == "__main__":
    raise SystemExit(main())
