"""Corpus access: local folder, cache, and real downloads from a local HTTP server."""

import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from rnnbook import data

BOOK = b"The Time Traveller (for so it will be convenient to speak of him)\n" * 50


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "good"

    def do_GET(self):  # noqa: N802 (http.server's name)
        body = BOOK
        if self.mode == "corrupt":
            body = BOOK.replace(b"Time", b"Tide")
        self.send_response(200)
        self.send_header("Content-Length", str(len(BOOK)))
        self.end_headers()
        if self.mode == "truncated":
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fake_corpus(monkeypatch, tmp_path):
    """A corpus entry whose address is the local server, and an empty cache."""
    monkeypatch.setenv(data.ENV_CACHE_DIR, str(tmp_path / "cache"))
    monkeypatch.delenv(data.ENV_DATA_DIR, raising=False)

    def make(url):
        corpus = data.Corpus(
            name="fake",
            filename="fake.txt",
            url=url,
            sha256=hashlib.sha256(BOOK).hexdigest(),
            n_bytes=len(BOOK),
            description="test corpus",
        )
        monkeypatch.setitem(data.CORPORA, "fake", corpus)
        return corpus

    return make


def _url(srv, mode):
    _Handler.mode = mode
    host, port = srv.server_address
    return f"http://{host}:{port}/fake.txt"


def test_good_download_is_verified_and_cached(server, fake_corpus, tmp_path):
    fake_corpus(_url(server, "good"))
    path = data.corpus_path("fake")
    assert path == tmp_path / "cache" / "fake.txt"
    assert path.read_bytes() == BOOK
    # second call reads the cache: the server is no longer needed
    _Handler.mode = "corrupt"
    assert data.load_corpus("fake") == BOOK.decode()
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.txt"]


def test_corrupted_download_leaves_nothing(server, fake_corpus, tmp_path):
    fake_corpus(_url(server, "corrupt"))
    with pytest.raises(data.ChecksumMismatch, match="expected SHA-256"):
        data.corpus_path("fake")
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_truncated_transfer_leaves_nothing(server, fake_corpus, tmp_path):
    fake_corpus(_url(server, "truncated"))
    with pytest.raises(data.CorpusUnavailable, match="fake.txt"):
        data.corpus_path("fake")
    cache = tmp_path / "cache"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_server_gone_says_what_is_missing_and_where(fake_corpus, tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake_corpus(f"http://127.0.0.1:{port}/fake.txt")
    with pytest.raises(data.CorpusUnavailable) as err:
        data.corpus_path("fake")
    msg = str(err.value)
    assert "fake.txt" in msg and str(tmp_path / "cache") in msg and data.ENV_DATA_DIR in msg
    assert not (tmp_path / "cache" / "fake.txt").exists()


def test_offline_without_download(fake_corpus, tmp_path):
    fake_corpus("http://127.0.0.1:9/fake.txt")
    with pytest.raises(data.CorpusUnavailable, match="download it from http://127.0.0.1:9"):
        data.corpus_path("fake", download_if_missing=False)


def test_data_dir_is_read_first_and_verified(fake_corpus, monkeypatch, tmp_path):
    fake_corpus("http://127.0.0.1:9/never-asked")
    folder = tmp_path / "corpora"
    folder.mkdir()
    (folder / "fake.txt").write_bytes(BOOK)
    monkeypatch.setenv(data.ENV_DATA_DIR, str(folder))
    assert data.corpus_path("fake") == folder / "fake.txt"
    (folder / "fake.txt").write_bytes(BOOK[:-1])
    with pytest.raises(data.ChecksumMismatch, match="delete it"):
        data.corpus_path("fake")


def test_unknown_corpus_name():
    with pytest.raises(
        ValueError, match=r"name: expected one of \['timemachine', 'tinyshakespeare'\]"
    ):
        data.load_corpus("ptb")


def test_real_corpora_match_their_checksums():
    # CI points RNNBOOK_DATA_DIR at a folder holding them; a user's machine downloads them.
    for name, corpus in data.CORPORA.items():
        path = data.corpus_path(name)
        assert path.stat().st_size == corpus.n_bytes
        assert Path(path).name == corpus.filename


def test_fetch_all_reports_missing_corpora_without_failing(fake_corpus, monkeypatch, capsys):
    fake_corpus("http://127.0.0.1:9/fake.txt")
    monkeypatch.setattr(data, "CORPORA", {"fake": data.CORPORA["fake"]})
    assert data.main([]) == 0
    assert "fake: not available yet" in capsys.readouterr().out
    assert data.main(["--strict"]) == 1


def test_fetch_all_finds_cached_corpora(server, fake_corpus, monkeypatch, capsys, tmp_path):
    fake_corpus(_url(server, "good"))
    monkeypatch.setattr(data, "CORPORA", {"fake": data.CORPORA["fake"]})
    assert data.main(["--strict"]) == 0
    assert f"fake: {tmp_path / 'cache' / 'fake.txt'}" in capsys.readouterr().out
