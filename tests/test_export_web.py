"""bahdanau.cli.export_web: the shipped models and their registry written out for the browser, and read back.

Python only; tests/test_browser_parity.py runs the files in Chromium.
"""

from __future__ import annotations

import subprocess
import sys
import warnings

import pytest
import torch

from bahdanau.cli.export_web import (
    REGISTRY_FILE,
    WEB_MODELS,
    dequantise,
    export_model,
    load_exported,
    model_file_name,
    quantise_rows,
    read_exported,
    read_registry,
    registry_document,
    tensor_dtype,
)
from bahdanau.data import EMPTY_INPUT_MESSAGE
from bahdanau.decoding import MAX_SRC_LEN, default_max_len
from bahdanau.pretrained import DEFAULT_MODEL, SHIPPED, UNKNOWN_WEB_MODEL_MESSAGE, load_pretrained

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
    assert config["name"] == name
    assert (config["pad"], config["bos"], config["eos"], config["unk"]) == (0, 1, 2, 3)
    assert not {"max_src_len", "max_len_per_src_token", "max_len_extra"} & set(config)  # the registry's


def test_registry_is_written_beside_the_models_and_states_pythons_facts(exported):
    folder = next(iter(exported.values())).parent
    registry = read_registry(folder / REGISTRY_FILE)
    assert registry == registry_document()
    assert registry["default"] == DEFAULT_MODEL == "rnnsearch-30"
    assert list(registry["models"]) == list(WEB_MODELS) == [model.name for model in SHIPPED if model.web]
    for name, entry in registry["models"].items():
        assert (folder / entry["file"]) == exported[name]
        limits = entry["limits"]
        assert limits["max_src_len"] == MAX_SRC_LEN == 50
        for src_len in (0, 1, 7, 50):  # default_max_len(src_len) = a * src_len + b
            assert limits["max_len_per_src_token"] * src_len + limits["max_len_extra"] == default_max_len(src_len)
    messages = registry["messages"]
    assert messages["empty_input"] == EMPTY_INPUT_MESSAGE
    assert messages["unknown_model"] == UNKNOWN_WEB_MODEL_MESSAGE


def test_registry_messages_are_the_ones_python_gives():
    """The templates the browser fills (models/registry.js), filled here as str.format does, are
    word for word what translate raises and warns; the browser's filling: test_browser_parity.py."""
    messages = registry_document()["messages"]
    translator = load_pretrained("attention")
    for text in ("", "  \t\n ", "\u3000\xa0"):
        with pytest.raises(ValueError) as raised:
            translator.translate(text)
        assert str(raised.value) == messages["empty_input"].format(where=messages["input_name"], text=text)
    words = ["the", "cat", "sat", "."] * 15  # 60 tokens
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        translator.translate(" ".join(words))
    assert [str(warning.message) for warning in caught] == [messages["truncated_input"].format(
        where=messages["input_name"], count=len(words), max_src_len=MAX_SRC_LEN)]
    with pytest.raises(ValueError) as raised:
        export_model("transformer", "unused")
    assert str(raised.value) == messages["unknown_model"].format(name="transformer", choices=", ".join(WEB_MODELS))


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
    model, src_vocab, tgt_vocab = load_exported(exported["rnnsearch-30"])
    original = load_pretrained("rnnsearch-30")
    sentences = ["I am cold.", "Thank you.", "We are happy.", "Tom is not here."]
    ours = [t.tokens for t in original.translate(sentences)]
    from bahdanau.decoding import translate

    theirs = [t.tokens for t in translate(model, sentences, src_vocab, tgt_vocab)]
    assert sum(a == b for a, b in zip(ours, theirs)) >= 3  # quantisation may change a word, rarely


def test_command_line_web_writes_every_web_model_and_the_registry(tmp_path):
    """What `make web-models` runs: the registry says which models."""
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "--web", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    for name in WEB_MODELS:
        path = tmp_path / model_file_name(name)
        assert path.is_file()
        assert f"{path}: " in result.stdout and " MB" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [REGISTRY_FILE, *(model_file_name(name) for name in WEB_MODELS)])
    assert f"{tmp_path / REGISTRY_FILE}: default {DEFAULT_MODEL}" in result.stdout


def test_command_line_exports_the_models_it_is_given(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "attention", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == [model_file_name("attention"), REGISTRY_FILE]


@pytest.mark.parametrize("arguments", [[], ["--web", "attention"]], ids=["neither", "both"])
def test_command_line_needs_names_or_web(tmp_path, arguments):
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", *arguments, str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "name the models to export, or give --web" in result.stderr
    assert not list(tmp_path.iterdir())


def test_command_line_rejects_an_unknown_name(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "transformer", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert "no browser export for a model named 'transformer'; choose one of attention, rnnsearch-30" in result.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["no-attention", "d2l", ""])
def test_export_model_rejects_what_the_browser_cannot_run(tmp_path, name):
    with pytest.raises(ValueError, match="choose one of attention, rnnsearch-30"):
        export_model(name, tmp_path)


def test_read_exported_rejects_another_file(tmp_path):
    path = tmp_path / "other.js"
    path.write_text("console.log('hello');\n")
    with pytest.raises(ValueError, match="not a model file written by bahdanau.cli.export_web"):
        read_exported(path)


def test_export_for_the_web_removes_the_files_of_models_it_no_longer_exports(tmp_path):
    stale = tmp_path / model_file_name("rnnsearch")  # a web model of an earlier registry
    stale.write_text("(window.bahdanauWebModels ||= {})['rnnsearch'] = {};\n")
    other = tmp_path / "notes.txt"
    other.write_text("not a model file")
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "--web", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and other.exists()
    assert f"{stale}: removed" in result.stdout
    assert sorted(path.name for path in tmp_path.glob(model_file_name("*"))) == sorted(
        model_file_name(name) for name in WEB_MODELS)
