"""The package's folders show its layers, and imports go only downwards.

1. the model core: the modules at the top of ``bahdanau`` (``models``, ``decoding``, ...);
2. the book's helpers: ``bahdanau.chapters`` (plots, diagrams, widgets, experiments) and
   ``bahdanau.exercises`` (the checkers), which may use the chapters' helpers;
3. the programs: ``bahdanau.cli`` (train, evaluate, bench, export_web).

Read from the source with ``ast``, so that an import inside a function counts too.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "bahdanau"
# A module's rank: it may import modules of its own rank or below, never above.
RANKS = {"core": 0, "chapters": 1, "exercises": 2, "cli": 3}


def part(module: str) -> str:
    """``bahdanau.chapters.plotting`` -> "chapters"; a top-level module -> "core"."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) >= 2 and pieces[1] in RANKS else "core"


def module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    names = list(relative.parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


def imported_modules(source: str, package: str) -> set[str]:
    """Every ``bahdanau...`` module that ``source`` imports; relative imports resolved from ``package``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("bahdanau")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("bahdanau"):
                # `from . import problems` names a module too
                found |= {f"{target}.{alias.name}" for alias in node.names} if not node.module else {target}
        elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
              and node.target.id == "_SOURCES" and isinstance(node.value, ast.Dict)):
            # A package's names imported on first use (bahdanau._lazy): {name: submodule}.
            found |= {f"{package}.{value.value}" for value in node.value.values}
    return found


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_three_layers_are_folders():
    parts = {part(module_name(path)) for path in MODULES}
    assert parts == set(RANKS)
    assert {p.name for p in (PACKAGE / "cli").glob("*.py")} >= {"train.py", "evaluate.py", "bench.py", "export_web.py"}
    assert {p.name for p in (PACKAGE / "chapters").glob("*.py")} >= {"plotting.py", "diagrams.py", "interactive.py",
                                                                     "probing.py"}
    for core in ("models.py", "attention.py", "decoding.py", "training.py", "data.py"):
        assert (PACKAGE / core).is_file(), core


def upward_imports(source: str, module: str, package: str) -> list[str]:
    """The imports of ``source`` (module ``module`` in ``package``) from a higher layer."""
    here = part(module)
    return sorted(target for target in imported_modules(source, package) if RANKS[part(target)] > RANKS[here])


@pytest.mark.parametrize("path", MODULES, ids=lambda path: module_name(path))
def test_imports_go_only_downwards(path):
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    upward = upward_imports(path.read_text(encoding="utf-8"), module, package)
    assert not upward, f"{module} ({part(module)}) imports a higher layer: {upward}"


def test_the_rule_finds_an_upward_import_even_inside_a_function():
    core = "def f():\n    from .cli.bench import run\n"
    assert upward_imports(core, "bahdanau.models", "bahdanau") == ["bahdanau.cli.bench"]
    helper = "import bahdanau.cli.train\nfrom ..exercises import problems\n"
    assert upward_imports(helper, "bahdanau.chapters.plotting", "bahdanau.chapters") == [
        "bahdanau.cli.train", "bahdanau.exercises"]
    assert upward_imports("from ..chapters.plotting import show\n", "bahdanau.exercises.lab",
                          "bahdanau.exercises") == []
    lazy = '_SOURCES: dict[str, str] = {"Translator": "pretrained", "run": "cli.bench"}\n'
    assert upward_imports(lazy, "bahdanau", "bahdanau") == ["bahdanau.cli.bench"]


def test_the_installed_package_reads_no_folder_of_the_repository():
    """No path built from the package's own location (``__file__``), no repository folder named."""
    for path in MODULES:
        text = path.read_text(encoding="utf-8")
        assert "__file__" not in text, f"{module_name(path)} builds a path from __file__"
        assert not re.search(r"[\"'](_build|book/_static|notebooks)[/\"']", text), module_name(path)


def test_no_sys_path_edits_in_the_repository():
    """The book's tools are imported through pytest's ``pythonpath`` setting, not by editing the path."""
    edit = "sys.path." + "insert"  # spelt in two pieces so that this file does not match itself
    found = subprocess.run(["git", "grep", "-l", edit, "--", "tests", "book", "src"], cwd=ROOT,
                           capture_output=True, text=True).stdout.split()
    assert found == []
