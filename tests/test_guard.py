"""bahdanau.exercises.guard: a time limit per cell and a cap on output, inside a real kernel."""

from __future__ import annotations

import json
import time

import nbformat
import pytest
from nbclient import NotebookClient

from bahdanau.exercises.guard import Guard, guard_cell_source


def run(cells: list[str], tmp_path, monkeypatch, **guard) -> tuple[nbformat.NotebookNode, list[dict]]:
    """Execute ``cells`` after the guard cell, errors allowed; the notebook and the events."""
    events = tmp_path / "events.jsonl"
    monkeypatch.setenv("BAHDANAU_GRADING_EVENTS", str(events))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook = Guard(plugin_config=guard).before_execution(notebook)
    NotebookClient(notebook, timeout=120, allow_errors=True, kernel_name="python3").execute()
    recorded = [json.loads(line) for line in events.read_text().splitlines()] if events.exists() else []
    return notebook, recorded


def text(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


def errors(cell) -> list[str]:
    return [output.ename for output in cell.outputs if output.output_type == "error"]


def test_the_guard_cell_goes_first():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    guarded = Guard(plugin_config={"time_limit": 5, "max_output": 10}).before_execution(notebook)
    assert guarded.cells[0].source == guard_cell_source(5, 10)
    assert guarded.cells[1].source == "x = 1"
    assert Guard().before_execution("print(1)") == "print(1)"  # a script: left as it is


@pytest.mark.slow
def test_a_cell_that_never_ends_is_stopped_and_the_next_cells_run(tmp_path, monkeypatch):
    start = time.perf_counter()
    notebook, events = run([
        "while True:\n    pass",
        # Catching the exception once does not help: it comes again.
        "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass",
        "print('after')",
    ], tmp_path, monkeypatch, time_limit=1.5)
    assert time.perf_counter() - start < 60
    assert errors(notebook.cells[1]) == ["TimeLimitExceeded"]
    assert errors(notebook.cells[2]) == ["TimeLimitExceeded"]
    assert text(notebook.cells[3]) == "after\n" and not errors(notebook.cells[3])
    assert [e["event"] for e in events].count("time_limit") >= 2
    assert {e["cell"] for e in events if e["event"] == "time_limit"} >= {1, 2}


@pytest.mark.slow
def test_output_is_capped_per_cell_and_quick_cells_are_untouched(tmp_path, monkeypatch):
    notebook, events = run([
        "for i in range(100_000):\n    print('x' * 20)",
        "import time\ntime.sleep(0.2)\nprint('short')",
    ], tmp_path, monkeypatch, time_limit=10, max_output=1000)
    capped = text(notebook.cells[1])
    assert len(capped) < 1200
    assert "the grader dropped 2,099,000 characters of output from this cell: it keeps 1,000" in capped
    assert text(notebook.cells[2]) == "short\n"
    assert events == [{"event": "output_capped", "cell": 1, "dropped": 2_099_000}]


@pytest.mark.slow
def test_the_environment_overrides_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("BAHDANAU_GRADING_TIME_LIMIT", "1")
    notebook, events = run(["import time\ntime.sleep(30)"], tmp_path, monkeypatch, time_limit=600)
    assert errors(notebook.cells[1]) == ["TimeLimitExceeded"]
    assert events[0]["seconds"] == 1


@pytest.mark.slow
def test_an_error_is_recorded_with_the_answer_it_belongs_to(tmp_path, monkeypatch):
    notebook, events = run(["x = 1", "answer_weight = 1 / 0", "print('still running')"], tmp_path, monkeypatch)
    assert errors(notebook.cells[2]) == ["ZeroDivisionError"]
    assert text(notebook.cells[3]) == "still running\n"
    assert events == [{"event": "error", "cell": 2, "answer": "answer_weight", "code": "answer_weight = 1 / 0",
                       "error": "ZeroDivisionError: division by zero"}]


@pytest.mark.slow
def test_the_chapters_cells_get_the_longer_limit_until_the_exercises(tmp_path, monkeypatch):
    events = tmp_path / "events.jsonl"
    monkeypatch.setenv("BAHDANAU_GRADING_EVENTS", str(events))
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\ntime.sleep(2)\nprint('chapter')"),
        nbformat.v4.new_markdown_cell("## Exercises\n\nNow the time limit."),
        nbformat.v4.new_code_cell("time.sleep(2)\nprint('exercise')"),
    ])
    guard = Guard(plugin_config={"time_limit": 1, "chapter_time_limit": 20})
    notebook = guard.before_execution(notebook)
    assert [c.cell_type for c in notebook.cells] == ["code", "code", "code", "markdown", "code"]
    NotebookClient(notebook, timeout=120, allow_errors=True, kernel_name="python3").execute()
    assert text(notebook.cells[1]) == "chapter\n" and not errors(notebook.cells[1])
    assert errors(notebook.cells[4]) == ["TimeLimitExceeded"] and "exercise" not in text(notebook.cells[4])
