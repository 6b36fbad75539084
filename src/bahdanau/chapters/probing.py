"""What the fixed context keeps of a sentence: two experiments for chapter 1.

A learner reading d2l's chapter wrote: "before attention, only the last word is really the
decoder's input". The context ``c`` of an encoder–decoder without attention is the encoder's
state after the last token, so the sentence can be read that way. It is wrong: ``c`` depends
on every word, but it keeps each word only partly. Two measurements show both halves.

1. :func:`substitution_shift`: replace the word at position ``j`` by other words and measure how
   far ``c`` moves (relative to its length). If ``c`` were "the last word", only the last
   position would move it. Optionally, the same for an attention decoder's context ``c_i`` at
   the step ``i`` that looks most at word ``j``: that vector belongs to another network, on its
   own scale, so compare its shifts with each other, not with those of ``c``.
2. :func:`position_probe`: a linear classifier (a *probe*), a ridge regression onto one-hot words
   fitted in closed form (:func:`fit_linear_probe`), tries to name the word at position ``j``
   from the encoder's final state ``c``. Its accuracy on held-out sentences, by position and by
   sentence length, says how much of each word survives in ``c``. The comparison is the same
   probe on the annotation ``h_j`` of the **same** encoder (the vector an attention decoder
   would read), so both accuracies describe one network.

Shapes: B batch, S source length (``<eos>`` included), H hidden size, N examples, C classes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..alignment import forced_alignment
from ..data import EOS, Pair, encode_sources, tokenize
from ..interfaces import Seq2Seq
from ..runtime import inference_mode

__all__ = [
    "SubstitutionShift",
    "ProbeResult",
    "fixed_context",
    "substitution_shift",
    "fit_linear_probe",
    "probe_predict",
    "position_probe",
]


def fixed_context(model: Seq2Seq, src: Tensor, src_valid_len: Tensor) -> tuple[Tensor, Tensor]:
    """The context ``c`` a decoder without attention receives, and the annotations ``h_j``.

    ``c`` is the encoder's final state of its last layer (``ContextState.context``); for the
    one-directional encoder it equals the annotation of the last real token (``<eos>``).

    Args:
        model: an encoder–decoder whose encoder returns ``(enc_outputs, enc_state)``.
        src (B, S), src_valid_len (B,): a batch from :func:`bahdanau.data.encode_sources`.

    Returns:
        ``(context, enc_outputs)``: shapes (B, H) and (B, S, H).
    """
    with inference_mode(model):
        enc_outputs, enc_state = model.encoder(src, src_valid_len)  # (B, S, H), (L, B, H)
    return enc_state[-1], enc_outputs


@dataclass
class SubstitutionShift:
    """How far a context moves when one word of a sentence is replaced.

    Attributes:
        tokens: the sentence's words (no ``<eos>``); entry ``j`` of each list below is about
            replacing ``tokens[j]``.
        fixed: mean relative shift ``||c' - c|| / ||c||`` of the fixed context, one per word.
        attention: the same for the attention decoder's context ``c_i`` at the step ``i`` that
            puts its largest weight on word ``j`` (``None`` without an attention model).
        steps: that step ``i`` for each word (``None`` without an attention model).
        french: the attention model's translation that was teacher-forced (``None`` without one).
        substitutes: the words put in place of each word (a word is never replaced by itself).
    """

    tokens: list[str]
    fixed: list[float]
    attention: list[float] | None
    steps: list[int] | None
    french: str | None
    substitutes: list[str]


def _relative_shift(moved: Tensor, original: Tensor) -> float:
    return float(torch.linalg.vector_norm(moved - original) / torch.linalg.vector_norm(original))


def _mean(values: list[float]) -> float:
    """The mean, or NaN when no substitute was different from the word (nothing measured)."""
    return sum(values) / len(values) if values else float("nan")


def _attention_contexts(translator, english: str, french: str) -> tuple[Tensor, Tensor]:
    """Teacher-forced attention weights (T, S) and contexts c_i = sum_j alpha_ij h_j (T, H)."""
    alignment = forced_alignment(translator.model, english, french, translator.src_vocab, translator.tgt_vocab)
    src, src_valid_len = encode_sources([tokenize(english)], translator.src_vocab)
    _, enc_outputs = fixed_context(translator.model, src, src_valid_len)  # (1, S, H)
    # eq. 5 of the paper: one context per French step
    return alignment.weights, alignment.weights @ enc_outputs[0]  # (T, S), (T, H)


def substitution_shift(
    baseline, sentence: str, substitutes: Sequence[str], attention_model=None
) -> SubstitutionShift:
    """Replace each word of ``sentence`` in turn and measure how far the contexts move.

    Args:
        baseline: a :class:`~bahdanau.pretrained.Translator` without attention (its ``c``).
        sentence: an English sentence; every word and every substitute should be in the
            English vocabulary (an unknown word would be read as ``<unk>``).
        substitutes: the words put in place of each word, one at a time; the shift is the mean
            over them (a substitute equal to the word it replaces is skipped; NaN if it was
            the only one).
        attention_model: an attention :class:`~bahdanau.pretrained.Translator` with the same
            kind of encoder, or None. Its greedy translation of ``sentence`` is then kept fixed
            and teacher-forced after each replacement, and ``c_i`` is read at the step that
            looks most at the replaced word.

    Raises:
        ValueError: no substitutes, or a substitute is not one word.
    """
    words = tokenize(sentence)
    substitutes = [str(word) for word in substitutes]
    if not substitutes or any(len(tokenize(word)) != 1 for word in substitutes):
        raise ValueError(f"substitutes must be single words, got {substitutes!r}")

    def context_of(tokens: list[str]) -> Tensor:
        src, src_valid_len = encode_sources([tokens], baseline.src_vocab)
        return fixed_context(baseline.model, src, src_valid_len)[0][0]  # (H,)

    original = context_of(words)
    french = steps = attention_shift = None
    if attention_model is not None:
        french = " ".join(token for token in attention_model.translate(sentence).tokens if token != EOS)
        weights, contexts = _attention_contexts(attention_model, sentence, french)  # (T, S), (T, H)
        # The French <eos> row and the English <eos> column left out: the step that reads word j.
        steps = weights[:-1, : len(words)].argmax(dim=0).tolist()
        attention_shift = []

    fixed_shift = []
    for j, word in enumerate(words):
        fixed_j, attention_j = [], []
        for substitute in substitutes:
            if substitute == word:
                continue
            changed = [*words[:j], substitute, *words[j + 1 :]]
            fixed_j.append(_relative_shift(context_of(changed), original))
            if attention_model is not None:
                _, changed_contexts = _attention_contexts(attention_model, " ".join(changed), french)
                attention_j.append(_relative_shift(changed_contexts[steps[j]], contexts[steps[j]]))
        fixed_shift.append(_mean(fixed_j))
        if attention_model is not None:
            attention_shift.append(_mean(attention_j))
    return SubstitutionShift(words, fixed_shift, attention_shift, steps, french, substitutes)


def fit_linear_probe(features: Tensor, labels: Tensor, num_classes: int, ridge: float = 1.0) -> Tensor:
    """A linear classifier from features to classes, by ridge regression onto one-hot targets.

    Closed form, no training loop: ``W = (X^T X + ridge * I)^-1 X^T Y`` with a bias column in
    ``X`` and ``Y`` the one-hot labels. Why not logistic regression? This takes a fraction of a
    second for thousands of examples and has no learning rate or epochs to tune, and a probe
    only has to show how much a *linear* read-out can recover.

    Args:
        features (N, H), labels (N,) with values in ``[0, num_classes)``.

    Returns:
        The weights (H + 1, C); use :func:`probe_predict`.
    """
    if features.ndim != 2 or labels.shape != features.shape[:1]:
        raise ValueError(f"features (N, H) and labels (N,) expected, got {tuple(features.shape)}"
                         f" and {tuple(labels.shape)}")
    inputs = torch.cat((features.double(), features.new_ones(len(features), 1).double()), dim=1)  # (N, H + 1)
    gram = inputs.T @ inputs + ridge * torch.eye(inputs.shape[1], dtype=torch.float64)  # (H + 1, H + 1)
    # X^T Y without building Y: add each example's features to its class's column. Only the
    # classes that occur are solved for: a class without an example has a zero column in X^T Y,
    # so its column of W is zero, and most of a vocabulary is absent at any one position.
    seen, example_class = torch.unique(labels, return_inverse=True)  # (C_seen,) sorted, (N,)
    targets = torch.zeros(len(seen), inputs.shape[1], dtype=torch.float64).index_add_(
        0, example_class, inputs)  # (C_seen, H + 1)
    weights = torch.zeros(inputs.shape[1], num_classes)  # (H + 1, C)
    weights[:, seen] = torch.linalg.solve(gram, targets.T).float()
    return weights


def probe_predict(weights: Tensor, features: Tensor) -> Tensor:
    """The class with the largest score for each row of ``features`` (N, H) → (N,)."""
    inputs = torch.cat((features, features.new_ones(len(features), 1)), dim=1)  # (N, H + 1)
    return (inputs @ weights).argmax(dim=1)


@dataclass
class ProbeResult:
    """Accuracy of a linear probe that names the word at position ``j``, by sentence length.

    Every dictionary maps a sentence length (in words) to one value per position ``j``.

    Attributes:
        from_context: accuracy of the probe that reads the fixed context ``c``.
        from_annotation: accuracy of the probe that reads the annotation ``h_j`` of the same encoder.
        chance: accuracy of always naming the training set's most frequent word at ``j``.
        num_train, num_test: distinct English sentences of each length used to fit and to score.
    """

    from_context: dict[int, list[float]]
    from_annotation: dict[int, list[float]]
    chance: dict[int, list[float]]
    num_train: dict[int, int]
    num_test: dict[int, int]


def _distinct_sources(pairs: Sequence[Pair], length: int, limit: int | None) -> list[list[str]]:
    sources = list(dict.fromkeys(tuple(src) for src, _ in pairs if len(src) == length))
    return [list(src) for src in sources[:limit]]


def _encode_all(translator, sources: list[list[str]], batch_size: int = 512) -> tuple[Tensor, Tensor, Tensor]:
    """Token ids (N, S - 1), contexts (N, H) and annotations (N, S, H) of same-length sentences."""
    ids, contexts, annotations = [], [], []
    for start in range(0, len(sources), batch_size):
        src, src_valid_len = encode_sources(sources[start : start + batch_size], translator.src_vocab)
        context, enc_outputs = fixed_context(translator.model, src, src_valid_len)
        ids.append(src[:, :-1])  # the words, without <eos>
        contexts.append(context)
        annotations.append(enc_outputs)
    return torch.cat(ids), torch.cat(contexts), torch.cat(annotations)


def position_probe(
    translator,
    train_pairs: Sequence[Pair],
    test_pairs: Sequence[Pair],
    lengths: Sequence[int] = (4, 6, 8, 10),
    max_train: int | None = None,
    ridge: float = 1.0,
) -> ProbeResult:
    """Fit one probe per (sentence length, position) and score it on held-out sentences.

    For every length in ``lengths``, the distinct English sentences of exactly that many words
    are taken from ``train_pairs`` (at most ``max_train``) to fit, and from ``test_pairs`` to
    score. Sentences of one length need no padding, so position ``j`` means the same thing in
    every example. The classes are the English vocabulary's ids; a held-out word the probe never
    saw at that position counts as a miss.

    Args:
        translator: a :class:`~bahdanau.pretrained.Translator` (its encoder is probed).
        train_pairs, test_pairs: ``(english, french)`` token pairs, e.g. a corpus's train split
            and :func:`bahdanau.data.held_out_pairs`.

    Raises:
        ValueError: a length has no training or no test sentence.
    """
    result = ProbeResult({}, {}, {}, {}, {})
    num_classes = len(translator.src_vocab)
    for length in lengths:
        train_sources = _distinct_sources(train_pairs, length, max_train)
        test_sources = _distinct_sources(test_pairs, length, None)
        if not train_sources or not test_sources:
            raise ValueError(f"no {'training' if not train_sources else 'test'} sentence of {length} words")
        train_ids, train_context, train_annotations = _encode_all(translator, train_sources)
        test_ids, test_context, test_annotations = _encode_all(translator, test_sources)
        from_context, from_annotation, chance = [], [], []
        for j in range(length):
            labels = train_ids[:, j]  # (N,)
            context_probe = fit_linear_probe(train_context, labels, num_classes, ridge)
            annotation_probe = fit_linear_probe(train_annotations[:, j], labels, num_classes, ridge)
            truth = test_ids[:, j]
            from_context.append(float((probe_predict(context_probe, test_context) == truth).float().mean()))
            from_annotation.append(
                float((probe_predict(annotation_probe, test_annotations[:, j]) == truth).float().mean())
            )
            most_frequent = Counter(labels.tolist()).most_common(1)[0][0]
            chance.append(float((truth == most_frequent).float().mean()))
        result.from_context[length] = from_context
        result.from_annotation[length] = from_annotation
        result.chance[length] = chance
        result.num_train[length] = len(train_sources)
        result.num_test[length] = len(test_sources)
    return result
