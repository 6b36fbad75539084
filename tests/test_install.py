"""book/install.py: `make setup` installs the requirements with uv, from the indexes pip would use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import install  # book/install.py: not part of the package (pytest's pythonpath has its folder)
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_uv_gets_pips_indexes_find_links_and_constraints():
    configuration = {"index-url": "https://mirror.example/simple",
                     "extra-index-url": "file:///opt/a/simple  file:///opt/b/simple",
                     "find-links": "/opt/wheels", "constraint": "/etc/pip/constraints.txt",
                     "trusted-host": "mirror.example", "no-index": "false", "default-timeout": "180"}
    assert install.uv_options(configuration) == [
        "--index-strategy", "unsafe-best-match",  # pip's choice: the best version on any index
        "--index-url", "https://mirror.example/simple",
        "--extra-index-url", "file:///opt/a/simple", "--extra-index-url", "file:///opt/b/simple",
        "--find-links", "/opt/wheels", "--constraint", "/etc/pip/constraints.txt",
        "--allow-insecure-host", "mirror.example",
    ]
    assert install.uv_options({"no-index": "1", "find-links": "/opt/wheels"})[-1] == "--no-index"
    # No configuration: uv's own default index, which is pip's (PyPI).
    assert install.uv_options({}) == ["--index-strategy", "unsafe-best-match"]


def test_the_configuration_is_pips_own(tmp_path, monkeypatch):
    """Read through pip itself: a file's [install] section wins over its [global] one, and a
    PIP_* variable over both (the machine's own configuration files may add other keys)."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url = https://global.example/simple\n"
                      "extra-index-url = file:///opt/a/simple file:///opt/b/simple\nfind-links = /global/wheels\n"
                      "[install]\nfind-links = /install/wheels\n", encoding="utf-8")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    monkeypatch.setenv("PIP_INDEX_URL", "https://variable.example/simple")
    monkeypatch.setenv("PIP_CONSTRAINT", "/from/a/variable.txt")
    found = install.pip_configuration()
    assert found["index-url"] == "https://variable.example/simple"
    assert found["extra-index-url"].split() == ["file:///opt/a/simple", "file:///opt/b/simple"]
    assert found["find-links"] == "/install/wheels"
    assert found["constraint"] == "/from/a/variable.txt"


def test_pips_certificate_bundle_is_handed_to_uv(monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert install.uv_environment({"cert": "/etc/ssl/bundle.pem"})["SSL_CERT_FILE"] == "/etc/ssl/bundle.pem"
    assert "SSL_CERT_FILE" not in install.uv_environment({})
    monkeypatch.setenv("SSL_CERT_FILE", "/mine.pem")  # the caller's own choice stays
    assert install.uv_environment({"cert": "/etc/ssl/bundle.pem"})["SSL_CERT_FILE"] == "/mine.pem"


def test_without_uv_it_says_how_to_get_it(tmp_path):
    python = tmp_path / "bin" / "python"  # a Python with no uv beside it
    python.parent.mkdir()
    python.symlink_to(sys.executable)
    result = subprocess.run([str(python), str(ROOT / "book" / "install.py"), "-r", "requirements.txt"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "needs uv in this environment" in result.stderr and "pip install uv" in result.stderr


def test_make_setup_installs_uv_with_pip_then_the_requirements_with_uv(tmp_path):
    plan = subprocess.run(["make", "-n", "setup", f"VENV={tmp_path / 'venv'}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.splitlines()
    uv = next(i for i, line in enumerate(lines) if "pip install" in line and '"uv>=' in line)
    requirements = next(i for i, line in enumerate(lines) if "book/install.py" in line)
    assert uv < requirements and lines[requirements].endswith("-r requirements.txt")
    assert not any("pip install" in line and "-r requirements.txt" in line for line in lines)


@pytest.mark.slow  # asks the indexes
def test_the_installed_requirements_are_what_install_py_resolves():
    """What make setup ran, run again: nothing left to install or change."""
    result = subprocess.run([sys.executable, str(ROOT / "book" / "install.py"), "--dry-run", "-r", "requirements.txt"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Would make no changes" in result.stderr, result.stderr
