"""Tests for bahdanau.cli.seeds: the same recipe trained with other seeds, scored like the shipped run."""

from __future__ import annotations

import json

import pytest

from bahdanau.cli.paper import PAPER_BUCKETS
from bahdanau.cli.seeds import format_seeds, record_seeds, same_recipe, spread
from bahdanau.cli.train import PRESETS, train_preset
from bahdanau.pretrained import recorded_metadata

pytestmark = pytest.mark.slow  # trains the tiny preset twice and reads the whole corpus


def _run(bleu: float) -> dict:
    return {"test": {"greedy": {"all": bleu, "1-4": bleu + 1}}, "paper": {"greedy": {"all": bleu - 1}}}


def test_spread_pairs_the_nth_run_of_each_model_and_gives_ranges():
    runs = {"a": [_run(40.0), _run(42.0), _run(41.0)], "b": [_run(30.0), _run(35.0), _run(29.0)]}
    rows = spread(runs, ("a", "b"))
    row = rows["test"]["greedy"]["all"]
    assert row["bleu"] == {"a": [40.0, 42.0, 41.0], "b": [30.0, 35.0, 29.0]}
    assert row["gap"] == [10.0, 7.0, 12.0]
    assert row["range"] == {"a": [40.0, 42.0], "b": [29.0, 35.0], "gap": [7.0, 12.0]}
    assert rows["test"]["greedy"]["1-4"]["gap"] == [10.0, 7.0, 12.0]
    assert rows["paper"]["greedy"]["all"]["range"]["b"] == [28.0, 34.0]


def test_same_recipe_ignores_the_seed_and_fields_added_with_their_defaults():
    shipped = recorded_metadata("rnnsearch")
    older = {**shipped, "data_config": {k: v for k, v in shipped["data_config"].items() if k != "long_test_fraction"}}
    reseeded = {**shipped, "training": {**shipped["training"], "seed": 7}}
    assert same_recipe(reseeded, older) and same_recipe(older, shipped)
    other_lr = {**shipped, "training": {**shipped["training"], "lr": 0.1}}
    other_data = {**shipped, "data_config": {**shipped["data_config"], "max_len": 30}}
    assert not same_recipe(other_lr, shipped) and not same_recipe(other_data, shipped)


def test_record_seeds_scores_every_run_and_refuses_a_mixed_recipe(real_corpus_path, tiny_checkpoint, tmp_path):
    other = train_preset("tiny", tmp_path / "seed1", corpus_path=real_corpus_path, seed=1, progress=False,
                         log=lambda line: None)
    record = record_seeds([other.parent], tmp_path / "seeds.json", models=("tiny",), pair=("tiny", "tiny"),
                          base_dir=tiny_checkpoint.parent, corpus_path=real_corpus_path, max_paper_sentences=300)
    assert record["paper_pairs"] == 300
    assert record["seeds"] == [PRESETS["tiny"].seed, 1]
    assert json.loads((tmp_path / "seeds.json").read_text(encoding="utf-8")) == record
    first, second = record["runs"]["tiny"]
    recorded = json.loads(tiny_checkpoint.with_suffix(".json").read_text(encoding="utf-8"))
    assert first["test"]["greedy"]["all"] == recorded["test"]["test_bleu"]  # the run's own record
    assert first["validation_loss"] == [round(loss, 4) for loss in recorded["history"]["val_loss"]]
    assert set(first["paper"]["greedy"]) <= {"all", *(f"{low}-{high}" for low, high in PAPER_BUCKETS)}
    assert first["test"] != second["test"]  # another seed, another run
    assert "tiny" in format_seeds(record)
    with pytest.raises(ValueError, match="share a seed"):
        record_seeds([tiny_checkpoint.parent], models=("tiny",), pair=("tiny", "tiny"),
                     base_dir=tiny_checkpoint.parent, corpus_path=real_corpus_path)
    with pytest.raises(ValueError, match="is missing"):
        record_seeds([tmp_path / "nowhere"], models=("tiny",), pair=("tiny", "tiny"),
                     base_dir=tiny_checkpoint.parent, corpus_path=real_corpus_path)
