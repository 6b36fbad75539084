"""Tests for the `python -m bahdanau.cli.train` command and its presets."""

from __future__ import annotations

import json

import pytest
import torch

from bahdanau.cli.train import PRESETS, main, train_preset
from bahdanau.data import d2l_config
from bahdanau.training import load_checkpoint, read_checkpoint_metadata


@pytest.mark.slow
def test_tiny_preset_trains_end_to_end_and_its_loss_falls(tiny_checkpoint):
    checkpoint = load_checkpoint(tiny_checkpoint)
    history = checkpoint.metadata["history"]
    assert len(history["train_loss"]) == PRESETS["tiny"].epochs
    assert history["train_loss"][-1] < 0.8 * history["train_loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    # The metadata the shipped checkpoints must carry.
    for key in ("preset", "data_config", "corpus_sha256", "split_seed", "training_seconds", "machine", "test"):
        assert key in checkpoint.metadata, key
    assert len(checkpoint.metadata["corpus_sha256"]) == 64
    assert checkpoint.metadata["test"]["bleu_by_length"], "BLEU by length is recorded"
    assert checkpoint.metadata["test"]["beam_size"] == 1 and checkpoint.metadata["test_beam"]["beam_size"] == 4
    # The JSON beside the checkpoint holds the same metadata, readable without torch.
    assert json.loads(tiny_checkpoint.with_suffix(".json").read_text()) == checkpoint.metadata
    log = tiny_checkpoint.with_suffix(".log").read_text()
    assert "epoch 3/3: training loss" in log and "validation loss" in log


@pytest.mark.slow
def test_the_saved_checkpoint_is_float16_and_loads_as_float32(tiny_checkpoint):
    payload = torch.load(tiny_checkpoint, weights_only=True)
    assert all(t.dtype == torch.float16 for t in payload["state_dict"].values() if t.is_floating_point())
    model = load_checkpoint(tiny_checkpoint).model
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_presets_are_what_the_book_promises():
    d2l = PRESETS["d2l"]
    assert d2l.data == d2l_config() and d2l.epochs == 30 and d2l.lr == 0.005
    assert d2l.model == dict(embed_size=256, num_hiddens=256, num_layers=2, dropout=0.2, attention=True)
    attention, baseline = PRESETS["attention"], PRESETS["no-attention"]
    assert attention.model["attention"] and not baseline.model["attention"]
    # Same data, same size, same budget: only the decoder differs.
    assert attention.data == baseline.data and attention.epochs == baseline.epochs
    assert {k: v for k, v in attention.model.items() if k != "attention"} == \
        {k: v for k, v in baseline.model.items() if k != "attention"}


def test_rnnsearch_preset_is_the_papers_architecture_on_the_shipped_recipe():
    rnnsearch, attention = PRESETS["rnnsearch"], PRESETS["attention"]
    # The paper's three architectural choices: both directions, s_0 from <-h_1 (the encoder's
    # bridge, built when bidirectional) and a maxout deep output.
    assert rnnsearch.model["attention"] and rnnsearch.model["bidirectional"]
    assert rnnsearch.model["deep_output"] > 0
    # The paper's alignment model: scores start at 0, and no dropout on the weights.
    assert rnnsearch.model["attention_init"] == "paper" and rnnsearch.model["attention_dropout"] == 0.0
    # Everything else as the two other shipped models: same data and split, size and budget.
    assert rnnsearch.data == attention.data
    assert (rnnsearch.epochs, rnnsearch.lr, rnnsearch.lr_decay, rnnsearch.batch_size, rnnsearch.seed) == (
        attention.epochs, attention.lr, attention.lr_decay, attention.batch_size, attention.seed)
    same = ("embed_size", "num_hiddens", "num_layers", "dropout")
    assert {k: rnnsearch.model[k] for k in same} == {k: attention.model[k] for k in same}


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown preset 'big'"):
        train_preset("big")
    with pytest.raises(SystemExit):
        main(["--preset", "big"])


@pytest.mark.slow
def test_command_line_writes_a_checkpoint(real_corpus_path, tmp_path, capsys):
    main(["--preset", "tiny", "--epochs", "1", "--out", str(tmp_path), "--no-progress",
          "--data-dir", str(real_corpus_path.parent.parent)])
    printed = capsys.readouterr().out
    assert "epoch 1/1: training loss" in printed and "test BLEU" in printed
    metadata = read_checkpoint_metadata(tmp_path / "tiny.pt")
    assert metadata["metadata"]["preset"] == "tiny"


@pytest.mark.slow
def test_seed_changes_the_run_and_keeps_the_split(real_corpus_path, tmp_path, tiny_checkpoint):
    main(["--preset", "tiny", "--seed", "1", "--out", str(tmp_path), "--no-progress",
          "--data-dir", str(real_corpus_path.parent.parent)])
    other, first = (load_checkpoint(path) for path in (tmp_path / "tiny.pt", tiny_checkpoint))
    assert other.metadata["training"]["seed"] == 1 and first.metadata["training"]["seed"] == 0
    # Same split and test sentences: the data config, the split seed and the sizes are the preset's.
    for key in ("data_config", "split_seed", "num_train_pairs"):
        assert other.metadata[key] == first.metadata[key], key
    assert other.metadata["test"]["bleu_by_length"][0]["count"] == first.metadata["test"]["bleu_by_length"][0]["count"]
    # Another seed, other weights (the initialisation and the batch order changed).
    assert not torch.equal(other.model.state_dict()["decoder.dense.weight"],
                           first.model.state_dict()["decoder.dense.weight"])
