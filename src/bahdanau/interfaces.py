"""The interfaces that decoding, evaluation and the widgets rely on, declared as Protocols.

d2l writes the encoder–decoder contract as base classes whose methods ``raise
NotImplementedError``; here the same contract is written as ``typing.Protocol``\\ s.
A class satisfies a protocol by having the right methods and attributes, without
inheriting from anything, so a decoder a learner writes in a notebook works with
:func:`~bahdanau.decoding.greedy_decode`, :func:`~bahdanau.decoding.beam_search`,
:func:`~bahdanau.decoding.translate` and the step-through view as soon as it keeps
the contract below.

- :class:`Encoder`: ``encoder(X, valid_lens) -> (enc_outputs, hidden_state)``.
- :class:`Decoder`: ``init_state(enc_all_outputs, enc_valid_lens) -> state`` once per
  source batch, then ``decoder(X, state) -> (logits, state)`` for one or more steps.
- :class:`DecoderState`: whatever the decoder carries between steps, as long as
  ``state.select(index)`` keeps (and reorders) batch rows, which beam search needs.
- :class:`AttentionDecoder`: a decoder that also exposes ``attention_weights``
  (B, T, S) after each ``forward``: d2l's property, which is how generic code reads
  the weights of *any* attention decoder without knowing its class.
- :class:`ScoredAttentionDecoder`: an attention decoder that also exposes the raw
  scores ``e_ij`` and the queries ``s_{i-1}`` it used; the step-through view shows
  them when they are there.
- :class:`Seq2Seq`: an encoder and a decoder, called ``model(src, tgt_in, src_valid_len)``.

Shapes: B batch, S source length, T target steps in the call, V target vocabulary,
H hidden size, L layers.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from torch import Tensor

__all__ = [
    "DecoderState",
    "Encoder",
    "Decoder",
    "AttentionDecoder",
    "ScoredAttentionDecoder",
    "Seq2Seq",
]


@runtime_checkable
class DecoderState(Protocol):
    """What a decoder carries from one step to the next.

    Its hidden state, the annotations, ...: whatever the decoder needs.
    """

    def select(self, index: Tensor) -> DecoderState:
        """The state of batch rows ``index`` (B',), in that order.

        Beam search keeps, drops and reorders hypotheses with it.
        """
        ...


@runtime_checkable
class Encoder(Protocol):
    """Reads the whole source once: ``encoder(X, valid_lens)``.

    X (B, S) source ids, valid_lens (B,) or None. Returns ``(enc_outputs, hidden_state)``:
    one annotation per source token (B, S, H_enc) and the final state (L, B, H).
    """

    def __call__(self, X: Tensor, valid_lens: Tensor | None = None) -> tuple[Tensor, Tensor]: ...


@runtime_checkable
class Decoder(Protocol):
    """Produces the target one or more steps at a time (d2l's ``Decoder``).

    ``init_state`` runs once per source batch: it turns the encoder's
    output into the decoder's starting state (the encoder does not know
    which decoder will read it). ``decoder(X, state)`` with X (B, T)
    target ids returns the logits (B, T, V) and the state after the last
    of the T steps.
    """

    def init_state(
        self, enc_all_outputs: Any, enc_valid_lens: Tensor | None = None
    ) -> DecoderState: ...

    def __call__(
        self, X: Tensor, state: DecoderState
    ) -> tuple[Tensor, DecoderState]: ...


@runtime_checkable
class AttentionDecoder(Decoder, Protocol):
    """A decoder with attention: ``attention_weights`` after each call.

    (B, T, S): row ``t`` of sentence ``b`` is the weights ``alpha_tj``
    used to produce target step ``t`` of that call; padded source
    positions have weight 0.
    """

    attention_weights: Tensor | None


@runtime_checkable
class ScoredAttentionDecoder(AttentionDecoder, Protocol):
    """An attention decoder that also keeps what it scored, for the step-through view.

    After each call: ``attention_scores`` (B, T, S), the scores ``e_tj`` before the
    softmax (padded positions included, as computed), and ``attention_queries``
    (B, T, H), the query ``s_{t-1}`` of each step.
    """

    attention_scores: Tensor | None
    attention_queries: Tensor | None


@runtime_checkable
class Seq2Seq(Protocol):
    """An encoder–decoder: ``model(src, tgt_in, src_valid_len) -> logits`` (B, T, V)."""

    encoder: Encoder
    decoder: Decoder

    def __call__(self, enc_X: Tensor, dec_X: Tensor, enc_valid_lens: Tensor | None = None) -> Tensor: ...
