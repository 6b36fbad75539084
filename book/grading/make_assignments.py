"""Turn the chapter notebooks into Otter-Grader assignments: ``make assignments``.

Usage::

    python book/grading/make_assignments.py _build/assignments [--chapters 01_why_attention ...]

For every chapter it writes::

    OUT/<chapter>/student/<chapter>.ipynb       the chapter, solutions removed, outputs cleared
    OUT/<chapter>/instructor/<chapter>.ipynb    the chapter with the reference solutions and rubrics
    OUT/<chapter>/autograder/<chapter>-autograder.zip   for Gradescope, or `make grade`
    OUT/manifest.json                           every assignment's questions and points

The chapter notebooks stay the one source of the exercises' text. Each ``{exercise}`` block of a
chapter, with its answer cell(s) and its ``{solution}`` dropdown, becomes one Otter question,
made from the exercise's record in ``bahdanau.exercises.EXERCISES`` (found by the block's label):

- its name and points are the record's (``Exercise.name``, ``Exercise.points``);
- the student sees the exercise and the chapter's answer cell (``answer = None``, renamed to the
  record's answer variable, ``answer_<name>``, so that every exercise keeps its own answer), and
  ``grader.check("<name>")``;
- the instructor sees, in that cell, the reference solution of each of the record's checkers
  (:data:`REFERENCES`, objects of ``book/grading/solutions.py``) and, below it, the dropdown's
  explanation;
- the public test is the exercise's checker (its one-line feedback is the test's message); the
  hidden tests are the functions ``hidden_<name>_*`` of ``book/grading/hidden_tests.py``
  (other seeds, other sizes, more properties), all or nothing, taking the record's answer
  variables.

Open questions (``book/grading/rubrics.yml``, each naming its exercise by label) become manually
graded questions whose rubric and model answer are in the instructor notebook only. Before it
writes anything, :func:`record_problems` checks that these pieces fit together. The autograder
runs each submission with :class:`bahdanau.exercises.guard.Guard`: a time limit per cell and a
cap on printed output.
"""

from __future__ import annotations

import argparse
import ast
import copy
import inspect
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# This script's neighbours in book/grading (its folder is on sys.path, and on pytest's pythonpath).
import hidden_tests
import nbformat
import solutions
import yaml

from bahdanau import exercises
from bahdanau.exercises import EXERCISES, Answer, Exercise

ROOT = Path(__file__).resolve().parents[2]
GRADING = ROOT / "book" / "grading"
CHAPTERS = exercises.CHAPTERS  # one assignment per chapter with exercises (grade.py reads it too)
OTTER_VERSION = "7.0.0"
RUBRICS = GRADING / "rubrics.yml"

ANSWER_LINE = re.compile(r"^answer = None(?P<comment>.*)$", re.MULTILINE)


# ---------------------------------------------------------------------------------------------
# What grading adds to each exercise's record: reference solutions, hidden tests, open questions
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """The reference answer to one checker: an object that solutions.py exports, called or not.

    The instructor notebook assigns :attr:`expression` to the answer's variable, after the
    object's source and that of the objects it uses (beam_winners uses length_normalised_score,
    LSTMAttentionDecoder uses LSTMState).
    """

    solution: Any  # a function or class listed in solutions.__all__
    call: bool = False  # the answer is what calling it returns, e.g. encoder_shapes()

    @property
    def names(self) -> list[str]:
        """The object's names in solutions.__all__: by identity, so that an alias keeps its own name."""
        return [name for name in solutions.__all__ if getattr(solutions, name, None) is self.solution]

    @property
    def name(self) -> str:
        """The object's one name in solutions.py."""
        (name,) = self.names
        return name

    @property
    def expression(self) -> str:
        """What the instructor notebook assigns, e.g. ``encoder_shapes()`` or ``FixedAttentionDecoder``."""
        return f"{self.name}()" if self.call else self.name

    def value(self) -> Any:
        """The reference answer itself, as the instructor notebook computes it."""
        return self.solution() if self.call else self.solution


# The reference solution of each checker of the exercises' records, by object. They live here,
# not in the records, because the package that holds the records must not hold the solutions.
REFERENCES: dict[Callable, Reference] = {
    exercises.check_encoder_shapes: Reference(solutions.encoder_shapes, call=True),
    exercises.check_parameter_count: Reference(solutions.parameter_count, call=True),
    exercises.check_read_alignment: Reference(solutions.read_alignment, call=True),
    exercises.check_attention_weight: Reference(solutions.attention_weight_by_hand, call=True),
    exercises.check_additive_weights: Reference(solutions.additive_attention_weights),
    exercises.check_dot_product_attention: Reference(solutions.DotProductAttention, call=True),
    exercises.check_read_total_attention: Reference(solutions.read_total_attention, call=True),
    exercises.check_decoder_shapes: Reference(solutions.decoder_shapes, call=True),
    exercises.check_fixed_decoder: Reference(solutions.FixedAttentionDecoder),
    exercises.check_lstm_decoder: Reference(solutions.LSTMAttentionDecoder),
    exercises.check_read_certainty: Reference(solutions.read_certainty, call=True),
    exercises.check_batch_targets: Reference(solutions.batch_targets, call=True),
    exercises.check_masked_loss: Reference(solutions.masked_cross_entropy),
    exercises.check_attention_entropy: Reference(solutions.attention_entropy),
    exercises.check_bleu_by_hand: Reference(solutions.bleu_by_hand, call=True),
    exercises.check_length_normalised_score: Reference(solutions.length_normalised_score),
    exercises.check_beam_winner: Reference(solutions.beam_winners, call=True),
    exercises.check_bidirectional_encoder: Reference(solutions.BidirectionalEncoder),
    exercises.check_read_failure: Reference(solutions.read_failure, call=True),
    exercises.check_steered_word: Reference(solutions.first_step_that_writes),
    exercises.check_aer_by_hand: Reference(solutions.aer_by_hand, call=True),
    exercises.check_read_one_word_late: Reference(solutions.read_one_word_late, call=True),
}


def reference(answer: Answer) -> Reference:
    """The reference solution of one answer of a record."""
    return REFERENCES[answer.check]


def hidden_tests_of(exercise: Exercise) -> list[Callable]:
    """The exercise's hidden tests: the functions ``hidden_<name>_*`` of hidden_tests.py, in file order."""
    prefix = f"hidden_{exercise.name}_"
    return [function for name, function in vars(hidden_tests).items()
            if name.startswith(prefix) and inspect.isfunction(function)]


def rubric_entries(path: Path = RUBRICS) -> list[dict]:
    """The open questions of rubrics.yml, in its order."""
    if not path.exists():
        return []
    return yaml.safe_load(path.read_text(encoding="utf-8")) or []


def open_questions(path: Path = RUBRICS) -> dict[Exercise, list[dict]]:
    """Each exercise's open questions (graded by hand), from rubrics.yml's ``exercise`` labels."""
    by_label = {exercise.label: exercise for exercise in EXERCISES}
    found: dict[Exercise, list[dict]] = {}
    for entry in rubric_entries(path):
        if entry.get("exercise") not in by_label:
            raise SystemExit(f"{path.name}: {entry.get('name')!r} follows the exercise {entry.get('exercise')!r}, "
                             "which no record of bahdanau.exercises.EXERCISES is labelled")
        found.setdefault(by_label[entry["exercise"]], []).append(entry)
    return found


def record_problems() -> list[str]:
    """Every way the records and the grading files fail to fit together, one sentence each.

    Empty when each checker of a record has one reference solution (and each reference a
    checker), each exercise has hidden tests taking its answer variables, each hidden test
    belongs to one exercise, and each open question follows an exercise and is named after it.
    """
    return reference_problems() + hidden_test_problems() + open_question_problems()


def reference_problems() -> list[str]:
    checked = [answer.check for exercise in EXERCISES for answer in exercise.answers]
    problems = [f"{check.__name__} has no reference solution in make_assignments.REFERENCES"
                for check in checked if check not in REFERENCES]
    problems += [f"make_assignments.REFERENCES answers {check.__name__}, which no exercise's record checks"
                 for check in REFERENCES if check not in checked]
    problems += [f"the reference of {check.__name__} is {len(ref.names)} names of solutions.__all__, not one: "
                 f"{ref.names}" for check, ref in REFERENCES.items() if len(ref.names) != 1]
    return problems


def hidden_test_problems() -> list[str]:
    problems = []
    for exercise in EXERCISES:
        tests = hidden_tests_of(exercise)
        if not tests:
            problems.append(f"hidden_tests.py has no hidden_{exercise.name}_* test for {exercise.label}")
        for test in tests:
            parameters = tuple(inspect.signature(test).parameters)
            if parameters != exercise.variables:
                problems.append(f"hidden_tests.{test.__name__} takes {parameters}, not {exercise.label}'s answer "
                                f"variables {exercise.variables}")
    for name, function in vars(hidden_tests).items():
        owners = [e.label for e in EXERCISES if name.startswith(f"hidden_{e.name}_")]
        if inspect.isfunction(function) and len(owners) != 1:
            problems.append(f"hidden_tests.{name} belongs to {len(owners)} exercises {owners}, not one: name it "
                            "hidden_<its exercise's name>_<what it tests>")
    return problems


def open_question_problems() -> list[str]:
    autograded = {exercise.name for exercise in EXERCISES}
    return [f"rubrics.yml: the open question {entry['name']!r} of {exercise.label} should be named "
            f"{exercise.name}_<what it asks>"
            for exercise, entries in open_questions().items() for entry in entries
            if not entry["name"].startswith(f"{exercise.name}_") or entry["name"] in autograded]


# ---------------------------------------------------------------------------------------------
# Reading the sources' text: the solutions and hidden tests as they are written
# ---------------------------------------------------------------------------------------------


@dataclass
class Source:
    """A Python file split into its imports and its top-level objects, by name."""

    path: Path
    imports: list[ast.stmt] = field(default_factory=list)
    objects: dict[str, ast.stmt] = field(default_factory=dict)
    text: str = ""

    @classmethod
    def read(cls, path: Path) -> Source:
        text = path.read_text(encoding="utf-8")
        source = cls(path, text=text)
        for node in ast.parse(text).body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if not (isinstance(node, ast.ImportFrom) and node.module == "__future__"):
                    source.imports.append(node)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                source.objects[node.name] = node
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                source.objects[node.targets[0].id] = node
        return source

    def segment(self, node: ast.stmt) -> str:
        """The node's source with its decorators and the comments just above it."""
        lines = self.text.splitlines()
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        return "\n".join(lines[start:node.end_lineno])

    def with_dependencies(self, name: str) -> list[str]:
        """``name`` and the objects of this file it uses, dependencies first."""
        ordered: list[str] = []

        def visit(current: str) -> None:
            if current in ordered:
                return
            used = {n.id for n in ast.walk(self.objects[current]) if isinstance(n, ast.Name)}
            for other in sorted(used & set(self.objects) - {current}):
                visit(other)
            ordered.append(current)

        visit(name)
        return ordered

    def code_for(self, names: list[str]) -> str:
        """The imports the objects need, then the objects' source."""
        bodies = [self.segment(self.objects[name]) for name in names]
        used = {n.id for name in names for n in ast.walk(self.objects[name]) if isinstance(n, (ast.Name,))}
        used |= {n.value.id for name in names for n in ast.walk(self.objects[name])
                 if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)}
        imports = []
        for node in self.imports:
            kept = [alias for alias in node.names if (alias.asname or alias.name).split(".")[0] in used]
            if kept:
                clone = copy.copy(node)
                clone.names = kept
                imports.append(ast.unparse(clone))
        return "\n".join(imports) + "\n\n\n" + "\n\n\n".join(bodies)


# ---------------------------------------------------------------------------------------------
# MyST to plain Jupyter markdown (a student notebook is read in Jupyter or Colab, not Sphinx)
# ---------------------------------------------------------------------------------------------

_ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")


def _citation(keys: str, narrative: bool, bib: dict[str, str]) -> str:
    names = [bib.get(key.strip(), key.strip()) for key in keys.split(",")]
    if narrative:
        return "; ".join(names)
    return "(" + "; ".join(names) + ")"


def read_bib(path: Path = ROOT / "book" / "references.bib") -> dict[str, str]:
    """Citation key -> 'Bahdanau et al. (2014)' from the book's BibTeX file."""
    entries = {}
    text = path.read_text(encoding="utf-8")
    for match in re.finditer(r"@\w+\{(?P<key>[^,]+),(?P<body>.*?)\n\}", text, re.DOTALL):
        body = match.group("body")
        author = re.search(r"author\s*=\s*[{\"](.*?)[}\"],?\s*\n", body, re.DOTALL)
        year = re.search(r"year\s*=\s*[{\"]?(\d{4})", body)
        if not author or not year:
            continue
        people = [p.strip() for p in author.group(1).replace("\n", " ").split(" and ")]
        surname = people[0].split(",")[0].split()[-1].strip("{}") if "," not in people[0] else people[0].split(",")[0]
        etal = " et al." if len(people) > 2 else (f" and {people[1].split(',')[0].split()[-1]}" if len(people) == 2
                                                  else "")
        entries[match.group("key").strip()] = f"{surname.strip('{}')}{etal} ({year.group(1)})"
    return entries


def plain_markdown(text: str, bib: dict[str, str]) -> str:
    """MyST roles as plain text: citations as 'Luong et al. (2015)', cross-references by name."""

    def replace(match: re.Match) -> str:
        role, inner = match.group("role"), match.group("text")
        if role.startswith("cite"):
            return _citation(inner, role in ("cite:t", "cite:ts"), bib)
        explicit = re.match(r"(.*?)\s*<[^>]+>$", inner)
        return explicit.group(1) if explicit else inner.split("/")[-1]

    return _ROLE.sub(replace, text)


_FENCE = re.compile(r"^(`{3,})\{(?P<kind>exercise|solution)\}\s*(?P<arg>.*)$")


def directive(cell) -> tuple[str, str, dict, str] | None:
    """(kind, argument, options, body) of a markdown cell holding one exercise/solution fence."""
    if cell.cell_type != "markdown":
        return None
    lines = cell.source.strip().splitlines()
    match = _FENCE.match(lines[0]) if lines else None
    if not match or lines[-1].strip() != match.group(1):
        return None
    options, body_start = {}, 1
    for line in lines[1:-1]:
        option = re.match(r"^:(\w+):\s*(.*)$", line)
        if not option:
            break
        options[option.group(1)] = option.group(2)
        body_start += 1
    body = "\n".join(lines[body_start:-1]).strip()
    return match.group("kind"), match.group("arg").strip(), options, body


_INCLUDE = re.compile(r"```\{literalinclude\}\s*(?P<path>\S+)\n(?P<options>(?::\w+:.*\n)*)```", re.MULTILINE)


def solution_prose(body: str, bib: dict[str, str]) -> str:
    """A solution dropdown's text for the instructor notebook; included code becomes code."""

    def include(match: re.Match) -> str:
        path = ROOT / match.group("path").lstrip("/")
        options = dict(re.findall(r":(\w+):\s*(.*)", match.group("options")))
        if path.resolve() == (GRADING / "solutions.py").resolve():
            return "*(The reference code is in the answer cell above.)*"
        source = Source.read(path)
        obj = options.get("pyobject", "")
        if "." in obj:  # Class.method
            cls, method = obj.split(".", 1)
            node = next(n for n in source.objects[cls].body
                        if isinstance(n, ast.FunctionDef) and n.name == method)
            code = textwrap.dedent(ast.get_source_segment(source.text, node) or "")
        else:
            code = source.segment(source.objects[obj])
        return f"```python\n{code}\n```"

    return plain_markdown(_INCLUDE.sub(include, body), bib)


# ---------------------------------------------------------------------------------------------
# One chapter -> one Otter master notebook
# ---------------------------------------------------------------------------------------------


def raw(text: str):
    return nbformat.v4.new_raw_cell(text)


def public_test(checker: str, variables: list[str], index: int) -> str:
    """The exercise's checker as an Otter test: its feedback is the test's message.

    It reads the answer from the notebook's environment (``env``) rather than as an argument, so
    that a deleted answer variable is reported as such instead of as ``None``.
    """
    variable = variables[index]
    return (f'def test_{checker.removeprefix("check_")}(env):\n'
            "    from bahdanau import exercises\n\n"
            f'    assert "{variable}" in env, (\n'
            f'        "{variable} is not defined: was it deleted or renamed? Run its cell again.")\n'
            f'    feedback = exercises.{checker}(env["{variable}"])\n'
            "    assert feedback.passed, str(feedback)\n")


def setup_cell_for_students(source: str) -> str:
    """The Colab set-up cell, also installing Otter (the student notebook's grader.check)."""
    marker = 'subprocess.run([*pip, "--no-deps", "d2l==1.0.3"], check=True)'
    if marker not in source:
        raise SystemExit("the Colab set-up cell changed: update setup_cell_for_students")
    indent = re.search(r"^(\s*)" + re.escape(marker), source, re.MULTILINE).group(1)
    otter = f'subprocess.run([*pip, "otter-grader=={OTTER_VERSION}"], check=True)'
    return source.replace(marker, f"{marker}\n{indent}{otter}")


def published_notebook_url(chapter: str) -> str:
    """Where .github/workflows/student.yml publishes a chapter's student notebook (raw file)."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    owner_and_name = url.removeprefix("https://github.com/").strip("/")
    return f"https://raw.githubusercontent.com/{owner_and_name}/{student_branch()}/notebooks/{chapter}.ipynb"


def student_branch() -> str:
    """The branch named by book/student_config.py's ``STUDENT_BRANCH``.

    Read from the file's syntax tree rather than imported: the module imports its neighbours in
    book/, which are not on this script's path.
    """
    tree = ast.parse((ROOT / "book" / "student_config.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "STUDENT_BRANCH" for t in node.targets):
            return ast.literal_eval(node.value)
    raise LookupError("book/student_config.py no longer defines STUDENT_BRANCH")


def grader_cell(chapter: str) -> str:
    """Otter's grader; on Colab, which cannot read the notebook's own file, from published tests."""
    return (
        '# Otter-Grader: grader.check("name") runs the public tests of one exercise.\n'
        "import otter\n\n"
        'if "google.colab" in sys.modules:\n'
        "    # Colab cannot read this notebook's own file, where the public tests\n"
        "    # are: write them from the published copy of this notebook.\n"
        "    from bahdanau.exercises.colab import write_public_tests\n\n"
        f'    write_public_tests(\n        "{published_notebook_url(chapter)}"\n    )\n'
        '    grader = otter.Notebook(tests_dir="tests")\n'
        "else:\n"
        f'    grader = otter.Notebook("{chapter}.ipynb")'
    )


@dataclass
class Question:
    name: str
    label: str
    title: str
    points: int
    manual: bool
    prompt: str = ""

    def as_json(self) -> dict:
        data = {"name": self.name, "label": self.label, "title": self.title, "points": self.points,
                "manual": self.manual}
        if self.manual:
            data["prompt"] = self.prompt
        return data


def chapter_title(nb) -> str:
    return nb.cells[0].source.splitlines()[0].lstrip("# ").strip()


def master_notebook(chapter: str, requirements: str) -> tuple[nbformat.NotebookNode, list[Question]]:
    """The chapter as Otter's master notebook, and its questions (autograded, then open, per exercise)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    bib = read_bib()
    followed_by = open_questions()
    code = GradingCode.read()
    # The notebook names its exercises by label (JSON cannot import the records).
    records = {exercise.label: exercise for exercise in EXERCISES if exercise.chapter == chapter}
    chapter_number = chapter.split("_")[0].lstrip("0")

    start = next(i for i, cell in enumerate(nb.cells)
                 if cell.cell_type == "markdown" and cell.source.startswith("## Exercises"))
    cells = [assignment_config_cell(chapter, requirements), *chapter_cells(chapter, nb.cells[:start])]
    questions: list[Question] = []
    cells.append(nbformat.v4.new_markdown_cell(
        "## Exercises\n\n"
        "Each exercise below is graded. Replace `None` in its answer cell with your answer, run "
        "the cell (its checker says *Correct* or what is wrong), then run the "
        "`grader.check(...)` cell under it: those are the public tests. The grader also runs "
        "hidden tests (other inputs and seeds), and reads your answers to the open questions. "
        "Keep each answer in its own variable (`answer_...`), and keep every cell quick: the "
        "grader stops a cell after a time limit."))

    body = nb.cells[start + 1:]
    i = 0
    number = 0
    while i < len(body):
        parsed = directive(body[i])
        if not parsed or parsed[0] != "exercise":
            cells.append(copy.deepcopy(body[i]))
            i += 1
            continue
        _, title, options, text = parsed
        label = options["label"]
        if label not in records:
            raise SystemExit(f"{chapter}: the exercise {label} has no record in bahdanau.exercises.EXERCISES "
                             f"for this chapter (its records: {sorted(records)})")
        exercise = records.pop(label)
        number += 1
        answer_cells = []
        i += 1
        while i < len(body) and body[i].cell_type == "code":
            answer_cells.append(body[i])
            i += 1
        solution = directive(body[i]) if i < len(body) else None
        if not solution or solution[0] != "solution" or solution[1] != label:
            raise SystemExit(f"{chapter}: exercise {label} is not followed by its answer cells and solution")
        i += 1
        heading = f"Exercise {chapter_number}.{number}"
        question = Question(exercise.name, label, exercise.title, exercise.points, manual=False)
        questions.append(question)
        cells += autograded_cells(exercise, f"### {heading}: {title} ({question.points} points)\n\n"
                                  + plain_markdown(text, bib), answer_cells, solution_prose(solution[3], bib), code)
        for entry in followed_by.get(exercise, []):
            manual = Question(entry["name"], label, exercise.title, int(entry["points"]), manual=True,
                              prompt=entry["prompt"])
            questions.append(manual)
            cells += open_question_cells(manual, heading, entry)
    if records:
        raise SystemExit(f"{chapter}: bahdanau.exercises.EXERCISES lists {sorted(records)}, which the notebook has "
                         "no {exercise} block labelled")
    master = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
    return master, questions


def assignment_config_cell(chapter: str, requirements: str):
    """Otter Assign's configuration of the chapter's assignment."""
    return raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump({
        "name": chapter,
        "requirements": requirements,
        "overwrite_requirements": True,
        "python_version": "3.11",
        "init_cell": False,  # ours follows the Colab set-up cell, which installs Otter there
        "check_all_cell": True,
        "export_cell": False,
        "run_tests": False,  # tests/test_grading.py grades the instructor notebook instead
        "tests": {"files": False, "ok_format": False},
        "plugins": [{"bahdanau.exercises.guard.Guard": {}}],
        # Otter adds the plugins above to the autograder's configuration.
        "generate": {"pdf": False, "show_hidden": False, "show_stdout": False},
    }, sort_keys=False))


def chapter_cells(chapter: str, cells: list) -> list:
    """The chapter before its exercises: outputs cleared, the set-up cell followed by Otter's grader."""
    kept = []
    for cell in cells:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code" and 'if "google.colab" in sys.modules' in cell.source:
            cell.source = setup_cell_for_students(cell.source)
            cell.metadata.pop("tags", None)
            kept.append(cell)
            kept.append(nbformat.v4.new_code_cell(grader_cell(chapter)))
            continue
        if cell.cell_type == "code":
            cell.pop("outputs", None)
            cell.outputs = []
            cell.execution_count = None
        kept.append(cell)
    return kept


@dataclass
class GradingCode:
    """The text of solutions.py and hidden_tests.py, from which the cells are copied."""

    solutions: Source
    hidden_tests: Source

    @classmethod
    def read(cls) -> GradingCode:
        return cls(Source.read(Path(solutions.__file__)), Source.read(Path(hidden_tests.__file__)))

    def solution(self, answer: Answer) -> str:
        """The source of the answer's reference and of the objects it uses, with their imports."""
        return self.solutions.code_for(self.solutions.with_dependencies(reference(answer).name))

    def hidden_test(self, test: Callable) -> str:
        """One hidden test's source, as written (it is self-contained)."""
        return textwrap.dedent(self.hidden_tests.segment(self.hidden_tests.objects[test.__name__]))


def autograded_cells(exercise: Exercise, prompt: str, answer_cells: list, explanation: str,
                     code: GradingCode) -> list:
    """One exercise as an Otter question: its prompt, solved answer cells, explanation and tests."""
    cells = [raw(yaml.safe_dump({"name": exercise.name, "points": exercise.points, "all_or_nothing": True},
                                sort_keys=False).join(["# BEGIN QUESTION\n", ""])),
             nbformat.v4.new_markdown_cell(prompt)]
    if len(answer_cells) != len(exercise.answers):
        raise SystemExit(f"{exercise.chapter}: {exercise.label} has {len(answer_cells)} answer cells for "
                         f"{len(exercise.answers)} checkers")
    cells.append(raw("# BEGIN SOLUTION"))
    cells += [solved_answer_cell(exercise, answer, cell, code) for answer, cell in zip(exercise.answers, answer_cells)]
    cells.append(raw("# END SOLUTION"))
    cells.append(raw("# BEGIN SOLUTION"))
    cells.append(nbformat.v4.new_markdown_cell("**Reference solution (instructors only).** " + explanation))
    cells.append(raw("# END SOLUTION"))
    cells.append(raw("# BEGIN TESTS"))
    for index, answer in enumerate(exercise.answers):
        cells.append(nbformat.v4.new_code_cell(public_test(answer.checker, exercise.variables, index)))
    for test in hidden_tests_of(exercise):
        cells.append(nbformat.v4.new_code_cell('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
                                               + code.hidden_test(test)))
    cells.append(raw("# END TESTS"))
    cells.append(raw("# END QUESTION"))
    return cells


def solved_answer_cell(exercise: Exercise, answer: Answer, cell, code: GradingCode):
    """The chapter's answer cell with the reference solution, in the answer's own variable."""
    source, variable = cell.source, exercise.variable(answer)
    if not ANSWER_LINE.search(source) or f"exercises.{answer.checker}(answer)" not in source:
        raise SystemExit(f"{exercise.chapter}: the answer cell of {exercise.label} has no 'answer = None' and "
                         f"{answer.checker}")
    # The reference code goes first in the cell, before the chapter's lines that use it.
    solved = "\n".join([
        "# BEGIN SOLUTION NO PROMPT", code.solution(answer), "# END SOLUTION", "",
        ANSWER_LINE.sub(f"{variable} = {reference(answer).expression}  # SOLUTION", source, count=1)])
    solved = re.sub(r"\banswer\b", variable, solved)
    # The student's line is the chapter's own, comment included (restored after Otter).
    student_line = ANSWER_LINE.search(source).group(0).replace("answer", variable, 1)
    new = nbformat.v4.new_code_cell(solved)
    new.metadata["bahdanau_student_line"] = student_line
    return new


def open_question_cells(question: Question, heading: str, entry: dict) -> list:
    """An open question of rubrics.yml as a manually graded question; the rubric for instructors only."""
    criteria = "\n".join(f"- **{c['points']} point{'s' if c['points'] != 1 else ''}**: {c['criterion']}"
                         for c in entry["rubric"])
    return [
        raw(yaml.safe_dump({"name": question.name, "manual": True, "points": question.points},
                           sort_keys=False).join(["# BEGIN QUESTION\n", ""])),
        nbformat.v4.new_markdown_cell(f"**{heading}, open question** ({question.points} points, graded by "
                                      f"hand): {entry['prompt']}"),
        raw("# BEGIN SOLUTION"),
        nbformat.v4.new_markdown_cell(f"**Rubric ({question.points} points, instructors only).**\n\n{criteria}\n\n"
                                      f"**Model answer.** {entry['model_answer']}"),
        raw("# END SOLUTION"),
        raw("# END QUESTION"),
    ]


# ---------------------------------------------------------------------------------------------
# Otter Assign, then our touches on its output
# ---------------------------------------------------------------------------------------------


def gradescope_requirements() -> str:
    """What the autograder's environment installs: CPU PyTorch, the package, Otter, d2l's imports."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    ours = [line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    d2l_imports = ours[ours.index("# d2l's runtime imports") + 1:]
    return "\n".join([
        "# The autograder's Python packages (written by book/grading/make_assignments.py).",
        "--extra-index-url https://download.pytorch.org/whl/cpu",
        "torch>=2.2,<3",
        f"bahdanau[widgets] @ git+{url}@main",
        f"otter-grader=={OTTER_VERSION}",
        "ipykernel",
        *[line for line in d2l_imports if line and not line.startswith("#")],
        "",
    ])


def restore_student_lines(nb) -> None:
    """Otter writes 'answer_x = ...'; students get the chapter's 'answer_x = None  # hint'."""
    for cell in nb.cells:
        line = cell.metadata.pop("bahdanau_student_line", None)
        if line is None:
            continue
        variable = line.split(" = ", 1)[0]
        cell.source = re.sub(rf"^{re.escape(variable)} = \.\.\.$", line, cell.source, count=1, flags=re.MULTILINE)
        if line not in cell.source:
            raise SystemExit(f"could not restore the answer line {line!r}")


def add_d2l_to_setup(zip_path: Path) -> None:
    """d2l 1.0.3 pins numpy 1.23.5: install it without its pins, as the Makefile does."""
    with zipfile.ZipFile(zip_path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    setup = members["setup.sh"].decode()
    members["setup.sh"] = (setup.rstrip("\n") + "\n\n# d2l 1.0.3 without its pins (numpy 1.23.5 ...), as the "
                           "book's Makefile installs it\n"
                           "mamba run -n otter-env pip install --no-deps d2l==1.0.3\n").encode()
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def build(chapter: str, out: Path) -> dict:
    """Write one chapter's assignment under ``out / chapter``; return its manifest entry."""
    target = out / chapter
    if target.exists():
        shutil.rmtree(target)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        (work / "requirements.txt").write_text(gradescope_requirements(), encoding="utf-8")
        master, questions = master_notebook(chapter, "requirements.txt")
        nbformat.write(master, work / f"{chapter}.ipynb")
        result = subprocess.run([sys.executable, "-m", "otter", "assign", f"{chapter}.ipynb", "dist"],
                                cwd=work, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"otter assign failed for {chapter}:\n{result.stdout}\n{result.stderr}")
        dist = work / "dist"
        for part in ("student", "instructor", "autograder"):
            (target / part).mkdir(parents=True)
        student = nbformat.read(dist / "student" / f"{chapter}.ipynb", as_version=4)
        restore_student_lines(student)
        nbformat.write(student, target / "student" / f"{chapter}.ipynb")
        instructor = nbformat.read(dist / "autograder" / f"{chapter}.ipynb", as_version=4)
        for cell in instructor.cells:
            cell.metadata.pop("bahdanau_student_line", None)
        nbformat.write(instructor, target / "instructor" / f"{chapter}.ipynb")
        (zip_path,) = (dist / "autograder").glob("*.zip")
        autograder = target / "autograder" / f"{chapter}-autograder.zip"
        shutil.copy(zip_path, autograder)
        add_d2l_to_setup(autograder)
    autograded = sum(q.points for q in questions if not q.manual)
    manual = sum(q.points for q in questions if q.manual)
    return {
        "chapter": chapter,
        "title": chapter_title(nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)),
        "student": f"{chapter}/student/{chapter}.ipynb",
        "instructor": f"{chapter}/instructor/{chapter}.ipynb",
        "autograder": f"{chapter}/autograder/{chapter}-autograder.zip",
        "questions": [q.as_json() for q in questions],
        "points": {"autograded": autograded, "manual": manual, "total": autograded + manual},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="output folder, e.g. _build/assignments")
    parser.add_argument("--chapters", nargs="+", default=list(CHAPTERS), choices=CHAPTERS)
    args = parser.parse_args(argv)
    problems = record_problems()
    if problems:
        raise SystemExit("the exercises' records and book/grading do not fit together:\n- " + "\n- ".join(problems))
    args.out.mkdir(parents=True, exist_ok=True)
    entries = []
    for chapter in args.chapters:
        entry = build(chapter, args.out)
        entries.append(entry)
        print(f"{chapter}: {len(entry['questions'])} questions, {entry['points']['total']} points "
              f"({entry['points']['manual']} graded by hand)")
    (args.out / "manifest.json").write_text(json.dumps({"assignments": entries}, indent=1) + "\n", encoding="utf-8")
    print(f"Assignments written to {args.out}")


if __name__ == "__main__":
    main()
