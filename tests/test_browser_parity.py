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
from bahdanau.decoding import focus_row, translate
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



# ----------------------------------------------------------------------------------------------
# Steering the attention: translate(..., override=...)
# ----------------------------------------------------------------------------------------------

NUM_STEERED = 300
NUM_STEERED_LONG = 60  # of them, of LONG_TOKENS tokens
STEERED_SENTENCE = "he is reading a book in the garden ."  # 9 words, then <eos>: S = 10

# Each sentence: the model's own translation first, as the view shows it (the port keeps it), then
# the steered one, which goes on from the kept decoding at the steered step. Every tenth sentence
# is steered once more from the encoder (nothing kept): the two must be the same, number for number.
TRANSLATE_STEERED = """
const [cases, model, done] = arguments;
(async () => {
  const web = window.bahdanauWeb;
  const results = [];
  for (const [k, [text, override]] of cases.entries()) {
    await web.translate(text, {model});
    const steered = await web.translate(text, {model, override});
    const result = {tokens: steered.tokens, attention: steered.attention, steered: steered.steered};
    if (k % 10 === 0) {
      web.internals.forgetDecodings();
      const fresh = await web.translate(text, {model, override});
      result.sameFromTheEncoder = JSON.stringify(fresh) === JSON.stringify(steered);
    }
    results.push(result);
  }
  return results;
})().then(done, (error) => done({error: String(error)}));
"""


def steering_case(k: int, own_rows: int, src_len: int) -> tuple[int, list[float]]:
    """The override of the k-th sentence, from Python's own (unsteered) translation.

    The rule: T = ``own_rows``, the rows of its attention (output tokens, <eos> included when
    written); S = ``src_len``, the source tokens (the words, then <eos>), W = S - 1 words. Step
    i = T // 2; all the weight on word j = (i + 1) % W (a word, never <eos>); every third sentence
    (k % 3 == 2) with two words or more, half on j and half on word (j + 1) % W instead.
    Returns (i, the row of S weights).
    """
    step, words = own_rows // 2, src_len - 1
    j = (step + 1) % words
    if k % 3 == 2 and words >= 2:
        row = [0.0] * src_len
        row[j] = row[(j + 1) % words] = 0.5
        return step, row
    return step, focus_row(src_len, j)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_steered_translations_are_pythons(page, site, name, real_corpus_path):
    sentences = held_out_sentences(real_corpus_path, NUM_STEERED, NUM_STEERED_LONG)
    assert len(sentences) >= 200 and sum(len(text.split()) in LONG_TOKENS for text in sentences) >= 50
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / model_file_name(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a sentence longer than max_src_len
        own = translate(model, sentences, src_vocab, tgt_vocab)
        overrides = [dict([steering_case(k, len(t.attention), len(t.src_tokens))]) for k, t in enumerate(own)]
        expected = [translate(model, text, src_vocab, tgt_vocab, override=override)
                    for text, override in zip(sentences, overrides)]
    cases = [[text, {str(step): row for step, row in override.items()}]
             for text, override in zip(sentences, overrides)]
    found = page.execute_async_script(TRANSLATE_STEERED, cases, name)
    assert isinstance(found, list), found
    equal = [(ours, theirs, override) for ours, theirs, override in zip(found, expected, overrides)
             if ours["tokens"] == theirs.tokens]
    share = len(equal) / len(sentences)
    differences = [float((torch.tensor(ours["attention"]) - theirs.attention).abs().max())
                   for ours, theirs, _ in equal]
    changed = sum(theirs.tokens != before.tokens for theirs, before in zip(expected, own))
    print(f"{name}, steered: {share:.2%} of {len(sentences)} equal, attention differs by at most "
          f"{max(differences):.2e}; steering changed the French of {changed}")
    assert share >= MIN_EQUAL_SHARE, [
        (text, ours["tokens"], theirs.tokens) for text, ours, theirs in zip(sentences, found, expected)
        if ours["tokens"] != theirs.tokens][:5]
    assert max(differences) <= MAX_ATTENTION_DIFFERENCE
    for ours, theirs, override in equal:
        assert ours["steered"] == theirs.steered == list(override)
        (step, row), = override.items()
        assert ours["attention"][step] == pytest.approx(row, abs=1e-7)  # the weights given, as given
    assert changed >= len(sentences) // 10  # the overrides do steer
    from_the_encoder = [result["sameFromTheEncoder"] for result in found if "sameFromTheEncoder" in result]
    assert len(from_the_encoder) == len(sentences) // 10 and all(from_the_encoder)


def python_steered(site: Path, name: str, override, text: str = STEERED_SENTENCE):
    """Python's translate with ``override`` on the exported model: the Translation, or the ValueError."""
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / model_file_name(name))
    try:
        return translate(model, text, src_vocab, tgt_vocab, override=override)
    except ValueError as error:
        return error


def browser_steered(page, name: str, override_js: str, text: str = STEERED_SENTENCE) -> dict:
    """The port's translate with the override written as JavaScript: {value} or {error, code}."""
    return run_js(page, f"""
        try {{
          const r = await window.bahdanauWeb.translate({json.dumps(text)},
                                                       {{model: "{name}", override: {override_js}}});
          return {{tokens: r.tokens, steered: r.steered, attention: r.attention}};
        }} catch (error) {{
          return {{error: error.message, code: error.code || null}};
        }}""")


_ROW = focus_row(10, 4)  # all on "book"
_NAN, _INF = float("nan"), float("inf")

# Each invalid kind of override: (as Python is given it, as the browser is given it, or None for
# the same written as JSON, whose NaN and Infinity are JavaScript too; the message's template).
INVALID_OVERRIDES = {
    "too-short": ({2: _ROW[:-1]}, None, "override_length"),
    "too-long": ({2: [*_ROW, 0.0]}, None, "override_length"),
    "no-weights": ({2: []}, None, "override_length"),
    "negative": ({2: [-0.25, 1.25] + [0.0] * 8}, None, "override_negative"),
    "not-a-number": ({2: [_NAN] + [0.0] * 9}, None, "override_negative"),
    "infinite": ({2: [_INF] + [0.0] * 9}, None, "override_negative"),
    "sums-to-5": ({2: [0.5] * 10}, None, "override_sum"),
    "sums-just-under-1": ({2: [0.9998] + [0.0] * 9}, None, "override_sum"),
    # 1.03125 is a tie at 4 decimals: Python writes 1.0312 (half to even), toFixed would say 1.0313.
    "sum-on-a-tie": ({2: [1.03125] + [0.0] * 9}, None, "override_sum"),
    "step-negative": ({-1: _ROW}, None, "override_step"),
    "step-fraction": ({1.5: _ROW}, None, "override_step"),
    "step-a-word": ({"x": _ROW}, None, "override_step"),
    "step-a-boolean": ({True: _ROW}, f"new Map([[true, {json.dumps(_ROW)}]])", "override_step"),
    "one-number": ({2: 0.5}, None, "override_rows"),
    "two-rows": ({2: [_ROW, _ROW]}, None, "override_rows"),
    "three-dimensions": ({2: [[_ROW]]}, None, "override_rows"),
    "the-second-step-is-bad": ({1: _ROW, 3: [0.5] * 10}, None, "override_sum"),
}


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


def test_bench_web_runs(capsys):
    """python book/bench_web.py measures, in its own Chromium (nothing is timed here)."""
    from bench_web import run

    results = run(["attention"], repeats=2)
    assert results["attention"]["bytes"] > 1_000_000
    assert results["attention"]["median_ms"] > 0 and results["attention"]["first_translation_ms"] > 0
    assert 0 < results["attention"]["steer_median_ms"] <= results["attention"]["steer_max_ms"]
    printed = capsys.readouterr().out
    assert "median of 2 translations" in printed and "steering one step and decoding again from it" in printed
