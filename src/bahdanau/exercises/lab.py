"""Things the exercises hand to the learner: a decoder with a bug, and a scorer comparison.

- :class:`BuggyAttentionDecoder`: the attention decoder with one line wrong (chapter 3).
- :func:`decoder_with_attention`: a GRU attention decoder with any attention module that has
  ``AdditiveAttention``'s call interface, e.g. a dot-product one (chapter 2).
- :func:`compare_scoring`: train one small model per scoring function and compare their
  training time and BLEU (chapter 2).
- :func:`reading_translation` and :func:`plot_reading`: the heatmap that each chapter's last
  exercise asks the learner to read; :func:`shipped_translator`, the model behind it.

Shapes: B batch, S source length, T target length, H hidden size.
"""

from __future__ import annotations

import copy
import functools
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from ..attention import AdditiveAttention
from ..chapters.plotting import plot_attention
from ..data import make_loader
from ..decoding import Translation, translate
from ..interfaces import DecoderStep
from ..metrics import corpus_bleu
from ..models import AttentionState, EncoderDecoder, Seq2SeqAttentionDecoder, Seq2SeqEncoder, init_seq2seq
from ..pretrained import Translator, load_pretrained
from ..training import fit, set_seed

__all__ = [
    "BuggyAttentionDecoder", "PluggableAttentionDecoder", "PluggableState", "decoder_with_attention",
    "ScoringResult", "compare_scoring", "reading_translation", "plot_reading", "shipped_translator",
]


class BuggyAttentionDecoder(Seq2SeqAttentionDecoder):
    """:class:`~bahdanau.models.Seq2SeqAttentionDecoder` with a bug. Find it (chapter 3).

    It trains, translates and has the right shapes everywhere, yet its translation of a
    sentence depends on how much padding the batch gave that sentence.
    """

    def init_state(
        self, enc_all_outputs, src_valid_len=None
    ) -> AttentionState:
        enc_outputs, hidden_state = enc_all_outputs
        # (B, S, H): once, not at every step
        enc_keys = self.attention.project_keys(enc_outputs)
        return AttentionState(enc_outputs, enc_keys, hidden_state, None)


class PluggableAttentionDecoder(nn.Module):
    """A GRU attention decoder that scores with any attention module given to it (chapter 2).

    ``attention(queries=..., keys=..., values=..., valid_lens=...)`` must return the context
    (B, Q, H) and the weights (B, Q, S), as :class:`~bahdanau.attention.AdditiveAttention` does,
    or return the context only and store the weights in its ``attention_weights``.
    The loop is the plain one (the attention sees the keys at every step, nothing cached), so
    that different scoring functions compete on equal terms. It keeps the
    :class:`~bahdanau.interfaces.Decoder` protocol: :meth:`step` is one step, which decoding
    (``translate``, in :func:`compare_scoring`) calls; ``forward`` runs the T steps of teacher
    forcing through :meth:`step` and also sets d2l's ``attention_weights`` (B, T, S).
    """

    def __init__(self, attention: nn.Module, vocab_size: int, embed_size: int, num_hiddens: int):
        super().__init__()
        self.attention = attention
        self.embedding = nn.Embedding(num_embeddings=vocab_size, embedding_dim=embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, batch_first=True)
        self.dense = nn.Linear(in_features=num_hiddens, out_features=vocab_size)
        self.attention_weights: None | Tensor = None  # (B, T, S) after a forward
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, src_valid_len=None) -> PluggableState:
        annotations, last_state = enc_all_outputs  # (B, S, H), (1, B, H)
        return PluggableState(annotations, last_state, src_valid_len)

    def step(self, y_prev: Tensor, state: PluggableState) -> DecoderStep:
        """One step from the previous tokens y_prev (B,).

        Returns a :class:`~bahdanau.interfaces.DecoderStep`: logits (B, V), the state holding
        s_i, the context c_i (B, H), the weights (B, S) and the query s_{i-1} (B, H); no scores,
        as an attention module of this interface does not return them.
        """
        annotations, s, src_valid_len = state  # s: (1, B, H), the GRU's state s_{i-1}
        returned = self.attention(queries=s[-1][:, None, :], keys=annotations, values=annotations,
                                  valid_lens=src_valid_len)  # the query is s_{i-1}, (B, 1, H)
        context, weights = _context_and_weights(self.attention, returned)  # (B, 1, H), (B, 1, S)
        y_emb = self.embedding(y_prev).unsqueeze(1)  # (B, 1, E)
        output, s_i = self.rnn(torch.cat((context, y_emb), dim=-1), s)  # (B, 1, H), (1, B, H)
        return DecoderStep(self.dense(output.squeeze(1)), state._replace(hidden_state=s_i),
                           context=context.squeeze(1), weights=weights.squeeze(1), query=s[-1])

    def forward(self, X: Tensor, state: PluggableState) -> tuple[Tensor, PluggableState]:
        """Teacher forcing: :meth:`step` on each column of X (B, T); logits (B, T, V) and the last state."""
        per_step: list[Tensor] = []
        heatmap_rows: list[Tensor] = []
        for y_prev in X.unbind(dim=1):  # T steps of (B,)
            result = self.step(y_prev, state)
            per_step.append(result.logits)  # (B, V)
            heatmap_rows.append(result.weights)  # (B, S)
            state = result.state
        # d2l's view, which the exercises' checkers read: one row per step
        self.attention_weights = torch.stack(heatmap_rows, dim=1)  # (B, T, S)
        return torch.stack(per_step, dim=1), state  # (B, T, V)


def _context_and_weights(attention: nn.Module, returned) -> tuple[Tensor, ...]:
    """(context, weights) from an attention module's call, whichever of the two interfaces it has."""
    if isinstance(returned, tuple):
        context, weights = returned
        return context, weights
    return returned, attention.attention_weights


class PluggableState(NamedTuple):
    """What :class:`PluggableAttentionDecoder` carries: the annotations, s_{i-1}, the source lengths."""

    enc_outputs: Tensor  # the annotations h_j, (B, S, H)
    hidden_state: Tensor  # s_{i-1}, (1, B, H)
    src_valid_len: Tensor | None  # the source lengths, (B,), or None

    def select(self, index: Tensor) -> PluggableState:
        """Keep (and reorder) batch rows ``index`` (interfaces.DecoderState)."""
        lengths = None if self.src_valid_len is None else self.src_valid_len[index]
        kept = self.hidden_state[:, index]  # (1, B', H)
        return PluggableState(self.enc_outputs[index], kept, lengths)


def decoder_with_attention(attention: nn.Module, vocab_size: int, embed_size: int,
                           num_hiddens: int) -> PluggableAttentionDecoder:
    """A one-layer GRU attention decoder scoring with ``attention`` (see :class:`PluggableAttentionDecoder`)."""
    return PluggableAttentionDecoder(attention, vocab_size, embed_size, num_hiddens)


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
        source_side = Seq2SeqEncoder(len(corpus.src_vocab), num_hiddens, num_hiddens, 1)
        # Both through the same plain decoder loop, so that only the scoring differs.
        if scorer is None:
            attention = AdditiveAttention(num_hiddens, num_hiddens, num_hiddens)
        else:
            attention = copy.deepcopy(scorer)
        model = EncoderDecoder(
            source_side, decoder_with_attention(attention, len(corpus.tgt_vocab), num_hiddens, num_hiddens)
        )
        started = time.perf_counter()
        fit(model, loader, epochs=epochs, lr=lr, pad_index=corpus.tgt_vocab.pad, seed=seed, device="cpu",
            progress=progress)
        seconds = (time.perf_counter() - started) / max(epochs, 1)
        translations = translate(model, [" ".join(src) for src, _ in test], corpus.src_vocab, corpus.tgt_vocab)
        bleu = corpus_bleu([t.text for t in translations], [[" ".join(tgt)] for _, tgt in test])
        results.append(ScoringResult(name, seconds, bleu))
    return results


@functools.lru_cache(maxsize=16)
def reading_translation(sentence: str, model: str = "attention") -> Translation:
    """A shipped model's greedy translation of ``sentence`` (each model loaded once, then cached).

    ``model`` is a name for :func:`~bahdanau.load_pretrained`: the reading exercises use
    ``"rnnsearch"`` where the heatmap is read as an alignment and ``"attention"`` (d2l's)
    in the decoder-loop chapter. ``.attention`` is the heatmap's matrix: (output tokens incl.
    ``<eos>``, source tokens incl. ``<eos>``).
    """
    return shipped_translator(model).translate(sentence)


@functools.cache
def shipped_translator(name: str) -> Translator:
    """``load_pretrained(name)``, loaded once: the checkers and the hidden tests share it."""
    return load_pretrained(name)


def plot_reading(problem: dict[str, Any], title: str):
    """The heatmap a reading exercise asks about (``problem`` is an entry of ``problems.READING``); returns the Axes."""
    shown = reading_translation(problem["sentence"], problem["model"])
    tgt_tokens = shown.tokens + ["<eos>"] if shown.finished else shown.tokens
    return plot_attention(shown.attention, shown.src_tokens, tgt_tokens, title=title)
