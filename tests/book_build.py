"""The strict book builds, shared by the tests that read the built site (test_book.py, test_browser.py).

The session-scoped ``build`` fixture in conftest.py runs :func:`run_build` once per test session.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"

# The arguments of the Makefile's `book` target. --all rebuilds every page, so that warnings
# from pages unchanged since the last build are reported again.
BUILD_ARGS = ["build", ".", "--all", "--warningiserror", "--nitpick", "--keep-going"]

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def jupyter_book() -> str:
    """The jupyter-book of the environment running the tests (the project's .venv under make)."""
    beside_python = Path(sys.executable).parent / "jupyter-book"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("jupyter-book")
    if found is None:
        pytest.fail("jupyter-book is not installed (it is in requirements.txt)")
    return found


def export_web_models() -> None:
    """What `make web-models` writes before every build: the shipped models for the browser."""
    from bahdanau.cli.export_web import WEB_MODELS, export_model

    for name in WEB_MODELS:
        export_model(name, ROOT / "book" / "_static" / "models")


def run_jupyter_book(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``jupyter-book ARGS`` in the repository; stdout and stderr together, colours removed.

    A ``build`` first exports the browser's models, as ``make book`` does.
    """
    if args and args[0] == "build":
        export_web_models()
    result = subprocess.run(
        [jupyter_book(), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )
    result.stdout = ANSI_ESCAPE.sub("", result.stdout)
    return result


ZH_CONFIG = ROOT / "_build" / "zh" / "_config.yml"
ZH_OUTPUT = ROOT / "_build" / "zh"


def run_zh_build(timeout: float = 1800) -> subprocess.CompletedProcess:
    """What `make book` runs after the English build: the strict Chinese build, into _build/html/zh.

    ``book/zh_config.py`` writes the Chinese edition's configuration; the HTML is then copied
    into the English site's ``zh`` folder, where the language links expect it.
    """
    subprocess.run([sys.executable, str(ROOT / "book" / "zh_config.py"), str(ZH_CONFIG)], check=True, cwd=ROOT)
    result = run_jupyter_book(*BUILD_ARGS, "--config", str(ZH_CONFIG), "--toc", str(ZH_CONFIG.parent / "_toc.yml"),
                              "--path-output", str(ZH_OUTPUT), timeout=timeout)
    if result.returncode == 0:
        shutil.rmtree(HTML / "zh", ignore_errors=True)
        shutil.copytree(ZH_OUTPUT / "_build" / "html", HTML / "zh")
    return result


def run_both_builds() -> subprocess.CompletedProcess:
    """The English build, then the Chinese one: one result, both logs, the first failure's code."""
    english = run_jupyter_book(*BUILD_ARGS)
    chinese = run_zh_build()
    english.stdout += "\n" + chinese.stdout
    english.returncode = english.returncode or chinese.returncode
    return english


def require_html(build: subprocess.CompletedProcess) -> Path:
    """The built site, or a failure quoting the build log when the build did not finish."""
    if build.returncode != 0 or not (HTML / "index.html").is_file() or not (HTML / "zh" / "index.html").is_file():
        pytest.fail(f"the strict build failed (exit code {build.returncode}):\n{build.stdout[-3000:]}")
    return HTML
