"""Claims that the chapters' solution dropdowns make about the shipped model's heatmaps.

A solution is markdown, so it cannot assert what it says; these tests do, with the same
threshold as the chapters: a row's largest weight must beat the runner-up by at least 0.1
before the text may say where that row looks.
"""

from __future__ import annotations

from bahdanau.exercises import problems
from bahdanau.exercises.lab import reading_translation

MARGIN = 0.1


def row_peaks(sentence: str) -> dict[str, tuple[str, float]]:
    """French token -> (English token of the row's largest weight, its margin over the second)."""
    result = reading_translation(sentence)
    rows = result.tokens + ["<eos>"] if result.finished else result.tokens
    peaks = {}
    for french, row in zip(rows, result.attention):
        top = row.topk(2)
        peaks[french] = (result.src_tokens[int(top.indices[0])], float(top.values[0] - top.values[1]))
    return peaks


def test_chapter_1_reading_solution_blanc_and_un_peak_at_cat():
    # "blanc's row also peaks at cat, not at white, and un's too" (chapter 1, ex-read-alignment).
    peaks = row_peaks(problems.READING["alignment"]["sentence"])
    for french in ("chat", "blanc", "un"):
        english, margin = peaks[french]
        assert english == "cat" and margin >= MARGIN, (french, english, margin)
