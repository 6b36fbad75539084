"""The student edition (`make student-book`): the exercises without their solutions.

The build is the strict one of `make book`, from a generated copy of _config.yml with
sphinx-exercise's ``hide_solutions`` set, into _build/student. The normal build (the shared
``build`` fixture, into _build/html) must still contain the solutions.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest
from book_build import BUILD_ARGS, ROOT, require_html, run_jupyter_book

from bahdanau.exercises import EXERCISES

STUDENT_CONFIG = "_build/student/_config.yml"
STUDENT_ARGS = [*BUILD_ARGS, "--config", STUDENT_CONFIG, "--path-output", "_build/student"]
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"

# Lines of the reference solutions that the book's solution dropdowns show, one or more per chapter.
SOLUTION_CODE = {
    "01_why_attention": ["gru = 3 * (num_hiddens * embed_size"],
    "02_additive_attention": ["scores = torch.bmm(queries, keys.transpose(1, 2))", "features @ w_v"],
    "03_decoder_loop": ["class LSTMState(NamedTuple)", "torch.zeros_like(hidden_state), enc_valid_lens)"],
    "04_training_and_evaluation": ["return log_prob_sum / length**alpha", "-torch.xlogy(weights, weights)",
                                   "pack_padded_sequence(embs, valid_lens.cpu()"],
}
SOLUTION_TITLE = re.compile(r"Solution to Exercise")


def page_text(path: Path) -> str:
    """A page's visible text: tags removed (code is split into highlighting spans), entities decoded,
    Sphinx's typographic apostrophes made plain again."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text(encoding="utf-8"))).replace("\u2019", "'")


@pytest.fixture(scope="module")
def student_build() -> subprocess.CompletedProcess:
    config = subprocess.run([sys.executable, "book/student_config.py", STUDENT_CONFIG], cwd=ROOT,
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stderr
    return run_jupyter_book(*STUDENT_ARGS)


def student_page(build: subprocess.CompletedProcess, chapter: str) -> Path:
    path = STUDENT_HTML / "notebooks" / f"{chapter}.html"
    assert build.returncode == 0 and path.is_file(), f"the student build failed:\n{build.stdout[-3000:]}"
    return path


def test_make_student_book_runs_the_same_command():
    recipe = (ROOT / "Makefile").read_text()
    assert f"book/student_config.py {STUDENT_CONFIG}" in recipe
    assert "jupyter-book " + " ".join(STUDENT_ARGS) in recipe


def test_student_config_hides_solutions_and_keeps_the_rest():
    sys.path.insert(0, str(ROOT / "book"))
    try:
        from student_config import student_config
    finally:
        sys.path.pop(0)
    import yaml

    book = yaml.safe_load((ROOT / "_config.yml").read_text())
    student = student_config()
    assert student["sphinx"]["config"]["hide_solutions"] is True
    assert "hide_solutions" not in book.get("sphinx", {}).get("config", {}), "the normal book must show solutions"
    assert "sphinx_exercise" in student["sphinx"]["extra_extensions"]
    for key in ("exclude_patterns", "execute", "repository", "bibtex_bibfiles", "parse"):
        assert student[key] == book[key], key


def test_student_build_passes_without_warnings(student_build):
    log = student_build.stdout
    assert student_build.returncode == 0, (
        f"the student build failed (exit code {student_build.returncode}):\n{log[-5000:]}"
    )
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "\n".join(warnings)


@pytest.mark.parametrize("chapter", sorted(SOLUTION_CODE))
def test_student_pages_show_exercises_but_no_solutions(student_build, chapter):
    text = page_text(student_page(student_build, chapter))
    for exercise in (e for e in EXERCISES if e.chapter == chapter):
        assert exercise.title in text, f"exercise {exercise.title!r} is missing"
        for checker in exercise.checkers:
            assert f"exercises.{checker}(answer)" in text, f"the cell calling {checker} is missing"
    assert not SOLUTION_TITLE.search(text), "a solution title is in the student edition"
    for line in SOLUTION_CODE[chapter]:
        assert line not in text, f"solution code {line!r} is in the student edition"


@pytest.mark.parametrize("chapter", sorted(SOLUTION_CODE))
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
