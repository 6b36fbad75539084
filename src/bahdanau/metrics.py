"""BLEU: how many of a translation's n-grams also appear in a reference translation.

Two versions live here, for two different jobs:

- :func:`bleu` is the per-sentence BLEU of the d2l book, written out so that a learner can
  read every step. It is equal to ``d2l.bleu`` on the inputs d2l is meant for (tokens joined
  by single spaces) and is the one to use when talking about *one* translation.
- :func:`corpus_bleu` is the number to report for a model. It calls sacreBLEU, the standard
  implementation, sums n-gram counts over the whole test set before dividing (so short
  sentences do not dominate), and scores every sentence against *all* of its accepted
  translations. Its settings are summarised in :data:`BLEU_SIGNATURE_NOTE`.

:func:`bleu_by_length` splits a test set by source length and computes corpus BLEU in each
part, to show where a model without attention breaks down (long sentences).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from sacrebleu.metrics import BLEU

__all__ = [
    "BLEU_SIGNATURE_NOTE",
    "DEFAULT_LENGTH_BUCKETS",
    "bleu",
    "corpus_bleu",
    "bleu_by_length",
]

# Write this next to every corpus BLEU score: BLEU numbers computed with different
# tokenisations or numbers of references are not comparable.
BLEU_SIGNATURE_NOTE = (
    "sacreBLEU corpus BLEU (0-100), 13a tokenisation, lower-cased input, "
    "all reference translations of each sentence"
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


def corpus_bleu(hypotheses: list[str], references: list[list[str]]) -> float:
    """Corpus BLEU of a test set, computed by sacreBLEU against all reference translations.

    The n-gram matches and lengths of all sentences are added up first and BLEU is computed
    once from the totals (unlike averaging :func:`bleu` over sentences)::

        BLEU = BP * exp(sum_{n=1}^{4} 1/4 * log p_n),   BP = min(1, exp(1 - r / c))

    where ``p_n`` are the corpus-wide clipped n-gram precisions, ``c`` is the total length
    of the hypotheses and ``r`` the total length of the references, taking for each sentence
    the reference closest in length to its hypothesis. With several references an n-gram is
    matched if *any* reference contains it (clipped by its largest count in one reference).

    Settings (see :data:`BLEU_SIGNATURE_NOTE`): sacreBLEU's ``13a`` tokenisation (the
    default of sacreBLEU and of WMT's ``mteval-v13a.pl``), which separates punctuation from
    words; lower-casing, so case never counts as an error; sacreBLEU's other defaults
    (4-grams, exponential smoothing of n-gram orders with no match).
    Our token strings (lower-cased, punctuation already split, e.g. ``"je suis chez moi ."``)
    pass through the tokeniser essentially unchanged.

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

    # force=True: our text is tokenized on purpose (punctuation split off, see the module
    # docstring); without it sacreBLEU prints a "forgot to detokenize" notice on stderr.
    scorer = BLEU(tokenize=_TOKENIZER, lowercase=True, force=True)
    result = scorer.corpus_score(list(hypotheses), _reference_streams(kept_references))
    return float(result.score)


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
        ``{"bucket": "5-6", "min_len": 5, "max_len": 6, "count": 812, "bleu": 31.4}``,
        where ``count`` is the number of sentences and ``bleu`` their corpus BLEU (0–100).
        Buckets that hold no sentence are omitted.

    Raises:
        ValueError: the three lists differ in length, or a bucket has ``min_len > max_len``.
    """
    if not len(hypotheses) == len(references) == len(src_lengths):
        raise ValueError(
            "bleu_by_length needs one reference list and one source length per hypothesis; "
            f"got {len(hypotheses)} hypotheses, {len(references)} reference lists and "
            f"{len(src_lengths)} source lengths."
        )
    results = []
    for min_len, max_len in buckets:
        if min_len > max_len:
            raise ValueError(f"bucket ({min_len}, {max_len}) has min_len > max_len.")
        members = [i for i, length in enumerate(src_lengths) if min_len <= length <= max_len]
        if not members:
            continue
        results.append(
            {
                "bucket": f"{min_len}-{max_len}",
                "min_len": min_len,
                "max_len": max_len,
                "count": len(members),
                "bleu": corpus_bleu(
                    [hypotheses[i] for i in members], [references[i] for i in members]
                ),
            }
        )
    return results
