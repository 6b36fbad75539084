"""The built book on a phone: 390 x 844 CSS px, in headless Chromium's mobile emulation with touch.

Checked: no page of either edition scrolls sideways, and no static figure of a notebook's outputs
is wider than the screen; in the translate view (the landing page, chapter 6, and the Chinese
landing page), the heatmap of a long sentence (26 tokens) scrolls sideways inside its own box,
a keyboard-focusable region with a label, its row labels stay in view at the right end, and its
cues (a shadow at the edge, a short text) show while there is more to the right and not when it
fits or at the end; a swipe scrolls it without picking a cell; the keyboard brings a cell into
view beside the row labels, not under them. In the step view (chapter 3): the bar charts scroll
the same way, and the step slider moves by keyboard and by touch. A screenshot of the translate
view with the long sentence, on each of those pages, goes to _build/screenshots/phone-*.png.

The browser, the server and the view helpers are tests/test_browser.py's and
tests/test_browser_views.py's; this module's browser is made a phone for its tests and back after.
"""

from __future__ import annotations

import base64
import time

import pytest
from book_build import require_html
from book_toc import TOC
from test_browser import PAGES, SCREENSHOTS, browser, serve, visit  # noqa: F401 - browser is a fixture
from test_browser_views import console_errors, read_step, type_text, view_selector, wait_settled

pytestmark = pytest.mark.book  # a browser and the built book: not part of `make unit`

# A phone held upright (CSS px, one device pixel each): the layout viewport the pages must fit.
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
EDITIONS = {"en": "", "zh": "zh/"}  # the folder of each edition in the built site
EVERY_PAGE = list(dict.fromkeys([TOC["root"], *PAGES]))  # the landing page (_toc.yml's root) and every page
TRANSLATE = view_selector("translate")
STEPS = view_selector("steps")
STEPS_PAGE = "notebooks/03_decoder_loop"
# 26 tokens: wider than the phone in either model's heatmap (both read up to 30).
LONG_SENTENCE = ("tom said that he would like to buy a new red car for his wife , "
                 "but she wants a small house near the sea .")
SHORT_SENTENCE = "i am cold ."
CUE_SECONDS = 2  # the edge's shadow fades in and out (a CSS transition), keys scroll smoothly

# What overflows the page: its width against the screen's, and the outermost elements wider than
# the screen (those inside a box that scrolls or clips are that box's business), for the message.
PAGE_WIDTH = """
const width = document.documentElement.clientWidth;
const clipped = (node) => {
  for (let p = node.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible' || p.getBoundingClientRect().right > width + 0.5) return true;
  }
  return false;
};
const wide = Array.from(document.body.querySelectorAll('*')).filter((node) => {
  const box = node.getBoundingClientRect();
  return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5) && !clipped(node);
});
const images = Array.from(document.querySelectorAll('.cell_output img, .output img')).map((img) => {
  const box = img.getBoundingClientRect();
  return {src: img.src.split('/').pop(), left: box.left, right: box.right};
});
return {clientWidth: width, scrollWidth: document.documentElement.scrollWidth, images,
        wide: wide.slice(0, 5).map((node) => node.outerHTML.slice(0, 160))};
"""

# A scroll box of a view and its cues; arguments: the box's CSS selector.
READ_SCROLL = """
const box = document.querySelector(arguments[0]);
const frame = box.closest('.bw-scroll-frame');
const hint = frame.parentElement.querySelector('.bw-scroll-hint');
const shown = (node) => node.checkVisibility({visibilityProperty: true, opacityProperty: true});
const area = box.getBoundingClientRect();
const labels = Array.from(box.querySelectorAll('tbody th')).map((th) => {
  const b = th.getBoundingClientRect();
  const y = b.top + b.height / 2;
  // On top, where it is on screen: no cell drawn over it.
  const onTop = y < 0 || y > innerHeight ? null : th.contains(document.elementFromPoint(b.left + b.width / 2, y));
  return {token: th.dataset.token, left: b.left, right: b.right, onTop};
});
return {
  scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, scrollLeft: box.scrollLeft,
  role: box.getAttribute('role'), label: box.getAttribute('aria-label'), tabindex: box.getAttribute('tabindex'),
  hint: shown(hint) ? hint.textContent : null,
  rightShadow: Number(getComputedStyle(frame, '::after').opacity),
  leftShadow: frame.classList.contains('bw-more-left'),
  area: {left: area.left, right: area.left + box.clientWidth},
  labels,
  pageScrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
};
"""

HEATMAP_BOX = f"{TRANSLATE} .bw-heatmap-scroll"
CHARTS_BOX = f"{STEPS} .bw-charts"


@pytest.fixture(scope="module")
def phone(browser):  # noqa: F811
    """The browser as a phone (layout viewport, mobile, touch), back to the desktop after."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})
    yield browser
    browser.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": False})
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@pytest.fixture(scope="module")
def site(build):
    """Both editions, served (the Chinese one in zh/)."""
    html = require_html(build)
    assert (html / "zh" / "index.html").is_file()
    with serve(html) as base_url:
        yield base_url


def read_scroll(driver, selector: str) -> dict:
    return driver.execute_script(READ_SCROLL, selector)


def wait_for(driver, selector: str, check, what: str) -> dict:
    """The scroll box's state once ``check`` holds for it (the cues fade, the keys scroll smoothly)."""
    deadline = time.monotonic() + CUE_SECONDS
    while not check(state := read_scroll(driver, selector)):
        assert time.monotonic() < deadline, f"{what}: {state}"
        time.sleep(0.05)
    return state


def overflows(state: dict) -> bool:
    return state["scrollWidth"] > state["clientWidth"]


def cue_shown(state: dict) -> bool:
    return state["hint"] is not None and state["rightShadow"] == 1


def cue_hidden(state: dict) -> bool:
    return state["hint"] is None and state["rightShadow"] == 0


def touch(driver, points: list[tuple[float, float]]) -> None:
    """A finger put down at the first point, moved through the others, lifted (DevTools touch events)."""
    (x, y), *moves = points
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for x, y in moves:
        driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    time.sleep(0.2)  # the page handles the gesture


def centre_of(driver, element) -> tuple[float, float, float, float]:
    """Scroll ``element`` to the middle of the screen; its box (x, y, width, height) there."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    return tuple(driver.execute_script(
        "const b = arguments[0].getBoundingClientRect(); return [b.x, b.y, b.width, b.height];", element))


def save_screen(driver, name: str) -> None:
    """What the phone's screen shows now, as _build/screenshots/<name>."""
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path = SCREENSHOTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 20_000, f"{path}: an empty screen?"


# ----------------------------------------------------------------------------------------------
# Every page fits the screen
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("edition", list(EDITIONS))
@pytest.mark.parametrize("page", EVERY_PAGE)
def test_no_page_scrolls_sideways(phone, site, edition, page):
    url = f"{site}{EDITIONS[edition]}{page}.html"
    visit(phone, url)  # its images loaded
    for kind in ("translate", "steps"):  # a live view has drawn its default sentence
        if phone.find_elements("css selector", view_selector(kind)):
            wait_settled(phone, view_selector(kind))
    found = phone.execute_script(PAGE_WIDTH)
    assert found["clientWidth"] == PHONE["width"], "the layout viewport is not the phone's width"
    assert found["scrollWidth"] <= found["clientWidth"], f"{url} scrolls sideways: {found['wide']}"
    wide = [image for image in found["images"] if image["left"] < -0.5 or image["right"] > found["clientWidth"] + 0.5]
    assert not wide, f"{url}: figures wider than the screen: {wide}"


# ----------------------------------------------------------------------------------------------
# The translate view: a heatmap wider than the screen
# ----------------------------------------------------------------------------------------------

# Each page and the name of its screenshot, and the language of the views' texts there.
HEATMAP_PAGES = {"book/index": ("phone-index.png", "en"),
                 "notebooks/06_papers_model": ("phone-06_papers_model.png", "en"),
                 "zh/book/index": ("phone-zh-index.png", "zh")}


@pytest.mark.parametrize("page", list(HEATMAP_PAGES))
def test_a_wide_heatmap_scrolls_in_its_box(phone, site, page):
    screenshot_name, language = HEATMAP_PAGES[page]
    phone.get_log("browser")
    phone.get(f"{site}{page}.html")
    wait_settled(phone, TRANSLATE)
    assert phone.execute_script("return window.bahdanauViews.language;") == language
    text = phone.execute_script("return window.bahdanauViews.messages[arguments[0]];", language)
    # A short sentence fits: no cue, and no extra tab stop.
    type_text(phone, TRANSLATE, SHORT_SENTENCE)
    fits = wait_for(phone, HEATMAP_BOX, cue_hidden, "a heatmap that fits shows a cue")
    assert not overflows(fits) and fits["tabindex"] is None
    # A long one scrolls in its box, not the page; the box is a labelled region the keyboard reaches.
    shown = type_text(phone, TRANSLATE, LONG_SENTENCE)
    assert shown["columns"] == [*LONG_SENTENCE.split(), "<eos>"] and len(LONG_SENTENCE.split()) >= 25
    box = phone.find_element("css selector", HEATMAP_BOX)
    centre_of(phone, box)
    start = wait_for(phone, HEATMAP_BOX, cue_shown, "no cue on a heatmap wider than its box")
    assert overflows(start) and start["scrollLeft"] == 0 and not start["pageScrolls"], start
    assert start["hint"] == text["scrollMore"] and not start["leftShadow"]
    assert start["role"] == "region" and start["label"] == text["heatmapRegion"] and start["tabindex"] == "0", start
    phone.execute_script("window.scrollTo(0, arguments[0].getBoundingClientRect().top + scrollY - 60)",
                         phone.find_element("css selector", f"{TRANSLATE} .bw-figure"))
    save_screen(phone, screenshot_name)
    # A swipe to the left scrolls the heatmap (and picks no cell: a swipe is not a tap).
    x, y, width, height = centre_of(phone, box)
    touch(phone, [(x + width - 20 - 20 * k, y + height / 2) for k in range(12)])
    swiped = read_scroll(phone, HEATMAP_BOX)
    assert swiped["scrollLeft"] > 50 and swiped["leftShadow"], swiped
    assert phone.execute_script("return document.querySelector(arguments[0]).dataset.steered;", TRANSLATE) == ""
    # The keyboard scrolls the focused region too; at the right end, the cues are gone and the row
    # labels are still in view, on top of the cells that scrolled under them.
    phone.execute_script("arguments[0].focus(); arguments[0].scrollLeft = 0;", box)
    box.send_keys("\ue014" * 3)  # ArrowRight (the browser may scroll smoothly: wait for it)
    wait_for(phone, HEATMAP_BOX, lambda state: state["scrollLeft"] > 0, "the arrow keys do not scroll the box")
    phone.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", box)
    end = wait_for(phone, HEATMAP_BOX, cue_hidden, "the cue stays at the right end")
    assert end["scrollLeft"] + end["clientWidth"] >= end["scrollWidth"] - 1 and end["leftShadow"]
    assert [label["token"] for label in end["labels"]] == shown["rows"]
    for label in end["labels"]:
        assert end["area"]["left"] - 0.5 <= label["left"] and label["right"] <= end["area"]["right"], label
        assert 0 <= label["left"] and label["right"] <= PHONE["width"], label
    assert any(label["onTop"] for label in end["labels"]) and all(label["onTop"] is not False
                                                                   for label in end["labels"]), end["labels"]
    assert not end["pageScrolls"]
    assert not console_errors(phone)


def test_the_keyboard_shows_a_cell_beside_the_row_labels(phone, site):
    """Arrow keys across a wide heatmap: the focused cell is scrolled into view, and back at the
    first column it is beside the sticky row labels, not under them."""
    phone.get(f"{site}notebooks/06_papers_model.html")
    wait_settled(phone, TRANSLATE)
    type_text(phone, TRANSLATE, LONG_SENTENCE)
    columns = len(LONG_SENTENCE.split()) + 1
    cell = phone.find_element("css selector", f"{TRANSLATE} table.bw-heatmap td[tabindex='0']")
    centre_of(phone, cell)
    phone.execute_script("arguments[0].focus()", cell)
    where = """
      const cell = document.activeElement, box = cell.closest('.bw-heatmap-scroll');
      const c = cell.getBoundingClientRect(), b = box.getBoundingClientRect();
      const label = cell.parentElement.querySelector('th').getBoundingClientRect();
      return {column: cell.cellIndex - 1, left: c.left, right: c.right, boxLeft: b.left,
              boxRight: b.left + box.clientWidth, labelRight: label.right};"""
    phone.switch_to.active_element.send_keys("\ue014" * (columns - 1))  # ArrowRight to the last column
    last = phone.execute_script(where)
    assert last["column"] == columns - 1 and last["right"] <= last["boxRight"] + 0.5, last
    phone.switch_to.active_element.send_keys("\ue012" * (columns - 1))  # ArrowLeft back to the first
    first = phone.execute_script(where)
    assert first["column"] == 0 and first["left"] >= first["labelRight"] - 0.5, first
    assert not console_errors(phone)


# ----------------------------------------------------------------------------------------------
# The step view: its charts scroll, its slider moves by keyboard and by touch
# ----------------------------------------------------------------------------------------------


def test_step_view_on_a_phone(phone, site):
    phone.get_log("browser")
    phone.get(f"{site}{STEPS_PAGE}.html")
    wait_settled(phone, STEPS)
    charts = phone.find_element("css selector", CHARTS_BOX)
    centre_of(phone, charts)
    start = wait_for(phone, CHARTS_BOX, cue_shown, "no cue on charts wider than their box")
    assert overflows(start) and start["role"] == "region" and start["label"] and start["tabindex"] == "0"
    assert not start["pageScrolls"]
    phone.execute_script("arguments[0].scrollLeft = arguments[0].scrollWidth", charts)
    end = wait_for(phone, CHARTS_BOX, cue_hidden, "the cue stays at the right end of the charts")
    assert end["leftShadow"]
    # The slider by keyboard.
    slider = phone.find_element("css selector", f"{STEPS} input[type='range']")
    steps = int(slider.get_attribute("max"))
    assert steps > 4 and read_step(phone)["step"] == 1
    slider.send_keys("\ue014")  # ArrowRight
    assert read_step(phone)["step"] == 2
    slider.send_keys("\ue010")  # End
    assert read_step(phone)["step"] == steps
    slider.send_keys("\ue011")  # Home
    assert read_step(phone)["step"] == 1
    # By touch: a tap three quarters along the track, then the thumb dragged back to the start.
    x, y, width, height = centre_of(phone, slider)
    assert width >= 200, "the slider is too short to pick a step on a phone"
    assert height >= 24, f"the slider is {height} px high: too small a target for a finger (WCAG 2.5.8)"
    touch(phone, [(x + 0.75 * width, y + height / 2)])
    tapped = read_step(phone)["step"]
    assert abs(tapped - (1 + 0.75 * (steps - 1))) <= 1.5, (tapped, steps)
    assert int(slider.get_attribute("value")) == tapped
    touch(phone, [(x + 0.75 * width - k * 0.08 * width, y + height / 2) for k in range(11)])
    assert read_step(phone)["step"] == 1
    # A long sentence: wider charts, still inside their box.
    type_text(phone, STEPS, LONG_SENTENCE)
    phone.execute_script("arguments[0].scrollLeft = 0", charts)
    long = wait_for(phone, CHARTS_BOX, cue_shown, "no cue on the long sentence's charts")
    assert long["scrollWidth"] > start["scrollWidth"] and not long["pageScrolls"]
    assert not console_errors(phone)
