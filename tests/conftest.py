"""Fixtures shared by several test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from book_build import run_both_builds

from bahdanau.download import DownloadError, fra_eng_path


@pytest.fixture(scope="session")
def real_corpus_path() -> Path:
    """The real fra-eng corpus, found as the package finds it ($BAHDANAU_DATA, else the cache,
    else a download). Fails, never skips: CI points BAHDANAU_DATA at its copy."""
    try:
        return fra_eng_path(progress=False)
    except DownloadError as error:
        pytest.fail(f"the real-corpus tests need fra-eng/fra.txt: {error}")


@pytest.fixture(scope="session")
def tiny_checkpoint(real_corpus_path: Path, tmp_path_factory) -> Path:
    """The `tiny` preset trained once for the whole session (a few seconds)."""
    from bahdanau.cli.train import train_preset

    log: list[str] = []
    path = train_preset("tiny", tmp_path_factory.mktemp("runs"), corpus_path=real_corpus_path,
                        progress=False, log=log.append)
    path.with_suffix(".log").write_text("\n".join(log))
    return path


@pytest.fixture(scope="session")
def build() -> subprocess.CompletedProcess:
    """The strict book builds (what `make book` runs), once per session: _build/html and _build/html/zh.

    test_book.py reads their logs and HTML, test_browser.py serves the HTML to a browser.
    """
    return run_both_builds()


@pytest.fixture(scope="session")
def assignments() -> Path:
    """`make assignments`, once per session: _build/assignments with its manifest.json.

    Always regenerated, so no test reads assignments left by an older version of the notebooks.
    """
    root = Path(__file__).resolve().parents[1]
    out = root / "_build" / "assignments"
    result = subprocess.run([sys.executable, str(root / "book" / "grading" / "make_assignments.py"), str(out)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return out
