"""WCAG 2 A and AA (2.0 and 2.1), audited with axe-core in headless Chromium.

Every page of both editions (the pages of _toc.yml, in English at the root and in Chinese under
zh/) is opened once, and axe-core audits it with only the WCAG 2 A/AA rules
(``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``). The live views are audited again in the
states a reader brings them to, on the same page load: the translate view after a translation
and after a heatmap cell was clicked (the steered state: the landing page and chapter 6), and the
step-through view after a step (chapter 3). Zero violations are allowed; a failure names each
rule, its impact, and every failing node's selector with axe's summary of what is wrong.

axe-core is an npm package, pinned exactly in ``tests/axe_version.txt``: `make test` installs that
version into ``.venv/axe`` (``BAHDANAU_AXE`` names another ``axe.min.js``). A missing file or
another version is a failure, never a skip. The browser and the local server are
test_browser.py's.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from book_build import ROOT, require_html
from test_browser import PAGES, browser, serve  # noqa: F401 - browser is a fixture
from test_browser_views import heatmap_cell, steer_settled, type_text, view_selector, wait_settled

AXE_VERSION = (ROOT / "tests" / "axe_version.txt").read_text(encoding="utf-8").strip()
AXE = Path(os.environ.get("BAHDANAU_AXE") or ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
EDITIONS = {"en": "", "zh": "zh/"}  # an edition's folder in the built site
AUDITED_PAGES = PAGES  # the landing page first

TRANSLATE = view_selector("translate")
STEPS = view_selector("steps")
SENTENCE = "i have a red car ."
STEER_CELL = (1, 3)  # the second French word made to look only at "red"


def translated(driver) -> None:
    shown = type_text(driver, TRANSLATE, SENTENCE)
    assert shown["state"] == "result" and shown["heatmapShown"], shown


def steered(driver) -> None:
    heatmap_cell(driver, *STEER_CELL).click()
    shown = steer_settled(driver)
    assert shown["steered"] == "{}:{}".format(*STEER_CELL) and shown["steeredFrench"], shown


def stepped(driver) -> None:
    driver.find_element("css selector", f"{STEPS} input[type='range']").send_keys("\ue014")  # ArrowRight
    step = driver.execute_script("return document.querySelector(arguments[0]).dataset.step;", STEPS)
    assert step == "2", f"the slider's ArrowRight shows step {step}, not 2"


# The views' states audited after the page itself, in this order, on the same page load: the
# view (its selector) and what brings it to the state. Every view first settles on its own sentence.
LIVE_STATES = {
    "book/index": (TRANSLATE, [("translated", translated), ("steered", steered)]),
    "notebooks/06_papers_model": (TRANSLATE, [("translated", translated), ("steered", steered)]),
    "notebooks/05_search_and_measuring": (TRANSLATE, []),
    "notebooks/03_decoder_loop": (STEPS, [("stepped", stepped)]),
}
AUDITS = [
    f"{edition}/{page}{f' ({state})' if state else ''}"
    for edition in EDITIONS
    for page in AUDITED_PAGES
    for state in ["", *(name for name, _ in LIVE_STATES.get(page, (None, []))[1])]
]

# axe.run once MathJax has typeset the page (its output is audited too); only the violations.
AUDIT_SCRIPT = """
const [selector, tags, done] = arguments;
const typeset = (window.MathJax && MathJax.startup && MathJax.startup.promise) || Promise.resolve();
typeset
  .then(() => axe.run(selector ? document.querySelector(selector) : document,
                      {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']}))
  .then(result => done(result.violations.map(v => ({
          id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
        }))),
        error => done({error: String(error)}));
"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"the accessibility audit needs axe-core {AXE_VERSION}: no {AXE}. `make test` installs it "
                    "into .venv/axe (npm); BAHDANAU_AXE names another axe.min.js")
    source = AXE.read_text(encoding="utf-8")
    found = re.match(r"/\*! axe v(\S+)", source)
    version = found.group(1) if found else "unknown"
    if version != AXE_VERSION:
        pytest.fail(f"{AXE} is axe-core {version}, not the pinned {AXE_VERSION} (tests/axe_version.txt)")
    return source


def audit(driver, axe_source: str, selector: str | None = None) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations in the open page (or in the element ``selector`` names)."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(axe_source)
    driver.set_script_timeout(120)
    violations = driver.execute_async_script(AUDIT_SCRIPT, selector, WCAG_TAGS)
    if isinstance(violations, dict):
        pytest.fail(f"axe-core failed in {driver.current_url}: {violations['error']}")
    return violations


def report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"  {node['target']}\n    {summary}")
    return "\n".join(lines)


@pytest.fixture(scope="module")
def audits(browser, build, axe_source) -> dict[str, list[dict]]:  # noqa: F811
    """Every audit of AUDITS, run once: one browser, one load per page."""
    results = {}
    with serve(require_html(build)) as site:
        for edition, folder in EDITIONS.items():
            for page in AUDITED_PAGES:
                browser.get(f"{site}{folder}{page}.html")
                view, states = LIVE_STATES.get(page, (None, []))
                if view:
                    wait_settled(browser, view)
                results[f"{edition}/{page}"] = audit(browser, axe_source)
                for state, bring in states:
                    bring(browser)
                    # The view alone: the rest of the page, audited above, has not changed.
                    results[f"{edition}/{page} ({state})"] = audit(browser, axe_source, view)
    return results


@pytest.mark.parametrize("name", AUDITS)
def test_no_wcag_violation(audits, name):
    violations = audits[name]
    assert not violations, f"{name}: {len(violations)} WCAG 2 A/AA rules violated\n{report(violations)}"


def test_every_view_page_is_a_page_of_the_book():
    """A page of LIVE_STATES that _toc.yml no longer lists would drop its views' audits."""
    assert set(LIVE_STATES) <= set(AUDITED_PAGES), set(LIVE_STATES) - set(AUDITED_PAGES)
