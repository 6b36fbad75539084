"""Things the exercises hand to the learner: a decoder with a bug, and a scorer comparison.

- :class:`BuggyAttentionDecoder`: the attention decoder with one line wrong (chapter 3).
- :func:`decoder_with_attention`: the package's attention decoder with any attention module
  that has ``AdditiveAttention``'s call interface, e.g. a dot-product one (chapter 2).
- :func:`compare_scoring`: train one small model per scoring function and compare their
  training time and BLEU (chapter 2).
- :func:`reading_translation` and :func:`plot_reading`: the heatmap that each chapter's last
  exercise asks the learner to read.

Shapes: B batch, S source length, T target length, H hidden size.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ..data import make_loader
from ..decoding import Translation, translate
from ..metrics import corpus_bleu
from ..models import AttentionState, EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqEncoder
from ..plotting import plot_attention
from ..pretrained import load_pretrained
from ..training import fit, set_seed

__all__ = [
    "BuggyAttentionDecoder", "decoder_with_attention", "ScoringResult", "compare_scoring", "reading_translation",
    "plot_reading",
]


class BuggyAttentionDecoder(Seq2SeqAttentionDecoder):
    """:class:`~bahdanau.models.Seq2SeqAttentionDecoder` with a bug. Find it (chapter 3).

    It trains, translates and has the right shapes everywhere, yet its translation of a
    sentence depends on how much padding the batch gave that sentence.
    """

    def init_state(self, enc_all_outputs, enc_valid_lens=None) -> AttentionState:
        enc_outputs, hidden_state = enc_all_outputs
        enc_keys = self.attention.project_keys(enc_outputs)  # (B, S, H): once, not at every step
        return AttentionState(enc_outputs, enc_keys, hidden_state, None)


class _WithoutKeyCache(nn.Module):
    """Let an attention module with the plain ``(queries, keys, values, valid_lens)`` interface
    sit where the decoder expects ``AdditiveAttention`` (which also caches its key projection)."""

    def __init__(self, attention: nn.Module):
        super().__init__()
        self.inner = attention

    def project_keys(self, keys: Tensor) -> Tensor:
        return keys  # nothing to cache: the inner module sees the keys themselves

    def forward(self, queries, keys, values, valid_lens=None, *, projected_keys=None) -> Tensor:
        return self.inner(queries, keys, values, valid_lens)

    @property
    def attention_weights(self) -> Tensor | None:
        return self.inner.attention_weights


def decoder_with_attention(
    attention: nn.Module, vocab_size: int, embed_size: int, num_hiddens: int, num_layers: int, dropout: float = 0.0
) -> Seq2SeqAttentionDecoder:
    """The package's attention decoder, scoring with ``attention`` instead of additive attention.

    ``attention(queries, keys, values, valid_lens)`` must return the context (B, Q, H) and set
    ``attention_weights`` (B, Q, S), as :class:`~bahdanau.attention.AdditiveAttention` does.
    """
    decoder = Seq2SeqAttentionDecoder(vocab_size, embed_size, num_hiddens, num_layers, dropout)
    decoder.attention = _WithoutKeyCache(attention)
    return decoder


@dataclass
class ScoringResult:
    """One row of :func:`compare_scoring`: how long training took and the BLEU it reached."""

    scoring: str
    seconds_per_epoch: float
    bleu: float

    def __str__(self) -> str:
        return f"{self.scoring:>12}: {self.seconds_per_epoch:6.2f} s per epoch, BLEU {self.bleu:5.1f}"


def compare_scoring(
    scorers: dict[str, nn.Module | None],
    corpus: Any,
    *,
    num_hiddens: int = 64,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 0.005,
    max_test: int = 300,
    seed: int = 0,
    progress: bool = True,
) -> list[ScoringResult]:
    """Train one small model per scoring function on ``corpus`` and compare them.

    Args:
        scorers: name -> attention module (``None`` for the package's additive attention).
            Each model gets its own copy, so modules with parameters start out equal.
        corpus: anything with ``train`` and ``test`` lists of (english, french) token pairs and
            ``src_vocab``, ``tgt_vocab``, e.g. ``load_corpus(DataConfig(max_pairs=8_000, max_len=5))``.
        num_hiddens: E and H of the one-layer models; epochs, batch_size, lr: as in :func:`fit`.
        max_test: BLEU is computed on the first ``max_test`` test pairs (greedy decoding,
            sacreBLEU corpus BLEU against that single reference).
        progress: show :func:`fit`'s progress bar while each model trains (a few minutes in all).

    Returns:
        One :class:`ScoringResult` per scorer, in the order given (print them).
    """
    loader = make_loader(corpus.train, corpus.src_vocab, corpus.tgt_vocab, batch_size, shuffle=True, seed=seed)
    test = corpus.test[:max_test]
    results = []
    for name, scorer in scorers.items():
        set_seed(seed)  # the same initial weights for every model, up to the scorer
        encoder = Seq2SeqEncoder(len(corpus.src_vocab), num_hiddens, num_hiddens, 1)
        if scorer is None:
            decoder = Seq2SeqAttentionDecoder(len(corpus.tgt_vocab), num_hiddens, num_hiddens, 1)
        else:
            decoder = decoder_with_attention(copy.deepcopy(scorer), len(corpus.tgt_vocab), num_hiddens, num_hiddens, 1)
        model = EncoderDecoder(encoder, decoder)
        started = time.perf_counter()
        fit(model, loader, epochs=epochs, lr=lr, pad_index=corpus.tgt_vocab.pad, seed=seed, device="cpu",
            progress=progress)
        seconds = (time.perf_counter() - started) / max(epochs, 1)
        translations = translate(model, [" ".join(src) for src, _ in test], corpus.src_vocab, corpus.tgt_vocab)
        bleu = corpus_bleu([t.text for t in translations], [[" ".join(tgt)] for _, tgt in test])
        results.append(ScoringResult(name, seconds, bleu))
    return results


@functools.lru_cache(maxsize=None)
def _shipped_attention_model():
    return load_pretrained("attention")


@functools.lru_cache(maxsize=16)
def reading_translation(sentence: str) -> Translation:
    """The shipped attention model's greedy translation of ``sentence`` (loaded once, then cached).

    ``.attention`` is the heatmap's matrix: (output tokens incl. ``<eos>``, source tokens incl. ``<eos>``).
    """
    return _shipped_attention_model().translate(sentence)


def plot_reading(problem: dict[str, Any], title: str):
    """The heatmap a reading exercise asks about (``problem`` is an entry of ``problems.READING``); returns the Axes."""
    result = reading_translation(problem["sentence"])
    tgt_tokens = result.tokens + ["<eos>"] if result.finished else result.tokens
    return plot_attention(result.attention, result.src_tokens, tgt_tokens, title=title)
