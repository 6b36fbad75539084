"""From next-token distributions to translations: greedy decoding, beam search, translate.

At test time there is no reference to feed the decoder, so it reads its own
output: start from ``<bos>``, pick a token, feed it back, and stop at ``<eos>``.
The two functions differ only in *which* token(s) they keep at each step:

- :func:`greedy_decode` keeps the single most likely token,
  ``y_t = argmax_y log p(y | y_<t, x)``. Cheap, but a choice that looks best now
  can force a poor sentence later.
- :func:`beam_search` keeps the ``k`` most likely partial translations and
  extends all of them, then ranks the finished ones by
  ``log p(y | x) / |y| ** alpha`` (``alpha`` = ``length_penalty``; d2l's
  ``1 / L^alpha * log P``), so that short outputs are not preferred just
  because every extra token multiplies in a probability below 1.

Both run the whole batch at once, one decoder step at a time: beam search puts
the ``k`` hypotheses of every sentence side by side as ``B * k`` rows and
reorders the decoder state with ``state.select(rows)`` when hypotheses are
dropped and duplicated. Both return, per sentence, a :class:`Hypothesis`: the
output ids (ending in ``<eos>`` when the model produced it), one row of
attention weights per output token (``None`` for a model without attention),
and a score.

:func:`translate` wraps them for people: strings in, :class:`Translation` out.

Shapes: B batch, S source length, T output steps, V target vocabulary size,
k beam size.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import torch
from torch import Tensor, nn

from .data import EOS, Vocab, encode_sources, tokenize

__all__ = [
    "Hypothesis",
    "Translation",
    "greedy_decode",
    "beam_search",
    "default_max_len",
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
            ``len(token_ids) ** length_penalty``.
    """

    token_ids: list[int]
    attention: Tensor | None
    score: float


@contextmanager
def _inference_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode (no dropout) and no autograd inside; the model's previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def _model_device(model: nn.Module) -> torch.device:
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


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


def _step_attention(model: nn.Module) -> Tensor | None:
    """The attention weights of the decoder step just run, (B, S), or None without attention."""
    if not getattr(model, "has_attention", False):
        return None
    return model.decoder.attention_weights[:, -1]  # (B, S)


def greedy_decode(
    model: nn.Module,
    src: Tensor,
    src_valid_len: Tensor,
    *,
    bos_index: int,
    eos_index: int,
    max_len: int | Tensor,
) -> list[Hypothesis]:
    """Decode a batch by always taking the most likely next token.

    ``y_t = argmax_y log p(y | y_1 .. y_{t-1}, x)`` (the ``argmax`` line below),
    fed back as the next input. All rows advance together; a row that produced
    ``<eos>`` keeps running (its outputs are ignored) until every row has produced
    ``<eos>`` or reached its limit.

    Args:
        model: an :class:`~bahdanau.models.EncoderDecoder` (or anything with the
            same ``encoder``, ``decoder.init_state`` and ``decoder`` interface).
        src: (B, S) source ids, right-padded; ``src_valid_len``: (B,) real lengths.
        bos_index, eos_index: ``<bos>`` and ``<eos>`` of the target vocabulary.
        max_len: most output tokens per row, ``<eos>`` included: an int, or a
            (B,) tensor with one limit per row.

    Returns:
        One :class:`Hypothesis` per row, in order, with ``score = log p(y | x)``.
        Runs under ``torch.no_grad()`` in eval mode; the model's mode is restored.
    """
    with _inference_mode(model):
        src, src_valid_len, limits = _check_inputs(src, src_valid_len, max_len, _model_device(model))
        batch_size = src.shape[0]
        if batch_size == 0:
            return []
        device = src.device
        state = model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len)
        dec_input = torch.full((batch_size, 1), bos_index, dtype=torch.long, device=device)  # (B, 1)
        done = torch.zeros(batch_size, dtype=torch.bool, device=device)
        scores = torch.zeros(batch_size, device=device)
        out_lens = torch.zeros(batch_size, dtype=torch.long, device=device)
        step_tokens: list[Tensor] = []
        step_weights: list[Tensor] = []
        for step in range(int(limits.max())):
            logits, state = model.decoder(dec_input, state)  # (B, 1, V)
            log_probs = torch.log_softmax(logits[:, -1], dim=-1)  # (B, V)
            next_tokens = log_probs.argmax(dim=-1)  # (B,)
            # A finished row's new token is thrown away: it must not change its score or length.
            still_running = ~done
            token_log_probs = log_probs.gather(1, next_tokens[:, None]).squeeze(1)  # (B,)
            scores = scores + torch.where(still_running, token_log_probs, 0.0)
            out_lens += still_running
            step_tokens.append(next_tokens)
            weights = _step_attention(model)
            if weights is not None:
                step_weights.append(weights)
            done |= (next_tokens == eos_index) | (step + 1 >= limits)
            if bool(done.all()):
                break
            dec_input = next_tokens[:, None]  # (B, 1)

        tokens = torch.stack(step_tokens, dim=1).cpu()  # (B, T)
        attention = torch.stack(step_weights, dim=1).cpu() if step_weights else None  # (B, T, S)
        valid_lens, out_lens, scores = src_valid_len.tolist(), out_lens.tolist(), scores.tolist()
        return [
            Hypothesis(
                tokens[row, : out_lens[row]].tolist(),
                attention[row, : out_lens[row], : valid_lens[row]].clone() if attention is not None else None,
                scores[row],
            )
            for row in range(batch_size)
        ]


def beam_search(
    model: nn.Module,
    src: Tensor,
    src_valid_len: Tensor,
    *,
    bos_index: int,
    eos_index: int,
    max_len: int | Tensor,
    beam_size: int = 4,
    length_penalty: float = 0.75,
) -> list[Hypothesis]:
    """Decode a batch keeping the ``beam_size`` most probable partial translations per sentence.

    The search, for every sentence at once (``B * k`` decoder rows, row ``b * k + j``
    holding hypothesis ``j`` of sentence ``b``):

    1. every hypothesis proposes all ``V`` next tokens, scored by its summed
       log-probability so far plus ``log p(y_t | y_<t, x)``;
    2. the ``k`` best of the ``k * V`` proposals become the new beam; the decoder
       state, the token history and the attention history are reordered with the
       ``rows`` they came from (``state.select(rows)``);
    3. a hypothesis that ends in ``<eos>`` is *finished*: it is recorded, and it
       keeps its place in the beam with its score frozen, so it is only pushed out
       by ``k`` live hypotheses that are already more probable than it;
    4. a sentence is done when its whole beam is finished or it reaches ``max_len``.

    The answer for each sentence is the recorded finished hypothesis with the
    best ``score = log p(y | x) / len(y) ** length_penalty`` (``len`` counts
    ``<eos>``); with none finished by ``max_len``, the best live one. The
    penalty only ranks finished hypotheses; inside the beam, hypotheses compete
    on their plain log-probability. With ``beam_size=1`` this is exactly
    :func:`greedy_decode` (same ids and attention; score divided by
    ``len ** length_penalty``).

    Args:
        model, src, src_valid_len, bos_index, eos_index, max_len: as in :func:`greedy_decode`.
        beam_size: ``k``, hypotheses kept per sentence.
        length_penalty: ``alpha`` above; 0 ranks by plain log-probability.

    Returns:
        One :class:`Hypothesis` per sentence, in order. Runs under ``torch.no_grad()``
        in eval mode; the model's mode is restored.
    """
    if beam_size < 1:
        raise ValueError(f"beam_size must be at least 1, got {beam_size}")
    with _inference_mode(model):
        src, src_valid_len, limits = _check_inputs(src, src_valid_len, max_len, _model_device(model))
        batch_size, src_len = src.shape
        if batch_size == 0:
            return []
        device, k = src.device, beam_size
        state = model.decoder.init_state(model.encoder(src, src_valid_len), src_valid_len)
        # Encode once, then give every sentence k identical copies of its decoder state.
        state = state.select(torch.arange(batch_size, device=device).repeat_interleave(k))
        # The k copies start identical: only the first may be extended, or the beam
        # would fill with k copies of the same hypothesis.
        beam_scores = torch.full((batch_size, k), -math.inf, device=device)  # (B, k)
        beam_scores[:, 0] = 0.0
        finished = torch.zeros((batch_size, k), dtype=torch.bool, device=device)  # (B, k)
        history = torch.zeros((batch_size * k, 0), dtype=torch.long, device=device)  # (B*k, t)
        attention_history = torch.zeros((batch_size * k, 0, src_len), device=device)  # (B*k, t, S)
        dec_input = torch.full((batch_size * k, 1), bos_index, dtype=torch.long, device=device)  # (B*k, 1)
        valid_lens = src_valid_len.tolist()
        # Per sentence: hypotheses that ended with <eos>, and (fallback) those alive at max_len.
        ended: list[list[Hypothesis]] = [[] for _ in range(batch_size)]
        cut_off: list[list[Hypothesis]] = [[] for _ in range(batch_size)]

        has_attention = bool(getattr(model, "has_attention", False))

        def snapshot(sentence: int, slot: int) -> Hypothesis:
            """Hypothesis ``slot`` of ``sentence`` as it stands at the current step, length-normalised.

            Reads ``history``, ``attention_history`` and ``beam_scores`` as they are when called.
            """
            row = sentence * k + slot
            length = history.shape[1]
            weights = attention_history[row, :, : valid_lens[sentence]].cpu() if has_attention else None
            raw_score = float(beam_scores[sentence, slot])
            return Hypothesis(history[row].tolist(), weights, raw_score / length**length_penalty)

        for step in range(int(limits.max())):
            logits, state = model.decoder(dec_input, state)  # (B*k, 1, V)
            log_probs = torch.log_softmax(logits[:, -1], dim=-1)  # (B*k, V)
            vocab_size = log_probs.shape[-1]
            log_probs = log_probs.view(batch_size, k, vocab_size)  # (B, k, V)
            # A finished hypothesis has a single continuation (<eos> again) at no cost,
            # so it keeps its frozen score and its place competes with the live ones.
            frozen = torch.full((vocab_size,), -math.inf, device=device)
            frozen[eos_index] = 0.0
            log_probs = torch.where(finished[..., None], frozen, log_probs)
            candidate_scores = beam_scores[..., None] + log_probs  # (B, k, V)
            beam_scores, flat_index = candidate_scores.view(batch_size, k * vocab_size).topk(k, dim=-1)  # (B, k)
            parent = flat_index // vocab_size  # (B, k): the hypothesis each new one extends
            next_tokens = flat_index % vocab_size  # (B, k)
            rows = (torch.arange(batch_size, device=device)[:, None] * k + parent).view(-1)  # (B*k,)

            state = state.select(rows)
            history = torch.cat((history[rows], next_tokens.view(-1, 1)), dim=1)  # (B*k, t+1)
            if has_attention:
                step_weights = _step_attention(model)[rows]  # (B*k, S): the parent's weights for this token
                attention_history = torch.cat((attention_history[rows], step_weights[:, None]), dim=1)  # (B*k, t+1, S)
            parent_finished = finished.view(-1)[rows].view(batch_size, k)  # (B, k)
            alive = torch.isfinite(beam_scores)  # -inf only when fewer than k proposals exist
            just_ended = ~parent_finished & alive & (next_tokens == eos_index)  # (B, k)
            for sentence, slot in just_ended.nonzero().tolist():
                ended[sentence].append(snapshot(sentence, slot))
            finished = parent_finished | just_ended | ~alive

            # Sentences that reach their limit stop here; their live hypotheses are the fallback.
            at_limit = (step + 1 >= limits) & ~finished.all(dim=1)  # (B,)
            for sentence in at_limit.nonzero().flatten().tolist():
                for slot in (~finished[sentence]).nonzero().flatten().tolist():
                    cut_off[sentence].append(snapshot(sentence, slot))
            finished[at_limit] = True
            if bool(finished.all()):
                break
            dec_input = next_tokens.view(-1, 1)  # (B*k, 1)

        # max() keeps the first of equal scores: ties go to the hypothesis that finished first.
        return [max(ended[b] or cut_off[b], key=lambda hypothesis: hypothesis.score) for b in range(batch_size)]


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
    """

    tokens: list[str]
    attention: Tensor | None
    src_tokens: list[str]
    unknown: list[str] = field(default_factory=list)
    score: float = 0.0
    truncated: bool = False
    finished: bool = True

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
        return f"Translation({self.text!r}, {', '.join(extras)})"


def default_max_len(src_len: int) -> int:
    """Output limit used by :func:`translate`: ``2 * src_len + 5`` tokens, ``<eos>`` included.

    ``src_len`` counts source words without ``<eos>``. French sentences in fra-eng
    are rarely more than 1.5 times as long as their English, so an output that
    reaches this limit is almost surely a model stuck repeating itself.
    """
    return 2 * src_len + 5


def translate(
    model: nn.Module,
    sentences: str | Sequence[str],
    src_vocab: Vocab,
    tgt_vocab: Vocab,
    *,
    beam_size: int = 1,
    max_len: int | None = None,
    max_src_len: int = 50,
    length_penalty: float = 0.75,
    batch_size: int = 128,
    device: torch.device | str | None = None,
) -> Translation | list[Translation]:
    """Translate English text with a trained model.

    Each sentence is tokenized with :func:`~bahdanau.data.tokenize` (lower-cased,
    punctuation split off; any run of whitespace separates words), encoded with ``src_vocab`` (unknown words become
    ``<unk>``; ``<eos>`` is appended) and decoded with :func:`greedy_decode`
    (``beam_size=1``) or :func:`beam_search`. Sentences are decoded in batches of
    similar length; padding never changes a result, so a sentence gets the same
    translation alone or in any batch.

    Args:
        sentences: one string (returns one :class:`Translation`) or a list of
            strings (returns a list, in the same order).
        beam_size: 1 for greedy decoding, more for beam search.
        max_len: most output tokens, ``<eos>`` included; ``None`` means
            :func:`default_max_len` of each sentence's own length.
        max_src_len: longer inputs are cut to their first ``max_src_len`` words,
            with a ``UserWarning``, and marked ``truncated``.
        length_penalty: see :func:`beam_search` (unused when ``beam_size=1``).
        batch_size: sentences decoded together (memory grows with it times ``beam_size``).
        device: where to run; ``None`` means where the model is. Otherwise the
            model is moved there.

    Raises:
        TypeError: ``sentences`` is not a string or a list of strings.
        ValueError: a sentence is empty or only whitespace (the message says which).
    """
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
        where = "the sentence" if single else f"sentence {position} of the list"
        if not isinstance(sentence, str):
            raise TypeError(f"{where} is a {type(sentence).__name__}, not a string: {sentence!r}")
        # tokenize splits on spaces only; typed text may also hold tabs or line breaks.
        words = tokenize(" ".join(sentence.split()))
        if not words:
            raise ValueError(f"{where} is empty or only whitespace: {sentence!r}")
        too_long = len(words) > max_src_len
        if too_long:
            warnings.warn(
                f"{where} has {len(words)} tokens; only the first {max_src_len} (max_src_len) are translated",
                UserWarning,
                stacklevel=2,
            )
            words = words[:max_src_len]
        word_lists.append(words)
        truncated.append(too_long)

    if device is not None:
        model.to(device)
    # Similar lengths in one batch waste less work on padding; results go back in input order.
    order = sorted(range(len(word_lists)), key=lambda position: len(word_lists[position]))
    results: list[Translation | None] = [None] * len(word_lists)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, src_valid_len = encode_sources([word_lists[p] for p in chunk], src_vocab)  # (B, S), (B,)
        if max_len is None:
            limits = torch.tensor([default_max_len(len(word_lists[p])) for p in chunk])  # (B,)
        else:
            limits = max_len
        common = dict(bos_index=tgt_vocab.bos, eos_index=tgt_vocab.eos, max_len=limits)
        if beam_size == 1:
            hypotheses = greedy_decode(model, src, src_valid_len, **common)
        else:
            hypotheses = beam_search(
                model, src, src_valid_len, beam_size=beam_size, length_penalty=length_penalty, **common
            )
        for position, hypothesis in zip(chunk, hypotheses):
            ids = hypothesis.token_ids
            ended = bool(ids) and ids[-1] == tgt_vocab.eos
            words = word_lists[position]
            results[position] = Translation(
                tokens=tgt_vocab.decode(ids[:-1] if ended else ids),
                attention=hypothesis.attention,
                src_tokens=[*words, EOS],
                unknown=[word for word in dict.fromkeys(words) if word not in src_vocab],
                score=hypothesis.score,
                truncated=truncated[position],
                finished=ended,
            )
    return results[0] if single else results  # type: ignore[return-value]
