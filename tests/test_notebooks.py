"""The chapter notebooks follow the book's rules.

Every notebook listed in ``_toc.yml`` must exist and be stored fully executed, because the book
renders the stored outputs (``execute_notebooks: 'off'``) and nbval, in ``make test``, re-runs
each notebook and compares its outputs with them. This file checks what nbval cannot: the
order of execution, the Colab set-up cell, the opening objectives and the heatmap that closes the
chapter (before its exercises), that most outputs are really compared, and that no output would
look wrong in the book.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import nbformat
import pytest
import yaml
from book_toc import chapter_notebooks

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())

# Text that must never appear in an output: machine paths, matplotlib reprs, warnings.
FORBIDDEN_TEXT = ("/root/", "/tmp/", "/work/", "../shared", "<Figure size", "[<matplotlib", "Warning")
# Output types the static book cannot show well: SVG (figures must be PNG).
FORBIDDEN_MIME = ("image/svg+xml",)
# A widget is dead in the static book (progress bars, ...): allowed only with a PNG of its state
# beside it, which the book shows instead (bahdanau.chapters.interactive's views), and a text for nbval.
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
BINARY_MIME = ("image/png", "image/jpeg")
NOT_COMPARED_TAGS = {"nbval-ignore-output", "nbval-skip"}
# The rendered book's code column holds 78 characters (STYLE.md, "On the page"); ruff enforces
# it on the code (notebooks/ruff.toml), test_printed_lines_fit_the_page on what the code prints.
PAGE_WIDTH = 78


NOTEBOOKS = [f"{chapter}.ipynb" for chapter in chapter_notebooks()]


@cache
def load(notebook: str) -> nbformat.NotebookNode:
    path = ROOT / notebook
    if not path.is_file():
        pytest.fail(f"{notebook} is listed in _toc.yml but does not exist")
    return nbformat.read(path, as_version=4)


def code_cells(notebook: str) -> list[nbformat.NotebookNode]:
    return [cell for cell in load(notebook).cells if cell.cell_type == "code"]


def tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def describe(cell) -> str:
    """A cell's first line, to say which cell a failure is about."""
    first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else "<empty>"
    return f"[{cell.get('execution_count')}] {first_line[:70]!r}"


def output_texts(output) -> list[str]:
    """Every piece of text an output would show (not the base64 of images)."""
    if output.output_type == "stream":
        return [output.text]
    if output.output_type == "error":
        return ["\n".join(output.get("traceback", []))]
    texts = []
    for mime, value in output.get("data", {}).items():
        if mime not in BINARY_MIME:
            texts.append(value if isinstance(value, str) else str(value))
    return texts


def test_config_launches_the_main_branch_and_never_executes():
    assert CONFIG["execute"]["execute_notebooks"] == "off", "quote it: execute_notebooks: 'off'"
    repository = CONFIG["repository"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository["url"]), repository["url"]
    assert repository["branch"] == "main"
    launch = CONFIG["launch_buttons"]
    assert launch.get("colab_url", "").startswith("https://"), "no Colab launch button"
    assert launch.get("binderhub_url", "").startswith("https://"), "no Binder launch button"
    html = CONFIG.get("html", {})
    assert html.get("use_repository_button") and html.get("use_issues_button")


def test_toc_lists_the_chapter_notebooks():
    assert NOTEBOOKS, "_toc.yml lists no notebook under notebooks/"
    assert len(set(NOTEBOOKS)) == len(NOTEBOOKS), "a notebook is listed twice"
    missing = [notebook for notebook in NOTEBOOKS if not (ROOT / notebook).is_file()]
    assert not missing, f"listed in _toc.yml but missing: {missing}"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_is_valid_and_executed_in_order(notebook):
    nbformat.validate(load(notebook))
    cells = code_cells(notebook)
    assert cells, "no code cells"
    unexecuted = [describe(cell) for cell in cells if cell.get("execution_count") is None]
    assert not unexecuted, f"unexecuted (or empty) code cells: {unexecuted}"
    counts = [cell.execution_count for cell in cells]
    assert counts[0] == 1, f"execution counts start at {counts[0]}: restart the kernel and run all"
    out_of_order = [(a, b) for a, b in zip(counts, counts[1:]) if b <= a]
    assert not out_of_order, f"execution counts not increasing: {out_of_order}; restart and run all"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_first_code_cell_is_the_colab_setup(notebook):
    cell = code_cells(notebook)[0]
    assert "remove-cell" in tags(cell), "the Colab set-up cell must be tagged remove-cell"
    assert re.search(r"^import sys$", cell.source, re.MULTILINE), "the Colab cell must import sys"
    assert re.search(r"""^if (["'])google\.colab\1 in sys\.modules:""", cell.source, re.MULTILINE), (
        "the Colab cell must be guarded by: if 'google.colab' in sys.modules:"
    )
    urls = re.findall(r"""https?://[^\s'"{}]+""", cell.source)
    assert urls, "the Colab cell names no repository"
    for url in urls:
        assert url.removesuffix(".git") == CONFIG["repository"]["url"], (
            f"{url} differs from repository.url in _config.yml"
        )
    assert f"@{CONFIG['repository']['branch']}" in cell.source, "the Colab cell must install the main branch"
    assert not cell.outputs, "the Colab cell must print nothing outside Colab"


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_opens_with_objectives_and_closes_with_a_heatmap(notebook):
    cells = load(notebook).cells
    assert cells[0].cell_type == "markdown" and re.match(r"# \S", cells[0].source), (
        "the first cell must be markdown starting with the chapter title '# N. Title'"
    )
    assert any(
        cell.cell_type == "markdown" and "what you will learn" in cell.source.lower() for cell in cells
    ), "no markdown cell with the learning objectives ('What you will learn')"
    # The chapter's own content ends where its "## Exercises" section (if any) begins.
    exercises_start = next(
        (i for i, cell in enumerate(cells)
         if cell.cell_type == "markdown" and re.search(r"^## Exercises\s*$", cell.source, re.MULTILINE)),
        len(cells),
    )
    with_output = [cell for cell in cells[:exercises_start] if cell.cell_type == "code" and cell.outputs]
    assert with_output, "no code cell has an output"
    last = with_output[-1]
    assert any("image/png" in output.get("data", {}) for output in last.outputs), (
        f"the last code cell with output before the exercises, {describe(last)}, must show the closing heatmap as a PNG"
    )
    # And the notebook itself ends with a heatmap: the last exercise asks the reader to read one.
    final = [cell for cell in cells if cell.cell_type == "code" and cell.outputs][-1]
    assert "image/png" in final.outputs[-1].get("data", {}), (
        f"the notebook's last output, in {describe(final)}, must be a heatmap (PNG)"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_most_outputs_are_compared_by_nbval(notebook):
    with_output = [cell for cell in code_cells(notebook) if cell.outputs]
    ignored = [describe(cell) for cell in with_output if tags(cell) & NOT_COMPARED_TAGS]
    compared = len(with_output) - len(ignored)
    assert 2 * compared >= len(with_output), (
        f"only {compared} of {len(with_output)} code cells with output are compared; ignored: {ignored}"
    )


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_outputs_are_clean(notebook):
    problems = []
    for cell in code_cells(notebook):
        if "sys.path" in cell.source:
            problems.append(f"{describe(cell)}: edits sys.path (import the installed package instead)")
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"{describe(cell)}: raised {output.get('ename')}")
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{describe(cell)}: writes to stderr: {output.text[:120]!r}")
            for mime in FORBIDDEN_MIME:
                if mime in output.get("data", {}):
                    problems.append(f"{describe(cell)}: has a {mime} output")
            data = output.get("data", {})
            if WIDGET_MIME in data and not {"image/png", "text/plain"} <= data.keys():
                problems.append(f"{describe(cell)}: a widget without a PNG and a text to stand for it in the book")
            for text in output_texts(output):
                for forbidden in FORBIDDEN_TEXT:
                    if forbidden in text:
                        start = max(text.index(forbidden) - 40, 0)
                        problems.append(f"{describe(cell)}: {forbidden!r} in {text[start:start + 120]!r}")
    assert not problems, "\n".join(problems)


def printed_lines(output) -> list[str]:
    """The lines of an output's stream text or text/plain, as the book shows them.

    A text/plain beside a PNG is not shown (the book picks the image: a figure's repr, the
    summary that stands for a widget for nbval), so it is not checked.
    """
    data = output.get("data", {})
    if output.output_type == "stream":
        text = output.text
    elif output.output_type in ("execute_result", "display_data") and "image/png" not in data:
        text = data.get("text/plain", "")
    else:
        return []
    # A carriage return redraws the line (progress bars): only its last state stays visible.
    return [line.rsplit("\r", 1)[-1] for line in text.splitlines()]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_printed_lines_fit_the_page(notebook):
    too_long = [
        f"{describe(cell)}: {len(line)} characters: {line[:60]!r}..."
        for cell in code_cells(notebook)
        for output in cell.outputs
        for line in printed_lines(output)
        if len(line) > PAGE_WIDTH
    ]
    assert not too_long, f"printed lines longer than {PAGE_WIDTH} characters:\n" + "\n".join(too_long)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_streams_are_merged(notebook):
    """One block of printed text per stream, not one per flush: the book would show each as a
    separate output box. The kernel flushes on a timer, so even two prints in a row can land in
    two outputs; executing with nbconvert's CoalesceStreamsPreprocessor merges them."""
    split = []
    for cell in code_cells(notebook):
        for previous, output in zip(cell.outputs, cell.outputs[1:]):
            if previous.output_type == output.output_type == "stream" and previous.name == output.name:
                split.append(f"{describe(cell)}: consecutive {output.name} outputs")
    assert not split, (
        "re-execute with --NotebookExporter.preprocessors="
        "'[\"nbconvert.preprocessors.CoalesceStreamsPreprocessor\"]':\n" + "\n".join(split)
    )


def test_book_merges_streams_too():
    """Merged in the stored notebooks, and in the book whatever a re-execution stores."""
    assert CONFIG["sphinx"]["config"].get("nb_merge_streams") is True
