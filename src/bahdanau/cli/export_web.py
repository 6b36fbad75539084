"""The shipped attention models, written out for the reader's browser (``book/_static/bahdanau-web.js``).

Run ``python -m bahdanau.cli.export_web --web OUT_DIR`` (what ``make web-models`` runs): every
model the registry (:data:`bahdanau.pretrained.SHIPPED`) marks for the browser, or
``python -m bahdanau.cli.export_web NAME [NAME ...] OUT_DIR`` for some of them. A browser refuses
to ``fetch`` a ``file://`` URL, but it still runs a ``<script>`` tag, so every file is JavaScript
that registers data and nothing else, and the book works opened from disk as from a server:

- ``OUT_DIR/registry.js`` (:func:`write_registry`, written by every export): the registry, so that
  the JavaScript never repeats a fact of Python's::

    window.bahdanauWebRegistry = {default, models: {NAME: {file, limits}}, messages};

  ``default`` is :data:`~bahdanau.pretrained.DEFAULT_MODEL`; per model the file's name and its
  limits: the source limit ``max_src_len`` (:class:`~bahdanau.pretrained.ShippedModel`) and the
  output limit ``max_len_per_src_token * src_len + max_len_extra``
  (:func:`~bahdanau.decoding.default_max_len`); ``messages``: Python's own message templates
  (``str.format`` syntax) for empty input, input cut to ``max_src_len``, an unknown model name and
  an invalid attention override (:data:`~bahdanau.decoding.OVERRIDE_MESSAGES`), and
  ``override_tolerance``, how far from 1 an override's weights may sum.
- ``OUT_DIR/bahdanau-model-NAME.js`` (:func:`export_model`), one per model::

    (window.bahdanauWebModels ||= {})["NAME"] = {config, srcVocab, tgtVocab, tensors};

  ``config``: the :class:`~bahdanau.models.ModelConfig` fields, the special tokens' indices,
  the test BLEU; ``srcVocab``, ``tgtVocab``: the token lists in index order; ``tensors``: the
  state dict, each tensor ``{shape, dtype, data}`` with ``data`` base64 of little-endian bytes
  (:func:`tensor_dtype`). The embeddings are ``int8``, quantised symmetrically per row (one row
  per token): ``w[r, :] = scale[r] * q[r, :]`` with ``scale[r] = max_c |w[r, c]| / 127``, the
  float32 scales in ``scale`` (base64 too). The other matrices are ``float16``, the precision the
  shipped checkpoints store, so nothing is lost there; the vectors (biases) are ``float32``.

Why: in float16 throughout, ``rnnsearch`` would take 7.9 MB, 10.5 MB once base64 has added its
third; with int8 embeddings, its file is 8.7 MB (``attention``: 8.3 MB). int8 changes an
embedding by at most half a step of its row, ``scale[r] / 2``: of 600 held-out sentences
(the parity test's), 7 (``attention``) and 10 (``rnnsearch``) get another greedy translation
than from the shipped weights, where int8 for every matrix (5.2 and 5.5 MB) changed 27 and 20.

The browser must agree with PyTorch on the *exported* weights: :func:`load_exported` rebuilds
the PyTorch model from the file (dequantised), which is what ``tests/test_browser_parity.py``
compares the browser against.

Shapes: V vocabulary size, E embedding size, H hidden size.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from ..data import BOS_INDEX, EMPTY_INPUT_MESSAGE, EOS_INDEX, INPUT_NAME, PAD_INDEX, UNK_INDEX, Vocab
from ..decoding import OVERRIDE_MESSAGES, OVERRIDE_TOLERANCE, TRUNCATED_INPUT_MESSAGE, default_max_len
from ..models import EncoderDecoder, ModelConfig, make_model
from ..pretrained import DEFAULT_MODEL, UNKNOWN_WEB_MODEL_MESSAGE, WEB_MODELS, pretrained_path, shipped_model
from ..training import load_checkpoint

__all__ = ["WEB_MODELS", "REGISTRY_FILE", "TRUNCATED_INPUT_MESSAGE", "model_file_name", "tensor_dtype",
           "quantise_rows", "dequantise", "registry_document", "write_registry", "read_registry", "export_model",
           "export_web_models", "read_exported", "load_exported", "main"]

# One int8 step is scale = max |w| / 127 of its row.
INT8_MAX = 127
# The registry's file, beside the models' (bahdanau-web.js loads it first).
REGISTRY_FILE = "registry.js"
# The fixed text around the JSON: read_exported and read_registry read a file back by cutting it off.
_MODELS_GLOBAL = "window.bahdanauWebModels"
_REGISTRY_GLOBAL = "window.bahdanauWebRegistry"
_HEADER = "// Written by `python -m bahdanau.cli.export_web`; a build output, never edited by hand.\n"


def model_file_name(name: str) -> str:
    """``bahdanau-model-NAME.js``: the file bahdanau-web.js loads for model ``name``."""
    return f"bahdanau-model-{name}.js"


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


def _b64(tensor: torch.Tensor) -> str:
    """Base64 of the tensor's bytes (little-endian, row-major), the format atob() reads back."""
    array = tensor.detach().contiguous().numpy()
    return base64.b64encode(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()).decode("ascii")


def tensor_dtype(key: str, tensor: torch.Tensor) -> str:
    """How tensor ``key`` of the state dict is stored: ``int8``, ``float16`` or ``float32``.

    The embeddings (a third of the weights) in int8; the other matrices in float16, which is
    exact, as the shipped checkpoints hold float16; the vectors (biases) in float32.
    """
    if key.endswith("embedding.weight"):
        return "int8"
    return "float16" if tensor.dim() >= 2 else "float32"


def _encode_tensor(key: str, tensor: torch.Tensor) -> dict[str, Any]:
    dtype = tensor_dtype(key, tensor)
    if dtype == "int8":
        q, scale = quantise_rows(tensor)
        return {"shape": list(tensor.shape), "dtype": "int8", "scale": _b64(scale), "data": _b64(q)}
    return {"shape": list(tensor.shape), "dtype": dtype, "data": _b64(tensor.to(getattr(torch, dtype)))}


def _decode_tensor(entry: dict[str, Any]) -> torch.Tensor:
    shape = entry["shape"]
    raw = base64.b64decode(entry["data"])
    if entry["dtype"] == "int8":
        q = torch.frombuffer(bytearray(raw), dtype=torch.int8).reshape(shape[0], -1)
        scale = torch.frombuffer(bytearray(base64.b64decode(entry["scale"])), dtype=torch.float32)
        return dequantise(q, scale).reshape(shape)
    if entry["dtype"] in ("float16", "float32"):
        return torch.frombuffer(bytearray(raw), dtype=getattr(torch, entry["dtype"])).reshape(shape).float()
    raise ValueError(f"unknown tensor dtype {entry['dtype']!r}")


def _web_config(name: str, model_config: ModelConfig, metadata: dict[str, Any]) -> dict[str, Any]:
    """What bahdanau-web.js needs besides the weights: sizes, specials; and what a page may show."""
    test = metadata.get("test", {})
    return {
        "name": name,
        **model_config.to_dict(),
        "pad": PAD_INDEX, "bos": BOS_INDEX, "eos": EOS_INDEX, "unk": UNK_INDEX,
        "test_bleu": test.get("test_bleu"),
        "description": metadata.get("description", ""),
        "quantisation": "embeddings int8, one float32 scale per row; other matrices float16; vectors float32",
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
    """Write shipped model ``name`` as ``out_dir/bahdanau-model-NAME.js`` and return its path.

    The registry, ``out_dir/registry.js``, is (re)written beside it: a folder with a model file
    always has the registry that names it. Raises ``ValueError`` for a name that is not one of
    :data:`WEB_MODELS`.
    """
    _check_name(name)
    checkpoint = load_checkpoint(pretrained_path(name))
    document = {
        "config": _web_config(name, checkpoint.model_config, checkpoint.metadata),
        "srcVocab": checkpoint.src_vocab.idx_to_token,
        "tgtVocab": checkpoint.tgt_vocab.idx_to_token,
        "tensors": {key: _encode_tensor(key, value) for key, value in checkpoint.model.state_dict().items()},
    }
    write_registry(out_dir)
    path = Path(out_dir) / model_file_name(name)
    header = f"// The {name!r} model of the bahdanau tutorial, for book/_static/bahdanau-web.js.\n{_HEADER}"
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    path.write_text(f"{header}({_MODELS_GLOBAL} ||= {{}})[{json.dumps(name)}] = {body};\n", encoding="utf-8")
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
    keep = {model_file_name(name) for name in WEB_MODELS}
    stale = sorted(path for path in Path(out_dir).glob(model_file_name("*")) if path.name not in keep)
    for path in stale:
        path.unlink()
    return stale


def read_exported(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document an exported file registers (``config``, ``srcVocab``, ``tgtVocab``, ``tensors``)."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.find(f"({_MODELS_GLOBAL} ||= {{}})[")
    if start < 0:
        raise ValueError(f"{path} is not a model file written by bahdanau.cli.export_web")
    body = text[text.index("] = ", start) + len("] = "):].rstrip().removesuffix(";")
    return json.loads(body)


def load_exported(path: str | os.PathLike[str]) -> tuple[EncoderDecoder, Vocab, Vocab]:
    """Rebuild ``(model, src_vocab, tgt_vocab)`` from an exported file, weights dequantised.

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


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bahdanau.cli.export_web", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"one or more of {', '.join(WEB_MODELS)}")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where registry.js and bahdanau-model-NAME.js are written")
    parser.add_argument("--web", action="store_true",
                        help=f"every model the registry exports for the browser ({', '.join(WEB_MODELS)})")
    args = parser.parse_args(argv)
    if args.web == bool(args.names):
        parser.error("name the models to export, or give --web for every model the browser runs (not both)")
    for name in args.names:
        if name not in WEB_MODELS:
            parser.error(UNKNOWN_WEB_MODEL_MESSAGE.format(name=name, choices=", ".join(WEB_MODELS)))
    for path in export_web_models(args.out_dir, args.names or WEB_MODELS):
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    if args.web:
        for path in remove_stale_models(args.out_dir):
            print(f"{path}: removed (no longer a web model of the registry)")
    print(f"{Path(args.out_dir) / REGISTRY_FILE}: default {DEFAULT_MODEL}, models {', '.join(WEB_MODELS)}")


if __name__ == "__main__":
    main()
