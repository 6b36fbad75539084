"""Claims that the chapters' solution dropdowns make about the shipped models' heatmaps.

A solution is markdown, so it cannot assert what it says; these tests do, with the same
threshold as the chapters: a row's largest weight must beat the runner-up by at least 0.1
before the text may say where that row looks.
"""

from __future__ import annotations

from bahdanau.exercises import problems
from bahdanau.exercises.lab import reading_translation

MARGIN = 0.1


def row_peaks(problem: dict) -> dict[str, tuple[str, float]]:
    """French token -> (English token of the row's largest weight, its margin over the second)."""
    result = reading_translation(problem["sentence"], problem["model"])
    rows = result.tokens + ["<eos>"] if result.finished else result.tokens
    peaks = {}
    for french, row in zip(rows, result.attention):
        top = row.topk(2)
        peaks[french] = (result.src_tokens[int(top.indices[0])], float(top.values[0] - top.values[1]))
    return peaks


def column_totals(problem: dict) -> dict[str, float]:
    result = reading_translation(problem["sentence"], problem["model"])
    return dict(zip(result.src_tokens, result.attention.sum(dim=0).tolist()))


def test_chapter_1_reading_solution_rows():
    # "voiture looks most at car, but only a little more than at its neighbours; sœur and ma
    # are clear (sister, my)"; row 6 is bleue (chapter 1, ex-read-alignment).
    problem = problems.READING["alignment"]
    result = reading_translation(problem["sentence"], problem["model"])
    assert result.text == "ma sœur a une voiture bleue ." and result.tokens[problem["row"] - 1] == "bleue"
    peaks = row_peaks(problem)
    assert peaks["voiture"][0] == "car" and peaks["voiture"][1] < MARGIN
    for french, english in (("sœur", "sister"), ("ma", "my"), ("bleue", "blue")):
        assert peaks[french][0] == english and peaks[french][1] >= MARGIN, (french, peaks[french])


def test_chapter_2_reading_solution_old_then_sold():
    # "The column old ... The column sold comes second: ils ont vendu draw on it".
    problem = problems.READING["total"]
    totals = column_totals(problem)
    ranked = sorted(totals, key=totals.get, reverse=True)
    assert ranked[:2] == ["old", "sold"]
    peaks = row_peaks(problem)
    assert peaks["vieille"][0] == "old" and peaks["vieille"][1] >= MARGIN
    assert all(peaks[french][0] == "sold" for french in ("ils", "ont", "vendu"))


def test_chapter_4_reading_solution_green_close_behind_tea_and_lost():
    # "The column tea, but green comes close behind it: le's row peaks at green, thé's gives
    # green almost as much as tea. Yet the French has no vert."
    problem = problems.READING["failure"]
    result = reading_translation(problem["sentence"], problem["model"])
    assert "vert" not in result.tokens
    totals = column_totals(problem)
    ranked = sorted(totals, key=totals.get, reverse=True)
    assert ranked[:2] == ["tea", "green"] and totals["tea"] - totals["green"] < 0.5
    peaks = row_peaks(problem)
    assert peaks["le"][0] == "green"
    assert peaks["thé"][0] == "tea" and peaks["thé"][1] < MARGIN


def test_chapter_6_reading_solution_one_word_late():
    # "Row 2 is a, the French for has (elle a: she has). d2l's model gives its largest weight to
    # long, the word after has, by a clear margin; the paper's rnnsearch, reading both ways,
    # writes the same a while looking most at has itself."
    problem = problems.READING["late"]
    result = reading_translation(problem["sentence"], problem["model"])
    assert result.text == "elle a les cheveux longs ." and result.tokens[problem["row"] - 1] == "a"
    late, margin = row_peaks(problem)["a"]
    assert late == "long" and margin >= MARGIN
    assert result.src_tokens.index("long") == result.src_tokens.index("has") + 1
    paper = reading_translation(problem["sentence"], "rnnsearch")
    assert paper.tokens[problem["row"] - 1] == "a"
    assert row_peaks({**problem, "model": "rnnsearch"})["a"][0] == "has"


def test_chapter_4_batch_solution_rows():
    # "The longer pair has 7 French tokens, so its rows have 8 ... T = 8. The short pair has 4
    # French tokens, so its rows have 5 real tokens and 3 <pad>", and the two rows it prints.
    from bahdanau.data import Vocab, collate_pairs

    (english, french), longer = problems.BATCH_TARGETS["pair"], problems.BATCH_TARGETS["longer"]
    assert (len(longer[1]), len(french)) == (7, 4)
    pairs = [(english, french), longer]
    tgt_vocab = Vocab([tgt for _, tgt in pairs])
    batch = collate_pairs(pairs, Vocab([src for src, _ in pairs]), tgt_vocab)
    assert batch.tgt_in.shape[1] == 8 and int(batch.tgt_valid_len[0]) == 5
    assert " ".join(tgt_vocab.decode(batch.tgt_in[0])) == "<bos> le chat dort . <pad> <pad> <pad>"
    assert " ".join(tgt_vocab.decode(batch.tgt_out[0])) == "le chat dort . <eos> <pad> <pad> <pad>"
    # "The checker builds the batch with collate_pairs, the function that corpus.loader uses."
    from bahdanau.data import make_loader

    src_vocab = Vocab([src for src, _ in pairs])
    loader = make_loader(pairs, src_vocab, tgt_vocab, batch_size=2)
    assert loader.collate_fn.func is collate_pairs
    assert next(iter(loader)).tgt_out.equal(batch.tgt_out)


def test_chapter_4_masked_loss_solution_masked_fill_not_product():
    # "if the target of a padded position has a logit of -inf, its log-probability is -inf too,
    # and 0 x inf is nan"; masked_fill keeps the loss finite. And "a batch with more padding
    # looks better" when the sum is divided by all B x T positions.
    import torch

    from bahdanau.training import sequence_loss

    logits, targets = torch.randn(2, 4, 6), torch.tensor([[1, 2, 3, 4], [5, 1, 0, 0]])
    logits[1, 3, 0] = float("-inf")  # the target of a padded position
    log_probs = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    real = targets != 0
    assert log_probs[1, 3] == float("-inf")
    assert torch.isnan(-(log_probs * real).sum() / real.sum())
    masked = -log_probs.masked_fill(~real, 0.0).sum() / real.sum()
    assert torch.isfinite(masked) and torch.allclose(masked, sequence_loss(logits, targets, 0))
    # The same real tokens with more padding: dividing by B x T gives a lower loss.
    more_padding = torch.cat((targets, torch.zeros(2, 3, dtype=torch.long)), dim=1)
    wider = torch.cat((logits, torch.randn(2, 3, 6)), dim=1)
    summed = sequence_loss(logits, targets, 0) * real.sum()
    assert summed / more_padding.numel() < summed / targets.numel()
    assert torch.allclose(sequence_loss(wider, more_padding, 0), sequence_loss(logits, targets, 0))


def test_chapter_6_aer_solution_counts():
    # "A has 8 links. Four are sure ..., |A ∩ S| = 4 ... |A ∩ P| = 6. S has 6 links. AER = 0.286.
    # Counting the sure links only ... 0.429. The two wrong links, like–pas and coffee–noir, each
    # point one English word too far to the right."
    from bahdanau.alignment import alignment_error_rate

    p = problems.AER_BY_HAND
    A, S, P = set(p["predicted"]), set(p["sure"]), set(p["possible"])
    assert (len(A), len(A & S), len(A & P), len(S)) == (8, 4, 6, 6)
    assert round(1 - (len(A & S) + len(A & P)) / (len(A) + len(S)), 3) == 0.286
    assert round(alignment_error_rate(A, S), 3) == 0.429
    wrong = A - P
    words = {(p["english"][e], p["french"][f]) for e, f in wrong}
    assert words == {("like", "pas"), ("coffee", "noir")}
    for e, f in wrong:
        (sure_e,) = [s for s, g in S if g == f]
        assert e == sure_e + 1
