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
browser learns the model names and the default from. The page is also opened from disk
(file://), where the model file must load through its <script> tag, and the built book's own
copy is tried once.

Chromium and its driver: as tests/test_browser.py (``make browser`` installs them).
"""

from __future__ import annotations

import json
import shutil
import unicodedata
import warnings
from pathlib import Path

import pytest
import torch
from book_build import ROOT, require_html
from test_browser import browser, serve  # noqa: F401 - the browser fixture, and the local server

from bahdanau.cli.export_web import (
    REGISTRY_FILE,
    WEB_MODELS,
    export_web_models,
    load_exported,
    model_file_name,
    registry_document,
    write_registry,
)
from bahdanau.data import BOS_INDEX, held_out_pairs, sentence_words
from bahdanau.decoding import translate
from bahdanau.interfaces import DecoderStep
from bahdanau.pretrained import DEFAULT_MODEL, recorded_metadata

# Chromium, the whole corpus read, and (once) the book's build: not for `make unit`, whose
# --ignore list predates this file; `make test` runs it.
pytestmark = pytest.mark.slow

WEB_JS = ROOT / "book" / "_static" / "bahdanau-web.js"
VIEWS_JS = ROOT / "book" / "_static" / "bahdanau-views.js"
NUM_SENTENCES = 600
NUM_LONG = 120  # of them, English sentences of 16 to 30 tokens (rnnsearch-30 was trained on them)
LONG_TOKENS = range(16, 31)
MIN_EQUAL_SHARE = 0.995
MAX_ATTENTION_DIFFERENCE = 1e-3

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bahdanau-web</title>
<script src="_static/bahdanau-web.js"></script><script src="_static/bahdanau-views.js"></script>
</head><body></body></html>
"""

# Translate a list of sentences in the page; keep only what is compared (the steps are large).
TRANSLATE_ALL = """
const [sentences, model, done] = arguments;
(async () => {
  const results = [];
  for (const text of sentences) {
    const result = await window.bahdanauWeb.translate(text, {model});
    results.push({tokens: result.tokens, attention: result.attention});
  }
  return results;
})().then(done, (error) => done({error: String(error)}));
"""

RUN_ASYNC = """
const [source, done] = arguments;
(new Function("return (async () => {" + source + "})()"))()
  .then((value) => done({value}), (error) => done({error: String(error && error.message || error)}));
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A one-page site: index.html, _static/bahdanau-web.js, bahdanau-views.js and _static/models/
    with the registry and every web model (what `make web-models` writes)."""
    root = tmp_path_factory.mktemp("web-site")
    static = root / "_static"
    static.mkdir()
    shutil.copy(WEB_JS, static / WEB_JS.name)
    shutil.copy(VIEWS_JS, static / VIEWS_JS.name)
    export_web_models(static / "models")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    return root


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


def held_out_sentences(corpus_path: Path, count: int = NUM_SENTENCES, long: int = NUM_LONG) -> list[str]:
    """``count`` distinct English test sentences of the 30-token models' test split (unseen by every
    shipped model), ``long`` of them of LONG_TOKENS tokens, each group evenly spread over the split
    (which is in corpus order, shortest first), so that every length is tried."""
    data_config = recorded_metadata(DEFAULT_MODEL)["data_config"]
    pairs = held_out_pairs(data_config, path=corpus_path)
    distinct = list(dict.fromkeys(" ".join(english) for english, _ in pairs))
    longer = [text for text in distinct if len(text.split()) in LONG_TOKENS]
    shorter = [text for text in distinct if len(text.split()) not in LONG_TOKENS]

    def spread(texts: list[str], n: int) -> list[str]:
        return texts[:: max(1, len(texts) // n)][:n]

    return spread(shorter, count - long) + spread(longer, long)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_browser_translates_as_pytorch_on_the_exported_weights(page, site, name, real_corpus_path):
    sentences = held_out_sentences(real_corpus_path)
    assert len(sentences) >= 500 and sum(len(text.split()) in LONG_TOKENS for text in sentences) >= 100
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / f"bahdanau-model-{name}.js")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a sentence longer than max_src_len
        expected = translate(model, sentences, src_vocab, tgt_vocab)
    found = page.execute_async_script(TRANSLATE_ALL, sentences, name)
    assert isinstance(found, list), found
    equal = [ours for ours, theirs in zip(found, expected) if ours["tokens"] == theirs.tokens]
    share = len(equal) / len(sentences)
    differences = [
        float((torch.tensor(ours["attention"]) - theirs.attention).abs().max())
        for ours, theirs in zip(found, expected) if ours["tokens"] == theirs.tokens
    ]
    print(f"{name}: {share:.2%} of {len(sentences)} equal, attention differs by at most {max(differences):.2e}")
    assert share >= MIN_EQUAL_SHARE, [
        (text, ours["tokens"], theirs.tokens) for text, ours, theirs in zip(sentences, found, expected)
        if ours["tokens"] != theirs.tokens][:5]
    assert max(differences) <= MAX_ATTENTION_DIFFERENCE


@pytest.mark.parametrize("name", WEB_MODELS)
def test_browser_reads_the_same_weights_as_load_exported(page, site, name):
    """int8 (an embedding), float16 (a matrix) and float32 (a bias), element for element."""
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
    text = " ".join(["the cat sat on the mat ."] * 10)  # 70 tokens
    call = f'window.bahdanauWeb.translate({json.dumps(text)}, {{model: "attention"}})'
    result = run_js(page, f"return await {call};")["value"]
    assert result["truncated"] is True
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / "bahdanau-model-attention.js")
    with pytest.warns(UserWarning, match="max_src_len") as caught:
        expected = translate(model, text, src_vocab, tgt_vocab)
    assert result["message"] == str(caught[0].message)  # Python's warning, word for word
    assert result["srcTokens"] == expected.src_tokens and len(result["srcTokens"]) == 51
    assert result["tokens"] == expected.tokens
    assert len(result["steps"]) <= 2 * 50 + 5


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


# Text without a word: "", and each of Python's whitespace characters (str.isspace), alone and in a run.
WHITESPACE = [chr(code) for code in range(0x110000) if chr(code).isspace()]
EMPTY_INPUTS = ["", "  \n ", *WHITESPACE, "".join(WHITESPACE), " \t".join(WHITESPACE[:5])]


def test_empty_input_resolves_with_pythons_message(page):
    found = run_js(page, f"""
        const results = [];
        for (const text of {json.dumps(EMPTY_INPUTS)}) results.push(await window.bahdanauWeb.translate(text));
        return results;""")
    assert "value" in found, found
    assert len(WHITESPACE) == 29
    for text, result in zip(EMPTY_INPUTS, found["value"], strict=True):
        assert result["empty"] is True and result["truncated"] is False
        for key in ("tokens", "srcTokens", "attention", "unknown", "steps"):
            assert result[key] == []
        with pytest.raises(ValueError) as raised:
            sentence_words(text)
        assert result["message"] == str(raised.value), text  # the same words, repr() included
        assert result["model"] == DEFAULT_MODEL


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
    if registry:
        assert "could not load the attention model file" in error and "bahdanau-model-attention.js" in error, found
        assert again == {"value": list(WEB_MODELS)}
    else:
        assert "could not load the models' registry" in error and REGISTRY_FILE in error, found
        assert "error" in again  # tried again, and missing again
    assert "make web-models" in error and "python -m bahdanau.cli.export_web --web book/_static/models" in error


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



def test_bench_web_runs(capsys):
    """python book/bench_web.py measures, in its own Chromium (nothing is timed here)."""
    from bench_web import run

    results = run(["attention"], repeats=2)
    assert results["attention"]["bytes"] > 1_000_000
    assert results["attention"]["median_ms"] > 0 and results["attention"]["first_translation_ms"] > 0
    assert "median of 2 translations" in capsys.readouterr().out
