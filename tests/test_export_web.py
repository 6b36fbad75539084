"""bahdanau.cli.export_web: the shipped models and their registry written out for the browser, and read back.

Python only; tests/test_browser_parity.py runs the files in Chromium. Each model is written as a
script and as a binary container: both read back to the same document. The size limit and the
record of the measured BLEU (bahdanau/pretrained/web_export.json) are checked on a fresh export;
the measurement itself is repeated by the slow test at the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
import torch

import bahdanau.cli.export_web
from bahdanau.cli.evaluate import QUALITY_MAX_LEN
from bahdanau.cli.export_web import (
    BINARY_MAGIC,
    MAX_BLEU_CHANGE,
    MAX_MODEL_BYTES,
    MEASURE_COMMAND,
    QUANTISATION,
    RECORD_BINARY_COMMAND,
    RECORD_FILE,
    REGISTRY_FILE,
    WEB_MODELS,
    binary_bytes,
    binary_file_name,
    check_export,
    dequantise,
    export_model,
    file_entry,
    file_sha256,
    load_exported,
    main,
    measure_export,
    model_file_name,
    quantise_rows,
    read_exported,
    read_record,
    read_registry,
    record_binary,
    record_path,
    registry_document,
    tensor_dtype,
    write_record,
)
from bahdanau.data import EMPTY_INPUT_MESSAGE
from bahdanau.decoding import MAX_SRC_LEN, default_max_len
from bahdanau.pretrained import DEFAULT_MODEL, SHIPPED, UNKNOWN_WEB_MODEL_MESSAGE, load_pretrained, recorded_metadata

# How far a re-measured BLEU may land from the recorded one: the same code on another CPU may
# round a few logits differently and flip a near-tie (tests/test_pretrained.py allows the same).
REMEASURE_BLEU_TOLERANCE = 0.1
# ... and so change a few more or fewer translations, as a share of the sentences.
REMEASURE_CHANGED_SHARE = 0.005


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Both models exported once: name -> the script's path (the binary container beside it)."""
    out_dir = tmp_path_factory.mktemp("web-models")
    return {name: export_model(name, out_dir) for name in WEB_MODELS}


def every_model_file(names=WEB_MODELS) -> list[str]:
    """What an export of ``names`` writes: the registry, and per model its script and its binary."""
    return sorted([REGISTRY_FILE, *(file(name) for name in names for file in (model_file_name, binary_file_name))])


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
def test_file_is_at_most_5_5_mb_and_registers_its_model(exported, name):
    path = exported[name]
    binary = path.with_name(binary_file_name(name))
    assert path.name == model_file_name(name) == f"bahdanau-model-{name}.js"
    assert binary.name == f"bahdanau-model-{name}.bin"
    size, binary_size = path.stat().st_size, binary.stat().st_size
    print(f"{name}: {size / 1e6:.2f} MB, binary {binary_size / 1e6:.2f} MB")
    assert size <= MAX_MODEL_BYTES == 5_500_000 and binary_size <= MAX_MODEL_BYTES
    # base64 adds a third to every byte of the tensors, which are nearly all of the file
    assert binary_size < 0.8 * size
    text = path.read_text(encoding="utf-8")
    assert f'(window.bahdanauWebModels ||= {{}})["{name}"] = {{' in text
    document = read_exported(path)
    assert set(document) == {"config", "srcVocab", "tgtVocab", "tensors"}
    config = document["config"]
    assert config["name"] == name
    assert (config["pad"], config["bos"], config["eos"], config["unk"]) == (0, 1, 2, 3)
    assert not {"max_src_len", "max_len_per_src_token", "max_len_extra"} & set(config)  # the registry's
    assert config["quantisation"] == QUANTISATION


def test_registry_is_written_beside_the_models_and_states_pythons_facts(exported):
    folder = next(iter(exported.values())).parent
    registry = read_registry(folder / REGISTRY_FILE)
    assert registry == registry_document()
    assert registry["default"] == DEFAULT_MODEL == "rnnsearch-30"
    assert list(registry["models"]) == list(WEB_MODELS) == [model.name for model in SHIPPED if model.web]
    assert registry["binary_magic"] == BINARY_MAGIC.decode("ascii") == "BAHDANAU"
    for name, entry in registry["models"].items():
        assert (folder / entry["file"]) == exported[name]
        assert entry["binary"] == binary_file_name(name) and (folder / entry["binary"]).is_file()
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
        assert dtype == tensor_dtype(weight) == ("int8" if weight.dim() == 2 else "float16")
        if dtype == "float16":  # exact: the checkpoints hold float16
            assert torch.equal(rebuilt[key], weight), key
        else:  # within half an int8 step of its row
            step = weight.abs().reshape(weight.shape[0], -1).amax(dim=1) / 127
            error = (rebuilt[key] - weight).abs().reshape(weight.shape[0], -1)
            assert bool((error <= step[:, None] / 2 + 1e-6).all()), key
    assert not model.training


@pytest.mark.parametrize("name", WEB_MODELS)
def test_both_files_hold_the_same_document_and_give_the_same_model(exported, name):
    """read_exported and load_exported read the binary container (by its suffix) as the script:
    the same config, vocabularies and stored bytes, so the same weights, bit for bit."""
    script, binary = exported[name], exported[name].with_name(binary_file_name(name))
    ours, theirs = read_exported(binary), read_exported(script)
    assert ours["config"] == theirs["config"] and ours["config"]["name"] == name
    assert ours["srcVocab"] == theirs["srcVocab"] and ours["tgtVocab"] == theirs["tgtVocab"]
    assert ours["tensors"].keys() == theirs["tensors"].keys()
    for key, entry in ours["tensors"].items():
        assert entry == theirs["tensors"][key], key  # shape, dtype, the bytes of q or the vector, the scales
    assert ours == theirs
    model, src_vocab, tgt_vocab = load_exported(binary)
    reference, reference_src, reference_tgt = load_exported(script)
    assert src_vocab == reference_src and tgt_vocab == reference_tgt
    rebuilt, expected = model.state_dict(), reference.state_dict()
    assert rebuilt.keys() == expected.keys()
    for key, weight in expected.items():
        assert torch.equal(rebuilt[key], weight), key


@pytest.mark.parametrize("name", WEB_MODELS)
def test_binary_container_is_laid_out_as_documented(exported, name):
    """magic, uint32 LE header length, JSON header, zero padding to 4 bytes, then each tensor's
    bytes at a multiple of 4 from there (typed-array views need it), nothing overlapping."""
    data = exported[name].with_name(binary_file_name(name)).read_bytes()
    assert data[:8] == BINARY_MAGIC
    size = int.from_bytes(data[8:12], "little")
    header = json.loads(data[12:12 + size].decode("utf-8"))
    assert set(header) == {"config", "srcVocab", "tgtVocab", "tensors"}
    start = 12 + size + (-(12 + size) % 4)
    assert start % 4 == 0 and data[12 + size:start] == bytes(start - 12 - size)
    spans = []
    for key, placed in header["tensors"].items():
        numbers = 1
        for length in placed["shape"]:
            numbers *= length
        itemsize = {"int8": 1, "float16": 2}[placed["dtype"]]
        assert placed["length"] == numbers * itemsize, key
        spans.append((placed["offset"], placed["offset"] + placed["length"]))
        if placed["dtype"] == "int8":
            spans.append((placed["scale_offset"], placed["scale_offset"] + 4 * placed["shape"][0]))
        else:
            assert "scale_offset" not in placed, key
    spans.sort()
    assert all(begin % 4 == 0 for begin, _ in spans)
    assert all(end <= next_begin for (_, end), (next_begin, _) in zip(spans, spans[1:]))
    assert start + spans[-1][1] <= len(data) < start + spans[-1][1] + 4  # padded at most to 4 bytes


def test_binary_container_round_trip_on_a_small_document(tmp_path):
    """Odd lengths (6 bytes of int8, 3 float16) are padded, non-ASCII text survives the header."""
    document = {"config": {"name": "x", "text": "é ü 中"}, "srcVocab": ["<pad>", "là"], "tgtVocab": ["a"],
                "tensors": {"w": {"shape": [2, 3], "dtype": "int8", "scale": b"\x00\x00\x80?" * 2,
                                  "data": bytes([1, 2, 3, 4, 5, 6])},
                            "b": {"shape": [3], "dtype": "float16", "data": bytes([1, 2, 3, 4, 5, 6])}}}
    path = tmp_path / "small.bin"
    path.write_bytes(binary_bytes(document))
    assert path.read_bytes().startswith(BINARY_MAGIC) and path.stat().st_size % 4 == 0
    assert read_exported(path) == document


def test_read_exported_rejects_a_binary_of_another_kind(tmp_path):
    path = tmp_path / "other.bin"
    path.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ValueError, match="not a model file written by bahdanau.cli.export_web"):
        read_exported(path)


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
        # its size and the BLEU the record measured on this very file
        line = next(line for line in result.stdout.splitlines() if line.startswith(f"{path}: "))
        assert f" MB, {binary_file_name(name)} " in line and " MB (limit 5.50)" in line
        assert "greedy test BLEU" in line and f"({RECORD_FILE})" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == every_model_file()
    assert f"{tmp_path / REGISTRY_FILE}: default {DEFAULT_MODEL}" in result.stdout


def test_command_line_exports_the_models_it_is_given(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "attention", str(tmp_path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == every_model_file(["attention"])


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
    stale_binary = tmp_path / binary_file_name("rnnsearch")
    stale_binary.write_bytes(BINARY_MAGIC)
    other = tmp_path / "notes.txt"
    other.write_text("not a model file")
    result = subprocess.run([sys.executable, "-m", "bahdanau.cli.export_web", "--web", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert not stale.exists() and not stale_binary.exists() and other.exists()
    assert f"{stale}: removed" in result.stdout and f"{stale_binary}: removed" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([*every_model_file(), other.name])


# ----------------------------------------------------------------------------------------------
# The record of the measured BLEU (bahdanau/pretrained/web_export.json) and the limits
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WEB_MODELS)
def test_the_record_measured_this_very_file_within_the_limits(exported, name):
    """What the plain export checks, on a fresh export: the record is of these files, byte for byte."""
    entry = check_export(name, exported[name], read_record())
    assert entry["file"] == model_file_name(name)
    assert entry["bytes"] == exported[name].stat().st_size <= MAX_MODEL_BYTES
    assert entry["sha256"] == file_sha256(exported[name])
    binary = exported[name].with_name(binary_file_name(name))
    assert entry["binary"] == file_entry(binary)
    assert entry["binary"]["file"] == binary_file_name(name)
    assert entry["binary"]["bytes"] == binary.stat().st_size <= MAX_MODEL_BYTES
    assert entry["quantisation"] == QUANTISATION
    assert abs(entry["exported_bleu"] - entry["checkpoint_bleu"]) <= MAX_BLEU_CHANGE == 0.5
    assert entry["max_len"] == QUALITY_MAX_LEN
    # the checkpoint's BLEU is the test_bleu its metadata records: the same sentences, the same scoring
    test = recorded_metadata(name)["test"]
    assert abs(entry["checkpoint_bleu"] - test["test_bleu"]) <= REMEASURE_BLEU_TOLERANCE
    assert entry["num_sentences"] == test["num_sentences"]
    assert 0 <= entry["changed_translations"] <= entry["num_sentences"] < entry["num_sentences_all_lengths"]
    print(f"{name}: {entry['bytes']:,} bytes ({entry['gzip_bytes']:,} gzipped), binary {entry['binary']['bytes']:,} "
          f"({entry['binary']['gzip_bytes']:,}), BLEU {entry['checkpoint_bleu']:.2f}"
          f" -> {entry['exported_bleu']:.2f}, {entry['changed_translations']} of {entry['num_sentences']} changed")


def test_the_record_lists_every_web_model_and_nothing_else():
    assert list(read_record()["models"]) == list(WEB_MODELS)
    assert record_path().name == RECORD_FILE and record_path().parent.name == "pretrained"


def test_check_export_refuses_an_unmeasured_file_a_large_file_and_a_bleu_drop(exported, tmp_path, monkeypatch):
    name = DEFAULT_MODEL
    record = read_record()
    entry = record["models"][name]
    with pytest.raises(ValueError, match=f"BLEU was never measured; run `{MEASURE_COMMAND}`"):
        check_export(name, exported[name], {"models": {}})
    changed = tmp_path / model_file_name(name)
    changed.write_bytes(exported[name].read_bytes().replace(b'"description":"', b'"description":"!', 1))
    binary = exported[name].with_name(binary_file_name(name))
    changed.with_name(binary.name).write_bytes(binary.read_bytes())
    with pytest.raises(ValueError, match=f"not the file {RECORD_FILE} measured"):
        check_export(name, changed, record)
    dropped = {**entry, "exported_bleu": entry["checkpoint_bleu"] - MAX_BLEU_CHANGE - 0.01}
    with pytest.raises(ValueError, match=f"more than the {MAX_BLEU_CHANGE} allowed"):
        check_export(name, exported[name], {"models": {name: dropped}})
    other_binary = {**entry, "binary": {**entry["binary"], "sha256": "0" * 64}}
    with pytest.raises(ValueError, match=f"not the file {RECORD_FILE} recorded .*run `{RECORD_BINARY_COMMAND}`"):
        check_export(name, exported[name], {"models": {name: other_binary}})
    monkeypatch.setattr(bahdanau.cli.export_web, "MAX_MODEL_BYTES", entry["bytes"] - 1)
    with pytest.raises(ValueError, match=f"{exported[name].name}: .* bytes, over the limit of"):
        check_export(name, exported[name], record)
    # the binary alone over the limit
    large = tmp_path / "large"
    large.mkdir()
    (large / exported[name].name).write_bytes(exported[name].read_bytes())
    (large / binary.name).write_bytes(binary.read_bytes() + bytes(entry["bytes"]))
    monkeypatch.setattr(bahdanau.cli.export_web, "MAX_MODEL_BYTES", entry["bytes"])
    with pytest.raises(ValueError, match=f"{binary.name}: .* bytes, over the limit of"):
        check_export(name, large / exported[name].name, record)


def test_record_binary_records_only_the_binary_of_a_measured_script(exported, tmp_path, monkeypatch):
    """--record-binary: no BLEU measured, so only for the script the record measured, and a binary
    holding its very document; the other fields of the entry stay as they were."""
    path = tmp_path / RECORD_FILE
    record = read_record()
    stale = {name: {**entry, "binary": {"file": "old.bin", "bytes": 1, "gzip_bytes": 1, "sha256": "0" * 64}}
             for name, entry in record["models"].items()}
    path.write_text(json.dumps({"models": stale}), encoding="utf-8")
    monkeypatch.setattr(bahdanau.cli.export_web, "record_path", lambda: path)
    record_binary(exported)
    assert json.loads(path.read_text(encoding="utf-8"))["models"] == record["models"]
    # a script the record did not measure: refused, nothing written
    moved = {**record["models"][DEFAULT_MODEL], "sha256": "0" * 64}
    path.write_text(json.dumps({"models": {DEFAULT_MODEL: moved}}), encoding="utf-8")
    with pytest.raises(ValueError, match=f"not the file {RECORD_FILE} measured; run `{MEASURE_COMMAND}`"):
        record_binary({DEFAULT_MODEL: exported[DEFAULT_MODEL]})
    assert json.loads(path.read_text(encoding="utf-8"))["models"] == {DEFAULT_MODEL: moved}
    # a binary that is not the script's document: refused
    folder = tmp_path / "copy"
    folder.mkdir()
    script = folder / model_file_name(DEFAULT_MODEL)
    script.write_bytes(exported[DEFAULT_MODEL].read_bytes())
    other = read_exported(exported[DEFAULT_MODEL].with_name(binary_file_name(DEFAULT_MODEL)))
    other["config"]["description"] += "!"
    (folder / binary_file_name(DEFAULT_MODEL)).write_bytes(binary_bytes(other))
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(ValueError, match=f"not the document of {script.name}"):
        record_binary({DEFAULT_MODEL: script})


def test_command_line_fails_loudly_when_the_record_is_stale(tmp_path, monkeypatch, capsys):
    """The export still writes every file, then says which one the record did not measure, and fails."""
    record = read_record()
    stale = {"models": {**record["models"], "attention": {**record["models"]["attention"], "sha256": "0" * 64}}}
    monkeypatch.setattr(bahdanau.cli.export_web, "read_record", lambda: stale)
    with pytest.raises(SystemExit) as exited:
        main(["--web", str(tmp_path)])
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert err == (f"error: {tmp_path / model_file_name('attention')}: not the file {RECORD_FILE} measured "
                   f"(another SHA-256); run `{MEASURE_COMMAND}` (needs the corpus)\n")
    assert f"{tmp_path / model_file_name('rnnsearch-30')}: " in out  # the other model is fine
    assert all((tmp_path / model_file_name(name)).is_file() for name in WEB_MODELS)


def test_write_record_keeps_the_other_models_entries(tmp_path, monkeypatch):
    path = tmp_path / RECORD_FILE
    monkeypatch.setattr(bahdanau.cli.export_web, "record_path", lambda: path)
    write_record({"rnnsearch-30": {"bytes": 2}, "attention": {"bytes": 1}})
    write_record({"rnnsearch-30": {"bytes": 3}})
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["models"] == {"attention": {"bytes": 1}, "rnnsearch-30": {"bytes": 3}}  # the registry's order
    assert MEASURE_COMMAND in record["note"]


@pytest.mark.slow  # greedy decoding of both test splits, by the exported weights and the checkpoint's: minutes
@pytest.mark.parametrize("name", WEB_MODELS)
def test_remeasured_bleu_is_the_recorded_one(exported, name, real_corpus_path, shipped_test_translations):
    entry = read_record()["models"][name]
    # The checkpoint's decoding is made once per run, for test_pretrained.py's re-measured BLEU too.
    again = measure_export(name, exported[name], corpus_path=real_corpus_path,
                           shipped=shipped_test_translations(name))
    assert again["sha256"] == entry["sha256"] and again["bytes"] == entry["bytes"]
    for key in ("checkpoint_bleu", "exported_bleu"):
        assert abs(again[key] - entry[key]) <= REMEASURE_BLEU_TOLERANCE, key
    for key, total in (("changed_translations", "num_sentences"),
                       ("changed_translations_all_lengths", "num_sentences_all_lengths")):
        assert again[total] == entry[total]
        assert abs(again[key] - entry[key]) <= REMEASURE_CHANGED_SHARE * entry[total], key
    assert abs(again["exported_bleu"] - again["checkpoint_bleu"]) <= MAX_BLEU_CHANGE
