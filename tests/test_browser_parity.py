"""book/_static/bahdanau-web.js in headless Chromium against PyTorch, on the same exported weights.

The models are exported (``bahdanau.export_web``) into a small site in a temporary folder: one
page that loads bahdanau-web.js, which loads the model files beside it. On held-out test
sentences the browser's greedy translation must equal :func:`bahdanau.decoding.translate`'s on
the model :func:`~bahdanau.export_web.load_exported` rebuilds from the same file (for at least
99.5% of them: float rounding may flip a near-tie of two logits), with the same attention to
1e-3 where they agree. The page is also opened from disk (file://), where the model file must load
through its <script> tag, and the built book's own copy is tried once.

Chromium and its driver: as tests/test_browser.py (``make browser`` installs them).
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from book_build import ROOT, require_html
from test_browser import browser, serve  # noqa: F401 - the browser fixture, and the local server

from bahdanau.decoding import translate
from bahdanau.evaluate import held_out_pairs
from bahdanau.export_web import WEB_MODELS, export_model, load_exported
from bahdanau.pretrained import recorded_metadata

# Chromium, the whole corpus read, and (once) the book's build: not for `make unit`, whose
# --ignore list predates this file; `make test` runs it.
pytestmark = pytest.mark.slow

WEB_JS = ROOT / "book" / "_static" / "bahdanau-web.js"
NUM_SENTENCES = 600
MIN_EQUAL_SHARE = 0.995
MAX_ATTENTION_DIFFERENCE = 1e-3

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>bahdanau-web</title>
<script src="_static/bahdanau-web.js"></script></head><body></body></html>
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
    """A one-page site: index.html, _static/bahdanau-web.js and _static/models/ with both models."""
    root = tmp_path_factory.mktemp("web-site")
    static = root / "_static"
    static.mkdir()
    shutil.copy(WEB_JS, static / WEB_JS.name)
    for name in WEB_MODELS:
        export_model(name, static / "models")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def page(browser, site):  # noqa: F811 - browser is the fixture imported above
    """The site served on 127.0.0.1 and opened in the browser."""
    with serve(site) as base_url:
        browser.get(f"{base_url}index.html")
        browser.set_script_timeout(600)
        yield browser


def run_js(driver, source: str):
    """Run async JavaScript ``source`` (its ``return`` is the answer) in the page; errors come back as text."""
    return driver.execute_async_script(RUN_ASYNC, source)


def held_out_sentences(corpus_path: Path, count: int = NUM_SENTENCES) -> list[str]:
    """``count`` distinct English test sentences, evenly spread over the test split (which is in
    corpus order, shortest first), so that every length is tried. Both models share the split."""
    data_config = recorded_metadata("rnnsearch")["data_config"]
    pairs = held_out_pairs(data_config, path=corpus_path)
    distinct = list(dict.fromkeys(" ".join(english) for english, _ in pairs))
    step = max(1, len(distinct) // count)
    return distinct[::step][:count]



@pytest.mark.parametrize("name", WEB_MODELS)
def test_browser_translates_as_pytorch_on_the_exported_weights(page, site, name, real_corpus_path):
    sentences = held_out_sentences(real_corpus_path)
    assert len(sentences) >= 500
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
        const w = (await window.bahdanauWeb.load("{name}")).weights;
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
    assert result["truncated"] is False and result["empty"] is False
    assert len(result["attention"]) == len(result["tokens"]) + 1 == len(result["steps"])
    config = run_js(page, f'return (await window.bahdanauWeb.load("{name}")).config;')["value"]
    for row, step in zip(result["attention"], result["steps"]):
        assert len(row) == len(result["srcTokens"]) and abs(sum(row) - 1) < 1e-5
        assert step["weights"] == row and len(step["scores"]) == len(row)
        assert len(step["query"]) == config["num_hiddens"]
    assert [step["token"] for step in result["steps"]] == [*result["tokens"], "<eos>"]
    assert config["max_src_len"] == 50


def test_long_input_is_truncated_as_in_python(page, site):
    text = " ".join(["the cat sat on the mat ."] * 10)  # 70 tokens
    call = f'window.bahdanauWeb.translate({json.dumps(text)}, {{model: "attention"}})'
    result = run_js(page, f"return await {call};")["value"]
    assert result["truncated"] is True
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / "bahdanau-model-attention.js")
    with pytest.warns(UserWarning, match="max_src_len"):
        expected = translate(model, text, src_vocab, tgt_vocab)
    assert result["srcTokens"] == expected.src_tokens and len(result["srcTokens"]) == 51
    assert result["tokens"] == expected.tokens
    assert len(result["steps"]) <= 2 * 50 + 5


@pytest.mark.parametrize("text", [
    "J’ai FAIM\u202f!", "Hello,world.How are you?", "  tabs\tand\nnewlines  ", "Stop!!", "it's 5 o'clock.",
    "Ça va\xa0?", "a\u2028b\u3000c", "\ufeffhi",
])
def test_tokenisation_is_pythons(page, text):
    from bahdanau.data import tokenize

    found = run_js(page, f"return window.bahdanauWeb.internals.wordsToTranslate({json.dumps(text)}, 50).words;")
    assert found["value"] == tokenize(" ".join(text.split()))


def test_empty_input_resolves_with_a_message(page):
    result = run_js(page, 'return await window.bahdanauWeb.translate("  \\n ", {model: "rnnsearch"});')["value"]
    assert result["empty"] is True and result["message"]
    for key in ("tokens", "srcTokens", "attention", "unknown", "steps"):
        assert result[key] == []
    assert result["truncated"] is False


@pytest.mark.parametrize(("call", "message"), [
    ('window.bahdanauWeb.translate("hi", {model: "transformer"})', "no model named \"transformer\"; choose one of"),
    ("window.bahdanauWeb.translate(42)", "needs a string, not number"),
    ('window.bahdanauWeb.load("nope")', "no model named"),
])
def test_errors_are_readable(page, call, message):
    found = run_js(page, f"return await {call};")
    assert message in found.get("error", ""), found


def test_missing_model_file_is_a_readable_error(browser, tmp_path):  # noqa: F811
    static = tmp_path / "_static"
    static.mkdir()
    shutil.copy(WEB_JS, static / WEB_JS.name)
    (tmp_path / "index.html").write_text(PAGE, encoding="utf-8")
    with serve(tmp_path) as base_url:
        browser.get(f"{base_url}index.html")
        found = run_js(browser, 'return await window.bahdanauWeb.translate("hi", {model: "attention"});')
    assert "could not load the attention model file" in found.get("error", ""), found
    assert "bahdanau-model-attention.js" in found["error"]


def test_models_lists_both(page):
    assert run_js(page, "return window.bahdanauWeb.models();")["value"] == list(WEB_MODELS)


def test_page_opened_from_disk_loads_the_model_through_its_script_tag(browser, site):  # noqa: F811
    browser.get((site / "index.html").as_uri())
    found = run_js(browser, 'return (await window.bahdanauWeb.translate("I am cold.", {model: "rnnsearch"})).tokens;')
    assert found.get("value"), found
    model, src_vocab, tgt_vocab = load_exported(site / "_static" / "models" / "bahdanau-model-rnnsearch.js")
    assert found["value"] == translate(model, "I am cold.", src_vocab, tgt_vocab).tokens


def test_the_built_book_ships_the_port_and_both_models(browser, build):  # noqa: F811
    html = require_html(build)
    static = html / "_static"
    for name in WEB_MODELS:
        assert (static / "models" / f"bahdanau-model-{name}.js").is_file(), f"make book did not export {name}"
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
    """python -m bahdanau.bench_web measures, in its own Chromium (nothing is timed here)."""
    from bahdanau.bench_web import run

    results = run(["attention"], repeats=2)
    assert results["attention"]["bytes"] > 1_000_000
    assert results["attention"]["median_ms"] > 0 and results["attention"]["first_translation_ms"] > 0
    assert "median of 2 translations" in capsys.readouterr().out
