"""Tests for `python -m bahdanau.evaluate`: the test split, multi-reference BLEU, the report."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

import bahdanau.evaluate
from bahdanau.data import DataConfig, load_corpus
from bahdanau.evaluate import evaluate_checkpoint, evaluate_model, format_report, held_out_pairs, main
from bahdanau.metrics import DEFAULT_LENGTH_BUCKETS
from bahdanau.training import load_checkpoint


@pytest.mark.slow
def test_test_pairs_is_load_corpus_test_split_of_every_length(real_corpus_path):
    config = DataConfig(max_len=10)
    pairs = held_out_pairs(config, path=real_corpus_path)
    assert pairs == load_corpus(replace(config, max_len=None), path=real_corpus_path).test
    assert max(len(src) for src, _ in pairs) > 10  # long sentences are kept for the length buckets
    # The split is the same for every preset that shares the split settings.
    assert held_out_pairs(DataConfig(max_len=5, min_freq=1), path=real_corpus_path) == pairs


@pytest.mark.slow
def test_evaluate_reproduces_the_recorded_bleu(tiny_checkpoint, real_corpus_path):
    recorded = load_checkpoint(tiny_checkpoint).metadata["test"]
    again = evaluate_checkpoint(tiny_checkpoint, corpus_path=real_corpus_path)
    assert abs(again["test_bleu"] - recorded["test_bleu"]) < 1e-6
    assert again["bleu_by_length"] == recorded["bleu_by_length"]


def test_perfect_translations_score_100_and_buckets_cover_all_lengths(monkeypatch):
    """A stand-in for the model that knows the answers, to check the scoring itself."""
    pairs = [(["go", "."], ["va", "!"]), (["go", "."], ["bouge", "!"]),
             (["i", "am", "very", "tired", "now", "."], ["je", "suis", "très", "fatigué", "maintenant", "."])]
    answers = {"go .": "bouge !", "i am very tired now .": "je suis très fatigué maintenant ."}

    def oracle_translate(model, sentences, *args, **kwargs):
        return [SimpleNamespace(text=answers[sentence]) for sentence in sentences]

    monkeypatch.setattr(bahdanau.evaluate, "translate", oracle_translate)
    report = evaluate_model(None, None, None, pairs)
    assert report["num_sentences"] == 2 and report["num_pairs"] == 3
    assert report["test_bleu"] > 99.9  # every output matches one of its references
    assert report["test_bleu_single_ref"] < report["test_bleu"]  # "va !" is a reference too
    assert [row["bucket"] for row in report["bleu_by_length"]] == ["1-4", "5-6"]
    text = format_report(report)
    assert "test BLEU" in text and "single-reference" in text and "13a" in text


@pytest.mark.slow
def test_command_line_prints_the_report(tiny_checkpoint, real_corpus_path, capsys):
    main([str(tiny_checkpoint), "--data-dir", str(real_corpus_path.parent.parent)])
    printed = capsys.readouterr().out
    assert "test BLEU" in printed and "BLEU by English length" in printed
    for low, high in DEFAULT_LENGTH_BUCKETS[:4]:
        assert f"{low}-{high}" in printed
