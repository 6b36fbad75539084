"""Evaluate a checkpoint on the held-out test split: ``python -m bahdanau.cli.evaluate CHECKPOINT``.

The test split is grouped by English sentence (see :func:`bahdanau.data.split_by_source`),
so no test sentence was seen in training. The corpus often lists several French
translations of one English sentence; every one of them counts as a reference
(multi-reference BLEU). Each distinct English sentence is translated once.

Reported figures (sacreBLEU corpus BLEU, see :data:`bahdanau.metrics.BLEU_SIGNATURE_NOTE`):

- ``test_bleu``: multi-reference BLEU on test sentences of at most ``max_len`` (10) English tokens;
- ``test_bleu_single_ref``: the same sentences, scored pair by pair against each pair's own
  French sentence only (the usual, stricter single-reference figure);
- ``unk_rate``: the share of the output tokens (same sentences) that are ``<unk>``, and
  ``reference_unk_rate``: the share of their references' tokens outside the target vocabulary;
- ``bleu_by_length``: multi-reference BLEU per English-length bucket
  (:data:`bahdanau.metrics.DEFAULT_LENGTH_BUCKETS`), all lengths (the paper's Fig. 2 in
  miniature: how quality holds up as sentences grow).

Beside each figure: ``bleu_signature`` (and ``bleu_signature_single_ref``, and one per
length bucket), sacreBLEU's signature of the score, and ``special_tokens_note``: a model's
``<unk>`` counts as one word that matches nothing (see :func:`bahdanau.metrics.corpus_bleu`).

``--record`` stores the results in the checkpoint's metadata (``test`` for greedy decoding,
``test_beam`` for beam search with ``RECORD_BEAM_SIZE``) and in ``NAME.json`` beside it; the
training command does this for every model it writes.

``--compare SYSTEM BASELINE`` translates the test split with both models (greedy and beam
search) and runs sacreBLEU's paired bootstrap (:func:`bahdanau.metrics.paired_bootstrap`):
each model's BLEU with its 95% interval, and the difference with its own interval and
p-value, overall (``<= max_len`` tokens) and per length bucket. With ``--record`` it writes
them to ``SYSTEM-vs-BASELINE.json`` (:func:`comparison_file`) beside SYSTEM: for the shipped
models, ``python -m bahdanau.cli.evaluate --compare attention no-attention --record``, and the same
for ``rnnsearch no-attention`` and ``rnnsearch attention``.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..alignment import evaluate_alignments
from ..data import UNK, Pair, Vocab, held_out_pairs, references_by_source
from ..decoding import replace_unknowns, translate
from ..download import DATA_DIR_HELP
from ..metrics import (
    BLEU_SIGNATURE_NOTE,
    BOOTSTRAP_NOTE,
    BOOTSTRAP_SAMPLES,
    BOOTSTRAP_SEED,
    DEFAULT_LENGTH_BUCKETS,
    SPECIAL_TOKENS_NOTE,
    bleu_by_length_of_statistics,
    bleu_of_statistics,
    bleu_signature,
    corpus_bleu_with_signature,
    paired_bootstrap,
    paired_bootstrap_by_length,
    sentence_statistics,
)

__all__ = [
    "QUALITY_MAX_LEN", "RECORD_BEAM_SIZE", "comparison_file", "TranslatedTestSet", "translate_test_set",
    "evaluate_model", "score_test_set", "evaluate_checkpoint", "record_evaluation", "compare_models",
    "compare_checkpoints", "record_comparison", "format_report", "format_comparison", "main",
]

QUALITY_MAX_LEN = 10
RECORD_BEAM_SIZE = 4


def comparison_file(system: str, baseline: str) -> str:
    """The file ``--compare SYSTEM BASELINE --record`` writes beside SYSTEM's checkpoint.

    For the shipped models it lives in ``bahdanau/pretrained/`` and
    :func:`bahdanau.pretrained.recorded_comparison` reads it.
    """
    return f"{system}-vs-{baseline}.json"


@dataclass
class TranslatedTestSet:
    """A model's translations of every distinct English sentence of a test split.

    Attributes:
        sources: the distinct English sentences, as token tuples, in order of first appearance.
        hypotheses: the model's translation of each, a string of tokens.
        references: all the French translations of each (strings), the references of BLEU.
        replaced: the same translations after unknown-word replacement
            (:func:`bahdanau.decoding.replace_unknowns`); None for a model without attention.
    """

    sources: list[tuple[str, ...]]
    hypotheses: list[str]
    references: list[list[str]]
    replaced: list[str] | None = None

    def short(self, max_len: int) -> list[int]:
        """Indices of the sentences of at most ``max_len`` English tokens."""
        short = [i for i, src in enumerate(self.sources) if len(src) <= max_len]
        if not short:
            raise ValueError(f"no test sentence has at most {max_len} tokens")
        return short


def translate_test_set(model: nn.Module, src_vocab: Vocab, tgt_vocab: Vocab, pairs: list[Pair], *,
                       beam_size: int = 1, batch_size: int = 256) -> TranslatedTestSet:
    """Translate each distinct English sentence of ``pairs`` once (see the module docstring)."""
    references = references_by_source(pairs)  # English tokens -> all French token lists
    sources = [tuple(src) for src in references]
    translations = translate(model, [" ".join(src) for src in sources], src_vocab, tgt_vocab,
                             beam_size=beam_size, batch_size=batch_size)
    # The copy needs only the weights of the decoding already done: no second decoding.
    replaced = ([replace_unknowns(t).text for t in translations]
                if all(getattr(t, "attention", None) is not None for t in translations) else None)
    return TranslatedTestSet(sources, [t.text for t in translations],
                            [[" ".join(ref) for ref in refs] for refs in references.values()], replaced)


def _replace_unk_report(test: TranslatedTestSet, short: list[int], statistics: np.ndarray, tgt_vocab: Vocab,
                        num_examples: int) -> dict[str, Any]:
    """BLEU of the short sentences after unknown-word replacement, and what the copies were.

    ``tokens_copied`` counts the replaced ``<unk>``; ``copies_in_reference`` those whose copied
    word is one the target vocabulary cannot write and that occurs in one of the sentence's
    references: a word the model could not have produced itself, supplied right (copying a
    "." the model could have written does not count). The examples are sentences whose every
    copy is such a word. ``statistics`` are the decoding's :func:`bahdanau.metrics.sentence_statistics`
    (see :func:`evaluate_model`): only the sentences that replacement changed are counted again.
    """
    assert test.replaced is not None
    changed = [i for i in short if test.replaced[i] != test.hypotheses[i]]
    # An unchanged sentence keeps its statistics; a changed one is counted with its new words.
    replaced_statistics = statistics.copy()
    if changed:
        replaced_statistics[changed] = sentence_statistics([test.replaced[i] for i in changed],
                                                           [test.references[i] for i in changed])
    bleu = bleu_of_statistics(replaced_statistics[short].sum(axis=0))
    output_tokens = [token for i in short for token in test.replaced[i].split()]
    copied = in_reference = 0
    good: list[int] = []  # sentences where every copied word is in a reference
    for i in changed:
        reference_words = {word for reference in test.references[i] for word in reference.split()}
        words = [new for old, new in zip(test.hypotheses[i].split(), test.replaced[i].split(), strict=True)
                 if old == UNK]
        hits = sum(word in reference_words and word not in tgt_vocab for word in words)
        copied, in_reference = copied + len(words), in_reference + hits
        if hits == len(words):
            good.append(i)
    shown = good[:: max(1, len(good) // num_examples)][:num_examples]
    return {
        "test_bleu": bleu,
        "bleu_signature": bleu_signature([test.references[i] for i in short]),
        "sentences_changed": len(changed),
        "tokens_copied": copied,
        "copies_in_reference": in_reference,
        "unk_rate": output_tokens.count(UNK) / max(1, len(output_tokens)),
        "examples": [
            {"english": " ".join(test.sources[i]), "output": test.hypotheses[i], "replaced": test.replaced[i],
             "references": test.references[i]}
            for i in shown
        ],
    }


def evaluate_model(model: nn.Module, src_vocab: Vocab, tgt_vocab: Vocab, pairs: list[Pair], *,
                   beam_size: int = 1, max_len: int = QUALITY_MAX_LEN, batch_size: int = 256,
                   num_examples: int = 5) -> dict[str, Any]:
    """Translate every distinct English sentence of ``pairs`` and score it (see the module docstring)."""
    test = translate_test_set(model, src_vocab, tgt_vocab, pairs, beam_size=beam_size, batch_size=batch_size)
    return score_test_set(test, pairs, tgt_vocab, beam_size=beam_size, max_len=max_len, num_examples=num_examples)


def score_test_set(test: TranslatedTestSet, pairs: list[Pair], tgt_vocab: Vocab, *, beam_size: int = 1,
                   max_len: int = QUALITY_MAX_LEN, num_examples: int = 5) -> dict[str, Any]:
    """:func:`evaluate_model`'s report of ``test``, the translations of ``pairs`` made by
    :func:`translate_test_set` (with ``beam_size``, which the report states)."""
    short = test.short(max_len)
    hypothesis_of = dict(zip(test.sources, test.hypotheses, strict=True))
    short_pairs = [(tuple(src), tgt) for src, tgt in pairs if len(src) <= max_len]
    examples = [
        {"english": " ".join(test.sources[i]), "output": test.hypotheses[i], "references": test.references[i]}
        for i in short[:: max(1, len(short) // num_examples)][:num_examples]
    ]
    output_tokens = [token for i in short for token in test.hypotheses[i].split()]
    reference_tokens = [token for _, tgt in short_pairs for token in tgt]
    # Corpus BLEU of any set of sentences is BLEU of their summed sentence statistics (sacreBLEU's
    # counts): each sentence is tokenised and counted once here, and test_bleu, every length
    # bucket and the replaced outputs add up the rows they need instead of scoring again.
    statistics = sentence_statistics(test.hypotheses, test.references)
    test_bleu = bleu_of_statistics(statistics[short].sum(axis=0))
    # Single references are other references: that score counts its pairs on its own.
    single_ref_bleu, single_ref_signature = corpus_bleu_with_signature(
        [hypothesis_of[src] for src, _ in short_pairs], [[" ".join(tgt)] for _, tgt in short_pairs])
    return {
        "test_bleu": test_bleu,
        "test_bleu_single_ref": single_ref_bleu,
        "max_len": max_len,
        "num_sentences": len(short),
        "num_pairs": len(short_pairs),
        "bleu_by_length": bleu_by_length_of_statistics(statistics, test.references,
                                                       [len(src) for src in test.sources], DEFAULT_LENGTH_BUCKETS),
        "beam_size": beam_size,
        "bleu_note": BLEU_SIGNATURE_NOTE,
        "bleu_signature": bleu_signature([test.references[i] for i in short]),
        "bleu_signature_single_ref": single_ref_signature,
        "special_tokens_note": SPECIAL_TOKENS_NOTE,
        # What the vocabulary costs: <unk> outputs never match, and references hold words
        # the model cannot write at all.
        "unk_rate": output_tokens.count(UNK) / max(1, len(output_tokens)),
        "reference_unk_rate": sum(token not in tgt_vocab for token in reference_tokens) / max(1, len(reference_tokens)),
        "examples": examples,
        # Unknown-word replacement (translate(..., replace_unk=True)) on the same decoding.
        **({"replace_unk": _replace_unk_report(test, short, statistics, tgt_vocab, num_examples)}
           if test.replaced is not None else {}),
    }


def evaluate_checkpoint(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None,
                        corpus_path: str | os.PathLike[str] | None = None, beam_size: int = 1) -> dict[str, Any]:
    """Load a checkpoint and :func:`evaluate_model` it on the test split of its own data config."""
    from ..training import load_checkpoint

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
    from ..training import load_checkpoint, read_checkpoint_metadata, save_checkpoint

    path = Path(path)
    checkpoint = load_checkpoint(path)
    pairs = held_out_pairs(checkpoint.metadata.get("data_config", {}), data_dir=data_dir, path=corpus_path)
    metadata = dict(checkpoint.metadata)
    for key, beam_size in (("test", 1), ("test_beam", RECORD_BEAM_SIZE)):
        metadata[key] = evaluate_model(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab, pairs,
                                       beam_size=beam_size)
    if metadata["test"].get("replace_unk") is not None:  # an attention model: measure its alignments too
        metadata["alignment"] = evaluate_alignments(checkpoint.model, checkpoint.src_vocab, checkpoint.tgt_vocab)
    half = bool(read_checkpoint_metadata(path).get("half", False))
    save_checkpoint(path, checkpoint.model, checkpoint.model_config, checkpoint.src_vocab, checkpoint.tgt_vocab,
                    metadata, half=half)
    # The same metadata, readable without torch (README's tables and the book read these files).
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=1, ensure_ascii=False) + "\n",
                                         encoding="utf-8")
    return metadata


def compare_models(system: Any, baseline: Any, pairs: list[Pair], *, max_len: int = QUALITY_MAX_LEN,
                   beam_sizes: tuple[int, ...] = (1, RECORD_BEAM_SIZE), n_samples: int = BOOTSTRAP_SAMPLES,
                   seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """Paired bootstrap of ``system`` against ``baseline`` on the test ``pairs``, per decoding.

    ``system`` and ``baseline`` have ``model``, ``src_vocab`` and ``tgt_vocab`` (a loaded
    checkpoint or a :class:`~bahdanau.pretrained.Translator`). For each beam size (1: greedy,
    recorded as ``test``; :data:`RECORD_BEAM_SIZE`: ``test_beam``, as in the metadata):
    ``overall``, :func:`bahdanau.metrics.paired_bootstrap` on the sentences of at most
    ``max_len`` English tokens (the sentences of ``test_bleu``), and ``by_length``,
    :func:`bahdanau.metrics.paired_bootstrap_by_length` over all lengths, all references.
    """
    result: dict[str, Any] = {}
    for beam_size in beam_sizes:
        system_set, baseline_set = (
            translate_test_set(side.model, side.src_vocab, side.tgt_vocab, pairs, beam_size=beam_size)
            for side in (system, baseline)
        )
        short = system_set.short(max_len)
        key = "test" if beam_size == 1 else ("test_beam" if beam_size == RECORD_BEAM_SIZE else f"beam_{beam_size}")
        result[key] = {
            "beam_size": beam_size,
            "overall": paired_bootstrap([system_set.hypotheses[i] for i in short],
                                        [baseline_set.hypotheses[i] for i in short],
                                        [system_set.references[i] for i in short], n_samples=n_samples, seed=seed),
            "by_length": paired_bootstrap_by_length(system_set.hypotheses, baseline_set.hypotheses,
                                                    system_set.references, [len(s) for s in system_set.sources],
                                                    DEFAULT_LENGTH_BUCKETS, n_samples=n_samples, seed=seed),
        }
    return result


def compare_checkpoints(system_path: str | os.PathLike[str], baseline_path: str | os.PathLike[str], *,
                        data_dir: str | os.PathLike[str] | None = None,
                        corpus_path: str | os.PathLike[str] | None = None, n_samples: int = BOOTSTRAP_SAMPLES,
                        seed: int = BOOTSTRAP_SEED) -> dict[str, Any]:
    """Load two checkpoints and :func:`compare_models` them on their shared test split.

    Returns the comparison with what it is about: ``system`` and ``baseline`` (the files'
    names without ``.pt``), the corpus and split, the bootstrap settings and the notes, then
    ``test`` (greedy) and ``test_beam`` (beam search).

    Raises:
        ValueError: the two checkpoints were not split the same way (no shared test split).
    """
    from ..training import load_checkpoint

    system, baseline = load_checkpoint(system_path), load_checkpoint(baseline_path)
    pairs = held_out_pairs(system.metadata.get("data_config", {}), data_dir=data_dir, path=corpus_path)
    if held_out_pairs(baseline.metadata.get("data_config", {}), data_dir=data_dir, path=corpus_path) != pairs:
        raise ValueError(f"{system_path} and {baseline_path} were split differently: no shared test split")
    return {
        "system": Path(system_path).stem,
        "baseline": Path(baseline_path).stem,
        "description": f"{Path(system_path).stem} against {Path(baseline_path).stem} on the held-out test "
                       "split: paired bootstrap resampling of corpus BLEU, all references",
        "corpus_sha256": system.metadata.get("corpus_sha256"),
        "split_seed": system.metadata.get("split_seed"),
        "max_len": QUALITY_MAX_LEN,
        "n_samples": n_samples,
        "seed": seed,
        "confidence": 0.95,
        "bootstrap_note": BOOTSTRAP_NOTE,
        "bleu_note": BLEU_SIGNATURE_NOTE,
        "special_tokens_note": SPECIAL_TOKENS_NOTE,
        **compare_models(system, baseline, pairs, n_samples=n_samples, seed=seed),
    }


def record_comparison(system_path: str | os.PathLike[str], baseline_path: str | os.PathLike[str], *,
                      data_dir: str | os.PathLike[str] | None = None,
                      corpus_path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], Path]:
    """:func:`compare_checkpoints` and write it to :func:`comparison_file` beside ``system_path``.

    Returns the comparison and the path written.
    """
    comparison = compare_checkpoints(system_path, baseline_path, data_dir=data_dir, corpus_path=corpus_path)
    out = Path(system_path).with_name(comparison_file(comparison["system"], comparison["baseline"]))
    out.write_text(json.dumps(comparison, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return comparison, out


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as the text ``python -m bahdanau.cli.evaluate`` prints."""
    lines = [
        f"test BLEU, English sentences of <= {report['max_len']} tokens ({report['num_sentences']} sentences, "
        f"all references): {report['test_bleu']:.1f}",
        f"single-reference BLEU on the same sentences ({report['num_pairs']} pairs): "
        f"{report['test_bleu_single_ref']:.1f}",
        f"({report['bleu_note']}; {'greedy' if report['beam_size'] == 1 else 'beam ' + str(report['beam_size'])} "
        "decoding)",
    ]
    if "bleu_signature" in report:  # metadata recorded before the signatures were
        lines += [f"(sacreBLEU signature {report['bleu_signature']}; {report['special_tokens_note']})"]
    lines += [
        "",
        "BLEU by English length (all references):",
        "  length  sentences   BLEU",
    ]
    lines += [f"  {row['bucket']:>6}  {row['count']:>9}  {row['bleu']:5.1f}" for row in report["bleu_by_length"]]
    lines += ["", "Examples:"]
    for example in report["examples"]:
        lines += [f"  EN  {example['english']}", f"  ->  {example['output']}", f"  ref {example['references'][0]}"]
    return "\n".join(lines)


def _format_interval(record: dict[str, Any]) -> str:
    return f"{record['bleu']:5.1f} [{record['low']:5.1f}, {record['high']:5.1f}]"


def format_comparison(comparison: dict[str, Any]) -> str:
    """A comparison of :func:`compare_checkpoints` as the text ``--compare`` prints."""
    system, baseline = comparison["system"], comparison["baseline"]
    lines = [f"{system} against {baseline}: BLEU [95% interval], paired bootstrap "
             f"({comparison['n_samples']} resamples, seed {comparison['seed']})"]
    for key, section in comparison.items():
        if not (isinstance(section, dict) and "overall" in section):
            continue
        decoding = "greedy" if section["beam_size"] == 1 else f"beam {section['beam_size']}"
        overall = section["overall"]
        lines += ["", f"{decoding} ({key}), {overall['bleu_signature']}",
                  f"  {'length':>6}  {'n':>5}  {system:>21}  {baseline:>21}  {'difference':>21}  p-value"]
        rows = [{"bucket": f"<={comparison['max_len']}", **overall}, *section["by_length"]]
        lines += [f"  {row['bucket']:>6}  {row['count']:>5}  {_format_interval(row['system']):>21}  "
                  f"{_format_interval(row['baseline']):>21}  {_format_interval(row['difference']):>21}  "
                  f"{row['p_value']:.4f}" for row in rows]
    return "\n".join(lines)


def _checkpoint_path(name: str, parser: argparse.ArgumentParser) -> Path:
    """A checkpoint file, or the shipped model of that name."""
    path = Path(name)
    if path.exists():
        return path
    from ..pretrained import PRETRAINED, pretrained_path

    if name not in PRETRAINED:
        parser.error(f"no such file: {name} (pretrained models: {', '.join(PRETRAINED)})")
    return pretrained_path(name)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate a checkpoint on the held-out test split.")
    parser.add_argument("checkpoint", nargs="?", help="a .pt file written by `python -m bahdanau.cli.train`, or a "
                                                      "pretrained model's name ('attention', 'no-attention')")
    parser.add_argument("--beam-size", type=int, default=1, help="1: greedy decoding (default); more: beam search")
    parser.add_argument("--data-dir", default=None, help=DATA_DIR_HELP)
    parser.add_argument("--compare", nargs=2, metavar=("SYSTEM", "BASELINE"),
                        help="paired bootstrap of two checkpoints (files or pretrained names), greedy and "
                             f"beam {RECORD_BEAM_SIZE}, overall and by length")
    parser.add_argument("--record", action="store_true",
                        help=f"store greedy and beam-{RECORD_BEAM_SIZE} results in the checkpoint's metadata "
                             f"(and NAME.json beside it); with --compare, write SYSTEM-vs-BASELINE.json beside SYSTEM")
    args = parser.parse_args(argv)
    if (args.checkpoint is None) == (args.compare is None):
        parser.error("give either a checkpoint or --compare SYSTEM BASELINE")
    torch.manual_seed(0)
    if args.compare:
        system, baseline = (_checkpoint_path(name, parser) for name in args.compare)
        if args.record:
            comparison, out = record_comparison(system, baseline, data_dir=args.data_dir)
            print(format_comparison(comparison), f"\nrecorded in {out}", sep="\n")
        else:
            print(format_comparison(compare_checkpoints(system, baseline, data_dir=args.data_dir)))
        return
    path = _checkpoint_path(args.checkpoint, parser)
    if args.record:
        metadata = record_evaluation(path, data_dir=args.data_dir)
        print(format_report(metadata["test"]), format_report(metadata["test_beam"]), sep="\n\n")
        print(f"\nrecorded in {path.name} and {path.with_suffix('.json').name}")
        return
    print(format_report(evaluate_checkpoint(path, data_dir=args.data_dir, beam_size=args.beam_size)))


if __name__ == "__main__":
    main()
