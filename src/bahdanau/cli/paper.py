"""The paper's Figure 2 and Table 1, measured on every shipped model: ``python -m bahdanau.cli.paper --record``.

Bahdanau et al. (2014) trained each model on sentences of up to 30 and up to 50 words and
showed (Fig. 2) BLEU against sentence length, and (Table 1) BLEU on all test sentences and on
those with no unknown word. This command measures the same on the shipped models: the "-10"
models (``no-attention``, ``attention``, ``rnnsearch``, trained on English sentences of at most
10 tokens) and the "-30" ones (``rnnencdec-30``, ``rnnsearch-30``, at most 30).

The test set (:func:`paper_test_pairs`) is the test split of the -30 models (:data:`SPLIT_MODEL`'s
data config: a quarter of the English sentences over 10 tokens, 5% of the others, see
:func:`bahdanau.data.split_by_source`), every pair with at most :data:`PAPER_MAX_LEN` tokens per
side. The split of the sentences of at most 10 tokens is the -10 models' own, so this one test
set is unseen by every model: :func:`check_unseen` rebuilds each model's training and
validation splits and stops the command if any test sentence is in one. Each distinct English
sentence is translated once and scored against all its French translations, greedy and with
beam search (:data:`DECODINGS`), as :mod:`bahdanau.cli.evaluate` scores.

The record (``--record`` writes ``bahdanau/pretrained/paper.json``;
:func:`bahdanau.pretrained.recorded_paper` reads it back, :func:`format_paper` prints it) holds
numbers only, no sentence:

- ``figure2[decoding]["models"][name]``: per bucket of :data:`PAPER_BUCKETS` the count, BLEU and
  its 95% bootstrap interval (:func:`bahdanau.metrics.bootstrap_by_length`);
  ``figure2[decoding]["differences"]``: for each pair of :data:`PAPER_PAIRS` the paired bootstrap
  of ``system - baseline`` (:func:`bahdanau.metrics.paired_bootstrap`), on all sentences
  (bucket ``"all"``) and per bucket. One seed and one N give both the same resamples, so a
  model's interval in a difference row is its interval in the figure.
- ``table1[decoding][name]``: ``all`` and ``no_unk``, BLEU with interval and count
  (:func:`bahdanau.metrics.bootstrap_interval`; None for a subset with no sentence).
  "No UNK" (:func:`no_unk_indices`) is the sentences whose English has no token outside
  *any* compared model's source vocabulary and whose references have no token outside any
  compared model's target vocabulary: one subset for every model, so that the column
  compares like with like (the -10 and -30 models have different vocabularies; the paper's
  rule is per model, with one shared vocabulary size).
- ``paper_table1``: the paper's own numbers (:data:`PAPER_TABLE1`).
- ``test_split``: the split's settings, its counts per bucket and of No-UNK sentences;
  ``trained_on``: per model, its length limit, training pairs and test sentences seen (0);
  ``corpus_sha256``, ``date``, ``machine``, ``seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Container, Mapping, Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import torch

from ..data import DataConfig, Pair, filter_by_length, held_out_pairs, load_corpus
from ..download import DATA_DIR_HELP, corpus_sha256, fra_eng_path
from ..metrics import (
    BLEU_SIGNATURE_NOTE,
    BOOTSTRAP_NOTE,
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    SPECIAL_TOKENS_NOTE,
    bootstrap_by_length,
    bootstrap_interval,
    paired_bootstrap,
    paired_bootstrap_by_length,
)
from ..pretrained import PAPER_FILE, PRETRAINED, pretrained_path
from ..runtime import machine
from .evaluate import RECORD_BEAM_SIZE, TranslatedTestSet, translate_test_set

__all__ = [
    "PAPER_BUCKETS", "PAPER_MAX_LEN", "PAPER_PAIRS", "PAPER_TABLE1", "SPLIT_MODEL", "DECODINGS", "NO_UNK_RULE",
    "bucket_of", "paper_test_pairs", "check_unseen", "no_unk_indices", "measure", "record_paper",
    "format_paper", "main",
]

# The paper's Fig. 2 reads BLEU against sentence length; these are its buckets here, in English
# tokens, bounds included. Few test sentences are longer than 20 tokens: the last bucket is wider.
PAPER_BUCKETS: tuple[tuple[int, int], ...] = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 30))
PAPER_MAX_LEN = PAPER_BUCKETS[-1][1]
# The model whose data config defines the test split (the -30 models share it).
SPLIT_MODEL = "rnnsearch-30"
# The differences Fig. 2 is read for (system, baseline): attention at 30 tokens, and at 10.
PAPER_PAIRS: tuple[tuple[str, str], ...] = (("rnnsearch-30", "rnnencdec-30"), ("rnnsearch", "no-attention"))
# (key in the record, beam size): greedy, and the beam size evaluate.py records.
DECODINGS: tuple[tuple[str, int], ...] = (("greedy", 1), ("beam", RECORD_BEAM_SIZE))
# Bahdanau, Cho and Bengio (2014), Table 1: BLEU on WMT'14 English-French news-test-2014,
# all sentences and those with no unknown word, beam search, 30,000-word vocabularies.
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "RNNencdec-30": {"all": 13.93, "no_unk": 24.19},
    "RNNsearch-30": {"all": 21.50, "no_unk": 31.44},
    "RNNencdec-50": {"all": 17.82, "no_unk": 26.71},
    "RNNsearch-50": {"all": 26.75, "no_unk": 34.16},
}
PAPER_TABLE1_NOTE = ("Bahdanau et al. (2014), Table 1: WMT'14 English-French news test, "
                     "30,000-word vocabularies, beam search; not the same test set, corpus or vocabulary size")
NO_UNK_RULE = ("test sentences whose English has no token outside any compared model's source vocabulary "
               "and whose references have no token outside any compared model's target vocabulary: "
               "one subset for every model")


def bucket_of(length: int, buckets: Sequence[tuple[int, int]] = PAPER_BUCKETS) -> str | None:
    """The name (``"11-15"``) of the first bucket holding ``length``; None if none does."""
    for min_len, max_len in buckets:
        if min_len <= length <= max_len:
            return f"{min_len}-{max_len}"
    return None


def _split_config(data_config: DataConfig | Mapping[str, Any]) -> DataConfig:
    """A :class:`DataConfig` from a checkpoint's recorded ``data_config`` (unknown keys ignored)."""
    if isinstance(data_config, DataConfig):
        return data_config
    known = {field.name for field in fields(DataConfig)}
    return DataConfig(**{key: value for key, value in data_config.items() if key in known})


def paper_test_pairs(data_config: DataConfig | Mapping[str, Any], corpus_file: str | os.PathLike[str]) -> list[Pair]:
    """The test split of ``data_config``, pairs of at most :data:`PAPER_MAX_LEN` tokens per side."""
    return filter_by_length(held_out_pairs(_split_config(data_config), path=corpus_file), PAPER_MAX_LEN)


def check_unseen(test_pairs: Sequence[Pair], data_configs: Mapping[str, DataConfig | Mapping[str, Any]],
                 corpus_file: str | os.PathLike[str]) -> dict[str, dict[str, int | None]]:
    """How many test English sentences each model saw in training or validation: 0 each, or an error.

    Each model's splits are rebuilt from its data config with :func:`bahdanau.data.load_corpus`,
    exactly as its training read them. Returns per model its ``max_len``, ``num_train_pairs``
    and ``test_sentences_seen``.

    Raises:
        ValueError: a test sentence is in a model's training or validation split.
    """
    test_sources = {tuple(src) for src, _ in test_pairs}
    report: dict[str, dict[str, int | None]] = {}
    corpora: dict[str, Any] = {}  # models trained on the same split read the corpus once
    for name, data_config in data_configs.items():
        config = _split_config(data_config)
        key = json.dumps(asdict(config), sort_keys=True)  # DataConfig is mutable, so not hashable
        if key not in corpora:
            corpora[key] = load_corpus(config, path=corpus_file)
        corpus = corpora[key]
        seen = test_sources & {tuple(src) for src, _ in corpus.train + corpus.val}
        if seen:
            raise ValueError(f"{len(seen)} test sentences are in {name}'s training or validation split")
        report[name] = {"max_len": corpus.config.max_len, "num_train_pairs": len(corpus.train),
                        "test_sentences_seen": len(seen)}
    return report


def no_unk_indices(sources: Sequence[Sequence[str]], references: Sequence[Sequence[str]],
                   vocabularies: Sequence[tuple[Container[str], Container[str]]]) -> list[int]:
    """The test sentences with no unknown word for any compared model (see the module docstring).

    Args:
        sources: the English sentences, as token sequences, N in all.
        references: N lists of reference strings (tokens separated by spaces).
        vocabularies: one ``(src_vocab, tgt_vocab)`` per compared model: anything that answers ``in``.

    Returns:
        The indices i whose English tokens are in every source vocabulary and whose every
        reference's tokens are in every target vocabulary, in order.
    """
    if len(sources) != len(references):
        raise ValueError(f"no_unk_indices got {len(sources)} sentences but {len(references)} reference lists")
    kept = []
    for i, (source, refs) in enumerate(zip(sources, references, strict=True)):
        french = {token for ref in refs for token in ref.split()}
        if all(all(token in src_vocab for token in source) and all(token in tgt_vocab for token in french)
               for src_vocab, tgt_vocab in vocabularies):
            kept.append(i)
    return kept


def _subset_interval(test: TranslatedTestSet, indices: Sequence[int], *, n_samples: int,
                     seed: int) -> dict[str, Any] | None:
    """:func:`bahdanau.metrics.bootstrap_interval` of the sentences ``indices``; None if there is none."""
    if not indices:
        return None
    return bootstrap_interval([test.hypotheses[i] for i in indices], [test.references[i] for i in indices],
                              n_samples=n_samples, seed=seed)


def _differences(system: TranslatedTestSet, baseline: TranslatedTestSet, *, n_samples: int,
                 seed: int) -> list[dict[str, Any]]:
    """The paired bootstrap of two systems: on all sentences (bucket ``"all"``), then per bucket."""
    lengths = [len(source) for source in system.sources]
    overall = paired_bootstrap(system.hypotheses, baseline.hypotheses, system.references,
                               n_samples=n_samples, seed=seed)
    return [{"bucket": "all", "min_len": min(lengths), "max_len": max(lengths), **overall},
            *paired_bootstrap_by_length(system.hypotheses, baseline.hypotheses, system.references, lengths,
                                        PAPER_BUCKETS, n_samples=n_samples, seed=seed)]


def measure(models: Mapping[str, Any], test_pairs: Sequence[Pair], *,
            pairs: Sequence[tuple[str, str]] = PAPER_PAIRS, n_samples: int = BOOTSTRAP_SAMPLES,
            seed: int = BOOTSTRAP_SEED, batch_size: int = 256) -> dict[str, Any]:
    """Translate ``test_pairs`` with every model, greedy and beam, and score Figure 2 and Table 1.

    ``models`` maps a name to anything with ``model``, ``src_vocab`` and ``tgt_vocab`` (a loaded
    checkpoint or a :class:`~bahdanau.pretrained.Translator`). Returns ``figure2``, ``table1``
    (see the module docstring), ``no_unk_sentences`` and ``translate_seconds``.
    """
    start = time.perf_counter()
    translated = {
        decoding: {name: translate_test_set(side.model, side.src_vocab, side.tgt_vocab, list(test_pairs),
                                            beam_size=beam_size, batch_size=batch_size)
                   for name, side in models.items()}
        for decoding, beam_size in DECODINGS
    }
    translate_seconds = time.perf_counter() - start
    first = next(iter(translated[DECODINGS[0][0]].values()))
    lengths = [len(source) for source in first.sources]
    everyone = list(range(len(first.sources)))
    no_unk = no_unk_indices(first.sources, first.references,
                            [(side.src_vocab, side.tgt_vocab) for side in models.values()])
    figure2: dict[str, Any] = {}
    table1: dict[str, Any] = {}
    for decoding, beam_size in DECODINGS:
        sets = translated[decoding]
        figure2[decoding] = {
            "beam_size": beam_size,
            "models": {name: bootstrap_by_length(test.hypotheses, test.references, lengths, PAPER_BUCKETS,
                                                 n_samples=n_samples, seed=seed) for name, test in sets.items()},
            "differences": [{"system": system, "baseline": baseline,
                             "rows": _differences(sets[system], sets[baseline], n_samples=n_samples, seed=seed)}
                            for system, baseline in pairs],
        }
        table1[decoding] = {
            "beam_size": beam_size,
            **{name: {subset: _subset_interval(test, indices, n_samples=n_samples, seed=seed)
                      for subset, indices in (("all", everyone), ("no_unk", no_unk))}
               for name, test in sets.items()},
        }
    return {"figure2": figure2, "table1": table1, "no_unk_sentences": len(no_unk),
            "translate_seconds": round(translate_seconds, 1)}


def _split_counts(test_pairs: Sequence[Pair]) -> dict[str, Any]:
    """Distinct English sentences and pairs of the test split, per :data:`PAPER_BUCKETS` bucket."""
    sources = dict.fromkeys(tuple(src) for src, _ in test_pairs)
    by_bucket = {f"{low}-{high}": 0 for low, high in PAPER_BUCKETS}
    for source in sources:
        by_bucket[bucket_of(len(source))] += 1  # every length 1..PAPER_MAX_LEN has a bucket
    return {"num_sentences": len(sources), "num_pairs": len(test_pairs), "sentences_by_bucket": by_bucket}


def record_paper(paths: Mapping[str, str | os.PathLike[str]], out: str | os.PathLike[str] | None = None, *,
                 split_model: str = SPLIT_MODEL, data_dir: str | os.PathLike[str] | None = None,
                 corpus_path: str | os.PathLike[str] | None = None, n_samples: int = BOOTSTRAP_SAMPLES,
                 seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """Load the checkpoints ``paths`` (name -> file), :func:`measure` them, return the record.

    The test split is ``split_model``'s (:func:`paper_test_pairs`), checked unseen by every
    model (:func:`check_unseen`). With ``out``, the record is also written there as JSON.

    Raises:
        ValueError: a model was trained on another corpus, or has seen a test sentence.
    """
    from ..training import load_checkpoint

    start = time.perf_counter()
    corpus_file = Path(corpus_path) if corpus_path is not None else fra_eng_path(data_dir)
    sha256 = corpus_sha256(corpus_file)
    models = {name: load_checkpoint(path) for name, path in paths.items()}
    for name, checkpoint in models.items():
        if checkpoint.metadata.get("corpus_sha256", sha256) != sha256:
            raise ValueError(f"{name} was trained on another corpus than {corpus_file}")
    split_config = _split_config(models[split_model].metadata.get("data_config", {}))
    test_pairs = paper_test_pairs(split_config, corpus_file)
    trained_on = check_unseen(test_pairs, {name: checkpoint.metadata.get("data_config", {})
                                           for name, checkpoint in models.items()}, corpus_file)
    measured = measure(models, test_pairs, n_samples=n_samples, seed=seed)
    record = {
        "description": "Figure 2 and Table 1 of Bahdanau et al. (2014) measured on the shipped models: "
                       "BLEU by English length and on sentences with no unknown word, greedy and beam search",
        "command": "python -m bahdanau.cli.paper --record",
        "models": list(models),
        "test_split": {"from": split_model, "max_len": PAPER_MAX_LEN,
                       "split": {key: getattr(split_config, key) for key in
                                 ("val_fraction", "test_fraction", "long_test_fraction", "split_seed")},
                       **_split_counts(test_pairs), "no_unk_sentences": measured["no_unk_sentences"],
                       "unseen_by_every_model": True},
        "trained_on": trained_on,
        "buckets": [list(bucket) for bucket in PAPER_BUCKETS],
        "decodings": dict(DECODINGS),
        "bounded": None,  # every test sentence is translated with every decoding
        "bootstrap": {"n_samples": n_samples, "seed": seed, "confidence": 0.95, "note": BOOTSTRAP_NOTE},
        "bleu_note": BLEU_SIGNATURE_NOTE,
        "special_tokens_note": SPECIAL_TOKENS_NOTE,
        "no_unk_rule": NO_UNK_RULE,
        "figure2": measured["figure2"],
        "table1": measured["table1"],
        "paper_table1": PAPER_TABLE1,
        "paper_table1_note": PAPER_TABLE1_NOTE,
        "corpus_sha256": sha256,
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "translate_seconds": measured["translate_seconds"],
        "seconds": round(time.perf_counter() - start, 1),
    }
    if out is not None:
        Path(out).write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return record


def _with_interval(row: Mapping[str, Any] | None, sign: str = "") -> str:
    """``"23.4 [21.0, 25.9]"`` (with ``sign="+"``: ``"+2.1 [+0.4, +3.9]"``); ``"-"`` for no sentence."""
    if row is None:
        return "-"
    return f"{row['bleu']:{sign}.1f} [{row['low']:{sign}.1f}, {row['high']:{sign}.1f}]"


def _decoding_names(record: Mapping[str, Any]) -> list[str]:
    return [f"beam {size}" if size > 1 else "greedy" for size in record["decodings"].values()]


def _format_figure2(record: Mapping[str, Any]) -> list[str]:
    decodings, names = list(record["decodings"]), _decoding_names(record)
    figure = record["figure2"]
    lines = ["Figure 2: BLEU by English length [95% bootstrap interval]",
             f"{'model':<13} {'length':>6} {'n':>5}  {names[0]:<19} {names[1]:<19}"]
    for name in record["models"]:
        rows = zip(*(figure[decoding]["models"][name] for decoding in decodings), strict=True)
        lines += [f"{name:<13} {first['bucket']:>6} {first['count']:>5}  {_with_interval(first):<19} "
                  f"{_with_interval(second)}" for first, second in rows]
    for index, pair in enumerate(figure[decodings[0]]["differences"]):
        lines += ["", f"{pair['system']} - {pair['baseline']}, paired bootstrap",
                  f"{'length':>6} {'n':>5}  {names[0]:<21} {names[1]:<21} p (greedy)"]
        second = figure[decodings[1]]["differences"][index]["rows"]
        lines += [f"{row['bucket']:>6} {row['count']:>5}  {_with_interval(row['difference'], '+'):<21} "
                  f"{_with_interval(other['difference'], '+'):<21} {row['p_value']:.3f}"
                  for row, other in zip(pair["rows"], second, strict=True)]
    return lines


def _format_table1(record: Mapping[str, Any]) -> list[str]:
    split, table = record["test_split"], record["table1"]
    lines = [f"Table 1: BLEU on all {split['num_sentences']} test sentences and on the "
             f"{split['no_unk_sentences']} with", "no unknown word for any model (No UNK) [95% interval]",
             f"{'model':<13} {'decoding':<8}  {'all':<19} {'No UNK':<19}"]
    for name in record["models"]:
        for decoding, label in zip(record["decodings"], _decoding_names(record), strict=True):
            row = table[decoding][name]
            lines.append(f"{name if label == 'greedy' else '':<13} {label:<8}  {_with_interval(row['all']):<19} "
                         f"{_with_interval(row['no_unk'])}")
    lines += ["", "The paper (WMT'14 En-Fr news, 30,000 words, beam search):"]
    lines += [f"{name:<13} {'beam':<8}  {row['all']:<19.2f} {row['no_unk']:.2f}"
              for name, row in record["paper_table1"].items()]
    return lines


def format_paper(record: Mapping[str, Any]) -> str:
    """The record as two tables, at most 78 characters a line (for the book)."""
    bootstrap = record["bootstrap"]
    lines = [*_format_figure2(record), "", *_format_table1(record), "",
             f"({bootstrap['n_samples']} resamples, seed {bootstrap['seed']}; "
             f"measured {record['date']} in {record['seconds'] / 60:.1f} min)"]
    return "\n".join(line.rstrip() for line in lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Measure the paper's Figure 2 and Table 1 on the shipped models.")
    parser.add_argument("--record", action="store_true",
                        help=f"write the record to bahdanau/pretrained/{PAPER_FILE} (or --out)")
    parser.add_argument("--show", action="store_true", help="print the recorded tables; measure nothing")
    parser.add_argument("--checkpoints", default=None,
                        help="a folder holding NAME.pt for every shipped model (default: the shipped files)")
    parser.add_argument("--out", default=None, help="where --record writes (default: beside the shipped models)")
    parser.add_argument("--samples", type=int, default=BOOTSTRAP_SAMPLES, help="bootstrap resamples")
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    args = parser.parse_args(argv)
    if args.show:
        from ..pretrained import recorded_paper

        print(format_paper(recorded_paper()))
        return
    torch.manual_seed(0)
    folder = Path(args.checkpoints) if args.checkpoints else None
    paths = {name: folder / f"{name}.pt" if folder else pretrained_path(name) for name in PRETRAINED}
    out = None
    if args.record:
        out = Path(args.out) if args.out else pretrained_path(SPLIT_MODEL).with_name(PAPER_FILE)
    record = record_paper(paths, out, data_dir=args.data_dir, n_samples=args.samples)
    print(format_paper(record))
    if out is not None:
        print(f"\nrecorded in {out}")


if __name__ == "__main__":
    main()
