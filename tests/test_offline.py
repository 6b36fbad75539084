"""The built book works offline: nothing is loaded from another host, and the math renders.

A reader offline, or where public CDNs are blocked, must see the same pages: MathJax comes from
the book's own ``_static/mathjax`` (``book/_ext/shared_static.py``), and no page names
a script, a stylesheet or a font on another host. Checked twice: by reading every built file,
and in headless Chromium with every host but 127.0.0.1 unreachable, both over http and from
disk (``file://``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest
from book_build import require_html
from test_browser import PAGES, browser, serve  # noqa: F401 - browser is a fixture

# Pages whose prose has math (their rendered MathJax is checked); every chapter has some.
MATH_PAGES = [page for page in PAGES if page.startswith("notebooks/")] + ["book/notation", "book/from_d2l"]
# The Chinese edition (_build/html/zh) too.
MATH_PAGES += [f"zh/{page}" for page in MATH_PAGES]

# Wait for MathJax to finish typesetting, then report what the page shows and what it loaded.
MATH_SCRIPT = """
const done = arguments[arguments.length - 1];
const report = () => done({
  mathjax: typeof MathJax !== 'undefined' && MathJax.version ? MathJax.version : null,
  rendered: document.querySelectorAll('mjx-container').length,
  raw: (document.body.innerText.match(/\\\\\\(|\\\\\\[/g) || []).length,
  resources: performance.getEntriesByType('resource').map(entry => entry.name),
});
// After the load event (the driver can hand over a document that is still being parsed).
new Promise(ok => document.readyState === 'complete' ? ok() : window.addEventListener('load', ok, {once: true}))
  .then(() => (typeof MathJax !== 'undefined' && MathJax.startup && MathJax.startup.promise) || null)
  .then(report, report);
"""


class _ExternalAssets(HTMLParser):
    """Scripts, stylesheets and fonts (``<link>`` of any rel but plain links) that a page names."""

    def __init__(self):
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.assets.append(attributes["src"])
        elif tag == "link" and attributes.get("href"):
            rel = (attributes.get("rel") or "").split()
            if {"stylesheet", "preload", "prefetch", "modulepreload", "icon"} & set(rel) or \
                    attributes.get("as") in ("font", "script", "style"):
                self.assets.append(attributes["href"])


def _other_host(url: str) -> bool:
    parsed = urlparse(url.strip())
    return parsed.scheme in ("http", "https") or url.strip().startswith("//")


def test_no_built_file_names_an_asset_on_another_host(build):
    html = require_html(build)
    found = []
    for page in sorted(html.rglob("*.html")):
        parser = _ExternalAssets()
        parser.feed(page.read_text(encoding="utf-8"))
        found += [f"{page.relative_to(html)}: {url}" for url in parser.assets if _other_host(url)]
    # Stylesheets can pull fonts and other stylesheets in themselves.
    css_url = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])(https?:)?//""")
    for sheet in sorted(html.rglob("*.css")):
        if css_url.search(sheet.read_text(encoding="utf-8", errors="replace")):
            found.append(f"{sheet.relative_to(html)}: a url() or @import on another host")
    assert not found, "assets on other hosts:\n" + "\n".join(found)
    # And MathJax is the book's own copy.
    assert (html / "_static" / "mathjax" / "tex-chtml.js").is_file()


def _math_report(driver, url: str) -> dict:
    driver.get(url)
    driver.set_script_timeout(60)
    return driver.execute_async_script(MATH_SCRIPT)


@pytest.fixture(scope="module")
def served(build):
    with serve(require_html(build)) as base_url:
        yield base_url


@pytest.mark.parametrize("page", MATH_PAGES)
def test_math_renders_with_no_request_leaving_the_local_server(browser, served, page):  # noqa: F811
    report = _math_report(browser, f"{served}{page}.html")
    assert report["mathjax"], "MathJax did not load"
    assert report["rendered"] > 0, "no rendered formula (mjx-container) on the page"
    assert report["raw"] == 0, f"{report['raw']} formulas left as raw TeX"
    leaving = [url for url in report["resources"] if not url.startswith(served)]
    assert not leaving, f"requests to other hosts: {leaving}"


@pytest.mark.parametrize("page", ["index", "notebooks/02_additive_attention", "zh/notebooks/02_additive_attention"])
def test_math_renders_from_disk(browser, build, page):  # noqa: F811
    path = Path(require_html(build) / f"{page}.html").resolve()
    report = _math_report(browser, path.as_uri())
    assert report["mathjax"] and report["raw"] == 0
    if page != "index":
        assert report["rendered"] > 0
    assert all(url.startswith("file://") for url in report["resources"]), report["resources"]
