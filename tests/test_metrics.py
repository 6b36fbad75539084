"""Tests for bahdanau.metrics: d2l's sentence BLEU, sacreBLEU corpus BLEU, BLEU by length."""

from __future__ import annotations

import math
import random

import d2l.torch as d2l
import pytest
import sacrebleu

from bahdanau.metrics import BLEU_SIGNATURE_NOTE, bleu, bleu_by_length, corpus_bleu

# ----------------------------------------------------------------------------------------------
# bleu: d2l's per-sentence BLEU
# ----------------------------------------------------------------------------------------------

# Pairs from the d2l book's French examples plus cases that exercise each part of the formula.
HAND_CASES = [
    ("va !", "va !", 2),
    ("j'ai perdu .", "j'ai perdu .", 2),
    ("il est calme .", "il est riche .", 2),
    ("je suis chez moi .", "je suis chez moi .", 4),
    ("je suis .", "je suis chez moi .", 4),  # short prediction: brevity penalty
    ("je suis chez moi , oui .", "je suis chez moi .", 4),  # long prediction: no penalty
    ("le le le le", "le chat", 2),  # clipping: "le" matches only once
    ("a b", "a b c d e", 4),  # k > len_pred: n stops at 2
    ("x y z", "a b c", 4),  # nothing matches
    ("a b a b", "b a b a", 3),
    ("a", "a", 1),
    ("a b c", "a b c", 1),
]


@pytest.mark.parametrize("pred, label, k", HAND_CASES)
def test_bleu_equals_d2l_on_hand_cases(pred, label, k):
    assert bleu(pred, label, k) == d2l.bleu(pred, label, k)


def test_bleu_matches_the_formula_by_hand():
    # BP = 1 (same length); p_1 = 2/3 (one "a" and one "b" clip), p_2 = 1/2 ("a b" matches).
    expected = (2 / 3) ** 0.5 * (1 / 2) ** 0.25
    assert bleu("a a b", "a b b", k=2) == pytest.approx(expected, rel=1e-15)
    # All precisions 1, prediction 4 tokens for a 6-token reference: only the penalty remains.
    assert bleu("a b c d", "a b c d e f", k=4) == pytest.approx(math.exp(1 - 6 / 4), rel=1e-15)
    assert bleu("je suis chez moi .", "je suis chez moi .") == 1.0
    assert bleu("x y", "a b") == 0.0


def _random_sentence(rng: random.Random, vocabulary: str, max_len: int) -> str:
    return " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, max_len)))


def test_bleu_equals_d2l_on_random_sentences():
    # A 4-word vocabulary makes partial n-gram matches (and clipping) common.
    rng = random.Random(0)
    for _ in range(3000):
        pred = _random_sentence(rng, "abcd", 10)
        label = _random_sentence(rng, "abcd", 10)
        k = rng.randint(1, 5)
        assert bleu(pred, label, k) == d2l.bleu(pred, label, k), (pred, label, k)


@pytest.mark.parametrize("pred", ["", " ", "   "])
def test_bleu_of_empty_prediction_is_zero(pred):
    assert bleu(pred, "je suis chez moi .") == 0.0


@pytest.mark.parametrize("label", ["", "  "])
def test_bleu_against_empty_reference_is_zero(label):
    assert bleu("je suis chez moi .", label) == 0.0
    assert bleu("", label) == 0.0  # d2l would say 1.0 for ("", ""): two empty tokens match


def test_bleu_ignores_extra_whitespace():
    assert bleu("je  suis chez moi . ", " je suis chez moi .") == 1.0


# ----------------------------------------------------------------------------------------------
# corpus_bleu: sacreBLEU, all references
# ----------------------------------------------------------------------------------------------

HYPOTHESES = ["le chat dort sur le tapis .", "il pleut .", "je suis chez moi ."]


def test_signature_note_names_the_settings():
    assert "13a" in BLEU_SIGNATURE_NOTE
    assert "sacreBLEU" in BLEU_SIGNATURE_NOTE


def test_corpus_bleu_perfect_match_is_100():
    references = [[hypothesis] for hypothesis in HYPOTHESES]
    assert corpus_bleu(HYPOTHESES, references) == pytest.approx(100.0)


def test_corpus_bleu_is_case_insensitive():
    assert corpus_bleu(["Je suis chez moi ."], [["je suis chez moi ."]]) == pytest.approx(100.0)


def test_single_reference_equals_plain_sacrebleu():
    hypotheses = ["le chat dort .", "il pleut beaucoup ."]
    references = ["le chat dort sur le tapis .", "il pleut ."]
    expected = sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert corpus_bleu(hypotheses, [[ref] for ref in references]) == pytest.approx(expected)


def test_multi_reference_is_at_least_single_reference():
    hypotheses = ["le chat dort sous la table .", "il fait beau aujourd'hui ."]
    single = [["le chat dort sur le tapis ."], ["il fait beau ."]]
    # Extra references of the same lengths as the first: only the n-gram matches can change,
    # and with more references to match against they can only grow.
    multi = [
        single[0] + ["un chat dort sous la chaise ."],
        single[1] + ["oui il fait beau"],
    ]
    single_score, multi_score = corpus_bleu(hypotheses, single), corpus_bleu(hypotheses, multi)
    assert multi_score > single_score > 0.0


def test_variable_reference_counts_are_not_padded_with_empty_strings():
    # Sentence 0 has one reference, sentence 1 three. The hypothesis of sentence 0 is short, so
    # a padded empty reference (length 0) would be the "closest" one and hide its brevity penalty.
    hypotheses = ["le chat dort .", "il pleut beaucoup ce matin ."]
    references = [
        ["le chat dort sur le tapis rouge ce matin ."],
        ["il pleut .", "il pleut beaucoup ce matin .", "la pluie tombe ."],
    ]
    # Repeating a sentence's own reference changes nothing (same n-grams, same lengths): the
    # honest way to give every sentence three references.
    repeated = [[refs[j] if j < len(refs) else refs[0] for refs in references] for j in range(3)]
    padded_empty = [[refs[j] if j < len(refs) else "" for refs in references] for j in range(3)]
    expected = sacrebleu.corpus_bleu(hypotheses, repeated).score
    wrong = sacrebleu.corpus_bleu(hypotheses, padded_empty).score
    assert corpus_bleu(hypotheses, references) == pytest.approx(expected)
    assert not math.isclose(expected, wrong)  # the case really tells the two apart


def test_blank_reference_is_ignored():
    # Were "" kept, it would be the reference closest in length and cancel the brevity penalty.
    hypotheses = ["le chat dort sur"]
    reference = "le chat dort sur le tapis rouge du salon ."
    with_blank = corpus_bleu(hypotheses, [[reference, ""]])
    assert with_blank == pytest.approx(corpus_bleu(hypotheses, [[reference]]))
    assert with_blank == pytest.approx(100 * math.exp(1 - 10 / 4))


def test_irrelevant_reference_of_same_length_never_lowers_the_score():
    # Note: BLEU's brevity penalty uses the reference closest in length to the hypothesis, so an
    # extra reference of a *different* length can lower the score; one of the same length cannot.
    rng = random.Random(1)
    for _ in range(50):
        hypotheses = [_random_sentence(rng, "abcde", 8) for _ in range(3)]
        references = [[_random_sentence(rng, "abcde", 8)] for _ in range(3)]
        before = corpus_bleu(hypotheses, references)
        which = rng.randrange(3)
        length = len(references[which][0].split())
        extra = " ".join(["zzz"] * length)  # no word in common with anything
        references[which] = references[which] + [extra]
        assert corpus_bleu(hypotheses, references) >= before - 1e-9


def test_corpus_bleu_rejects_no_hypotheses():
    with pytest.raises(ValueError, match="at least one hypothesis"):
        corpus_bleu([], [])


def test_corpus_bleu_rejects_length_mismatch():
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference"):
        corpus_bleu(["a b", "c d"], [["a b"]])


@pytest.mark.parametrize("refs", [[], ["", "  "]])
def test_corpus_bleu_rejects_a_sentence_without_reference(refs):
    with pytest.raises(ValueError, match="sentence 1 has no"):
        corpus_bleu(["a b", "c d"], [["a b"], refs])


def test_corpus_bleu_rejects_a_bare_string_of_references():
    with pytest.raises(TypeError, match="must be a list of reference strings"):
        corpus_bleu(["a b"], ["a b"])


def test_corpus_bleu_rejects_token_lists_as_references():
    with pytest.raises(TypeError, match="join"):
        corpus_bleu(["a b"], [[["a", "b"]]])


# ----------------------------------------------------------------------------------------------
# bleu_by_length
# ----------------------------------------------------------------------------------------------


def test_bleu_by_length_buckets_counts_and_scores():
    hypotheses = ["a b", "a b c", "c d e f g", "x y z", "p q r s t u v", "far too long"]
    references = [["a b"], ["a b d"], ["c d e f g"], ["x y"], ["p q r s t u v"], ["x"]]
    src_lengths = [2, 4, 5, 6, 9, 200]  # 200 is in no bucket: left out
    results = bleu_by_length(hypotheses, references, src_lengths)

    assert [row["bucket"] for row in results] == ["1-4", "5-6", "9-10"]  # 7-8 etc. are empty
    assert [row["count"] for row in results] == [2, 2, 1]
    assert results[0] == {
        "bucket": "1-4",
        "min_len": 1,
        "max_len": 4,
        "count": 2,
        "bleu": corpus_bleu(hypotheses[:2], references[:2]),
    }
    assert results[1]["bleu"] == pytest.approx(corpus_bleu(hypotheses[2:4], references[2:4]))
    assert results[2]["bleu"] == pytest.approx(100.0)


def test_bleu_by_length_custom_buckets_are_inclusive():
    results = bleu_by_length(
        ["a", "b", "c"], [["a"], ["b"], ["c"]], [3, 4, 5], buckets=[(3, 4), (5, 5)]
    )
    assert [(row["bucket"], row["count"]) for row in results] == [("3-4", 2), ("5-5", 1)]


def test_bleu_by_length_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="one source length per hypothesis"):
        bleu_by_length(["a"], [["a"]], [1, 2])


def test_bleu_by_length_rejects_inverted_bucket():
    with pytest.raises(ValueError, match="min_len > max_len"):
        bleu_by_length(["a"], [["a"]], [1], buckets=[(5, 2)])


def test_corpus_bleu_prints_nothing_on_tokenized_text(capfd, caplog):
    hypotheses = [f"je suis {i} ." for i in range(120)]  # sacreBLEU warns from 100 lines ending in " ."
    corpus_bleu(hypotheses, [[h] for h in hypotheses])
    assert not caplog.records  # sacreBLEU reports through the logging module
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
