"""How a chapter reads: its length, its checks out of the way, and no sentence its outputs contradict.

- **Length.** At most :data:`WORD_BUDGET` words of prose (markdown cells, code fences excluded),
  in six chapters in the paper's order.
- **Checks out of the way.** A cell that only checks what a paragraph claims is a *check cell*:
  tagged ``hide-cell`` (a closed toggle in the rendered book), collapsed when the notebook is opened
  (``jupyter.source_hidden`` for Jupyter, ``cellView: form`` with a ``# @title Check: ...`` first
  line for Colab), and silent. nbval runs it like any other cell. A reader-facing cell keeps at
  most :data:`TEACHING_ASSERTS` asserts, the ones that teach (a shape, a sum of weights, equality
  with d2l).
- **Every sentence true.** Claims that the outputs were found not to support, each in the form it
  once had, must not come back (:data:`RETRACTED`).
- **No jump.** A term the chapters use before their reader can know it is, where it first appears
  in reading order, defined there (emphasised, ``*term*``) or linked (:data:`TERMS`).
"""

from __future__ import annotations

import re

import nbformat
import pytest
from book_toc import ROOT, chapter_notebooks

CHAPTERS = chapter_notebooks()
WORD_BUDGET = 3_500
TEACHING_ASSERTS = 2
CHECK_TAG = "hide-cell"
CHECK_TITLE = re.compile(r"\A# @title Check: \S")
FENCE = re.compile(r"^(`{3,}|~{3,})(?!\{)[^\n]*\n.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)

# (chapter, pattern): claims found false against the chapter's own outputs, in their old wording.
RETRACTED = [
    ("01_why_attention", r"the two models agree"),
    ("01_why_attention", r"two dark cells"),
    ("01_why_attention", r"target of 0\.6"),
    ("01_why_attention", r"largest gap grows to 0\.40"),
    ("01_why_attention", r"Fig(ure|\.) 2 in miniature"),
    ("01_why_attention", r"lead grows as sentences get longer"),
    ("01_why_attention", r"not luck of the sample"),
    ("*", r"padding at the end of a row is harmless"),
    ("*", r"degrades faster"),
    ("*", r"sharper weights"),
    ("*", r"heatmap shows which words the translation skipped"),
    ("*", r"one vector can carry 8 tokens"),
]

# Terms used before they are explained, once: where each first appears, it is defined or linked.
TERMS = ["teacher forcing", "teacher-forced", "sacreBLEU signature", "deep output", "maxout", "cuDNN",
         "topk", "paired bootstrap", "multi-reference", "AER", "beam search", "packed sequence"]


def load(chapter: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4)


def prose(cell) -> str:
    """A markdown cell's text without its fenced code (directives such as ``{exercise}`` stay)."""
    return FENCE.sub("", cell.source)


def describe(cell) -> str:
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else "<empty>"
    return repr(first[:70])


def is_check(cell) -> bool:
    return CHECK_TAG in cell.metadata.get("tags", [])


def test_six_chapters_in_the_papers_order():
    assert CHAPTERS == ["notebooks/01_why_attention", "notebooks/02_additive_attention",
                        "notebooks/03_decoder_loop", "notebooks/04_training",
                        "notebooks/05_search_and_measuring", "notebooks/06_papers_model"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_within_the_word_budget(chapter):
    words = sum(len(prose(cell).split()) for cell in load(chapter).cells if cell.cell_type == "markdown")
    assert words <= WORD_BUDGET, f"{words} words of prose, over the budget of {WORD_BUDGET}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_closes_with_a_summary_before_its_exercises(chapter):
    headings = [line for cell in load(chapter).cells if cell.cell_type == "markdown"
                for line in cell.source.splitlines() if line.startswith("## ")]
    assert headings[-2:] == ["## Summary", "## Exercises"], headings[-3:]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_check_cells_are_hidden_collapsed_and_silent(chapter):
    problems = []
    for cell in load(chapter).cells:
        if cell.cell_type != "code" or not is_check(cell):
            continue
        if not CHECK_TITLE.match(cell.source):
            problems.append(f"{describe(cell)}: a check cell starts with '# @title Check: <what it checks>'")
        if cell.metadata.get("jupyter", {}).get("source_hidden") is not True:
            problems.append(f"{describe(cell)}: needs metadata jupyter.source_hidden = true")
        if cell.metadata.get("cellView") != "form":
            problems.append(f"{describe(cell)}: needs metadata cellView = 'form' (Colab)")
        if "assert" not in cell.source:
            problems.append(f"{describe(cell)}: a check cell that asserts nothing")
        if cell.outputs:
            problems.append(f"{describe(cell)}: a check cell prints nothing")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_reader_cells_keep_only_the_asserts_that_teach(chapter):
    crowded = [f"{describe(cell)}: {n} asserts" for cell in load(chapter).cells
               if cell.cell_type == "code" and not is_check(cell)
               and (n := len(re.findall(r"^\s*assert\b", cell.source, re.MULTILINE))) > TEACHING_ASSERTS]
    assert not crowded, "move the checks into a check cell:\n" + "\n".join(crowded)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_has_check_cells(chapter):
    assert any(cell.cell_type == "code" and is_check(cell) for cell in load(chapter).cells)


@pytest.mark.parametrize("chapter,pattern", RETRACTED)
def test_a_retracted_claim_stays_retracted(chapter, pattern):
    chapters = CHAPTERS if chapter == "*" else [f"notebooks/{chapter}"]
    found = [f"{name}: {match.group(0)!r}" for name in chapters for cell in load(name).cells
             if cell.cell_type == "markdown" for match in re.finditer(pattern, cell.source, re.IGNORECASE)]
    assert not found, found


def test_a_made_up_weight_never_stands_for_the_model():
    for chapter in CHAPTERS:
        assert "EXAMPLE_WEIGHTS" not in (ROOT / f"{chapter}.ipynb").read_text(), chapter


def first_use(term: str) -> tuple[str, str] | None:
    """The chapter and paragraph where ``term`` first appears in reading order, or None."""
    pattern = re.compile(rf"\b{re.escape(term)}\b", re.IGNORECASE)
    for chapter in CHAPTERS:
        for cell in load(chapter).cells:
            if cell.cell_type != "markdown":
                continue
            for paragraph in re.split(r"\n\s*\n", prose(cell)):
                if pattern.search(paragraph):
                    return chapter, paragraph
    return None


@pytest.mark.parametrize("term", TERMS)
def test_a_term_is_defined_or_linked_where_it_first_appears(term):
    found = first_use(term)
    if found is None:
        return
    chapter, paragraph = found
    word = re.escape(term)
    defined = re.search(rf"\*{{1,2}}[^*\n]*{word}[^*\n]*\*{{1,2}}", paragraph, re.IGNORECASE)
    linked = re.search(rf"\[[^\]]*{word}[^\]]*\]\([^)]+\)|\{{(term|ref|doc)\}}`[^`]*{word}", paragraph, re.IGNORECASE)
    assert defined or linked, (
        f"{chapter}: first use of {term!r} is neither defined (*{term}*) nor linked: {paragraph[:200]!r}"
    )
