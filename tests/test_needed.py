"""bahdanau.exercises.needed: the grader runs the chapter's cells that the exercises need, and
every cell when it cannot tell."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from book_toc import chapter_notebooks

from bahdanau.exercises.guard import Guard
from bahdanau.exercises.needed import EXERCISES_HEADING, needed_cells, needed_code

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
    # After the guard cell: the cell of imports without the two the exercises do not read.
    assert sources[1:3] == ["from bahdanau import exercises", "Some prose."]
    assert not set(CHAPTER[1:]) & set(sources)
    assert sources[-1] == "answer = None\nexercises.check_shapes(answer)"


def chapter_sources(cells: list) -> dict[int, str]:
    """What the grader runs of each kept code cell above the exercises."""
    kept = set(kept_chapter_cells(cells))
    return {i: source for i, source in needed_code(cells) if i in kept}


def test_a_kept_cell_runs_without_the_imports_nothing_reads_after_them():
    chapter = [
        "from __future__ import annotations\nimport torch\nimport numpy as np\nimport d2l.torch as d2l\n"
        "from bahdanau import (\n    exercises,\n    tokenize,\n)\nimport math; x = math.pi\n"
        "import os.path\nsizes = [os.path.sep]",
        "y = np.zeros(2)",  # reads np, but no exercise reads y: not kept, so np is not needed
    ]
    cells = notebook(*chapter, exercises=["answer = torch.zeros(2)\nexercises.check_shapes(answer)"])
    assert needed_cells(cells) == [0, 2, 3]
    # Gone: numpy and d2l. Kept: __future__, torch and bahdanau's import (the exercises read torch
    # and exercises; the statement stays whole, tokenize with it), math (it shares its line with
    # x = ...), and os (the cell's own next statement reads it).
    assert chapter_sources(cells) == {0: "from __future__ import annotations\nimport torch\n"
                                         "from bahdanau import (\n    exercises,\n    tokenize,\n)\n"
                                         "import math; x = math.pi\nimport os.path\nsizes = [os.path.sep]"}
    # A name a later kept cell reads, or an answer reads, keeps its import.
    reads_np = notebook(*chapter, exercises=["answer = (y, d2l)"])
    assert "import numpy as np\nimport d2l.torch as d2l\n" in chapter_sources(reads_np)[0]
    # An import that loads a submodule into a package something reads stays (answer reads
    # torch.nn.functional, loaded by the line that binds F); so does a relative import.
    chapter = ["import torch\nimport torch.nn.functional as F\nfrom torch.nn import utils\nfrom . import x"]
    loads = notebook(*chapter, exercises=["answer = torch.nn.functional.relu"])
    assert chapter_sources(loads) == {0: chapter[0]}
    # The exercises' cells and the markdown run as they are.
    assert [source for i, source in needed_code(cells) if i >= 2] == [cells[2].source, cells[3].source]


D2L_CHAPTERS = {"notebooks/02_additive_attention", "notebooks/03_decoder_loop", "notebooks/05_search_and_measuring"}


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
    # And of those imports, only what the exercises read: not d2l's (seconds to import), which
    # chapters 2, 3 and 5 import for their comparisons.
    assert "import d2l" not in chapter_sources(cells)[code[1]]
    assert ("import d2l" in cells[code[1]].source) == (chapter in D2L_CHAPTERS)
