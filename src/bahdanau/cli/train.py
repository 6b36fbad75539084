"""Train a model from a preset: ``python -m bahdanau.cli.train --preset NAME [--out DIR]``.

Presets (see :data:`PRESETS`):

- ``d2l``: the d2l book's recipe (its first 512 + 128 pairs, ``num_steps=9``, embedding and
  hidden size 256, 2 layers, dropout 0.2, learning rate 0.005, 30 epochs), so the book can
  compare its numbers with ours on the same test split;
- ``attention`` and ``no-attention``: the models shipped with the package, trained on the same
  data for the same number of epochs, differing only in the decoder;
- ``rnnsearch``: the paper's architecture (bidirectional encoder, ``s_0 = tanh(W_s <-h_1)``,
  maxout deep output; see :class:`bahdanau.models.Seq2SeqAttentionDecoder`), on the same data
  with the same size and budget as ``attention``, shipped as ``load_pretrained("rnnsearch")``;
- ``tiny``: trains in seconds, for tests.

The command reads the corpus through :func:`bahdanau.download.fra_eng_path` (so ``BAHDANAU_DATA``
works), prints the losses of every epoch, writes ``DIR/NAME.pt`` (weights plus JSON metadata),
then reloads that file, records its BLEU on the held-out test split (greedy and beam search, see
:func:`bahdanau.cli.evaluate.record_evaluation`) in the metadata, and also writes the metadata alone
to ``DIR/NAME.json``.

To retrain the shipped models (about 25, 20 and 25 minutes on 2 CPU cores)::

    python -m bahdanau.cli.train --preset attention --out src/bahdanau/pretrained
    python -m bahdanau.cli.train --preset no-attention --out src/bahdanau/pretrained
    python -m bahdanau.cli.train --preset rnnsearch --out src/bahdanau/pretrained
    python -m bahdanau.cli.train --preset d2l --out src/bahdanau/pretrained   # then delete d2l.pt (13 MB)
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from ..alignment import evaluate_alignments
from ..data import DataConfig, d2l_config, load_corpus
from ..download import DATA_DIR_HELP
from ..models import ModelConfig, make_model
from ..runtime import machine
from ..training import History, fit, save_checkpoint, set_seed
from .evaluate import format_report, record_evaluation

__all__ = ["Preset", "PRESETS", "train_preset", "main"]


@dataclass(frozen=True)
class Preset:
    """A complete training recipe: data, model size, optimisation."""

    description: str
    data: DataConfig
    model: dict[str, Any]  # ModelConfig fields other than the vocabulary sizes
    epochs: int
    lr: float
    batch_size: int
    lr_decay: float = 1.0  # the learning rate is multiplied by this after every epoch
    grad_clip: float = 1.0
    seed: int = 0
    bucket_by_length: bool = True  # similar-length batches: less padding, faster epochs
    half: bool = True  # store weights as float16 (halves the file, BLEU unchanged)


# The shipped pair: identical except for the decoder, so any BLEU gap is attention's doing.
_SHIPPED_DATA = DataConfig(max_len=10, min_freq=2, max_vocab=5500)
_SHIPPED_MODEL = dict(embed_size=128, num_hiddens=256, num_layers=1, dropout=0.2, bidirectional=False)
_SHIPPED_TRAINING = dict(epochs=7, lr=0.002, lr_decay=0.75, batch_size=64)
# The paper uses no dropout on the attention weights and starts every score at 0.
_RNNSEARCH_MODEL = dict(_SHIPPED_MODEL, attention=True, bidirectional=True, deep_output=128, attention_dropout=0.0,
                        attention_init="paper")
_LONG_DATA = replace(_SHIPPED_DATA, max_len=30, long_test_fraction=0.25)

PRESETS: dict[str, Preset] = {
    "d2l": Preset(
        "d2l's recipe: 512 + 128 pairs, num_steps=9, E=H=256, 2 layers, dropout 0.2, lr 0.005, 30 epochs",
        data=d2l_config(),
        model=dict(embed_size=256, num_hiddens=256, num_layers=2, dropout=0.2, attention=True),
        epochs=30, lr=0.005, batch_size=128, bucket_by_length=False,
    ),
    "attention": Preset(
        "the shipped attention model: English sentences of <= 10 tokens, 5,500-word vocabularies",
        data=_SHIPPED_DATA, model=dict(_SHIPPED_MODEL, attention=True), **_SHIPPED_TRAINING,
    ),
    "no-attention": Preset(
        "the shipped fixed-context baseline: same data, size and budget as 'attention'",
        data=_SHIPPED_DATA, model=dict(_SHIPPED_MODEL, attention=False), **_SHIPPED_TRAINING,
    ),
    "rnnsearch": Preset(
        "the paper's RNNsearch, scaled down: bidirectional encoder, s_0 = tanh(W_s <-h_1), maxout deep output,"
        " the paper's attention initialisation, no dropout on the weights; same data and budget as 'attention'",
        data=_SHIPPED_DATA,
        model=_RNNSEARCH_MODEL, **_SHIPPED_TRAINING,
    ),
    # The paper trains each model on sentences of up to 30 words (RNNencdec-30, RNNsearch-30).
    # Same split seed, vocabulary rules and sizes as the -10 models; a quarter of the English
    # sentences over 10 tokens is held out for testing (data.split_by_source), so that BLEU by
    # length has a few hundred test sentences of 16-20 tokens.
    "rnnencdec-30": Preset(
        "the paper's RNNencdec-30, scaled down: the fixed-context baseline ('no-attention') trained on"
        " sentences of up to 30 tokens",
        data=_LONG_DATA, model=dict(_SHIPPED_MODEL, attention=False), **_SHIPPED_TRAINING,
    ),
    "rnnsearch-30": Preset(
        "the paper's RNNsearch-30, scaled down: 'rnnsearch' trained on sentences of up to 30 tokens",
        data=_LONG_DATA, model=_RNNSEARCH_MODEL, **_SHIPPED_TRAINING,
    ),
    "tiny": Preset(
        "a seconds-long run for tests: 2,000 short pairs, E=H=32",
        data=DataConfig(max_pairs=2000, max_len=6, min_freq=1),
        model=dict(embed_size=32, num_hiddens=32, num_layers=1, dropout=0.0, attention=True),
        epochs=3, lr=0.01, batch_size=32,
    ),
}


def train_preset(name: str, out_dir: str | os.PathLike[str] = "runs", *, data_dir=None, corpus_path=None,
                 epochs: int | None = None, seed: int | None = None, progress: bool = True,
                 log: Callable[[str], None] | None = None) -> Path:
    """Train preset ``name``, write ``out_dir/name.pt`` and return its path (see the module docstring).

    ``seed`` replaces the preset's training seed (initial weights, batch order, dropout): the same
    recipe run again, to see how much a result owes to one run. The split of the corpus has its
    own seed (``DataConfig.split_seed``) and does not change, so every run is tested on the same
    sentences.
    """
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    preset = PRESETS[name]
    log = log or partial(print, flush=True)  # flushed: training logs are often redirected to a file
    if epochs is not None:
        preset = replace(preset, epochs=epochs)
    if seed is not None:
        preset = replace(preset, seed=seed)
    set_seed(preset.seed)
    corpus = load_corpus(preset.data, data_dir=data_dir, path=corpus_path)
    log(f"preset {name}: {preset.description}")
    log(f"data: {len(corpus.train)} training pairs, {len(corpus.val)} validation pairs; vocabularies "
        f"{len(corpus.src_vocab)} English, {len(corpus.tgt_vocab)} French tokens")
    model_config = ModelConfig(len(corpus.src_vocab), len(corpus.tgt_vocab), **preset.model)
    set_seed(preset.seed)
    model = make_model(model_config)
    log(f"model: {sum(p.numel() for p in model.parameters()):,} parameters, {model_config}")

    alignment_by_epoch: list[float] = []

    def report(epoch: int, history: History) -> None:
        val = f", validation loss {history.val_loss[-1]:.3f}" if history.val_loss else ""
        aligned = ""
        if model_config.attention:  # how the alignment develops: a second on the gold set
            accuracy = evaluate_alignments(model, corpus.src_vocab, corpus.tgt_vocab)["argmax_accuracy"]
            alignment_by_epoch.append(accuracy)
            aligned = f", gold-set argmax accuracy {accuracy:.3f}"
        log(f"epoch {epoch}/{preset.epochs}: training loss {history.train_loss[-1]:.3f}{val}{aligned} "
            f"({history.epoch_seconds[-1]:.0f} s)")

    start = time.perf_counter()
    history = fit(
        model,
        corpus.loader("train", preset.batch_size, shuffle=True, seed=preset.seed,
                      bucket_by_length=preset.bucket_by_length),
        corpus.loader("val", preset.batch_size),
        epochs=preset.epochs, lr=preset.lr, lr_decay=preset.lr_decay, grad_clip=preset.grad_clip,
        pad_index=corpus.tgt_vocab.pad, seed=preset.seed, progress=progress, on_epoch_end=report,
    )
    training_seconds = time.perf_counter() - start

    preset_record = asdict(preset)
    preset_record.pop("data")
    metadata: dict[str, Any] = {
        "preset": name,
        "description": preset.description,
        "training": preset_record,
        "data_config": asdict(corpus.config),
        "corpus_sha256": corpus.sha256,
        "split_seed": corpus.config.split_seed,
        "num_train_pairs": len(corpus.train),
        "history": {**history.to_dict(), **({"alignment_accuracy": alignment_by_epoch} if alignment_by_epoch else {})},
        "training_seconds": round(training_seconds, 1),
        "machine": machine(),
    }
    path = Path(out_dir) / f"{name}.pt"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, model, model_config, corpus.src_vocab, corpus.tgt_vocab, metadata, half=preset.half)

    # Score what was saved (float16 weights included), so the recorded BLEU is what users get.
    metadata = record_evaluation(path, data_dir=data_dir, corpus_path=corpus_path)
    log(format_report(metadata["test"]))
    log(format_report(metadata["test_beam"]))
    log(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB) after {training_seconds / 60:.1f} min of training")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train a translation model from a preset.")
    parser.add_argument("--preset", required=True, choices=sorted(PRESETS), help="which recipe to train")
    parser.add_argument("--out", default="runs", help="folder for the checkpoint (default: runs)")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's number of epochs")
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    parser.add_argument("--seed", type=int, default=None,
                        help="override the preset's training seed (weights, batch order, dropout); the split stays")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (for logs)")
    args = parser.parse_args(argv)
    train_preset(args.preset, args.out, data_dir=args.data_dir, epochs=args.epochs, seed=args.seed,
                 progress=not args.no_progress)


if __name__ == "__main__":
    main()
