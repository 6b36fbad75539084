"""How much a result moves with the training seed: ``python -m bahdanau.cli.seeds --record DIR [DIR ...]``.

Every shipped model is one training run. The paired bootstrap (:mod:`bahdanau.metrics`) says how
much a BLEU gap would move with another sample of test sentences; it says nothing about another
run of the same recipe. This command measures that: the recipes of :data:`SEED_MODELS`
(``rnnsearch`` and ``no-attention``, the pair whose gap the chapters read most) retrained with
other training seeds (``python -m bahdanau.cli.train --preset NAME --seed N --out DIR``: same data,
split, vocabulary and budget; only the initial weights, the dropout masks and the batch order
change), each scored like the shipped run (seed 0):

- ``test``: the -10 test split, greedy and beam, by the buckets of
  :func:`bahdanau.cli.evaluate.record_evaluation` (from the run's own record, written by ``train``);
- ``paper``: the test set of chapter 6's Figure 2 (:func:`bahdanau.cli.paper.paper_test_pairs`),
  greedy, by :data:`~bahdanau.cli.paper.PAPER_BUCKETS`.

``--record`` writes ``bahdanau/pretrained/seeds.json`` (:func:`bahdanau.pretrained.recorded_seeds`
reads it back): per model and seed the scores, the training time and the validation loss per
epoch; per scope and bucket the gap ``rnnsearch - no-attention`` of each seed (seed n against seed
n) and its range over seeds. No weights are kept: the seed runs' checkpoints stay in their folders.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..data import DataConfig, Pair
from ..download import DATA_DIR_HELP, corpus_sha256, fra_eng_path
from ..metrics import BLEU_SIGNATURE_NOTE, bleu_by_length, corpus_bleu
from ..pretrained import SEEDS_FILE, pretrained_path
from ..runtime import machine
from .evaluate import translate_test_set
from .paper import PAPER_BUCKETS, SPLIT_MODEL, _split_config, check_unseen, paper_test_pairs

__all__ = ["SEED_MODELS", "SEED_PAIR", "same_recipe", "measure_run", "record_seeds", "spread", "format_seeds", "main"]

# The recipes retrained with other seeds, and the gap read between them (system, baseline).
SEED_MODELS: tuple[str, ...] = ("rnnsearch", "no-attention")
SEED_PAIR: tuple[str, str] = ("rnnsearch", "no-attention")


def _test_scores(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """A run's own record of the -10 test split: BLEU overall and by bucket, greedy and beam."""
    scores = {}
    for decoding, key in (("greedy", "test"), ("beam", "test_beam")):
        test = metadata[key]
        scores[decoding] = {"all": test["test_bleu"],
                            **{row["bucket"]: row["bleu"] for row in test["bleu_by_length"]}}
    return scores


def same_recipe(metadata: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two runs' metadata record one recipe, seed aside: training settings and data config.

    Data configs are compared as :class:`~bahdanau.data.DataConfig` objects, so that a field added
    to it since a run was recorded counts as its default.
    """
    def data(record: Mapping[str, Any]) -> DataConfig:
        known = {field.name for field in fields(DataConfig)}
        return DataConfig(**{key: value for key, value in record["data_config"].items() if key in known})

    def training(record: Mapping[str, Any]) -> dict[str, Any]:
        return {**record["training"], "seed": None}

    return training(metadata) == training(other) and data(metadata) == data(other)


def measure_run(checkpoint: Any, paper_pairs: Sequence[Pair]) -> dict[str, Any]:
    """One run's scores: its recorded -10 test (``test``) and the paper's test set, greedy (``paper``)."""
    test = translate_test_set(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, list(paper_pairs))
    lengths = [len(source) for source in test.sources]
    metadata = checkpoint.metadata
    return {
        "seed": metadata["training"]["seed"],
        "test": _test_scores(metadata),
        "paper": {"greedy": {"all": corpus_bleu(test.hypotheses, test.references),
                             **{row["bucket"]: row["bleu"] for row in
                                bleu_by_length(test.hypotheses, test.references, lengths, PAPER_BUCKETS)}}},
        "training_seconds": metadata["training_seconds"],
        "validation_loss": [round(loss, 4) for loss in metadata["history"]["val_loss"]],
        "machine": metadata["machine"],
    }


def spread(runs: Mapping[str, Sequence[Mapping[str, Any]]], pair: tuple[str, str] = SEED_PAIR) -> dict[str, Any]:
    """Per scope (``test``, ``paper``), decoding and bucket: each model's BLEU by seed, the gap by seed, ranges.

    ``runs[name]`` lists that model's runs, seed by seed; the gap pairs the n-th run of the system
    with the n-th run of the baseline. A bucket's entry: ``{"bleu": {name: [...]}, "gap": [...],
    "range": {name: [min, max], "gap": [min, max]}}``.
    """
    system, baseline = pair
    out: dict[str, Any] = {}
    first = runs[system][0]
    for scope in ("test", "paper"):
        out[scope] = {}
        for decoding, buckets in first[scope].items():
            rows = {}
            for bucket in buckets:
                bleu = {name: [run[scope][decoding][bucket] for run in model_runs] for name, model_runs in runs.items()}
                gap = [a - b for a, b in zip(bleu[system], bleu[baseline])]
                rows[bucket] = {"bleu": bleu, "gap": gap,
                                "range": {**{name: [min(v), max(v)] for name, v in bleu.items()},
                                          "gap": [min(gap), max(gap)]}}
            out[scope][decoding] = rows
    return out


def record_seeds(run_dirs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str] | None = None, *,
                 models: Sequence[str] = SEED_MODELS, pair: tuple[str, str] = SEED_PAIR,
                 base_dir: str | os.PathLike[str] | None = None, data_dir: str | os.PathLike[str] | None = None,
                 corpus_path: str | os.PathLike[str] | None = None,
                 max_paper_sentences: int | None = None) -> dict[str, Any]:
    """Score the shipped runs (seed 0) and the runs in ``run_dirs`` (each holding ``NAME.pt`` per model).

    ``base_dir``, if given, holds the first run of each model instead of the shipped files;
    ``max_paper_sentences`` keeps only the first pairs of the paper's test set (for tests).

    Raises:
        ValueError: a run is missing, was trained on another corpus or another recipe than the
            shipped one (other than its seed), or two runs share a seed.
    """
    from ..training import load_checkpoint

    start = time.perf_counter()
    corpus_file = Path(corpus_path) if corpus_path is not None else fra_eng_path(data_dir)
    sha256 = corpus_sha256(corpus_file)
    split_config = _split_config(load_checkpoint(pretrained_path(SPLIT_MODEL)).metadata["data_config"])
    paper_pairs = paper_test_pairs(split_config, corpus_file)[:max_paper_sentences]
    runs: dict[str, list[dict[str, Any]]] = {}
    for name in models:
        shipped = load_checkpoint(Path(base_dir) / f"{name}.pt" if base_dir else pretrained_path(name))
        checkpoints = [shipped]
        for folder in run_dirs:
            path = Path(folder) / f"{name}.pt"
            if not path.is_file():
                raise ValueError(f"{path} is missing: train it with python -m bahdanau.cli.train --preset {name} "
                                 f"--seed N --out {folder}")
            checkpoints.append(load_checkpoint(path))
        for checkpoint in checkpoints:
            metadata = checkpoint.metadata
            if metadata.get("corpus_sha256") != sha256:
                raise ValueError(f"a {name} run was trained on another corpus than {corpus_file}")
            if not same_recipe(metadata, shipped.metadata):
                raise ValueError(f"a {name} run differs from the shipped recipe in more than its seed")
        seeds = [checkpoint.metadata["training"]["seed"] for checkpoint in checkpoints]
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"two {name} runs share a seed: {seeds}")
        check_unseen(paper_pairs, {name: shipped.metadata["data_config"]}, corpus_file)
        runs[name] = [measure_run(checkpoint, paper_pairs) for checkpoint in checkpoints]
    record = {
        "description": "the same recipes trained with other seeds: how far BLEU and the gap move with the run",
        "command": "python -m bahdanau.cli.seeds --record DIR [DIR ...]",
        "models": list(models),
        "pair": list(pair),
        "seeds": [run["seed"] for run in runs[models[0]]],
        "shipped_seed": runs[models[0]][0]["seed"],
        "runs": runs,
        "spread": spread(runs, pair),
        "paper_pairs": len(paper_pairs),
        "timing_note": "training_seconds is wall-clock time: runs that shared the machine's cores with other "
                       "work (other runs, tests) took longer, so compare BLEU, not times",
        "scopes": {"test": "the -10 test split (sentences of any length), buckets of English tokens",
                   "paper": "chapter 6's test set (the -30 models' split, up to 30 tokens), the paper's buckets"},
        "bleu_note": BLEU_SIGNATURE_NOTE,
        "corpus_sha256": sha256,
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "seconds": round(time.perf_counter() - start, 1),
    }
    if out is not None:
        Path(out).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


def format_seeds(record: Mapping[str, Any], scope: str = "test", decoding: str = "greedy") -> str:
    """A table: per bucket each model's BLEU range over seeds and the gap of each seed."""
    system, baseline = record["pair"]
    seeds = ", ".join(str(seed) for seed in record["seeds"])
    lines = [f"{scope}, {decoding}: BLEU over training seeds {seeds} (shipped: seed {record['shipped_seed']})",
             f"{'bucket':<8} {system:>13} {baseline:>13}   {system} - {baseline} by seed"]
    for bucket, row in record["spread"][scope][decoding].items():
        low_s, high_s = row["range"][system]
        low_b, high_b = row["range"][baseline]
        gaps = "  ".join(f"{gap:+5.1f}" for gap in row["gap"])
        lines.append(f"{bucket:<8} {low_s:5.1f} - {high_s:5.1f} {low_b:5.1f} - {high_b:5.1f}   {gaps}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bahdanau.cli.seeds", description=__doc__.splitlines()[0])
    parser.add_argument("--record", nargs="+", metavar="DIR",
                        help="folders of seed runs (NAME.pt for each of " + ", ".join(SEED_MODELS) + ")")
    parser.add_argument("--out", default=None, help=f"where to write the record (default: the package's {SEEDS_FILE})")
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    args = parser.parse_args(argv)
    if args.record:
        out = Path(args.out) if args.out else pretrained_path(SPLIT_MODEL).with_name(SEEDS_FILE)
        record = record_seeds(args.record, out, data_dir=args.data_dir)
        print(f"wrote {Path(out).name}")
    else:
        from ..pretrained import recorded_seeds

        record = recorded_seeds()
    for scope in ("test", "paper"):
        for decoding in record["spread"][scope]:
            print(format_seeds(record, scope, decoding))
            print()


if __name__ == "__main__":
    main()
