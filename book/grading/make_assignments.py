"""Turn the chapter notebooks into Otter-Grader assignments: ``make assignments``.

Usage::

    python book/grading/make_assignments.py _build/assignments [--chapters 01_why_attention ...]

For every chapter it writes::

    OUT/<chapter>/student/<chapter>.ipynb       the chapter, solutions removed, outputs cleared
    OUT/<chapter>/instructor/<chapter>.ipynb    the chapter with the reference solutions and rubrics
    OUT/<chapter>/autograder/<chapter>-autograder.zip   for Gradescope, or `make grade`
    OUT/manifest.json                           every assignment's questions and points

The chapter notebooks stay the one source of the exercises. Each ``{exercise}`` block of a
chapter, with its answer cell(s) and its ``{solution}`` dropdown, becomes one Otter question:

- its points come from the ``Points`` column of the exercises table in ``book/instructors.md``;
- the student sees the exercise and the chapter's answer cell (``answer = None``, renamed
  ``answer_<name>`` so that every exercise keeps its own answer), and ``grader.check("<name>")``;
- the instructor sees, in that cell, the reference solution (``book/grading/solutions.py``) and,
  below it, the dropdown's explanation;
- the public test is the exercise's checker (its one-line feedback is the test's message); the
  hidden tests are the functions ``hidden_<name>_*`` of ``book/grading/hidden_tests.py``
  (other seeds, other sizes, more properties), all or nothing.

Open questions (``book/grading/rubrics.yml``) become manually graded questions whose rubric and
model answer are in the instructor notebook only. The autograder runs each submission with
:class:`bahdanau.exercises.guard.Guard`: a time limit per cell and a cap on printed output.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[2]
GRADING = ROOT / "book" / "grading"
CHAPTERS = ("01_why_attention", "02_additive_attention", "03_decoder_loop", "04_training_and_evaluation")
OTTER_VERSION = "7.0.0"
HIDDEN_TESTS = GRADING / "hidden_tests.py"

# Which object of book/grading/solutions.py answers each checker, and the expression the
# instructor notebook assigns to the answer variable. Objects a solution uses (beam_winners uses
# length_normalised_score, LSTMAttentionDecoder uses LSTMState) are added automatically.
SOLUTIONS = {
    "check_encoder_shapes": ("encoder_shapes", "encoder_shapes()"),
    "check_parameter_count": ("parameter_count", "parameter_count()"),
    "check_read_alignment": ("read_alignment", "read_alignment()"),
    "check_attention_weight": ("attention_weight_by_hand", "attention_weight_by_hand()"),
    "check_additive_weights": ("additive_attention_weights", "additive_attention_weights"),
    "check_dot_product_attention": ("DotProductAttention", "DotProductAttention()"),
    "check_read_total_attention": ("read_total_attention", "read_total_attention()"),
    "check_decoder_shapes": ("decoder_shapes", "decoder_shapes()"),
    "check_fixed_decoder": ("FixedAttentionDecoder", "FixedAttentionDecoder"),
    "check_lstm_decoder": ("LSTMAttentionDecoder", "LSTMAttentionDecoder"),
    "check_read_certainty": ("read_certainty", "read_certainty()"),
    "check_bleu_by_hand": ("bleu_by_hand", "bleu_by_hand()"),
    "check_length_normalised_score": ("length_normalised_score", "length_normalised_score"),
    "check_beam_winner": ("beam_winners", "beam_winners()"),
    "check_attention_entropy": ("attention_entropy", "attention_entropy"),
    "check_bidirectional_encoder": ("BidirectionalEncoder", "BidirectionalEncoder"),
    "check_read_failure": ("read_failure", "read_failure()"),
}
# An exercise with two answers names the second after what it holds.
SECOND_ANSWER = {"check_beam_winner": "winners"}

ANSWER_LINE = re.compile(r"^answer = None(?P<comment>.*)$", re.MULTILINE)


def question_name(label: str) -> str:
    """The Otter question of an exercise label: 'ex-encoder-shapes' -> 'encoder_shapes'."""
    return label.removeprefix("ex-").replace("-", "_")


def answer_variables(label: str, checkers: tuple[str, ...]) -> list[str]:
    """One answer variable per checker: answer_<name>, then answer_<name>_<what>."""
    name = question_name(label)
    return [f"answer_{name}"] + [f"answer_{name}_{SECOND_ANSWER[c]}" for c in checkers[1:]]


# ---------------------------------------------------------------------------------------------
# Reading the sources: the points table, the rubrics, the solutions, the hidden tests
# ---------------------------------------------------------------------------------------------


def points_table(page: Path = ROOT / "book" / "instructors.md") -> dict[str, int]:
    """Exercise title -> points, from the exercises table of book/instructors.md.

    That is the table with the columns 'Exercise', 'Points' and 'Checker' (other tables of the
    page may have some of them).
    """
    rows = [line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    points = {}
    header = None
    for row in rows:
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        if {"Exercise", "Points", "Checker"} <= set(cells):
            header = cells
            continue
        if header is None or set(row) <= set("|-: "):
            continue
        if len(cells) != len(header):
            header = None  # another table
            continue
        record = dict(zip(header, cells))
        points[record["Exercise"]] = int(record["Points"])
    if not points:
        raise SystemExit(f"{page}: no exercises table with the columns Exercise, Points and Checker")
    return points


def rubrics(path: Path = GRADING / "rubrics.yml") -> dict[str, list[dict]]:
    """Exercise label -> its open questions (graded by hand), from rubrics.yml."""
    by_label: dict[str, list[dict]] = {}
    if path.exists():
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            by_label.setdefault(entry["exercise"], []).append(entry)
    return by_label


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


def hidden_tests(name: str, source: Source) -> list[str]:
    """The source of each hidden test of question ``name``: functions hidden_<name>_*."""
    prefix = f"hidden_{name}_"
    found = [source.segment(node) for key, node in source.objects.items()
             if key.startswith(prefix) and isinstance(node, ast.FunctionDef)]
    return [textwrap.dedent(text) for text in found]


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
    """The branch named in book/student_config.py (which imports its neighbours in book/)."""
    sys.path.insert(0, str(ROOT / "book"))
    try:
        spec = importlib.util.spec_from_file_location("student_config", ROOT / "book" / "student_config.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "book"))
    return module.STUDENT_BRANCH


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
    from bahdanau.exercises import EXERCISES

    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    bib = read_bib()
    points = points_table()
    open_questions = rubrics()
    solutions = Source.read(GRADING / "solutions.py")
    hidden = Source.read(HIDDEN_TESTS)
    registry = {exercise.label: exercise for exercise in EXERCISES if exercise.chapter == chapter}
    chapter_number = chapter.split("_")[0].lstrip("0")

    start = next(i for i, cell in enumerate(nb.cells)
                 if cell.cell_type == "markdown" and cell.source.startswith("## Exercises"))
    cells = [raw("# ASSIGNMENT CONFIG\n" + yaml.safe_dump({
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
    }, sort_keys=False))]
    for cell in nb.cells[:start]:
        cell = copy.deepcopy(cell)
        if cell.cell_type == "code" and 'if "google.colab" in sys.modules' in cell.source:
            cell.source = setup_cell_for_students(cell.source)
            cell.metadata.pop("tags", None)
            cells.append(cell)
            cells.append(nbformat.v4.new_code_cell(grader_cell(chapter)))
            continue
        if cell.cell_type == "code":
            cell.pop("outputs", None)
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)

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
        exercise = registry[label]
        number += 1
        name = question_name(label)
        variables = answer_variables(label, exercise.checkers)
        answer_cells = []
        i += 1
        while i < len(body) and body[i].cell_type == "code":
            answer_cells.append(body[i])
            i += 1
        solution = directive(body[i]) if i < len(body) else None
        if not solution or solution[0] != "solution" or solution[1] != label:
            raise SystemExit(f"{chapter}: exercise {label} is not followed by its answer cells and solution")
        i += 1
        if len(answer_cells) != len(exercise.checkers):
            raise SystemExit(f"{chapter}: {label} has {len(answer_cells)} answer cells for "
                             f"{len(exercise.checkers)} checkers")
        question = Question(name, label, exercise.title, points[exercise.title], manual=False)
        questions.append(question)
        cells.append(raw(yaml.safe_dump({"name": name, "points": question.points, "all_or_nothing": True},
                                        sort_keys=False).join(["# BEGIN QUESTION\n", ""])))
        cells.append(nbformat.v4.new_markdown_cell(
            f"### Exercise {chapter_number}.{number}: {title} ({question.points} points)\n\n"
            + plain_markdown(text, bib)))
        cells.append(raw("# BEGIN SOLUTION"))
        for checker, variable, cell in zip(exercise.checkers, variables, answer_cells):
            source = cell.source
            if not ANSWER_LINE.search(source) or f"exercises.{checker}(answer)" not in source:
                raise SystemExit(f"{chapter}: the answer cell of {label} has no 'answer = None' and {checker}")
            obj, expression = SOLUTIONS[checker]
            code = solutions.code_for(solutions.with_dependencies(obj))
            # The reference code goes first in the cell, before the chapter's lines that use it.
            solved = "\n".join([
                "# BEGIN SOLUTION NO PROMPT", code, "# END SOLUTION", "",
                ANSWER_LINE.sub(f"{variable} = {expression}  # SOLUTION", source, count=1)])
            solved = re.sub(r"\banswer\b", variable, solved)
            # The student's line is the chapter's own, comment included (restored after Otter).
            student_line = ANSWER_LINE.search(source).group(0).replace("answer", variable, 1)
            new = nbformat.v4.new_code_cell(solved)
            new.metadata["bahdanau_student_line"] = student_line
            cells.append(new)
        cells.append(raw("# END SOLUTION"))
        explanation = solution_prose(solution[3], bib)
        cells.append(raw("# BEGIN SOLUTION"))
        cells.append(nbformat.v4.new_markdown_cell("**Reference solution (instructors only).** " + explanation))
        cells.append(raw("# END SOLUTION"))
        cells.append(raw("# BEGIN TESTS"))
        for index, checker in enumerate(exercise.checkers):
            cells.append(nbformat.v4.new_code_cell(public_test(checker, variables, index)))
        tests = hidden_tests(name, hidden)
        if not tests:
            raise SystemExit(f"book/grading/hidden_tests.py has no hidden_{name}_* test")
        for test in tests:
            cells.append(nbformat.v4.new_code_cell('""" # BEGIN TEST CONFIG\nhidden: true\n""" # END TEST CONFIG\n'
                                                   + test))
        cells.append(raw("# END TESTS"))
        cells.append(raw("# END QUESTION"))
        for entry in open_questions.get(label, []):
            manual = Question(entry["name"], label, exercise.title, int(entry["points"]), manual=True,
                              prompt=entry["prompt"])
            questions.append(manual)
            cells.append(raw(yaml.safe_dump({"name": manual.name, "manual": True, "points": manual.points},
                                            sort_keys=False).join(["# BEGIN QUESTION\n", ""])))
            cells.append(nbformat.v4.new_markdown_cell(
                f"**Exercise {chapter_number}.{number}, open question** ({manual.points} points, graded by "
                f"hand): {entry['prompt']}"))
            criteria = "\n".join(f"- **{c['points']} point{'s' if c['points'] != 1 else ''}**: {c['criterion']}"
                                 for c in entry["rubric"])
            cells.append(raw("# BEGIN SOLUTION"))
            cells.append(nbformat.v4.new_markdown_cell(
                f"**Rubric ({manual.points} points, instructors only).**\n\n{criteria}\n\n"
                f"**Model answer.** {entry['model_answer']}"))
            cells.append(raw("# END SOLUTION"))
            cells.append(raw("# END QUESTION"))
    master = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(nb.metadata))
    return master, questions


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
