"""The installed package holds no reference solution (issue 16).

Students install ``bahdanau`` (from PyPI, Colab's set-up cell, Binder), so the wheel must not
carry the answers: the reference solutions live in the repository, in book/grading/solutions.py,
for the book's solution dropdowns and the instructor notebooks. The wheel is built here from a
copy of the sources (no network: --no-build-isolation, setuptools from the environment) and
searched for the solutions' module, their code and their answers.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "book" / "grading" / "solutions.py"
SOLUTION_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{solution\}.*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)

# Lines of the solutions that are the package's own idioms, not solution code: the exercise
# helpers' decoder loop and state (bahdanau.exercises.lab's PluggableAttentionDecoder, which the
# LSTM solution adapts), the checkers' reading of a problem, and a checker's own signature.
SHARED_WITH_THE_HELPERS = {
    'problem = READING["alignment"]',
    'result = reading_translation(problem["sentence"], problem["model"])',
    "log_prob_sum: float, length: int, alpha: float",
    "enc_outputs: Tensor  # (B, S, H)",
    "enc_valid_lens: Tensor | None  # (B,)",
    "valid_lens = self.enc_valid_lens[index]",
    "self.attention_weights: Tensor | None = None",
    "outputs, step_weights = [], []",
    "query = hidden_state[-1].unsqueeze(1)  # (B, 1, H): s_{i-1}",
    "self.attention_weights = torch.cat(step_weights, dim=1)  # (B, T, S)",
}


def load_solutions():
    """book/grading/solutions.py as a module (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("bahdanau_reference_solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The package's wheel, built from a clean copy of the sources (no stale build/ folder)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(source)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"pip wheel failed:\n{result.stdout}\n{result.stderr}"
    (path,) = (tmp / "dist").glob("bahdanau-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def text_files(wheel: zipfile.ZipFile) -> dict[str, str]:
    """Every file of the wheel that is UTF-8 text (the checkpoints are not), by name."""
    texts = {}
    for name in wheel.namelist():
        try:
            texts[name] = wheel.read(name).decode("utf-8")
        except UnicodeDecodeError:
            continue
    return texts


def public_code() -> str:
    """The code students read anyway: the chapter notebooks (their {solution} directives left out)
    and the package's modules outside bahdanau.exercises (the library that the solutions build on)."""
    parts = []
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            parts.append(SOLUTION_DIRECTIVE.sub("", "".join(cell["source"])))
    package = ROOT / "src" / "bahdanau"
    parts += [path.read_text(encoding="utf-8") for path in sorted(package.rglob("*.py"))
              if "exercises" not in path.relative_to(package).parts]
    return "\n".join(parts)


def solution_lines() -> list[str]:
    """The non-trivial lines of the solutions: stripped, at least 25 characters, neither a
    comment, a docstring nor an import, nor shared with the code students read anyway."""
    source = SOLUTIONS.read_text(encoding="utf-8")
    docstrings = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                docstrings.update(range(first.lineno, first.end_lineno + 1))
    public = public_code()
    lines = []
    for number, line in enumerate(source.splitlines(), start=1):
        line = line.strip()
        if (len(line) < 25 or line.startswith("#") or number in docstrings
                or re.match(r"(from \S+ )?import ", line) or line in public or line in SHARED_WITH_THE_HELPERS):
            continue
        lines.append(line)
    return lines


def reference_answers() -> dict[str, re.Pattern]:
    """The answers the solutions compute, as the text that would give them away.

    The reading exercises' answers ('blue', 'old', 2, 'tea') are common words and numbers that
    any text holds; they are left out.
    """
    solutions = load_solutions()
    answers: dict[str, re.Pattern] = {}
    encoder, decoder = solutions.encoder_shapes(), solutions.decoder_shapes()
    for shape in (encoder, *encoder, *decoder):
        answers[repr(shape)] = re.compile(re.escape(repr(shape)))
    answers[repr(decoder)] = re.compile(re.escape(repr(decoder)))
    # 2048 is also the size of the benchmark's matmul (bahdanau.cli.bench, the README's table).
    count = solutions.parameter_count()
    answers[str(count)] = re.compile(rf"^(?!.*matmul).*(?<![\w.]){count}(?![\w])", re.MULTILINE)
    for value in (solutions.attention_weight_by_hand(), solutions.bleu_by_hand()):
        answers[f"{value:.3f}"] = re.compile(rf"(?<![\w.]){re.escape(f'{value:.3f}')}")
    winners = solutions.beam_winners()
    answers[repr(winners)] = re.compile(r"\(\s*" + r",\s*".join(f"['\"]{w}['\"]" for w in winners) + r"\s*\)")
    return answers


def test_the_reference_answers_are_what_the_book_says():
    """A guard on the answers searched for below: the numbers the solution dropdowns print."""
    answers = reference_answers()
    for text in ("((4, 7, 16), (2, 4, 16))", "2048", "0.869", "0.432", "('A', 'B')"):
        assert text in answers, sorted(answers)


def test_the_wheel_has_no_solutions_module(wheel):
    names = [name for name in wheel.namelist() if "solution" in name.lower()]
    assert not names, f"the wheel ships {names}: the reference solutions belong in book/grading/"
    assert any(name == "bahdanau/exercises/__init__.py" for name in wheel.namelist()), "no bahdanau.exercises"


def test_the_wheel_has_no_line_of_the_solutions(wheel):
    lines = solution_lines()
    assert len(lines) >= 40, f"only {len(lines)} lines of {SOLUTIONS} to look for"
    found = [f"{name}: {line}" for name, text in text_files(wheel).items() for line in lines if line in text]
    assert not found, "lines of book/grading/solutions.py in the wheel:\n" + "\n".join(found)


def test_the_wheel_gives_no_answer_away(wheel):
    answers, found = reference_answers(), []
    for name, text in text_files(wheel).items():
        for answer, pattern in answers.items():
            for match in pattern.finditer(text):
                number = text.count("\n", 0, match.start()) + 1
                found.append(f"{name}:{number}: {answer} in {text.splitlines()[number - 1].strip()!r}")
    assert not found, "reference answers in the wheel:\n" + "\n".join(found)


def test_the_lines_shared_with_the_helpers_are_lines_of_the_solutions():
    """The exceptions above stay few and real: each is a line of book/grading/solutions.py."""
    lines = {line.strip() for line in SOLUTIONS.read_text(encoding="utf-8").splitlines()}
    assert not SHARED_WITH_THE_HELPERS - lines, SHARED_WITH_THE_HELPERS - lines
