"""Benchmark: the browser port (book/_static/bahdanau-web.js) in headless Chromium.

Run ``python book/bench_web.py`` from a checkout of the repository (it needs the port's file,
Chromium, chromedriver and selenium: ``make browser``, requirements.txt). For each model it
prints the size of its exported file, the time from opening the page to the first translation
(page load, model file, dequantisation, one sentence), the median time of 50 translations of
one 10-token sentence, and the time of steering that sentence's attention: one output step made
to look at one word (as the live view does when the reader picks a cell) and the French decoded
again from that step on, the port going on from the translation it kept (no encoder, no earlier
steps). Each of the 50 goes to the next step in turn (step i looks only at word (i + 1) % W of
the W words, the rule of tests/test_browser_parity.py); their median and their maximum are
printed. With a built book (``make book``: ``_build/html``), it also prints the
bytes a reader downloads for chapter 6, whose live view loads both models, once it has translated.
A measurement, not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import shutil
import statistics
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bahdanau.cli.export_web import WEB_MODELS, export_web_models

__all__ = ["SENTENCE", "run", "serve"]

ROOT = Path(__file__).resolve().parents[1]  # the repository: this script is part of it, not of the package
WEB_JS = ROOT / "book" / "_static" / "bahdanau-web.js"
BUILT_BOOK = ROOT / "_build" / "html"
LIVE_CHAPTER = "notebooks/06_papers_model.html"
SENTENCE = "I want to buy a car for my wife."  # 10 tokens with the full stop
REPEATS = 50
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


# Wait until the chapter's live view has translated with both models, then add up every byte the
# page downloaded (the page itself and each resource, as sent over the wire).
DOWNLOADED = """
const done = arguments[arguments.length - 1];
(async () => {
  for (const name of await window.bahdanauWeb.models()) await window.bahdanauWeb.translate("go .", {model: name});
  const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
  return entries.reduce((sum, entry) => sum + (entry.transferSize || entry.encodedBodySize || 0), 0);
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


def run(names=WEB_MODELS, sentence: str = SENTENCE, repeats: int = REPEATS) -> dict[str, dict[str, float]]:
    """Measure each model: ``{name: {bytes, first_translation_ms, median_ms, steer_median_ms,
    steer_max_ms}}`` (and print it)."""
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
                    results[name] = {"bytes": paths[name].stat().st_size, "first_translation_ms": first,
                                     "median_ms": statistics.median(times),
                                     "steer_median_ms": statistics.median(steered), "steer_max_ms": max(steered)}
                    print(f"{name}: model file {results[name]['bytes'] / 1e6:.2f} MB; page open to first "
                          f"translation {first:.0f} ms; median of {repeats} translations of {sentence!r}: "
                          f"{results[name]['median_ms']:.1f} ms; steering one step and decoding again from "
                          f"it ({repeats} times, step after step): median {results[name]['steer_median_ms']:.1f} "
                          f"ms, at most {results[name]['steer_max_ms']:.1f} ms")
            if (BUILT_BOOK / LIVE_CHAPTER).is_file():
                with serve(BUILT_BOOK) as base_url:
                    driver.get(f"{base_url}{LIVE_CHAPTER}")
                    downloaded = driver.execute_async_script(DOWNLOADED)
                if isinstance(downloaded, str):
                    raise RuntimeError(f"{LIVE_CHAPTER}: the page failed: {downloaded}")
                results["chapter_1"] = {"bytes": downloaded}
                print(f"chapter 6 with its live view (both models): {downloaded / 1e6:.1f} MB downloaded")
            else:
                print(f"no built book at {BUILT_BOOK}: run `make book` to measure a chapter's download")
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
