"""The shipped attention models, written out for the reader's browser (``book/_static/bahdanau-web.js``).

Run ``python -m bahdanau.cli.export_web --web OUT_DIR`` (what ``make web-models`` runs): every
model the registry (:data:`bahdanau.pretrained.SHIPPED`) marks for the browser, or
``python -m bahdanau.cli.export_web NAME [NAME ...] OUT_DIR`` for some of them. Every model is
written twice, one document in two containers: a browser refuses to ``fetch`` a ``file://`` URL,
but it still runs a ``<script>`` tag, so a page opened from disk loads a JavaScript file that
registers the document, its tensors in base64; a page served over http(s) fetches the same
document as raw bytes, a quarter smaller (base64 adds a third to every byte):

- ``OUT_DIR/registry.js`` (:func:`write_registry`, written by every export): the registry, so that
  the JavaScript never repeats a fact of Python's::

    window.bahdanauWebRegistry = {default, models: {NAME: {file, binary, limits}}, messages, binary_magic, ...};

  ``default`` is :data:`~bahdanau.pretrained.DEFAULT_MODEL`; per model its two files' names
  (``file``, the script; ``binary``, the binary container) and its limits: the source limit
  ``max_src_len`` (:class:`~bahdanau.pretrained.ShippedModel`) and the output limit
  ``max_len_per_src_token * src_len + max_len_extra`` (:func:`~bahdanau.decoding.default_max_len`);
  ``messages``: Python's own message templates (``str.format`` syntax) for empty input, input cut
  to ``max_src_len``, an unknown model name and an invalid attention override
  (:data:`~bahdanau.decoding.OVERRIDE_MESSAGES`); ``override_tolerance``, how far from 1 an
  override's weights may sum; ``binary_magic``, how a binary container starts (:data:`BINARY_MAGIC`).
- ``OUT_DIR/bahdanau-model-NAME.js`` (:func:`export_model`), one per model::

    (window.bahdanauWebModels ||= {})["NAME"] = {config, srcVocab, tgtVocab, tensors};

  ``config``: the :class:`~bahdanau.models.ModelConfig` fields, the special tokens' indices,
  the test BLEU; ``srcVocab``, ``tgtVocab``: the token lists in index order; ``tensors``: the
  state dict, each tensor ``{shape, dtype, data}`` with ``data`` base64 of little-endian bytes
  (:func:`tensor_dtype`). Every matrix is ``int8``, quantised symmetrically per row
  (:func:`quantise_rows`; a row is one output unit: a token of an embedding or of the output
  layer, a gate unit of a GRU, an output of a Linear layer): ``w[r, :] = scale[r] * q[r, :]``
  with ``scale[r] = max_c |w[r, c]| / 127``, the float32 scales in ``scale`` (base64 too). The
  vectors (biases) are ``float16``, the precision the shipped checkpoints store: exact.
- ``OUT_DIR/bahdanau-model-NAME.bin`` (:func:`export_model` too), the same document as a binary
  container, which bahdanau-web.js reads into typed arrays without a copy (:func:`binary_bytes`)::

    magic      8 bytes   b"BAHDANAU" (BINARY_MAGIC)
    n          4 bytes   uint32, little-endian: the header's length in bytes
    header     n bytes   UTF-8 JSON: {config, srcVocab, tgtVocab, tensors}
    padding              zero bytes, up to a multiple of 4 bytes from the file's start
    data                 the tensors' bytes, little-endian, each starting at a multiple of 4

  ``config``, ``srcVocab``, ``tgtVocab`` as in the script; ``tensors``: per key
  ``{shape, dtype, offset, length}``, ``offset`` and ``length`` the bytes of ``q`` (``int8``) or of
  the vector (``float16``), counted from the start of ``data``, and for ``int8`` ``scale_offset``,
  where its ``shape[0]`` float32 scales start. Offsets count from ``data``, not from the file, so
  that the header need not know its own length; the 4-byte alignment lets a ``Float32Array`` (the
  scales) and a ``Uint16Array`` (float16) view the bytes where they lie.

:func:`read_exported` and :func:`load_exported` read either file (by its suffix), to the same
document and the same model.

Limits: files of at most :data:`MAX_MODEL_BYTES` (5.5 MB), what a reader downloads, and a greedy
test BLEU within :data:`MAX_BLEU_CHANGE` (0.5) of the shipped checkpoint's. ``--measure``
(:func:`measure_export`, minutes, needs the corpus) translates the checkpoint's test split with
the checkpoint and with the exported file (:func:`load_exported`), scores both as the
checkpoint's recorded ``test_bleu`` is scored (:mod:`bahdanau.cli.evaluate`), and records the
figures with both files' sizes and SHA-256 in ``bahdanau/pretrained/web_export.json``
(:func:`write_record`). Every export, ``make book``'s included, prints the recorded figures and
fails (exit status 1, after writing the files) when a file is over the size limit, when the
record's BLEU is outside its limit, or when the record is not of these very files
(:func:`check_export`): then run ``--measure`` again, or, when only the binary container changed
(the script is the one measured, so the weights are), ``--record-binary`` (:func:`record_binary`:
seconds, no corpus), which records the binary's size and SHA-256 once it has checked that it
holds the script's very document.

Why every matrix in int8: the script's base64 adds a third to every byte, so float16 throughout
would make ``rnnsearch-30`` (3.9 million numbers) a 10.5 MB script; with int8 embeddings and
float16 elsewhere it was 8.7 MB (``attention``: 8.3 MB). With every matrix in int8 (measured,
greedy, on the 5,253 test sentences of at most 10 tokens; gzip -9 in brackets):

============  =================  =================  ===============  ==============  ======================
model         script (file://)   binary (http)      BLEU checkpoint  BLEU exported   translations changed
============  =================  =================  ===============  ==============  ======================
attention     5.22 MB (3.86)     3.94 MB (3.61)     36.51            36.50 (-0.002)  229 (304 of 5,928 all)
rnnsearch-30  5.43 MB (4.02)     4.10 MB (3.75)     44.25            44.24 (-0.018)  167 (478 of 8,436 all)
============  =================  =================  ===============  ==============  ======================

The binary is what a page of the book served over http(s) downloads, 1.3 MB less than the
script (``book/bench_web.py`` weighs the pages).

int8 moves a weight by at most half a step of its row, ``scale[r] / 2``: a few translations
in a hundred change, and BLEU by a few hundredths (int8 embeddings alone: ``rnnsearch-30``
-0.06, 65 changed). No matrix needs float16 for the BLEU limit, and hardly any fits in the
size limit: float16 costs 4/3 of a byte more per number, 86 KB for the attention's ``W_q``
(256 x 256), more than ``rnnsearch-30``'s 66 KB to spare (for ``attention``, ``W_q`` and ``W_k``
in float16 changed 212 translations instead of 229); only ``w_v`` (1 x 256) would fit, and
changed 163 instead of 167. float16 scales would save 59 KB (1%) for a looser bound (measured:
-0.037 BLEU instead of -0.018 for ``rnnsearch-30``). The vocabularies take 0.12 MB of each
file, the scales 0.11 to 0.12 MB.

The browser must agree with PyTorch on the *exported* weights: :func:`load_exported` rebuilds
the PyTorch model from the file (dequantised), which is what ``tests/test_browser_parity.py``
compares the browser against.

Shapes: V vocabulary size, E embedding size, H hidden size.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import struct
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import torch

from ..data import BOS_INDEX, EMPTY_INPUT_MESSAGE, EOS_INDEX, INPUT_NAME, PAD_INDEX, UNK_INDEX, Vocab, held_out_pairs
from ..decoding import OVERRIDE_MESSAGES, OVERRIDE_TOLERANCE, TRUNCATED_INPUT_MESSAGE, default_max_len
from ..download import DATA_DIR_HELP
from ..metrics import corpus_bleu_with_signature
from ..models import EncoderDecoder, ModelConfig, make_model
from ..pretrained import DEFAULT_MODEL, UNKNOWN_WEB_MODEL_MESSAGE, WEB_MODELS, pretrained_path, shipped_model
from ..training import load_checkpoint
from .evaluate import QUALITY_MAX_LEN, TranslatedTestSet, translate_test_set

__all__ = ["WEB_MODELS", "REGISTRY_FILE", "TRUNCATED_INPUT_MESSAGE", "MAX_MODEL_BYTES", "MAX_BLEU_CHANGE",
           "QUANTISATION", "RECORD_FILE", "MEASURE_COMMAND", "RECORD_BINARY_COMMAND", "BINARY_MAGIC",
           "model_file_name", "binary_file_name", "tensor_dtype", "quantise_rows", "dequantise", "binary_bytes",
           "registry_document", "write_registry", "read_registry", "export_model", "export_web_models",
           "remove_stale_models", "read_exported", "load_exported", "file_sha256", "file_entry", "measure_export",
           "record_path", "read_record", "write_record", "record_binary", "check_export", "format_entry", "main"]

# One int8 step is scale = max |w| / 127 of its row.
INT8_MAX = 127
# The two limits of an exported model: its file's size, what a reader downloads, and how far its
# greedy test BLEU (measured by --measure) may move from the shipped checkpoint's, either way.
MAX_MODEL_BYTES = 5_500_000
MAX_BLEU_CHANGE = 0.5
# How every model is stored (tensor_dtype); the model files' config and the record say it.
QUANTISATION = "matrices int8, one float32 scale per row; vectors float16"
# The record of the measurements (write_record), beside the shipped checkpoints.
RECORD_FILE = "web_export.json"
_RECORD_SHOWN = f"bahdanau/pretrained/{RECORD_FILE}"  # how messages name it: no machine path
MEASURE_COMMAND = "python -m bahdanau.cli.export_web --web OUT_DIR --measure"
RECORD_BINARY_COMMAND = "python -m bahdanau.cli.export_web --web OUT_DIR --record-binary"
# The binary container (module docstring): its first bytes, then the header's length (uint32,
# little-endian); every part of it starts at a multiple of _ALIGNMENT bytes.
BINARY_MAGIC = b"BAHDANAU"
_LENGTH = struct.Struct("<I")
_ALIGNMENT = 4
# The registry's file, beside the models' (bahdanau-web.js loads it first).
REGISTRY_FILE = "registry.js"
# The fixed text around the JSON: read_exported and read_registry read a file back by cutting it off.
_MODELS_GLOBAL = "window.bahdanauWebModels"
_REGISTRY_GLOBAL = "window.bahdanauWebRegistry"
_HEADER = "// Written by `python -m bahdanau.cli.export_web`; a build output, never edited by hand.\n"


def model_file_name(name: str) -> str:
    """``bahdanau-model-NAME.js``: the file bahdanau-web.js loads for model ``name`` from ``file://``."""
    return f"bahdanau-model-{name}.js"


def binary_file_name(name: str) -> str:
    """``bahdanau-model-NAME.bin``: the binary container bahdanau-web.js fetches over http(s)."""
    return f"bahdanau-model-{name}.bin"


def _check_name(name: str) -> None:
    if name not in WEB_MODELS:
        raise ValueError(UNKNOWN_WEB_MODEL_MESSAGE.format(name=name, choices=", ".join(WEB_MODELS)))


def quantise_rows(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 quantisation, one float32 scale per row: (R, C) -> q (R, C) int8, scale (R,).

    ``scale[r] = max_c |w[r, c]| / 127`` (1 for an all-zero row), ``q = round(w / scale)``, so
    ``|w - scale * q| <= scale / 2`` everywhere.
    """
    weight = weight.detach().float().reshape(weight.shape[0], -1)  # (R, C)
    scale = weight.abs().amax(dim=1) / INT8_MAX  # (R,)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    q = torch.round(weight / scale[:, None]).clamp(-INT8_MAX, INT8_MAX).to(torch.int8)
    return q, scale


def dequantise(q: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """``w[r, :] = scale[r] * q[r, :]`` in float32: the weights both PyTorch and the browser use."""
    return q.float() * scale[:, None]


def _le_bytes(tensor: torch.Tensor) -> bytes:
    """The tensor's bytes, little-endian, row-major: what both containers store."""
    array = tensor.detach().contiguous().numpy()
    return array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()


def tensor_dtype(tensor: torch.Tensor) -> str:
    """How a tensor of the state dict is stored: ``int8`` (a matrix) or ``float16`` (a vector).

    Every matrix in int8, one row per output unit (a token of an embedding or of the output
    layer, a gate unit of a GRU, an output of a Linear layer); the vectors (biases, a few
    thousand numbers) in float16, which is exact, as the shipped checkpoints hold float16.
    The module docstring says why no matrix stays float16.
    """
    return "int8" if tensor.dim() >= 2 else "float16"


def _stored_tensor(tensor: torch.Tensor) -> dict[str, Any]:
    """A tensor as both containers store it: ``{shape, dtype, data, scale (int8 only)}``, bytes."""
    dtype = tensor_dtype(tensor)
    if dtype == "int8":
        q, scale = quantise_rows(tensor)
        return {"shape": list(tensor.shape), "dtype": "int8", "scale": _le_bytes(scale), "data": _le_bytes(q)}
    return {"shape": list(tensor.shape), "dtype": dtype, "data": _le_bytes(tensor.to(getattr(torch, dtype)))}


def _decode_tensor(entry: dict[str, Any]) -> torch.Tensor:
    """A stored tensor (:func:`_stored_tensor`) as the float32 weights both PyTorch and the browser use."""
    shape = entry["shape"]
    if entry["dtype"] == "int8":
        q = torch.frombuffer(bytearray(entry["data"]), dtype=torch.int8).reshape(shape[0], -1)
        scale = torch.frombuffer(bytearray(entry["scale"]), dtype=torch.float32)
        return dequantise(q, scale).reshape(shape)
    if entry["dtype"] in ("float16", "float32"):
        return torch.frombuffer(bytearray(entry["data"]), dtype=getattr(torch, entry["dtype"])).reshape(shape).float()
    raise ValueError(f"unknown tensor dtype {entry['dtype']!r}")


def _script_tensor(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored tensor as the script holds it: its bytes in base64, the text atob() reads back."""
    return {key: base64.b64encode(value).decode("ascii") if isinstance(value, bytes) else value
            for key, value in entry.items()}


def _padding(size: int) -> bytes:
    return bytes(-size % _ALIGNMENT)


def binary_bytes(document: dict[str, Any]) -> bytes:
    """The binary container (module docstring) of a document whose tensors are stored bytes."""
    data = bytearray()
    tensors = {}
    for key, entry in document["tensors"].items():
        placed = {"shape": entry["shape"], "dtype": entry["dtype"], "offset": len(data), "length": len(entry["data"])}
        data += entry["data"] + _padding(len(entry["data"]))
        if "scale" in entry:
            placed["scale_offset"] = len(data)
            data += entry["scale"] + _padding(len(entry["scale"]))
        tensors[key] = placed
    header = json.dumps({**document, "tensors": tensors}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    start = len(BINARY_MAGIC) + _LENGTH.size + len(header)
    return b"".join([BINARY_MAGIC, _LENGTH.pack(len(header)), header, _padding(start), bytes(data)])


def _read_binary(data: bytes, path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document of a binary container, its tensors' bytes cut out of ``data``."""
    begin = len(BINARY_MAGIC) + _LENGTH.size
    if len(data) < begin or not data.startswith(BINARY_MAGIC):
        raise ValueError(f"{path} is not a model file written by bahdanau.cli.export_web")
    (size,) = _LENGTH.unpack_from(data, len(BINARY_MAGIC))
    document = json.loads(data[begin:begin + size].decode("utf-8"))
    start = begin + size + len(_padding(begin + size))
    tensors = {}
    for key, placed in document["tensors"].items():
        entry = {"shape": placed["shape"], "dtype": placed["dtype"],
                 "data": data[start + placed["offset"]:start + placed["offset"] + placed["length"]]}
        if "scale_offset" in placed:  # one float32 per row
            scale = start + placed["scale_offset"]
            entry["scale"] = data[scale:scale + 4 * placed["shape"][0]]
        tensors[key] = entry
    return {**document, "tensors": tensors}


def _web_config(name: str, model_config: ModelConfig, metadata: dict[str, Any]) -> dict[str, Any]:
    """What bahdanau-web.js needs besides the weights: sizes, specials; and what a page may show."""
    test = metadata.get("test", {})
    return {
        "name": name,
        **model_config.to_dict(),
        "pad": PAD_INDEX, "bos": BOS_INDEX, "eos": EOS_INDEX, "unk": UNK_INDEX,
        "test_bleu": test.get("test_bleu"),
        "description": metadata.get("description", ""),
        "quantisation": QUANTISATION,
    }


def registry_document() -> dict[str, Any]:
    """The registry as the browser reads it (``window.bahdanauWebRegistry``): see the module docstring."""
    # default_max_len(src_len) = a * src_len + b, src_len without <eos>
    per_token, extra = default_max_len(1) - default_max_len(0), default_max_len(0)
    return {
        "default": DEFAULT_MODEL,
        "models": {
            name: {
                "file": model_file_name(name),
                "binary": binary_file_name(name),
                "limits": {"max_src_len": shipped_model(name).max_src_len,
                           "max_len_per_src_token": per_token, "max_len_extra": extra},
            }
            for name in WEB_MODELS
        },
        "messages": {
            "input_name": INPUT_NAME,
            "empty_input": EMPTY_INPUT_MESSAGE,
            "truncated_input": TRUNCATED_INPUT_MESSAGE,
            "unknown_model": UNKNOWN_WEB_MODEL_MESSAGE,
            **OVERRIDE_MESSAGES,
        },
        "override_tolerance": OVERRIDE_TOLERANCE,
        "binary_magic": BINARY_MAGIC.decode("ascii"),
    }


def write_registry(out_dir: str | os.PathLike[str]) -> Path:
    """Write ``out_dir/registry.js`` (:func:`registry_document`) and return its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REGISTRY_FILE
    body = json.dumps(registry_document(), ensure_ascii=False, indent=1)
    header = f"// The registry of the shipped models (bahdanau.pretrained.SHIPPED), for bahdanau-web.js.\n{_HEADER}"
    path.write_text(f"{header}{_REGISTRY_GLOBAL} = {body};\n", encoding="utf-8")
    return path


def read_registry(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document ``registry.js`` at ``path`` holds (``default``, ``models``, ``messages``)."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.find(f"{_REGISTRY_GLOBAL} = ")
    if start < 0:
        raise ValueError(f"{path} is not a registry written by bahdanau.cli.export_web")
    return json.loads(text[start + len(f"{_REGISTRY_GLOBAL} = "):].rstrip().removesuffix(";"))


def export_model(name: str, out_dir: str | os.PathLike[str]) -> Path:
    """Write shipped model ``name`` as ``out_dir/bahdanau-model-NAME.js`` and, the same document,
    ``out_dir/bahdanau-model-NAME.bin``; return the script's path.

    The registry, ``out_dir/registry.js``, is (re)written beside them: a folder with a model file
    always has the registry that names it. Raises ``ValueError`` for a name that is not one of
    :data:`WEB_MODELS`.
    """
    _check_name(name)
    checkpoint = load_checkpoint(pretrained_path(name))
    document = {
        "config": _web_config(name, checkpoint.model_config, checkpoint.metadata),
        "srcVocab": checkpoint.src_vocab.idx_to_token,
        "tgtVocab": checkpoint.tgt_vocab.idx_to_token,
        "tensors": {key: _stored_tensor(value) for key, value in checkpoint.model.state_dict().items()},
    }
    write_registry(out_dir)
    path = Path(out_dir) / model_file_name(name)
    header = f"// The {name!r} model of the bahdanau tutorial, for book/_static/bahdanau-web.js.\n{_HEADER}"
    script = {**document, "tensors": {key: _script_tensor(entry) for key, entry in document["tensors"].items()}}
    body = json.dumps(script, ensure_ascii=False, separators=(",", ":"))
    path.write_text(f"{header}({_MODELS_GLOBAL} ||= {{}})[{json.dumps(name)}] = {body};\n", encoding="utf-8")
    path.with_name(binary_file_name(name)).write_bytes(binary_bytes(document))
    return path


def export_web_models(out_dir: str | os.PathLike[str], names: Sequence[str] = WEB_MODELS) -> list[Path]:
    """Export ``names`` (by default every model of :data:`WEB_MODELS`) into ``out_dir``, with the registry."""
    for name in names:
        _check_name(name)
    return [export_model(name, out_dir) for name in names]


def remove_stale_models(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Delete the model files in ``out_dir`` of models the registry no longer exports; return them.

    The book copies the whole folder into the site, so a model that left :data:`WEB_MODELS` would
    otherwise stay in every build made in this folder, and be downloaded by nobody.
    """
    keep = {file(name) for name in WEB_MODELS for file in (model_file_name, binary_file_name)}
    stale = sorted(path for file in (model_file_name, binary_file_name) for path in Path(out_dir).glob(file("*"))
                   if path.name not in keep)
    for path in stale:
        path.unlink()
    return stale


def read_exported(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document an exported file holds (``config``, ``srcVocab``, ``tgtVocab``, ``tensors``).

    Either file: ``.bin``, the binary container, or the script. Both read to the same document,
    each tensor ``{shape, dtype, data, scale (int8 only)}`` with its stored bytes (little-endian).
    """
    if Path(path).suffix == ".bin":
        return _read_binary(Path(path).read_bytes(), path)
    text = Path(path).read_text(encoding="utf-8")
    start = text.find(f"({_MODELS_GLOBAL} ||= {{}})[")
    if start < 0:
        raise ValueError(f"{path} is not a model file written by bahdanau.cli.export_web")
    document = json.loads(text[text.index("] = ", start) + len("] = "):].rstrip().removesuffix(";"))
    tensors = {key: {field: base64.b64decode(value) if field in ("data", "scale") else value
                     for field, value in entry.items()} for key, entry in document["tensors"].items()}
    return {**document, "tensors": tensors}


def load_exported(path: str | os.PathLike[str]) -> tuple[EncoderDecoder, Vocab, Vocab]:
    """Rebuild ``(model, src_vocab, tgt_vocab)`` from an exported file (either: :func:`read_exported`),
    weights dequantised.

    The model is float32, in eval mode: PyTorch running exactly the weights the browser runs.
    """
    document = read_exported(path)
    fields = set(ModelConfig.__dataclass_fields__)
    model_config = ModelConfig(**{key: value for key, value in document["config"].items() if key in fields})
    model = make_model(model_config)
    model.load_state_dict({key: _decode_tensor(entry) for key, entry in document["tensors"].items()})
    return model.eval(), _vocab(document["srcVocab"]), _vocab(document["tgtVocab"])


def _vocab(tokens: list[str]) -> Vocab:
    """A Vocab from its token list, through Vocab's own (checked) JSON reader."""
    return Vocab.from_json(json.dumps({"format": "bahdanau.Vocab", "version": 1, "idx_to_token": tokens}))


def file_sha256(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file: the record (:func:`write_record`) holds it, so that a measurement is known
    to be of the file at hand, byte for byte."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def file_entry(path: str | os.PathLike[str]) -> dict[str, Any]:
    """What the record holds of one file: ``{file, bytes, gzip_bytes, sha256}``."""
    data = Path(path).read_bytes()
    return {
        "file": Path(path).name,
        "bytes": len(data),
        "gzip_bytes": len(gzip.compress(data, compresslevel=9)),  # what a server sending gzip transfers
        "sha256": hashlib.sha256(data).hexdigest(),
    }


def _binary_path(name: str, path: str | os.PathLike[str]) -> Path:
    """The binary container export_model wrote beside the script ``path``."""
    return Path(path).with_name(binary_file_name(name))


def measure_export(name: str, path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None,
                   corpus_path: str | os.PathLike[str] | None = None,
                   shipped: TranslatedTestSet | None = None) -> dict[str, Any]:
    """Greedy test BLEU of the shipped checkpoint ``name`` and of its export at ``path``: the record's entry.

    Both on the checkpoint's own test split, scored as its recorded ``test_bleu``
    (:func:`bahdanau.cli.evaluate.evaluate_model`: every distinct English sentence translated once,
    BLEU on those of at most ``QUALITY_MAX_LEN`` tokens, all references). ``changed_translations``
    counts the sentences whose translation differs; ``*_all_lengths`` the same over every test
    sentence, the long ones included; ``binary``: the binary container's :func:`file_entry`.
    Needs the corpus (``data_dir``, or ``$BAHDANAU_DATA``). ``shipped``: the checkpoint's own
    :func:`translate_test_set` of that split, when it was already made; else it is made here.
    """
    checkpoint = load_checkpoint(pretrained_path(name))
    pairs = held_out_pairs(checkpoint.metadata.get("data_config", {}), data_dir=data_dir, path=corpus_path)
    model, src_vocab, tgt_vocab = load_exported(path)
    if shipped is None:
        shipped = translate_test_set(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, pairs)
    exported = translate_test_set(model, src_vocab, tgt_vocab, pairs)
    short = shipped.short(QUALITY_MAX_LEN)
    references = [shipped.references[i] for i in short]
    checkpoint_bleu, signature = corpus_bleu_with_signature([shipped.hypotheses[i] for i in short], references)
    exported_bleu, _ = corpus_bleu_with_signature([exported.hypotheses[i] for i in short], references)
    return {
        **file_entry(path),
        "binary": _checked_binary(name, path),
        "quantisation": QUANTISATION,
        "checkpoint_bleu": checkpoint_bleu,
        "exported_bleu": exported_bleu,
        "bleu_signature": signature,
        "max_len": QUALITY_MAX_LEN,
        "num_sentences": len(short),
        "changed_translations": sum(exported.hypotheses[i] != shipped.hypotheses[i] for i in short),
        "num_sentences_all_lengths": len(shipped.sources),
        "changed_translations_all_lengths": sum(
            ours != theirs for ours, theirs in zip(exported.hypotheses, shipped.hypotheses, strict=True)),
    }


def _checked_binary(name: str, path: str | os.PathLike[str]) -> dict[str, Any]:
    """The :func:`file_entry` of the binary beside the script ``path``; ``ValueError`` unless it
    holds the script's very document (then what was measured on the one holds for the other)."""
    binary = _binary_path(name, path)
    if read_exported(binary) != read_exported(path):
        raise ValueError(f"{binary}: not the document of {Path(path).name}")
    return file_entry(binary)


def record_path() -> Path:
    """Where the record lives: ``bahdanau/pretrained/web_export.json``, beside the checkpoints it measures."""
    return Path(str(resources.files("bahdanau") / "pretrained" / RECORD_FILE))


def read_record() -> dict[str, Any]:
    """The record (``{"note", "models": {NAME: entry}}``, entries of :func:`measure_export`); none: no models."""
    path = record_path()
    if not path.is_file():
        return {"models": {}}
    return json.loads(path.read_text(encoding="utf-8"))


def write_record(entries: dict[str, dict[str, Any]]) -> Path:
    """Store ``entries`` (NAME -> :func:`measure_export`) in the record, keeping the other web models'."""
    models = {name: entry for name, entry in read_record()["models"].items() if name in WEB_MODELS}
    models.update(entries)
    record = {
        "note": f"Written by `{MEASURE_COMMAND}` (bahdanau.cli.export_web.measure_export): per browser model, "
                "its script's size and SHA-256 (binary: its binary container's), and greedy test BLEU of the "
                f"shipped checkpoint and of the exported weights; `{RECORD_BINARY_COMMAND}` records the binary "
                "alone, once it holds the measured script's very document.",
        "models": {name: models[name] for name in WEB_MODELS if name in models},
    }
    path = record_path()
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def record_binary(paths: dict[str, Path]) -> Path:
    """Record the binary containers beside the scripts ``paths`` (NAME -> script), no BLEU measured.

    Only for a script the record measured, byte for byte, and a binary that holds its very
    document (the same weights, so the same BLEU); ``ValueError`` otherwise, before anything is
    written. For a change of the binary container alone.
    """
    record = read_record()["models"]
    entries = {}
    for name, path in paths.items():
        entry = record.get(name)
        if entry is None or entry["sha256"] != file_sha256(path):
            raise ValueError(f"{path}: not the file {RECORD_FILE} measured; run `{MEASURE_COMMAND}` (needs the corpus)")
        entries[name] = {**entry, "binary": _checked_binary(name, path)}
    return write_record(entries)


def check_export(name: str, path: str | os.PathLike[str], record: dict[str, Any]) -> dict[str, Any]:
    """The record's entry for the script ``path`` of model ``name`` and the binary beside it;
    ``ValueError`` if they break a limit.

    Refused: a file over :data:`MAX_MODEL_BYTES`; a file the record does not hold (no entry, or
    another file: :func:`file_sha256`): ``--measure`` fixes it, or ``--record-binary`` for the
    binary alone; a measured BLEU more than :data:`MAX_BLEU_CHANGE` away from the checkpoint's.
    """
    binary = _binary_path(name, path)
    for file in (Path(path), binary):
        size = file.stat().st_size
        if size > MAX_MODEL_BYTES:
            raise ValueError(f"{file}: {size:,} bytes, over the limit of {MAX_MODEL_BYTES:,}")
    entry = record["models"].get(name)
    if entry is None:
        raise ValueError(f"{path}: its BLEU was never measured; run `{MEASURE_COMMAND}` (needs the corpus)")
    if entry["sha256"] != file_sha256(path):
        raise ValueError(f"{path}: not the file {RECORD_FILE} measured (another SHA-256); run `{MEASURE_COMMAND}` "
                         "(needs the corpus)")
    if entry.get("binary", {}).get("sha256") != file_sha256(binary):
        raise ValueError(f"{binary}: not the file {RECORD_FILE} recorded (another SHA-256); the script is the "
                         f"one measured: run `{RECORD_BINARY_COMMAND}` (seconds)")
    change = entry["exported_bleu"] - entry["checkpoint_bleu"]
    if abs(change) > MAX_BLEU_CHANGE:
        raise ValueError(f"{path}: test BLEU {entry['exported_bleu']:.2f}, {change:+.2f} from the checkpoint's "
                         f"{entry['checkpoint_bleu']:.2f}, more than the {MAX_BLEU_CHANGE} allowed")
    return entry


def format_entry(path: str | os.PathLike[str], entry: dict[str, Any]) -> str:
    """One line per model for the export's output: its files' sizes and its recorded BLEU."""
    size = Path(path).stat().st_size
    binary = Path(path).with_name(entry["binary"]["file"])
    change = entry["exported_bleu"] - entry["checkpoint_bleu"]
    return (f"{path}: {size / 1e6:.2f} MB, {binary.name} {binary.stat().st_size / 1e6:.2f} MB "
            f"(limit {MAX_MODEL_BYTES / 1e6:.2f}); greedy test BLEU "
            f"{entry['exported_bleu']:.2f}, checkpoint {entry['checkpoint_bleu']:.2f} ({change:+.2f}, limit "
            f"{MAX_BLEU_CHANGE} either way); {entry['changed_translations']} of {entry['num_sentences']} translations "
            f"changed ({RECORD_FILE})")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bahdanau.cli.export_web", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of {', '.join(WEB_MODELS)}")
    parser.add_argument("out_dir", metavar="OUT_DIR",
                        help="where registry.js, bahdanau-model-NAME.js and bahdanau-model-NAME.bin are written")
    parser.add_argument("--web", action="store_true",
                        help=f"every model the registry exports for the browser ({', '.join(WEB_MODELS)})")
    parser.add_argument("--measure", action="store_true",
                        help=f"measure test BLEU of the checkpoints and of the exported weights (minutes; needs "
                             f"the corpus) and record it in {_RECORD_SHOWN}")
    parser.add_argument("--record-binary", action="store_true",
                        help=f"record the binary containers' sizes and SHA-256 in {_RECORD_SHOWN}, no BLEU measured "
                             "(seconds; only for scripts the record measured: the same weights)")
    parser.add_argument("--data-dir", default=None, help=f"with --measure: {DATA_DIR_HELP}")
    args = parser.parse_args(argv)
    if args.web == bool(args.names):
        parser.error("name the models to export, or give --web for every model the browser runs (not both)")
    if args.measure and args.record_binary:
        parser.error("--measure records the binary containers too: give one of --measure, --record-binary")
    for name in args.names:
        if name not in WEB_MODELS:
            parser.error(UNKNOWN_WEB_MODEL_MESSAGE.format(name=name, choices=", ".join(WEB_MODELS)))
    names = args.names or WEB_MODELS
    paths = dict(zip(names, export_web_models(args.out_dir, names), strict=True))
    if args.measure:
        write_record({name: measure_export(name, path, data_dir=args.data_dir) for name, path in paths.items()})
        print(f"measured and recorded in {_RECORD_SHOWN}")
    if args.record_binary:
        try:
            record_binary(paths)
        except ValueError as error:
            parser.exit(1, f"error: {error}\n")
        print(f"binary containers recorded in {_RECORD_SHOWN}")
    record = read_record()
    failures = []
    for name, path in paths.items():
        try:
            print(format_entry(path, check_export(name, path, record)))
        except ValueError as error:
            failures.append(str(error))
    if args.web:
        for path in remove_stale_models(args.out_dir):
            print(f"{path}: removed (no longer a web model of the registry)")
    print(f"{Path(args.out_dir) / REGISTRY_FILE}: default {DEFAULT_MODEL}, models {', '.join(WEB_MODELS)}")
    if failures:
        parser.exit(1, "".join(f"error: {failure}\n" for failure in failures))


if __name__ == "__main__":
    main()
