"""`make grade`: book/grading/grade.py grades a folder of submissions with the autograder zips.

End to end, with Otter-Grader's ``otter run`` and the chapters' real assignments (the shared
``assignments`` fixture of conftest.py runs ``make_assignments.py`` once per session):

- every instructor notebook (all reference solutions) gets full points, every untouched student
  notebook 0;
- a notebook with exactly one wrong answer loses exactly that exercise's points, and the reason
  gives no answer away;
- a submission whose code raises, never ends, prints a lot or deletes its answer variable is
  graded, with each reason in the CSV, and grading goes on.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GRADE = ROOT / "book" / "grading" / "grade.py"
pytestmark = pytest.mark.slow


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


def test_reference_solutions_get_full_points_and_untouched_notebooks_none(assignments, tmp_path):
    manifest = read(assignments / "manifest.json")
    submissions = tmp_path / "submissions"
    for entry in manifest["assignments"]:
        chapter = entry["chapter"]
        write(submissions / f"instructor-{chapter}.ipynb", read(assignments / entry["instructor"]))
        write(submissions / f"untouched-{chapter}.ipynb", read(assignments / entry["student"]))
    rows = grade(submissions, assignments, tmp_path / "grades")
    assert len(rows) == 2 * len(manifest["assignments"])
    for entry in manifest["assignments"]:
        chapter = entry["chapter"]
        automatic = questions(manifest, chapter)
        full, empty = rows[f"instructor-{chapter}"], rows[f"untouched-{chapter}"]
        assert float(full["total"]) == float(full["max_points"]) == sum(automatic.values()), full
        assert full["reasons"] == "", full["reasons"]
        for name, points in automatic.items():
            assert float(full[name]) == points
            assert float(empty[name]) == 0
            assert f"{name}: Not answered yet" in empty["reasons"]
        assert float(empty["total"]) == 0
        # Open questions are graded by hand: no column of points in the CSV.
        assert not set(questions(manifest, chapter, manual=True)) & set(full)
    # One CSV per chapter, and a report per submission.
    for entry in manifest["assignments"]:
        with (tmp_path / "grades" / f"{entry['chapter']}.csv").open(encoding="utf-8") as file:
            assert len(list(csv.DictReader(file))) == 2
    assert len(list((tmp_path / "grades" / "reports").glob("*.txt"))) == len(rows)


CHAPTER = "02_additive_attention"  # the quickest chapter to execute


def test_one_wrong_answer_loses_exactly_that_exercise(assignments, tmp_path):
    manifest = read(assignments / "manifest.json")
    entry = next(e for e in manifest["assignments"] if e["chapter"] == CHAPTER)
    notebook = read(assignments / entry["instructor"])
    # The instructor notebook assigns the reference solution on a '# SOLUTION' line.
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if "answer_weight_by_hand = attention_weight_by_hand()" in source:
            cell["source"] = source.replace("answer_weight_by_hand = attention_weight_by_hand()",
                                            "answer_weight_by_hand = 0.5")
    write(tmp_path / "submissions" / "one_wrong.ipynb", notebook)
    row = grade(tmp_path / "submissions", assignments, tmp_path / "grades")["one_wrong"]
    automatic = questions(manifest, CHAPTER)
    assert float(row["weight_by_hand"]) == 0
    assert float(row["total"]) == sum(automatic.values()) - automatic["weight_by_hand"]
    for name in set(automatic) - {"weight_by_hand"}:
        assert float(row[name]) == automatic[name]
    assert row["reasons"].startswith("weight_by_hand: ") and "|" not in row["reasons"], row["reasons"]
    assert "0.869" not in row["reasons"] and "0.87" not in row["reasons"]


def test_a_broken_submission_is_graded_with_its_reasons(assignments, tmp_path):
    manifest = read(assignments / "manifest.json")
    entry = next(e for e in manifest["assignments"] if e["chapter"] == CHAPTER)
    notebook = read(assignments / entry["student"])
    answer(notebook, "answer_weight_by_hand", "answer_weight_by_hand = 1 / 0  # raises")
    answer(notebook, "answer_additive_weights", (
        "def never_ends(*args):\n"
        "    while True:\n"
        "        pass\n\n\n"
        "answer_additive_weights = never_ends"))
    answer(notebook, "answer_dot_product", (
        "for i in range(300_000):\n"
        "    print('a line of output that nobody will read', i)\n"
        "answer_dot_product = None"))
    answer(notebook, "answer_read_total", "answer_read_total = 'old'\ndel answer_read_total")
    # Two more students after it: grading goes on.
    write(tmp_path / "submissions" / "broken.ipynb", notebook)
    write(tmp_path / "submissions" / "zz_untouched.ipynb", read(assignments / entry["student"]))
    write(tmp_path / "submissions" / "zz_not_a_notebook.ipynb", {"cells": "oops"})
    rows = grade(tmp_path / "submissions", assignments, tmp_path / "grades", "--time-limit", "10")
    row = rows["broken"]
    assert float(row["total"]) == 0
    reasons = row["reasons"]
    assert "the cell of answer_weight_by_hand raised ZeroDivisionError: division by zero" in reasons, reasons
    assert "time limit of 10 s" in reasons, reasons
    assert "additive_weights: " in reasons and "TimeLimitExceeded" in reasons, reasons
    assert "characters more than the grader keeps" in reasons, reasons
    assert "read_total: answer_read_total is not defined: was it deleted or renamed?" in reasons, reasons
    assert float(rows["zz_untouched"]["total"]) == 0
    assert "zz_not_a_notebook" in rows and float(rows["zz_not_a_notebook"]["total"]) == 0
