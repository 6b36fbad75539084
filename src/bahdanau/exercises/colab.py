"""Otter's public tests for a student notebook opened in Google Colab.

An Otter student notebook carries its public tests in its own metadata, and ``grader.check``
reads them from the notebook's file. Colab keeps the notebook in the browser, not on the
machine that runs it, so there is no file to read (and Otter refuses metadata tests there). The
student notebook's grader cell therefore calls :func:`write_public_tests` on Colab: it reads the
published copy of the same notebook (the repository's ``student`` branch) and writes its public
tests as test files, which ``otter.Notebook(tests_dir=...)`` then runs. The hidden tests are not
in a student notebook, so none can be written.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

__all__ = ["write_public_tests"]


def write_public_tests(notebook: str | Path, tests_dir: str | Path = "tests") -> list[str]:
    """Write the Otter tests stored in ``notebook``'s metadata to ``tests_dir/<name>.py``.

    Args:
        notebook: a URL (http or https) or a path of an Otter student notebook.
        tests_dir: the folder to write the test files to (created if needed).

    Returns:
        The names of the questions whose tests were written.

    Raises:
        ValueError: if the notebook holds no Otter tests, or a question's name is not a plain
            identifier (a test file name must not leave ``tests_dir``).
    """
    text = str(notebook)
    if re.match(r"https?://", text):
        with urllib.request.urlopen(text, timeout=60) as response:  # noqa: S310 (http(s) only)
            data = json.loads(response.read().decode("utf-8"))
    else:
        data = json.loads(Path(notebook).read_text(encoding="utf-8"))
    tests = data.get("metadata", {}).get("otter", {}).get("tests")
    if not tests:
        raise ValueError(f"{text} holds no Otter tests in its metadata")
    folder = Path(tests_dir)
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in tests.items():
        if not re.fullmatch(r"[A-Za-z_]\w*", name):
            raise ValueError(f"{name!r} is not a question name")
        (folder / f"{name}.py").write_text(source, encoding="utf-8")
    return sorted(tests)
