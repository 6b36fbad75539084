"""`make grade`: book/grading/grade.py grades a folder of submissions with the autograder zips.

End to end, with Otter-Grader's ``otter run`` and the chapters' real assignments (the shared
``assignments`` fixture of conftest.py runs ``make_assignments.py`` once per session), all slow:

- `make grade SUBMISSIONS=DIR`, run as an instructor runs it from the repository's root, grades a
  folder outside the repository named by a relative path with a space in it: every chapter's
  instructor notebook (all reference solutions) gets full points, one with exactly one wrong
  answer loses exactly that exercise's points (the reason gives no answer away; its other
  answers, one of which reads a cell the student added to the chapter, keep theirs), an
  untouched student notebook 0 with "Not answered yet" for each question;
- a submission whose code raises, never ends, prints a lot, deletes its answer variable or lost
  its Otter metadata is graded, with each reason in the CSV, and grading goes on.

Each submission is a notebook run by Otter (its exercises, and the chapter's cells they need:
bahdanau.exercises.needed), so each behaviour is graded once (the checkers' own "Not answered
yet" in every chapter is checked without Otter, in tests/test_exercises.py; that no student
notebook holds an answer, in tests/test_assignments.py).

And quickly, without grading anything: a fault of the grader itself (no autograder zip, `otter`
rejecting its command line) stops the run with a message and exit status 1, and writes no grades.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
GRADE = ROOT / "book" / "grading" / "grade.py"
CHAPTER = "02_additive_attention"  # the quickest chapter to execute


def answer(notebook: dict, variable: str, code: str) -> None:
    """Replace the line ``<variable> = None ...`` of a student notebook by ``code``."""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        line = re.search(rf"^{variable} = None.*$", source, re.MULTILINE)
        if cell["cell_type"] == "code" and line:
            cell["source"] = source.replace(line.group(0), code)
            return
    raise AssertionError(f"no answer cell for {variable}")


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, notebook: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook), encoding="utf-8")


def grade(submissions: Path, assignments: Path, out: Path, *extra: str) -> dict[str, dict]:
    """Run the grader; its CSV rows by student."""
    result = subprocess.run([sys.executable, str(GRADE), str(submissions), "--assignments", str(assignments),
                             "--out", str(out), *extra], capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    with (out / "grades.csv").open(encoding="utf-8") as file:
        return {row["student"]: row for row in csv.DictReader(file)}


def questions(manifest: dict, chapter: str, *, manual: bool = False) -> dict[str, int]:
    entry = next(e for e in manifest["assignments"] if e["chapter"] == chapter)
    return {q["name"]: q["points"] for q in entry["questions"] if q["manual"] == manual}


# A cell a student added to the chapter, above the exercises, and an answer that reads it: the
# grader runs only the chapter's cells that the exercises need (bahdanau.exercises.needed), and
# this one is needed.
OWN_CELL = "def total_from_my_own_cell():  # my helper\n    return read_total_attention()"


def one_wrong_answer(instructor: dict) -> dict:
    """The instructor notebook of CHAPTER with one wrong answer, to weight_by_hand, and one right
    answer, to read_total, given by a function defined in a cell of the chapter (:data:`OWN_CELL`)."""
    # The instructor notebook assigns the reference solution on a '# SOLUTION' line.
    replaced = {"answer_weight_by_hand = attention_weight_by_hand()": "answer_weight_by_hand = 0.5",
                "answer_read_total = read_total_attention()": "answer_read_total = total_from_my_own_cell()"}
    for cell in instructor["cells"]:
        source = "".join(cell["source"])
        for line, new in replaced.items():
            if line in source:
                cell["source"] = source = source.replace(line, new)
    sources = ["".join(cell["source"]) for cell in instructor["cells"]]
    assert all(any(new in source for source in sources) for new in replaced.values())
    imports = next(i for i, cell in enumerate(instructor["cells"])
                   if cell["cell_type"] == "code" and "".join(cell["source"]).startswith("import "))
    instructor["cells"].insert(imports + 1, nbformat.v4.new_code_cell(OWN_CELL))
    return instructor


def assert_one_wrong_answer(row: dict, automatic: dict[str, int]) -> None:
    assert float(row["weight_by_hand"]) == 0
    assert float(row["total"]) == sum(automatic.values()) - automatic["weight_by_hand"]
    for name in set(automatic) - {"weight_by_hand"}:
        assert float(row[name]) == automatic[name]
    assert row["reasons"].startswith("weight_by_hand: ") and "|" not in row["reasons"], row["reasons"]


@pytest.mark.slow
def test_a_broken_submission_is_graded_with_its_reasons(assignments, tmp_path):
    manifest = read(assignments / "manifest.json")
    entry = next(e for e in manifest["assignments"] if e["chapter"] == CHAPTER)
    notebook = read(assignments / entry["student"])
    answer(notebook, "answer_weight_by_hand", "answer_weight_by_hand = 1 / 0  # raises")
    answer(notebook, "answer_additive_weights", (
        "import time\n\n\n"
        "def never_ends(*args):\n"
        "    while True:\n"
        "        time.sleep(0.1)  # waits forever, without holding a core\n\n\n"
        "answer_additive_weights = never_ends"))
    answer(notebook, "answer_dot_product", (
        "for i in range(300_000):\n"
        "    print('a line of output that nobody will read', i)\n"
        "answer_dot_product = None"))
    answer(notebook, "answer_read_total", "answer_read_total = 'old'\ndel answer_read_total")
    # Two more students after it: grading goes on.
    write(tmp_path / "submissions" / "broken.ipynb", notebook)
    write(tmp_path / "submissions" / "zz_not_a_notebook.ipynb", {"cells": "oops"})
    # Named after the chapter but without Otter's metadata (copied into a new notebook): Otter
    # refuses it, which is the submission's fault, not the grader's.
    orphan = read(assignments / entry["student"])
    del orphan["metadata"]["otter"]
    write(tmp_path / "submissions" / f"zz_orphan_{CHAPTER}.ipynb", orphan)
    rows = grade(tmp_path / "submissions", assignments, tmp_path / "grades", "--time-limit", "10")
    row = rows["broken"]
    assert float(row["total"]) == 0
    reasons = row["reasons"]
    assert "the cell of answer_weight_by_hand raised ZeroDivisionError: division by zero" in reasons, reasons
    assert "time limit of 10 s" in reasons, reasons
    assert "additive_weights: " in reasons and "TimeLimitExceeded" in reasons, reasons
    assert "characters more than the grader keeps" in reasons, reasons
    assert "read_total: answer_read_total is not defined: was it deleted or renamed?" in reasons, reasons
    assert "zz_not_a_notebook" in rows and float(rows["zz_not_a_notebook"]["total"]) == 0
    orphan = rows[f"zz_orphan_{CHAPTER}"]
    assert float(orphan["total"]) == 0 and "the grader could not run this notebook" in orphan["reasons"], orphan


def make_grade(submissions: Path | str, grades: Path) -> tuple[dict[str, dict], str]:
    """`make grade SUBMISSIONS=... GRADES=...` from the repository's root, as an instructor runs it:
    the CSV rows by student, and what make printed."""
    result = subprocess.run(["make", "grade", f"SUBMISSIONS={submissions}", f"GRADES={grades}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stdout + result.stderr
    with (grades / "grades.csv").open(encoding="utf-8") as file:
        return {row["student"]: row for row in csv.DictReader(file)}, result.stdout


@pytest.mark.slow
def test_make_grade_gives_the_references_full_points_a_wrong_answer_its_loss_and_a_blank_none(assignments, tmp_path):
    """`make grade`, run as an instructor runs it, over one folder: every chapter's instructor
    notebook (all reference solutions) gets full points; a notebook with exactly one wrong answer
    loses exactly that exercise's points, and its reason gives no answer away, while its right
    answer that reads a cell the student added to the chapter keeps its points (the grader runs
    the chapter's cells that the exercises need); an untouched student notebook gets 0, with
    "Not answered yet" for each question.

    Issue 23: `make grade` passed _build/assignments relative, and `otter run`, in a folder of its
    own, found no autograder zip: every submission got 0. So the folder is named here as an
    instructor may name it: relative to the root (../../tmp/...), outside the repository, with a
    space in its name. And the assignments the fixture has just made are not made again."""
    manifest = read(assignments / "manifest.json")
    submissions = tmp_path / "class submissions"
    assert not submissions.is_relative_to(ROOT)
    for entry in manifest["assignments"]:
        write(submissions / f"instructor-{entry['chapter']}.ipynb", read(assignments / entry["instructor"]))
    entry = next(e for e in manifest["assignments"] if e["chapter"] == CHAPTER)
    write(submissions / "wrong.ipynb", one_wrong_answer(read(assignments / entry["instructor"])))
    write(submissions / "blank.ipynb", read(assignments / entry["student"]))
    relative = os.path.relpath(submissions, ROOT)
    assert relative.startswith("..") and " " in relative
    rows, printed = make_grade(relative, tmp_path / "grades here")
    assert "make_assignments.py" not in printed, printed
    assert len(rows) == len(manifest["assignments"]) + 2
    for entry in manifest["assignments"]:
        chapter = entry["chapter"]
        automatic = questions(manifest, chapter)
        full = rows[f"instructor-{chapter}"]
        assert float(full["total"]) == float(full["max_points"]) == sum(automatic.values()), full
        assert full["reasons"] == "", full["reasons"]
        for name, points in automatic.items():
            assert float(full[name]) == points
        # Open questions are graded by hand: no column of points in the CSV.
        assert not set(questions(manifest, chapter, manual=True)) & set(full)
    automatic = questions(manifest, CHAPTER)
    wrong, blank = rows["wrong"], rows["blank"]
    assert_one_wrong_answer(wrong, automatic)
    assert "0.869" not in wrong["reasons"] and "0.87" not in wrong["reasons"]  # no answer given away
    assert float(blank["total"]) == 0
    for name in automatic:
        assert float(blank[name]) == 0
        assert f"{name}: Not answered yet" in blank["reasons"], blank["reasons"]
    # One CSV per chapter, and a report per submission.
    for entry in manifest["assignments"]:
        with (tmp_path / "grades here" / f"{entry['chapter']}.csv").open(encoding="utf-8") as file:
            assert len(list(csv.DictReader(file))) == 1 + 2 * (entry["chapter"] == CHAPTER)
    assert len(list((tmp_path / "grades here" / "reports").glob("*.txt"))) == len(rows)


def fake_assignments(folder: Path, *, autograder: bool) -> Path:
    """An assignments folder for CHAPTER: its manifest entry and, if asked, an (empty) autograder zip."""
    entry = {"chapter": CHAPTER, "autograder": f"{CHAPTER}/autograder/{CHAPTER}-autograder.zip",
             "questions": [{"name": "weight_by_hand", "points": 2, "manual": False}]}
    write(folder / "manifest.json", {"assignments": [entry]})
    if autograder:
        zip_path = folder / entry["autograder"]
        zip_path.parent.mkdir(parents=True)
        with zipfile.ZipFile(zip_path, "w") as archive:
            archive.writestr("otter_config.json", "{}")
    return folder


def run_grade(submissions: Path, assignments: Path, out: Path, **environment: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(GRADE), str(submissions), "--assignments", str(assignments),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **environment})


def a_submission(tmp_path: Path) -> Path:
    submissions = tmp_path / "submissions"
    write(submissions / "alice.ipynb", {"cells": [], "metadata": {"otter": {"assignment_name": CHAPTER}},
                                        "nbformat": 4, "nbformat_minor": 5})
    return submissions


def test_a_missing_autograder_stops_grading_with_a_message(tmp_path):
    assignments = fake_assignments(tmp_path / "assignments", autograder=False)
    result = run_grade(a_submission(tmp_path), assignments, tmp_path / "grades")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "grading stopped, no grades written" in result.stderr
    assert f"{CHAPTER}-autograder.zip, is missing" in result.stderr and "make assignments" in result.stderr
    assert not (tmp_path / "grades").exists()


# What click prints, with its exit status, when `otter run -a` names no file.
FAKE_OTTER = """\
import sys
print("Usage: python -m otter run [OPTIONS] SUBMISSION", file=sys.stderr)
print("Error: Invalid value for '-a' / '--autograder': File 'x.zip' does not exist.", file=sys.stderr)
sys.exit(2)
"""


def test_otter_rejecting_its_command_line_stops_grading(tmp_path):
    """The error of issue 23 itself, from an `otter` that rejects every command line."""
    fake = tmp_path / "fake" / "otter"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(FAKE_OTTER)
    assignments = fake_assignments(tmp_path / "assignments", autograder=True)
    python_path = os.pathsep.join(filter(None, [str(fake.parent), os.environ.get("PYTHONPATH")]))
    result = run_grade(a_submission(tmp_path), assignments, tmp_path / "grades", PYTHONPATH=python_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "grading stopped, no grades written" in result.stderr
    assert "Invalid value for '-a'" in result.stderr and "alice.ipynb" in result.stderr
    assert not (tmp_path / "grades").exists()
