"""The instructors' page (book/instructors.md) agrees with the exercises' records, the assignments
and the rubrics (issue 16).

Each exercise is one record of bahdanau.exercises.EXERCISES: chapter, label, title, points,
checkers. The page's tables and book/grading/rubrics.yml cannot import it, so they are checked
against it here, each mismatch named. `make assignments` (book/grading/make_assignments.py)
writes _build/assignments/manifest.json from the records: every chapter's questions with their
points, the open questions graded by hand included; the page shows the same.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from make_assignments import open_questions

from bahdanau.exercises import CHAPTERS, EXERCISES

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "instructors.md"
RUBRICS = ROOT / "book" / "grading" / "rubrics.yml"
ASSIGNMENTS = ROOT / "_build" / "assignments"

EXERCISE = re.compile(r"^(`{3,}|:{3,})\{exercise\}[ \t]*(.*)\n:label:[ \t]*(\S+)", re.MULTILINE)


@pytest.fixture(scope="session")
def manifest(assignments) -> dict:
    """_build/assignments/manifest.json, as conftest's ``assignments`` fixture writes it."""
    return json.loads((assignments / "manifest.json").read_text(encoding="utf-8"))


def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every markdown table of the text, as a list of records (column -> cell text)."""
    found, block = [], []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if block:
            header, rows = block[0], block[2:]
            assert all(len(row) == len(header) for row in rows), f"a ragged table under {header}"
            found.append([dict(zip(header, row, strict=True)) for row in rows])
            block = []
    return found


def table_with(*columns: str) -> list[dict[str, str]]:
    """The one table of the page that has these columns."""
    matching = [table for table in tables(page()) if table and set(columns) <= set(table[0])]
    assert len(matching) == 1, f"expected one table with the columns {columns}, found {len(matching)}"
    return matching[0]


def exercises_table() -> list[dict[str, str]]:
    return table_with("Chapter", "Exercise", "Points", "Checker")


def open_questions_table() -> list[dict[str, str]]:
    return table_with("Chapter", "After the exercise", "Question", "Name", "Points", "Time")


def totals_table() -> list[dict[str, str]]:
    return table_with("Chapter", "Assignment", "Autograded", "By hand", "Total")


def notebook_exercises() -> dict[str, tuple[str, str]]:
    """Exercise label -> (chapter, title), from the {exercise} directives of the notebooks."""
    found = {}
    for chapter in CHAPTERS:
        for cell in nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4).cells:
            if cell.cell_type == "markdown":
                for _, title, label in EXERCISE.findall(cell.source):
                    found[label] = (chapter, title.strip())
    return found


def rubrics() -> list[dict]:
    return yaml.safe_load(RUBRICS.read_text(encoding="utf-8"))


def number(chapter: str) -> str:
    return str(int(chapter.split("_", 1)[0]))


RECORDS = {exercise.label: exercise for exercise in EXERCISES}


def checker_cell(checkers: tuple[str, ...]) -> str:
    """How the exercises table writes an exercise's checkers."""
    return ", ".join(f"`{checker}`" for checker in checkers)


# ---------------------------------------------------------------------------------------------
# book/grading/rubrics.yml and the page, without the assignments
# ---------------------------------------------------------------------------------------------

def test_rubrics_yml_is_well_formed():
    entries = rubrics()
    assert isinstance(entries, list) and len(entries) == 4, "four open questions"
    autograded = {exercise.name for exercise in EXERCISES}
    names = [entry.get("name") for entry in entries]
    assert len(set(names)) == len(names), f"question names repeat: {names}"
    keys = {"exercise", "name", "prompt", "points", "time", "rubric", "model_answer"}
    for entry in entries:
        assert set(entry) == keys, f"{entry.get('name')}: keys {sorted(entry)}, expected {sorted(keys)}"
        name = entry["name"]
        assert entry["exercise"] in RECORDS, f"{name}: no exercise labelled {entry['exercise']} in EXERCISES"
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name) and name not in autograded, name
        exercise = RECORDS[entry["exercise"]]
        assert name.startswith(f"{exercise.name}_"), f"{name} is not named after its exercise, {exercise.name}"
        assert isinstance(entry["points"], int) and entry["points"] > 0, name
        assert re.fullmatch(r"\d+ min", entry["time"]), f"{name}: time {entry['time']!r}"
        for text in ("prompt", "model_answer"):
            assert isinstance(entry[text], str) and len(entry[text].split()) >= 10, f"{name}: {text} too short"
        assert entry["rubric"], f"{name} has no rubric"
        for criterion in entry["rubric"]:
            assert set(criterion) == {"points", "criterion"}, f"{name}: {criterion}"
            assert isinstance(criterion["points"], int) and criterion["points"] > 0, f"{name}: {criterion}"
            assert isinstance(criterion["criterion"], str) and criterion["criterion"].strip(), name
        total = sum(criterion["points"] for criterion in entry["rubric"])
        assert total == entry["points"], f"{name}: the criteria give {total} points, the question {entry['points']}"


def test_an_open_question_of_no_exercise_is_named(tmp_path):
    misplaced = tmp_path / "rubrics.yml"
    misplaced.write_text("- exercise: ex-dot-products\n  name: dot_products_discussion\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="'dot_products_discussion' follows the exercise 'ex-dot-products'"):
        open_questions(misplaced)
    assert {exercise.label: len(entries) for exercise, entries in open_questions().items()} == {
        entry["exercise"]: 1 for entry in rubrics()}


def test_the_notebooks_exercises_are_the_records():
    """Each {exercise} directive of a chapter is one record: same label, chapter and title."""
    in_notebooks = notebook_exercises()
    in_records = {label: (exercise.chapter, exercise.title) for label, exercise in RECORDS.items()}
    mismatches = [f"{label}: {in_notebooks.get(label, 'no such directive')} in the notebooks, "
                  f"{in_records.get(label, 'no such record')} in its record"
                  for label in sorted(in_notebooks.keys() | in_records.keys())
                  if in_notebooks.get(label) != in_records.get(label)]
    assert not mismatches, "\n".join(mismatches)


def test_the_exercises_table_is_the_records():
    """One row per record, in the records' order: the chapter, title, points and checkers of each."""
    rows = exercises_table()
    mismatches = []
    for index in range(max(len(rows), len(EXERCISES))):
        row = rows[index] if index < len(rows) else {}
        exercise = EXERCISES[index] if index < len(EXERCISES) else None
        if exercise is None:
            mismatches.append(f"row {index + 1}, {row['Exercise']!r}, is no exercise's record")
            continue
        expected = {"Chapter": number(exercise.chapter), "Exercise": exercise.title, "Points": str(exercise.points),
                    "Checker": checker_cell(exercise.checkers)}
        for column, value in expected.items():
            if row.get(column) != value:
                mismatches.append(f"{exercise.label} (row {index + 1}): {column} is {row.get(column)!r} on the page, "
                                  f"{value!r} in its record")
    assert not mismatches, "book/instructors.md's exercises table:\n" + "\n".join(mismatches)


def test_the_page_lists_every_open_question_as_rubrics_yml_does():
    labels = notebook_exercises()
    rows = {row["Name"]: row for row in open_questions_table()}
    entries = rubrics()
    assert sorted(rows) == sorted(f"`{entry['name']}`" for entry in entries)
    for entry in entries:
        row = rows[f"`{entry['name']}`"]
        chapter, title = labels[entry["exercise"]]
        assert row["Chapter"] == number(chapter), entry["name"]
        assert row["After the exercise"] == title, entry["name"]
        assert row["Question"] == entry["prompt"], entry["name"]
        assert int(row["Points"]) == entry["points"], entry["name"]
        assert row["Time"] == entry["time"], entry["name"]


def test_the_page_keeps_the_rubrics_and_model_answers_out():
    """The page is public (the student edition shows it too): a rubric's criteria would answer its
    question, so the criteria and the model answers are printed in the instructor notebooks only."""
    text = " ".join(page().split())
    for entry in rubrics():
        assert " ".join(entry["model_answer"].split())[:80] not in text, entry["name"]
        for criterion in entry["rubric"]:
            assert " ".join(criterion["criterion"].split())[:80] not in text, entry["name"]
    assert "instructor notebooks only" in text


def test_the_pages_totals_are_the_records():
    """Per chapter: the records' points, the open questions' points, and their sum."""
    by_hand = open_questions()
    totals = totals_table()
    assert [row["Chapter"] for row in totals] == [number(chapter) for chapter in CHAPTERS]
    for row, chapter in zip(totals, CHAPTERS):
        records = [exercise for exercise in EXERCISES if exercise.chapter == chapter]
        autograded = sum(exercise.points for exercise in records)
        manual = sum(entry["points"] for exercise in records for entry in by_hand.get(exercise, []))
        assert int(row["Autograded"]) == autograded, f"chapter {chapter}: the records give {autograded} points"
        assert int(row["By hand"]) == manual, f"chapter {chapter}: rubrics.yml gives {manual} points"
        assert int(row["Total"]) == autograded + manual, chapter


def test_the_page_explains_the_grading_steps():
    text = page()
    for step in ("make assignments", "make grade SUBMISSIONS=", "_build/grades/grades.csv", 'grader.check("',
                 "-autograder.zip", "blob/student/notebooks/", ".github/workflows/student.yml",
                 "book/grading/solutions.py", "make student-book", "book/student_edition.py"):
        assert step in text, f"the page does not mention {step}"


# ---------------------------------------------------------------------------------------------
# The page against _build/assignments/manifest.json (slow: writing the assignments takes a
# minute when `make assignments` has not run)
# ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_manifest_has_every_chapter(manifest):
    assert [assignment["chapter"] for assignment in manifest["assignments"]] == list(CHAPTERS)


@pytest.mark.slow
def test_every_autograded_question_is_in_the_exercises_table(manifest):
    rows = exercises_table()
    questions = [(a["chapter"], q) for a in manifest["assignments"] for q in a["questions"] if not q["manual"]]
    assert len(questions) == len(rows), f"{len(questions)} autograded questions, {len(rows)} rows on the page"
    labels = notebook_exercises()
    for chapter, question in questions:
        assert question["name"] == RECORDS[question["label"]].name, question
        assert labels[question["label"]] == (chapter, question["title"]), question
        matching = [row for row in rows if row["Chapter"] == number(chapter) and row["Exercise"] == question["title"]]
        assert len(matching) == 1, f"{question['title']!r} (chapter {number(chapter)}) is not in the table once"
        assert int(matching[0]["Points"]) == question["points"], (
            f"{question['name']}: {question['points']} points in the assignment, "
            f"{matching[0]['Points']} on the page"
        )


@pytest.mark.slow
def test_every_manual_question_is_in_the_open_questions_table(manifest):
    rows = {row["Name"]: row for row in open_questions_table()}
    questions = [(a["chapter"], q) for a in manifest["assignments"] for q in a["questions"] if q["manual"]]
    assert sorted(f"`{q['name']}`" for _, q in questions) == sorted(rows)
    for chapter, question in questions:
        row = rows[f"`{question['name']}`"]
        assert row["Chapter"] == number(chapter), question["name"]
        assert row["After the exercise"] == question["title"], question["name"]
        assert int(row["Points"]) == question["points"], question["name"]
        if "prompt" in question:
            assert row["Question"] == question["prompt"], question["name"]


@pytest.mark.slow
def test_the_pages_totals_equal_the_manifests(manifest):
    rows = {row["Chapter"]: row for row in totals_table()}
    for assignment in manifest["assignments"]:
        row, points = rows[number(assignment["chapter"])], assignment["points"]
        assert row["Assignment"] == assignment["title"], assignment["chapter"]
        assert int(row["Autograded"]) == points["autograded"], assignment["chapter"]
        assert int(row["By hand"]) == points["manual"], assignment["chapter"]
        assert int(row["Total"]) == points["total"], assignment["chapter"]
        by_kind = {kind: sum(q["points"] for q in assignment["questions"] if q["manual"] == (kind == "manual"))
                   for kind in ("autograded", "manual")}
        assert by_kind == {"autograded": points["autograded"], "manual": points["manual"]}, assignment["chapter"]


def test_the_page_counts_the_exercises_as_the_records_do():
    """'Twenty exercises, three to four per chapter': the number and the range come from the records."""
    words = {3: "three", 4: "four", 17: "Seventeen", 18: "Eighteen", 19: "Nineteen", 20: "Twenty",
             21: "Twenty-one", 22: "Twenty-two"}
    per_chapter = [sum(exercise.chapter == chapter for exercise in EXERCISES) for chapter in CHAPTERS]
    low, high = min(per_chapter), max(per_chapter)
    spread = f"{words[low]} per chapter" if low == high else f"{words[low]} to {words[high]} per chapter"
    sentence = f"{words[len(EXERCISES)]} exercises, {spread}"
    assert sentence in " ".join(page().split()), f"the page should say {sentence!r}"
