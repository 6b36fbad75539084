"""Keep one submission from stopping the grader: a time limit per cell, a cap on printed output.

The autograder (Otter-Grader, see ``book/instructors.md``) executes a student's notebook cell by
cell in a kernel and then runs the tests. Three things a learner's notebook can do would otherwise
stop or swamp it: a loop that never ends, a print in a loop that writes megabytes, and an error.
Otter keeps executing after a failing cell; the other two are handled here, inside the kernel, by
one cell that :class:`Guard` (an Otter plugin) puts first. The plugin also leaves out the
chapter's cells that the exercises do not need (:mod:`bahdanau.exercises.needed`: training runs,
measurements and plots take most of a chapter's time and earn no point), so a notebook grades
in seconds. Then:

- every cell of the exercises, the tests' cells included, runs under a time limit (the chapter's
  own cells before them under a longer one): after ``time_limit`` seconds
  :class:`TimeLimitExceeded` is raised inside the cell, and again every ``time_limit`` seconds
  if the code swallows it, so a test that calls a function that never returns fails alone and
  grading goes on with the next test;
- each cell may print ``max_output`` characters (stdout and stderr together); the rest is
  dropped, with one line saying how much;
- a cell that raises is recorded with the error and the answer variable it names, so that the
  report can say why an exercise got no points.

Each event is appended, as one JSON object per line, to the file named by the environment
variable ``BAHDANAU_GRADING_EVENTS`` when it is set, so that the grader can report why a
submission lost points (``book/grading/grade.py`` does). ``BAHDANAU_GRADING_TIME_LIMIT`` and
``BAHDANAU_GRADING_MAX_OUTPUT`` override the plugin's settings (for a quicker local run).

Nothing here knows any exercise or its answer.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from dataclasses import dataclass

from .needed import EXERCISES_HEADING, needed_code

__all__ = ["TimeLimitExceeded", "Guard", "install", "start_exercises", "guard_cell_source", "TIME_LIMIT",
           "CHAPTER_TIME_LIMIT", "MAX_OUTPUT"]

TIME_LIMIT = 60.0  # seconds per cell of the exercises; each takes a few seconds at most
# Seconds per cell of the chapter before the exercises (the book's own code, which a student
# does not edit): its slowest cells train for tens of seconds on a busy machine.
CHAPTER_TIME_LIMIT = 600.0
MAX_OUTPUT = 100_000  # characters printed per cell


class TimeLimitExceeded(Exception):
    """A cell ran longer than the grader's time limit.

    An ``Exception``, not a ``BaseException``: Otter's test runner records it as that test's
    failure and goes on with the next test.
    """


def _record(event: dict) -> None:
    path = os.environ.get("BAHDANAU_GRADING_EVENTS")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(event) + "\n")


class _CappedStream:
    """A text stream that passes on at most ``budget.limit`` characters per cell."""

    def __init__(self, stream, budget: _Budget):
        self._stream = stream
        self._budget = budget

    def write(self, text: str) -> int:
        allowed = self._budget.take(len(text))
        if allowed:
            self._stream.write(text[:allowed])
        return len(text)

    def __getattr__(self, name):  # flush, isatty, encoding, ... of the wrapped stream
        return getattr(self._stream, name)


@dataclass
class _Budget:
    limit: int
    used: int = 0
    dropped: int = 0

    def take(self, wanted: int) -> int:
        allowed = max(0, min(wanted, self.limit - self.used))
        self.used += allowed
        self.dropped += wanted - allowed
        return allowed


class _CellGuard:
    """IPython ``pre_run_cell`` / ``post_run_cell`` callbacks: arm the timer, cap the output."""

    def __init__(self, time_limit: float, max_output: int, chapter_time_limit: float | None = None):
        self.time_limit = time_limit
        self.limit = chapter_time_limit or time_limit  # the limit of the cells to come
        self.budget = _Budget(max_output)
        self.cell = 0
        self.answer: str | None = None
        self.first_line = ""
        self.streams = None

    def _on_alarm(self, signum, frame):
        _record({"event": "time_limit", "cell": self.cell, "seconds": self.limit})
        raise TimeLimitExceeded(f"this cell ran for more than {self.limit:g} s, the grader's time limit")

    def pre_run_cell(self, info=None):
        self.cell += 1
        # The first answer variable the cell names, to say which exercise an error belongs to.
        source = getattr(info, "raw_cell", "") or ""
        answer = re.search(r"\banswer_\w+", source)
        self.answer = answer.group(0) if answer else None
        code = [line.strip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        self.first_line = code[0][:60] if code else ""
        self.budget.used = self.budget.dropped = 0
        self.streams = (sys.stdout, sys.stderr)
        sys.stdout = _CappedStream(sys.stdout, self.budget)
        sys.stderr = _CappedStream(sys.stderr, self.budget)
        signal.signal(signal.SIGALRM, self._on_alarm)
        # Repeats: code that catches the exception and loops on is interrupted again.
        signal.setitimer(signal.ITIMER_REAL, self.limit, self.limit)

    def post_run_cell(self, result=None):
        signal.setitimer(signal.ITIMER_REAL, 0)
        error = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if error is not None and not isinstance(error, TimeLimitExceeded):
            message = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
            _record({"event": "error", "cell": self.cell, "answer": self.answer, "code": self.first_line,
                     "error": f"{type(error).__name__}: {message}" if message else type(error).__name__})
        if self.streams is not None:
            sys.stdout, sys.stderr = self.streams
            self.streams = None
        if self.budget.dropped:
            _record({"event": "output_capped", "cell": self.cell, "dropped": self.budget.dropped})
            print(f"[the grader dropped {self.budget.dropped:,} characters of output from this cell: "
                  f"it keeps {self.budget.limit:,}]")


_active: _CellGuard | None = None


def install(time_limit: float = TIME_LIMIT, max_output: int = MAX_OUTPUT,
            chapter_time_limit: float | None = None) -> None:
    """Guard every following cell of the running IPython kernel (see the module docstring).

    With ``chapter_time_limit``, the cells run under that limit until :func:`start_exercises`,
    and under ``time_limit`` after it.
    """
    global _active
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RuntimeError("bahdanau.exercises.guard.install runs inside an IPython kernel")
    time_limit = float(os.environ.get("BAHDANAU_GRADING_TIME_LIMIT", time_limit))
    max_output = int(os.environ.get("BAHDANAU_GRADING_MAX_OUTPUT", max_output))
    cell_guard = _CellGuard(time_limit, max_output, chapter_time_limit)
    _active = cell_guard
    shell.events.register("pre_run_cell", cell_guard.pre_run_cell)
    shell.events.register("post_run_cell", cell_guard.post_run_cell)


def start_exercises() -> None:
    """From the next cell on, the exercises' time limit applies."""
    if _active is None:
        raise RuntimeError("call bahdanau.exercises.guard.install first")
    _active.limit = _active.time_limit


def guard_cell_source(time_limit: float = TIME_LIMIT, max_output: int = MAX_OUTPUT,
                      chapter_time_limit: float | None = None) -> str:
    """The code of the cell that :class:`Guard` puts first in a submission."""
    return ("from bahdanau.exercises.guard import install as _install_guard\n"
            f"_install_guard(time_limit={float(time_limit)!r}, max_output={int(max_output)!r}, "
            f"chapter_time_limit={chapter_time_limit!r})")


START_EXERCISES_SOURCE = "from bahdanau.exercises.guard import start_exercises as _start\n_start()"


class Guard:
    """An Otter-Grader plugin: before a submission runs, keep only the cells the exercises need
    (:func:`~bahdanau.exercises.needed.needed_code`) and put the guard cell first.

    Configured in the assignment (``plugins`` in ``otter_config.json``) with optional
    ``time_limit``, ``chapter_time_limit`` and ``max_output``. The exercises' time limit starts at
    the notebook's "## Exercises" heading (from the start, if it has none). Otter loads plugins
    by name and calls the events they define, so this class needs nothing from Otter itself.
    """

    def __init__(self, submission_path=None, submission_metadata=None, plugin_config=None):
        config = plugin_config or {}
        self.time_limit = float(config.get("time_limit", TIME_LIMIT))
        self.max_output = int(config.get("max_output", MAX_OUTPUT))
        self.chapter_time_limit = float(config.get("chapter_time_limit", CHAPTER_TIME_LIMIT))

    def before_execution(self, submission):
        """Otter's event before executing the notebook: the guard cell goes first."""
        import nbformat

        if isinstance(submission, str):  # a script submission: nothing to guard cell by cell
            return submission
        # Only the chapter's cells that the exercises need, without the imports they do not read
        # (bahdanau.exercises.needed).
        kept = needed_code(submission.cells)
        for index, source in kept:
            submission.cells[index].source = source
        submission.cells = [submission.cells[index] for index, _ in kept]
        exercises = next((i for i, cell in enumerate(submission.cells) if cell.cell_type == "markdown"
                          and cell.source.lstrip().startswith(EXERCISES_HEADING)), None)
        if exercises is not None:
            submission.cells.insert(exercises, nbformat.v4.new_code_cell(START_EXERCISES_SOURCE))
        chapter_limit = self.chapter_time_limit if exercises is not None else None
        cell = nbformat.v4.new_code_cell(guard_cell_source(self.time_limit, self.max_output, chapter_limit))
        submission.cells.insert(0, cell)
        return submission
