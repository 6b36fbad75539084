"""Tests for bahdanau.download: finding the corpus, or downloading it once, safely.

The download tests talk only to an HTTP server on 127.0.0.1 started here; the archive they
serve holds ``tests/fixtures/tiny_fra_eng.txt`` as ``fra-eng/fra.txt``.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import stat
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import bahdanau
from bahdanau.download import ENV_VAR, DownloadError, corpus_sha256, default_data_dir, fra_eng_path

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_fra_eng.txt"


def test_fra_eng_path_is_importable_from_the_package():
    assert bahdanau.fra_eng_path is fra_eng_path


def test_corpus_sha256(tmp_path):
    path = tmp_path / "f.txt"
    path.write_bytes(b"abc")
    assert corpus_sha256(path) == hashlib.sha256(b"abc").hexdigest()


# ----------------------------------------------------------------------------------------------
# Download (against a local HTTP server only)
# ----------------------------------------------------------------------------------------------


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name), content)
    return buffer.getvalue()


class Server:
    """Serves ``body`` at every path on 127.0.0.1 and counts the requests."""

    def __init__(self) -> None:
        self.body = b""
        self.requests = 0
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/fra-eng.zip"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    serving = Server()
    yield serving
    serving.close()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/fra-eng.zip"


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.fixture
def good_zip() -> bytes:
    return make_zip({"fra-eng/_about.txt": b"made up\n", "fra-eng/fra.txt": FIXTURE.read_bytes()})


def test_download_good_checksum_extracts_once(tmp_path, server, good_zip):
    server.body = good_zip
    sha1 = hashlib.sha1(good_zip).hexdigest()
    data_dir = tmp_path / "new" / "data"  # does not exist yet
    path = fra_eng_path(data_dir, url=server.url, sha1=sha1, progress=False)
    assert path == data_dir / "fra-eng" / "fra.txt"
    assert path.read_bytes() == FIXTURE.read_bytes()
    assert tree(data_dir) == ["fra-eng", "fra-eng.zip", "fra-eng/_about.txt", "fra-eng/fra.txt"]
    assert server.requests == 1
    # second call: the file is there, no download
    assert fra_eng_path(data_dir, url=server.url, sha1=sha1, progress=False) == path
    assert server.requests == 1


def test_download_uses_env_var(tmp_path, server, good_zip, monkeypatch):
    server.body = good_zip
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    path = fra_eng_path(url=server.url, sha1=hashlib.sha1(good_zip).hexdigest(), progress=False)
    assert path == tmp_path / "fra-eng" / "fra.txt" and path.is_file()


def test_download_completes_a_folder_without_fra_txt(tmp_path, server, good_zip):
    server.body = good_zip
    (tmp_path / "fra-eng").mkdir()
    (tmp_path / "fra-eng" / "_about.txt").write_text("old")
    path = fra_eng_path(tmp_path, url=server.url, sha1=hashlib.sha1(good_zip).hexdigest(), progress=False)
    assert path.read_bytes() == FIXTURE.read_bytes()
    assert tree(tmp_path) == ["fra-eng", "fra-eng.zip", "fra-eng/_about.txt", "fra-eng/fra.txt"]


def test_download_bad_checksum_leaves_nothing(tmp_path, server, good_zip):
    server.body = good_zip
    existing = tmp_path / "existing"
    existing.mkdir()
    with pytest.raises(DownloadError, match="SHA-1"):
        fra_eng_path(existing, url=server.url, sha1="0" * 40, progress=False)
    assert tree(existing) == []
    missing = tmp_path / "missing" / "data"
    with pytest.raises(DownloadError, match="SHA-1"):
        fra_eng_path(missing, url=server.url, sha1="0" * 40, progress=False)
    assert tree(tmp_path) == ["existing"]  # the folders it created are gone too


@pytest.mark.parametrize("bad_name", ["../x", "fra-eng/../../x", "/tmp/x", "C:/x"])
def test_download_refuses_escaping_members(tmp_path, server, bad_name):
    body = make_zip({"fra-eng/fra.txt": FIXTURE.read_bytes(), bad_name: b"escaped"})
    server.body = body
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(DownloadError, match="unsafe member"):
        fra_eng_path(data_dir, url=server.url, sha1=hashlib.sha1(body).hexdigest(), progress=False)
    assert tree(tmp_path) == ["data"]  # nothing extracted, nothing escaped
    assert not Path("/tmp/x").exists() or Path("/tmp/x").read_bytes() != b"escaped"


def test_download_zip_without_corpus(tmp_path, server):
    body = make_zip({"other/readme.txt": b"no corpus here"})
    server.body = body
    with pytest.raises(DownloadError, match="fra-eng/fra.txt"):
        fra_eng_path(tmp_path, url=server.url, sha1=hashlib.sha1(body).hexdigest(), progress=False)
    assert tree(tmp_path) == []


def test_download_unreachable_url_names_url_folder_and_env_var(tmp_path):
    url = closed_port_url()
    with pytest.raises(DownloadError) as error:
        fra_eng_path(tmp_path, url=url, progress=False, timeout=5)
    message = str(error.value)
    assert url in message and str(tmp_path) in message and ENV_VAR in message
    assert tree(tmp_path) == []


def test_existing_read_only_folder_is_used_as_is(tmp_path):
    corpus_dir = tmp_path / "readonly"
    (corpus_dir / "fra-eng").mkdir(parents=True)
    corpus = corpus_dir / "fra-eng" / "fra.txt"
    corpus.write_bytes(FIXTURE.read_bytes())
    read_only = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP
    corpus.chmod(stat.S_IRUSR)
    for folder in (corpus_dir / "fra-eng", corpus_dir):
        folder.chmod(read_only)
    before = [(p, p.stat().st_mtime_ns) for p in corpus_dir.rglob("*")]
    try:
        # A closed port as URL: any download attempt would raise.
        assert fra_eng_path(corpus_dir, url=closed_port_url(), progress=False) == corpus
        assert [(p, p.stat().st_mtime_ns) for p in corpus_dir.rglob("*")] == before
    finally:
        for folder in (corpus_dir, corpus_dir / "fra-eng"):
            folder.chmod(stat.S_IRWXU)


def test_default_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env"))
    assert default_data_dir() == tmp_path / "env"
    monkeypatch.delenv(ENV_VAR)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert default_data_dir() == tmp_path / "cache" / "bahdanau"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_data_dir() == tmp_path / "home" / ".cache" / "bahdanau"
