"""The student edition (`make student-book`): the exercises without their solutions.

The build is the strict one of `make book`, from a generated copy of _config.yml with
sphinx-exercise's ``hide_solutions`` set and the repository branch set to ``student``, into
_build/student; book/student_edition.py then puts the student notebooks of `make assignments`
(_build/assignments) behind the download buttons. The normal build (the shared ``build``
fixture, into _build/html) must still contain the solutions. The ``student`` branch that the
launch buttons open is published by .github/workflows/student.yml.
"""

from __future__ import annotations

import filecmp
import html
import importlib
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import yaml
from book_build import BUILD_ARGS, ROOT, require_html, run_jupyter_book
from test_wheel import solution_lines

from bahdanau.exercises import EXERCISES

STUDENT_CONFIG = "_build/student/_config.yml"
STUDENT_ARGS = [*BUILD_ARGS, "--config", STUDENT_CONFIG, "--path-output", "_build/student"]
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
EDITION_ARGS = ["book/student_edition.py", "_build/assignments", "_build/student/_build/html"]
WORKFLOW = ROOT / ".github" / "workflows" / "student.yml"
SOLUTIONS = ROOT / "book" / "grading" / "solutions.py"
CHAPTERS = ["01_why_attention", "02_additive_attention", "03_decoder_loop", "04_training",
            "05_search_and_measuring", "06_papers_model"]

# Lines of the reference solutions that the book's solution dropdowns show, one or more per chapter.
SOLUTION_CODE = {
    "01_why_attention": ["gru = 3 * (num_hiddens * embed_size"],
    "02_additive_attention": ["scores = torch.bmm(queries, keys.transpose(1, 2))", "features @ w_v"],
    "03_decoder_loop": ["class LSTMState(NamedTuple)", "torch.zeros_like(hidden_state), enc_valid_lens)"],
    "04_training": ["-torch.xlogy(weights, weights)"],
    "05_search_and_measuring": ["return log_prob_sum / length**alpha"],
    "06_papers_model": ["pack_padded_sequence(embs, valid_lens.cpu()"],
}
SOLUTION_TITLE = re.compile(r"Solution to Exercise")
SOLUTION_CELL = re.compile(r"^(`{3,}|:{3,})\{solution\}[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def book_module(name: str):
    """A module of book/ (not a package; pytest's pythonpath has the folder), imported by name."""
    return importlib.import_module(name)


def page_text(path: Path) -> str:
    """A page's visible text: tags removed (code is split into highlighting spans), entities decoded,
    Sphinx's typographic apostrophes made plain again."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))).replace("\u2019", "'")


def notebook_text(path: Path) -> str:
    """A notebook's cell sources and text outputs, one after the other."""
    parts = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        parts.append("".join(cell.get("source", [])))
        for output in cell.get("outputs", []):
            parts.append("".join(output.get("text", [])))
            parts.append("".join(output.get("data", {}).get("text/plain", [])))
    return "\n".join(parts)


def solution_sentences(chapter: str) -> list[str]:
    """Sentences of the chapter's {solution} cells that render as they are written: no math,
    code, emphasis, quotes or references, at least eight words."""
    sentences = []
    for cell in nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4).cells:
        if cell.cell_type != "markdown":
            continue
        for _, body in SOLUTION_CELL.findall(cell.source):
            prose = re.sub(r"^(`{3,}|:{3,}).*?^\1[ \t]*$", "", body, flags=re.MULTILINE | re.DOTALL)
            prose = re.sub(r"^:[\w-]+:.*$", "", prose, flags=re.MULTILINE)
            for sentence in re.split(r"(?<=[.:;])\s+", " ".join(prose.split())):
                sentence = sentence.rstrip(".:;")
                if len(sentence.split()) >= 8 and not re.search(r"[$`*\"{}<>\[\]_]", sentence):
                    sentences.append(sentence)
    return sentences


def chapter_page(chapter: str) -> Path:
    return STUDENT_HTML / "notebooks" / f"{chapter}.html"


@pytest.fixture(scope="module")
def student_build(assignments) -> subprocess.CompletedProcess:
    """What `make student-book` runs: the configuration, the strict build, the student notebooks."""
    config = subprocess.run([sys.executable, "book/student_config.py", STUDENT_CONFIG], cwd=ROOT,
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stderr
    build = run_jupyter_book(*STUDENT_ARGS)
    if build.returncode == 0:
        edition = subprocess.run([sys.executable, *EDITION_ARGS], cwd=ROOT, capture_output=True, text=True)
        build.stdout += edition.stdout + edition.stderr
        assert edition.returncode == 0, f"student_edition.py failed:\n{edition.stdout}\n{edition.stderr}"
    return build


def student_page(build: subprocess.CompletedProcess, chapter: str) -> Path:
    path = chapter_page(chapter)
    assert build.returncode == 0 and path.is_file(), f"the student build failed:\n{build.stdout[-3000:]}"
    return path


def student_files(build: subprocess.CompletedProcess) -> dict[Path, str]:
    """Every page and every downloadable notebook of the student edition, with its text."""
    require = student_page(build, CHAPTERS[0])
    assert require.is_file()
    files = {path: page_text(path) for path in sorted(STUDENT_HTML.rglob("*.html"))}
    files |= {path: notebook_text(path) for path in sorted(STUDENT_HTML.rglob("*.ipynb"))}
    return files


# ---------------------------------------------------------------------------------------------
# Commands and configuration (no build)
# ---------------------------------------------------------------------------------------------

def test_make_student_book_runs_the_same_command():
    recipe = (ROOT / "Makefile").read_text()
    assert f"book/student_config.py {STUDENT_CONFIG}" in recipe
    assert "jupyter-book " + " ".join(STUDENT_ARGS) in recipe
    assert " ".join(EDITION_ARGS) in recipe, "make student-book does not put the student notebooks in"


def test_student_config_hides_solutions_opens_the_student_branch_and_keeps_the_rest():
    student_config = book_module("student_config")
    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    student = student_config.student_config()
    assert student["sphinx"]["config"]["hide_solutions"] is True
    assert "hide_solutions" not in book.get("sphinx", {}).get("config", {}), "the normal book must show solutions"
    assert "sphinx_exercise" in student["sphinx"]["extra_extensions"]
    assert student["repository"]["branch"] == student_config.STUDENT_BRANCH == "student"
    assert book["repository"]["branch"] == "main", "the normal book's launch buttons open main"
    assert {**student["repository"], "branch": book["repository"]["branch"]} == book["repository"]
    for key in ("exclude_patterns", "execute", "launch_buttons", "bibtex_bibfiles", "parse", "html"):
        assert student[key] == book[key], key
    config = {key: value for key, value in student["sphinx"]["config"].items() if key != "hide_solutions"}
    assert config == book["sphinx"]["config"]
    assert set(student) == set(book)


def test_the_solution_lines_below_are_those_of_the_reference_solutions():
    source = SOLUTIONS.read_text(encoding="utf-8")
    for lines in SOLUTION_CODE.values():
        for line in lines:
            assert line in source, f"{line!r} is not in {SOLUTIONS.relative_to(ROOT)}"
    for chapter in CHAPTERS:
        assert len(solution_sentences(chapter)) >= 3, f"{chapter}: too few sentences of its solutions to look for"


def test_the_instructors_page_quotes_no_solution():
    """book/instructors.md is a page of the student edition too."""
    text = (ROOT / "book" / "instructors.md").read_text(encoding="utf-8")
    text = " ".join(text.split())
    for chapter in CHAPTERS:
        for sentence in solution_sentences(chapter):
            assert sentence not in text, sentence


def test_student_edition_script_asks_for_the_assignments(tmp_path):
    result = subprocess.run([sys.executable, "book/student_edition.py", str(tmp_path / "missing"), str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0
    assert "run `make assignments` first" in result.stderr, result.stderr


def test_workflow_publishes_the_student_notebooks_to_the_student_branch():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads the key `on` as True
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write"}
    branch = book_module("student_config").STUDENT_BRANCH
    env = workflow["env"]
    assert env["STUDENT_BRANCH"] == branch
    assert env["PIP_EXTRA_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    uses = [step["uses"].split("@")[0] for step in steps if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python"], uses
    python = next(step for step in steps if step.get("uses", "").startswith("actions/setup-python"))
    assert str(python["with"]["python-version"]) == "3.11"
    runs = [step["run"] for step in steps if "run" in step]
    script = "\n".join(runs).replace("${STUDENT_BRANCH}", branch).replace("$STUDENT_BRANCH", branch)
    assembling = [index for index, run in enumerate(runs) if "notebooks/" in run and "cp " in run]
    making = [index for index, run in enumerate(runs) if re.search(r"^make assignments$", run, re.MULTILINE)]
    pushing = [index for index, run in enumerate(runs) if "git push" in run]
    assert making and assembling and pushing and making[0] < assembling[0] < pushing[0], runs
    assert re.search(r'cp "?\$student"? "?\$tree/notebooks/\$chapter\.ipynb"?', script), "no copy into notebooks/"
    assert "_build/assignments/$chapter/student/$chapter.ipynb" in script
    assert f"refs/heads/{branch}" in script and "secrets.GITHUB_TOKEN" in WORKFLOW.read_text(), "no push"
    for needed in ("binder", "requirements.txt", "pyproject.toml", "README.md"):
        assert needed in script, f"the student branch lacks {needed}, which Binder needs"


# ---------------------------------------------------------------------------------------------
# The student build
# ---------------------------------------------------------------------------------------------

def test_student_build_passes_without_warnings(student_build):
    log = student_build.stdout
    assert student_build.returncode == 0, (
        f"the student build failed (exit code {student_build.returncode}):\n{log[-5000:]}"
    )
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_student_pages_show_exercises_but_no_solutions(student_build, chapter):
    text = page_text(student_page(student_build, chapter))
    for exercise in (e for e in EXERCISES if e.chapter == chapter):
        assert exercise.title in text, f"exercise {exercise.title!r} is missing"
        for checker in exercise.checkers:
            assert f"exercises.{checker}(answer)" in text, f"the cell calling {checker} is missing"
    assert not SOLUTION_TITLE.search(text), "a solution title is in the student edition"
    for line in SOLUTION_CODE[chapter]:
        assert line not in text, f"solution code {line!r} is in the student edition"


def test_no_page_or_notebook_of_the_student_edition_holds_a_solution(student_build):
    files = student_files(student_build)
    assert sum(path.suffix == ".ipynb" for path in files) >= len(CHAPTERS)
    lines = solution_lines()
    sentences = {chapter: solution_sentences(chapter) for chapter in CHAPTERS}
    found = []
    for path, text in files.items():
        flat = " ".join(text.split())
        name = path.relative_to(STUDENT_HTML)
        found += [f"{name}: solution code {line!r}" for line in lines if line in text]
        found += [f"{name}: the solution of {chapter}: {sentence!r}"
                  for chapter, chapter_sentences in sentences.items() for sentence in chapter_sentences
                  if sentence in flat]
        if SOLUTION_TITLE.search(text):
            found.append(f"{name}: a solution title")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_download_button_serves_the_student_notebook(student_build, assignments, chapter):
    student_edition = book_module("student_edition")
    page = student_page(student_build, chapter)
    manifest = json.loads((assignments / "manifest.json").read_text())
    (assignment,) = [a for a in manifest["assignments"] if a["chapter"] == chapter]
    notebook = assignments / assignment["student"]
    links = student_edition.download_links(page, STUDENT_HTML)
    assert links, f"{chapter}.html has no .ipynb download link"
    for target in links:
        assert target.is_file(), f"the download link of {chapter} resolves to no file: {target}"
        assert filecmp.cmp(target, notebook, shallow=False), f"{target} is not the student notebook {notebook}"
        assert not student_edition.solution_markers(target), f"{target} holds solutions"
        assert 'grader.check("' in notebook_text(target), f"{target} is not an Otter notebook"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_the_launch_buttons_open_the_student_branch(student_build, chapter):
    source = student_page(student_build, chapter).read_text(encoding="utf-8")
    config = book_module("student_config").student_config()
    owner_repo = urlparse(config["repository"]["url"]).path.strip("/")
    launch = config["launch_buttons"]
    colab = f'{launch["colab_url"].rstrip("/")}/github/{owner_repo}/blob/student/notebooks/{chapter}.ipynb'
    binder = f'{launch["binderhub_url"].rstrip("/")}/v2/gh/{owner_repo}/student?'
    assert f'href="{colab}"' in source, f"no Colab button opening {colab}"
    binder_links = re.findall(rf'href="({re.escape(binder)}[^"]*)"', source)
    assert any(link.endswith(f"notebooks/{chapter}.ipynb") for link in binder_links), f"no Binder button for {chapter}"
    assert "/blob/main/" not in source and "/main?" not in source, "a launch button still opens main"


# ---------------------------------------------------------------------------------------------
# The normal build keeps its solutions
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("chapter", CHAPTERS)
def test_normal_book_shows_the_solutions(build, chapter):
    source = (require_html(build) / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    text = page_text(require_html(build) / "notebooks" / f"{chapter}.html")
    expected = sum(1 for exercise in EXERCISES if exercise.chapter == chapter)
    assert expected >= 3, f"{chapter} has {expected} exercises; every chapter needs at least 3"
    assert len(SOLUTION_TITLE.findall(text)) == expected
    # Each solution is closed until the reader opens it (sphinx-exercise's dropdown class).
    solution_classes = re.findall(r'<div class="([^"]*\bsolution\b[^"]*)"', source)
    assert len(solution_classes) == expected and all("dropdown" in c.split() for c in solution_classes), (
        solution_classes
    )
    for line in SOLUTION_CODE[chapter]:
        assert line in text, f"solution code {line!r} is missing from {chapter}.html"
    # The sentences the student edition is searched for are there as written (so that their
    # absence from the student edition means something).
    flat = " ".join(text.split())
    for sentence in solution_sentences(chapter):
        assert sentence in flat, f"{sentence!r} is not in {chapter}.html as written"
