"""The book builds strictly, and every chapter page shows its figures and its launch buttons.

One strict build per test session (the module-scoped ``build`` fixture), with the command
`make book` runs, into the usual ``_build/html``. A missing notebook is a failure, never a skip.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from book_toc import chapter_notebooks

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
HTML = ROOT / "_build" / "html"

# The arguments of the Makefile's `book` target. --all rebuilds every page, so that warnings
# from pages unchanged since the last build are reported again.
BUILD_ARGS = ["build", ".", "--all", "--warningiserror", "--nitpick", "--keep-going"]


def jupyter_book() -> str:
    """The jupyter-book of the environment running the tests (the project's .venv under make)."""
    beside_python = Path(sys.executable).parent / "jupyter-book"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed (it is in requirements.txt)")
    return found


CHAPTERS = chapter_notebooks()


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def build() -> subprocess.CompletedProcess:
    """Run the strict build once; the tests below read its log (colours removed) and its HTML."""
    result = subprocess.run(
        [jupyter_book(), *BUILD_ARGS],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=1800,
    )
    result.stdout = ANSI_ESCAPE.sub("", result.stdout)
    return result


def page(build, chapter: str) -> str:
    path = HTML / f"{chapter}.html"
    assert path.is_file(), f"{path.relative_to(ROOT)} was not built; build log:\n{build.stdout[-3000:]}"
    return path.read_text(encoding="utf-8")


def test_make_book_runs_the_same_command():
    recipe = (ROOT / "Makefile").read_text()
    assert "jupyter-book " + " ".join(BUILD_ARGS) in recipe


def test_every_chapter_notebook_exists():
    assert CHAPTERS, "_toc.yml lists no notebook under notebooks/"
    missing = [f"{chapter}.ipynb" for chapter in CHAPTERS if not (ROOT / f"{chapter}.ipynb").is_file()]
    assert not missing, f"listed in _toc.yml but missing: {missing}"


def test_strict_build_passes_without_warnings(build):
    log = build.stdout
    assert build.returncode == 0, f"the strict build failed (exit code {build.returncode}):\n{log[-5000:]}"
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_shows_its_stored_figures(build, chapter):
    html = page(build, chapter)
    images = re.findall(r"""<img[^>]*\ssrc="([^"]+\.png)\"""", html)
    assert images, f"{chapter}.html shows no PNG figure"
    for image in images:
        assert (HTML / chapter).parent.joinpath(image).resolve().is_file(), f"{image} is missing from the build"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_hides_the_colab_setup(build, chapter):
    assert "google.colab" not in page(build, chapter), "the remove-cell tag did not hide the Colab cell"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_launch_and_repository_buttons(build, chapter):
    html = page(build, chapter)
    repository = CONFIG["repository"]["url"]
    owner_repo = urlparse(repository).path.strip("/")
    branch = CONFIG["repository"]["branch"]
    launch = CONFIG["launch_buttons"]
    colab = f'{launch["colab_url"].rstrip("/")}/github/{owner_repo}/blob/{branch}/{chapter}.ipynb'
    binder = f'{launch["binderhub_url"].rstrip("/")}/v2/gh/{owner_repo}/{branch}?'
    assert f'href="{colab}"' in html, f"no Colab button opening {colab}"
    binder_links = re.findall(rf'href="({re.escape(binder)}[^"]*)"', html)
    assert any(link.endswith(f"{chapter}.ipynb") for link in binder_links), f"no Binder button for {chapter}"
    assert f'href="{repository}"' in html, "no repository button"
    assert f'href="{repository}/issues/new' in html, "no issues button"


def test_references_page_lists_every_entry(build):
    """An entry appears only once a page cites it; each one must be cited somewhere."""
    html = (HTML / "book" / "references.html").read_text(encoding="utf-8").lower()  # the style lowercases titles
    bib = (ROOT / "book" / "references.bib").read_text()
    titles = re.findall(r"^\s*title\s*=\s*\{(.+)\},?$", bib, re.MULTILINE)
    assert len(titles) >= 6
    for title in titles:
        words = re.sub(r"[{}]", "", title).split()[:3]
        assert " ".join(words).lower() in html, f"{title!r} is not in the bibliography: is it cited?"
