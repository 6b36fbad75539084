"""Tests for `python -m bahdanau.cli.evaluate`: the test split, multi-reference BLEU, the report."""

from __future__ import annotations

import random
from dataclasses import replace
from types import SimpleNamespace

import pytest

import bahdanau.cli.evaluate
from bahdanau.cli.evaluate import (
    TranslatedTestSet,
    compare_models,
    comparison_file,
    evaluate_checkpoint,
    evaluate_model,
    format_comparison,
    format_report,
    held_out_pairs,
    main,
)
from bahdanau.data import DataConfig, Vocab, load_corpus, references_by_source
from bahdanau.metrics import (
    DEFAULT_LENGTH_BUCKETS,
    SPECIAL_TOKENS_NOTE,
    bleu_by_length,
    corpus_bleu_with_signature,
    interval_excludes_zero,
)
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


def _made_up_decoding(seed: int = 0) -> tuple[list, TranslatedTestSet]:
    """Test pairs and a decoding of them with what BLEU must get right, all of it random words.

    English lengths in the buckets 1-4, 5-6, 9-10 and 11-15 only (7-8 and 16-100 stay empty),
    one, two or three references up to 10 English tokens and one beyond (some pairs twice),
    outputs close to a reference that is not always the first, some with <unk> (replaced by the
    right word or a wrong one, or left alone), and an empty output.
    """
    rng = random.Random(seed)
    words = "le la un chat chien dort mange vite ici très .".split()
    pairs, outputs, replaced = [], [], []
    for k in range(48):
        english = [f"e{k}", *["x"] * ([2, 4, 5, 6, 9, 10, 11, 12, 15][k % 9] - 1)]
        number = 1 if len(english) > 10 else 1 + (k % 3 == 0) + (k % 4 == 0)  # 11-15: nrefs:1
        references = [[rng.choice(words) for _ in range(rng.randint(2, 9))] for _ in range(number)]
        pairs += [(english, french) for french in references] + [(english, references[-1])] * (k % 7 == 0)
        # Each word of a reference kept, or written <unk>, or wrong; an <unk> replaced by that
        # word, by a wrong one, or by nothing.
        output, copied = [], []
        for word in [] if k == 5 else rng.choice(references):
            written = rng.choices([word, "<unk>", rng.choice(words)], weights=[6, 2, 2])[0]
            output.append(written)
            copied.append(rng.choice([word, "zoé", "<unk>"]) if written == "<unk>" else written)
        outputs.append(" ".join(output))
        replaced.append(" ".join(copied))
    references = references_by_source(pairs)
    test = TranslatedTestSet([tuple(src) for src in references], outputs,
                             [[" ".join(ref) for ref in refs] for refs in references.values()], replaced)
    return pairs, test


def _scored_one_figure_at_a_time(test: TranslatedTestSet, pairs: list, max_len: int = 10) -> dict:
    """What evaluate_model reported before it summed sentence statistics: corpus BLEU of each subset."""
    short = test.short(max_len)
    hypothesis_of = dict(zip(test.sources, test.hypotheses, strict=True))
    short_pairs = [(tuple(src), tgt) for src, tgt in pairs if len(src) <= max_len]
    test_bleu, signature = corpus_bleu_with_signature([test.hypotheses[i] for i in short],
                                                      [test.references[i] for i in short])
    single_ref_bleu, single_ref_signature = corpus_bleu_with_signature(
        [hypothesis_of[src] for src, _ in short_pairs], [[" ".join(tgt)] for _, tgt in short_pairs])
    # Each bucket's corpus BLEU: bleu_by_length (tests/test_metrics.py checks it, bucket by bucket,
    # against corpus_bleu).
    by_length = bleu_by_length(test.hypotheses, test.references, [len(src) for src in test.sources])
    replaced_bleu, replaced_signature = corpus_bleu_with_signature([test.replaced[i] for i in short],
                                                                   [test.references[i] for i in short])
    return {"test_bleu": test_bleu, "bleu_signature": signature, "test_bleu_single_ref": single_ref_bleu,
            "bleu_signature_single_ref": single_ref_signature, "bleu_by_length": by_length,
            "replace_unk": {"test_bleu": replaced_bleu, "bleu_signature": replaced_signature}}


def test_scores_from_sentence_statistics_equal_each_figure_scored_on_its_own(monkeypatch):
    """evaluate_model counts each sentence once and adds counts up: the numbers must not move a bit."""
    pairs, test = _made_up_decoding()
    monkeypatch.setattr(bahdanau.cli.evaluate, "translate_test_set", lambda *args, **kwargs: test)
    report = evaluate_model(None, None, Vocab([tgt for _, tgt in pairs[::2]]), pairs)
    expected = _scored_one_figure_at_a_time(test, pairs)
    assert {key: report[key] for key in expected if key != "replace_unk"} == {
        key: value for key, value in expected.items() if key != "replace_unk"}  # floats: ==, not approx
    assert {key: report["replace_unk"][key] for key in expected["replace_unk"]} == expected["replace_unk"]
    # The made-up decoding has what could go wrong: empty buckets, several numbers of references,
    # sentences replacement changes (and ones it does not), scores neither 0 nor 100.
    assert [row["bucket"] for row in report["bleu_by_length"]] == ["1-4", "5-6", "9-10", "11-15"]
    assert [row["bleu_signature"].split("|")[0] for row in report["bleu_by_length"]] == ["nrefs:var"] * 3 + ["nrefs:1"]
    assert report["bleu_signature"].startswith("nrefs:var|")
    assert report["bleu_signature_single_ref"].startswith("nrefs:1|")
    assert 0 < report["replace_unk"]["sentences_changed"] < report["num_sentences"]
    assert report["num_pairs"] > report["num_sentences"] and "" in test.hypotheses
    scores = [report["test_bleu"], report["test_bleu_single_ref"], report["replace_unk"]["test_bleu"],
              *(row["bleu"] for row in report["bleu_by_length"])]
    assert len(set(scores)) == len(scores) and all(0 < score < 100 for score in scores)


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
