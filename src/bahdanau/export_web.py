"""The shipped attention models, written out for the reader's browser (``book/_static/bahdanau-web.js``).

Run ``python -m bahdanau.export_web NAME [NAME ...] OUT_DIR`` (NAME: ``attention``, ``rnnsearch``).
Each model becomes ONE JavaScript file, ``OUT_DIR/bahdanau-model-NAME.js``: a browser refuses to
``fetch`` a ``file://`` URL, but it still runs a ``<script>`` tag, so the book works opened from
disk as well as from a server. The file registers the model's data and nothing else::

    (window.bahdanauWebModels ||= {})["NAME"] = {config, srcVocab, tgtVocab, tensors};

- ``config``: the :class:`~bahdanau.models.ModelConfig` fields, the special tokens' indices,
  ``translate``'s source limit (``max_src_len``) and output limit (``2 * src_len + 5``,
  :func:`~bahdanau.decoding.default_max_len`), and the test BLEU;
- ``srcVocab``, ``tgtVocab``: the token lists in index order;
- ``tensors``: the state dict, each tensor ``{shape, dtype, data}`` with ``data`` base64 of
  little-endian bytes (:func:`tensor_dtype`). The embeddings are ``int8``, quantised
  symmetrically per row (one row per token): ``w[r, :] = scale[r] * q[r, :]`` with
  ``scale[r] = max_c |w[r, c]| / 127``, the float32 scales in ``scale`` (base64 too). The other
  matrices are ``float16``, the precision the shipped checkpoints store, so nothing is lost
  there; the vectors (biases) are ``float32``.

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

from .data import BOS_INDEX, EOS_INDEX, PAD_INDEX, UNK_INDEX, Vocab
from .decoding import MAX_SRC_LEN, default_max_len
from .models import EncoderDecoder, ModelConfig, make_model
from .pretrained import PRETRAINED, pretrained_path
from .training import load_checkpoint

__all__ = ["WEB_MODELS", "model_file_name", "tensor_dtype", "quantise_rows", "dequantise",
           "export_model", "read_exported", "load_exported", "main"]

# The models bahdanau-web.js can run: the attention decoders (no-attention has no c_i to show).
WEB_MODELS = tuple(name for name in PRETRAINED if name != "no-attention")
# One int8 step is scale = max |w| / 127 of its row.
INT8_MAX = 127
# The fixed text around the JSON: load_exported reads the file back by cutting them off.
_REGISTRY = "window.bahdanauWebModels"


def model_file_name(name: str) -> str:
    """``bahdanau-model-NAME.js``: the file bahdanau-web.js loads for model ``name``."""
    return f"bahdanau-model-{name}.js"


def _check_name(name: str) -> None:
    if name not in WEB_MODELS:
        raise ValueError(f"no browser export for a model named {name!r}; choose one of {', '.join(WEB_MODELS)} "
                         "(the browser runs the attention models only)")


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
    """What bahdanau-web.js needs besides the weights: sizes, specials, limits; and what a page may show."""
    test = metadata.get("test", {})
    return {
        "name": name,
        **model_config.to_dict(),
        "pad": PAD_INDEX, "bos": BOS_INDEX, "eos": EOS_INDEX, "unk": UNK_INDEX,
        "max_src_len": MAX_SRC_LEN,
        # The output limit, default_max_len(src_len) = a * src_len + b (src_len without <eos>).
        "max_len_per_src_token": default_max_len(1) - default_max_len(0), "max_len_extra": default_max_len(0),
        "test_bleu": test.get("test_bleu"),
        "description": metadata.get("description", ""),
        "quantisation": "embeddings int8, one float32 scale per row; other matrices float16; vectors float32",
    }


def export_model(name: str, out_dir: str | os.PathLike[str]) -> Path:
    """Write shipped model ``name`` as ``out_dir/bahdanau-model-NAME.js`` and return its path.

    Raises ``ValueError`` for a name that is not one of :data:`WEB_MODELS`.
    """
    _check_name(name)
    checkpoint = load_checkpoint(pretrained_path(name))
    document = {
        "config": _web_config(name, checkpoint.model_config, checkpoint.metadata),
        "srcVocab": checkpoint.src_vocab.idx_to_token,
        "tgtVocab": checkpoint.tgt_vocab.idx_to_token,
        "tensors": {key: _encode_tensor(key, value) for key, value in checkpoint.model.state_dict().items()},
    }
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / model_file_name(name)
    header = (f"// The {name!r} model of the bahdanau tutorial, for book/_static/bahdanau-web.js.\n"
              "// Written by `python -m bahdanau.export_web`; a build output, never edited by hand.\n")
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    path.write_text(f"{header}({_REGISTRY} ||= {{}})[{json.dumps(name)}] = {body};\n", encoding="utf-8")
    return path


def read_exported(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The document an exported file registers (``config``, ``srcVocab``, ``tgtVocab``, ``tensors``)."""
    text = Path(path).read_text(encoding="utf-8")
    start = text.find(f"({_REGISTRY} ||= {{}})[")
    if start < 0:
        raise ValueError(f"{path} is not a model file written by bahdanau.export_web")
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
    parser = argparse.ArgumentParser(prog="python -m bahdanau.export_web", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", metavar="NAME", help=f"one or more of {', '.join(WEB_MODELS)}")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="where bahdanau-model-NAME.js is written")
    args = parser.parse_args(argv)
    for name in args.names:
        if name not in WEB_MODELS:
            parser.error(f"no browser export for a model named {name!r}; choose one of {', '.join(WEB_MODELS)}")
    for name in args.names:
        path = export_model(name, args.out_dir)
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
