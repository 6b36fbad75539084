"""The live views in the built book (book/_static/bahdanau-views.js), in headless Chromium.

Two views run the shipped models in the reader's browser (book/_static/bahdanau-web.js):
*translate your own* (the landing page, chapters 1 and 4) and *step through the decoder*
(chapter 3). Checked: typing gives the French of what was typed and a heatmap of the right size
whose cells tell their weight on focus; the latest input wins over a slower, older answer; the
model switch of chapter 6; the step slider moved with the keyboard; a message in the view, and no
console error, for every bad input (empty, whitespace, too long, unknown words, emoji and other
scripts, 10,000 pasted characters); the same views from file:// as over http; and, without
JavaScript, pages that keep their static figures (the placeholders are empty in the HTML).
Steering the attention in the translate view (a small site of its own, no book build: the port,
the views and the exported models, from file:// and over http, in English and Chinese): a cell
picked by click, by the keyboard (arrow keys, Enter, Space) or by a tap (CDP touch events) steers
that step to that word, as bahdanauWeb.translate's override does; the changed words are marked
(<mark> and the text "changed"), the model's own French stays shown, the steered cell is marked;
Reset restores the model's own attention; bad picks (<eos>, a heading, a model without attention)
are explained in the page's language; no console error. In the
Simplified Chinese edition (_build/html/zh, built with Sphinx's language zh_CN, so <html
lang="zh-CN">) every label, message, placeholder and aria-label of the views is Chinese, and no
English text of the views is left.

The browser, the local server and the console filter are test_browser.py's.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from book_build import HTML, ROOT, require_html
from test_browser import browser, console_errors, serve  # noqa: F401 - browser is a fixture

TRANSLATE_PAGES = {
    "book/index": ["rnnsearch-30"],
    "notebooks/06_papers_model": ["attention", "rnnsearch-30"],
    "notebooks/05_search_and_measuring": ["rnnsearch-30"],
}
STEPS_PAGE = "notebooks/03_decoder_loop"
EMPTY_MESSAGE = "Type an English sentence above: the French appears as you type."
MODEL_NAMES = {"attention": "d2l's model (attention)", "rnnsearch-30": "the paper's model (RNNsearch-30)"}
SETTLE_SECONDS = 60  # the first translation loads a 5 MB model file

# The view's state, read in the page: the French, the heatmap, the messages.
READ_VIEW = """
const root = document.querySelector(arguments[0]);
const table = root.querySelector('table.bw-heatmap');
const figure = root.querySelector('.bw-figure');
return {
  state: root.dataset.state, model: root.dataset.model || null,
  status: root.querySelector('.bw-status').textContent,
  french: (root.querySelector('.bw-french b') || {textContent: null}).textContent,
  notes: Array.from(root.querySelectorAll('.bw-note')).map(n => n.textContent),
  rows: table ? Array.from(table.querySelectorAll('tbody th')).map(th => th.dataset.token) : [],
  columns: table ? Array.from(table.querySelectorAll('thead th[data-token]')).map(th => th.dataset.token) : [],
  cells: table ? table.querySelectorAll('td').length : 0,
  weights: table ? Array.from(table.querySelectorAll('td')).map(td => Number(td.dataset.weight)) : [],
  heatmapShown: !!figure && !figure.hidden,
};
"""

# What the model itself says for a text: the reference the views must show.
TRANSLATE = """
const [text, model, done] = arguments;
window.bahdanauWeb.translate(text, {model}).then(
  r => done({tokens: r.tokens, srcTokens: r.srcTokens, rows: r.attention.length, truncated: r.truncated,
             unknown: r.unknown, steps: r.steps.map(s => ({token: s.token, query: Array.from(s.query)}))}),
  e => done({error: String(e)}));
"""


@pytest.fixture(scope="session")
def site(build):
    with serve(require_html(build)) as base_url:
        yield base_url


def view_selector(kind: str) -> str:
    return f'.bahdanau-live[data-view="{kind}"]'


def settled(driver, selector: str) -> bool:
    """The view's latest request has been drawn (and no typing is waiting for its pause)."""
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]);"
        "return !!r && !!r.dataset.pending && r.dataset.done === r.dataset.pending;", selector)


def wait_settled(driver, selector: str, timeout: float = SETTLE_SECONDS) -> dict:
    deadline = time.monotonic() + timeout
    while not settled(driver, selector):
        assert time.monotonic() < deadline, f"the view {selector} did not settle in {timeout} s"
        time.sleep(0.05)
    return driver.execute_script(READ_VIEW, selector)


def open_page(driver, url: str, selector: str) -> dict:
    driver.get_log("browser")  # drop the previous page's messages
    driver.get(url)
    return wait_settled(driver, selector)


def model_says(driver, text: str, model: str) -> dict:
    driver.set_script_timeout(SETTLE_SECONDS)
    result = driver.execute_async_script(TRANSLATE, text, model)
    assert "error" not in result, result
    return result


def text_box(driver, selector: str):
    return driver.find_element("css selector", f"{selector} input.bw-text")


def type_text(driver, selector: str, text: str) -> dict:
    """Clear the box and type ``text`` key by key, as a reader does; the view's state once settled."""
    box = text_box(driver, selector)
    box.clear()  # fires no input event: the typing below does
    box.send_keys(text)
    return wait_settled(driver, selector)


def paste(driver, selector: str, text: str) -> dict:
    """Put ``text`` in the box at once, as a paste does (an input event), then wait."""
    driver.execute_script(
        "const box = document.querySelector(arguments[0] + ' input.bw-text');"
        "box.value = arguments[1]; box.dispatchEvent(new Event('input', {bubbles: true}));", selector, text)
    time.sleep(0.05)
    return wait_settled(driver, selector)


def model_limit(driver, model: str) -> int:
    driver.set_script_timeout(SETTLE_SECONDS)
    return driver.execute_async_script(
        "const done = arguments[1]; window.bahdanauWeb.load(arguments[0]).then(m => done(m.maxSrcLen));", model)


# ----------------------------------------------------------------------------------------------
# Translate your own sentence
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(TRANSLATE_PAGES))
def test_typing_shows_the_french_and_its_heatmap(browser, site, page):  # noqa: F811
    selector = view_selector("translate")
    first = open_page(browser, f"{site}{page}.html", selector)
    assert first["state"] == "result" and first["heatmapShown"], first  # the default sentence
    box = text_box(browser, selector)
    label = browser.find_element("css selector", f"{selector} label[for='{box.get_attribute('id')}']")
    assert label.text == "English"
    model = TRANSLATE_PAGES[page][0]
    text = "i have a red car ."
    shown = type_text(browser, selector, text)
    expected = model_says(browser, text, model)
    assert shown["french"] == " ".join(expected["tokens"])
    assert shown["columns"] == expected["srcTokens"] == ["i", "have", "a", "red", "car", ".", "<eos>"]
    assert len(shown["rows"]) == expected["rows"] == len(expected["tokens"]) + 1  # <eos> included
    assert shown["rows"][-1] == "<eos>"
    assert shown["cells"] == len(shown["rows"]) * len(shown["columns"])
    assert all(abs(sum(shown["weights"][i:i + 7]) - 1) < 0.01 for i in range(0, shown["cells"], 7))
    assert not console_errors(browser)


def test_a_focused_cell_tells_its_weight_and_arrows_move_on(browser, site):  # noqa: F811
    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/05_search_and_measuring.html", selector)
    shown = type_text(browser, selector, "i have a red car .")
    cell = browser.find_element("css selector", f"{selector} table.bw-heatmap td[tabindex='0']")
    browser.execute_script("arguments[0].focus()", cell)
    readout = browser.find_element("css selector", f"{selector} .bw-readout")
    label = cell.get_attribute("aria-label")
    assert re.fullmatch(r"\S+ ← i: [01]\.\d\d", label), label
    assert readout.text == label
    assert float(label.rsplit(": ", 1)[1]) == pytest.approx(shown["weights"][0], abs=0.006)
    cell.send_keys("\ue014")  # ArrowRight: the next cell of the row takes the focus
    focused = browser.switch_to.active_element
    assert focused.get_attribute("aria-label").split(":")[0] == f"{shown['rows'][0]} ← have"
    assert readout.text == focused.get_attribute("aria-label")
    assert [cell.get_attribute("tabindex"), focused.get_attribute("tabindex")] == ["-1", "0"]  # one tab stop


def test_hovering_a_cell_tells_its_weight(browser, site):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains

    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/05_search_and_measuring.html", selector)
    cells = browser.find_elements("css selector", f"{selector} table.bw-heatmap td")
    ActionChains(browser).move_to_element(cells[3]).perform()
    assert browser.find_element("css selector", f"{selector} .bw-readout").text == cells[3].get_attribute("aria-label")


def test_the_latest_input_wins(browser, site):  # noqa: F811
    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/06_papers_model.html", selector)
    # The first request answers last: 1.5 s late. Its answer must not replace the newer one.
    browser.execute_script("""
        const web = window.bahdanauWeb, original = web.translate;
        let calls = 0;
        web.translate = (text, options) => {
          const delay = calls++ === 0 ? 1500 : 0;
          return original.call(web, text, options).then(r => new Promise(ok => setTimeout(() => ok(r), delay)));
        };""")
    box = text_box(browser, selector)
    box.clear()
    box.send_keys("the cat is on the table .")
    time.sleep(0.5)  # past the typing pause: the slow request is on its way
    final = "she is reading a book ."
    box.clear()
    shown = type_text(browser, selector, final)
    time.sleep(2)  # the slow, stale answer has arrived by now
    shown = browser.execute_script(READ_VIEW, selector)
    assert shown["columns"][:-1] == final.split()
    assert shown["french"] == " ".join(model_says(browser, final, "attention")["tokens"])
    # Typing fast, key after key, with no pause: the output is that of the final text.
    box.clear()
    for text in ("i", " am", " at", " home", " ."):
        box.send_keys(text)
    shown = wait_settled(browser, selector)
    assert shown["columns"] == ["i", "am", "at", "home", ".", "<eos>"]
    assert shown["french"] == " ".join(model_says(browser, "i am at home .", "attention")["tokens"])
    assert not console_errors(browser)


def test_chapter_6_switches_model_on_the_same_sentence(browser, site):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    selector = view_selector("translate")
    first = open_page(browser, f"{site}notebooks/06_papers_model.html", selector)
    element = browser.find_element("css selector", f"{selector} select")
    label = browser.find_element("css selector", f"{selector} label[for='{element.get_attribute('id')}']")
    assert label.text == "Model"
    select = Select(element)
    assert [option.get_attribute("value") for option in select.options] == ["attention", "rnnsearch-30"]
    assert first["model"] == "attention" and first["columns"][:-1] == "i have a red car .".split()
    select.select_by_value("rnnsearch-30")
    switched = wait_settled(browser, selector)
    assert switched["model"] == "rnnsearch-30"
    assert switched["columns"] == first["columns"]  # the same sentence
    assert switched["weights"] != first["weights"]  # another model, another heatmap
    assert switched["french"] == " ".join(model_says(browser, "i have a red car .", "rnnsearch-30")["tokens"])
    assert not console_errors(browser)


# ----------------------------------------------------------------------------------------------
# Step through the decoder
# ----------------------------------------------------------------------------------------------


def read_step(driver) -> dict:
    return driver.execute_script("""
        const root = document.querySelector('.bahdanau-live[data-view="steps"]');
        return {step: Number(root.dataset.step), title: root.querySelector('.bw-step-title').textContent,
                details: root.querySelector('.bw-step-details').textContent,
                token: root.querySelector('.bw-token').textContent,
                bars: root.querySelectorAll('svg.bw-bars rect').length,
                charts: Array.from(root.querySelectorAll('.bw-chart figcaption')).map(c => c.textContent),
                tableRows: root.querySelectorAll('table.bw-numbers tbody tr').length};""")


def test_step_slider_moves_with_the_keyboard(browser, site):  # noqa: F811
    selector = view_selector("steps")
    open_page(browser, f"{site}{STEPS_PAGE}.html", selector)
    sentence = "he is reading a book in the garden ."
    assert text_box(browser, selector).get_attribute("value") == sentence
    expected = model_says(browser, sentence, "attention")
    slider = browser.find_element("css selector", f"{selector} input[type='range']")
    label = browser.find_element("css selector", f"{selector} label[for='{slider.get_attribute('id')}']")
    assert label.text == "Step"
    assert int(slider.get_attribute("max")) == len(expected["steps"]) > 2
    first = read_step(browser)
    source = len(sentence.split()) + 1
    assert first["step"] == 1 and first["title"].startswith(f"Step 1 of {len(expected['steps'])}: after '<bos>'")
    assert first["token"] == expected["steps"][0]["token"]
    assert first["bars"] == 2 * source and first["tableRows"] == source  # e_ij and alpha_ij per source token
    assert first["charts"] == ["score e1j per source token", "weight α1j per source token (0 to 1)"]
    slider.send_keys("\ue014")  # ArrowRight
    second = read_step(browser)
    assert second["step"] == 2 and int(slider.get_attribute("value")) == 2
    assert second["token"] == expected["steps"][1]["token"]
    assert f"after '{expected['steps'][0]['token']}'" in second["title"]
    # s_1's first 8 values, as the notebook prints s_{i-1} (to 3 decimals).
    preview = ", ".join(f"{value:+.3f}" for value in expected["steps"][1]["query"][:8])
    assert f"query s1 = [{preview}, …]" in second["details"], second["details"]
    slider.send_keys("\ue010")  # End: the last step writes <eos>
    last = read_step(browser)
    assert last["step"] == len(expected["steps"]) and last["token"] == "<eos>"
    assert not console_errors(browser)


def test_step_view_follows_a_new_sentence(browser, site):  # noqa: F811
    selector = view_selector("steps")
    open_page(browser, f"{site}{STEPS_PAGE}.html", selector)
    shown = type_text(browser, selector, "i have a red car .")
    expected = model_says(browser, "i have a red car .", "attention")
    slider = browser.find_element("css selector", f"{selector} input[type='range']")
    assert int(slider.get_attribute("max")) == len(expected["steps"])
    assert read_step(browser)["step"] == 1
    assert shown["status"] == "French: " + " ".join(expected["tokens"])


# ----------------------------------------------------------------------------------------------
# Bad input: a message in the view, never an exception
# ----------------------------------------------------------------------------------------------

LONG_SENTENCE = " ".join(["the cat is on the table and"] * 10) + " ."  # 71 tokens
PASTED = ("tom went to the market and bought some bread , cheese and wine . " * 160)[:10_000]


def check_message(shown: dict, expected: str) -> None:
    messages = [shown["status"], *shown["notes"]]
    assert any(expected in message for message in messages), messages


@pytest.mark.parametrize("kind", ["translate", "steps"])
@pytest.mark.parametrize("text", ["", "   \t  "], ids=["empty", "whitespace"])
def test_empty_input_gets_a_message(browser, site, kind, text):  # noqa: F811
    page = STEPS_PAGE if kind == "steps" else "notebooks/05_search_and_measuring"
    selector = view_selector(kind)
    open_page(browser, f"{site}{page}.html", selector)
    shown = paste(browser, selector, text)
    assert shown["state"] == "message" and shown["status"] == EMPTY_MESSAGE
    assert not shown["heatmapShown"] and shown["cells"] == 0
    assert not console_errors(browser)


@pytest.mark.parametrize("kind", ["translate", "steps"])
def test_empty_is_what_python_calls_empty(browser, site, kind):  # noqa: F811
    """The views ask the port (Python's normalisation), not JavaScript's trim(): \x1c and \x85 are
    whitespace to Python's str.split and not to trim(); the BOM \ufeff is the other way round."""
    page = STEPS_PAGE if kind == "steps" else "notebooks/05_search_and_measuring"
    selector = view_selector(kind)
    open_page(browser, f"{site}{page}.html", selector)
    shown = paste(browser, selector, "\x1c\x85 \u3000")
    assert shown["state"] == "message" and shown["status"] == EMPTY_MESSAGE, shown
    shown = paste(browser, selector, "\ufeff")
    assert shown["state"] == "result", shown
    assert not console_errors(browser)


def test_a_view_without_models_runs_the_registry_default(browser, site):  # noqa: F811
    from bahdanau.pretrained import DEFAULT_MODEL

    open_page(browser, f"{site}notebooks/05_search_and_measuring.html", view_selector("translate"))
    for kind in ("translate", "steps"):
        browser.execute_script(
            "const root = document.createElement('div');"
            "root.className = 'bahdanau-live'; root.id = 'no-models-' + arguments[0];"
            "root.dataset.view = arguments[0]; root.dataset.default = 'i am cold .';"
            "document.body.append(root); window.bahdanauViews.start();", kind)
        selector = f"#no-models-{kind}"
        shown = wait_settled(browser, selector)
        assert shown["state"] == "result", shown
        if kind == "translate":
            assert shown["model"] == DEFAULT_MODEL
            assert shown["french"] == " ".join(model_says(browser, "i am cold .", DEFAULT_MODEL)["tokens"])
        else:
            label = browser.find_element("css selector", f"{selector} .bw-model").text
            assert label == "model: the paper's model (RNNsearch-30)" == f"model: {MODEL_NAMES[DEFAULT_MODEL]}"
    assert not console_errors(browser)


@pytest.mark.parametrize("kind", ["translate", "steps"])
def test_too_long_a_sentence_is_cut_with_a_note(browser, site, kind):  # noqa: F811
    page = STEPS_PAGE if kind == "steps" else "notebooks/05_search_and_measuring"
    model = "attention" if kind == "steps" else "rnnsearch-30"
    selector = view_selector(kind)
    open_page(browser, f"{site}{page}.html", selector)
    limit = model_limit(browser, model)
    assert len(LONG_SENTENCE.split()) > limit
    shown = paste(browser, selector, LONG_SENTENCE)
    check_message(shown, f"longer than the model reads: it was translated up to its first {limit} tokens")
    if kind == "translate":
        assert len(shown["columns"]) == limit + 1 and shown["cells"] == (limit + 1) * len(shown["rows"])
    else:
        assert read_step(browser)["tableRows"] == limit + 1
    assert not console_errors(browser)


@pytest.mark.parametrize("text, unknown, note", [
    ("i'm afraid tom doesn't like the zorglub .", ["zorglub"],
     "Unknown words (the model read them as <unk>): zorglub."),
    ("i love 🍕 and 日本 .", ["🍕", "日本"], "emoji and letters of other scripts are read as <unk>"),
    ("она читает книгу", ["она", "читает", "книгу"], "The model knows none of these words"),
], ids=["unknown-word", "emoji-and-kanji", "cyrillic"])
def test_unknown_words_are_named(browser, site, text, unknown, note):  # noqa: F811
    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/05_search_and_measuring.html", selector)
    shown = paste(browser, selector, text)
    assert shown["state"] == "result" and shown["heatmapShown"]
    assert model_says(browser, text, "rnnsearch-30")["unknown"] == unknown
    named = next(note for note in shown["notes"] if note.startswith("Unknown words"))
    assert all(word in named for word in unknown), named
    check_message(shown, note)
    assert not console_errors(browser)


@pytest.mark.parametrize("text", [PASTED, "a" * 10_000], ids=["10000-characters", "one-10000-letter-word"])
def test_pasted_10000_characters(browser, site, text):  # noqa: F811
    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/05_search_and_measuring.html", selector)
    assert len(text) == 10_000
    shown = paste(browser, selector, text)
    assert shown["state"] == "result" and shown["heatmapShown"]
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0] + ' table.bw-heatmap th'))"
        ".map(th => th.textContent.length);", selector)
    assert max(labels) < 60, "a long token is shortened in the heatmap's labels"
    cell = browser.find_element("css selector", f"{selector} table.bw-heatmap td")
    assert len(cell.get_attribute("aria-label")) < 60
    if " " in text:
        check_message(shown, "longer than the model reads")
    else:
        check_message(shown, "Unknown words (the model read them as <unk>): " + "a" * 17 + "…")
    assert not console_errors(browser)


@pytest.mark.parametrize("failure, message", [
    ("window.bahdanauWeb.translate = () => Promise.reject(new Error('the model file is broken'));",
     "The model could not translate this: the model file is broken"),
    ("delete window.bahdanauWeb;",
     "The model could not translate this: the models' script (bahdanau-web.js) did not load"),
    ("window.bahdanauWeb.translate = () => Promise.resolve({tokens: null});", "The model could not translate this"),
], ids=["model-fails", "script-missing", "malformed-answer"])
def test_a_failing_model_gives_a_message_not_an_exception(browser, site, failure, message):  # noqa: F811
    for kind, page in (("translate", "notebooks/05_search_and_measuring"), ("steps", STEPS_PAGE)):
        selector = view_selector(kind)
        open_page(browser, f"{site}{page}.html", selector)
        browser.execute_script(failure)
        shown = paste(browser, selector, "i have a red car .")
        assert shown["state"] == "message" and shown["status"].startswith(message), shown["status"]
        assert not console_errors(browser)


# ----------------------------------------------------------------------------------------------
# From disk, and without JavaScript
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page, kind", [("index", "translate"), ("notebooks/06_papers_model", "translate"),
                                        (STEPS_PAGE, "steps")])
def test_views_work_from_file_urls(browser, build, page, kind):  # noqa: F811
    html = require_html(build)
    selector = view_selector(kind)
    shown = open_page(browser, (html / f"{page}.html").as_uri(), selector)
    assert shown["state"] == "result", shown
    if kind == "translate":
        assert shown["french"] and shown["cells"] == len(shown["rows"]) * len(shown["columns"]) > 0
    else:
        assert read_step(browser)["bars"] > 0
    assert not console_errors(browser)


@pytest.mark.parametrize("page", [*TRANSLATE_PAGES, STEPS_PAGE])
def test_without_javascript_the_page_is_unchanged(build, page):
    """The placeholders are empty in the HTML: without scripts a page shows its static figures."""
    text = (require_html(build) / f"{page}.html").read_text(encoding="utf-8")
    placeholders = re.findall(r'<div class="bahdanau-live"[^>]*>(.*?)</div>', text, re.DOTALL)
    assert len(placeholders) == 1 and placeholders[0].strip() == ""
    assert "_static/bahdanau-views.js" in text and "_static/bahdanau-web.js" in text
    assert (HTML / "_static" / "bahdanau-views.css").is_file()


# ----------------------------------------------------------------------------------------------
# The Simplified Chinese edition: the same views, every text of theirs in Chinese
# ----------------------------------------------------------------------------------------------

# The zh_CN build (BAHDANAU_ZH_HTML points the tests at another copy, e.g. while developing).
ZH_HTML = Path(os.environ.get("BAHDANAU_ZH_HTML") or ROOT / "_build" / "html" / "zh")
ZH_EMPTY_MESSAGE = "请在上方输入一个英语句子：法语译文会随着输入即时显示。"
ZH_HEATMAP_TITLE = "每个法语词元关注了哪些英语词元"
# 13 made-up words (one more than the view names) and an emoji: every note of the view at once.
MADE_UP = "zorglub blorft quaxle vrindle smorp glimb trundlex plonkit wibblor fnarg zibzab krellox dworp"

# Every text a view shows or tells a screen reader: each text node on its own (so that two labels
# never run together), and the attributes that hold words.
VIEW_TEXTS = """
const root = document.querySelector(arguments[0]);
const texts = [];
const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
while (walker.nextNode()) if (walker.currentNode.nodeValue.trim()) texts.push(walker.currentNode.nodeValue);
for (const node of root.querySelectorAll('*')) {
  for (const name of ['aria-label', 'aria-valuetext', 'placeholder', 'title', 'alt']) {
    if (node.getAttribute(name)) texts.push(node.getAttribute(name));
  }
}
return texts;
"""


@pytest.fixture(scope="session")
def zh_site(build):
    require_html(build)
    if not (ZH_HTML / "book" / "index.html").is_file():
        pytest.fail(
            f"the Simplified Chinese edition is missing: no {ZH_HTML / 'book' / 'index.html'}. The build "
            "writes it with Sphinx's language zh_CN into _build/html/zh (BAHDANAU_ZH_HTML names another copy)")
    # Served with the English edition around it, as published: its pages load the models and
    # MathJax from the English edition's folder (book/_ext/shared_static.py).
    with serve(ZH_HTML.parent) as base_url:
        yield f"{base_url}{ZH_HTML.name}/"


def open_zh_page(driver, url: str, selector: str) -> dict:
    shown = open_page(driver, url, selector)
    language = driver.execute_script("return [document.documentElement.lang, window.bahdanauViews.language];")
    assert language[0].lower().startswith("zh") and language[1] == "zh", (url, language)
    return shown


def label_of(driver, selector: str, control) -> str:
    return driver.find_element("css selector", f"{selector} label[for='{control.get_attribute('id')}']").text


def words(text: str) -> set[str]:
    return {word.lower() for word in re.findall(r"[A-Za-z]+", text)}


def message_words(text: str) -> set[str]:
    """The words of a message of the views' tables, its {placeholders} left out."""
    return words(re.sub(r"\{\w+\}", " ", text))


def english_ui_words(driver) -> set[str]:
    """The words of the views' English texts that the Chinese texts do not keep (model names such as
    RNNsearch, <unk>, the example sentence i'm home . and file names stay in both)."""
    messages = driver.execute_script("return window.bahdanauViews.messages;")
    english = set().union(*(message_words(text) for text in messages["en"].values()))
    kept = set().union(*(message_words(text) for text in messages["zh"].values()))
    return english - kept


def leftover_english(driver, selector: str, texts_typed: list[str]) -> set[str]:
    """English words of the views' own texts found in the view, once its tokens are taken out:
    what was typed, the source tokens, the French and the special tokens."""
    shown = driver.execute_script(READ_VIEW, selector)
    tokens = {"eos", "bos", "unk"}
    for text in texts_typed:
        tokens |= words(text)
    tokens |= words(" ".join([*shown["columns"], *shown["rows"], shown["french"] or "", shown["status"]
                              if shown["status"].startswith("法语：") else ""]))
    found = set().union(*(words(text) for text in driver.execute_script(VIEW_TEXTS, selector)))
    return (found - tokens) & english_ui_words(driver)


def check_every_message_has_a_chinese_text(messages: dict) -> None:
    """The views' tables: the same keys in Chinese, each with the same {placeholders}."""
    assert sorted(messages["zh"]) == sorted(messages["en"])
    for key, english in messages["en"].items():
        chinese = messages["zh"][key]
        assert sorted(re.findall(r"\{\w+\}", chinese)) == sorted(re.findall(r"\{\w+\}", english)), key
        # A message with English words in it has Chinese ones instead (a bare pattern such as
        # "{token}: {value}" may stay as it is).
        if message_words(english):
            assert re.search(r"[\u4e00-\u9fff]", chinese), (key, chinese)


def test_zh_every_message_has_a_chinese_text(browser, zh_site):  # noqa: F811
    open_zh_page(browser, f"{zh_site}book/index.html", view_selector("translate"))
    check_every_message_has_a_chinese_text(browser.execute_script("return window.bahdanauViews.messages;"))


def test_zh_translate_view_speaks_chinese(browser, zh_site):  # noqa: F811
    selector = view_selector("translate")
    first = open_zh_page(browser, f"{zh_site}book/index.html", selector)
    assert first["state"] == "result" and first["heatmapShown"], first
    assert first["status"] == "翻译所用的模型：论文的模型（RNNsearch-30）。"
    box = text_box(browser, selector)
    assert label_of(browser, selector, box) == "英语"
    assert box.get_attribute("placeholder") == "输入一个英语句子，例如 i'm home ."
    text_of = lambda css: browser.find_element("css selector", f"{selector} {css}").text  # noqa: E731
    assert text_of(".bw-figure figcaption b") == ZH_HEATMAP_TITLE
    assert text_of(".bw-axes") == "行：输出词元（法语），含 <eos> · 列：源词元（英语），含 <eos>"
    key = browser.find_element("css selector", f"{selector} .bw-key").get_attribute("textContent")
    assert key == "注意力权重：0  1"  # around the colour bar
    assert text_of(".bw-readout") == ("将鼠标悬停在单元格上，或让单元格获得焦点（再用方向键移动），"
                                      "即可读出它的注意力权重。")
    assert text_of(".bw-corner") == "法语 ↓ 英语 →"
    # Typing still translates: the model's French, a heatmap whose labels are Chinese.
    text = "i have a red car ."
    shown = type_text(browser, selector, text)
    expected = model_says(browser, text, "rnnsearch-30")
    assert shown["french"] == " ".join(expected["tokens"])
    assert text_of(".bw-french") == "法语：" + " ".join(expected["tokens"])
    assert shown["columns"] == expected["srcTokens"]
    assert shown["cells"] == len(shown["rows"]) * len(shown["columns"]) > 0
    table = browser.find_element("css selector", f"{selector} table.bw-heatmap")
    assert table.get_attribute("aria-label") == ZH_HEATMAP_TITLE
    cell = browser.find_element("css selector", f"{selector} table.bw-heatmap td[tabindex='0']")
    browser.execute_script("arguments[0].focus()", cell)
    label = cell.get_attribute("aria-label")
    assert re.fullmatch(r"\S+ ← i：注意力权重 [01]\.\d\d", label), label
    assert cell.get_attribute("title") == label and text_of(".bw-readout") == label
    cell.send_keys("\ue014")  # ArrowRight: the keyboard works as in English
    focused = browser.switch_to.active_element
    assert focused.get_attribute("aria-label").startswith(f"{shown['rows'][0]} ← have：注意力权重 ")
    assert text_of(".bw-readout") == focused.get_attribute("aria-label")
    assert not console_errors(browser)


def test_zh_chapter_6_model_switch(browser, zh_site):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    selector = view_selector("translate")
    first = open_zh_page(browser, f"{zh_site}notebooks/06_papers_model.html", selector)
    assert first["status"] == "翻译所用的模型：d2l 的模型（注意力）。"
    element = browser.find_element("css selector", f"{selector} select")
    assert label_of(browser, selector, element) == "模型"
    select = Select(element)
    assert [option.text for option in select.options] == ["d2l 的模型（注意力）", "论文的模型（RNNsearch-30）"]
    select.select_by_value("rnnsearch-30")
    switched = wait_settled(browser, selector)
    assert switched["model"] == "rnnsearch-30" and switched["status"] == "翻译所用的模型：论文的模型（RNNsearch-30）。"
    assert not console_errors(browser)


@pytest.mark.parametrize("text, notes", [
    ("i'm afraid tom doesn't like the zorglub .", ["未知词（模型把它们读作 <unk>）：zorglub。"]),
    ("i love 🍕 and 日本 .", ["未知词（模型把它们读作 <unk>）：🍕、日本。",
                             "模型只认识英语单词：表情符号和其他文字的字符都会被读作 <unk>。"]),
    ("она читает книгу", ["未知词（模型把它们读作 <unk>）：она、читает、книгу。",
                          "模型只认识英语单词：表情符号和其他文字的字符都会被读作 <unk>。",
                          "这些词模型一个也不认识：它给出的法语只是猜测。"]),
    (MADE_UP, ["未知词（模型把它们读作 <unk>）：" + "、".join(MADE_UP.split()[:12]) + "，另有 1 个。",
               "这些词模型一个也不认识：它给出的法语只是猜测。"]),
], ids=["unknown-word", "emoji-and-kanji", "cyrillic", "thirteen-unknown-words"])
def test_zh_unknown_words_are_named_in_chinese(browser, zh_site, text, notes):  # noqa: F811
    selector = view_selector("translate")
    open_zh_page(browser, f"{zh_site}notebooks/05_search_and_measuring.html", selector)
    shown = paste(browser, selector, text)
    assert shown["state"] == "result" and shown["heatmapShown"]
    assert shown["notes"] == notes
    assert not console_errors(browser)


@pytest.mark.parametrize("kind", ["translate", "steps"])
def test_zh_empty_and_too_long_input(browser, zh_site, kind):  # noqa: F811
    page = STEPS_PAGE if kind == "steps" else "notebooks/05_search_and_measuring"
    model = "attention" if kind == "steps" else "rnnsearch-30"
    selector = view_selector(kind)
    open_zh_page(browser, f"{zh_site}{page}.html", selector)
    for text in ("", "   \t  "):
        shown = paste(browser, selector, text)
        assert shown["state"] == "message" and shown["status"] == ZH_EMPTY_MESSAGE, shown["status"]
    limit = model_limit(browser, model)
    shown = paste(browser, selector, LONG_SENTENCE)
    assert shown["state"] == "result"
    note = f"句子超出了模型能读取的长度：只翻译了前 {limit} 个词元（其余部分被略去）。"
    assert note in shown["notes"], shown["notes"]
    assert not console_errors(browser)


def test_zh_a_failing_model_gives_a_chinese_message(browser, zh_site):  # noqa: F811
    for kind, page in (("translate", "notebooks/05_search_and_measuring"), ("steps", STEPS_PAGE)):
        selector = view_selector(kind)
        open_zh_page(browser, f"{zh_site}{page}.html", selector)
        browser.execute_script("delete window.bahdanauWeb;")
        shown = paste(browser, selector, "i have a red car .")
        assert shown["state"] == "message"
        assert shown["status"] == "模型无法翻译这段文字：模型脚本（bahdanau-web.js）未能加载", shown["status"]
        assert not console_errors(browser)


def test_zh_step_slider_speaks_chinese(browser, zh_site):  # noqa: F811
    selector = view_selector("steps")
    first = open_zh_page(browser, f"{zh_site}{STEPS_PAGE}.html", selector)
    sentence = "he is reading a book in the garden ."
    expected = model_says(browser, sentence, "attention")
    n = len(expected["steps"])
    assert first["status"] == "法语：" + " ".join(expected["tokens"])
    text_of = lambda css: browser.find_element("css selector", f"{selector} {css}").text  # noqa: E731
    assert text_of(".bw-model") == "模型：d2l 的模型（注意力）"
    box = text_box(browser, selector)
    assert label_of(browser, selector, box) == "英语" and box.get_attribute("placeholder") == "输入一个英语句子"
    slider = browser.find_element("css selector", f"{selector} input[type='range']")
    assert label_of(browser, selector, slider) == "步骤"
    assert int(slider.get_attribute("max")) == n > 2
    step1 = expected["steps"][0]["token"]
    assert text_of(".bw-position") == f"第 1 步，共 {n} 步"
    assert slider.get_attribute("aria-valuetext") == f"第 1 步，共 {n} 步：输出 {step1}"
    first_step = read_step(browser)
    assert first_step["title"].startswith(f"第 1 步，共 {n} 步：读入“<bos>”之后，解码器关注“")
    assert first_step["title"].endswith(f"”，输出“{step1}”")
    assert first_step["details"].startswith("第 1 步：输入 <bos>；查询 s0 = [") and first_step["details"].endswith(
        f"；输出 {step1}")
    assert first_step["charts"] == ["每个源词元的注意力分数 e1j", "每个源词元的注意力权重 α1j（0 到 1）"]
    labels = [chart.get_attribute("aria-label") for chart in
              browser.find_elements("css selector", f"{selector} svg.bw-bars")]
    assert labels[0].startswith("每个源词元的注意力分数 e_1j：he ")
    assert labels[1].startswith("每个源词元的注意力权重 α_1j：he ")
    assert text_of("table.bw-numbers caption") == "第 1 步：每个源词元的注意力分数和注意力权重"
    assert [th.text for th in browser.find_elements("css selector", f"{selector} table.bw-numbers thead th")] == [
        "源词元", "分数 e", "权重 α"]
    slider.send_keys("\ue014")  # ArrowRight
    second = read_step(browser)
    assert second["step"] == 2 and second["token"] == expected["steps"][1]["token"]
    assert text_of(".bw-position") == f"第 2 步，共 {n} 步"
    assert f"读入“{step1}”之后" in second["title"]
    preview = ", ".join(f"{value:+.3f}" for value in expected["steps"][1]["query"][:8])
    assert f"查询 s1 = [{preview}, …]（范数 " in second["details"], second["details"]
    assert re.search(r"，共 \d+ 个值）；输出 ", second["details"]), second["details"]
    slider.send_keys("\ue010")  # End
    assert read_step(browser)["token"] == "<eos>"
    assert slider.get_attribute("aria-valuetext") == f"第 {n} 步，共 {n} 步：输出 <eos>"
    assert not console_errors(browser)


@pytest.mark.parametrize("page, kind, text", [
    ("book/index", "translate", None),
    ("notebooks/06_papers_model", "translate", None),
    ("notebooks/05_search_and_measuring", "translate", MADE_UP + " 🍕"),
    ("notebooks/05_search_and_measuring", "translate", LONG_SENTENCE),
    ("notebooks/05_search_and_measuring", "translate", ""),
    (STEPS_PAGE, "steps", None),
    (STEPS_PAGE, "steps", LONG_SENTENCE),
    (STEPS_PAGE, "steps", ""),
], ids=["landing", "chapter-1", "unknown-words", "too-long", "empty", "steps", "steps-too-long", "steps-empty"])
def test_zh_no_english_text_of_the_views_remains(browser, zh_site, page, kind, text):  # noqa: F811
    selector = view_selector(kind)
    shown = open_zh_page(browser, f"{zh_site}{page}.html", selector)
    typed = [browser.execute_script(f"return document.querySelector('{selector} input.bw-text').value;")]
    if text is not None:
        shown = paste(browser, selector, text)
        typed.append(text)
    if kind == "steps" and shown["state"] == "result":
        browser.find_element("css selector", f"{selector} input[type='range']").send_keys("\ue014")
    if kind == "translate" and shown["state"] == "result":  # the readout now tells a cell's weight
        browser.execute_script("arguments[0].focus()", browser.find_element("css selector", f"{selector} td"))
    texts = browser.execute_script(VIEW_TEXTS, selector)
    assert any(re.search(r"[\u4e00-\u9fff]", text) for text in texts), texts
    assert not leftover_english(browser, selector, typed), texts


def test_the_english_pages_keep_their_english_texts(browser, site):  # noqa: F811
    """The check above is not empty: on an English page it finds the English texts of the views."""
    selector = view_selector("translate")
    open_page(browser, f"{site}notebooks/06_papers_model.html", selector)
    assert browser.execute_script("return window.bahdanauViews.language;") == "en"
    typed = [browser.execute_script(f"return document.querySelector('{selector} input.bw-text').value;")]
    assert {"english", "model", "french", "attention", "weight", "hover"} <= leftover_english(browser, selector, typed)


# ----------------------------------------------------------------------------------------------
# Steering the attention in the translate view (a small site: no book build needed)
# ----------------------------------------------------------------------------------------------

STEER_SENTENCE = "he is reading a book in the garden ."  # 9 words, then <eos>
STEER_SELECTOR = view_selector("translate")
STEER_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>steer</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="_static/bahdanau-views.css">
<script src="_static/bahdanau-web.js"></script><script src="_static/bahdanau-views.js"></script>
</head><body>
<div class="bahdanau-live" data-view="translate" data-models="rnnsearch-30 attention"
     data-default="{sentence}"></div>
</body></html>
"""

# What the steering shows: the steered cells, the two French lines, the status, Reset.
READ_STEER = """
const root = document.querySelector(arguments[0]);
const position = (td) => [td.parentElement.rowIndex - 1, td.cellIndex - 1];
const steered = root.querySelector('.bw-french-steered b');
const active = document.activeElement && document.activeElement.closest && document.activeElement.closest('td');
return {
  steered: root.dataset.steered,
  status: root.querySelector('.bw-steer-status').textContent,
  own: root.querySelector('.bw-french b').textContent,
  // The steered French as it reads, without the screen readers' "(changed)".
  steeredFrench: steered ? Array.from(steered.childNodes).map(
    (n) => n.nodeType === Node.TEXT_NODE ? n.textContent : n.firstChild.textContent).join('') : null,
  marked: Array.from(root.querySelectorAll('.bw-french-steered mark')).map(
    (m) => [m.firstChild.textContent, m.querySelector('.bw-visually-hidden').textContent]),
  key: (root.querySelector('.bw-changed-key') || {textContent: null}).textContent,
  steeredCells: Array.from(root.querySelectorAll('td.bw-steered-cell')).map(
    (td) => [...position(td), td.getAttribute('aria-label'), Number(td.dataset.weight),
             td.querySelector('.bw-steered-mark').textContent]),
  rows: Array.from(root.querySelectorAll('table.bw-heatmap tbody th')).map((th) => th.dataset.token),
  weights: Array.from(root.querySelectorAll('table.bw-heatmap td')).map((td) => Number(td.dataset.weight)),
  resetShown: !root.querySelector('.bw-reset').hidden,
  focused: active && root.contains(active) ? position(active) : null,
};
"""

# The port itself, steered: the reference the view must show.
STEERED_BY_THE_PORT = """
const [text, model, picks, done] = arguments;
const web = window.bahdanauWeb;
web.translate(text, {model}).then((own) => {
  const override = new Map(picks.map(([step, j]) => [step, web.focusRow(own.srcTokens.length, j)]));
  return web.translate(text, {model, override});
}).then((r) => done({tokens: r.tokens, attention: r.attention, steered: r.steered}), (e) => done({error: String(e)}));
"""


@pytest.fixture(scope="module")
def steer_site(tmp_path_factory) -> Path:
    """The port, the views and every web model (what `make web-models` writes), with a page in
    English (steer.html) and one in Chinese (steer-zh.html), each holding one translate view."""
    import shutil

    from bahdanau.cli.export_web import export_web_models

    root = tmp_path_factory.mktemp("steer-site")
    static = root / "_static"
    static.mkdir()
    for name in ("bahdanau-web.js", "bahdanau-views.js", "bahdanau-views.css"):
        shutil.copy(ROOT / "book" / "_static" / name, static / name)
    export_web_models(static / "models")
    for page, lang in (("steer", "en"), ("steer-zh", "zh-CN")):
        (root / f"{page}.html").write_text(STEER_PAGE.format(lang=lang, sentence=STEER_SENTENCE), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def steer_urls(steer_site):
    """The site's base URLs: over http (127.0.0.1) and from disk (file://)."""
    with serve(steer_site) as base_url:
        yield {"http": base_url, "file": steer_site.as_uri() + "/"}


def open_steer_page(driver, url: str) -> dict:
    shown = open_page(driver, url, STEER_SELECTOR)
    assert shown["state"] == "result" and shown["columns"][:-1] == STEER_SENTENCE.split(), shown
    return shown


def steer_settled(driver) -> dict:
    """Wait for the last pick (or Reset) to be drawn; the steering then shown."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while not driver.execute_script(
            "const r = document.querySelector(arguments[0]);"
            "return !!r.dataset.steerPending && r.dataset.steerDone === r.dataset.steerPending;", STEER_SELECTOR):
        assert time.monotonic() < deadline, "the steering did not settle"
        time.sleep(0.05)
    return driver.execute_script(READ_STEER, STEER_SELECTOR)


def heatmap_cell(driver, row: int, column: int):
    return driver.find_element("css selector", f"{STEER_SELECTOR} table.bw-heatmap tbody "
                                               f"tr:nth-child({row + 1}) td:nth-of-type({column + 1})")


def port_steered(driver, picks: list[tuple[int, int]], model: str = "rnnsearch-30") -> dict:
    driver.set_script_timeout(SETTLE_SECONDS)
    result = driver.execute_async_script(STEERED_BY_THE_PORT, STEER_SENTENCE, model, picks)
    assert "error" not in result, result
    return result


def check_steered(driver, shown: dict, picks: list[tuple[int, int]], own_french: str) -> None:
    """The view shows the port's steered translation for ``picks``: the steered French with its
    changed words marked, the model's own French kept, the steered cells marked, Reset offered."""
    expected = port_steered(driver, picks)
    own = own_french.split()
    first = min(step for step, _ in picks)
    changed = [token for k, token in enumerate(expected["tokens"]) if k >= first and (own[k:k + 1] != [token])]
    assert shown["steered"] == " ".join(f"{step}:{j}" for step, j in picks)
    assert expected["steered"] == [step for step, _ in picks]
    assert shown["own"] == own_french  # the model's own French stays shown
    assert shown["steeredFrench"] == " ".join(expected["tokens"])
    assert [word for word, _ in shown["marked"]] == changed and changed, "a pick that changes the French"
    assert all(note == " (changed)" for _, note in shown["marked"])
    assert shown["key"] == "Underlined words changed: they differ from the model's own French above."
    assert [cell[:2] for cell in shown["steeredCells"]] == [list(pick) for pick in picks]
    for _, _, label, weight, mark in shown["steeredCells"]:
        assert label.endswith(": 1.00 (steered: all of this row's weight is here)") and weight == 1 and mark == "◆"
    columns = len(STEER_SENTENCE.split()) + 1
    assert shown["weights"] == pytest.approx([w for row in expected["attention"] for w in row], abs=1e-4)
    assert len(shown["weights"]) == len(expected["attention"]) * columns
    assert shown["resetShown"]
    step, j = picks[-1]
    word = STEER_SENTENCE.split()[j]
    assert shown["status"] == (f"Step {step + 1} now looks only at '{word}': the French from there on was "
                               f"decoded again, and {len(changed)} of its words changed: "
                               f"{' '.join(expected['tokens'])}")


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_steer_by_click_then_reset(browser, steer_urls, scheme):  # noqa: F811
    first = open_steer_page(browser, f"{steer_urls[scheme]}steer.html")
    own_french = first["french"]
    heatmap_cell(browser, 3, 7).click()  # step 4 looks only at "garden"
    shown = steer_settled(browser)
    check_steered(browser, shown, [(3, 7)], own_french)
    assert shown["focused"] == [3, 7]  # the click's cell keeps the focus in the new heatmap
    # A second pick, later in the steered French: the first one stays; one before it replaces both.
    heatmap_cell(browser, 5, 1).click()
    check_steered(browser, steer_settled(browser), [(3, 7), (5, 1)], own_french)
    heatmap_cell(browser, 1, 4).click()
    check_steered(browser, steer_settled(browser), [(1, 4)], own_french)
    browser.find_element("css selector", f"{STEER_SELECTOR} .bw-reset").click()
    reset = steer_settled(browser)
    assert reset["steered"] == "" and reset["steeredCells"] == [] and reset["steeredFrench"] is None
    assert not reset["resetShown"] and reset["own"] == own_french
    assert reset["weights"] == first["weights"] and reset["rows"] == first["rows"]  # the model's own heatmap
    assert reset["status"] == f"Back to the model's own attention: {own_french}"
    assert reset["focused"] == [1, 4]  # the focus is not lost with the hidden button
    assert not console_errors(browser)


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_steer_with_the_keyboard(browser, steer_urls, scheme):  # noqa: F811
    from selenium.webdriver.common.keys import Keys

    first = open_steer_page(browser, f"{steer_urls[scheme]}steer.html")
    hint = browser.find_element("css selector", f"{STEER_SELECTOR} .bw-steer-hint")
    table = browser.find_element("css selector", f"{STEER_SELECTOR} table.bw-heatmap")
    assert table.get_attribute("aria-describedby") == hint.get_attribute("id")
    assert "press Enter or Space" in hint.text
    cell = browser.find_element("css selector", f"{STEER_SELECTOR} table.bw-heatmap td[tabindex='0']")
    browser.execute_script("arguments[0].focus()", cell)
    browser.switch_to.active_element.send_keys(*[Keys.ARROW_DOWN] * 3, *[Keys.ARROW_RIGHT] * 7, Keys.ENTER)
    shown = steer_settled(browser)
    check_steered(browser, shown, [(3, 7)], first["french"])
    assert shown["focused"] == [3, 7]  # the keyboard goes on from the steered cell
    browser.switch_to.active_element.send_keys(Keys.ARROW_UP, Keys.ARROW_UP, Keys.ARROW_LEFT, Keys.ARROW_LEFT,
                                               Keys.ARROW_LEFT, Keys.SPACE)
    check_steered(browser, steer_settled(browser), [(1, 4)], first["french"])
    # Reset, reached by the keyboard.
    reset = browser.find_element("css selector", f"{STEER_SELECTOR} .bw-reset")
    browser.execute_script("arguments[0].focus()", reset)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    restored = steer_settled(browser)
    assert restored["steered"] == "" and restored["weights"] == first["weights"] and restored["focused"] == [1, 4]
    assert not console_errors(browser)


def test_steer_by_touch(browser, steer_urls):  # noqa: F811
    """A tap (touch events sent through the DevTools protocol, as a touch screen sends them)."""
    first = open_steer_page(browser, f"{steer_urls['http']}steer.html")
    cell = heatmap_cell(browser, 3, 7)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
    x, y = browser.execute_script(
        "const b = arguments[0].getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2];", cell)
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    browser.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    time.sleep(0.1)
    check_steered(browser, steer_settled(browser), [(3, 7)], first["french"])
    assert not console_errors(browser)


def test_bad_picks_are_explained(browser, steer_urls):  # noqa: F811
    first = open_steer_page(browser, f"{steer_urls['http']}steer.html")
    eos_column = len(STEER_SENTENCE.split())
    heatmap_cell(browser, 2, eos_column).click()
    shown = steer_settled(browser)
    assert shown["status"].startswith("'<eos>' is the end-of-sentence marker, not an English word")
    assert shown["steered"] == "" and shown["weights"] == first["weights"]  # nothing steered
    heading = "Pick a cell inside the heatmap, not a heading"
    for css in ("th.bw-corner", "thead th[data-token='garden']", "tbody tr:nth-child(2) th"):
        browser.find_element("css selector", f"{STEER_SELECTOR} table.bw-heatmap {css}").click()
        assert steer_settled(browser)["status"].startswith(heading), css
    # A model without attention: the port refuses to steer it (its override_no_attention), and the
    # view says so in its own words. The port runs attention models only: one is made attention-less.
    browser.execute_script(
        "window.bahdanauWeb.load('rnnsearch-30').then((m) => { m.config.attention = false; });")
    heatmap_cell(browser, 3, 7).click()
    shown = steer_settled(browser)
    browser.execute_script("window.bahdanauWeb.load('rnnsearch-30').then((m) => { m.config.attention = true; });")
    assert shown["status"] == ("This model has no attention to steer: its decoder reads one fixed context "
                               "vector for the whole sentence.")
    assert shown["steered"] == ""
    # A failing port: its message, in the view.
    browser.execute_script(
        "window.bahdanauWeb.translate = () => Promise.reject(new Error('the model file is broken'));")
    heatmap_cell(browser, 3, 7).click()
    assert steer_settled(browser)["status"] == "The model could not decode this again: the model file is broken"
    assert not console_errors(browser)


def test_a_new_sentence_or_model_ends_the_steering(browser, steer_urls):  # noqa: F811
    from selenium.webdriver.support.ui import Select

    open_steer_page(browser, f"{steer_urls['http']}steer.html")
    heatmap_cell(browser, 3, 7).click()
    assert steer_settled(browser)["steered"] == "3:7"
    Select(browser.find_element("css selector", f"{STEER_SELECTOR} select")).select_by_value("attention")
    switched = wait_settled(browser, STEER_SELECTOR)
    shown = browser.execute_script(READ_STEER, STEER_SELECTOR)
    assert switched["model"] == "attention" and shown["steered"] == "" and shown["steeredFrench"] is None
    assert not shown["resetShown"] and shown["status"] == ""
    heatmap_cell(browser, 2, 0).click()
    assert steer_settled(browser)["steered"] == "2:0"
    typed = type_text(browser, STEER_SELECTOR, "i am cold .")
    shown = browser.execute_script(READ_STEER, STEER_SELECTOR)
    assert typed["columns"] == ["i", "am", "cold", ".", "<eos>"] and shown["steered"] == ""
    assert shown["steeredCells"] == [] and not shown["resetShown"]
    assert not console_errors(browser)


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_steering_speaks_chinese(browser, steer_urls, scheme):  # noqa: F811
    first = open_steer_page(browser, f"{steer_urls[scheme]}steer-zh.html")
    assert browser.execute_script("return window.bahdanauViews.language;") == "zh"
    check_every_message_has_a_chinese_text(browser.execute_script("return window.bahdanauViews.messages;"))
    hint = browser.find_element("css selector", f"{STEER_SELECTOR} .bw-steer-hint").text
    assert hint.startswith("要操控注意力，请点击或轻触一个单元格")
    reset = browser.find_element("css selector", f"{STEER_SELECTOR} .bw-reset")
    assert reset.get_attribute("textContent") == "恢复模型自己的注意力"
    heatmap_cell(browser, 3, 7).click()
    shown = steer_settled(browser)
    expected = port_steered(browser, [(3, 7)])
    assert shown["steeredFrench"] == " ".join(expected["tokens"]) and shown["own"] == first["french"]
    assert shown["status"].startswith("第 4 步现在只关注“garden”：从这一步起的法语已重新解码，其中 ")
    assert shown["marked"] and all(note == "（有变化）" for _, note in shown["marked"])
    assert shown["key"] == "带下划线的词元有变化：它们与上面模型自己的法语译文不同。"
    assert shown["steeredCells"][0][2].endswith("（已操控：这一行的全部权重都在这里）")
    assert browser.find_element("css selector", f"{STEER_SELECTOR} .bw-french-steered").text.startswith(
        "操控注意力之后的法语：")
    heatmap_cell(browser, 2, len(STEER_SENTENCE.split())).click()
    assert steer_settled(browser)["status"].startswith("“<eos>”是句末标记，不是英语单词")
    browser.find_element("css selector", f"{STEER_SELECTOR} table.bw-heatmap th.bw-corner").click()
    assert steer_settled(browser)["status"].startswith("请选择热图内部的单元格，而不是标题")
    browser.find_element("css selector", f"{STEER_SELECTOR} .bw-reset").click()
    assert steer_settled(browser)["status"] == f"已恢复模型自己的注意力：{first['french']}"
    assert not console_errors(browser)
