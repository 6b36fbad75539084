"""The browser port against PyTorch: what every browser's parity test shares.

The held-out sample and its PyTorch reference, the one-page site that loads the port and the
exported models, the scripts that translate the sample in a page, the steering rule, the bad
inputs and how a browser's answers are compared with Python's. Chromium runs them in
tests/test_browser_parity.py, Firefox in tests/test_firefox.py: one sample, one tolerance, one
rule for both. Plain helpers, no fixtures and no browser: each test file drives its own.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
import torch
from book_build import ROOT

from bahdanau.cli.export_web import export_web_models, load_exported, model_file_name
from bahdanau.data import held_out_pairs, sentence_words
from bahdanau.decoding import focus_row, translate
from bahdanau.pretrained import DEFAULT_MODEL, recorded_metadata

WEB_JS = ROOT / "book" / "_static" / "bahdanau-web.js"
VIEWS_JS = ROOT / "book" / "_static" / "bahdanau-views.js"
NUM_SENTENCES = 500  # issue 15: at least 500
NUM_LONG = 100  # of them, English sentences of 16 to 30 tokens (rnnsearch-30 was trained on them)
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

# Run async JavaScript ``source`` (its ``return`` is the answer) in the page. window.Function: the
# page's own, so that ``source`` runs among the page's globals (its Map is the one the port tests
# with instanceof); Firefox's Marionette runs the script itself in a realm of its own.
RUN_ASYNC = """
const [source, done] = arguments;
(new window.Function("return (async () => {" + source + "})()"))()
  .then((value) => done({value}), (error) => done({error: String(error && error.message || error)}));
"""


def write_site(root: Path) -> Path:
    """A one-page site in ``root``: index.html, _static/bahdanau-web.js, bahdanau-views.js and
    _static/models/ with the registry and every web model (what `make web-models` writes)."""
    static = root / "_static"
    static.mkdir()
    shutil.copy(WEB_JS, static / WEB_JS.name)
    shutil.copy(VIEWS_JS, static / VIEWS_JS.name)
    export_web_models(static / "models")
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    return root


def exported(site: Path, name: str):
    """The model, source and target vocabularies that :func:`load_exported` rebuilds from the site's file."""
    return load_exported(site / "_static" / "models" / model_file_name(name))


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


def python_translations(site: Path, name: str, sentences: list[str]):
    """PyTorch's greedy translations of ``sentences`` on the model rebuilt from the site's file."""
    model, src_vocab, tgt_vocab = exported(site, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a sentence longer than max_src_len
        return translate(model, sentences, src_vocab, tgt_vocab)


def check_translations(label: str, sentences: list[str], found, expected) -> None:
    """The browser's answers to TRANSLATE_ALL against Python's: the same tokens for at least
    MIN_EQUAL_SHARE of the sentences (float rounding may flip a near-tie of two logits), and the
    same attention to MAX_ATTENTION_DIFFERENCE where they agree."""
    assert isinstance(found, list), found
    equal = [ours for ours, theirs in zip(found, expected) if ours["tokens"] == theirs.tokens]
    share = len(equal) / len(sentences)
    differences = [
        float((torch.tensor(ours["attention"]) - theirs.attention).abs().max())
        for ours, theirs in zip(found, expected) if ours["tokens"] == theirs.tokens
    ]
    print(f"{label}: {share:.2%} of {len(sentences)} equal, attention differs by at most {max(differences):.2e}")
    assert share >= MIN_EQUAL_SHARE, [
        (text, ours["tokens"], theirs.tokens) for text, ours, theirs in zip(sentences, found, expected)
        if ours["tokens"] != theirs.tokens][:5]
    assert max(differences) <= MAX_ATTENTION_DIFFERENCE


# ----------------------------------------------------------------------------------------------
# Steering the attention: translate(..., override=...)
# ----------------------------------------------------------------------------------------------

NUM_STEERED = 200  # issue 28: at least 200
NUM_STEERED_LONG = 50  # of them, of LONG_TOKENS tokens
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


def steered_reference(site: Path, name: str, sentences: list[str]):
    """Python's side of the steered comparison: (the cases to give TRANSLATE_STEERED, the steered
    translations, the model's own ones, each sentence's override)."""
    model, src_vocab, tgt_vocab = exported(site, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a sentence longer than max_src_len
        own = translate(model, sentences, src_vocab, tgt_vocab)
        overrides = [dict([steering_case(k, len(t.attention), len(t.src_tokens))]) for k, t in enumerate(own)]
        expected = [translate(model, text, src_vocab, tgt_vocab, override=override)
                    for text, override in zip(sentences, overrides)]
    cases = [[text, {str(step): row for step, row in override.items()}]
             for text, override in zip(sentences, overrides)]
    return cases, expected, own, overrides


def check_steered(label: str, sentences: list[str], found, expected, own, overrides) -> None:
    """The browser's answers to TRANSLATE_STEERED against Python's: the same share of equal
    tokens, the same attention and ``steered``, the given row as given, the French changed by the
    overrides, and re-decoding from the encoder the same as going on from the kept decoding."""
    assert isinstance(found, list), found
    equal = [(ours, theirs, override) for ours, theirs, override in zip(found, expected, overrides)
             if ours["tokens"] == theirs.tokens]
    share = len(equal) / len(sentences)
    differences = [float((torch.tensor(ours["attention"]) - theirs.attention).abs().max())
                   for ours, theirs, _ in equal]
    changed = sum(theirs.tokens != before.tokens for theirs, before in zip(expected, own))
    print(f"{label}, steered: {share:.2%} of {len(sentences)} equal, attention differs by at most "
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


def steer_source(name: str, override_js: str, text: str = STEERED_SENTENCE) -> str:
    """The page's side (run with RUN_ASYNC): the port's translate with the override written as
    JavaScript, as {tokens, steered, attention} or {error, code}."""
    return f"""
        try {{
          const r = await window.bahdanauWeb.translate({json.dumps(text)},
                                                       {{model: "{name}", override: {override_js}}});
          return {{tokens: r.tokens, steered: r.steered, attention: r.attention}};
        }} catch (error) {{
          return {{error: error.message, code: error.code || null}};
        }}"""


def python_steered(site: Path, name: str, override, text: str = STEERED_SENTENCE):
    """Python's translate with ``override`` on the exported model: the Translation, or the ValueError."""
    model, src_vocab, tgt_vocab = exported(site, name)
    try:
        return translate(model, text, src_vocab, tgt_vocab, override=override)
    except ValueError as error:
        return error


# ----------------------------------------------------------------------------------------------
# Bad input: Python's messages, word for word
# ----------------------------------------------------------------------------------------------

# Text without a word: "", and each of Python's whitespace characters (str.isspace), alone and in a run.
WHITESPACE = [chr(code) for code in range(0x110000) if chr(code).isspace()]
EMPTY_INPUTS = ["", "  \n ", *WHITESPACE, "".join(WHITESPACE), " \t".join(WHITESPACE[:5])]

# Translate every empty input in the page (run with RUN_ASYNC).
TRANSLATE_EMPTY = f"""
const results = [];
for (const text of {json.dumps(EMPTY_INPUTS)}) results.push(await window.bahdanauWeb.translate(text));
return results;"""


def check_empty_results(results: list[dict]) -> None:
    """Each empty input resolves (never throws) with no tokens and Python's message."""
    assert len(WHITESPACE) == 29
    for text, result in zip(EMPTY_INPUTS, results, strict=True):
        assert result["empty"] is True and result["truncated"] is False
        for key in ("tokens", "srcTokens", "attention", "unknown", "steps"):
            assert result[key] == []
        with pytest.raises(ValueError) as raised:
            sentence_words(text)
        assert result["message"] == str(raised.value), text  # the same words, repr() included
        assert result["model"] == DEFAULT_MODEL


TRUNCATED_TEXT = " ".join(["the cat sat on the mat ."] * 10)  # 70 tokens
TRUNCATED_MODEL = "attention"
# Translate TRUNCATED_TEXT in the page (run with RUN_ASYNC).
TRANSLATE_TRUNCATED = (f"return await window.bahdanauWeb.translate({json.dumps(TRUNCATED_TEXT)}, "
                       f"{{model: {json.dumps(TRUNCATED_MODEL)}}});")


def check_truncated(site: Path, result: dict) -> None:
    """The port's answer for TRUNCATED_TEXT: cut to max_src_len, with Python's warning as its message."""
    assert result["truncated"] is True
    model, src_vocab, tgt_vocab = exported(site, TRUNCATED_MODEL)
    with pytest.warns(UserWarning, match="max_src_len") as caught:
        expected = translate(model, TRUNCATED_TEXT, src_vocab, tgt_vocab)
    assert result["message"] == str(caught[0].message)  # Python's warning, word for word
    assert result["srcTokens"] == expected.src_tokens and len(result["srcTokens"]) == 51
    assert result["tokens"] == expected.tokens
    assert len(result["steps"]) <= 2 * 50 + 5


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
