"""requirements.txt must resolve on the Pythons learners use (3.12 and 3.13 as well as this one).

d2l==1.0.3 is deliberately absent from requirements.txt: its pins (numpy 1.23.5) have no
wheels for Python >= 3.12, so it is installed with --no-deps and its runtime imports are listed.
"""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import install  # book/install.py: not part of the package (pytest's pythonpath has its folder)
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow  # asks the indexes
@pytest.mark.parametrize("python_version", ["3.12", "3.13"])
def test_requirements_resolve_for_newer_pythons(python_version):
    """Wheels only, for that Python, from the indexes `make setup` installs from (book/install.py:
    pip's). uv's resolver, as `make setup`'s: it evaluates the environment markers for the Python
    asked for, which pip's ``--python-version`` does not (pip resolved ``overrides``, which
    jupyter_server needs only where ``python_version < '3.12'``, into its 3.12 resolution). It
    takes about 1 CPU-s where pip took 15 (it reads every wheel for its metadata)."""
    uv = Path(sys.executable).with_name("uv")
    configuration = install.pip_configuration()
    command = [str(uv), "pip", "compile", "--quiet", "--python-version", python_version, "--only-binary", ":all:",
               *install.uv_options(configuration), str(ROOT / "requirements.txt")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900,
                            env=install.uv_environment(configuration))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    pinned = {line.split("==")[0] for line in result.stdout.splitlines() if "==" in line}
    for name in ("torch", "jupyter-book", "nbval", "sacrebleu", "sphinx-exercise"):
        assert name in pinned, f"{name} missing from the resolution for Python {python_version}"
    assert "overrides" not in pinned  # markers evaluated for that Python


def test_d2l_is_installed_without_its_pins_and_its_imports_are_listed():
    requirements = (ROOT / "requirements.txt").read_text()
    assert "d2l" not in [line.split("=")[0].strip() for line in requirements.splitlines()]
    for module in ("pandas", "scipy", "requests", "pillow", "matplotlib-inline", "torchvision"):
        assert module in requirements
    assert "--no-deps d2l==1.0.3" in (ROOT / "Makefile").read_text()
    import d2l.torch  # noqa: F401 - the installed copy must import with our numpy


def test_the_test_extra_has_the_plugins_whose_hooks_conftest_implements():
    """`make unit` installs only the package's test extra. tests/conftest.py implements
    pytest-xdist's scheduler hook, and pytest stops with an INTERNALERROR on a hook no installed
    plugin declares: `make unit` did, until the extra listed pytest-xdist."""
    test_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    names = {requirement.split(">")[0].split("=")[0].strip() for requirement in test_extra}
    conftest = (ROOT / "tests" / "conftest.py").read_text()
    if "def pytest_xdist_" in conftest:
        assert "pytest-xdist" in names, test_extra


def test_widgets_are_an_optional_extra_that_requirements_install():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [dep for dep in project["dependencies"] if dep.startswith("ipywidgets")]
    assert project["optional-dependencies"]["widgets"] == ["ipywidgets>=7.6"]  # Colab has ipywidgets 7
    assert "ipywidgets" in (ROOT / "requirements.txt").read_text()
    # The Pythons the README promises (3.11 to 3.13): this one, and the two resolved above.
    assert project["requires-python"] == ">=3.11"


def test_make_lint_runs_ruff_and_make_test_runs_it_first():
    requirements = (ROOT / "requirements.txt").read_text()
    assert "ruff" in [line.split(">")[0].strip() for line in requirements.splitlines()]
    makefile = (ROOT / "Makefile").read_text()
    assert "ruff check src tests notebooks" in makefile
    test_rule = next(line for line in makefile.splitlines() if line.startswith("test:"))
    assert "lint" in test_rule.split() and "browser" in test_rule.split()
    for target in ("setup:", "book:", "student-book:", "unit:"):
        rule = next(line for line in makefile.splitlines() if line.startswith(target))
        assert "browser" not in rule and "CHROM" not in rule, rule


def test_make_book_needs_no_browser_and_no_sudo_while_make_test_installs_one():
    # A machine with no Chromium (the variables point at files that do not exist): the plan of
    # `make book` and `make student-book` (make -n prints it without running it) installs
    # Python packages only, while `make test` would install the browser.
    missing = {"BAHDANAU_CHROMIUM": "/nonexistent/chromium", "BAHDANAU_CHROMEDRIVER": "/nonexistent/chromedriver",
               "BAHDANAU_FIREFOX": "/nonexistent/firefox-esr"}
    env = {**os.environ, **missing}

    def plan(*targets: str) -> str:
        result = subprocess.run(["make", "-n", *targets], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout

    for target in ("book", "student-book"):
        commands = plan(target)
        assert "jupyter-book build" in commands
        assert "apt-get" not in commands and "sudo" not in commands and "chromium" not in commands.lower()
    install = next(line for line in plan("test").splitlines() if "apt-get install" in line)
    # Only what is missing is asked for: the browsers here, and Node.js and npm only where no npm
    # is found (NodeSource's nodejs, which carries its own npm, conflicts with Debian's npm).
    asked = install.split("--no-install-recommends", 1)[1].split()
    assert {"chromium", "chromium-driver", "firefox-esr"} <= set(asked)
    npm_missing = shutil.which("npm") is None and not Path("/usr/bin/npm").exists()
    assert ("npm" in asked) == npm_missing and ("nodejs" in asked) == npm_missing, install
