"""Grade a folder of submitted notebooks locally, without Docker: ``make grade SUBMISSIONS=DIR``.

Usage::

    python book/grading/grade.py SUBMISSIONS [--assignments _build/assignments] [--out _build/grades]
                                 [--time-limit 60] [--submission-limit 900] [--jobs 2]

The three folders may be anywhere, relative (to the current folder) or absolute, with spaces in
their names: they are made absolute first, as ``otter run`` works in a folder of its own.

Every ``.ipynb`` under SUBMISSIONS is graded by Otter-Grader's ``otter run`` with its chapter's
autograder zip (the chapter is read from the notebook's Otter metadata, else from its file or
folder name), in a process of its own, so that nothing a submission does stops the others. The
autograder's guard (``bahdanau.exercises.guard``) stops any cell of the exercises after
``--time-limit`` seconds (the chapter's own cells before them after ten minutes) and caps what a
cell prints; a submission that still runs after ``--submission-limit`` seconds is
stopped and scored 0, with that reason.

A fault of the grader rather than of a submission (Otter-Grader missing or rejecting its command
line, no manifest, a chapter of the book or its autograder zip missing from the assignments)
stops the run before it writes anything: a message on stderr, exit status 1.

Writes, in OUT:

- ``grades.csv``: one row per submission: the student (the file name, or the folder name when the
  file is named after the chapter), the chapter, the points of each exercise (blank for the
  questions graded by hand, see the instructor notebook's rubrics), the autograded total, its
  maximum, and the reasons for every lost point;
- ``<chapter>.csv``: the same rows, one file per chapter, with only that chapter's columns;
- ``reports/<student>-<chapter>.txt``: Otter's full output for each question.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path

from make_assignments import CHAPTERS  # this script's neighbour: the book's chapters

ROOT = Path(__file__).resolve().parents[2]
TIME_LIMIT = 60.0
FIXED_COLUMNS = ["student", "chapter", "file"]
TOTAL_COLUMNS = ["total", "max_points", "reasons"]


class ToolError(Exception):
    """A fault of the grader, not of a submission: grading stops rather than score anyone 0."""


@dataclass
class Graded:
    """The grade of one submission."""

    student: str
    file: str
    chapter: str = ""
    scores: dict[str, float] = field(default_factory=dict)  # question -> points
    maximum: float = 0.0
    reasons: list[str] = field(default_factory=list)
    report: str = ""

    @property
    def total(self) -> float:
        return sum(self.scores.values())


def load_manifest(assignments: Path) -> dict[str, dict]:
    path = assignments / "manifest.json"
    if not path.exists():
        raise ToolError(f"{path} is missing: run `make assignments` first")
    return {entry["chapter"]: entry for entry in json.loads(path.read_text(encoding="utf-8"))["assignments"]}


def chapter_of(path: Path, submissions: Path) -> str | None:
    """The book chapter a notebook belongs to: Otter's metadata, else a chapter name in its path.

    Only the path from the submissions folder's name down counts (``02_additive_attention/alice.ipynb``),
    not the folders above it, which the instructor did not choose for the chapter.
    """
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        name = notebook.get("metadata", {}).get("otter", {}).get("assignment_name")
    except (OSError, ValueError, AttributeError):
        name = None
    if name in CHAPTERS:
        return name
    where = str(path.relative_to(submissions.parent))
    return next((chapter for chapter in CHAPTERS if chapter in where), None)


def check_tools(chapters_needed: set[str], chapters: dict[str, dict], assignments: Path) -> None:
    """Raise ToolError before grading anything if Otter or an assignment the submissions need is missing."""
    if find_spec("otter") is None:
        raise ToolError(f"Otter-Grader is not installed for {sys.executable}: run `make setup`")
    for chapter in sorted(chapters_needed):
        if chapter not in chapters:
            raise ToolError(f"{assignments} has no assignment for {chapter}, which submissions belong to: "
                            "run `make assignments`")
        autograder = assignments / chapters[chapter]["autograder"]
        if not zipfile.is_zipfile(autograder):
            raise ToolError(f"the autograder zip of {chapter}, {autograder}, is missing or not a zip file: "
                            "run `make assignments`")


# click, which reads otter's command line, exits with status 2 on a usage error.
USAGE_ERROR = 2


def tool_failure(run: subprocess.CompletedProcess) -> str | None:
    """Why ``otter run`` failed when the fault is the grader's (its command line, its installation), else None.

    Any other failure (a notebook Otter cannot read, of another assignment) is the submission's.
    """
    last = (run.stderr.strip().splitlines() or [""])[-1]
    if last.endswith("No module named otter"):
        return f"Otter-Grader is not installed for {sys.executable}: run `make setup`"
    if run.returncode == USAGE_ERROR and "Usage:" in run.stderr:
        return f"`otter run` rejected its command line: {last}"
    return None


def student_of(path: Path, submissions: Path) -> str:
    """alice.ipynb -> alice; alice/01_why_attention.ipynb -> alice."""
    stem = path.stem
    if re.fullmatch(r"\d\d_\w+", stem) and path.parent != submissions:
        return path.parent.name
    return stem


_FAILURE = re.compile(r"^\s*(?P<kind>[A-Za-z_][\w.]*(?:Error|Exception|Exceeded)): (?P<message>.*)$")


def failure_reason(output: str) -> str:
    """The message of the first failing test in Otter's output for one question, on one line."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        match = _FAILURE.match(line)
        if not match:
            continue
        message = [match.group("message").strip()]
        # A checker's feedback is wrapped: its continuation lines are indented further.
        indent = len(line) - len(line.lstrip())
        for following in lines[index + 1:]:
            if not following.strip() or len(following) - len(following.lstrip()) <= indent:
                break
            message.append(following.strip())
        kind = match.group("kind").split(".")[-1]
        text = " ".join(message)
        if kind == "AssertionError":
            return text
        return f"{kind}: {text}"
    return "a test failed" if "failed" in output.lower() else ""


def events_reasons(path: Path) -> list[str]:
    reasons = []
    if not path.exists():
        return reasons
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event["event"] == "time_limit":
            reasons.append(f"a cell ran over the time limit of {event['seconds']:g} s and was stopped")
        elif event["event"] == "error":
            where = (f"the cell of {event['answer']}" if event.get("answer")
                     else f"the cell `{event.get('code', '')}`" if event.get("code") else f"cell {event['cell']}")
            reasons.append(f"{where} raised {event['error']}")
        elif event["event"] == "output_capped":
            reasons.append(f"a cell printed {event['dropped']:,} characters more than the grader keeps")
    return sorted(set(reasons), key=reasons.index)


def grade_one(path: Path, chapter: str | None, submissions: Path, assignments: Path, chapters: dict[str, dict],
              time_limit: float, submission_limit: float, threads: int = 1) -> Graded:
    graded = Graded(student_of(path, submissions), str(path.relative_to(submissions)))
    if chapter is None:
        graded.reasons.append("not a notebook of any assignment (no Otter metadata, no chapter in its name)")
        return graded
    entry = chapters[chapter]
    graded.chapter = chapter
    automatic = [q for q in entry["questions"] if not q["manual"]]
    graded.maximum = float(sum(q["points"] for q in automatic))
    graded.scores = {q["name"]: 0.0 for q in automatic}
    try:
        json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        graded.reasons.append(f"the file is not a readable notebook ({type(error).__name__}); scored 0")
        return graded
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        events = work / "events.jsonl"
        environment = {**os.environ, "BAHDANAU_GRADING_EVENTS": str(events),
                       "BAHDANAU_GRADING_TIME_LIMIT": str(time_limit),
                       # Submissions graded side by side share the cores instead of fighting over them.
                       "OMP_NUM_THREADS": str(threads)}
        # Under the chapter's own name: the notebook's grader cell opens that file.
        submission = work / "submission" / f"{chapter}.ipynb"
        submission.parent.mkdir()
        submission.write_bytes(path.read_bytes())
        command = [sys.executable, "-m", "otter", "run", "-a", str(assignments / entry["autograder"]),
                   "-o", str(work), str(submission)]
        try:
            run = subprocess.run(command, cwd=work, env=environment, capture_output=True, text=True,
                                 timeout=submission_limit, start_new_session=True)
        except subprocess.TimeoutExpired:
            graded.reasons.append(f"grading did not finish within {submission_limit:g} s; scored 0")
            graded.reasons.extend(events_reasons(events))
            return graded
        results_path = work / "results.json"
        if not results_path.exists():
            if problem := tool_failure(run):
                raise ToolError(f"grading {path}: {problem}")
            last = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no output"]
            graded.reasons.append(f"the grader could not run this notebook ({last[0][:200]}); scored 0")
            graded.report = run.stdout + run.stderr
            return graded
        results = json.loads(results_path.read_text(encoding="utf-8"))
        graded.reasons.extend(events_reasons(events))
    report = []
    for test in results.get("tests", []):
        name = test.get("name")
        if name not in graded.scores:
            continue
        graded.scores[name] = float(test.get("score") or 0.0)
        output = test.get("output", "")
        report.append(f"== {name}: {graded.scores[name]:g} / {test.get('max_score', 0):g}\n{output}\n")
        if graded.scores[name] < float(test.get("max_score") or 0.0):
            reason = failure_reason(output)
            graded.reasons.append(f"{name}: {reason}" if reason else f"{name}: lost points")
    graded.report = "\n".join(report)
    return graded


def write_csv(path: Path, rows: list[Graded], questions: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(FIXED_COLUMNS + questions + TOTAL_COLUMNS)
        for row in rows:
            cells = [row.student, row.chapter, row.file]
            cells += [f"{row.scores[q]:g}" if q in row.scores else "" for q in questions]
            cells += [f"{row.total:g}", f"{row.maximum:g}", " | ".join(row.reasons)]
            writer.writerow(cells)


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--assignments", type=Path, default=ROOT / "_build" / "assignments")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "grades")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="seconds per cell (default 60)")
    parser.add_argument("--submission-limit", type=float, default=None,
                        help="seconds per submission (default: 15 minutes, at least 10 time limits)")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    # Absolute from here on: `otter run` works in a temporary folder, where a relative path
    # (`make grade` passes _build/assignments) would name nothing.
    for name in ("submissions", "assignments", "out"):
        setattr(args, name, getattr(args, name).expanduser().resolve())
    return args


def grade_all(args: argparse.Namespace, chapters: dict[str, dict]) -> list[Graded]:
    """Every notebook under args.submissions, graded; ToolError as soon as the grader is at fault."""
    paths = sorted(p for p in args.submissions.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    if not paths:
        sys.exit(f"no .ipynb files in {args.submissions}")
    chapter_by_path = {path: chapter_of(path, args.submissions) for path in paths}
    check_tools(set(chapter_by_path.values()) - {None}, chapters, args.assignments)
    submission_limit = args.submission_limit or max(900.0, 10 * args.time_limit)
    jobs = max(1, args.jobs)
    print(f"Grading {len(paths)} notebooks from {args.submissions}, {jobs} at a time", flush=True)

    def grade(path: Path) -> Graded:
        graded = grade_one(path, chapter_by_path[path], args.submissions, args.assignments, chapters,
                           args.time_limit, submission_limit, threads=max(1, (os.cpu_count() or 1) // jobs))
        print(f"  {graded.student} ({graded.chapter or 'unknown'}): {graded.total:g} / {graded.maximum:g}",
              flush=True)
        return graded

    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        return list(pool.map(grade, paths))
    finally:
        # After a ToolError, the notebooks not started yet are not graded: the run stops.
        pool.shutdown(cancel_futures=True)


def write_grades(out: Path, rows: list[Graded], chapters: dict[str, dict]) -> None:
    (out / "reports").mkdir(parents=True, exist_ok=True)
    every_question = []
    for chapter, entry in chapters.items():
        names = [q["name"] for q in entry["questions"] if not q["manual"]]
        chapter_rows = [row for row in rows if row.chapter == chapter]
        if chapter_rows:
            write_csv(out / f"{chapter}.csv", chapter_rows, names)
            every_question += names
    write_csv(out / "grades.csv", rows, every_question)
    for row in rows:
        (out / "reports" / f"{row.student}-{row.chapter or 'unknown'}.txt").write_text(
            f"{row.file}: {row.total:g} / {row.maximum:g}\n" + "".join(f"- {r}\n" for r in row.reasons)
            + "\n" + row.report, encoding="utf-8")
    print(f"Grades written to {out / 'grades.csv'}")


def main(argv: list[str] | None = None) -> list[Graded]:
    args = parse_arguments(argv)
    if not args.submissions.is_dir():
        sys.exit(f"{args.submissions} is not a folder of submitted notebooks")
    try:
        chapters = load_manifest(args.assignments)
        rows = grade_all(args, chapters)
    except ToolError as error:
        sys.exit(f"grade.py: grading stopped, no grades written: {error}")
    write_grades(args.out, rows, chapters)
    return rows


if __name__ == "__main__":
    main()
