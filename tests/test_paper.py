"""Tests for `python -m bahdanau.cli.paper`: the paper's Figure 2 and Table 1 on the shipped models.

The end-to-end test runs the command on the made-up corpus ``tests/fixtures/tiny_fra_eng.txt``
with untrained models of the shipped presets' shapes; the real corpus is read by the tests
marked slow only.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from bahdanau.cli.evaluate import RECORD_BEAM_SIZE
from bahdanau.cli.paper import (
    DECODINGS,
    PAPER_BUCKETS,
    PAPER_MAX_LEN,
    PAPER_PAIRS,
    PAPER_TABLE1,
    SPLIT_MODEL,
    bucket_of,
    check_unseen,
    format_paper,
    main,
    no_unk_indices,
    paper_test_pairs,
    record_paper,
)
from bahdanau.cli.train import PRESETS
from bahdanau.data import LONG_FROM, Vocab, filter_by_length, load_corpus, references_by_source
from bahdanau.models import ModelConfig, make_model
from bahdanau.pretrained import PAPER_FILE, PRETRAINED, recorded_metadata, recorded_paper
from bahdanau.training import save_checkpoint, set_seed

FIXTURE = Path(__file__).parent / "fixtures" / "tiny_fra_eng.txt"
LINE_WIDTH = 78  # the book's code column (STYLE.md)

# ----------------------------------------------------------------------------------------------
# Buckets and the No-UNK rule
# ----------------------------------------------------------------------------------------------


def test_every_length_up_to_30_falls_in_exactly_one_bucket():
    assert PAPER_MAX_LEN == 30
    for length in range(1, PAPER_MAX_LEN + 1):
        assert sum(low <= length <= high for low, high in PAPER_BUCKETS) == 1
    assert [bucket_of(length) for length in (1, 5, 6, 10, 11, 15, 16, 20, 21, 30)] == [
        "1-5", "1-5", "6-10", "6-10", "11-15", "11-15", "16-20", "16-20", "21-30", "21-30"]
    assert bucket_of(0) is None and bucket_of(31) is None
    assert bucket_of(4, [(1, 2), (3, 9)]) == "3-9"
    # The -10 models' length limit is a bucket boundary: their lengths and the rest never share one.
    assert any(high == LONG_FROM for _, high in PAPER_BUCKETS)


def test_no_unk_keeps_sentences_every_model_can_read_and_write():
    sources = [("i", "run", "."), ("you", "swim", "."), ("i", "run", "."), ("i", "fly", ".")]
    references = [["je cours ."], ["tu nages ."], ["je cours .", "je pars en courant ."], ["je vole ."]]
    ten = ({"i", "run", "you", "swim", "fly", "."}, {"je", "cours", "tu", "nages", "vole", "."})
    thirty = ({"i", "run", "you", "swim", "."}, {"je", "cours", "tu", "nages", "vole", "pars", "en", "."})
    assert no_unk_indices(sources, references, [ten]) == [0, 1, 3]  # "pars en courant" is unknown to ten
    assert no_unk_indices(sources, references, [thirty]) == [0, 1]  # "fly" is unknown to thirty
    # One subset for all: a sentence is kept only if no model has an unknown word in it.
    assert no_unk_indices(sources, references, [ten, thirty]) == [0, 1]
    assert no_unk_indices(sources, references, []) == [0, 1, 2, 3]
    vocabs = (Vocab([["i", "run", "."]]), Vocab([["je", "cours", "."]]))  # a real Vocab answers `in` too
    assert no_unk_indices(sources, references, [vocabs]) == [0]
    with pytest.raises(ValueError, match="4 sentences but 1 reference lists"):
        no_unk_indices(sources, references[:1], [ten])


# ----------------------------------------------------------------------------------------------
# The test split is unseen by every model
# ----------------------------------------------------------------------------------------------


def _data_configs(**changes: Any) -> dict[str, Any]:
    """The shipped presets' data configs (with ``changes``), by model name."""
    return {name: replace(PRESETS[name].data, **changes) for name in PRETRAINED}


def test_the_30_token_test_split_is_unseen_by_every_preset_on_the_fixture_corpus():
    configs = _data_configs()
    test_pairs = paper_test_pairs(configs[SPLIT_MODEL], FIXTURE)
    assert test_pairs and max(len(src) for src, _ in test_pairs) > LONG_FROM  # short and long sentences
    report = check_unseen(test_pairs, configs, FIXTURE)
    assert list(report) == list(PRETRAINED)
    assert all(row["test_sentences_seen"] == 0 for row in report.values())
    assert {name: row["max_len"] for name, row in report.items()} == {
        name: config.max_len for name, config in configs.items()}
    # The split of the short sentences is the -10 models' own: their test set nests in this one.
    short_test = load_corpus(configs["rnnsearch"], path=FIXTURE).test
    assert filter_by_length(test_pairs, LONG_FROM) == short_test


def test_check_unseen_stops_at_a_training_sentence():
    configs = _data_configs()
    train = load_corpus(configs["rnnsearch"], path=FIXTURE).train
    with pytest.raises(ValueError, match="1 test sentences are in rnnsearch's training"):
        check_unseen(train[:1], {"rnnsearch": configs["rnnsearch"]}, FIXTURE)


# ----------------------------------------------------------------------------------------------
# The record
# ----------------------------------------------------------------------------------------------


def _assert_schema(record: dict[str, Any]) -> None:
    """What every record of the command holds, and how its parts agree."""
    split = record["test_split"]
    assert record["buckets"] == [list(bucket) for bucket in PAPER_BUCKETS]
    assert record["decodings"] == dict(DECODINGS) == {"greedy": 1, "beam": RECORD_BEAM_SIZE}
    assert record["paper_table1"] == PAPER_TABLE1
    assert split["max_len"] == PAPER_MAX_LEN and split["unseen_by_every_model"] is True
    assert sum(split["sentences_by_bucket"].values()) == split["num_sentences"] <= split["num_pairs"]
    assert all(row["test_sentences_seen"] == 0 for row in record["trained_on"].values())
    assert list(record["trained_on"]) == record["models"]
    for key in ("corpus_sha256", "date", "machine", "seconds", "bootstrap", "bleu_note", "no_unk_rule"):
        assert record[key]
    bootstrap = record["bootstrap"]
    for decoding, beam_size in DECODINGS:
        figure, table = record["figure2"][decoding], record["table1"][decoding]
        assert figure["beam_size"] == table["beam_size"] == beam_size
        assert list(figure["models"]) == record["models"]
        for name, rows in figure["models"].items():
            assert {row["bucket"]: row["count"] for row in rows} == {
                bucket: count for bucket, count in split["sentences_by_bucket"].items() if count}
            assert all(row["low"] <= row["high"] and row["n_samples"] == bootstrap["n_samples"] for row in rows)
            assert table[name]["all"]["count"] == split["num_sentences"]
            no_unk = table[name]["no_unk"]
            assert (no_unk["count"] if no_unk else 0) == split["no_unk_sentences"]
        pairs = [(pair["system"], pair["baseline"]) for pair in figure["differences"]]
        assert pairs == [pair for pair in PAPER_PAIRS if set(pair) <= set(record["models"])]
        for pair in figure["differences"]:
            overall, *by_bucket = pair["rows"]
            assert (overall["bucket"], overall["count"]) == ("all", split["num_sentences"])
            # The same draws: a model's interval in a difference is its interval in the figure.
            for row, alone in zip(by_bucket, figure["models"][pair["system"]], strict=True):
                assert {key: alone[key] for key in row["system"]} == row["system"]
            assert overall["system"]["low"] == table[pair["system"]]["all"]["low"]
    assert all(len(line) <= LINE_WIDTH for line in format_paper(record).splitlines())


def _tiny_checkpoints(folder: Path) -> None:
    """Untrained models of every shipped preset's kind, on the fixture corpus, as NAME.pt in ``folder``."""
    for name in PRETRAINED:
        preset = PRESETS[name]
        corpus = load_corpus(replace(preset.data, min_freq=1), path=FIXTURE)
        size = dict(embed_size=8, num_hiddens=8, deep_output=4 if preset.model.get("deep_output") else 0)
        config = ModelConfig(len(corpus.src_vocab), len(corpus.tgt_vocab), **{**preset.model, **size})
        set_seed(0)
        save_checkpoint(folder / f"{name}.pt", make_model(config), config, corpus.src_vocab, corpus.tgt_vocab,
                        {"data_config": asdict(corpus.config), "corpus_sha256": corpus.sha256})


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny checkpoints and a data folder holding the fixture corpus as fra-eng/fra.txt."""
    root = tmp_path_factory.mktemp("paper")
    (root / "checkpoints").mkdir()
    _tiny_checkpoints(root / "checkpoints")
    (root / "data" / "fra-eng").mkdir(parents=True)
    shutil.copyfile(FIXTURE, root / "data" / "fra-eng" / "fra.txt")
    return root / "checkpoints", root / "data"


def test_the_command_records_figure_2_and_table_1(tiny_run, tmp_path, capsys):
    checkpoints, data_dir = tiny_run
    out = tmp_path / PAPER_FILE
    main(["--record", "--checkpoints", str(checkpoints), "--out", str(out), "--data-dir", str(data_dir),
          "--samples", "30"])
    printed = capsys.readouterr().out
    assert "Figure 2" in printed and "Table 1" in printed and f"recorded in {out}" in printed
    tables = printed.split("\nrecorded in")[0]  # the path may be long; the tables may not
    assert all(len(line) <= LINE_WIDTH for line in tables.splitlines())
    text = out.read_text(encoding="utf-8")
    record = json.loads(text)
    _assert_schema(record)
    assert record["models"] == list(PRETRAINED) and record["bootstrap"]["n_samples"] == 30
    test_pairs = paper_test_pairs(PRESETS[SPLIT_MODEL].data, FIXTURE)
    assert record["test_split"]["num_sentences"] == len(references_by_source(test_pairs))
    # Numbers only: no sentence of the corpus, on either side, is stored.
    for src, tgt in test_pairs:
        assert " ".join(src) not in text and " ".join(tgt) not in text
    # Without --record nothing is written.
    main(["--checkpoints", str(checkpoints), "--out", str(tmp_path / "other.json"), "--data-dir", str(data_dir),
          "--samples", "30"])
    assert not (tmp_path / "other.json").exists() and "Table 1" in capsys.readouterr().out


def test_a_model_of_another_corpus_is_refused(tiny_run, tmp_path):
    checkpoints, _ = tiny_run
    paths = {name: checkpoints / f"{name}.pt" for name in PRETRAINED}
    other = tmp_path / "other.txt"
    other.write_text(FIXTURE.read_text(encoding="utf-8") + "Go.\tVa !\n", encoding="utf-8")
    with pytest.raises(ValueError, match="trained on another corpus"):
        record_paper(paths, corpus_path=other, n_samples=10)


def test_the_shipped_record(capsys):
    record = recorded_paper()
    _assert_schema(record)
    assert record["models"] == list(PRETRAINED)
    assert record["test_split"]["from"] == SPLIT_MODEL
    assert record["corpus_sha256"] == recorded_metadata(SPLIT_MODEL)["corpus_sha256"]
    assert record["bootstrap"]["n_samples"] == 1000 and record["bounded"] is None
    by_bucket = record["test_split"]["sentences_by_bucket"]
    assert by_bucket["11-15"] >= 200 and by_bucket["16-20"] >= 200  # what the larger long share is for
    assert {name: row["max_len"] for name, row in record["trained_on"].items()} == {
        name: recorded_metadata(name)["data_config"]["max_len"] for name in PRETRAINED}
    main(["--show"])
    assert capsys.readouterr().out.strip() == format_paper(record)


@pytest.mark.slow
def test_every_30_token_test_sentence_is_unseen_by_every_shipped_model(real_corpus_path):
    record = recorded_paper()
    configs = {name: recorded_metadata(name)["data_config"] for name in PRETRAINED}
    test_pairs = paper_test_pairs(configs[SPLIT_MODEL], real_corpus_path)
    report = check_unseen(test_pairs, configs, real_corpus_path)
    for name, row in report.items():
        assert row["test_sentences_seen"] == 0
        # The rebuilt training split is the one the model was trained on.
        assert row["num_train_pairs"] == recorded_metadata(name)["num_train_pairs"]
    assert report == record["trained_on"]
    sentences = references_by_source(test_pairs)
    assert record["test_split"]["num_sentences"] == len(sentences)
    assert record["test_split"]["num_pairs"] == len(test_pairs)
    text = json.dumps(record, ensure_ascii=False)
    assert not any(" ".join(src) in text for src in sentences if len(src) > 2)
