"""bahdanau.export_web: the shipped models written out for the browser, and read back.

Python only; tests/test_browser_parity.py runs the files in Chromium.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from bahdanau.export_web import (
    WEB_MODELS,
    dequantise,
    export_model,
    load_exported,
    model_file_name,
    quantise_rows,
    read_exported,
    tensor_dtype,
)
from bahdanau.pretrained import load_pretrained

MAX_BYTES = 10_000_000


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Both models exported once: name -> path."""
    out_dir = tmp_path_factory.mktemp("web-models")
    return {name: export_model(name, out_dir) for name in WEB_MODELS}


def test_quantisation_is_symmetric_per_row_and_within_half_a_step():
    torch.manual_seed(0)
    weight = torch.randn(7, 33) * torch.logspace(-3, 1, 7)[:, None]  # rows of very different sizes
    weight[3] = 0.0
    q, scale = quantise_rows(weight)
    assert q.dtype == torch.int8 and scale.shape == (7,)
    assert int(q.abs().max()) == 127
    assert bool((q[3] == 0).all())
    error = (dequantise(q, scale) - weight).abs()
    assert bool((error <= scale[:, None] / 2 + 1e-7).all())


@pytest.mark.parametrize("name", WEB_MODELS)
def test_file_is_at_most_10_mb_and_registers_its_model(exported, name):
    path = exported[name]
    assert path.name == model_file_name(name) == f"bahdanau-model-{name}.js"
    size = path.stat().st_size
    print(f"{name}: {size / 1e6:.2f} MB")
    assert size <= MAX_BYTES
    text = path.read_text(encoding="utf-8")
    assert f'(window.bahdanauWebModels ||= {{}})["{name}"] = {{' in text
    document = read_exported(path)
    assert set(document) == {"config", "srcVocab", "tgtVocab", "tensors"}
    config = document["config"]
    assert config["name"] == name and config["max_src_len"] == 50
    assert (config["max_len_per_src_token"], config["max_len_extra"]) == (2, 5)  # default_max_len
    assert (config["pad"], config["bos"], config["eos"], config["unk"]) == (0, 1, 2, 3)


@pytest.mark.parametrize("name", WEB_MODELS)
def test_round_trip_keeps_shapes_vocabularies_and_weights(exported, name):
    original = load_pretrained(name)
    model, src_vocab, tgt_vocab = load_exported(exported[name])
    assert src_vocab == original.src_vocab and tgt_vocab == original.tgt_vocab
    document = read_exported(exported[name])
    assert document["srcVocab"] == original.src_vocab.idx_to_token
    reference = original.model.state_dict()
    rebuilt = model.state_dict()
    assert rebuilt.keys() == reference.keys()
    for key, weight in reference.items():
        assert rebuilt[key].shape == weight.shape, key
        assert document["tensors"][key]["shape"] == list(weight.shape)
        dtype = document["tensors"][key]["dtype"]
        assert dtype == tensor_dtype(key, weight) == ("int8" if "embedding" in key else
                                                       "float16" if weight.dim() == 2 else "float32")
        if dtype != "int8":  # float16 and float32 are exact: the checkpoints hold float16
            assert torch.equal(rebuilt[key], weight), key
        else:  # within half an int8 step of its row
            step = weight.abs().reshape(weight.shape[0], -1).amax(dim=1) / 127
            error = (rebuilt[key] - weight).abs().reshape(weight.shape[0], -1)
            assert bool((error <= step[:, None] / 2 + 1e-6).all()), key
    assert not model.training


def test_exported_model_still_translates(exported):
    model, src_vocab, tgt_vocab = load_exported(exported["rnnsearch"])
    original = load_pretrained("rnnsearch")
    sentences = ["I am cold.", "Thank you.", "We are happy.", "Tom is not here."]
    ours = [t.tokens for t in original.translate(sentences)]
    from bahdanau.decoding import translate

    theirs = [t.tokens for t in translate(model, sentences, src_vocab, tgt_vocab)]
    assert sum(a == b for a, b in zip(ours, theirs)) >= 3  # quantisation may change a word, rarely


def test_command_line_writes_both_files_and_prints_their_sizes(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bahdanau.export_web", "attention", "rnnsearch", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for name in WEB_MODELS:
        path = tmp_path / model_file_name(name)
        assert path.is_file()
        assert f"{path}: " in result.stdout and " MB" in result.stdout


def test_command_line_rejects_an_unknown_name(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bahdanau.export_web", "transformer", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "no browser export for a model named 'transformer'; choose one of attention, rnnsearch" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["no-attention", "d2l", ""])
def test_export_model_rejects_what_the_browser_cannot_run(tmp_path, name):
    with pytest.raises(ValueError, match="choose one of attention, rnnsearch"):
        export_model(name, tmp_path)


def test_read_exported_rejects_another_file(tmp_path):
    path = tmp_path / "other.js"
    path.write_text("console.log('hello');\n")
    with pytest.raises(ValueError, match="not a model file written by bahdanau.export_web"):
        read_exported(path)
