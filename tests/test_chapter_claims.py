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
