"""The interfaces that decoding, evaluation and the widgets rely on, declared as Protocols.

d2l writes the encoder–decoder contract as base classes whose methods ``raise
NotImplementedError``; here the same contract is written as ``typing.Protocol``\\ s.
A class satisfies a protocol by having the right methods and attributes, without
inheriting from anything, so a decoder a learner writes in a notebook works with
:func:`~bahdanau.decoding.greedy_decode`, :func:`~bahdanau.decoding.beam_search`,
:func:`~bahdanau.decoding.translate` and the step-through view as soon as it keeps
the contract below.

- :class:`Encoder`: ``encoder(src, src_valid_len) -> (enc_outputs, hidden_state)``.
- :class:`Decoder`: ``init_state(enc_all_outputs, src_valid_len) -> state`` once per
  source batch, ``decoder.step(y_prev, state) -> DecoderStep`` for one step (what
  decoding calls), and ``decoder(X, state) -> (logits, state)`` for the T steps of
  teacher forcing (what training calls).
- :class:`DecoderStep`: what one step returns: the logits, the new state and, for a
  decoder with attention, the context, the weights, the scores and the query it used.
  Decoding reads the weights from here, never from an attribute of the decoder.
- :class:`DecoderState`: whatever the decoder carries between steps, as long as
  ``state.select(index)`` keeps (and reorders) batch rows, which beam search needs.
- :class:`AttentionDecoder`: d2l's view, a decoder that also sets ``attention_weights``
  (B, T, S) in ``forward``. d2l's own code reads it; this package never does.
- :class:`Seq2Seq`: an encoder and a decoder, called ``model(src, tgt_in, src_valid_len)``.

Shapes: B batch, S source length, T target steps in the call, V target vocabulary,
H hidden size, H_enc annotation size, L layers.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol, runtime_checkable

from torch import Tensor

__all__ = [
    "DecoderStep",
    "DecoderState",
    "Encoder",
    "Decoder",
    "AttentionDecoder",
    "Seq2Seq",
]


class DecoderStep(NamedTuple):
    """What one decoder step computes, returned rather than stored.

    ``logits`` (B, V) score the next token y_i; ``state`` holds s_i for the
    next step. A decoder without attention leaves ``weights``, ``scores``
    and ``query`` None.
    """

    logits: Tensor  # (B, V)
    state: DecoderState
    context: Tensor | None = None  # (B, H_enc): c_i
    weights: Tensor | None = None  # (B, S): alpha_ij, 0 on padding
    scores: Tensor | None = None  # (B, S): e_ij, padding included
    query: Tensor | None = None  # (B, H): s_{i-1}


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
    """Reads the whole source once: ``encoder(src, src_valid_len)``.

    src (B, S) source ids, src_valid_len (B,) or None. Returns ``(enc_outputs, hidden_state)``:
    one annotation per source token (B, S, H_enc) and the final state (L, B, H).
    """

    def __call__(self, src: Tensor, src_valid_len: Tensor | None = None) -> tuple[Tensor, Tensor]: ...


@runtime_checkable
class Decoder(Protocol):
    """Writes the target one step at a time, or T steps at once.

    d2l's ``Decoder``, plus ``step``.

    ``init_state`` runs once per source batch: it turns the encoder's
    output into the decoder's starting state (the encoder does not know
    which decoder will read it). ``step(y_prev, state)`` with y_prev (B,)
    the previous tokens runs one step and returns a :class:`DecoderStep`:
    greedy decoding, beam search, forced alignment and the step-through view
    call it. A decoder with attention may also take ``step(y_prev, state,
    weights=...)``: given weights (B, S) replace its own, so that a reader
    can steer it (:func:`bahdanau.decoding.greedy_decode`'s ``override``).
    ``decoder(X, state)`` with X (B, T) target ids returns the
    logits (B, T, V) and the state after the last of the T steps: training
    calls it (teacher forcing).
    """

    def init_state(
        self, enc_all_outputs: Any, src_valid_len: Tensor | None = None
    ) -> DecoderState: ...

    def step(self, y_prev: Tensor, state: DecoderState) -> DecoderStep: ...

    def __call__(
        self, X: Tensor, state: DecoderState
    ) -> tuple[Tensor, DecoderState]: ...


@runtime_checkable
class AttentionDecoder(Decoder, Protocol):
    """d2l's view of an attention decoder: ``attention_weights``.

    Set by each ``forward``.

    (B, T, S): row ``t`` of sentence ``b`` is the weights ``alpha_tj``
    used to produce target step ``t`` of that call; padded source
    positions have weight 0. Code written for d2l reads it; this package
    reads the weights that :meth:`Decoder.step` returns instead.
    """

    attention_weights: Tensor | None


@runtime_checkable
class Seq2Seq(Protocol):
    """An encoder–decoder: ``model(src, tgt_in, src_valid_len) -> logits`` (B, T, V)."""

    encoder: Encoder
    decoder: Decoder

    def __call__(self, src: Tensor, tgt_in: Tensor, src_valid_len: Tensor | None = None) -> Tensor: ...
