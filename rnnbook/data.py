"""The course's corpora: found locally, or downloaded once, verified and cached.

``load_corpus(name)`` looks for the file, in order, in

1. the directory named by the environment variable ``RNNBOOK_DATA_DIR`` (CI and offline
   classrooms point it at a folder holding the files);
2. the user's cache, ``$RNNBOOK_CACHE_DIR`` or ``$XDG_CACHE_HOME/rnnbook`` or ``~/.cache/rnnbook``;
3. the corpus's canonical address, from which it is downloaded, checked against its SHA-256 and
   written into the cache atomically (a temporary file in the same folder, renamed only once
   the checksum matches: an interrupted or corrupted download never leaves a file behind).

Offline with nothing cached, the error names the missing file and where to put it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

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
    """The user's cache folder for rnnbook's corpora (not created here)."""
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rnnbook"


def sha256_of(path: str | os.PathLike) -> str:
    """The hex SHA-256 of a file, read in chunks."""
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

    The bytes go to a temporary file beside ``target``; it is renamed onto ``target`` only after
    the transfer is complete and verified, and removed otherwise, so no half-written or corrupt
    file is ever left at ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        n = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            declared = resp.headers.get("Content-Length")
            for chunk in iter(lambda: resp.read(1 << 16), b""):
                out.write(chunk)
                digest.update(chunk)
                n += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        if declared is not None and n != int(declared):
            raise OSError(f"download of {url} was cut short: got {n} of {declared} bytes")
        if expected_bytes is not None and n != expected_bytes:
            raise ChecksumMismatch(
                f"download of {url}: expected {expected_bytes} bytes, got {n}; nothing was saved"
            )
        if digest.hexdigest() != sha256:
            raise ChecksumMismatch(
                f"download of {url}: expected SHA-256 {sha256}, got {digest.hexdigest()}; "
                "nothing was saved"
            )
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def corpus_path(name: str, *, download_if_missing: bool = True) -> Path:
    """The verified local path of corpus ``name``, downloading it into the cache if needed."""
    corpus = _corpus(name)
    data_dir = os.environ.get(ENV_DATA_DIR)
    if data_dir:
        candidate = Path(data_dir).expanduser() / corpus.filename
        if candidate.is_file():
            _verify(candidate, corpus)
            return candidate
    cached = cache_dir() / corpus.filename
    if cached.is_file():
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
