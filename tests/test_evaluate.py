"""Tests for `python -m bahdanau.cli.evaluate`: the test split, multi-reference BLEU, the report."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

import bahdanau.cli.evaluate
from bahdanau.cli.evaluate import (
    compare_models,
    comparison_file,
    evaluate_checkpoint,
    evaluate_model,
    format_comparison,
    format_report,
    held_out_pairs,
    main,
)
from bahdanau.data import DataConfig, Vocab, load_corpus
from bahdanau.metrics import DEFAULT_LENGTH_BUCKETS, SPECIAL_TOKENS_NOTE, interval_excludes_zero
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

    monkeypatch.setattr(bahdanau.cli.evaluate, "translate", oracle_translate)
    french_vocab = Vocab([tgt for _, tgt in pairs[1:]])  # without "va"
    report = evaluate_model(None, None, french_vocab, pairs)
    assert report["num_sentences"] == 2 and report["num_pairs"] == 3
    assert report["test_bleu"] > 99.9  # every output matches one of its references
    assert report["test_bleu_single_ref"] < report["test_bleu"]  # "va !" is a reference too
    assert [row["bucket"] for row in report["bleu_by_length"]] == ["1-4", "5-6"]
    # sacreBLEU's signature beside every score: two references for "go .", one for the other.
    assert report["bleu_signature"].startswith("nrefs:var|case:lc|eff:no|tok:13a|smooth:exp|version:")
    assert report["bleu_signature_single_ref"].startswith("nrefs:1|")
    assert [row["bleu_signature"].split("|")[0] for row in report["bleu_by_length"]] == ["nrefs:2", "nrefs:1"]
    assert report["special_tokens_note"] == SPECIAL_TOKENS_NOTE
    assert report["unk_rate"] == 0.0
    assert report["reference_unk_rate"] == pytest.approx(1 / 10)  # "va", of 10 French tokens
    assert "replace_unk" not in report  # no attention weights: nothing to copy from
    text = format_report(report)
    assert "test BLEU" in text and "single-reference" in text and "13a" in text
    assert report["bleu_signature"] in text


PAIRS = [
    (["go", "."], ["va", "!"]),
    (["i", "am", "very", "tired", "now", "."], ["je", "suis", "très", "fatigué", "maintenant", "."]),
    (["he", "is", "at", "home", "."], ["il", "est", "à", "la", "maison", "."]),
    (["we", "have", "a", "big", "old", "red", "car", "today", "in", "town", "again", "."],
     ["nous", "avons", "une", "grosse", "vieille", "voiture", "rouge", "en", "ville", "aujourd'hui", "encore", "."]),
]


def _stand_in_translate(model, sentences, *args, **kwargs):
    """"good" knows every answer; "bad" gets the first word wrong (an <unk>)."""
    answers = {" ".join(src): " ".join(tgt) for src, tgt in PAIRS}
    outputs = [answers[sentence] for sentence in sentences]
    if model == "bad":
        outputs = [" ".join(["<unk>", *output.split()[1:]]) for output in outputs]
    return [SimpleNamespace(text=output) for output in outputs]


def test_unknown_word_replacement_is_scored_on_the_same_decoding(monkeypatch):
    """An attention model's report also scores its output with each <unk> copied from the source."""
    import torch

    from bahdanau.decoding import Translation

    pairs = [(["tom", "met", "zoe", "."], ["tom", "a", "rencontré", "zoe", "."]), (["go", "."], ["va", "!"])]

    def translate_with_attention(model, sentences, *args, **kwargs):
        results = []
        for sentence in sentences:
            words = sentence.split()
            if words[0] == "tom":  # "zoe" unknown: written <unk> while attending to source word 2
                tokens, attention = ["tom", "a", "rencontré", "<unk>", "."], torch.eye(6, 5)
                attention[3] = torch.tensor([0.1, 0.1, 0.6, 0.1, 0.1])
            else:
                tokens, attention = ["va", "!"], torch.full((3, 3), 1 / 3)
            results.append(Translation(tokens, attention, [*words, "<eos>"]))
        return results

    monkeypatch.setattr(bahdanau.cli.evaluate, "translate", translate_with_attention)
    french_vocab = Vocab([["tom", "a", "rencontré", ".", "va", "!"]])  # "zoe" is not in it
    report = evaluate_model(None, None, french_vocab, pairs)
    copy = report["replace_unk"]
    assert report["test_bleu"] < 100 and copy["test_bleu"] > 99.9  # zoe copied: every sentence exact
    assert (copy["sentences_changed"], copy["tokens_copied"], copy["copies_in_reference"], copy["unk_rate"]) == (
        1, 1, 1, 0.0)
    assert copy["examples"] == [{"english": "tom met zoe .", "output": "tom a rencontré <unk> .",
                                 "replaced": "tom a rencontré zoe .", "references": ["tom a rencontré zoe ."]}]
    assert copy["bleu_signature"] == report["bleu_signature"]


def test_compare_models_bootstraps_both_decodings_overall_and_by_length(monkeypatch):
    monkeypatch.setattr(bahdanau.cli.evaluate, "translate", _stand_in_translate)
    good, bad = (SimpleNamespace(model=name, src_vocab=None, tgt_vocab=None) for name in ("good", "bad"))
    comparison = compare_models(good, bad, PAIRS * 5, n_samples=50)
    assert list(comparison) == ["test", "test_beam"]
    assert [comparison[key]["beam_size"] for key in comparison] == [1, 4]
    overall = comparison["test"]["overall"]
    assert overall["count"] == 3  # distinct English sentences of <= 10 tokens
    assert overall["system"]["bleu"] == pytest.approx(100.0)
    assert overall["difference"]["bleu"] > 0 and overall["difference"]["low"] >= 0  # 3 sentences: wide
    assert overall["n_samples"] == 50 and overall["bleu_signature"].startswith("nrefs:1|bs:50|seed:12345|")
    by_length = comparison["test"]["by_length"]
    assert [(row["bucket"], row["count"]) for row in by_length] == [("1-4", 1), ("5-6", 2), ("11-15", 1)]
    text = format_comparison({"system": "good", "baseline": "bad", "n_samples": 50, "seed": 12345,
                              "max_len": 10, **comparison})
    assert "good against bad" in text and "<=10" in text and "11-15" in text and "beam 4" in text


@pytest.mark.slow
def test_command_line_compares_and_records(tiny_checkpoint, real_corpus_path, capsys):
    import json

    main(["--compare", str(tiny_checkpoint), str(tiny_checkpoint), "--record",
          "--data-dir", str(real_corpus_path.parent.parent)])
    printed = capsys.readouterr().out
    assert comparison_file("tiny", "tiny") == "tiny-vs-tiny.json"
    assert "tiny against tiny" in printed and "tiny-vs-tiny.json" in printed
    comparison = json.loads(tiny_checkpoint.with_name("tiny-vs-tiny.json").read_text(encoding="utf-8"))
    assert (comparison["system"], comparison["baseline"], comparison["seed"]) == ("tiny", "tiny", 12345)
    for key in ("test", "test_beam"):  # a model against itself: no difference at all
        assert comparison[key]["overall"]["difference"]["high"] == 0.0
        assert not interval_excludes_zero(comparison[key]["overall"]["difference"])


def test_command_line_needs_a_checkpoint_or_compare(capsys):
    with pytest.raises(SystemExit):
        main([])
    assert "either a checkpoint or --compare" in capsys.readouterr().err


@pytest.mark.slow
def test_command_line_prints_the_report(tiny_checkpoint, real_corpus_path, capsys):
    main([str(tiny_checkpoint), "--data-dir", str(real_corpus_path.parent.parent)])
    printed = capsys.readouterr().out
    assert "test BLEU" in printed and "BLEU by English length" in printed
    for low, high in DEFAULT_LENGTH_BUCKETS[:4]:
        assert f"{low}-{high}" in printed
