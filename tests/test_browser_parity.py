"""book/_static/bahdanau-web.js in headless Chromium against PyTorch, on the same exported weights.

The models are exported (``bahdanau.cli.export_web``) into a small site in a temporary folder: one
page that loads bahdanau-web.js, which loads the registry and the model files beside it (and
bahdanau-views.js, for its model names). On held-out test sentences the browser's greedy
translation must equal :func:`bahdanau.decoding.translate`'s on the model
:func:`~bahdanau.cli.export_web.load_exported` rebuilds from the same file (for at least 99.5% of
them: float rounding may flip a near-tie of two logits), with the same attention to 1e-3 where
they agree; one decoder step has DecoderStep's fields and values. The port's normalisation of
typed input is Python's (:func:`bahdanau.data.sentence_words`) on every code point and on tricky
sentences, and its messages are Python's, word for word. The registry is the one place the
browser learns the model names and the default from. The site is served over http, so the port
fetches each model's binary container (bahdanau-model-NAME.bin), and never its script; the page
is also opened from disk (file://), where the model must load through its script's <script> tag,
and the built book's own copy is tried once.

Steering (``translate(..., override=...)``): on held-out sentences, each with an override drawn by
a fixed rule (:func:`steering_case`), the browser's tokens equal Python's on the same share, with
the same attention and the same ``steered``; re-decoding from the kept decoding gives exactly what
decoding from the encoder gives; every kind of invalid override is refused with Python's message,
word for word.

Chromium and its driver: as tests/test_browser.py (``make browser`` installs them).
"""

from __future__ import annotations

import json
import shutil
import unicodedata
from pathlib import Path

import pytest
import torch
from book_build import require_html
from parity_sample import (
    _ROW,
    INVALID_OVERRIDES,
    LONG_TOKENS,
    MAX_ATTENTION_DIFFERENCE,
    NUM_STEERED,
    NUM_STEERED_LONG,
    PAGE,
    RUN_ASYNC,
    STEERED_SENTENCE,
    TRANSLATE_ALL,
    TRANSLATE_EMPTY,
    TRANSLATE_STEERED,
    TRANSLATE_TRUNCATED,
    WEB_JS,
    check_empty_results,
    check_steered,
    check_translations,
    check_truncated,
    held_out_sentences,
    python_steered,
    python_translations,
    steer_source,
    steered_reference,
    write_site,
)
from test_browser import browser, serve  # noqa: F401 - the browser fixture, and the local server

from bahdanau.cli.export_web import (
    REGISTRY_FILE,
    WEB_MODELS,
    binary_file_name,
    load_exported,
    model_file_name,
    registry_document,
    write_registry,
)
from bahdanau.data import BOS_INDEX, sentence_words
from bahdanau.decoding import focus_row, translate
from bahdanau.interfaces import DecoderStep
from bahdanau.pretrained import DEFAULT_MODEL

# Chromium, the whole corpus read, and (once) the book's build: not for `make unit`, whose
# --ignore list predates this file; `make test` runs it.
pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A one-page site: index.html, _static/bahdanau-web.js, bahdanau-views.js and _static/models/
    with the registry and every web model (what `make web-models` writes)."""
    return write_site(tmp_path_factory.mktemp("web-site"))


@pytest.fixture(scope="module")
def site_url(site):
    """The site served on 127.0.0.1: its page's URL."""
    with serve(site) as base_url:
        yield f"{base_url}index.html"


@pytest.fixture
def page(browser, site_url):  # noqa: F811 - browser is the fixture imported above
    """The browser on the site's page (opened again after a test that went elsewhere)."""
    if browser.current_url != site_url:
        browser.get(site_url)
    browser.set_script_timeout(600)
    return browser


def run_js(driver, source: str):
    """Run async JavaScript ``source`` (its ``return`` is the answer) in the page; errors come back as text."""
    return driver.execute_async_script(RUN_ASYNC, source)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_browser_translates_as_pytorch_on_the_exported_weights(page, site, name, real_corpus_path):
    sentences = held_out_sentences(real_corpus_path)
    assert len(sentences) >= 500 and sum(len(text.split()) in LONG_TOKENS for text in sentences) >= 100
    expected = python_translations(site, name, sentences)
    found = page.execute_async_script(TRANSLATE_ALL, sentences, name)
    check_translations(name, sentences, found, expected)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_browser_reads_the_same_weights_as_load_exported(page, site, name):
    """int8 (an embedding, the output layer's matrix) and float16 (a bias), element for element."""
    model, _, _ = load_exported(site / "_static" / "models" / f"bahdanau-model-{name}.js")
    found = run_js(page, f"""
        const w = (await window.bahdanauWeb.load("{name}")).params;
        return [w.decEmbedding, w.dense.W, w.dense.b].map((t) => Array.from(t.subarray(0, 4000)));""")
    assert "value" in found, found
    expected = [model.decoder.embedding.weight, model.decoder.dense.weight, model.decoder.dense.bias]
    for ours, theirs in zip(found["value"], expected):
        assert torch.equal(torch.tensor(ours, dtype=torch.float32), theirs.detach().flatten()[:4000])


@pytest.mark.parametrize("name", WEB_MODELS)
def test_result_has_the_documented_shape(page, name):
    result = run_js(page, f"""
        const r = await window.bahdanauWeb.translate("Tom ate the xyzzy apple quickly!", {{model: "{name}"}});
        return r;""")["value"]
    assert result["srcTokens"] == ["tom", "ate", "the", "xyzzy", "apple", "quickly", "!", "<eos>"]
    assert result["unknown"] == ["xyzzy"]
    assert result["truncated"] is False and result["empty"] is False and result["message"] is None
    assert result["model"] == name
    assert len(result["attention"]) == len(result["tokens"]) + 1 == len(result["steps"])
    model = run_js(page, f"""
        const m = await window.bahdanauWeb.load("{name}");
        return {{config: m.config, maxSrcLen: m.maxSrcLen, limits: m.limits}};""")["value"]
    for row, step in zip(result["attention"], result["steps"]):
        assert len(row) == len(result["srcTokens"]) and abs(sum(row) - 1) < 1e-5
        assert step["weights"] == row and len(step["scores"]) == len(row)
        assert len(step["query"]) == model["config"]["num_hiddens"]
    assert [step["token"] for step in result["steps"]] == [*result["tokens"], "<eos>"]
    # The limits are the registry's (bahdanau.pretrained.SHIPPED and decoding.default_max_len).
    assert model["limits"] == registry_document()["models"][name]["limits"]
    assert model["maxSrcLen"] == model["limits"]["max_src_len"] == 50


@pytest.mark.parametrize("name", WEB_MODELS)
def test_decoder_step_has_pythons_fields_and_values(page, site, name):
    """decoderStep returns interfaces.DecoderStep's fields, each as Seq2SeqAttentionDecoder.step
    computes it on the same weights: two steps of "i am cold ." from <bos>."""
    model, src_vocab, _ = load_exported(site / "_static" / "models" / model_file_name(name))
    src_ids = [*src_vocab.encode("i am cold .".split()), src_vocab.eos]
    found = run_js(page, f"""
        const m = await window.bahdanauWeb.load("{name}");
        const I = window.bahdanauWeb.internals;
        const ids = {json.dumps(src_ids)};
        let state = I.initState(m, I.encode(m, ids), ids.length);
        const steps = [];
        for (const yPrev of [m.config.bos, 5]) {{
          const step = I.decoderStep(m, yPrev, state);
          // In their order (a returned object's keys reach Python sorted), then their values.
          steps.push([Object.keys(step), Object.fromEntries(Object.entries(step).map(([key, value]) =>
            [key, key === "state" ? Object.keys(value) : Array.from(value)]))]);
          state = step.state;
        }}
        return steps;""")
    assert "value" in found, found
    src = torch.tensor([src_ids])
    with torch.no_grad():
        src_valid_len = torch.tensor([len(src_ids)])
        state = model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len)
        for y_prev, (fields, ours) in zip([BOS_INDEX, 5], found["value"], strict=True):
            theirs = model.decoder.step(torch.tensor([y_prev]), state)
            assert fields == list(DecoderStep._fields)  # logits, state, context, weights, scores, query
            assert ours["state"] == ["encOutputs", "encKeys", "hiddenState", "srcValidLen"]  # AttentionState's
            for field in ("logits", "context", "weights", "scores", "query"):
                expected = getattr(theirs, field)[0]
                assert len(ours[field]) == expected.numel(), field
                assert torch.allclose(torch.tensor(ours[field]), expected, atol=1e-3), field
            state = theirs.state


def test_long_input_is_truncated_as_in_python(page, site):
    check_truncated(site, run_js(page, TRANSLATE_TRUNCATED)["value"])


# Sentences where a careless port would part from Python: its whitespace (str.split) against
# JavaScript's, non-breaking spaces, typographic apostrophes, punctuation runs, case mappings that
# change the length or depend on the context (final sigma), characters that look like spaces but
# are not (zero-width space, BOM), emoji, control characters.
TRICKY_INPUTS = [
    "J’ai FAIM\u202f!", "Hello,world.How are you?", "  tabs\tand\nnewlines  ", "Stop!!", "it's 5 o'clock.",
    "Ça va\xa0?", "a\u2028b\u3000c", "\ufeffhi", "ΟΔΟΣ ΟΔΟΣ.", "Σ.", "İstanbul, TURKEY!", "STRASSE ß ẞ",
    "x\u200by z", "pizza 🍕!? yes...", "...", "!?,.", "a , b", "\x1cx\x1dy\x1ez\x1fw", "\x85next\u0085line",
    "tab\x0bvt\x0cff\rcr", "Ǆ ǅ ǆ", "ﬀ ﬁ", "Ⅻ ⓐ Ⓐ", "Ｆｕｌｌ ｗｉｄｔｈ！", "e\u0301te\u0301",
    "\u1680ogham\u205fspace", "done.\u00a0Next", "I'M HOME.", "O'NEIL'S", "x" * 300,
]


@pytest.mark.parametrize("text", TRICKY_INPUTS)
def test_tokenisation_is_pythons(page, text):
    found = run_js(page, f"return window.bahdanauWeb.internals.sentenceWords({json.dumps(text)});")
    assert found["value"] == sentence_words(text)
    cut = run_js(page, f"return window.bahdanauWeb.internals.wordsToTranslate({json.dumps(text)}, 3);")["value"]
    assert cut == {"words": sentence_words(text)[:3], "count": len(sentence_words(text)),
                   "truncated": len(sentence_words(text)) > 3}


# Every code point c (but the surrogates) between two letters, "a" + c + "b": the JavaScript
# sentenceWords against Python's sentence_words, compared where the result is not the text itself.
# That covers the whitespace of str.split, the lower-casing (str.lower against toLowerCase) and
# the punctuation rule of each character.
SINGLE_CHARACTERS_JS = """
const words = window.bahdanauWeb.internals.sentenceWords;
const changed = {};
for (let code = 0; code <= 0x10ffff; code++) {
  if (code >= 0xd800 && code <= 0xdfff) continue;
  const text = "a" + String.fromCodePoint(code) + "b";
  const found = words(text);
  if (found.length !== 1 || found[0] !== text) changed[code] = found;
}
return changed;
"""


def test_every_character_is_normalised_as_in_python(page):
    found = {int(code): words for code, words in run_js(page, SINGLE_CHARACTERS_JS)["value"].items()}
    expected = {}
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        text = f"a{chr(code)}b"
        words = sentence_words(text)
        if words != [text]:
            expected[code] = words
    differences = {code for code in found.keys() | expected.keys() if found.get(code) != expected.get(code)}
    # Chromium's Unicode tables may be newer than Python's: a character Python does not know yet
    # (category Cn, unassigned) may get a case mapping in the browser. Nothing else may differ.
    assigned = sorted(code for code in differences if unicodedata.category(chr(code)) != "Cn")
    assert not assigned, [(hex(code), found.get(code), expected.get(code)) for code in assigned[:20]]
    print(f"{len(differences)} characters normalised otherwise, all unassigned in Python's Unicode "
          f"{unicodedata.unidata_version}: {', '.join(hex(code) for code in sorted(differences)[:10])}")
    assert len(expected) > 1000  # the upper-case letters, the whitespace, the punctuation


def test_empty_input_resolves_with_pythons_message(page):
    found = run_js(page, TRANSLATE_EMPTY)
    assert "value" in found, found
    check_empty_results(found["value"])


@pytest.mark.parametrize("text", ["it's", 'say "hi"', "it's \"both\"", "back\\slash", "\x00\x7f\x9f\xad",
                                  "\u200b\ufeff\u2028", "🍕\U000e0001", "Ça va\xa0?"])
def test_python_repr_in_messages(page, text):
    """{text!r} in a message is Python's repr(): its quotes and its escapes."""
    assert run_js(page, f"return window.bahdanauWeb.internals.pyRepr({json.dumps(text)});")["value"] == repr(text)


@pytest.mark.parametrize(("call", "message"), [
    ('window.bahdanauWeb.translate("hi", {model: "transformer"})',
     "no browser export for a model named 'transformer'; choose one of attention, rnnsearch"),
    ("window.bahdanauWeb.translate(42)", "needs a string, not number"),
    ('window.bahdanauWeb.load("nope")',
     "no browser export for a model named 'nope'; choose one of attention, rnnsearch"),
    ('window.bahdanauWeb.load("no-attention")', "no browser export for a model named 'no-attention'"),
])
def test_errors_are_readable(page, call, message):
    found = run_js(page, f"return await {call};")
    assert message in found.get("error", ""), found


def test_unknown_model_message_is_pythons(page):
    from bahdanau.cli.export_web import export_model

    with pytest.raises(ValueError) as raised:
        export_model("transformer", "unused")
    found = run_js(page, 'return await window.bahdanauWeb.load("transformer");')
    assert found.get("error") == str(raised.value), found


@pytest.mark.parametrize("registry", [True, False], ids=["model-file-missing", "registry-missing"])
def test_missing_files_are_a_readable_error(browser, tmp_path, registry):  # noqa: F811
    static = tmp_path / "_static"
    static.mkdir()
    shutil.copy(WEB_JS, static / WEB_JS.name)
    if registry:
        write_registry(static / "models")  # the registry, without the model files
    (tmp_path / "index.html").write_text(PAGE.replace('<script src="_static/bahdanau-views.js"></script>', ""),
                                         encoding="utf-8")
    with serve(tmp_path) as base_url:
        browser.get(f"{base_url}index.html")
        found = run_js(browser, 'return await window.bahdanauWeb.translate("hi", {model: "attention"});')
        again = run_js(browser, "return await window.bahdanauWeb.models();")
    error = found.get("error", "")
    if registry:  # served over http: the binary container is what the port fetches
        assert "could not load the attention model file" in error and "bahdanau-model-attention.bin" in error, found
        assert again == {"value": list(WEB_MODELS)}
    else:
        assert "could not load the models' registry" in error and REGISTRY_FILE in error, found
        assert "error" in again  # tried again, and missing again
    assert "make web-models" in error and "python -m bahdanau.cli.export_web --web book/_static/models" in error


# How a page loaded the model files, by file name: what it downloaded (the resource timing entries;
# Chromium makes none for file:// URLs), the <script> tags it added, and what it asked fetch for.
MODEL_FILES_LOADED = f"""
const fetched = [];
const fetchAsGiven = window.fetch;
window.fetch = (url, ...rest) => {{ fetched.push(String(url)); return fetchAsGiven(url, ...rest); }};
await window.bahdanauWeb.translate("I am cold.", {{model: "{DEFAULT_MODEL}"}});
const names = (urls) => urls.filter((url) => url.includes("/_static/models/")).map((url) => url.split("/").pop());
return {{downloaded: names(performance.getEntriesByType("resource").map((entry) => entry.name)),
        scripts: names(Array.from(document.querySelectorAll("script[src]"), (script) => script.src)),
        fetched: names(fetched)}};"""


@pytest.mark.parametrize("scheme", ["http", "file"])
def test_the_page_loads_the_binary_over_http_and_the_script_from_disk(browser, site, site_url, scheme):  # noqa: F811
    """Over http(s) the model is fetched as its binary container, a quarter smaller than its script,
    which is never downloaded; from file://, where fetch is refused, its script runs as a <script>."""
    browser.get(site_url if scheme == "http" else (site / "index.html").as_uri())
    found = run_js(browser, MODEL_FILES_LOADED)
    assert "value" in found, found
    binary, script = registry_document()["models"][DEFAULT_MODEL]["binary"], model_file_name(DEFAULT_MODEL)
    assert binary == binary_file_name(DEFAULT_MODEL)
    loaded = found["value"]
    if scheme == "http":
        assert loaded == {"downloaded": [REGISTRY_FILE, binary], "scripts": [REGISTRY_FILE], "fetched": [binary]}
    else:
        assert loaded["scripts"] == [REGISTRY_FILE, script] and loaded["fetched"] == []


@pytest.mark.parametrize("damage", ["another-file", "cut"])
def test_a_damaged_binary_is_a_readable_error(browser, site, tmp_path, damage):  # noqa: F811
    """A file that is not a binary container (another magic), or one cut short: an Error naming the
    file's URL and the command that writes it, and the next call tries again."""
    copy = shutil.copytree(site, tmp_path / "site")
    binary = copy / "_static" / "models" / binary_file_name(DEFAULT_MODEL)
    data = binary.read_bytes()
    binary.write_bytes(b"<!DOCTYPE html>" + data if damage == "another-file" else data[: len(data) // 2])
    load = f'return (await window.bahdanauWeb.load("{DEFAULT_MODEL}")).name;'
    with serve(copy) as base_url:
        browser.get(f"{base_url}index.html")
        found = run_js(browser, load)
        binary.write_bytes(data)  # exported again
        browser.execute_cdp_cmd("Network.clearBrowserCache", {})  # the damaged answer may be fresh still
        again = run_js(browser, load)
    error = found.get("error", "")
    assert f"{base_url}_static/models/{binary.name}" in error, found
    assert ("does not start with BAHDANAU" if damage == "another-file" else "not a readable model file") in error
    assert "make web-models" in error and "python -m bahdanau.cli.export_web --web book/_static/models" in error
    assert again == {"value": DEFAULT_MODEL}


def test_models_and_default_come_from_the_registry(page):
    assert run_js(page, "return window.bahdanauWeb.models();")["value"] == list(WEB_MODELS)
    assert run_js(page, "return window.bahdanauWeb.defaultModel();")["value"] == DEFAULT_MODEL
    assert run_js(page, "return window.bahdanauWeb.registry();")["value"] == registry_document()
    result = run_js(page, 'return await window.bahdanauWeb.translate("I am cold.");')["value"]
    assert result["model"] == DEFAULT_MODEL and result["tokens"]


def test_every_web_model_has_a_name_in_every_language_of_the_views(page):
    """bahdanau-views.js names a model by its message "model" + CamelCase name, in English and Chinese."""
    found = run_js(page, """
        const views = window.bahdanauViews;
        const names = await window.bahdanauWeb.models();
        return Object.fromEntries(Object.entries(views.messages).map(([language, table]) =>
          [language, names.map((name) => table[views.modelKey(name)] || null)]));""")["value"]
    assert set(found) == {"en", "zh"}
    for language, labels in found.items():
        assert all(labels), (language, dict(zip(WEB_MODELS, labels)))
    assert run_js(page, 'return window.bahdanauViews.modelKey("no-attention");')["value"] == "modelNoAttention"


def test_page_opened_from_disk_loads_the_model_through_its_script_tag(browser, site):  # noqa: F811
    browser.get((site / "index.html").as_uri())
    call = f'return (await window.bahdanauWeb.translate("I am cold.", {{model: "{DEFAULT_MODEL}"}})).tokens;'
    found = run_js(browser, call)
    assert found.get("value"), found
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / f"bahdanau-model-{DEFAULT_MODEL}.js")
    assert found["value"] == translate(model, "I am cold.", src_vocab, tgt_vocab).tokens


def test_the_built_book_ships_the_port_and_both_models(browser, build):  # noqa: F811
    html = require_html(build)
    static = html / "_static"
    for name in WEB_MODELS:
        assert (static / "models" / f"bahdanau-model-{name}.js").is_file(), f"make book did not export {name}"
    assert (static / "models" / REGISTRY_FILE).is_file(), "make book did not write the registry"
    with serve(html) as base_url:
        browser.get(f"{base_url}index.html")
        browser.execute_script(
            "const s = document.createElement('script'); s.src = arguments[0]; document.head.appendChild(s);",
            f"{base_url}_static/bahdanau-web.js")
        found = run_js(browser, """
            while (!window.bahdanauWeb) await new Promise((ok) => setTimeout(ok, 20));
            return (await window.bahdanauWeb.translate("Thank you.", {model: "attention"})).tokens;""")
    assert found.get("value"), found



# ----------------------------------------------------------------------------------------------
# Steering the attention: translate(..., override=...)
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", WEB_MODELS)
def test_steered_translations_are_pythons(page, site, name, real_corpus_path):
    sentences = held_out_sentences(real_corpus_path, NUM_STEERED, NUM_STEERED_LONG)
    assert len(sentences) >= 200 and sum(len(text.split()) in LONG_TOKENS for text in sentences) >= 50
    cases, expected, own, overrides = steered_reference(site, name, sentences)
    found = page.execute_async_script(TRANSLATE_STEERED, cases, name)
    check_steered(name, sentences, found, expected, own, overrides)


def browser_steered(page, name: str, override_js: str, text: str = STEERED_SENTENCE) -> dict:
    """The port's translate with the override written as JavaScript: {value} or {error, code}."""
    return run_js(page, steer_source(name, override_js, text))


@pytest.mark.parametrize("kind", list(INVALID_OVERRIDES))
def test_invalid_override_gets_pythons_message(page, site, kind):
    python_override, js_override, key = INVALID_OVERRIDES[kind]
    raised = python_steered(site, DEFAULT_MODEL, python_override)
    assert isinstance(raised, ValueError), raised
    found = browser_steered(page, DEFAULT_MODEL, js_override or json.dumps(python_override))["value"]
    assert found == {"error": str(raised), "code": key}


def test_a_model_without_attention_cannot_be_steered(page, site):
    """Python's message for a decoder without attention; the port runs attention models only, so
    the test takes the attention away from a loaded model for one call."""
    from bahdanau.models import ModelConfig, make_model

    _, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / model_file_name(DEFAULT_MODEL))
    plain = make_model(ModelConfig(len(src_vocab), len(tgt_vocab), 8, 8, 1, 0.0, attention=False))
    with pytest.raises(ValueError) as raised:
        translate(plain, STEERED_SENTENCE, src_vocab, tgt_vocab, override={0: _ROW})
    found = run_js(page, f"""
        const m = await window.bahdanauWeb.load("{DEFAULT_MODEL}");
        m.config.attention = false;
        try {{
          await window.bahdanauWeb.translate({json.dumps(STEERED_SENTENCE)},
                                             {{model: "{DEFAULT_MODEL}", override: {{0: {json.dumps(_ROW)}}}}});
          return null;
        }} catch (error) {{
          return {{error: error.message, code: error.code}};
        }} finally {{
          m.config.attention = true;
        }}""")["value"]
    assert found == {"error": str(raised.value), "code": "override_no_attention"}


# Overrides both accept: the sum within the tolerance, True and False as weights, one row of a
# (1, S) table, a second step the decoding never reaches (not in steered), and none at all.
VALID_OVERRIDES = {
    "sum-within-tolerance": ({3: [1.00005] + [0.0] * 9}, None),
    "booleans": ({3: [True] + [False] * 9}, None),
    "one-row-table": ({3: [_ROW]}, None),
    "a-step-never-reached": ({3: _ROW, 500: _ROW}, None),
    "two-steps": ({1: focus_row(10, 8), 3: _ROW}, None),
    "empty": ({}, None),
    "form-step-weights": ({3: _ROW}, f"{{step: 3, weights: {json.dumps(_ROW)}}}"),
    "form-map": ({3: _ROW}, f"new Map([[3, {json.dumps(_ROW)}]])"),
    "form-pairs": ({3: _ROW}, f"[[3, new Float32Array({json.dumps(_ROW)})]]"),
}


@pytest.mark.parametrize("kind", list(VALID_OVERRIDES))
def test_valid_overrides_steer_as_in_python(page, site, kind):
    python_override, js_override = VALID_OVERRIDES[kind]
    expected = python_steered(site, DEFAULT_MODEL, python_override)
    found = browser_steered(page, DEFAULT_MODEL, js_override or json.dumps(python_override))["value"]
    assert "error" not in found, found
    assert found["tokens"] == expected.tokens and found["steered"] == expected.steered
    assert torch.allclose(torch.tensor(found["attention"]), expected.attention, atol=MAX_ATTENTION_DIFFERENCE)


def test_focus_row_is_pythons(page):
    found = run_js(page, "return [2, 0, 4].map((j) => window.bahdanauWeb.focusRow(5, j));")["value"]
    assert found == [focus_row(5, j) for j in (2, 0, 4)]
    with pytest.raises(ValueError) as raised:
        focus_row(5, 5)
    assert run_js(page, "return window.bahdanauWeb.focusRow(5, 5);") == {"error": str(raised.value)}


@pytest.mark.parametrize("name", WEB_MODELS)
def test_decoder_step_with_given_weights_is_pythons(page, site, name):
    """decoderStep(model, yPrev, state, weights) builds c_i from the weights given, as
    Seq2SeqAttentionDecoder.step(y_prev, state, weights=...) does; its scores stay the model's."""
    model, src_vocab, _ = load_exported(site / "_static" / "models" / model_file_name(name))
    src_ids = [*src_vocab.encode("i am cold .".split()), src_vocab.eos]
    given = [0.1, 0.6, 0.0, 0.3, 0.0]
    found = run_js(page, f"""
        const m = await window.bahdanauWeb.load("{name}");
        const I = window.bahdanauWeb.internals;
        const ids = {json.dumps(src_ids)};
        const step = I.decoderStep(m, m.config.bos, I.initState(m, I.encode(m, ids), ids.length),
                                   new Float32Array({json.dumps(given)}));
        const fields = ["logits", "context", "weights", "scores"];
        return Object.fromEntries(fields.map((key) => [key, Array.from(step[key])]));
        """)["value"]
    src, src_valid_len = torch.tensor([src_ids]), torch.tensor([len(src_ids)])
    with torch.no_grad():
        state = model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len)
        theirs = model.decoder.step(torch.tensor([BOS_INDEX]), state, weights=torch.tensor([given]))
    for field in ("logits", "context", "weights", "scores"):
        assert torch.allclose(torch.tensor(found[field]), getattr(theirs, field)[0], atol=1e-3), field
    assert found["weights"] == pytest.approx(given, abs=1e-7)
