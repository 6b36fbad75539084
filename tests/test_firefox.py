"""A second browser engine: the port, its bad inputs and the built book's live views in Firefox.

Every other browser test drives Chromium; a reader may use Firefox, whose JavaScript engine
(SpiderMonkey) and file:// rules are not Chromium's. Debian's ``firefox-esr``, headless, with a
fresh profile, driven through Marionette (PyPI's ``marionette_driver``: no geckodriver), one
session for the whole module. Checked:

- parity: book/_static/bahdanau-web.js against PyTorch as tests/test_browser_parity.py checks it
  (tests/parity_sample.py: held-out sentences drawn by the same rule, a smaller sample, the same
  PyTorch reference on the same exported weights, the same share of equal tokens and the same
  attention tolerance), plain and steered;
- bad input: empty text, text longer than the model reads, an unknown model and every invalid
  override get Python's message, word for word;
- the built book offline: the landing page and chapter 6, from disk (file://) and over http,
  translate a typed sentence into PyTorch's French (chapter 6 with both of its models), with no
  console error and no request to another host (every host but 127.0.0.1 is unreachable).

``make browser`` installs the browser (``BAHDANAU_FIREFOX`` chooses another binary); a missing
or failing browser is a failure, never a skip.
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import pytest
from bench_web import serve
from book_build import require_html
from parity_sample import (
    INVALID_OVERRIDES,
    LONG_TOKENS,
    NUM_LONG,
    NUM_SENTENCES,
    NUM_STEERED,
    NUM_STEERED_LONG,
    RUN_ASYNC,
    TRANSLATE_ALL,
    TRANSLATE_EMPTY,
    TRANSLATE_STEERED,
    TRANSLATE_TRUNCATED,
    check_empty_results,
    check_steered,
    check_translations,
    check_truncated,
    exported,
    held_out_sentences,
    python_steered,
    python_translations,
    steer_source,
    steered_reference,
    write_site,
)
from test_browser_views import EMPTY_MESSAGE, LONG_SENTENCE, READ_VIEW, check_message, view_selector

from bahdanau.cli.export_web import WEB_MODELS, export_model
from bahdanau.decoding import translate
from bahdanau.pretrained import DEFAULT_MODEL

# A browser, the whole corpus read and the book's build: not for `make unit`.
pytestmark = pytest.mark.slow

FIREFOX = Path(os.environ.get("BAHDANAU_FIREFOX") or "/usr/bin/firefox-esr")
SCRIPT_SECONDS = 600  # the parity batches: hundreds of sentences in one call
SETTLE_SECONDS = 60  # a view's first translation loads a model file of several MB
# Smaller samples than Chromium's (a second engine, kept fast: make test's time), drawn by the
# same rule, with the same share of long sentences.
SENTENCES = 100
STEERED = 50

# Every host but 127.0.0.1 unreachable, as Chromium's --host-resolver-rules makes it
# (tests/test_browser.py): every other request goes to a proxy on the discard port, where nothing
# answers. Firefox never sends 127.0.0.1 to a proxy (network.proxy.allow_hijacking_localhost).
OFFLINE_PREFS = {
    "network.proxy.type": 1,  # manual
    "network.proxy.http": "127.0.0.1", "network.proxy.http_port": 9,
    "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": 9,
    "network.proxy.no_proxies_on": "127.0.0.1",
}


# Run in the browser's chrome (the parent process, which makes every request): record each http(s)
# request a page makes from now on, and each answer of status 400 or more (the browser's own,
# system-principal requests are left out). Performance entries would not do: Firefox records none
# for a page opened from disk.
WATCH_REQUESTS = """
if (!globalThis.requests) {
  globalThis.requests = [];
  globalThis.failed = [];
  const fromPage = (channel) => {
    const principal = channel.loadInfo.triggeringPrincipal;
    return principal && !principal.isSystemPrincipal;
  };
  Services.obs.addObserver({observe(subject) {
    const channel = subject.QueryInterface(Ci.nsIChannel);
    if (fromPage(channel)) globalThis.requests.push(channel.URI.spec);
  }}, "http-on-opening-request");
  Services.obs.addObserver({observe(subject) {
    const channel = subject.QueryInterface(Ci.nsIHttpChannel);
    if (fromPage(channel) && channel.responseStatus >= 400) {
      globalThis.failed.push(`${channel.URI.spec}: ${channel.responseStatus}`);
    }
  }}, "http-on-examine-response");
}
globalThis.requests.length = 0;
globalThis.failed.length = 0;
"""
WATCHED_REQUESTS = "return {requests: [...globalThis.requests], failed: [...globalThis.failed]};"

# Run with the system principal in the page's own process: the page's errors, as its console shows
# them (uncaught exceptions, console.error calls, and scripts that did not load, which Firefox
# reports as warnings).
PAGE_ERRORS = """
const id = window.windowGlobalChild.innerWindowId;
const {warningFlag, infoFlag} = Ci.nsIScriptError;
const reported = Services.console.getMessageArray()
  .filter((m) => m instanceof Ci.nsIScriptError && m.innerWindowID === id
                 && (!(m.flags & (warningFlag | infoFlag)) || m.category === "Script Loader"))
  .map((m) => [m.errorMessage, `${m.sourceName}:${m.lineNumber}`]);
const calls = Cc["@mozilla.org/consoleAPI-storage;1"].getService(Ci.nsIConsoleAPIStorage).getEvents(String(id))
  .filter((e) => e.level === "error")
  .map((e) => [e.arguments.map(String).join(" "), `${e.filename}:${e.lineNumber}`]);
return [...reported, ...calls];
"""


# ----------------------------------------------------------------------------------------------
# The browser and the pages
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def firefox(tmp_path_factory):
    """Headless Firefox with a fresh profile (in a temporary folder), through Marionette."""
    if not FIREFOX.is_file():
        pytest.fail(f"the Firefox tests need {FIREFOX}: run `make browser`, which installs the Debian "
                    "package firefox-esr (apt-get, as root or with sudo), or set BAHDANAU_FIREFOX")
    try:
        with warnings.catch_warnings():
            # Its dependencies, on import: mozinfo calls distro.linux_distribution() and mozrunner
            # imports telnetlib (for Android emulators), both deprecated; neither is ours to fix.
            warnings.simplefilter("ignore", DeprecationWarning)
            from marionette_driver.errors import MarionetteException
            from marionette_driver.marionette import Marionette
    except ImportError as error:
        pytest.fail(f"the Firefox tests need marionette_driver (in requirements.txt): {error}")
    workspace = tmp_path_factory.mktemp("firefox")
    log = workspace / "gecko.log"
    try:
        # port=0: a free port; app: the desktop browser (not guessed from the binary's files).
        client = Marionette(bin=str(FIREFOX), app="fxdesktop", headless=True, port=0, prefs=OFFLINE_PREFS,
                            workspace=str(workspace), gecko_log=str(log))
        client.start_session()
    except (OSError, MarionetteException) as error:
        tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
        pytest.fail(f"headless Firefox did not start ({FIREFOX}): {error}\n{tail}")
    client.timeout.page_load = SETTLE_SECONDS
    client.timeout.script = SCRIPT_SECONDS
    print(f"Firefox {client.session_capabilities['browserVersion']}")
    yield client
    client.cleanup()
    # cleanup() leaves mozprofile a new, empty profile whose finaliser would run at interpreter
    # exit, too late to delete it: let it go now.
    client.instance = None


def run_js(client, source: str):
    """Run async JavaScript ``source`` (its ``return`` is the answer) in the page, among the page's
    own globals (sandbox=None: no content sandbox, so window.bahdanauWeb is the page's)."""
    return client.execute_async_script(RUN_ASYNC, script_args=[source], sandbox=None)


def in_page(client, script: str, *args):
    """Run synchronous JavaScript among the page's own globals."""
    return client.execute_script(script, script_args=list(args), sandbox=None)


def watch(client) -> None:
    """Record the requests (and failed answers) from now on: see :func:`watched`."""
    with client.using_context("chrome"):
        client.execute_script(WATCH_REQUESTS, new_sandbox=False, sandbox="bahdanau-requests")


def watched(client) -> dict:
    """The page's console errors (any is a failure: none is excused), and the requests and failed
    answers since :func:`watch`."""
    errors = [f"{message} ({where})" for message, where in client.execute_script(PAGE_ERRORS, sandbox="system")]
    with client.using_context("chrome"):
        found = client.execute_script(WATCHED_REQUESTS, new_sandbox=False, sandbox="bahdanau-requests")
    return {"errors": errors + found["failed"], "requests": found["requests"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """tests/test_browser_parity.py's one-page site: the port and every exported web model."""
    return write_site(tmp_path_factory.mktemp("web-site"))


@pytest.fixture(scope="module")
def site_url(site):
    with serve(site) as base_url:
        yield f"{base_url}index.html"


@pytest.fixture
def page(firefox, site_url):
    """Firefox on the site's page (opened again after a test that went elsewhere)."""
    if firefox.get_url() != site_url:
        firefox.navigate(site_url)
    return firefox


# ----------------------------------------------------------------------------------------------
# The port against PyTorch
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WEB_MODELS)
def test_firefox_translates_as_pytorch(page, site, name, real_corpus_path):
    long = SENTENCES * NUM_LONG // NUM_SENTENCES
    sentences = held_out_sentences(real_corpus_path, SENTENCES, long)
    assert len(sentences) == SENTENCES and sum(len(text.split()) in LONG_TOKENS for text in sentences) == long
    expected = python_translations(site, name, sentences)
    found = page.execute_async_script(TRANSLATE_ALL, script_args=[sentences, name], sandbox=None)
    check_translations(f"Firefox, {name}", sentences, found, expected)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_firefox_steers_as_pytorch(page, site, name, real_corpus_path):
    long = STEERED * NUM_STEERED_LONG // NUM_STEERED
    sentences = held_out_sentences(real_corpus_path, STEERED, long)
    assert len(sentences) == STEERED and sum(len(text.split()) in LONG_TOKENS for text in sentences) == long
    cases, expected, own, overrides = steered_reference(site, name, sentences)
    found = page.execute_async_script(TRANSLATE_STEERED, script_args=[cases, name], sandbox=None)
    check_steered(f"Firefox, {name}", sentences, found, expected, own, overrides)


# ----------------------------------------------------------------------------------------------
# Bad input: Python's messages
# ----------------------------------------------------------------------------------------------


def test_empty_input_resolves_with_pythons_message(page):
    found = run_js(page, TRANSLATE_EMPTY)
    assert "value" in found, found
    check_empty_results(found["value"])


def test_long_input_is_truncated_as_in_python(page, site):
    check_truncated(site, run_js(page, TRANSLATE_TRUNCATED)["value"])


def test_unknown_model_message_is_pythons(page):
    with pytest.raises(ValueError) as raised:
        export_model("transformer", "unused")
    for call in ('window.bahdanauWeb.load("transformer")',
                 'window.bahdanauWeb.translate("hi", {model: "transformer"})'):
        assert run_js(page, f"return await {call};") == {"error": str(raised.value)}, call


@pytest.mark.parametrize("kind", list(INVALID_OVERRIDES))
def test_invalid_override_gets_pythons_message(page, site, kind):
    python_override, js_override, key = INVALID_OVERRIDES[kind]
    raised = python_steered(site, DEFAULT_MODEL, python_override)
    assert isinstance(raised, ValueError), raised
    found = run_js(page, steer_source(DEFAULT_MODEL, js_override or json.dumps(python_override)))["value"]
    assert found == {"error": str(raised), "code": key}


# ----------------------------------------------------------------------------------------------
# The built book, offline: from disk and over http
# ----------------------------------------------------------------------------------------------

TYPED = "i would like to visit my sister next summer ."
LANDING_PAGE = "book/index"
LIVE_CHAPTER = "notebooks/06_papers_model"
TRANSLATE_VIEW = view_selector("translate")


@pytest.fixture(scope="module")
def book(build) -> Path:
    return require_html(build)


@pytest.fixture(scope="module")
def served(book):
    with serve(book) as base_url:
        yield base_url


def wait_settled(client, timeout: float = SETTLE_SECONDS) -> dict:
    """The translate view once its latest request is drawn (test_browser_views.settled's rule)."""
    deadline = time.monotonic() + timeout
    while not in_page(client, "const r = document.querySelector(arguments[0]);"
                              "return !!r && !!r.dataset.pending && r.dataset.done === r.dataset.pending;",
                      TRANSLATE_VIEW):
        assert time.monotonic() < deadline, f"the view did not settle in {timeout} s"
        time.sleep(0.05)
    return in_page(client, READ_VIEW, TRANSLATE_VIEW)


def type_text(client, text: str) -> dict:
    """Clear the box and type ``text`` key by key, as a reader does; the view once settled."""
    box = client.find_element("css selector", f"{TRANSLATE_VIEW} input.bw-text")
    box.clear()
    box.send_keys(text)
    time.sleep(0.05)  # the view waits for a pause in the typing before it asks the model
    return wait_settled(client)


def paste(client, text: str) -> dict:
    """Put ``text`` in the box at once, as a paste does (one input event); the view once settled."""
    in_page(client, "const box = document.querySelector(arguments[0] + ' input.bw-text');"
                    "box.value = arguments[1]; box.dispatchEvent(new Event('input', {bubbles: true}));",
            TRANSLATE_VIEW, text)
    time.sleep(0.05)
    return wait_settled(client)


def pytorch_french(book: Path, model_name: str, text: str) -> str:
    """PyTorch's French for ``text`` on the built book's own copy of the model."""
    model, src_vocab, tgt_vocab = exported(book, model_name)
    return " ".join(translate(model, text, src_vocab, tgt_vocab).tokens)


def check_shown(shown: dict, book: Path, text: str) -> None:
    assert shown["state"] == "result", shown
    assert shown["french"] == pytorch_french(book, shown["model"], text), shown
    assert shown["columns"][:-1] == text.split() and shown["heatmapShown"]
    assert shown["cells"] == len(shown["rows"]) * len(shown["columns"]) > 0


@pytest.mark.parametrize("scheme", ["file", "http"])
@pytest.mark.parametrize("page_name", [LANDING_PAGE, LIVE_CHAPTER])
def test_the_book_translates_what_is_typed_offline(firefox, book, served, scheme, page_name):
    url = (book / f"{page_name}.html").as_uri() if scheme == "file" else f"{served}{page_name}.html"
    watch(firefox)
    firefox.navigate(url)
    assert wait_settled(firefox)["state"] == "result"
    typed = type_text(firefox, TYPED)
    check_shown(typed, book, TYPED)
    if page_name == LIVE_CHAPTER:  # its other model, chosen in the view's menu
        firefox.find_element("css selector", f"{TRANSLATE_VIEW} select option:not(:checked)").click()
        switched = wait_settled(firefox)
        assert switched["model"] != typed["model"] and {switched["model"], typed["model"]} <= set(WEB_MODELS)
        check_shown(switched, book, TYPED)
    seen = watched(firefox)
    assert not seen["errors"], seen["errors"]
    if scheme == "file":
        assert not seen["requests"], f"a page opened from disk asked the network: {seen['requests']}"
    else:
        assert any(request.startswith(f"{served}_static/models/") for request in seen["requests"]), seen
        leaving = [request for request in seen["requests"] if not request.startswith(served)]
        assert not leaving, f"requests to other hosts: {leaving}"


@pytest.mark.parametrize("scheme", ["file", "http"])
def test_the_books_view_explains_empty_and_long_input(firefox, book, served, scheme):
    url = (book / f"{LIVE_CHAPTER}.html").as_uri() if scheme == "file" else f"{served}{LIVE_CHAPTER}.html"
    watch(firefox)
    firefox.navigate(url)
    wait_settled(firefox)
    shown = paste(firefox, "   \t  ")
    assert shown["state"] == "message" and shown["status"] == EMPTY_MESSAGE, shown
    assert not shown["heatmapShown"] and shown["cells"] == 0
    shown = paste(firefox, LONG_SENTENCE)
    model = json.dumps(shown["model"])
    limit = run_js(firefox, f"return (await window.bahdanauWeb.load({model})).maxSrcLen;")["value"]
    check_message(shown, f"longer than the model reads: it was translated up to its first {limit} tokens")
    assert len(shown["columns"]) == limit + 1
    assert not watched(firefox)["errors"]
