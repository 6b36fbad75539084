"""The book builds strictly, and every chapter page shows its figures and its launch buttons.

One strict build per test session (the session-scoped ``build`` fixture of conftest.py, shared
with test_browser.py), with the command `make book` runs, into the usual ``_build/html``. A
missing notebook is a failure, never a skip.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlparse

import pytest
import yaml
from book_build import BUILD_ARGS, HTML, ROOT, run_jupyter_book
from book_toc import chapter_notebooks

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHAPTERS = chapter_notebooks()


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


def test_sphinx_linkcheck_passes_with_external_links_ignored(tmp_path):
    """Sphinx's linkcheck, as CI runs it, but offline: external links are ignored here (CI checks them).

    What it checks locally (Sphinx 7.4): links to local files must exist. It leaves internal
    references unchecked (it reports them as ``#anchor``, "unchecked"); the strict build
    (``--nitpick -W``) resolves every cross-reference and test_browser.py follows every
    rendered internal link and #fragment. The output goes to tmp_path, not into _build/html.
    """
    from book_config import book_config  # _config.yml with its local extensions' folders in full

    config = book_config()
    config["sphinx"]["config"]["linkcheck_ignore"] = [r"https?://.*"]
    config_path = tmp_path / "_config.yml"
    config_path.write_text(yaml.safe_dump(config))
    result = run_jupyter_book(
        "build", ".", "--builder", "linkcheck", "--config", str(config_path),
        "--path-output", str(tmp_path), "--warningiserror", "--keep-going",
    )
    assert result.returncode == 0, f"linkcheck failed (exit code {result.returncode}):\n{result.stdout[-5000:]}"
    output = tmp_path / "_build" / "html" / "output.json"
    rows = [json.loads(line) for line in output.read_text().splitlines() if line.strip()]
    statuses = {row["status"] for row in rows}
    assert "ignored" in statuses, "linkcheck saw no external link: did it read the book?"
    broken = [
        f"{row['filename']}:{row['lineno']} {row['uri']} ({row['info']})" for row in rows if row["status"] == "broken"
    ]
    assert not broken, "\n".join(broken)
