"""bahdanau.exercises.colab: a student notebook's public tests as Otter test files."""

from __future__ import annotations

import json

import pytest

from bahdanau.exercises.colab import write_public_tests

TEST = 'from otter.test_files import test_case\n\nOK_FORMAT = False\n\nname = "{name}"\npoints = 2\n'


def notebook(tmp_path, tests: dict) -> str:
    path = tmp_path / "student.ipynb"
    path.write_text(json.dumps({"cells": [], "metadata": {"otter": {"OK_FORMAT": False, "tests": tests}}}))
    return str(path)


def test_writes_one_file_per_question(tmp_path):
    tests = {name: TEST.format(name=name) for name in ("encoder_shapes", "parameter_count")}
    names = write_public_tests(notebook(tmp_path, tests), tmp_path / "tests")
    assert names == ["encoder_shapes", "parameter_count"]
    for name in names:
        assert (tmp_path / "tests" / f"{name}.py").read_text() == tests[name]


def test_refuses_a_notebook_without_tests_and_names_that_leave_the_folder(tmp_path):
    with pytest.raises(ValueError, match="holds no Otter tests"):
        write_public_tests(notebook(tmp_path, {}), tmp_path / "tests")
    with pytest.raises(ValueError, match="is not a question name"):
        write_public_tests(notebook(tmp_path, {"../evil": "x = 1"}), tmp_path / "tests")
    assert not (tmp_path / "evil.py").exists()
