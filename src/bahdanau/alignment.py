"""Forced alignment and its evaluation against hand-made gold links.

A translation's attention shows where the model looked while writing *its own* output.
:func:`forced_alignment` shows where it looks while reading a *given* French sentence
(teacher forcing): the decoder is fed the reference token by token, exactly as in training,
and its attention weights are kept. That is how an alignment model is compared with a human
word alignment:

- :func:`argmax_links`: for every French token, the English token of its row's largest
  weight, as a set of links ``(english_index, french_index)``;
- :func:`argmax_accuracy`: the share of linked French tokens whose row argmax falls on an
  English token they are linked to;
- :func:`alignment_error_rate`: AER (Och and Ney 2003) with every gold link *sure*,
  ``1 - 2 |A ∩ S| / (|A| + |S|)``.

``gold_alignments.json`` in the package holds a small gold set written for this book
(:func:`gold_alignments`). Shapes: T French tokens, S English tokens (``<eos>`` excluded
from the links, included in the weights).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import torch
from torch import Tensor

from .data import EOS, Vocab, encode_sources, sentence_words
from .decoding import decoder_step, start_state, unknown_words
from .interfaces import Seq2Seq
from .runtime import inference_mode, model_device

__all__ = [
    "Alignment",
    "forced_alignment",
    "argmax_links",
    "argmax_accuracy",
    "alignment_error_rate",
    "gold_alignments",
    "evaluate_alignments",
]


@dataclass(repr=False)
class Alignment:
    """The attention a model puts on the English while it reads a given French sentence.

    Attributes:
        weights: (len(tgt_tokens), len(src_tokens)): row t is the distribution over the
            English tokens while the model predicts French token t; each row sums to 1.
        src_tokens: the English as the model read it: words, then ``<eos>``.
        tgt_tokens: the French as it was fed: words, then ``<eos>`` (the last row).
        unknown_src, unknown_tgt: the distinct words each vocabulary reads as ``<unk>``.
    """

    weights: Tensor
    src_tokens: list[str]
    tgt_tokens: list[str]
    unknown_src: list[str] = field(default_factory=list)
    unknown_tgt: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return (f"Alignment({' '.join(self.src_tokens)!r} -> {' '.join(self.tgt_tokens)!r}, "
                f"weights {tuple(self.weights.shape)})")


def forced_alignment(model: Seq2Seq, english: str, french: str, src_vocab: Vocab,
                     tgt_vocab: Vocab) -> Alignment:
    """Teacher-force ``french`` through ``model`` and keep the attention weights.

    The decoder reads ``<bos>`` + the French words and predicts the French words + ``<eos>``,
    as in training, one :meth:`~bahdanau.interfaces.Decoder.step` at a time; each step's
    returned weights are one row.

    Raises:
        TypeError: a sentence is not a string.
        ValueError: a sentence is empty, or the model's decoder has no attention.
    """
    src_words = sentence_words(english, "the English sentence")
    tgt_words = sentence_words(french, "the French sentence")
    device = model_device(model)
    src, src_valid_len = encode_sources([src_words], src_vocab)  # (1, S), (1,)
    tgt_in = torch.tensor([tgt_vocab.bos, *tgt_vocab.encode(tgt_words)], device=device)  # (T,)
    rows = []
    with inference_mode(model):
        state = start_state(model, src.to(device), src_valid_len.to(device))
        for y_prev in tgt_in.split(1):  # T steps of (1,): the reference, not the model's guess
            step = decoder_step(model.decoder, y_prev, state)
            if step.weights is None:
                raise ValueError("forced alignment needs a decoder with attention (its steps return weights)")
            rows.append(step.weights[0].cpu())  # (S,)
            state = step.state
    return Alignment(torch.stack(rows), [*src_words, EOS], [*tgt_words, EOS],
                     unknown_words(src_words, src_vocab), unknown_words(tgt_words, tgt_vocab))


def argmax_links(weights: Tensor) -> set[tuple[int, int]]:
    """``(english_index, french_index)`` for every French row's largest weight.

    weights (T, S) with the ``<eos>`` row and column last; both are left out.
    """
    words_only = weights[:-1, :-1]  # (T - 1, S - 1)
    return {(int(english), french) for french, english in enumerate(words_only.argmax(dim=1).tolist())}


def _argmax_hits(weights: Tensor, links: Iterable[Sequence[int]]) -> tuple[int, int]:
    """(linked French tokens whose row argmax is a linked English token, linked French tokens)."""
    linked: dict[int, set[int]] = {}
    for english, french in links:
        linked.setdefault(french, set()).add(english)
    predicted = {french: english for english, french in argmax_links(weights)}
    return sum(predicted.get(french) in englishes for french, englishes in linked.items()), len(linked)


def argmax_accuracy(weights: Tensor, links: Iterable[Sequence[int]]) -> float:
    """Share of linked French tokens whose row argmax (over English words) is a linked English token."""
    hits, linked = _argmax_hits(weights, links)
    if not linked:
        raise ValueError("no gold links: nothing to measure")
    return hits / linked


def alignment_error_rate(predicted: Iterable[Sequence[int]], sure: Iterable[Sequence[int]]) -> float:
    """AER with every gold link sure (possible = sure): ``1 - 2 |A ∩ S| / (|A| + |S|)``.

    0 is a perfect alignment, 1 one that shares no link with the gold one.
    """
    A, S = {tuple(link) for link in predicted}, {tuple(link) for link in sure}
    if not A and not S:
        raise ValueError("both alignments are empty")
    return 1 - 2 * len(A & S) / (len(A) + len(S))


def gold_alignments() -> list[dict[str, Any]]:
    """The package's gold set: ``{"english": tokens, "french": tokens, "links": [[e, f], ...]}`` pairs."""
    path = resources.files("bahdanau") / "gold_alignments.json"
    return json.loads(path.read_text(encoding="utf-8"))["pairs"]


def evaluate_alignments(model: Seq2Seq, src_vocab: Vocab, tgt_vocab: Vocab,
                        pairs: Sequence[dict[str, Any]] | None = None) -> dict[str, float]:
    """Forced-align every gold pair: the argmax accuracy over all linked French tokens, and the AER.

    A word read as ``<unk>`` keeps its position, so its links are scored like any other. The
    predicted links for the AER are the argmax links of the French tokens that have gold links
    (the gold set leaves function words unlinked, so predicting them would count as errors).
    """
    pairs = gold_alignments() if pairs is None else pairs
    hits = total = 0
    predicted: set[tuple[int, int, int]] = set()
    sure: set[tuple[int, int, int]] = set()
    for number, pair in enumerate(pairs):
        alignment = forced_alignment(model, " ".join(pair["english"]), " ".join(pair["french"]),
                                     src_vocab, tgt_vocab)
        pair_hits, pair_linked = _argmax_hits(alignment.weights, pair["links"])
        hits, total = hits + pair_hits, total + pair_linked
        linked_french = {french for _, french in pair["links"]}
        # Only the French tokens that have gold links are predicted: AER scores where gold speaks.
        predicted |= {(number, e, f) for e, f in argmax_links(alignment.weights) if f in linked_french}
        sure |= {(number, e, f) for e, f in pair["links"]}
    return {"pairs": len(pairs), "linked_french_tokens": total, "argmax_accuracy": hits / total,
            "aer": alignment_error_rate(predicted, sure)}
