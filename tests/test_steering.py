"""Tests for bahdanau.chapters.steering: steering one decoder step onto chosen source words."""

from __future__ import annotations

import pytest
import torch
from helpers import SRC_VOCAB, TGT_VOCAB, one_cpu_thread, overfit_model  # noqa: F401 (autouse fixture)

from bahdanau.chapters.steering import (
    FUNCTION_WORDS,
    content_positions,
    held_out_sample,
    pick_step,
    steer_each_word,
    steering_sample,
)
from bahdanau.decoding import Translation, focus_row
from bahdanau.pretrained import Translator


@pytest.fixture(scope="module")
def toy_translator() -> Translator:
    model, _ = overfit_model(attention=True)
    return Translator(model, SRC_VOCAB, TGT_VOCAB, metadata={})


def _translation(tokens, src_tokens, rows) -> Translation:
    return Translation(tokens=tokens, attention=torch.tensor(rows), src_tokens=src_tokens)


def test_content_positions_leave_out_eos_punctuation_and_function_words():
    tokens = ["i", "like", "green", "apples", ".", "<eos>"]
    assert content_positions(tokens) == [1, 2, 3]
    assert "the" in FUNCTION_WORDS and "garden" not in FUNCTION_WORDS
    assert content_positions(["he", "is", "!", "<eos>"]) == []


def test_pick_step_takes_the_clearest_look_at_a_content_word_and_the_least_looked_at_other():
    src = ["i", "like", "green", "apples", ".", "<eos>"]
    rows = [
        [0.9, 0.02, 0.02, 0.02, 0.02, 0.02],  # looks most at "i", a function word: not a candidate
        [0.1, 0.5, 0.2, 0.1, 0.05, 0.05],  # "like", 0.5
        [0.0, 0.05, 0.7, 0.15, 0.05, 0.05],  # "green", 0.7: the clearest
        [0.1, 0.1, 0.1, 0.1, 0.1, 0.5],  # the <eos> row
    ]
    translation = _translation(["j'aime", "les", "vertes"], src, rows)
    assert pick_step(translation) == (2, 1)  # step 2, moved onto "like" (0.05 < 0.15 of "apples")
    # A step that looks most at <eos> or at a function word is never picked.
    only_function = _translation(["x"], src, [[0.9, 0.02, 0.02, 0.02, 0.02, 0.02], [0.2] * 5 + [0.0]])
    assert pick_step(only_function) is None
    assert pick_step(_translation(["x"], ["he", "runs", "<eos>"], [[0.1, 0.8, 0.1]])) is None


def test_steer_each_word_moves_the_whole_row_onto_each_content_word(toy_translator):
    sentence = "I like green apples."
    before = toy_translator.translate(sentence)
    results = steer_each_word(toy_translator, sentence, step=1)
    assert [item.target for item in results] == ["like", "green", "apples"]
    for item in results:
        length = len(before.src_tokens)
        assert item.after.attention[1].tolist() == focus_row(length, before.src_tokens.index(item.target))
        assert item.after.steered == [1]
        assert item.original == before.tokens[1]
        assert item.after.tokens[:1] == before.tokens[:1]  # the step before is untouched
        assert item.changed == (item.written != item.original)
    with pytest.raises(ValueError, match="step must lie in"):
        steer_each_word(toy_translator, sentence, step=len(before.tokens))


def test_steering_sample_counts_the_steps_whose_word_changed(toy_translator):
    sentences = ["I like green apples.", "She is very tall.", "Go.", "They did not come home."]
    sample = steering_sample(toy_translator, sentences)
    assert sample.skipped + len(sample.steered) == len(sentences)
    assert sample.skipped >= 1  # "Go." has one content word
    assert sample.changed == sum(item.written != item.original for item in sample.steered)
    assert sample.share_changed == sample.changed / len(sample.steered)
    for item in sample.steered:
        picked = pick_step(item.before)
        assert (item.step, item.before.src_tokens[picked[1]]) == (picked[0], item.target)


def test_held_out_sample_spreads_over_the_test_split_by_a_fixed_rule(toy_translator, tmp_path):
    from bahdanau.data import DataConfig, held_out_pairs

    # A made-up corpus, big enough for a test split: 2,000 distinct sentences of 3 to 12 tokens.
    nouns = [f"thing{k}" for k in range(40)]
    lines = [f"the {a} likes {' '.join(['very'] * (k % 8))} {b}.\tle {a} aime {b}.\n"
             for k, (a, b) in enumerate((a, b) for a in nouns for b in nouns[:50]) if a != b]
    corpus = tmp_path / "fra.txt"
    corpus.write_text("".join(lines[:2000]), encoding="utf-8")
    config = DataConfig(max_len=10)
    translator = Translator(toy_translator.model, SRC_VOCAB, TGT_VOCAB, metadata={"data_config": config.__dict__})
    test_english = {" ".join(src) for src, _ in held_out_pairs(config, path=corpus)}
    sample = held_out_sample(translator, count=20, path=corpus)
    assert len(sample) == len(set(sample)) == 20
    for sentence in sample:
        assert sentence in test_english  # never seen in training
        assert len(sentence.split()) <= 10 and len(content_positions(sentence.split())) >= 2
    assert len({len(sentence.split()) for sentence in sample}) > 1  # spread, not the first 20
    assert held_out_sample(translator, count=20, path=corpus) == sample  # the rule, not chance
    with pytest.raises(ValueError, match="fewer than"):
        held_out_sample(translator, count=10**6, path=corpus)


@pytest.mark.slow  # reads the whole corpus
def test_steering_sample_gives_each_sentence_what_steering_it_alone_gives(real_corpus_path):
    """steering_sample decodes its sentences together: each item must be what one sentence at a time gives.

    The reference is the rule done by hand, sentence by sentence, with the public pieces. Words, steps
    and targets must be equal; the unsteered weights and score may differ in the last float digits
    (a batch rounds differently from a lone sentence), the steered decoding not at all.
    """
    from bahdanau.pretrained import load_pretrained

    translator = load_pretrained("attention")
    held_out = held_out_sample(translator, count=15, path=real_corpus_path)
    sentences = [*held_out[:7], "go .", *held_out[7:]]  # "go ." has one content word: skipped
    sample = steering_sample(translator, sentences)

    expected, skipped = [], 0
    for english in sentences:
        before = translator.translate(english)
        picked = pick_step(before)
        if picked is None:
            skipped += 1
            continue
        step, target = picked
        after = translator.translate(english, override={step: focus_row(len(before.src_tokens), target)})
        expected.append((english, step, target, before, after))

    assert sample.skipped == skipped == 1
    assert len(sample.steered) == len(expected) == len(sentences) - 1
    for item, (english, step, target, before, after) in zip(sample.steered, expected, strict=True):
        row = before.attention[step]  # (S,)
        looked = int(row.argmax())
        assert (item.english, item.step, item.looked_at, item.target) == (
            english, step, before.src_tokens[looked], before.src_tokens[target])
        assert item.weight == pytest.approx(float(row[looked]), abs=1e-5)
        assert item.original == before.tokens[step]
        assert item.written == (after.tokens[step] if step < len(after.tokens) else "<eos>")
        assert item.before.tokens == before.tokens and item.before.src_tokens == before.src_tokens
        torch.testing.assert_close(item.before.attention, before.attention)
        assert item.before.score == pytest.approx(before.score, abs=1e-4)
        assert item.after.tokens == after.tokens and item.after.steered == after.steered == [step]
        assert torch.equal(item.after.attention, after.attention) and item.after.score == after.score
    assert any(item.changed for item in sample.steered) and not all(item.changed for item in sample.steered)
