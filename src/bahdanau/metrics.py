"""BLEU: how many of a translation's n-grams also appear in a reference translation.

Two versions live here, for two different jobs:

- :func:`bleu` is the per-sentence BLEU of the d2l book, written out so that a learner can
  read every step. It is equal to ``d2l.bleu`` on the inputs d2l is meant for (tokens joined
  by single spaces) and is the one to use when talking about *one* translation.
- :func:`corpus_bleu` is the number to report for a model. It calls sacreBLEU, the standard
  implementation, sums n-gram counts over the whole test set before dividing (so short
  sentences do not dominate), and scores every sentence against *all* of its accepted
  translations. Its settings are summarised in :data:`BLEU_SIGNATURE_NOTE`; sacreBLEU's
  own signature of a score is :func:`bleu_signature`. A special token of
  :mod:`bahdanau.data` in a hypothesis (``<unk>`` above all) counts as one word that
  matches nothing (:data:`SPECIAL_TOKENS_NOTE`).

:func:`bleu_by_length` splits a test set by source length and computes corpus BLEU in each
part, to show where a model without attention breaks down (long sentences);
:func:`bleu_by_length_of_statistics` does it from sentence statistics already counted.

:func:`paired_bootstrap` says how sure one can be that one system beats another on a test
set: sacreBLEU's paired bootstrap resampling, with 95% intervals for each system's BLEU and
for their difference; :func:`paired_bootstrap_by_length` does it per length bucket and
:func:`interval_excludes_zero` reads a difference's interval. :func:`bootstrap_interval` and
:func:`bootstrap_by_length` give one system's interval alone, from the same draws.
All of them count each sentence's n-gram matches and lengths once
(:func:`sentence_statistics`) and score every resample from the sums of its sentences' counts
(:func:`bleu_of_statistics`), which gives exactly :func:`corpus_bleu` of the resample.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from sacrebleu.metrics import BLEU
from sacrebleu.significance import estimate_ci

from .data import SPECIALS

__all__ = [
    "BLEU_SIGNATURE_NOTE",
    "SPECIAL_TOKENS_NOTE",
    "SPECIAL_TOKEN_PLACEHOLDER",
    "BOOTSTRAP_SAMPLES",
    "BOOTSTRAP_SEED",
    "BOOTSTRAP_NOTE",
    "DEFAULT_LENGTH_BUCKETS",
    "bleu",
    "corpus_bleu",
    "corpus_bleu_with_signature",
    "bleu_signature",
    "bleu_by_length",
    "bleu_by_length_of_statistics",
    "paired_bootstrap",
    "paired_bootstrap_by_length",
    "interval_excludes_zero",
    "bleu_by_length_with_intervals",
    "bootstrap_interval",
    "bootstrap_by_length",
    "sentence_statistics",
    "bleu_of_statistics",
]

# Write this next to every corpus BLEU score: BLEU numbers computed with different
# tokenisations or numbers of references are not comparable.
BLEU_SIGNATURE_NOTE = (
    "sacreBLEU corpus BLEU (0-100), 13a tokenisation, lower-cased input, "
    "all reference translations of each sentence"
)

# Write this next to it too: what happens to <unk> and the other special tokens.
SPECIAL_TOKENS_NOTE = (
    "special tokens (<pad>, <bos>, <eos>, <unk>) in a translation count as one "
    "word each that matches no reference"
)

# What a special token of a hypothesis becomes before sacreBLEU sees it: one lower-case
# word, which 13a keeps whole. If a reference contains it, a digit is added until none does.
SPECIAL_TOKEN_PLACEHOLDER = "xxspecialxx"

# sacreBLEU's defaults for paired bootstrap resampling (``sacrebleu --paired-bs``: 1,000
# resamples, seed 12345 unless SACREBLEU_SEED says otherwise), spelled out and recorded.
BOOTSTRAP_SAMPLES = 1000
BOOTSTRAP_SEED = 12345
BOOTSTRAP_NOTE = (
    "paired bootstrap resampling as sacreBLEU's paired_bs: the same resampled sentences "
    "for both systems; 95% intervals are the 2.5th and 97.5th percentiles of the "
    "resampled BLEU; sacreBLEU prints mean +- ci, the resampled mean +- half that "
    "interval's width; p-value as sacreBLEU computes it (at least 1 / (samples + 1))"
)

# sacreBLEU's own default tokeniser, spelled out so that a change of sacreBLEU's
# default could never silently change our numbers.
_TOKENIZER = "13a"

# Inclusive (shortest, longest) source lengths in tokens, <eos> not counted.
DEFAULT_LENGTH_BUCKETS: tuple[tuple[int, int], ...] = (
    (1, 4),
    (5, 6),
    (7, 8),
    (9, 10),
    (11, 15),
    (16, 100),
)


def _ngram_counts(tokens: list[str], n: int) -> Counter[tuple[str, ...]]:
    """How often each n-gram (a tuple of n consecutive tokens) occurs in ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu(pred_seq: str, label_seq: str, k: int = 4) -> float:
    """Per-sentence BLEU of one predicted translation against one reference (d2l's definition).

    Both arguments are token strings, tokens separated by spaces, e.g. ``"je suis chez moi ."``.
    With ``len_pred`` and ``len_label`` the numbers of tokens::

        BLEU = exp(min(0, 1 - len_label / len_pred)) * prod_{n=1}^{min(k, len_pred)} p_n ** (1/2)**n

    - The first factor is the *brevity penalty*: a prediction shorter than the reference
      is penalised (a one-word prediction could otherwise have perfect precision); a longer
      one is not, because its extra words already lower the precisions.
    - ``p_n`` is the *clipped n-gram precision*: the fraction of the prediction's n-grams
      that also occur in the reference, where an n-gram that occurs ``c`` times in the
      reference can be matched at most ``c`` times (so "the the the" does not get full
      credit against "the cat").
    - The exponent ``(1/2)**n`` makes a long n-gram match count for more: ``p_n <= 1`` and
      a smaller exponent pulls ``p_n`` towards 1, so a miss on 4-grams costs less than a
      miss on single words, and matching 4-grams is rewarded.

    A perfect match scores 1.0; a prediction with no word of the reference scores 0.0.

    Edge cases, which d2l does not single out:

    - An empty prediction (``""`` or only whitespace) scores 0.0: nothing was translated.
      (``d2l.bleu`` reads ``""`` as one empty token, so it scores ``("", "")`` as 1.0.)
    - An empty reference scores 0.0: no n-gram of the prediction can be matched.
    - Tokens are separated by runs of whitespace (``str.split()``), so a double space does
      not create an empty token; ``d2l.bleu`` splits on single spaces and would count one.
      On tokens joined by single spaces the two functions are equal to the last bit.

    Args:
        pred_seq: the predicted translation, space-separated tokens.
        label_seq: the reference translation, space-separated tokens.
        k: the longest n-gram considered (d2l uses 2 for its examples; 4 is usual).

    Returns:
        The BLEU score, a float in [0, 1].
    """
    pred_tokens, label_tokens = pred_seq.split(), label_seq.split()
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    if len_pred == 0 or len_label == 0:
        return 0.0

    score = math.exp(min(0.0, 1 - len_label / len_pred))  # the brevity penalty
    # A prediction of 2 tokens has no 3-gram: n stops at the prediction's length.
    for n in range(1, min(k, len_pred) + 1):
        pred_ngrams = _ngram_counts(pred_tokens, n)
        label_ngrams = _ngram_counts(label_tokens, n)
        # Counter's & keeps min(count in prediction, count in reference): the clipping.
        num_matches = sum((pred_ngrams & label_ngrams).values())
        precision = num_matches / (len_pred - n + 1)  # p_n
        score *= math.pow(precision, math.pow(0.5, n))
    return score


def _reference_streams(references: Sequence[Sequence[str]]) -> list[list[str | None]]:
    """Turn one list of references per sentence into sacreBLEU's reference streams.

    sacreBLEU wants ``streams[j][i]`` = the j-th reference of sentence i, every stream as
    long as the hypotheses. A sentence with fewer references than the most gets ``None``
    in the streams it has no reference for: sacreBLEU drops ``None`` before scoring. An
    empty string would *not* be dropped; it would count as a reference of length 0 and,
    when it is the closest in length to the hypothesis, distort the brevity penalty.
    """
    most_references = max(len(refs) for refs in references)
    return [
        [refs[j] if j < len(refs) else None for refs in references]
        for j in range(most_references)
    ]


def _checked_references(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> list[list[str]]:
    """The references of each sentence with blank ones dropped, after checking the arguments.

    Raises the errors :func:`corpus_bleu` documents.
    """
    if len(hypotheses) == 0:
        raise ValueError("corpus_bleu needs at least one hypothesis; got an empty list.")
    if len(hypotheses) != len(references):
        raise ValueError(
            f"corpus_bleu got {len(hypotheses)} hypotheses but {len(references)} reference "
            "lists; references[i] must list the references of hypotheses[i]."
        )
    kept_references: list[list[str]] = []
    for i, refs in enumerate(references):
        # A bare string would be read as a list of one-character "references".
        if isinstance(refs, str):
            raise TypeError(
                f"references[{i}] is a string; it must be a list of reference strings, "
                f"e.g. [{refs!r}]."
            )
        if not all(isinstance(ref, str) for ref in refs):
            raise TypeError(
                f"references[{i}] must hold strings; join a token list with ' '.join(tokens)."
            )
        non_blank = [ref for ref in refs if ref.strip()]
        if not non_blank:
            raise ValueError(f"sentence {i} has no (non-blank) reference translation.")
        kept_references.append(non_blank)
    return kept_references


def _never_matching_word(references: Sequence[Sequence[str]]) -> str:
    """:data:`SPECIAL_TOKEN_PLACEHOLDER`, with a number added if a reference contains it."""
    texts = [ref.lower() for refs in references for ref in refs]
    word, number = SPECIAL_TOKEN_PLACEHOLDER, 0
    # Not even a substring: 13a could otherwise cut it out of a longer reference word.
    while any(word in text for text in texts):
        number += 1
        word = f"{SPECIAL_TOKEN_PLACEHOLDER}{number}"
    return word


def _special_tokens_as_misses(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> list[str]:
    """The hypotheses with every special token replaced by one word no reference contains."""
    word = _never_matching_word(references)
    specials = set(SPECIALS)
    rewritten = []
    for hypothesis in hypotheses:
        tokens = hypothesis.split()
        if any(token.lower() in specials for token in tokens):
            hypothesis = " ".join(word if token.lower() in specials else token for token in tokens)
        rewritten.append(hypothesis)  # untouched when it holds no special token
    return rewritten


def _scorer(reference_streams: list[list[str | None]] | None = None) -> BLEU:
    """A sacreBLEU BLEU scorer with our settings (see :func:`corpus_bleu`)."""
    # force=True: our text is tokenized on purpose (punctuation split off, see the module
    # docstring); without it sacreBLEU prints a "forgot to detokenize" notice on stderr.
    return BLEU(tokenize=_TOKENIZER, lowercase=True, force=True, references=reference_streams)


def corpus_bleu_with_signature(
    hypotheses: list[str], references: list[list[str]]
) -> tuple[float, str]:
    """:func:`corpus_bleu` and sacreBLEU's signature of that score, e.g.
    ``"nrefs:var|case:lc|eff:no|tok:13a|smooth:exp|version:2.6.0"``.

    The signature names every setting that changes the number (``nrefs:var``: the number of
    references differs from sentence to sentence); write it beside the score.
    """
    kept_references = _checked_references(hypotheses, references)
    scorer = _scorer()
    result = scorer.corpus_score(
        _special_tokens_as_misses(hypotheses, kept_references), _reference_streams(kept_references)
    )
    return float(result.score), scorer.get_signature().format()


def bleu_signature(references: list[list[str]]) -> str:
    """sacreBLEU's signature of :func:`corpus_bleu` scores against these references.

    It depends on the references only through their number per sentence (``nrefs``).
    """
    kept_references = _checked_references([""] * len(references), references)
    return _signature_scorer(kept_references).get_signature().format()


def _signature_scorer(kept_references: list[list[str]]) -> BLEU:
    """A scorer that knows the references' numbers per sentence, all its signature needs.

    sacreBLEU learns ``nrefs`` by reading the references. The signature depends only on
    which numbers of references occur, so one stand-in sentence of empty references
    (which sacreBLEU counts, see :func:`_reference_streams`) per number tells it the same,
    without tokenising every reference again.
    """
    numbers = sorted({len(refs) for refs in kept_references})
    return _scorer(_reference_streams([[""] * number for number in numbers]))


def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    """Corpus BLEU of a test set, computed by sacreBLEU against all reference translations.

    The n-gram matches and lengths of all sentences are added up first and BLEU is computed
    once from the totals (unlike averaging :func:`bleu` over sentences)::

        BLEU = BP * exp(sum_{n=1}^{4} 1/4 * log p_n),   BP = min(1, exp(1 - r / c))

    where ``p_n`` are the corpus-wide clipped n-gram precisions, ``c`` is the total length
    of the hypotheses and ``r`` the total length of the references, taking for each sentence
    the reference closest in length to its hypothesis. With several references an n-gram is
    matched if *any* reference contains it (clipped by its largest count in one reference).

    Settings (see :data:`BLEU_SIGNATURE_NOTE`, and :func:`corpus_bleu_with_signature` for
    sacreBLEU's signature): sacreBLEU's ``13a`` tokenisation (the default of sacreBLEU and
    of WMT's ``mteval-v13a.pl``), which separates punctuation from words; lower-casing, so
    case never counts as an error; sacreBLEU's other defaults (4-grams, exponential
    smoothing of n-gram orders with no match).
    Our token strings (lower-cased, punctuation already split, e.g. ``"je suis chez moi ."``)
    pass through the tokeniser essentially unchanged, with one exception handled here.

    Special tokens (:data:`SPECIAL_TOKENS_NOTE`). 13a splits ``<`` and ``>`` off a word, so
    sacreBLEU would read a model's ``<unk>`` as the three tokens ``< unk >``: three
    "words" instead of one, and ``<`` or ``>`` can then match a reference's own (``je <unk>
    .`` against ``je suis .`` would score 12.7 where ``je xyz .`` scores 0). Each special
    token of :mod:`bahdanau.data` (``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``) in a
    hypothesis is therefore replaced by one word that occurs in no reference
    (:data:`SPECIAL_TOKEN_PLACEHOLDER`, made longer if a reference contains it): it counts
    once in the hypothesis's length and never matches, exactly like any wrong word.
    References are scored as given.

    Args:
        hypotheses: the model's translations, one string per sentence, N in all.
        references: ``references[i]`` lists all the accepted translations of sentence i,
            as strings; the number may differ from sentence to sentence (multi-reference
            BLEU). A list of one string per sentence gives single-reference BLEU. Blank
            strings are ignored, as if the reference were missing.

    Returns:
        BLEU on a 0–100 scale (100 = every hypothesis equals one of its references).

    Raises:
        ValueError: no hypotheses, a different number of reference lists and hypotheses,
            or a sentence without a (non-blank) reference.
        TypeError: a sentence's references given as a bare string instead of a list.
    """
    return corpus_bleu_with_signature(hypotheses, references)[0]


def _bucket_members(
    src_lengths: Sequence[int], buckets: Sequence[tuple[int, int]]
) -> list[tuple[int, int, np.ndarray]]:
    """``(min_len, max_len, indices)`` of each non-empty bucket, in order; bounds included.

    Raises ValueError for a bucket with ``min_len > max_len``.
    """
    lengths = np.asarray(src_lengths)
    found = []
    for min_len, max_len in buckets:
        if min_len > max_len:
            raise ValueError(f"bucket ({min_len}, {max_len}) has min_len > max_len.")
        members = np.flatnonzero((lengths >= min_len) & (lengths <= max_len))
        if len(members):
            found.append((min_len, max_len, members))
    return found


def bleu_by_length(
    hypotheses: list[str],
    references: list[list[str]],
    src_lengths: list[int],
    buckets: Sequence[tuple[int, int]] = DEFAULT_LENGTH_BUCKETS,
) -> list[dict]:
    """Corpus BLEU of the sentences in each source-length bucket.

    Args:
        hypotheses: the model's translations, N strings (as for :func:`corpus_bleu`).
        references: N lists of reference strings (as for :func:`corpus_bleu`).
        src_lengths: N source lengths in tokens (usually without ``<eos>``).
        buckets: ``(min_len, max_len)`` pairs, both bounds included. A sentence whose
            length falls in no bucket is left out; buckets are not required to be disjoint.

    Returns:
        One dict per non-empty bucket, in the order of ``buckets``, e.g.
        ``{"bucket": "5-6", "min_len": 5, "max_len": 6, "count": 812, "bleu": 31.4,
        "bleu_signature": "nrefs:var|..."}``, where ``count`` is the number of sentences,
        ``bleu`` their corpus BLEU (0–100) and ``bleu_signature`` sacreBLEU's signature of it.
        Buckets that hold no sentence are omitted.

    Raises:
        ValueError: the three lists differ in length, or a bucket has ``min_len > max_len``.
        ValueError, TypeError: as :func:`corpus_bleu`, for any sentence, in a bucket or not
            (each is counted once, before the buckets are formed).
    """
    if not len(hypotheses) == len(references) == len(src_lengths):
        raise ValueError(
            "bleu_by_length needs one reference list and one source length per hypothesis; "
            f"got {len(hypotheses)} hypotheses, {len(references)} reference lists and "
            f"{len(src_lengths)} source lengths."
        )
    # Each sentence is tokenised and counted once, whatever the number of buckets it is in.
    statistics = sentence_statistics(hypotheses, references)
    return bleu_by_length_of_statistics(statistics, references, src_lengths, buckets)


def bleu_by_length_of_statistics(
    statistics: np.ndarray,
    references: list[list[str]],
    src_lengths: list[int],
    buckets: Sequence[tuple[int, int]] = DEFAULT_LENGTH_BUCKETS,
) -> list[dict]:
    """:func:`bleu_by_length` from the sentences' :func:`sentence_statistics`, already counted.

    Each bucket's BLEU is :func:`bleu_of_statistics` of its sentences' rows added up: the same
    number, to the last bit, as :func:`corpus_bleu` of its sentences. Use it when the
    statistics serve other scores too (:func:`bahdanau.cli.evaluate.evaluate_model`).

    Args:
        statistics: shape (N, 10), :func:`sentence_statistics` of the N translations.
        references: their N lists of references, for each bucket's signature.
        src_lengths, buckets: as for :func:`bleu_by_length`.

    Returns:
        :func:`bleu_by_length`'s rows.

    Raises:
        ValueError: the three differ in length, or a bucket has ``min_len > max_len``.
    """
    if not len(statistics) == len(references) == len(src_lengths):
        raise ValueError(
            "bleu_by_length_of_statistics needs one reference list and one source length per row "
            f"of statistics; got {len(statistics)} rows, {len(references)} reference lists and "
            f"{len(src_lengths)} source lengths."
        )
    return [
        {
            "bucket": f"{min_len}-{max_len}",
            "min_len": min_len,
            "max_len": max_len,
            "count": len(members),
            "bleu": bleu_of_statistics(statistics[members].sum(axis=0)),
            "bleu_signature": bleu_signature([references[i] for i in members]),
        }
        for min_len, max_len, members in _bucket_members(src_lengths, buckets)
    ]


# ----------------------------------------------------------------------------------------------
# Paired bootstrap resampling: how sure can one be that system A beats system B?
# ----------------------------------------------------------------------------------------------


def _sentence_statistics(scorer: BLEU, hypotheses: Sequence[str], kept_references: list[list[str]]) -> np.ndarray:
    """sacreBLEU's sufficient statistics of each sentence, shape (N, 2 + 2 * 4).

    Per sentence: the hypothesis length, the length of the reference closest to it, the
    clipped n-gram matches for n = 1..4 and the hypothesis's n-gram counts for n = 1..4
    (sacreBLEU's layout). Corpus BLEU of any set of sentences follows from their sum.
    ``kept_references`` are :func:`_checked_references`'s; special tokens in the hypotheses
    are scored as :func:`corpus_bleu` scores them.
    """
    rows = []
    for hypothesis, refs in zip(_special_tokens_as_misses(hypotheses, kept_references), kept_references, strict=True):
        result = scorer.corpus_score([hypothesis], [[ref] for ref in refs])
        rows.append([result.sys_len, result.ref_len, *result.counts, *result.totals])
    return np.array(rows, dtype=np.int64)


def sentence_statistics(hypotheses: list[str], references: list[list[str]]) -> np.ndarray:
    """Each sentence's BLEU counts, from which :func:`corpus_bleu` of any resample follows.

    Corpus BLEU adds up n-gram matches and lengths over the sentences before dividing, so
    the corpus BLEU of any choice of sentences (a subset, or a bootstrap resample with
    repeats) is a function of the sums of their counts. Count each sentence once here; then
    ``bleu_of_statistics(stats[draw].sum(axis=0))`` equals
    ``corpus_bleu([hypotheses[i] for i in draw], [references[i] for i in draw])`` for any
    array of indices ``draw``, without tokenising anything again.

    Args:
        hypotheses: N translations, as for :func:`corpus_bleu` (special tokens count as
            one word that matches nothing).
        references: N lists of reference strings, as for :func:`corpus_bleu` (all of
            them, blank ones ignored; each sentence takes the reference closest in length).

    Returns:
        An int64 array of shape (N, 10), one row per sentence, in sacreBLEU's layout:
        column 0 the hypothesis's length in tokens, 1 the length of its closest reference,
        2-5 its clipped n-gram matches for n = 1..4, 6-9 its numbers of n-grams for n = 1..4.

    Raises:
        ValueError, TypeError: as :func:`corpus_bleu`.
    """
    return _sentence_statistics(_scorer(), hypotheses, _checked_references(hypotheses, references))


def _bleu_of_statistics(scorer: BLEU, totals: np.ndarray) -> float:
    """Corpus BLEU from summed sentence statistics, with the scorer's settings."""
    order = scorer.max_ngram_order
    return BLEU.compute_bleu(
        correct=[int(x) for x in totals[2 : 2 + order]], total=[int(x) for x in totals[2 + order :]],
        sys_len=int(totals[0]), ref_len=int(totals[1]), smooth_method=scorer.smooth_method,
        smooth_value=scorer.smooth_value, effective_order=scorer.effective_order, max_ngram_order=order,
    ).score


def bleu_of_statistics(totals: np.ndarray) -> float:
    """Corpus BLEU (0-100) of a set of sentences from the sum of their :func:`sentence_statistics` rows.

    Args:
        totals: shape (10,), the rows of the chosen sentences added up, e.g.
            ``stats[draw].sum(axis=0)``; a sentence drawn twice is added twice.

    Returns:
        The :func:`corpus_bleu` of those sentences: same tokenisation, references,
        brevity penalty and smoothing, and the same number to the last bit.

    Raises:
        ValueError: ``totals`` is not one row of 10 numbers (sum the rows first).
    """
    totals = np.asarray(totals)
    scorer = _scorer()
    width = 2 + 2 * scorer.max_ngram_order
    if totals.shape != (width,):
        raise ValueError(
            f"bleu_of_statistics needs one row of summed sentence statistics, shape ({width},); got "
            f"shape {totals.shape}: add the rows up first, e.g. stats[draw].sum(axis=0)."
        )
    return _bleu_of_statistics(scorer, totals)


def _interval(resampled: np.ndarray) -> dict[str, float]:
    """The resampled mean, sacreBLEU's ``ci`` and the 95% percentile bounds ``low``, ``high``."""
    ordered = np.sort(resampled)
    cut = len(ordered) // 40  # sacreBLEU's estimate_ci: 2.5% of the resamples off each end
    mean, half_width = estimate_ci(resampled)
    return {"mean": float(mean), "ci": float(half_width),
            "low": float(ordered[cut]), "high": float(ordered[len(ordered) - cut - 1])}


def _bootstrap_draws(num_sentences: int, *, n_samples: int, seed: int) -> np.ndarray:
    """The resampled test sets, shape (n_samples, N): row i draws N sentence indices with replacement.

    The same draws as sacreBLEU's paired_bs (numpy's ``default_rng(seed)``), so one seed and one
    N give the same resamples to :func:`paired_bootstrap` and :func:`bootstrap_interval`.
    """
    if n_samples < 1:
        raise ValueError(f"the bootstrap needs at least one resample; got n_samples={n_samples}.")
    rng = np.random.default_rng(seed)
    return rng.choice(num_sentences, size=(n_samples, num_sentences), replace=True)


def _resampled_bleu(scorer: BLEU, stats: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Corpus BLEU of each resampled test set, shape (n_samples,)."""
    return np.array([_bleu_of_statistics(scorer, stats[indices].sum(axis=0)) for indices in draws])


def _bootstrap_of_statistics(stats: np.ndarray, scorer: BLEU, *, n_samples: int, seed: int) -> dict[str, Any]:
    """:func:`bootstrap_interval` from one system's sentence statistics."""
    draws = _bootstrap_draws(len(stats), n_samples=n_samples, seed=seed)
    return {"count": len(stats), "bleu": _bleu_of_statistics(scorer, stats.sum(axis=0)),
            **_interval(_resampled_bleu(scorer, stats, draws))}


def _paired_bootstrap_of_statistics(
    system_stats: np.ndarray, baseline_stats: np.ndarray, scorer: BLEU, *, n_samples: int, seed: int
) -> dict[str, Any]:
    """:func:`paired_bootstrap` from the two systems' sentence statistics."""
    # Both systems are scored on the same draws, which is what makes the test paired.
    draws = _bootstrap_draws(len(system_stats), n_samples=n_samples, seed=seed)
    system_bleu = _bleu_of_statistics(scorer, system_stats.sum(axis=0))
    baseline_bleu = _bleu_of_statistics(scorer, baseline_stats.sum(axis=0))
    resampled_system = _resampled_bleu(scorer, system_stats, draws)
    resampled_baseline = _resampled_bleu(scorer, baseline_stats, draws)
    differences = resampled_system - resampled_baseline
    # sacreBLEU's p-value: how often a resampled |difference|, shifted to mean 0 (the null
    # hypothesis of no difference), is larger than the observed one; +1 on both sides.
    shifted = np.abs(differences) - np.abs(differences).mean()
    observed = abs(system_bleu - baseline_bleu)
    p_value = (int(np.sum(shifted > observed)) + 1) / (n_samples + 1)
    return {
        "count": len(system_stats),
        "system": {"bleu": system_bleu, **_interval(resampled_system)},
        "baseline": {"bleu": baseline_bleu, **_interval(resampled_baseline)},
        "difference": {"bleu": system_bleu - baseline_bleu, **_interval(differences)},
        "p_value": p_value,
    }


def _bootstrap_signature(kept_references: list[list[str]], n_samples: int, seed: int) -> str:
    """sacreBLEU's signature of a paired bootstrap: the BLEU settings plus ``bs`` and ``rs``."""
    signature = _signature_scorer(kept_references).get_signature()
    signature.update("bs", n_samples)
    signature.update("seed", str(seed))
    return signature.format()


def _prepared_pair(
    system: Sequence[str], baseline: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[BLEU, np.ndarray, np.ndarray, list[list[str]]]:
    """Check the arguments; the scorer, both systems' sentence statistics, the kept references."""
    if len(system) != len(baseline):
        raise ValueError(
            f"paired_bootstrap needs one baseline translation per system translation; got "
            f"{len(system)} and {len(baseline)}."
        )
    kept_references = _checked_references(system, references)
    scorer = _scorer()
    system_stats, baseline_stats = (
        _sentence_statistics(scorer, hypotheses, kept_references) for hypotheses in (system, baseline)
    )
    return scorer, system_stats, baseline_stats, kept_references


def paired_bootstrap(
    system: list[str],
    baseline: list[str],
    references: list[list[str]],
    *,
    n_samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """Paired bootstrap resampling of two systems' corpus BLEU on the same test set.

    The test set is one sample of the sentences the systems could be asked to translate;
    another sample would give other scores. Resampling estimates by how much: draw N
    sentences with replacement from the N test sentences, score *both* systems on that
    draw with :func:`corpus_bleu`, and repeat ``n_samples`` times. The spread of a system's
    resampled BLEU gives its 95% interval; the spread of the resampled differences
    ``BLEU(system) - BLEU(baseline)`` gives the difference's, and because both systems see
    the same sentences, sentences that are hard for both do not widen it. This is
    sacreBLEU's paired bootstrap (``sacrebleu --paired-bs``, after Koehn 2004): the same
    draws (numpy's ``default_rng(seed)``), the same per-system ``mean`` and ``ci``, the same
    p-value; it adds the difference's interval, which sacreBLEU does not report.

    Args:
        system: the translations of the system under test, N strings.
        baseline: the baseline's translations of the same N sentences.
        references: N lists of reference strings (as for :func:`corpus_bleu`; special tokens
            in the translations are scored as :func:`corpus_bleu` scores them).
        n_samples: number of resamples (sacreBLEU's default, 1000).
        seed: the random generator's seed (sacreBLEU's default, 12345: ``SACREBLEU_SEED``
            is not read, so the result depends on the arguments only).

    Returns:
        ``{"count": N, "system": S, "baseline": S, "difference": D, "p_value": p,
        "n_samples": ..., "seed": ..., "bleu_signature": ...}``, where each ``S`` holds
        ``bleu`` (the corpus BLEU of the whole test set), ``mean`` and ``ci`` (the resampled
        mean and half the width of the interval, sacreBLEU's ``mean ± ci``) and ``low``,
        ``high`` (the 95% percentile interval: the 2.5th and 97.5th percentiles of the
        resampled BLEU); ``D`` holds the same for ``system - baseline`` (its ``bleu`` is the
        observed difference). ``p`` is sacreBLEU's p-value, never below
        ``1 / (n_samples + 1)``; for two identical systems it is that minimum too (the
        difference and its interval are then exactly 0), so read the interval first
        (:func:`interval_excludes_zero`).

    Raises:
        ValueError, TypeError: as :func:`corpus_bleu`, or ``system`` and ``baseline`` differ
            in length.
    """
    scorer, system_stats, baseline_stats, kept_references = _prepared_pair(system, baseline, references)
    result = _paired_bootstrap_of_statistics(system_stats, baseline_stats, scorer, n_samples=n_samples, seed=seed)
    return {**result, "n_samples": n_samples, "seed": seed,
            "bleu_signature": _bootstrap_signature(kept_references, n_samples, seed)}


def paired_bootstrap_by_length(
    system: list[str],
    baseline: list[str],
    references: list[list[str]],
    src_lengths: list[int],
    buckets: Sequence[tuple[int, int]] = DEFAULT_LENGTH_BUCKETS,
    *,
    n_samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> list[dict[str, Any]]:
    """:func:`paired_bootstrap` within each source-length bucket, as :func:`bleu_by_length`.

    Each bucket is resampled on its own (its N is its number of sentences, so a small
    bucket gets the wide intervals it deserves), with the same seed.

    Returns:
        One dict per non-empty bucket: ``bucket``, ``min_len``, ``max_len``, then the keys
        of :func:`paired_bootstrap` (``count`` is the bucket's number of sentences).
    """
    if not len(system) == len(references) == len(src_lengths):
        raise ValueError(
            "paired_bootstrap_by_length needs one reference list and one source length per "
            f"translation; got {len(system)} translations, {len(references)} reference lists and "
            f"{len(src_lengths)} source lengths."
        )
    scorer, system_stats, baseline_stats, kept_references = _prepared_pair(system, baseline, references)
    rows = []
    for min_len, max_len, members in _bucket_members(src_lengths, buckets):
        result = _paired_bootstrap_of_statistics(
            system_stats[members], baseline_stats[members], scorer, n_samples=n_samples, seed=seed
        )
        signature = _bootstrap_signature([kept_references[i] for i in members], n_samples, seed)
        rows.append({"bucket": f"{min_len}-{max_len}", "min_len": min_len, "max_len": max_len, **result,
                     "n_samples": n_samples, "seed": seed, "bleu_signature": signature})
    return rows


def interval_excludes_zero(interval: Mapping[str, float] | tuple[float, float]) -> bool:
    """Whether a 95% interval lies wholly above or wholly below 0.

    ``interval`` is a ``difference`` of :func:`paired_bootstrap` (its ``low`` and ``high``
    are read) or a ``(low, high)`` pair. True: at that confidence, the data tell which system
    is better (the sign of the difference). False: they cannot tell; a gap may still exist.
    """
    low, high = (interval["low"], interval["high"]) if isinstance(interval, Mapping) else interval
    return low > 0 or high < 0


def bleu_by_length_with_intervals(
    rows: Sequence[Mapping[str, Any]], *, system: str = "system", baseline: str = "baseline"
) -> dict[str, list[dict[str, Any]]]:
    """:func:`paired_bootstrap_by_length` rows as :func:`bahdanau.chapters.plotting.plot_bleu_by_length` input.

    Returns ``{system: rows, baseline: rows}``, each row a :func:`bleu_by_length` row
    (``bucket``, ``min_len``, ``max_len``, ``count``, ``bleu``) plus ``bleu_low`` and
    ``bleu_high``, the system's 95% interval, which the plot draws as error bars.
    """
    return {
        label: [
            {"bucket": row["bucket"], "min_len": row["min_len"], "max_len": row["max_len"],
             "count": row["count"], "bleu": row[key]["bleu"], "bleu_low": row[key]["low"],
             "bleu_high": row[key]["high"]}
            for row in rows
        ]
        for label, key in ((system, "system"), (baseline, "baseline"))
    }


# ----------------------------------------------------------------------------------------------
# One system's bootstrap interval: how much would its BLEU move on another test sample?
# ----------------------------------------------------------------------------------------------


def _prepared_system(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[BLEU, np.ndarray, list[list[str]]]:
    """Check the arguments; the scorer, the sentence statistics and the kept references."""
    kept_references = _checked_references(hypotheses, references)
    scorer = _scorer()
    stats = _sentence_statistics(scorer, hypotheses, kept_references)
    return scorer, stats, kept_references


def bootstrap_interval(
    hypotheses: list[str],
    references: list[list[str]],
    *,
    n_samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> dict[str, Any]:
    """One system's corpus BLEU with its 95% bootstrap interval.

    :func:`paired_bootstrap` without a baseline: draw N sentences with replacement from the N
    test sentences, score the draw with :func:`corpus_bleu`, repeat ``n_samples`` times; the
    2.5th and 97.5th percentiles of the resampled BLEU bound the interval. The draws are
    :func:`paired_bootstrap`'s for the same N and seed, so this interval equals the ``system``
    (or ``baseline``) interval a paired bootstrap of these translations reports.

    Args:
        hypotheses: the system's translations, N strings.
        references: N lists of reference strings (as for :func:`corpus_bleu`).
        n_samples: number of resamples (at least 1; sacreBLEU's default, 1000).
        seed: the random generator's seed (sacreBLEU's default, 12345).

    Returns:
        ``{"count": N, "bleu": ..., "mean": ..., "ci": ..., "low": ..., "high": ...,
        "n_samples": ..., "seed": ..., "bleu_signature": ...}``: ``bleu`` is the corpus BLEU of
        the whole test set, the rest as a side of :func:`paired_bootstrap`.

    Raises:
        ValueError, TypeError: as :func:`corpus_bleu`, or ``n_samples < 1``.
    """
    scorer, stats, kept_references = _prepared_system(hypotheses, references)
    result = _bootstrap_of_statistics(stats, scorer, n_samples=n_samples, seed=seed)
    return {**result, "n_samples": n_samples, "seed": seed,
            "bleu_signature": _bootstrap_signature(kept_references, n_samples, seed)}


def bootstrap_by_length(
    hypotheses: list[str],
    references: list[list[str]],
    src_lengths: list[int],
    buckets: Sequence[tuple[int, int]] = DEFAULT_LENGTH_BUCKETS,
    *,
    n_samples: int = BOOTSTRAP_SAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> list[dict[str, Any]]:
    """:func:`bootstrap_interval` within each source-length bucket, as :func:`bleu_by_length`.

    Each bucket is resampled on its own with the same seed, exactly as
    :func:`paired_bootstrap_by_length` resamples it.

    Returns:
        One dict per non-empty bucket: ``bucket``, ``min_len``, ``max_len``, then the keys of
        :func:`bootstrap_interval` (``count`` is the bucket's number of sentences).

    Raises:
        ValueError: as :func:`bleu_by_length` and :func:`bootstrap_interval`.
    """
    if not len(hypotheses) == len(references) == len(src_lengths):
        raise ValueError(
            "bootstrap_by_length needs one reference list and one source length per hypothesis; "
            f"got {len(hypotheses)} hypotheses, {len(references)} reference lists and "
            f"{len(src_lengths)} source lengths."
        )
    scorer, stats, kept_references = _prepared_system(hypotheses, references)
    rows = []
    for min_len, max_len, members in _bucket_members(src_lengths, buckets):
        result = _bootstrap_of_statistics(stats[members], scorer, n_samples=n_samples, seed=seed)
        signature = _bootstrap_signature([kept_references[i] for i in members], n_samples, seed)
        rows.append({"bucket": f"{min_len}-{max_len}", "min_len": min_len, "max_len": max_len, **result,
                     "n_samples": n_samples, "seed": seed, "bleu_signature": signature})
    return rows
