"""Evaluate a checkpoint on the held-out test split: ``python -m bahdanau.evaluate CHECKPOINT``.

The test split is grouped by English sentence (see :func:`bahdanau.data.split_by_source`),
so no test sentence was seen in training. The corpus often lists several French
translations of one English sentence; every one of them counts as a reference
(multi-reference BLEU). Each distinct English sentence is translated once.

Reported figures (sacreBLEU corpus BLEU, see :data:`bahdanau.metrics.BLEU_SIGNATURE_NOTE`):

- ``test_bleu``: multi-reference BLEU on test sentences of at most ``max_len`` (10) English tokens;
- ``test_bleu_single_ref``: the same sentences, scored pair by pair against each pair's own
  French sentence only (the usual, stricter single-reference figure);
- ``bleu_by_length``: multi-reference BLEU per English-length bucket
  (:data:`bahdanau.metrics.DEFAULT_LENGTH_BUCKETS`), all lengths (the paper's Fig. 2 in
  miniature: how quality holds up as sentences grow).

``--record`` stores the results in the checkpoint's metadata (``test`` for greedy decoding,
``test_beam`` for beam search with ``RECORD_BEAM_SIZE``) and in ``NAME.json`` beside it; the
training command does this for every model it writes.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .data import DataConfig, Pair, Vocab, read_pairs, references_by_source, split_by_source
from .decoding import translate
from .download import DATA_DIR_HELP, fra_eng_path
from .metrics import BLEU_SIGNATURE_NOTE, DEFAULT_LENGTH_BUCKETS, bleu_by_length, corpus_bleu

__all__ = [
    "QUALITY_MAX_LEN", "RECORD_BEAM_SIZE", "held_out_pairs", "evaluate_model",
    "evaluate_checkpoint", "record_evaluation", "format_report", "main",
]

QUALITY_MAX_LEN = 10
RECORD_BEAM_SIZE = 4


def held_out_pairs(data_config: DataConfig | dict, data_dir: str | os.PathLike[str] | None = None,
               path: str | os.PathLike[str] | None = None) -> list[Pair]:
    """The whole test split (all lengths) that a model trained with ``data_config`` never saw.

    Only the split settings (``val_fraction``, ``test_fraction``, ``split_seed``) matter:
    every preset that shares them is evaluated on the same sentences.
    """
    if isinstance(data_config, dict):
        known = {f.name for f in fields(DataConfig)}
        data_config = DataConfig(**{k: v for k, v in data_config.items() if k in known})
    corpus_file = Path(path) if path is not None else fra_eng_path(data_dir)
    splits = split_by_source(read_pairs(corpus_file), data_config.val_fraction, data_config.test_fraction,
                             data_config.split_seed)
    return splits.test


def evaluate_model(model: nn.Module, src_vocab: Vocab, tgt_vocab: Vocab, pairs: list[Pair], *,
                   beam_size: int = 1, max_len: int = QUALITY_MAX_LEN, batch_size: int = 256,
                   num_examples: int = 5) -> dict[str, Any]:
    """Translate every distinct English sentence of ``pairs`` and score it (see the module docstring)."""
    references = references_by_source(pairs)  # English tokens -> all French token lists
    sources = list(references)
    translations = translate(model, [" ".join(src) for src in sources], src_vocab, tgt_vocab,
                             beam_size=beam_size, batch_size=batch_size)
    hypotheses = [t.text for t in translations]
    all_refs = [[" ".join(ref) for ref in references[src]] for src in sources]
    short = [i for i, src in enumerate(sources) if len(src) <= max_len]
    if not short:
        raise ValueError(f"no test sentence has at most {max_len} tokens")
    hypothesis_of = dict(zip(sources, hypotheses, strict=True))
    short_pairs = [(tuple(src), tgt) for src, tgt in pairs if len(src) <= max_len]
    examples = [
        {"english": " ".join(sources[i]), "output": hypotheses[i], "references": all_refs[i]}
        for i in short[:: max(1, len(short) // num_examples)][:num_examples]
    ]
    return {
        "test_bleu": corpus_bleu([hypotheses[i] for i in short], [all_refs[i] for i in short]),
        "test_bleu_single_ref": corpus_bleu([hypothesis_of[src] for src, _ in short_pairs],
                                            [[" ".join(tgt)] for _, tgt in short_pairs]),
        "max_len": max_len,
        "num_sentences": len(short),
        "num_pairs": len(short_pairs),
        "bleu_by_length": bleu_by_length(hypotheses, all_refs, [len(src) for src in sources],
                                         DEFAULT_LENGTH_BUCKETS),
        "beam_size": beam_size,
        "bleu_note": BLEU_SIGNATURE_NOTE,
        "examples": examples,
    }


def evaluate_checkpoint(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None,
                        corpus_path: str | os.PathLike[str] | None = None, beam_size: int = 1) -> dict[str, Any]:
    """Load a checkpoint and :func:`evaluate_model` it on the test split of its own data config."""
    from .training import load_checkpoint

    checkpoint = load_checkpoint(path)
    data_config = checkpoint.metadata.get("data_config", {})
    pairs = held_out_pairs(data_config, data_dir=data_dir, path=corpus_path)
    return evaluate_model(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, pairs, beam_size=beam_size)


def record_evaluation(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None,
                      corpus_path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Evaluate a checkpoint greedily and with beam search and store both in its metadata.

    The checkpoint is rewritten with the same weights (float16 stays float16) and its metadata
    gains ``test`` (greedy) and ``test_beam`` (beam size :data:`RECORD_BEAM_SIZE`); the metadata
    is also written to ``NAME.json`` beside it. Scoring the *saved* file means the recorded BLEU
    is exactly what users of the file get. Returns the updated metadata.
    """
    from .training import load_checkpoint, read_checkpoint_metadata, save_checkpoint

    path = Path(path)
    checkpoint = load_checkpoint(path)
    pairs = held_out_pairs(checkpoint.metadata.get("data_config", {}), data_dir=data_dir, path=corpus_path)
    metadata = dict(checkpoint.metadata)
    for key, beam_size in (("test", 1), ("test_beam", RECORD_BEAM_SIZE)):
        metadata[key] = evaluate_model(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, pairs,
                                       beam_size=beam_size)
    half = bool(read_checkpoint_metadata(path).get("half", False))
    save_checkpoint(path, checkpoint.model, checkpoint.model_config, checkpoint.src_vocab, checkpoint.tgt_vocab,
                    metadata, half=half)
    # The same metadata, readable without torch (README's tables and the book read these files).
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return metadata


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as the text ``python -m bahdanau.evaluate`` prints."""
    lines = [
        f"test BLEU, English sentences of <= {report['max_len']} tokens ({report['num_sentences']} sentences, "
        f"all references): {report['test_bleu']:.1f}",
        f"single-reference BLEU on the same sentences ({report['num_pairs']} pairs): "
        f"{report['test_bleu_single_ref']:.1f}",
        f"({report['bleu_note']}; {'greedy' if report['beam_size'] == 1 else 'beam ' + str(report['beam_size'])} "
        "decoding)",
        "",
        "BLEU by English length (all references):",
        "  length  sentences   BLEU",
    ]
    lines += [f"  {row['bucket']:>6}  {row['count']:>9}  {row['bleu']:5.1f}" for row in report["bleu_by_length"]]
    lines += ["", "Examples:"]
    for example in report["examples"]:
        lines += [f"  EN  {example['english']}", f"  ->  {example['output']}", f"  ref {example['references'][0]}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate a checkpoint on the held-out test split.")
    parser.add_argument("checkpoint", help="a .pt file written by `python -m bahdanau.train`, or a pretrained "
                                           "model's name ('attention', 'no-attention')")
    parser.add_argument("--beam-size", type=int, default=1, help="1: greedy decoding (default); more: beam search")
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    parser.add_argument("--record", action="store_true",
                        help=f"store greedy and beam-{RECORD_BEAM_SIZE} results in the checkpoint's metadata "
                             "(and NAME.json beside it)")
    args = parser.parse_args(argv)
    path = Path(args.checkpoint)
    if not path.exists():
        from .pretrained import PRETRAINED, pretrained_path

        if args.checkpoint not in PRETRAINED:
            parser.error(f"no such file: {args.checkpoint} (pretrained models: {', '.join(PRETRAINED)})")
        path = pretrained_path(args.checkpoint)
    torch.manual_seed(0)
    if args.record:
        metadata = record_evaluation(path, data_dir=args.data_dir)
        print(format_report(metadata["test"]), format_report(metadata["test_beam"]), sep="\n\n")
        print(f"\nrecorded in {path.name} and {path.with_suffix('.json').name}")
        return
    print(format_report(evaluate_checkpoint(path, data_dir=args.data_dir, beam_size=args.beam_size)))


if __name__ == "__main__":
    main()
