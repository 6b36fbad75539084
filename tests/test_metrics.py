"""Tests for bahdanau.metrics: d2l's sentence BLEU, sacreBLEU corpus BLEU, BLEU by length."""

from __future__ import annotations

import math
import random

import d2l.torch as d2l
import numpy as np
import pytest
import sacrebleu

from bahdanau.metrics import (
    BLEU_SIGNATURE_NOTE,
    BOOTSTRAP_SEED,
    DEFAULT_LENGTH_BUCKETS,
    SPECIAL_TOKEN_PLACEHOLDER,
    SPECIAL_TOKENS_NOTE,
    bleu,
    bleu_by_length,
    bleu_by_length_of_statistics,
    bleu_by_length_with_intervals,
    bleu_of_statistics,
    bleu_signature,
    bootstrap_by_length,
    bootstrap_interval,
    corpus_bleu,
    corpus_bleu_with_signature,
    interval_excludes_zero,
    paired_bootstrap,
    paired_bootstrap_by_length,
    sentence_statistics,
)

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
# corpus_bleu: special tokens are one word that matches nothing; the signature
# ----------------------------------------------------------------------------------------------


def test_unk_scores_like_any_wrong_word():
    # Plain sacreBLEU reads "<unk>" as "< unk >", three tokens: 12.7 against 0.0 (the bug).
    assert sacrebleu.corpus_bleu(["je <unk> ."], [["je suis ."]]).score == pytest.approx(12.7, abs=0.05)
    assert corpus_bleu(["je <unk> ."], [["je suis ."]]) == corpus_bleu(["je xyz ."], [["je suis ."]])
    assert corpus_bleu(["je <unk> ."], [["je suis ."]]) == 0.0


def test_several_special_tokens_lose_as_many_matches_as_as_many_wrong_words():
    references = [["le chat noir dort sur le tapis rouge du salon ."], ["il pleut depuis ce matin ."]]
    with_specials = ["le chat <unk> dort sur le <unk> rouge <unk> salon .", "il <pad> depuis <bos> matin <eos>"]
    with_wrong_words = ["le chat qqq dort sur le rrr rouge sss salon .", "il ttt depuis uuu matin vvv"]
    score = corpus_bleu(with_specials, references)
    assert 0 < score < 100  # 1- to 4-gram matches remain on both sides of each miss
    assert score == corpus_bleu(with_wrong_words, references)
    assert score == corpus_bleu([h.replace("<unk>", "<UNK>") for h in with_specials], references)  # lower-cased
    # A hypothesis of N words has N words whatever they are: the brevity penalty agrees too.
    assert score != pytest.approx(sacrebleu.corpus_bleu(with_specials, [[r[0] for r in references]]).score)


def test_placeholder_never_matches_even_if_a_reference_contains_it():
    references = [[f"je suis {SPECIAL_TOKEN_PLACEHOLDER} ici"]]
    assert corpus_bleu([f"je suis {SPECIAL_TOKEN_PLACEHOLDER} ici"], references) == pytest.approx(100.0)
    assert corpus_bleu(["je suis <unk> ici"], references) == corpus_bleu(["je suis zzz ici"], references) < 100
    # Also when the word is hidden inside a longer reference word.
    references = [[f"je suis a{SPECIAL_TOKEN_PLACEHOLDER}1 ici"]]
    assert corpus_bleu(["je suis <unk> ici"], references) == corpus_bleu(["je suis zzz ici"], references)


def test_references_and_hypotheses_without_specials_are_scored_as_plain_sacrebleu():
    hypotheses = ["le chat  dort .", "il pleut beaucoup ."]  # a double space, kept as it is
    references = ["le chat dort sur le tapis .", "il pleut ."]
    expected = sacrebleu.corpus_bleu(hypotheses, [references]).score
    assert corpus_bleu(hypotheses, [[ref] for ref in references]) == expected


def test_special_tokens_note_says_what_happens():
    assert "<unk>" in SPECIAL_TOKENS_NOTE and "one word" in SPECIAL_TOKENS_NOTE


def test_signature_is_sacrebleus_for_our_settings():
    settings = f"case:lc|eff:no|tok:13a|smooth:exp|version:{sacrebleu.__version__}"
    references = [["le chat dort ."], ["il pleut .", "il pleut fort ."]]
    score, signature = corpus_bleu_with_signature(HYPOTHESES[:2], references)
    assert signature == f"nrefs:var|{settings}"
    assert score == corpus_bleu(HYPOTHESES[:2], references)
    assert bleu_signature([["a"], ["b"]]) == f"nrefs:1|{settings}"
    assert bleu_signature([["a", "b"], ["c", "d"]]) == f"nrefs:2|{settings}"
    assert corpus_bleu_with_signature(["a"], [["a", ""]])[1] == f"nrefs:1|{settings}"  # blank dropped


def test_bleu_by_length_rows_carry_their_signature():
    rows = bleu_by_length(["a b", "c d e f g"], [["a b"], ["c d e f g", "c d e"]], [2, 5])
    assert [row["bleu_signature"].split("|")[0] for row in rows] == ["nrefs:1", "nrefs:2"]


# ----------------------------------------------------------------------------------------------
# paired_bootstrap
# ----------------------------------------------------------------------------------------------


def _made_up_test_set(num_sentences: int = 40, seed: int = 0):
    """References, a system that gets every sentence right, and a baseline that misses a word in each."""
    rng = random.Random(seed)
    references = [[_random_sentence(rng, "abcdefgh", 9) + " x y z ."] for _ in range(num_sentences)]
    perfect = [refs[0] for refs in references]
    one_word_wrong = [" ".join(["qqq", *refs[0].split()[1:]]) for refs in references]
    return references, perfect, one_word_wrong


def test_a_system_better_on_every_sentence_has_a_positive_difference_excluding_zero():
    references, perfect, one_word_wrong = _made_up_test_set()
    result = paired_bootstrap(perfect, one_word_wrong, references)
    assert result["system"]["bleu"] == pytest.approx(100.0)
    assert result["baseline"]["bleu"] == pytest.approx(corpus_bleu(one_word_wrong, references))
    difference = result["difference"]
    assert difference["bleu"] == pytest.approx(result["system"]["bleu"] - result["baseline"]["bleu"])
    assert 0 < difference["low"] <= difference["bleu"] <= difference["high"]
    assert interval_excludes_zero(difference)
    assert result["p_value"] == pytest.approx(1 / 1001)  # sacreBLEU's smallest p with 1,000 resamples
    for side in ("system", "baseline", "difference"):
        assert result[side]["low"] - 1e-9 <= result[side]["mean"] <= result[side]["high"] + 1e-9
        assert result[side]["ci"] == pytest.approx((result[side]["high"] - result[side]["low"]) / 2)
    assert result["count"] == len(perfect) and result["n_samples"] == 1000 and result["seed"] == BOOTSTRAP_SEED
    assert result["bleu_signature"].startswith("nrefs:1|bs:1000|seed:12345|case:lc|")


def test_identical_systems_differ_by_exactly_zero():
    references, _, one_word_wrong = _made_up_test_set()
    difference = paired_bootstrap(one_word_wrong, list(one_word_wrong), references)["difference"]
    assert difference == {"bleu": 0.0, "mean": 0.0, "ci": 0.0, "low": 0.0, "high": 0.0}
    assert not interval_excludes_zero(difference)


def test_the_bootstrap_is_deterministic_given_the_seed():
    references, perfect, one_word_wrong = _made_up_test_set()
    mixed = [p if i % 3 else w for i, (p, w) in enumerate(zip(perfect, one_word_wrong))]
    first = paired_bootstrap(mixed, one_word_wrong, references, n_samples=200, seed=7)
    assert paired_bootstrap(mixed, one_word_wrong, references, n_samples=200, seed=7) == first
    other = paired_bootstrap(mixed, one_word_wrong, references, n_samples=200, seed=8)
    assert other["difference"]["bleu"] == first["difference"]["bleu"]  # the full test set: no resampling
    assert other["difference"]["low"] != first["difference"]["low"]


def test_the_bootstrap_equals_sacrebleus_paired_bs(monkeypatch):
    from sacrebleu.metrics import BLEU
    from sacrebleu.significance import PairedTest

    rng = random.Random(3)
    references = [[_random_sentence(rng, "abcde", 8) for _ in range(rng.randint(1, 2))] for _ in range(60)]
    system = [_random_sentence(rng, "abcde", 8) for _ in references]
    baseline = [_random_sentence(rng, "abcdef", 8) for _ in references]
    streams = [[refs[j] if j < len(refs) else None for refs in references] for j in range(2)]
    monkeypatch.setenv("SACREBLEU_SEED", "12345")
    signatures, scores = PairedTest([("baseline", baseline), ("system", system)],
                                    {"BLEU": BLEU(tokenize="13a", lowercase=True, force=True)}, streams,
                                    test_type="bs", n_samples=1000)()
    theirs_baseline, theirs_system = scores["BLEU"]
    ours = paired_bootstrap(system, baseline, references)
    for side, theirs in (("system", theirs_system), ("baseline", theirs_baseline)):
        assert ours[side]["bleu"] == pytest.approx(theirs.score, abs=1e-9)
        # sacreBLEU sums the statistics in float32: agreement to float32 precision.
        assert ours[side]["mean"] == pytest.approx(theirs.mean, rel=1e-5)
        assert ours[side]["ci"] == pytest.approx(theirs.ci, rel=1e-4)
    assert ours["p_value"] == pytest.approx(theirs_system.p_value)
    assert ours["bleu_signature"] == signatures["BLEU"].format()


def test_paired_bootstrap_by_length_resamples_each_bucket_alone():
    references, perfect, one_word_wrong = _made_up_test_set(30)
    src_lengths = [2, 5, 6] * 10
    rows = paired_bootstrap_by_length(perfect, one_word_wrong, references, src_lengths, n_samples=100)
    assert [(row["bucket"], row["count"]) for row in rows] == [("1-4", 10), ("5-6", 20)]
    members = [i for i, length in enumerate(src_lengths) if 5 <= length <= 6]
    alone = paired_bootstrap([perfect[i] for i in members], [one_word_wrong[i] for i in members],
                             [references[i] for i in members], n_samples=100)
    assert {key: rows[1][key] for key in alone} == alone
    assert (rows[1]["min_len"], rows[1]["max_len"]) == (5, 6)


def test_bleu_by_length_with_intervals_is_plot_input():
    references, perfect, one_word_wrong = _made_up_test_set(20)
    rows = paired_bootstrap_by_length(perfect, one_word_wrong, references, [3] * 20, n_samples=50)
    by_model = bleu_by_length_with_intervals(rows, system="good", baseline="worse")
    assert list(by_model) == ["good", "worse"]
    (good,) = by_model["good"]
    assert good == {"bucket": "1-4", "min_len": 1, "max_len": 4, "count": 20, "bleu": rows[0]["system"]["bleu"],
                    "bleu_low": rows[0]["system"]["low"], "bleu_high": rows[0]["system"]["high"]}


@pytest.mark.parametrize("interval, excludes", [
    ((0.4, 3.9), True), ((-3.0, -0.1), True), ((-0.2, 2.0), False), ((0.0, 1.0), False),
    ({"bleu": 1.0, "low": 0.5, "high": 1.5}, True), ({"low": -1.0, "high": 1.0}, False),
])
def test_interval_excludes_zero(interval, excludes):
    assert interval_excludes_zero(interval) is excludes


def test_paired_bootstrap_rejects_mismatched_systems():
    with pytest.raises(ValueError, match="one baseline translation per system translation"):
        paired_bootstrap(["a", "b"], ["a"], [["a"], ["b"]])
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference"):
        paired_bootstrap(["a", "b"], ["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="one source length per"):
        paired_bootstrap_by_length(["a", "b"], ["a", "b"], [["a"], ["b"]], [1])


# ----------------------------------------------------------------------------------------------
# bootstrap_interval: one system's interval
# ----------------------------------------------------------------------------------------------


def _mixed_system(num_sentences: int = 40):
    """References and a system right on two sentences in three, one word wrong on the others."""
    references, perfect, one_word_wrong = _made_up_test_set(num_sentences)
    mixed = [p if i % 3 else w for i, (p, w) in enumerate(zip(perfect, one_word_wrong, strict=True))]
    return references, mixed, one_word_wrong


def test_bootstrap_interval_is_the_paired_bootstraps_interval_of_each_side():
    references, mixed, one_word_wrong = _mixed_system()
    paired = paired_bootstrap(mixed, one_word_wrong, references, n_samples=300, seed=5)
    for side, hypotheses in (("system", mixed), ("baseline", one_word_wrong)):
        alone = bootstrap_interval(hypotheses, references, n_samples=300, seed=5)
        # The same draws: not close, equal.
        assert {key: alone[key] for key in paired[side]} == paired[side]
        assert (alone["count"], alone["n_samples"], alone["seed"]) == (40, 300, 5)
        assert alone["bleu_signature"] == paired["bleu_signature"]
    assert alone["bleu"] == pytest.approx(corpus_bleu(one_word_wrong, references))
    assert alone["low"] <= alone["bleu"] <= alone["high"] and alone["low"] < alone["high"]


def test_bootstrap_interval_is_deterministic_given_the_seed():
    references, mixed, _ = _mixed_system()
    first = bootstrap_interval(mixed, references, n_samples=200, seed=7)
    assert bootstrap_interval(mixed, references, n_samples=200, seed=7) == first
    other = bootstrap_interval(mixed, references, n_samples=200, seed=8)
    assert other["bleu"] == first["bleu"]  # the whole test set: no resampling
    assert (other["low"], other["high"]) != (first["low"], first["high"])
    assert bootstrap_interval(mixed, references)["n_samples"] == 1000  # sacreBLEU's defaults
    assert bootstrap_interval(mixed, references)["seed"] == BOOTSTRAP_SEED


def test_bootstrap_interval_of_a_perfect_system_is_exactly_100():
    references, perfect, _ = _made_up_test_set()
    result = bootstrap_interval(perfect, references, n_samples=50)
    assert (result["low"], result["high"], result["ci"]) == (pytest.approx(100.0), pytest.approx(100.0), 0.0)


def test_bootstrap_by_length_is_paired_bootstrap_by_length_of_one_side():
    references, mixed, one_word_wrong = _mixed_system(30)
    src_lengths = [2, 5, 6, 12, 30] * 6
    buckets = ((1, 5), (6, 10), (11, 15), (16, 20), (21, 30))
    rows = bootstrap_by_length(mixed, references, src_lengths, buckets, n_samples=100)
    assert [(row["bucket"], row["count"]) for row in rows] == [("1-5", 12), ("6-10", 6), ("11-15", 6),
                                                                ("21-30", 6)]  # 16-20 is empty: left out
    paired = paired_bootstrap_by_length(mixed, one_word_wrong, references, src_lengths, buckets, n_samples=100)
    for row, paired_row in zip(rows, paired, strict=True):
        assert {key: row[key] for key in paired_row["system"]} == paired_row["system"]
        assert (row["min_len"], row["max_len"], row["bleu_signature"]) == (
            paired_row["min_len"], paired_row["max_len"], paired_row["bleu_signature"])
    members = [i for i, length in enumerate(src_lengths) if 21 <= length <= 30]
    alone = bootstrap_interval([mixed[i] for i in members], [references[i] for i in members], n_samples=100)
    assert {key: rows[-1][key] for key in alone} == alone


def test_bootstrap_interval_rejects_bad_input():
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference"):
        bootstrap_interval(["a", "b"], [["a"]])
    with pytest.raises(ValueError, match="at least one hypothesis"):
        bootstrap_interval([], [])
    with pytest.raises(TypeError, match="is a string"):
        bootstrap_interval(["a"], ["a"])
    with pytest.raises(ValueError, match="at least one resample"):
        bootstrap_interval(["a"], [["a"]], n_samples=0)
    with pytest.raises(ValueError, match="one source length per hypothesis"):
        bootstrap_by_length(["a", "b"], [["a"], ["b"]], [1])
    with pytest.raises(ValueError, match="min_len > max_len"):
        bootstrap_by_length(["a"], [["a"]], [1], [(5, 2)])


# ----------------------------------------------------------------------------------------------
# sentence_statistics and bleu_of_statistics: corpus BLEU of a resample from summed counts
# ----------------------------------------------------------------------------------------------

# (hypothesis, references): several references of several lengths per sentence.
STATISTICS_CASES = [
    ("le chat dort sur le tapis .", ["le chat dort sur le tapis .", "un chat dort ."]),
    ("le chien dort .", ["un chat dort sur le tapis .", "le chien dort ici ."]),  # the 2nd reference matches
    ("", ["il pleut .", "il pleut beaucoup ."]),  # an empty hypothesis
    ("zzz qqq www", ["il fait beau .", "le temps est beau ."]),  # no n-gram matches
    ("je <unk> .", ["je nage .", "je nagerai ."]),  # a special token: one word that matches nothing
    ("Il Est Gentil .", ["il est gentil .", "il est sympa .", "il est très aimable ."]),  # case ignored
    ("a b c", ["a b", "a b c d"]),  # two references equally close in length: the shorter counts
    ("on parle", ["nous pouvons discuter .", "   ", "on peut parler ."]),  # a blank reference: ignored
    ("elle lit un livre dans le jardin .", ["elle lit un livre au jardin ."]),
    ("oui", ["oui .", "oui , bien sûr ."]),  # shorter than every reference: the brevity penalty
    ("tom a vu le chat le chat le chat .", ["tom a vu le chat .", "le chat , tom l'a vu ."]),  # clipping
]


def _statistics_draws() -> list[list[int]]:
    """Index lists to score: the whole set, resamples with repeats, subsets, the edge cases alone."""
    n = len(STATISTICS_CASES)
    rng = np.random.default_rng(2024)
    draws = [list(range(n)), list(range(n))[::-1]]
    draws += [rng.integers(0, n, size=n).tolist() for _ in range(8)]  # bootstrap resamples
    draws += [rng.choice(n, size=size, replace=False).tolist() for size in (1, 3, 6, 9)]  # subsets
    draws += [[2], [2, 2], [3], [3, 3, 3], [2, 3], [0, 0, 0, 1], [4, 4, 5], [6], [1, 7, 7, 9]]
    return draws


def test_bleu_of_summed_statistics_is_corpus_bleu_of_any_resample():
    hypotheses = [hypothesis for hypothesis, _ in STATISTICS_CASES]
    references = [refs for _, refs in STATISTICS_CASES]
    stats = sentence_statistics(hypotheses, references)
    draws = _statistics_draws()
    assert any(len(set(draw)) < len(draw) for draw in draws)  # some sentences drawn more than once
    scores = []
    for draw in draws:
        expected = corpus_bleu([hypotheses[i] for i in draw], [references[i] for i in draw])
        assert bleu_of_statistics(stats[draw].sum(axis=0)) == pytest.approx(expected, abs=1e-9), draw
        scores.append(expected)
    # The draws are not all alike: zero and non-zero scores, and many different ones.
    assert 0.0 in scores and max(scores) > 50 and len({round(score, 6) for score in scores}) > 10


def test_sentence_statistics_count_each_sentence_in_sacrebleus_layout():
    hypotheses = [hypothesis for hypothesis, _ in STATISTICS_CASES]
    stats = sentence_statistics(hypotheses, [refs for _, refs in STATISTICS_CASES])
    assert stats.shape == (len(STATISTICS_CASES), 10) and np.issubdtype(stats.dtype, np.integer)
    # Hypothesis length, closest reference length, matches for n = 1..4, n-grams for n = 1..4.
    assert stats[0].tolist() == [7, 7, 7, 6, 5, 4, 7, 6, 5, 4]  # equal to its first reference
    assert stats[1].tolist() == [4, 5, 4, 2, 1, 0, 4, 3, 2, 1]  # "le chien dort" from the second one
    assert stats[2].tolist() == [0, 3, 0, 0, 0, 0, 0, 0, 0, 0]  # empty: only the shorter reference counts
    assert stats[3].tolist() == [3, 4, 0, 0, 0, 0, 3, 2, 1, 0]  # nothing matches
    assert stats[4].tolist() == [3, 3, 2, 0, 0, 0, 3, 2, 1, 0]  # <unk> is one word, matching nothing
    assert stats[6, :2].tolist() == [3, 2]  # references of 2 and 4 tokens for 3: the shorter
    assert stats[7].tolist() == [2, 4, 1, 0, 0, 0, 2, 1, 0, 0]  # the blank is no reference of length 0
    # Clipping: "le chat" occurs once in a reference, however often the hypothesis repeats it.
    assert stats[10].tolist() == [10, 7, 6, 5, 4, 2, 10, 9, 8, 7]


def test_statistics_helpers_reject_bad_input():
    with pytest.raises(ValueError, match="2 hypotheses but 1 reference"):
        sentence_statistics(["a", "b"], [["a"]])
    with pytest.raises(TypeError, match="is a string"):
        sentence_statistics(["a"], ["a"])
    with pytest.raises(ValueError, match="no \\(non-blank\\) reference"):
        sentence_statistics(["a"], [[" "]])
    stats = sentence_statistics(["a b", "c d"], [["a b"], ["c e"]])
    with pytest.raises(ValueError, match="add the rows up first"):
        bleu_of_statistics(stats)  # one row per sentence, not summed
    with pytest.raises(ValueError, match="shape \\(10,\\)"):
        bleu_of_statistics(stats.sum(axis=0)[:6])


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
        "bleu_signature": bleu_signature(references[:2]),
    }
    assert results[1]["bleu"] == pytest.approx(corpus_bleu(hypotheses[2:4], references[2:4]))
    assert results[2]["bleu"] == pytest.approx(100.0)


def test_bleu_by_length_of_statistics_is_corpus_bleu_of_each_bucket_to_the_bit():
    hypotheses = [hypothesis for hypothesis, _ in STATISTICS_CASES]
    references = [refs for _, refs in STATISTICS_CASES]
    src_lengths = [3, 6, 5, 9, 3, 6, 200, 4, 12, 2, 10]  # 7-8 and 16-100 empty; 200 in no bucket
    stats = sentence_statistics(hypotheses, references)
    rows = bleu_by_length_of_statistics(stats, references, src_lengths)
    expected = []
    for low, high in DEFAULT_LENGTH_BUCKETS:  # what bleu_by_length did before statistics
        members = [i for i, length in enumerate(src_lengths) if low <= length <= high]
        if members:
            score, signature = corpus_bleu_with_signature([hypotheses[i] for i in members],
                                                          [references[i] for i in members])
            expected.append({"bucket": f"{low}-{high}", "min_len": low, "max_len": high,
                             "count": len(members), "bleu": score, "bleu_signature": signature})
    assert rows == expected  # every float exactly equal, not approximately
    assert bleu_by_length(hypotheses, references, src_lengths) == expected
    assert [row["bucket"] for row in rows] == ["1-4", "5-6", "9-10", "11-15"]
    assert len({row["bleu"] for row in rows}) == 4 and len({row["bleu_signature"] for row in rows}) == 3
    with pytest.raises(ValueError, match="one source length per row"):
        bleu_by_length_of_statistics(stats, references, src_lengths[1:])


@pytest.mark.parametrize("references", [
    [["a"]], [["a"], ["b c"]], [["a", "b"], ["c", "d"]], [["a"], ["b", "c"], ["d", "e", "f"]],
    [["a", "  "], ["b"]],  # the blank one is dropped: one reference each
    [["a", ""], ["b", "c"]], [["a", "b", "c"]] * 3 + [["d"]],
])
def test_bleu_signature_is_the_signature_of_a_corpus_bleu_against_those_references(references):
    assert bleu_signature(references) == corpus_bleu_with_signature(["a b"] * len(references), references)[1]


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
