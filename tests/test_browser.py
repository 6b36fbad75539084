"""The built book in a real browser: headless Chromium, driven by Selenium, reads _build/html.

The strict build is the session's one build (the ``build`` fixture of conftest.py); it is served
on 127.0.0.1 and every page of _toc.yml is opened once. Checked: no console errors, a rendered
heatmap on every chapter, the Colab and Binder links, every internal link and #fragment, and a
full-page screenshot of each chapter in _build/screenshots/.

Chromium and its driver are Debian's (``chromium``, ``chromium-driver``); `make browser` (run by
`make test`) installs them (``BAHDANAU_CHROMIUM`` and ``BAHDANAU_CHROMEDRIVER`` choose others,
e.g. in CI). A browser that is missing or does not start is a failure, never a skip. The browser may
not reach the internet (``--host-resolver-rules``), so that the test sees the same page offline
and in CI. Nothing on a page needs another host (MathJax is the book's own copy), so a failed
request is an error like any other (tests/test_offline.py checks the requests themselves).
"""

from __future__ import annotations

import base64
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urldefrag, urlparse

import nbformat
import pytest
import yaml
from bench_web import serve
from book_build import ROOT, require_html
from book_toc import TOC, chapter_notebooks, toc_files

# Debian's packages, or another Chrome-compatible browser and its driver (as in the Makefile).
CHROMIUM = Path(os.environ.get("BAHDANAU_CHROMIUM") or "/usr/bin/chromium")
CHROMEDRIVER = Path(os.environ.get("BAHDANAU_CHROMEDRIVER") or "/usr/bin/chromedriver")
SCREENSHOTS = ROOT / "_build" / "screenshots"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
CHAPTERS = chapter_notebooks()
# Every page of the book: the landing page (the table of contents' root), then the chapters and pages.
PAGES = [file.removesuffix(".ipynb") for file in [TOC["root"], *toc_files()]]

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Every host but the local server is unreachable: the same page offline and in CI.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]

# ----------------------------------------------------------------------------------------------
# A local web server and the browser
# ----------------------------------------------------------------------------------------------


# serve(directory): the built book on a free port of 127.0.0.1 (as the browser benchmark serves it).


@pytest.fixture(scope="session")
def site(build) -> Iterator[str]:
    """The strictly built book, served locally."""
    with serve(require_html(build)) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fresh profile; its console messages are kept for ``get_log``.

    One per test module, closed at the module's end: the modules that import this fixture would
    otherwise each keep a browser open, with its last page still running, until the run ends."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"the browser tests need {' and '.join(missing)}: run `make setup`, which installs the Debian "
            "packages chromium and chromium-driver (apt-get, as root or with sudo)"
        )
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        pytest.fail(f"the browser tests need selenium (in requirements.txt): {error}")

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in [*CHROMIUM_ARGS, f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        # An explicit driver: Selenium never tries to download one.
        driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    except WebDriverException as error:
        pytest.fail(f"headless Chromium did not start ({CHROMIUM}, {CHROMEDRIVER}):\n{error.msg}")
    driver.set_window_size(1280, 1000)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


# ----------------------------------------------------------------------------------------------
# What a page shows
# ----------------------------------------------------------------------------------------------

# Run in the page once it has loaded: its images (after they finished loading) and its links.
PAGE_SCRIPT = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
Promise.all(images.map(img => img.complete ? null : new Promise(ok => { img.onload = img.onerror = ok; })))
  .then(() => done({
    images: images.map(img => ({src: img.src, width: img.naturalWidth,
                                inOutput: img.closest('.cell_output, .output') !== null})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    height: document.documentElement.scrollHeight,
    // The check cells (tagged hide-cell): is any of their code on screen before the reader asks?
    checks: Array.from(document.querySelectorAll('.cell.tag_hide-cell')).map(cell => {
      const code = cell.querySelector('.cell_input');
      // checkVisibility: no box, or inside a closed <details> (content-visibility: hidden).
      return code !== null && code.checkVisibility({visibilityProperty: true});
    }),
  }));
"""


@dataclass
class Visit:
    """What one page showed in the browser."""

    url: str
    console_errors: list[str]
    images: list[dict]
    links: list[str]
    height: int
    checks: list[bool]  # one per check cell: is its code shown?


def console_errors(driver) -> list[str]:
    """The SEVERE console messages logged since the last read: any is a failure, none is excused."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def visit(driver, url: str) -> Visit:
    """Open ``url``, wait for its images, and collect its console errors, images and links."""
    driver.get_log("browser")  # drop the messages of the previous page
    driver.get(url)
    driver.set_script_timeout(30)
    found = driver.execute_async_script(PAGE_SCRIPT)
    return Visit(url, console_errors(driver), found["images"], found["links"], found["height"], found["checks"])


def screenshot(driver, height: int, path: Path) -> None:
    """A full-page PNG (the whole scroll height, at the window's width) through the DevTools protocol."""
    width = driver.execute_script("return document.documentElement.clientWidth")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
    })
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def pages(browser, site) -> dict[str, Visit]:
    """Every page of the book visited once (and a screenshot of every chapter)."""
    visits = {}
    for page in PAGES:
        visits[page] = visit(browser, f"{site}{page}.html")
        if page in CHAPTERS:
            screenshot(browser, visits[page].height, SCREENSHOTS / f"{Path(page).name}.png")
    return visits


class _Anchors(HTMLParser):
    """Collects the ids (and old-style ``<a name>``) a page defines: the targets of #fragments."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key == "id" or (tag == "a" and key == "name"):
                self.ids.add(value)


def broken_internal_links(links: Iterable[str], base_url: str) -> list[str]:
    """The links to ``base_url`` whose file is not served (HTTP 200) or whose #fragment is no id there.

    Links to other hosts are left to the CI's Sphinx linkcheck (they need the network).
    """
    by_target: dict[str, set[str]] = {}
    for link in links:
        if link.startswith(base_url):
            target, fragment = urldefrag(link)
            by_target.setdefault(target, set()).add(unquote(fragment))
    broken = []
    for target, fragments in sorted(by_target.items()):
        try:
            with urllib.request.urlopen(target, timeout=30) as response:
                status, body = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, body = error.code, b""
        if status != 200:
            broken.append(f"{target}: HTTP {status}")
            continue
        anchors = _Anchors()
        anchors.feed(body.decode("utf-8", errors="replace"))
        broken += [f"{target}#{fragment}: no such id" for fragment in sorted(fragments - {""} - anchors.ids)]
    return broken


# ----------------------------------------------------------------------------------------------
# The checks
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(pages, page):
    assert not pages[page].console_errors, "\n".join(pages[page].console_errors)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_shows_a_rendered_heatmap(pages, chapter):
    figures = [image for image in pages[chapter].images if image["inOutput"]]
    assert figures, f"{chapter}: no image in the cell outputs"
    broken = [image["src"] for image in figures if image["width"] == 0]
    assert not broken, f"{chapter}: images that did not render: {broken}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_launch_links_open_this_notebook_on_main(pages, chapter):
    owner_repo = urlparse(CONFIG["repository"]["url"]).path.strip("/")
    notebook = f"{chapter}.ipynb"
    links = pages[chapter].links
    colab = f"https://colab.research.google.com/github/{owner_repo}/blob/main/{notebook}"
    assert colab in links, f"no Colab link to {colab}; links: {[link for link in links if 'colab' in link]}"
    binder_prefix = f"https://mybinder.org/v2/gh/{owner_repo}/main?"
    binder = [link for link in links if link.startswith(binder_prefix)]
    assert binder, f"no Binder link starting {binder_prefix}"
    for link in binder:
        query = parse_qs(urlparse(link).query)
        paths = query.get("urlpath", []) + query.get("filepath", [])
        assert any(path.endswith(notebook) for path in paths), f"{link} does not open {notebook}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_check_cells_are_closed_toggles(pages, chapter):
    """A cell that only checks a paragraph's claim is in the page (nbval runs it, a reader may open
    it) but its code is not shown until the reader opens its toggle."""
    notebook = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)
    expected = sum("hide-cell" in cell.metadata.get("tags", []) for cell in notebook.cells)
    shown = pages[chapter].checks
    assert expected and len(shown) == expected, f"{len(shown)} check cells in the page, {expected} in the notebook"
    assert not any(shown), f"{sum(shown)} of {len(shown)} check cells show their code before they are opened"


def test_a_check_cell_opens_on_click(browser, site):
    chapter = CHAPTERS[0]
    browser.get(f"{site}{chapter}.html")
    opened = browser.execute_script("""
      const cell = document.querySelector('.cell.tag_hide-cell');
      cell.querySelector('summary').click();
      const code = cell.querySelector('.cell_input');
      return code.checkVisibility({visibilityProperty: true}) && code.innerText.includes('Check:');
    """)
    assert opened, "clicking a check cell's toggle does not show its code"


def test_internal_links_resolve(pages, site):
    links = [link for visit in pages.values() for link in visit.links]
    assert any(link.startswith(site) and "#" in link for link in links), "no internal link with a #fragment was seen"
    broken = broken_internal_links(links, site)
    assert not broken, "\n".join(broken)


# The public script hosts (CDNs). tests/test_offline.py fails on any script, stylesheet or font
# that a page loads from another host; this fails on a page that merely names a CDN, as
# sphinx-thebe's inline `const THEBE_JS_URL = "https://unpkg.com/..."` did on every page while
# thebe was off (book/_ext/page_scripts.py).
CDN_NAMES = re.compile(r"unpkg|jsdelivr|\bcdn", re.IGNORECASE)


class _Markup(HTMLParser):
    """What a page's markup says: its attributes' values (data: URLs left out: base64 may spell
    anything) and the text of its inline scripts and styles."""

    def __init__(self):
        super().__init__()
        self.said: list[str] = []
        self._inline = False

    def handle_starttag(self, tag, attrs):
        self.said += [value for _, value in attrs if value and not value.startswith("data:")]
        self._inline = tag in ("script", "style")

    def handle_endtag(self, tag):
        self._inline = False

    def handle_data(self, data):
        if self._inline:
            self.said.append(data)


def test_no_page_names_a_cdn(build):
    html = require_html(build)
    pages = sorted(html.rglob("*.html"))
    assert any(page.is_relative_to(html / "zh") for page in pages), "the Chinese edition's pages are missing"
    found = []
    for page in pages:
        markup = _Markup()
        markup.feed(page.read_text(encoding="utf-8"))
        found += [f"{page.relative_to(html)}: {match.group(0)} in {text.strip()[:120]!r}"
                  for text in markup.said for match in [CDN_NAMES.search(text)] if match]
    assert not found, "pages that name a CDN:\n" + "\n".join(found)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_screenshot_is_saved(pages, chapter):
    path = SCREENSHOTS / f"{Path(chapter).name}.png"
    assert path.is_file(), f"no screenshot {path}"
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 50_000, f"{path} is only {len(data)} bytes"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # the IHDR chunk
    assert width >= 1000 and height >= pages[chapter].height - 1


def test_the_link_checker_finds_a_broken_link_and_a_missing_anchor(browser, tmp_path):
    """The checker above, on a two-page site with one good and two broken internal links."""
    (tmp_path / "a.html").write_text(
        '<html><body><h1 id="top">A</h1>'
        '<a href="b.html#present">good</a> <a href="b.html#absent">missing anchor</a> '
        '<a href="missing.html">missing page</a> <a href="https://example.org/">external</a></body></html>'
    )
    (tmp_path / "b.html").write_text('<html><body><h2 id="present">B</h2></body></html>')
    with serve(tmp_path) as base_url:
        links = visit(browser, f"{base_url}a.html").links
        assert f"{base_url}b.html#present" in links  # the browser resolved the relative hrefs
        assert broken_internal_links(links, base_url) == [
            f"{base_url}b.html#absent: no such id",
            f"{base_url}missing.html: HTTP 404",
        ]
