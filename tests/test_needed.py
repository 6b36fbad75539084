"""bahdanau.exercises.needed: the grader runs the chapter's cells that the exercises need, and
every cell when it cannot tell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from book_toc import chapter_notebooks

from bahdanau.exercises.guard import Guard
from bahdanau.exercises.needed import EXERCISES_HEADING, needed_cells

ROOT = Path(__file__).resolve().parents[1]


def notebook(*chapter: str, exercises: list[str]) -> list[dict]:
    """A chapter's code cells, the exercises' heading, then the exercises' code cells."""
    return ([nbformat.v4.new_code_cell(source) for source in chapter]
            + [nbformat.v4.new_markdown_cell(f"{EXERCISES_HEADING}\n\nAnswer below.")]
            + [nbformat.v4.new_code_cell(source) for source in exercises])


def kept_chapter_cells(cells: list) -> list[int]:
    """The code cells above the exercises that the grader runs."""
    start = next(i for i, cell in enumerate(cells)
                 if cell.cell_type == "markdown" and cell.source.startswith(EXERCISES_HEADING))
    return [i for i in needed_cells(cells) if i < start and cells[i].cell_type == "code"]


CHAPTER = [
    "import torch\nimport matplotlib.pyplot as plt\nfrom bahdanau import exercises",  # 0
    "corpus = load_corpus(config)",  # 1
    "model = make_model(len(corpus.src_vocab))",  # 2: reads corpus
    "history = fit(model, corpus.loader('train'))",  # 3: trains model in place
    "fig, ax = plt.subplots()\nax.plot(history.val_loss)\nshow(fig)",  # 4: a plot
    "x = torch.zeros(3)\nprint(x.sum())",  # 5: a demonstration
    "model.eval()",  # 6: a method call changes model
]


def test_only_the_imports_when_the_exercises_read_nothing_else():
    cells = notebook(*CHAPTER, exercises=["answer = None\nexercises.check_shapes(answer)"])
    assert kept_chapter_cells(cells) == [0]


def test_a_name_an_answer_reads_keeps_every_cell_that_makes_or_changes_it():
    cells = notebook(*CHAPTER, exercises=["answer = model.decoder\nexercises.check_decoder(answer)"])
    # model: made in 2 (from corpus, made in 1), trained in 3, switched to eval in 6; not the plot
    # or the demonstration, and not torch.zeros: calling a module's function changes nothing.
    assert kept_chapter_cells(cells) == [0, 1, 2, 3, 6]


def test_what_an_answer_binds_itself_or_a_function_keeps_to_itself_needs_no_chapter_cell():
    exercises = [
        "fig = make_figure()\nshow(fig)",  # binds fig before reading it
        "def answer(history):\n    x = history[0]\n    return [x for corpus in history]",  # locals
        "exercises.check_history(answer)",
    ]
    assert kept_chapter_cells(notebook(*CHAPTER, exercises=exercises)) == [0]
    uses_global = ["def answer():\n    global x\n    x = 1\n    return x"]  # the notebook's x
    assert kept_chapter_cells(notebook(*CHAPTER, exercises=uses_global)) == [0, 5]


def test_built_ins_handed_over_change_nothing_unless_the_notebook_rebinds_them():
    chapter = ["sizes = [1, 2]", "lengths = list(map(len, sizes))"]
    assert kept_chapter_cells(notebook(*chapter, exercises=["answer = len('abc')"])) == []
    rebinds = ["len = lambda s: 0", *chapter]  # now len is the notebook's, and map() may keep it
    assert kept_chapter_cells(notebook(*rebinds, exercises=["answer = len('abc')"])) == [0, 1, 2]


@pytest.mark.parametrize("exercise", [
    "%time answer = model",  # a magic: IPython syntax
    "answer = eval('model')",  # a name reached by string
    "answer = globals()['model']",
    "answer = (",  # does not parse
])
def test_every_cell_runs_when_the_exercises_cannot_be_read(exercise):
    cells = notebook(*CHAPTER, exercises=[exercise])
    assert needed_cells(cells) == list(range(len(cells)))


def test_every_cell_runs_when_a_needed_cell_cannot_be_read():
    cells = notebook("import torch", "%%capture\nmodel = make()", "y = 1", exercises=["answer = y"])
    assert needed_cells(cells) == list(range(len(cells)))


def test_every_cell_runs_without_the_exercises_heading():
    cells = [nbformat.v4.new_code_cell(source) for source in CHAPTER]
    assert needed_cells(cells) == list(range(len(CHAPTER)))


def test_markdown_stays_and_the_guard_drops_the_unneeded_code():
    cells = notebook(*CHAPTER, exercises=["answer = None\nexercises.check_shapes(answer)"])
    cells.insert(2, nbformat.v4.new_markdown_cell("Some prose."))
    guarded = Guard().before_execution(nbformat.v4.new_notebook(cells=cells))
    sources = [cell.source for cell in guarded.cells]
    assert sources[1:3] == [CHAPTER[0], "Some prose."]  # after the guard cell
    assert not set(CHAPTER[1:]) & set(sources)
    assert sources[-1] == "answer = None\nexercises.check_shapes(answer)"


@pytest.mark.parametrize("chapter", chapter_notebooks())
def test_each_chapters_exercises_need_only_its_imports(chapter):
    """What makes grading quick: no chapter's exercises need its training runs, measurements or
    plots (chapter 4's training cell takes about a minute), nor the Colab set-up cell; only the
    cell of imports (and seeds) runs before them."""
    cells = nbformat.read(ROOT / f"{chapter}.ipynb", as_version=4).cells
    code = [i for i, cell in enumerate(cells) if cell.cell_type == "code"]
    assert 'if "google.colab" in sys.modules' in cells[code[0]].source
    assert cells[code[1]].source.startswith("import ")
    assert kept_chapter_cells(cells) == [code[1]]
