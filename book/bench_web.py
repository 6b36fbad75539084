"""Benchmark: the browser port (book/_static/bahdanau-web.js) in headless Chromium.

Run ``python book/bench_web.py`` from a checkout of the repository (it needs the port's file,
Chromium, chromedriver and selenium: ``make browser``, requirements.txt). For each model it
prints the size of its exported files (the raw bytes fetched over http, the script loaded from
``file://``; raw and gzipped), the time from opening the page to the first translation
(page load, model file, dequantisation, one sentence), the median time of 50 translations of
one 10-token sentence, and the time of steering that sentence's attention: one output step made
to look at one word (as the live view does when the reader picks a cell) and the French decoded
again from that step on, the port going on from the translation it kept (no encoder, no earlier
steps). Each of the 50 goes to the next step in turn (step i looks only at word (i + 1) % W of
the W words, the rule of tests/test_browser_parity.py); their median and their maximum are
printed. With a built book (``make book``: ``_build/html``), it also weighs the site:

- every page of both editions as a reader's first visit downloads it (an empty cache; a page with
  a live view once that view has translated with its default model), in bytes as served here
  (uncompressed) and gzipped (level 6, as static hosts such as GitHub Pages send text);
- chapter 6 once its live view has also loaded its second model (the reader switched models);
- the whole built site, raw and gzipped.

Each figure is printed beside its target (:data:`TARGETS`, quoted in README). A measurement, not
a test: nothing is asserted here (tests/test_bench_web.py checks the byte counts, which do not
depend on the machine, against the same targets; times are never asserted).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import os
import shutil
import statistics
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

from bahdanau.cli.export_web import WEB_MODELS, binary_file_name, export_web_models

__all__ = ["SENTENCE", "TARGETS", "run", "serve", "gzip_size", "site_bytes", "built_pages", "page_weights",
           "weigh_site"]

ROOT = Path(__file__).resolve().parents[1]  # the repository: this script is part of it, not of the package
WEB_JS = ROOT / "book" / "_static" / "bahdanau-web.js"
BUILT_BOOK = ROOT / "_build" / "html"
LIVE_CHAPTER = "notebooks/06_papers_model.html"
SENTENCE = "I want to buy a car for my wife."  # 10 tokens with the full stop
REPEATS = 50
# What a reader may wait for and download (issue 26): one place, printed beside each measurement.
TARGETS = {
    "model_file_mb": 5.5,  # each model file the browser loads
    "page_mb": 9.0,  # any page, first visit, until the reader switches models
    "site_mb": 60.0,  # the whole built site, both editions
    "first_translation_ms": 1000.0,  # page open to the first translation
    "sentence_ms": 50.0,  # one 10-token sentence
    "steer_ms": 50.0,  # steering one step and decoding again from it
}
GZIP_LEVEL = 6
PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>bench</title>'
        '<script src="_static/bahdanau-web.js"></script></head><body></body></html>\n')

# performance.now() counts from the start of the navigation: the first translation's end is the
# time from opening the page to the first result.
FIRST = """
const [text, model, done] = arguments;
window.bahdanauWeb.translate(text, {model}).then(() => done(performance.now()), (e) => done(String(e)));
"""
# The model's own translation first (the port keeps it, as after the reader's typing), then the
# steered ones, step after step.
STEERED = """
const [text, model, repeats, done] = arguments;
(async () => {
  const web = window.bahdanauWeb;
  const own = await web.translate(text, {model});
  const steps = own.attention.length, words = own.srcTokens.length - 1;
  const times = [];
  for (let k = 0; k < repeats; k++) {
    const step = k % steps;
    const override = {step, weights: web.focusRow(words + 1, (step + 1) % words)};
    const start = performance.now();
    await web.translate(text, {model, override});
    times.push(performance.now() - start);
  }
  return times;
})().then(done, (e) => done(String(e)));
"""
REPEATED = """
const [text, model, repeats, done] = arguments;
(async () => {
  const times = [];
  for (let k = 0; k < repeats; k++) {
    const start = performance.now();
    await window.bahdanauWeb.translate(text, {model});
    times.push(performance.now() - start);
  }
  return times;
})().then(done, (e) => done(String(e)));
"""


# Once the page has loaded and its live views (if any) have drawn their first translation (the
# default model), and, with `switch`, once every model has translated too (the reader switched
# models): every URL the page downloaded, and when the views had settled (ms from navigation).
DOWNLOADED = """
const [switchModels, done] = arguments;
const settled = () => Array.from(document.querySelectorAll('.bahdanau-live')).every(
  root => root.dataset.pending && root.dataset.done === root.dataset.pending);
(async () => {
  if (document.readyState !== 'complete') await new Promise(ok => window.addEventListener('load', ok, {once: true}));
  while (!settled()) await new Promise(ok => setTimeout(ok, 10));
  const settledAt = performance.now();
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  if (switchModels) {
    for (const name of await window.bahdanauWeb.models()) await window.bahdanauWeb.translate("go .", {model: name});
  }
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return {urls: entries.map(entry => entry.name), settledAt,
          live: document.querySelectorAll('.bahdanau-live').length};
})().then(done, (e) => done(String(e)));
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on a free port of 127.0.0.1 in a thread; yields the base URL (ending in /).

    Quiet (no line per request). The browser tests serve the built book with it too.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def gzip_size(path: Path) -> int:
    """The bytes of ``path`` gzipped at :data:`GZIP_LEVEL`, as a static host sends a text file."""
    return len(gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0))


def site_bytes(html: Path) -> dict[str, int]:
    """The whole built site: ``{raw, gzip}`` bytes over every file (the gzip of each, summed)."""
    files = [path for path in html.rglob("*") if path.is_file()]
    return {"raw": sum(path.stat().st_size for path in files), "gzip": sum(gzip_size(path) for path in files)}


def _files_of(urls: list[str], base_url: str, html: Path) -> list[Path]:
    """The site's files behind the URLs a page downloaded (each once; queries and fragments dropped)."""
    files = {}
    for url in urls:
        if not url.startswith(base_url):
            raise RuntimeError(f"a request left the site: {url}")
        path = html / unquote(urlparse(url).path).lstrip("/")
        files[path.resolve()] = path / "index.html" if path.is_dir() else path
    return list(files.values())


def page_weights(driver, html: Path, pages: list[str], switch: tuple[str, ...] = ()) -> dict[str, dict]:
    """Each page as a first visit downloads it: ``{page: {raw, gzip, live, settled_ms}}`` in bytes.

    The browser's cache is emptied before each page. ``switch``: pages measured once more after
    every model has translated (``PAGE+switch``).
    """
    weights = {}
    with serve(html) as base_url:
        for page, switching in [(page, False) for page in pages] + [(page, True) for page in switch]:
            driver.execute_cdp_cmd("Network.clearBrowserCache", {})
            driver.get(f"{base_url}{page}.html")
            found = driver.execute_async_script(DOWNLOADED, switching)
            if isinstance(found, str):
                raise RuntimeError(f"{page}: the page failed: {found}")
            files = _files_of(found["urls"], base_url, html)
            weights[page + ("+switch" if switching else "")] = {
                "raw": sum(path.stat().st_size for path in files), "gzip": sum(gzip_size(path) for path in files),
                "live": found["live"], "settled_ms": found["settledAt"]}
    return weights


def built_pages(html: Path) -> list[str]:
    """Every page of both editions in a built site, without its suffix (the index and search
    pages Sphinx adds, and the root's redirect, left out)."""
    generated = {"genindex", "search", "index"}
    return sorted(path.relative_to(html).with_suffix("").as_posix() for path in html.rglob("*.html")
                  if not any(part.startswith("_") for part in path.relative_to(html).parts)
                  and path.relative_to(html).with_suffix("").as_posix().removeprefix("zh/") not in generated)


def weigh_site(driver, html: Path = BUILT_BOOK) -> dict:
    """Every page of both editions (:func:`built_pages`), chapter 6 after a switch of models, and
    the whole site; printed beside the targets."""
    pages = built_pages(html)
    weights = page_weights(driver, html, pages, switch=(LIVE_CHAPTER.removesuffix(".html"),))
    mb = 1e6
    print(f"{'page (first visit, views settled)':<44} {'raw MB':>7} {'gzip MB':>8}")
    for page, weight in weights.items():
        live = f"  live view settled at {weight['settled_ms']:.0f} ms" if weight["live"] else ""
        print(f"{page:<44} {weight['raw'] / mb:7.2f} {weight['gzip'] / mb:8.2f}{live}")
    heaviest = max((page for page in weights if not page.endswith("+switch")), key=lambda page: weights[page]["raw"])
    site = site_bytes(html)
    print(f"heaviest page before a switch of models: {heaviest}, {weights[heaviest]['raw'] / mb:.2f} MB "
          f"(target at most {TARGETS['page_mb']} MB)")
    print(f"the whole site: {site['raw'] / mb:.1f} MB, gzipped {site['gzip'] / mb:.1f} MB "
          f"(target at most {TARGETS['site_mb']} MB)")
    return {"pages": weights, "heaviest": heaviest, "site": site}


def _chromium(profile: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("BAHDANAU_CHROMIUM") or "/usr/bin/chromium"
    for argument in ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}"]:
        options.add_argument(argument)
    driver_path = os.environ.get("BAHDANAU_CHROMEDRIVER") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_script_timeout(300)
    return driver


def run(names=WEB_MODELS, sentence: str = SENTENCE, repeats: int = REPEATS,
        html: Path | None = BUILT_BOOK) -> dict[str, dict[str, float]]:
    """Measure each model: ``{name: {bytes, gzip, binary_bytes, binary_gzip, first_translation_ms, median_ms,
    steer_median_ms, steer_max_ms}}`` (and print it): ``bytes``, ``gzip`` the script's (file://),
    ``binary_*`` the binary container's (what the page, served over http, fetches). With a built
    book at ``html`` (None: not weighed), ``site`` too: :func:`weigh_site`."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        static = root / "site" / "_static"
        static.mkdir(parents=True)
        shutil.copy(WEB_JS, static / WEB_JS.name)
        (root / "site" / "index.html").write_text(PAGE, encoding="utf-8")
        paths = dict(zip(names, export_web_models(static / "models", names)))  # with models/registry.js
        driver = _chromium(root / "profile")
        try:
            with serve(root / "site") as base_url:
                for name in names:
                    driver.get(f"{base_url}index.html")  # a fresh page: nothing loaded yet
                    first = driver.execute_async_script(FIRST, sentence, name)
                    times = driver.execute_async_script(REPEATED, sentence, name, repeats)
                    steered = driver.execute_async_script(STEERED, sentence, name, repeats)
                    failed = next((answer for answer in (first, times, steered) if isinstance(answer, str)), None)
                    if failed is not None:
                        raise RuntimeError(f"{name}: the page failed: {failed}")
                    binary = paths[name].with_name(binary_file_name(name))  # what this page, over http, fetched
                    results[name] = {"bytes": paths[name].stat().st_size, "gzip": gzip_size(paths[name]),
                                     "binary_bytes": binary.stat().st_size, "binary_gzip": gzip_size(binary),
                                     "first_translation_ms": first, "median_ms": statistics.median(times),
                                     "steer_median_ms": statistics.median(steered), "steer_max_ms": max(steered)}
                    result = results[name]
                    print(f"{name}: model file {result['binary_bytes'] / 1e6:.2f} MB over http(s), gzipped "
                          f"{result['binary_gzip'] / 1e6:.2f} MB; {result['bytes'] / 1e6:.2f} MB from file://, gzipped "
                          f"{result['gzip'] / 1e6:.2f} MB (target at most {TARGETS['model_file_mb']} MB each); "
                          "page open to first translation "
                          f"{first:.0f} ms (target {TARGETS['first_translation_ms']:.0f} ms); median of {repeats} "
                          f"translations of {sentence!r}: {result['median_ms']:.1f} ms (target "
                          f"{TARGETS['sentence_ms']:.0f} ms); steering one step and decoding again from it "
                          f"({repeats} times, step after step): median {result['steer_median_ms']:.1f} ms, at most "
                          f"{result['steer_max_ms']:.1f} ms (target {TARGETS['steer_ms']:.0f} ms)")
            if html is not None and (html / LIVE_CHAPTER).is_file():
                results["site"] = weigh_site(driver, html)
            elif html is not None:
                print(f"no built book at {html}: run `make book` to weigh its pages")
        finally:
            driver.quit()
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python book/bench_web.py", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(WEB_MODELS), metavar="NAME")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    run(args.names, repeats=args.repeats)


if __name__ == "__main__":
    main()
