"""book/bench_web.py's byte counts against its targets, on the session's build of both editions.

The times the benchmark prints depend on the machine and are never asserted; the bytes do not:
one copy of the models and of MathJax (book/_ext/shared_static.py), the whole site and every
page a first visit downloads, within :data:`bench_web.TARGETS`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from bench_web import LIVE_CHAPTER, TARGETS, built_pages, page_weights, site_bytes
from book_build import ROOT, require_html
from shared_static import MATHJAX_FOLDER, MODELS_FOLDER, mathjax_files
from test_browser import PAGES, browser  # noqa: F401 - browser is a fixture

from bahdanau.cli.export_web import read_record

MB = 1e6


def test_one_copy_of_the_models_and_of_mathjax(build):
    html = require_html(build)
    assert (html / "_static" / MODELS_FOLDER / "registry.js").is_file()
    for folder in (MODELS_FOLDER, MATHJAX_FOLDER):
        assert not (html / "zh" / "_static" / folder).exists(), f"zh/_static/{folder} repeats the English copy"
    shipped = sorted(path.relative_to(html / "_static" / MATHJAX_FOLDER)
                     for path in (html / "_static" / MATHJAX_FOLDER).rglob("*") if path.is_file())
    assert shipped == sorted(mathjax_files())
    # The Chinese pages name the English edition's copies (relative URLs, so file:// works too).
    page = (html / "zh" / LIVE_CHAPTER).read_text(encoding="utf-8")
    assert 'src="../_static/../../_static/mathjax/tex-chtml.js' in page
    assert 'data-models="../../_static/models/"' in page


def test_the_whole_site_is_within_its_target(build):
    site = site_bytes(require_html(build))
    assert site["raw"] <= TARGETS["site_mb"] * MB, f"the site weighs {site['raw'] / MB:.1f} MB"
    assert site["gzip"] < site["raw"]


def test_the_benchmark_weighs_every_page_of_both_editions(build):
    assert built_pages(require_html(build)) == sorted(PAGES + [f"zh/{page}" for page in PAGES])


@pytest.fixture(scope="module")
def weights(build, browser):  # noqa: F811
    pages = PAGES + [f"zh/{page}" for page in PAGES]
    return page_weights(browser, require_html(build), pages, switch=(Path(LIVE_CHAPTER).with_suffix("").as_posix(),))


def test_every_page_is_within_its_target_until_the_reader_switches_models(weights):
    over = {page: f"{weight['raw'] / MB:.2f} MB" for page, weight in weights.items()
            if not page.endswith("+switch") and weight["raw"] > TARGETS["page_mb"] * MB}
    assert not over, f"pages over {TARGETS['page_mb']} MB on a first visit: {over}"
    # The live pages did load a model (the weight measured is the one a reader waits for).
    live = [page for page, weight in weights.items() if weight["live"]]
    assert {"book/index", "notebooks/06_papers_model", "zh/notebooks/06_papers_model"} <= set(live)
    switched = weights[Path(LIVE_CHAPTER).with_suffix("").as_posix() + "+switch"]
    assert switched["raw"] > weights[Path(LIVE_CHAPTER).with_suffix("").as_posix()]["raw"]


def test_bench_web_runs(capsys):
    """python book/bench_web.py measures, in its own Chromium (nothing is timed here); the built
    book's weighing is left out (the tests above weigh the session's build)."""
    from bench_web import run

    results = run(["attention"], repeats=2, html=None)
    assert results["attention"]["binary_bytes"] < results["attention"]["bytes"] <= TARGETS["model_file_mb"] * MB
    assert results["attention"]["median_ms"] > 0 and results["attention"]["first_translation_ms"] > 0
    assert 0 < results["attention"]["steer_median_ms"] <= results["attention"]["steer_max_ms"]
    printed = capsys.readouterr().out
    assert "median of 2 translations" in printed and "steering one step and decoding again from it" in printed
    assert "site" not in results



def test_the_landing_page_gives_the_size_of_the_model_it_loads():
    """book/index.md's "The model is a 4.1 MB file": the binary the page fetches (web_export.json),
    in both editions."""
    text = (ROOT / "book" / "index.md").read_text(encoding="utf-8")
    (model,) = set(re.findall(r'data-models="([^"]+)"', text))
    size = f"{read_record()['models'][model]['binary']['bytes'] / MB:.1f} MB"
    claim = next(line for line in text.splitlines() if line.startswith("The model is a "))
    assert claim.startswith(f"The model is a {size} file"), (size, claim)
    with (ROOT / "locales" / "zh_CN" / "LC_MESSAGES" / "book" / "index.po").open("rb") as file:
        (message,) = [m for m in read_po(file) if isinstance(m.id, str) and m.id.startswith("The model is a ")]
    assert f" {size} " in message.string, message.string
