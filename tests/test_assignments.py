"""`make assignments` (book/grading/make_assignments.py): one Otter assignment per chapter.

The chapter notebooks are the one source of the exercises' text, and each exercise's record
(bahdanau.exercises.EXERCISES) of everything else: every exercise becomes one question named and
pointed as its record says, with its checkers as the public tests, the reference solutions that
make_assignments.REFERENCES attaches to them, and the hidden tests of
book/grading/hidden_tests.py named after it; every open question of book/grading/rubrics.yml a
question graded by hand. No solution, hidden test or rubric reaches the student notebook.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
import yaml
from make_assignments import hidden_tests_of, reference

from bahdanau.exercises import EXERCISES

ROOT = Path(__file__).resolve().parents[1]
GRADING = ROOT / "book" / "grading"
pytestmark = pytest.mark.slow  # otter assign, four times


def manifest(assignments: Path) -> dict:
    return json.loads((assignments / "manifest.json").read_text(encoding="utf-8"))


def notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def sources(nb: dict, kind: str | None = None) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if kind is None or c["cell_type"] == kind]


def solution_code_lines() -> set[str]:
    """Non-trivial code lines of the reference solutions (not comments, not docstrings)."""
    text = (GRADING / "solutions.py").read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Module)) and ast.get_docstring(node):
            first = node.body[0]
            docstrings.update(range(first.lineno, first.end_lineno + 1))
    # Lines that the chapters also contain outside the solution dropdowns (such as
    # `valid_lens=enc_valid_lens,`, or code an exercise quotes) give nothing away.
    chapters = "\n".join(source for path in sorted((ROOT / "notebooks").glob("0*.ipynb"))
                         for source in sources(notebook(path)) if not re.match(r"^`{3,}\{solution\}", source))
    lines = set()
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if number in docstrings or stripped.startswith(("#", "from ", "import ")) or len(stripped) < 25:
            continue
        stripped = stripped.split("  #")[0]
        if stripped not in chapters:
            lines.add(stripped)
    return lines


def solution_sentences() -> set[str]:
    """Sentences of the chapters' solution dropdowns (at least 40 characters, no code)."""
    found = set()
    for path in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        for source in sources(notebook(path), "markdown"):
            if not re.match(r"^`{3,}\{solution\}", source):
                continue
            # Inside the outer fence and its options, without the code blocks.
            lines = source.strip().splitlines()[1:-1]
            while lines and lines[0].startswith(":"):
                lines.pop(0)
            prose = re.sub(r"```.*?```", " ", "\n".join(lines), flags=re.DOTALL)
            for sentence in re.split(r"(?<=[.:])\s+", " ".join(prose.split())):
                if len(sentence) >= 40 and "{solution}" not in sentence and ":class:" not in sentence:
                    found.add(sentence)
    return found


def test_every_exercise_and_open_question_is_a_question_with_its_records_points(assignments):
    data = manifest(assignments)
    rubrics = yaml.safe_load((GRADING / "rubrics.yml").read_text(encoding="utf-8"))
    assert [e["chapter"] for e in data["assignments"]] == sorted({e.chapter for e in EXERCISES})
    for entry in data["assignments"]:
        automatic = [q for q in entry["questions"] if not q["manual"]]
        manual = [q for q in entry["questions"] if q["manual"]]
        expected = [e for e in EXERCISES if e.chapter == entry["chapter"]]
        # In the records' order, each as its record says.
        assert [(q["name"], q["label"], q["title"], q["points"]) for q in automatic] == [
            (e.name, e.label, e.title, e.points) for e in expected]
        labels = {e.label for e in expected}
        assert sorted(q["name"] for q in manual) == sorted(r["name"] for r in rubrics if r["exercise"] in labels)
        for question in manual:
            rubric = next(r for r in rubrics if r["name"] == question["name"])
            assert question["points"] == rubric["points"] and question["prompt"] == rubric["prompt"]
        assert entry["points"]["autograded"] == sum(q["points"] for q in automatic)
        assert entry["points"]["manual"] == sum(q["points"] for q in manual)
        assert entry["points"]["total"] == entry["points"]["autograded"] + entry["points"]["manual"]
        for part in ("student", "instructor", "autograder"):
            assert (assignments / entry[part]).is_file()


def test_student_notebooks_hold_no_solution_hidden_test_or_rubric(assignments):
    code_lines, sentences = solution_code_lines(), solution_sentences()
    assert len(code_lines) > 40 and len(sentences) > 30  # the searches look for something
    rubrics = yaml.safe_load((GRADING / "rubrics.yml").read_text(encoding="utf-8"))
    hidden = (GRADING / "hidden_tests.py").read_text(encoding="utf-8")
    hidden_names = re.findall(r"^def (hidden_\w+)", hidden, re.MULTILINE)
    for entry in manifest(assignments)["assignments"]:
        text = (assignments / entry["student"]).read_text(encoding="utf-8")
        student = json.loads(text)
        flat = " ".join(" ".join(s.split()) for s in sources(student))
        for line in code_lines:
            assert line not in text and json.dumps(line)[1:-1] not in text, f"{entry['chapter']}: {line!r}"
        for sentence in sentences:
            assert sentence not in flat, f"{entry['chapter']}: solution text {sentence[:60]!r}..."
        for name in hidden_names:
            assert name not in text, f"{entry['chapter']}: hidden test {name}"
        for rubric in rubrics:
            assert rubric["model_answer"][:60] not in flat
            for criterion in rubric["rubric"]:
                assert criterion["criterion"][:60] not in flat
        assert "# SOLUTION" not in text and "BEGIN SOLUTION" not in text
        # The tests the student notebook carries (for grader.check) are the public ones only.
        tests = student["metadata"]["otter"]["tests"]
        assert all("hidden=False" in test and "hidden=True" not in test for test in tests.values())
        assert not any(c["cell_type"] == "code" and c.get("outputs") for c in student["cells"])


def test_students_answer_the_chapters_own_cells_with_their_own_variables(assignments):
    for entry in manifest(assignments)["assignments"]:
        chapter = notebook(ROOT / "notebooks" / f"{entry['chapter']}.ipynb")
        original = [line for s in sources(chapter, "code") for line in s.splitlines()
                    if line.startswith("answer = None")]
        student = sources(notebook(assignments / entry["student"]), "code")
        variables = [variable for e in EXERCISES if e.chapter == entry["chapter"] for variable in e.variables]
        lines = [line for s in student for line in s.splitlines() if re.match(r"answer_\w+ = None", line)]
        assert len(lines) == len(original) == len(variables) == len(set(variables))
        for line in lines:
            variable = line.split(" = ")[0]
            assert variable in variables
            assert line.replace(variable, "answer", 1) in original
        checks = [s for s in student if s.startswith("grader.check(")]
        assert [re.search(r'"(\w+)"', c).group(1) for c in checks] == [
            q["name"] for q in entry["questions"] if not q["manual"]]
        assert any(f'otter.Notebook("{entry["chapter"]}.ipynb")' in s for s in student)


def test_on_colab_the_public_tests_come_from_the_published_student_notebook(assignments, tmp_path):
    """Colab cannot read the notebook's file: the grader cell writes the tests from the student branch."""
    from bahdanau.exercises.colab import write_public_tests

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    owner_and_name = config["repository"]["url"].removeprefix("https://github.com/")
    for entry in manifest(assignments)["assignments"]:
        student = sources(notebook(assignments / entry["student"]), "code")
        cell = next(s for s in student if "write_public_tests" in s)
        url = f"https://raw.githubusercontent.com/{owner_and_name}/student/notebooks/{entry['chapter']}.ipynb"
        assert f'"{url}"' in cell and 'otter.Notebook(tests_dir="tests")' in cell
        # What the workflow publishes at that URL is this student notebook: its tests, written out.
        names = write_public_tests(assignments / entry["student"], tmp_path / entry["chapter"])
        assert names == sorted(q["name"] for q in entry["questions"] if not q["manual"])


def test_colab_cells_install_the_package_from_the_configured_repository_and_otter(assignments):
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    for entry in manifest(assignments)["assignments"]:
        for part in ("student", "instructor"):
            setup = next(s for s in sources(notebook(assignments / entry[part]), "code") if "google.colab" in s)
            assert f'repository = "{url}"' in setup
            assert "otter-grader==" in setup


def test_instructor_notebooks_hold_every_solution_and_rubric(assignments):
    rubrics = yaml.safe_load((GRADING / "rubrics.yml").read_text(encoding="utf-8"))
    for entry in manifest(assignments)["assignments"]:
        text = " ".join(" ".join(s.split()) for s in sources(notebook(assignments / entry["instructor"])))
        for exercise in (e for e in EXERCISES if e.chapter == entry["chapter"]):
            for answer in exercise.answers:
                expression = reference(answer).expression
                assert f"{exercise.variable(answer)} = {expression} # SOLUTION" in text, (entry["chapter"], answer)
        for rubric in (r for r in rubrics if r["name"] in {q["name"] for q in entry["questions"]}):
            assert " ".join(rubric["model_answer"].split()) in text
            for criterion in rubric["rubric"]:
                assert " ".join(criterion["criterion"].split()) in text


def test_autograder_zips_hold_every_test_the_guard_and_the_environment(assignments):
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    for entry in manifest(assignments)["assignments"]:
        with zipfile.ZipFile(assignments / entry["autograder"]) as archive:
            names = set(archive.namelist())
            automatic = [q["name"] for q in entry["questions"] if not q["manual"]]
            assert {f"tests/{name}.py" for name in automatic} <= names
            for exercise in (e for e in EXERCISES if e.chapter == entry["chapter"]):
                test = archive.read(f"tests/{exercise.name}.py").decode()
                assert "hidden=False" in test and "hidden=True" in test, exercise.name
                for hidden in hidden_tests_of(exercise):
                    assert f"def {hidden.__name__}(" in test, hidden.__name__
            config = json.loads(archive.read("otter_config.json"))
            assert config["plugins"] == [{"bahdanau.exercises.guard.Guard": {}}]
            assert config["assignment_name"] == entry["chapter"]
            environment = archive.read("environment.yml").decode()
            assert f"bahdanau[widgets] @ git+{url}@main" in environment and "python=3.11" in environment
            assert "mamba run -n otter-env pip install --no-deps d2l==1.0.3" in archive.read("setup.sh").decode()


def test_the_makefile_targets():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "$(PY) book/grading/make_assignments.py _build/assignments" in makefile
    assert "book/grading/grade.py \"$(SUBMISSIONS)\"" in makefile


def test_make_assignments_remakes_them_only_when_a_source_is_newer(assignments):
    """`make grade` depends on `make assignments`, which remakes them only when a file they are made
    from changed (GNU make's -W: as if that file were new; -n: only print the commands)."""
    def planned(*what_if: str) -> str:
        result = subprocess.run(["make", "-n", *what_if, "assignments"], cwd=ROOT, capture_output=True,
                                text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout
    assert "make_assignments.py" not in planned()  # the fixture has just made them
    for source in ("notebooks/04_training.ipynb", "book/grading/rubrics.yml", "src/bahdanau/exercises/catalogue.py",
                   "_config.yml", "requirements.txt"):
        assert "make_assignments.py _build/assignments" in planned("-W", source), source


def reference_answers() -> dict[str, object]:
    """Each value answer's variable -> the value the reference solution computes (not functions or classes)."""
    answers = {exercise.variable(answer): reference(answer) for exercise in EXERCISES for answer in exercise.answers}
    return {variable: ref.value() for variable, ref in answers.items()
            if ref.call and not isinstance(ref.solution, type)}


def test_student_notebooks_hold_none_of_the_answers(assignments):
    answers = reference_answers()
    texts = {e["chapter"]: " ".join(sources(notebook(assignments / e["student"])))
             for e in manifest(assignments)["assignments"]}
    for variable, value in answers.items():
        forms = [f"{variable} = {value!r}", f'{variable} = "{value}"']
        if isinstance(value, float):
            forms += [f"{value:.3f}", f"{value:.4f}"]
        elif isinstance(value, tuple) or (isinstance(value, int) and value >= 100):
            forms += [repr(value), str(value)]
        for chapter, text in texts.items():
            for form in forms:
                assert form not in text, f"{chapter}: the answer {form!r} of {variable}"
