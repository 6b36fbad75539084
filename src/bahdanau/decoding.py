"""From next-token distributions to translations: greedy decoding, beam search, translate.

At test time there is no reference to feed the decoder, so it reads its own
output: start from ``<bos>``, pick a token, feed it back, and stop at ``<eos>``.
The two functions differ only in *which* token(s) they keep at each step:

- :func:`greedy_decode` keeps the single most likely token,
  ``y_t = argmax_y log p(y | y_<t, x)``. Cheap, but a choice that looks best now
  can force a poor sentence later.
- :func:`beam_search` keeps the ``k`` most likely partial translations alive
  at every step and extends all of them; a hypothesis that ends in ``<eos>``
  moves to a pool of finished ones, ranked by ``log p(y | x) / |y| ** alpha``
  (``alpha`` = ``length_penalty``; d2l's ``1 / L^alpha * log P``, or GNMT's
  penalty), so that short outputs are not preferred just because every extra
  token multiplies in a probability below 1.

Both run the whole batch at once, one decoder step at a time: beam search puts
the ``k`` hypotheses of every sentence side by side as ``B * k`` rows and
reorders the decoder state with ``state.select(rows)`` when hypotheses are
dropped and duplicated. Both use only the declared interfaces
(:mod:`bahdanau.interfaces`), so any decoder that keeps them can be decoded.
Both return, per sentence, a :class:`Hypothesis`: the output ids (ending in
``<eos>`` when the model produced it), one row of attention weights per output
token (``None`` for a model without attention), and a score.

:func:`translate` wraps them for people: strings in, :class:`Translation` out.

Shapes: B batch, S source length, T output steps, V target vocabulary size,
k beam size.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor

from .data import EOS, INPUT_NAME, UNK, Vocab, encode_sources, sentence_words
from .interfaces import Decoder, DecoderState, DecoderStep, Seq2Seq
from .runtime import inference_mode, model_device

__all__ = [
    "Hypothesis",
    "Translation",
    "start_state",
    "decoder_step",
    "StepCallback",
    "AttentionOverride",
    "check_override",
    "steerable",
    "OVERRIDE_MESSAGES",
    "OVERRIDE_TOLERANCE",
    "focus_row",
    "greedy_decode",
    "beam_search",
    "BeamNode",
    "BeamTree",
    "beam_search_tree",
    "LENGTH_PENALTIES",
    "length_penalty_factor",
    "default_max_len",
    "MAX_SRC_LEN",
    "TRUNCATED_INPUT_MESSAGE",
    "unknown_words",
    "replace_unknowns",
    "translate",
]


class Hypothesis(NamedTuple):
    """One decoded output sequence (a plain tuple: ``ids, attention, score = hypothesis``).

    Attributes:
        token_ids: the output ids, including the final ``<eos>`` when the model
            produced one before ``max_len``; nothing after it.
        attention: (len(token_ids), src_valid_len) attention weights, row t the
            weights used to produce token t; columns cut to the sentence's real
            source tokens. ``None`` for a model without attention.
        score: greedy: ``log p(token_ids | x)``; beam search: that divided by
            the length penalty (:func:`length_penalty_factor`).
    """

    token_ids: list[int]
    attention: Tensor | None
    score: float


# greedy_decode's on_step: called with each step's result and the tokens it chose (B,).
StepCallback = Callable[[DecoderStep, Tensor], None]


def _check_inputs(
    src: Tensor, src_valid_len: Tensor, max_len: int | Tensor, device: torch.device
) -> tuple[Tensor, Tensor, Tensor]:
    """Validate the decoding inputs and return src, src_valid_len and per-row limits (B,) on ``device``."""
    if src.dim() != 2:
        raise ValueError(f"src must have shape (B, S), got {tuple(src.shape)}")
    batch_size, src_len = src.shape
    if src_valid_len.shape != (batch_size,):
        raise ValueError(f"src_valid_len must have shape ({batch_size},), got {tuple(src_valid_len.shape)}")
    if batch_size and (int(src_valid_len.min()) < 1 or int(src_valid_len.max()) > src_len):
        raise ValueError(f"src_valid_len must lie in [1, {src_len}], got {src_valid_len.tolist()}")
    if isinstance(max_len, Tensor):
        limits = max_len.to(device=device, dtype=torch.long)
        if limits.shape != (batch_size,):
            raise ValueError(f"a max_len tensor must have shape ({batch_size},), got {tuple(limits.shape)}")
    else:
        limits = torch.full((batch_size,), int(max_len), dtype=torch.long, device=device)
    if batch_size and int(limits.min()) < 1:
        raise ValueError(f"max_len must be at least 1, got {max_len}")
    return src.to(device), src_valid_len.to(device), limits


def start_state(model: Seq2Seq, src: Tensor, src_valid_len: Tensor) -> DecoderState:
    """Encode the source once and turn it into the decoder's first state (``init_state``)."""
    return model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len)


def decoder_step(decoder: Decoder, y_prev: Tensor, state: DecoderState,
                 weights: Tensor | None = None) -> DecoderStep:
    """One decoder step from the previous tokens y_prev (B,): ``decoder.step(y_prev, state)``.

    Every decoding loop of the package goes through here, and reads the step's attention
    weights from what it returns. A decoder written d2l's way, with ``forward`` only, is
    called on a one-token target instead; it decodes, but shows no attention (its
    ``attention_weights`` attribute is d2l's, and not read here). ``weights`` (B, S), if
    given, replace the step's own attention weights (see :func:`greedy_decode`'s ``override``).
    """
    if weights is not None:
        return decoder.step(y_prev, state, weights=weights)
    if hasattr(decoder, "step"):
        return decoder.step(y_prev, state)
    logits, state = decoder(y_prev[:, None], state)  # (B, 1, V)
    return DecoderStep(logits[:, -1], state)


# greedy_decode's and translate's override: output step i (0 for the first word) -> the weights
# to use there, (B, S) or, for one sentence, (S,): a tensor or a list of floats.
AttentionOverride = Mapping[int, Sequence[float] | Tensor]

# How far from 1 the weights a reader gives for one row may sum (they are typed or dragged).
OVERRIDE_TOLERANCE = 1e-4

# What check_override says about a bad override: str.format templates, also in the browser port's
# registry (bahdanau.cli.export_web), which says the same words. {where} is OVERRIDE_WHERE's text.
OVERRIDE_MESSAGES = {
    "override_step": "an override's step must be a whole number from 0 (the first word), got {step}",
    "override_where": "the override for step {step}",
    "override_where_row": "the override for step {step} (sentence {row})",
    "override_rows": "the override for step {step} must hold one row of weights per sentence ({count}), "
                     "got shape {shape}",
    "override_length": "{where} has {count} weights, but the source has {tokens} tokens (its words, then <eos>): "
                       "give one weight per token",
    "override_negative": "{where} has a negative or undefined weight: weights are shares, from 0 to 1",
    "override_padding": "{where} puts weight on padding (positions {tokens} and after): padding is not part "
                        "of the sentence",
    "override_sum": "{where}: the weights on the sentence's {tokens} tokens sum to {total}, not 1 (attention "
                    "shares out one unit of weight)",
    "override_no_attention": "this model's decoder takes no attention weights: there is no attention to steer",
    "override_one_sentence": "override steers the greedy decoding of one sentence: give one string and "
                             "beam_size=1",
}


def steerable(decoder: Decoder) -> bool:
    """Whether ``decoder.step`` accepts ``weights``: a decoder with attention that can be steered."""
    step = getattr(decoder, "step", None)
    return step is not None and "weights" in inspect.signature(step).parameters


def check_override(override: AttentionOverride, src_valid_len: Tensor, src_len: int) -> dict[int, Tensor]:
    """Validate an attention override; return it as step -> float weights (B, S).

    Each value holds one row of weights alpha_ij per sentence of the batch, over the source
    tokens (``<eos>`` included), of the sentence's own length or padded to ``src_len``:
    (B, S), or (S,) for a batch of one. A row is valid when it has that length, no weight
    is negative or not a number, the padding gets 0, and the weights on the sentence's real
    tokens sum to 1 (within ``OVERRIDE_TOLERANCE``; the sum is printed with 4 decimals).

    Raises:
        ValueError: naming the step and the sentence, and what is wrong with the row
            (the templates of ``OVERRIDE_MESSAGES``).
    """
    say = OVERRIDE_MESSAGES
    batch_size = src_valid_len.shape[0]
    checked: dict[int, Tensor] = {}
    for step, given in override.items():
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ValueError(say["override_step"].format(step=step))
        weights = torch.as_tensor(given, dtype=torch.float32)
        if weights.dim() == 1 and batch_size == 1:
            weights = weights[None]  # (1, S)
        if weights.dim() != 2 or weights.shape[0] != batch_size:
            raise ValueError(say["override_rows"].format(step=step, count=batch_size, shape=tuple(weights.shape)))
        for row, tokens in enumerate(src_valid_len.tolist()):
            where = (say["override_where_row"].format(step=step, row=row) if batch_size > 1
                     else say["override_where"].format(step=step))
            weights_row = weights[row]  # (S,)
            if weights.shape[1] not in (tokens, src_len):
                raise ValueError(say["override_length"].format(where=where, count=weights.shape[1], tokens=tokens))
            if not bool(torch.isfinite(weights_row).all()) or bool((weights_row < 0).any()):
                raise ValueError(say["override_negative"].format(where=where))
            if bool((weights_row[tokens:] != 0).any()):
                raise ValueError(say["override_padding"].format(where=where, tokens=tokens))
            total = float(weights_row[:tokens].sum())
            if abs(total - 1) > OVERRIDE_TOLERANCE:
                raise ValueError(say["override_sum"].format(where=where, tokens=tokens, total=f"{total:.4f}"))
        if weights.shape[1] < src_len:  # rows of each sentence's own length: pad with 0
            weights = torch.nn.functional.pad(weights, (0, src_len - weights.shape[1]))
        checked[step] = weights
    return checked


def focus_row(length: int, position: int) -> list[float]:
    """An attention row of ``length`` weights with all of it on token ``position``.

    The simplest override (:func:`greedy_decode`): "look only at this word".
    """
    if not 0 <= position < length:
        raise ValueError(f"position must lie in [0, {length}), got {position}")
    return [1.0 if j == position else 0.0 for j in range(length)]


def greedy_decode(
    model: Seq2Seq,
    src: Tensor,
    src_valid_len: Tensor,
    *,
    bos_index: int,
    eos_index: int,
    max_len: int | Tensor,
    on_step: StepCallback | None = None,
    override: AttentionOverride | None = None,
) -> list[Hypothesis]:
    """Decode a batch by always taking the most likely next token.

    ``y_t = argmax_y log p(y | y_1 .. y_{t-1}, x)`` (the ``argmax`` line below),
    fed back as the next input. All rows advance together; a row that produced
    ``<eos>`` keeps running (its outputs are ignored) until every row has produced
    ``<eos>`` or reached its limit.

    Args:
        model: an encoder–decoder keeping the :class:`~bahdanau.interfaces.Seq2Seq`
            contract (``encoder``, ``decoder.init_state``, ``decoder.step``).
        src: (B, S) source ids, right-padded; ``src_valid_len``: (B,) real lengths.
        bos_index, eos_index: ``<bos>`` and ``<eos>`` of the target vocabulary.
        max_len: most output tokens per row, ``<eos>`` included: an int, or a
            (B,) tensor with one limit per row.
        on_step: called after every step with its
            :class:`~bahdanau.interfaces.DecoderStep` and the tokens chosen (B,):
            the step-through view keeps them.
        override: steer the attention. Output step i (0 for the first word) -> the
            weights alpha_ij to use there instead of the model's own, one row per
            sentence (B, S) or, for one sentence, (S,) (see :func:`check_override`).
            The step builds its context c_i from them; every other step, before and
            after, runs as usual. A step the decoding never reaches is ignored; the
            hypotheses' attention rows show the weights that were used.

    Returns:
        One :class:`Hypothesis` per row, in order, with ``score = log p(y | x)``.
        Runs under ``torch.no_grad()`` in eval mode; the model's mode is restored.

    Raises:
        ValueError: bad inputs, an invalid override (the message says which step and
            why), or an override for a model whose steps take no weights.
    """
    with inference_mode(model):
        src, src_valid_len, limits = _check_inputs(src, src_valid_len, max_len, model_device(model))
        batch_size = src.shape[0]
        steered: dict[int, Tensor] = {}
        if override:
            if not steerable(model.decoder):
                raise ValueError(OVERRIDE_MESSAGES["override_no_attention"])
            steered = {step: weights.to(src.device)
                       for step, weights in check_override(override, src_valid_len, src.shape[1]).items()}
        if batch_size == 0:
            return []
        state = start_state(model, src, src_valid_len)
        y_prev = torch.full((batch_size,), bos_index, dtype=torch.long, device=src.device)  # (B,)
        done = torch.zeros(batch_size, dtype=torch.bool, device=src.device)
        scores = torch.zeros(batch_size, device=src.device)
        out_lens = torch.zeros(batch_size, dtype=torch.long, device=src.device)
        step_tokens: list[Tensor] = []
        step_weights: list[Tensor] = []
        for i in range(int(limits.max())):
            step = decoder_step(model.decoder, y_prev, state, steered.get(i))
            log_probs = torch.log_softmax(step.logits, dim=-1)  # (B, V)
            next_tokens = log_probs.argmax(dim=-1)  # (B,)
            if on_step is not None:
                on_step(step, next_tokens)
            # A finished row's new token is thrown away: it must not change its score or length.
            still_running = ~done
            token_log_probs = log_probs.gather(1, next_tokens[:, None]).squeeze(1)  # (B,)
            scores += torch.where(still_running, token_log_probs, 0.0)
            out_lens += still_running
            step_tokens.append(next_tokens)
            if step.weights is not None:
                step_weights.append(step.weights)  # (B, S)
            done |= (next_tokens == eos_index) | (i + 1 >= limits)
            if bool(done.all()):
                break
            state, y_prev = step.state, next_tokens
        tokens = torch.stack(step_tokens, dim=1)  # (B, T)
        attention = torch.stack(step_weights, dim=1) if step_weights else None  # (B, T, S)
        return _hypotheses(tokens, attention, out_lens, src_valid_len, scores)


def _hypotheses(
    tokens: Tensor, attention: Tensor | None, out_lens: Tensor, src_valid_len: Tensor, scores: Tensor
) -> list[Hypothesis]:
    """One Hypothesis per row: tokens (B, T) and attention (B, T, S) cut to each row's lengths."""
    tokens, src_lens, out_lens, scores = tokens.cpu(), src_valid_len.tolist(), out_lens.tolist(), scores.tolist()
    attention = attention.cpu() if attention is not None else None
    return [
        Hypothesis(
            tokens[row, : out_lens[row]].tolist(),
            attention[row, : out_lens[row], : src_lens[row]].clone() if attention is not None else None,
            scores[row],
        )
        for row in range(len(out_lens))
    ]


# ----------------------------------------------------------------------------------------------
# Beam search
# ----------------------------------------------------------------------------------------------

LENGTH_PENALTIES = ("d2l", "gnmt")


def length_penalty_factor(length: int, alpha: float, kind: str = "d2l") -> float:
    """The divisor of ``log p(y | x)`` that ranks finished hypotheses of different lengths.

    - ``"d2l"``: ``|y| ** alpha`` (d2l's beam-search section: ``1 / L^alpha * log P``);
    - ``"gnmt"``: ``((5 + |y|) / 6) ** alpha`` (Wu et al. 2016, the GNMT system), which
      penalises length less for very short outputs.

    ``length`` counts the output tokens, ``<eos>`` included. ``alpha = 0`` gives 1 for both.
    """
    if kind == "d2l":
        return length**alpha
    if kind == "gnmt":
        return ((5 + length) / 6) ** alpha
    raise ValueError(f"length penalty must be one of {LENGTH_PENALTIES}, got {kind!r}")


@dataclass
class _Beams:
    """The live part of a batched beam search: ``k`` hypotheses per sentence, ``B * k`` decoder rows.

    Row ``b * k + j`` holds live hypothesis ``j`` of sentence ``b``.
    """

    state: DecoderState
    scores: Tensor  # (B, k): log p(prefix | x) of each live hypothesis; -inf for an empty slot
    tokens: Tensor  # (B*k, t): the output so far
    attention: Tensor | None  # (B*k, t, S): one row of weights per output token, or None


def _first_beams(model: Seq2Seq, src: Tensor, src_valid_len: Tensor, k: int) -> _Beams:
    """Encode once and give every sentence k copies of its first state; only copy 0 is live."""
    batch_size = src.shape[0]
    state = start_state(model, src, src_valid_len)
    state = state.select(torch.arange(batch_size, device=src.device).repeat_interleave(k))
    # The k copies are identical: extending all of them would fill the beam with duplicates.
    scores = torch.full((batch_size, k), -math.inf, device=src.device)  # (B, k)
    scores[:, 0] = 0.0
    tokens = torch.zeros((batch_size * k, 0), dtype=torch.long, device=src.device)  # (B*k, 0)
    return _Beams(state, scores, tokens, None)


def _best_extensions(candidates: Tensor, k: int, eos_index: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The textbook selection step, for every sentence at once.

    ``candidates`` (B, k, V): the score of every live hypothesis extended by every token.
    The ``k`` best candidates are kept; those that end in ``<eos>`` leave the beam as
    *finished*, and the best candidates that do not end in ``<eos>`` fill the beam back
    to ``k`` live hypotheses.

    Returns ``(live_parent, live_token, live_score)``, each (B, k), and
    ``finished_scores`` (B, k): slot j holds the score of ``hypothesis j + <eos>`` when
    that candidate was among the k best, else -inf.
    """
    batch_size, _, vocab_size = candidates.shape
    top_index = candidates.view(batch_size, -1).topk(k, dim=-1).indices  # (B, k)
    in_top = torch.zeros_like(candidates, dtype=torch.bool).view(batch_size, -1).scatter_(1, top_index, True)
    ends_in_top = in_top.view_as(candidates)[..., eos_index]  # (B, k): hypothesis j + <eos> is among the k best
    finished_scores = torch.where(ends_in_top, candidates[..., eos_index], -math.inf)  # (B, k)
    # Live candidates: everything but <eos>.
    live_candidates = candidates.index_fill(-1, torch.tensor([eos_index], device=candidates.device), -math.inf)
    live_score, flat_index = live_candidates.view(batch_size, -1).topk(k, dim=-1)  # (B, k)
    return flat_index // vocab_size, flat_index % vocab_size, live_score, finished_scores


def _advance(beams: _Beams, parent: Tensor, token: Tensor, score: Tensor, weights: Tensor | None) -> _Beams:
    """Move the beams to the chosen extensions: reorder rows by ``parent`` (B, k), append ``token``."""
    batch_size, k = parent.shape
    rows = (torch.arange(batch_size, device=parent.device)[:, None] * k + parent).view(-1)  # (B*k,)
    tokens = torch.cat((beams.tokens[rows], token.view(-1, 1)), dim=1)  # (B*k, t+1)
    attention = None
    if weights is not None:  # weights (B*k, S): the parent's weights for the new token
        if beams.attention is not None:
            history = beams.attention[rows]
        else:
            history = weights.new_zeros((len(rows), 0, weights.shape[-1]))
        attention = torch.cat((history, weights[rows, None]), dim=1)  # (B*k, t+1, S)
    return _Beams(beams.state.select(rows), score, tokens, attention)


def _snapshot(beams: _Beams, row: int, extra: int | None, weights: Tensor | None, src_len: int,
              score: float) -> Hypothesis:
    """Hypothesis of decoder row ``row`` as it stands, plus token ``extra`` (``<eos>``) if given."""
    ids = beams.tokens[row].tolist()
    attention = beams.attention[row] if beams.attention is not None else None  # (t, S)
    if extra is not None:
        ids.append(extra)
        if weights is not None:
            row_weights = weights[row, None]  # (1, S)
            attention = row_weights if attention is None else torch.cat((attention, row_weights))
    return Hypothesis(ids, attention[:, :src_len].cpu() if attention is not None else None, score)


def beam_search(
    model: Seq2Seq,
    src: Tensor,
    src_valid_len: Tensor,
    *,
    bos_index: int,
    eos_index: int,
    max_len: int | Tensor,
    beam_size: int = 4,
    length_penalty: float = 0.75,
    penalty: str = "d2l",
) -> list[Hypothesis]:
    """Decode a batch keeping the ``beam_size`` most probable partial translations per sentence.

    The textbook algorithm (d2l's beam-search section; Wu et al. 2016), for every
    sentence at once (``B * k`` decoder rows):

    1. every live hypothesis proposes all ``V`` next tokens, scored by its summed
       log-probability ``log p(y_1 .. y_t | x)``;
    2. of the ``k * V`` candidates, the ``k`` best are kept. Those that end in
       ``<eos>`` move to a separate pool of *finished* hypotheses, ranked by
       ``score = log p(y | x) / lp(|y|)`` (:func:`length_penalty_factor`; ``|y|``
       counts ``<eos>``); the beam is refilled with the best candidates that do not
       end in ``<eos>``, so ``k`` hypotheses stay live at every step. The decoder
       state, the tokens and the attention follow their parents (``state.select``);
    3. a sentence stops when its best finished score is at least the best live
       hypothesis's score at its current length (exact for ``alpha = 0``, where a
       hypothesis's log-probability can only fall as it grows; the usual
       heuristic otherwise), or when it reaches ``max_len``.

    The answer is the best finished hypothesis; with none finished by ``max_len``,
    the best live one (cut off, without ``<eos>``). With ``beam_size=1`` this is exactly :func:`greedy_decode`
    (same ids and attention; the score divided by ``lp(|y|)``).

    Args:
        model, src, src_valid_len, bos_index, eos_index, max_len: as in :func:`greedy_decode`.
        beam_size: ``k``, live hypotheses kept per sentence.
        length_penalty: ``alpha``; 0 ranks by plain log-probability.
        penalty: ``"d2l"`` (``|y| ** alpha``) or ``"gnmt"`` (``((5 + |y|) / 6) ** alpha``).

    Returns:
        One :class:`Hypothesis` per sentence, in order. Runs under ``torch.no_grad()``
        in eval mode; the model's mode is restored.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be at least 1, got {beam_size}")
    length_penalty_factor(1, length_penalty, penalty)  # reject an unknown penalty before any work
    with inference_mode(model):
        src, src_valid_len, limits = _check_inputs(src, src_valid_len, max_len, model_device(model))
        if src.shape[0] == 0:
            return []
        search = _BeamSearch(model, src, src_valid_len, limits, beam_size, eos_index,
                             lambda length: length_penalty_factor(length, length_penalty, penalty))
        return search.run(bos_index)


# _BeamSearch.run's on_select: each step's log-probabilities (B, k, V) and what it kept,
# (parent, token, score, finished_scores) as :func:`_best_extensions` returns them.
_SelectCallback = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], None]


class _BeamSearch:
    """One batched beam search: the live beams, the finished pools, and the stopping rule."""

    def __init__(self, model, src, src_valid_len, limits, k, eos_index, lp):
        self.model, self.k, self.eos, self.lp = model, k, eos_index, lp
        self.limits, self.src_lens = limits.tolist(), src_valid_len.tolist()
        self.beams = _first_beams(model, src, src_valid_len, k)
        batch_size = src.shape[0]
        self.finished: list[list[Hypothesis]] = [[] for _ in range(batch_size)]
        self.answer: list[Hypothesis | None] = [None] * batch_size  # set when a sentence stops

    def run(self, bos_index: int, on_select: _SelectCallback | None = None) -> list[Hypothesis]:
        batch_size, k = self.beams.scores.shape
        y_prev = torch.full((batch_size * k,), bos_index, dtype=torch.long, device=self.beams.scores.device)
        for i in range(max(self.limits)):
            step = decoder_step(self.model.decoder, y_prev, self.beams.state)
            self.beams.state = step.state
            log_probs = torch.log_softmax(step.logits, dim=-1)  # (B*k, V)
            candidates = self.beams.scores[..., None] + log_probs.view(batch_size, k, -1)  # (B, k, V)
            parent, token, score, finished_scores = _best_extensions(candidates, k, self.eos)
            if on_select is not None:
                on_select(log_probs.view(batch_size, k, -1), parent, token, score, finished_scores)
            self._collect_finished(finished_scores, step.weights, length=i + 1)  # weights (B*k, S) or None
            self.beams = _advance(self.beams, parent, token, score, step.weights)
            self._stop_sentences(length=i + 1)
            if all(answer is not None for answer in self.answer):
                break
            y_prev = token.view(-1)  # (B*k,)
        return self.answer  # type: ignore[return-value]

    def _collect_finished(self, finished_scores: Tensor, weights: Tensor | None, *, length: int) -> None:
        """Add each hypothesis that just ended with ``<eos>`` to its sentence's pool."""
        for sentence, slot in torch.isfinite(finished_scores).nonzero().tolist():
            if self.answer[sentence] is not None:
                continue  # this sentence has stopped; its rows run on unused
            score = float(finished_scores[sentence, slot]) / self.lp(length)
            hypothesis = _snapshot(self.beams, sentence * self.k + slot, self.eos, weights,
                                   self.src_lens[sentence], score)
            self.finished[sentence].append(hypothesis)

    def _stop_sentences(self, *, length: int) -> None:
        """Stop each sentence whose best finished hypothesis can no longer be beaten, or at its limit."""
        best_live = self.beams.scores.max(dim=1)  # (B,): the most probable live hypothesis
        for sentence, (live_score, live_slot) in enumerate(zip(best_live.values.tolist(),
                                                               best_live.indices.tolist())):
            if self.answer[sentence] is not None:
                continue
            pool = self.finished[sentence]
            # max() keeps the first of equal scores: ties go to the hypothesis that finished first.
            best = max(pool, key=lambda hypothesis: hypothesis.score) if pool else None
            if best is not None and best.score >= live_score / self.lp(length):
                self.answer[sentence] = best
            elif length >= self.limits[sentence]:
                # Cut off: a finished hypothesis, however unlikely, beats one that never ended.
                self.answer[sentence] = best or _snapshot(
                    self.beams, sentence * self.k + live_slot, None, None, self.src_lens[sentence],
                    live_score / self.lp(length))


class BeamNode(NamedTuple):
    """One candidate that beam search kept at one step: a node of :class:`BeamTree`.

    Attributes:
        step: t, the position of ``token_id`` in the output (1 for the first token).
        parent: the index in ``BeamTree.nodes`` of the live hypothesis this one extends,
            ``None`` for a first token (its parent is ``<bos>``).
        token_id: y_t.
        log_prob: ``log p(y_t | y_<t, x)``, this token's own term.
        total: ``log p(y_1 .. y_t | x)``, the sum of ``log_prob`` along the path.
        score: a finished hypothesis (``token_id`` is ``<eos>``, it left the beam):
            ``total / lp(t)``, by which the finished ones are ranked; ``None`` while live.
    """

    step: int
    parent: int | None
    token_id: int
    log_prob: float
    total: float
    score: float | None


class BeamTree(NamedTuple):
    """What :func:`beam_search_tree` saw: every candidate kept, and the answer.

    ``nodes`` are in the order the search kept them, step by step (finished before live
    within a step); ``best`` is :func:`beam_search`'s answer and ``winner`` the index of
    its last node (its ``<eos>``, or the last token of a hypothesis cut at ``max_len``).
    """

    nodes: list[BeamNode]
    best: Hypothesis
    winner: int

    def path(self, index: int) -> list[int]:
        """The node indices from the first token to ``nodes[index]``."""
        indices: list[int] = []
        node: int | None = index
        while node is not None:
            indices.append(node)
            node = self.nodes[node].parent
        return indices[::-1]


def beam_search_tree(
    model: Seq2Seq,
    src: Tensor,
    src_valid_len: Tensor,
    *,
    bos_index: int,
    eos_index: int,
    max_len: int,
    beam_size: int = 4,
    length_penalty: float = 0.75,
    penalty: str = "d2l",
) -> BeamTree:
    """:func:`beam_search` of one sentence, returning every candidate it kept as a tree.

    The same search (the same selection, stopping rule and answer); at every step, each
    of the ``k`` live hypotheses it keeps and each one that ends in ``<eos>`` and leaves
    the beam becomes a :class:`BeamNode` linked to the live node it extends.

    Args:
        src: (1, S) source ids, src_valid_len (1,): one sentence.
        bos_index, eos_index, max_len, beam_size, length_penalty, penalty: as in
            :func:`beam_search`.
    """
    if src.dim() != 2 or src.shape[0] != 1:
        raise ValueError(f"beam_search_tree draws one sentence: src must have shape (1, S), got {tuple(src.shape)}")
    if beam_size < 1:
        raise ValueError(f"beam_size must be at least 1, got {beam_size}")

    def lp(length: int) -> float:
        return length_penalty_factor(length, length_penalty, penalty)

    lp(1)  # reject an unknown penalty before any work
    nodes: list[BeamNode] = []
    live: list[int | None] = [None] * beam_size  # the node in each beam slot (None: <bos> or empty)
    steps = [0]

    def record(log_probs: Tensor, parent: Tensor, token: Tensor, score: Tensor, finished: Tensor) -> None:
        # log_probs (1, k, V); parent, token, score, finished (1, k)
        steps[0] += 1
        step = steps[0]
        for slot in torch.isfinite(finished[0]).nonzero().flatten().tolist():
            total = float(finished[0, slot])
            nodes.append(BeamNode(step, live[slot], eos_index, float(log_probs[0, slot, eos_index]), total,
                                  total / lp(step)))
        kept: list[int | None] = []
        for slot in range(beam_size):
            if not math.isfinite(float(score[0, slot])):
                kept.append(None)  # fewer candidates than slots (a tiny vocabulary)
                continue
            came_from, token_id = int(parent[0, slot]), int(token[0, slot])
            nodes.append(BeamNode(step, live[came_from], token_id, float(log_probs[0, came_from, token_id]),
                                  float(score[0, slot]), None))
            kept.append(len(nodes) - 1)
        live[:] = kept

    with inference_mode(model):
        src, src_valid_len, limits = _check_inputs(src, src_valid_len, max_len, model_device(model))
        search = _BeamSearch(model, src, src_valid_len, limits, beam_size, eos_index, lp)
        (best,) = search.run(bos_index, on_select=record)
    return BeamTree(nodes, best, _winner(nodes, best))


def _winner(nodes: list[BeamNode], best: Hypothesis) -> int:
    """The index of the node whose path spells ``best.token_ids`` (the last such node)."""
    for index in range(len(nodes) - 1, -1, -1):
        ids, node = [], index
        while node is not None:
            ids.append(nodes[node].token_id)
            node = nodes[node].parent
        if ids[::-1] == best.token_ids:
            return index
    raise AssertionError("the answer of beam search is not in its tree")


# ----------------------------------------------------------------------------------------------
# translate: strings in, Translations out
# ----------------------------------------------------------------------------------------------


@dataclass(repr=False)
class Translation:
    """One translated sentence.

    Attributes:
        tokens: the French output, without ``<eos>``.
        attention: (len(tokens) + 1, len(src_tokens)) attention weights: one row
            per output token including ``<eos>``, one column per source token
            including ``<eos>``; each row sums to 1. When decoding stopped at
            ``max_len`` before ``<eos>`` (``finished`` is False) there is no
            ``<eos>`` row: (len(tokens), len(src_tokens)). ``None`` for a model
            without attention.
        src_tokens: the source as the model read it: the tokenized words
            (after truncation), then ``<eos>``. Words outside the vocabulary are
            shown as typed; the model read ``<unk>`` for them (see ``unknown``).
        unknown: the distinct source words that were read as ``<unk>``, in order
            of first appearance.
        score: greedy: the log-probability of the output (``<eos>`` included);
            beam search: that divided by (number of output tokens, ``<eos>``
            included) ``** length_penalty``.
        truncated: the input had more than ``max_src_len`` tokens and was cut.
        finished: the model produced ``<eos>`` (False: it was cut at ``max_len``).
        copied: the positions in ``tokens`` where an ``<unk>`` was replaced by the
            source word that the step attended to most (``replace_unk=True``, see
            :func:`replace_unknowns`); empty otherwise.
        steered: the output steps (row numbers of ``attention``, 0 for the first word)
            whose weights were given by an ``override`` (:func:`translate`) rather than
            computed by the model; empty otherwise.
    """

    tokens: list[str]
    attention: Tensor | None
    src_tokens: list[str]
    unknown: list[str] = field(default_factory=list)
    score: float = 0.0
    truncated: bool = False
    finished: bool = True
    copied: list[int] = field(default_factory=list)
    steered: list[int] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The output tokens joined with spaces."""
        return " ".join(self.tokens)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        # Short on purpose: the default repr would print the whole attention tensor.
        extras = [f"score={self.score:.4f}"]
        if self.unknown:
            extras.append(f"unknown={self.unknown!r}")
        if self.truncated:
            extras.append("truncated=True")
        if not self.finished:
            extras.append("finished=False")
        if self.copied:
            extras.append(f"copied={self.copied!r}")
        if self.steered:
            extras.append(f"steered={self.steered!r}")
        return f"Translation({self.text!r}, {', '.join(extras)})"


def default_max_len(src_len: int) -> int:
    """Output limit used by :func:`translate`: ``2 * src_len + 5`` tokens, ``<eos>`` included.

    ``src_len`` counts source words without ``<eos>``. French sentences in fra-eng
    are rarely more than 1.5 times as long as their English, so an output that
    reaches this limit is almost surely a model stuck repeating itself.
    """
    return 2 * src_len + 5


def _words_to_translate(sentences: str | Sequence[str], max_src_len: int) -> tuple[bool, list[list[str]], list[bool]]:
    """Check and tokenize the input of :func:`translate`: (one string given?, word lists, truncated flags)."""
    single = isinstance(sentences, str)
    if single:
        items = [sentences]
    elif isinstance(sentences, Sequence) and not isinstance(sentences, (bytes, bytearray)):
        items = list(sentences)
    else:
        raise TypeError(f"sentences must be a string or a list of strings, not {type(sentences).__name__}")
    if max_src_len < 1:
        raise ValueError(f"max_src_len must be at least 1, got {max_src_len}")
    word_lists, truncated = [], []
    for position, sentence in enumerate(items):
        where = INPUT_NAME if single else f"sentence {position} of the list"
        words = sentence_words(sentence, where)
        if len(words) > max_src_len:
            warnings.warn(
                TRUNCATED_INPUT_MESSAGE.format(where=where, count=len(words), max_src_len=max_src_len),
                UserWarning,
                stacklevel=3,
            )
        word_lists.append(words[:max_src_len])
        truncated.append(len(words) > max_src_len)
    return single, word_lists, truncated


def _to_translation(hypothesis: Hypothesis, words: list[str], src_vocab: Vocab, tgt_vocab: Vocab,
                    truncated: bool) -> Translation:
    """A decoded :class:`Hypothesis` of the source ``words`` as a :class:`Translation` for people."""
    ids = hypothesis.token_ids
    ended = bool(ids) and ids[-1] == tgt_vocab.eos
    return Translation(
        tokens=tgt_vocab.decode(ids[:-1] if ended else ids),
        attention=hypothesis.attention,
        src_tokens=[*words, EOS],
        unknown=unknown_words(words, src_vocab),
        score=hypothesis.score,
        truncated=truncated,
        finished=ended,
    )


def unknown_words(words: Sequence[str], src_vocab: Vocab) -> list[str]:
    """The distinct words of ``words`` that ``src_vocab`` reads as ``<unk>``, in order of first appearance."""
    return [word for word in dict.fromkeys(words) if word not in src_vocab]


def replace_unknowns(translation: Translation) -> Translation:
    """Replace each ``<unk>`` of the output by the source word its step attended to most.

    The copy heuristic of Luong et al. (2015) and Jean et al. (2015): a word the
    target vocabulary cannot write (a name, a number, a rare word) is most often
    one the French keeps as it is, and the attention row of the step that wrote
    ``<unk>`` says where in the source it is. Row t of ``translation.attention``
    belongs to output token t; the source's ``<eos>`` column is left out of the
    argmax (it is not a word to copy). The word is copied as the model read it
    (lower-cased, as :func:`~bahdanau.data.tokenize` writes it).

    Returns a new :class:`Translation` with the replaced ``tokens`` and their
    positions in ``copied``; ``attention``, ``score`` and the rest are unchanged.

    Raises:
        ValueError: the translation has no attention weights (a model without
            attention has nothing to copy from).
    """
    if translation.attention is None:
        raise ValueError("replace_unk needs attention weights: this model has no attention to copy from")
    words = translation.src_tokens[:-1]  # without <eos>
    tokens, copied = list(translation.tokens), []
    for position, token in enumerate(tokens):
        if token == UNK and words:
            # (S - 1,): this step's weights on the source words
            source = int(translation.attention[position, : len(words)].argmax())
            tokens[position] = words[source]
            copied.append(position)
    return dataclasses.replace(translation, tokens=tokens, copied=copied)


# What translate warns when it cuts a long input (the browser port reads it from the registry).
TRUNCATED_INPUT_MESSAGE = "{where} has {count} tokens; only the first {max_src_len} (max_src_len) are translated"

# translate's default limit on the input: longer sentences are cut to their first words. The
# browser port reads it from the exported model's config (bahdanau.cli.export_web).
MAX_SRC_LEN = 50


def translate(
    model: Seq2Seq,
    sentences: str | Sequence[str],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    *,
    beam_size: int = 1,
    max_len: int | None = None,
    max_src_len: int = MAX_SRC_LEN,
    length_penalty: float = 0.75,
    penalty: str = "d2l",
    replace_unk: bool = False,
    batch_size: int = 128,
    device: torch.device | str | None = None,
    on_step: StepCallback | None = None,
    override: AttentionOverride | None = None,
) -> Translation | list[Translation]:
    """Translate English text with a trained model.

    Each sentence is tokenized with :func:`~bahdanau.data.tokenize` (lower-cased,
    punctuation split off; any run of whitespace separates words), encoded with
    ``src_vocab`` (unknown words become ``<unk>``; ``<eos>`` is appended) and decoded
    with :func:`greedy_decode` (``beam_size=1``) or :func:`beam_search`. Sentences are
    decoded in batches of similar length; padding never changes a result, so a
    sentence gets the same translation alone or in any batch. Any model keeping the
    :class:`~bahdanau.interfaces.Seq2Seq` contract works; its attention is returned
    when its decoder's steps return weights (:class:`~bahdanau.interfaces.DecoderStep`).

    Args:
        sentences: one string (returns one :class:`Translation`) or a list of
            strings (returns a list, in the same order).
        beam_size: 1 for greedy decoding, more for beam search.
        max_len: most output tokens, ``<eos>`` included; ``None`` means
            :func:`default_max_len` of each sentence's own length.
        max_src_len: longer inputs are cut to their first ``max_src_len`` words,
            with a ``UserWarning``, and marked ``truncated``.
        length_penalty, penalty: see :func:`beam_search` (unused when ``beam_size=1``).
        replace_unk: replace each ``<unk>`` of the output by the source word that
            its step attended to most (:func:`replace_unknowns`); needs a model
            with attention.
        batch_size: sentences decoded together (memory grows with it times ``beam_size``).
        device: where to run; ``None`` means where the model is. Otherwise the
            model is moved there.
        on_step: greedy decoding only: called after every step (see
            :func:`greedy_decode`); the step-through view keeps the steps.
        override: one sentence, greedy decoding only: steer the attention. Output
            step i (0 for the first French word) -> the weights to use there, one per
            source token (``src_tokens``: the words, then ``<eos>``), summing to 1
            (:func:`focus_row` puts all of it on one token). The decoder builds c_i
            from them and goes on as usual from there; ``steered`` lists the steps it
            reached. An override equal to the model's own weights changes nothing.

    Raises:
        TypeError: ``sentences`` is not a string or a list of strings.
        ValueError: a sentence is empty or only whitespace (the message says which),
            ``replace_unk=True`` for a model without attention, or an invalid
            ``override`` (see :func:`check_override`).
    """
    single, word_lists, truncated = _words_to_translate(sentences, max_src_len)
    if on_step is not None and beam_size != 1:
        raise ValueError("on_step watches greedy decoding: use it with beam_size=1")
    if override and (beam_size != 1 or not single):
        raise ValueError(OVERRIDE_MESSAGES["override_one_sentence"])
    if device is not None:
        model.to(device)
    if beam_size == 1:
        decode = functools.partial(greedy_decode, on_step=on_step, override=override)
    else:
        decode = functools.partial(beam_search, beam_size=beam_size, length_penalty=length_penalty, penalty=penalty)
    # Similar lengths in one batch waste less work on padding; results go back in input order.
    order = sorted(range(len(word_lists)), key=lambda position: len(word_lists[position]))
    results: list[Translation | None] = [None] * len(word_lists)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, src_valid_len = encode_sources([word_lists[p] for p in chunk], src_vocab)  # (B, S), (B,)
        limits = max_len if max_len is not None else torch.tensor(
            [default_max_len(len(word_lists[p])) for p in chunk])  # (B,)
        hypotheses = decode(model, src, src_valid_len, bos_index=tgt_vocab.bos, eos_index=tgt_vocab.eos,
                            max_len=limits)
        for position, hypothesis in zip(chunk, hypotheses):
            translation = _to_translation(hypothesis, word_lists[position], src_vocab, tgt_vocab,
                                          truncated[position])
            if override:
                steps_reached = len(hypothesis.token_ids)
                translation.steered = sorted(step for step in override if step < steps_reached)
            results[position] = replace_unknowns(translation) if replace_unk else translation
    return results[0] if single else results  # type: ignore[return-value]
