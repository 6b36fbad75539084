"""Install requirements into a virtual environment with uv, from the indexes pip would use.

Usage (what `make setup` runs, once ``uv`` is installed in the environment by pip)::

    .venv/bin/python book/install.py -r requirements.txt

pip installs its wheels one after another: PyPI's PyTorch with its NVIDIA libraries is 5.5 GB
unpacked, and `pip install -r requirements.txt` took 57 s into a fresh environment here. uv
installs the same packages in parallel, and from its cache (hard links) when it has them: 20 s
with an empty cache, 3 s with a filled one. uv reads no pip configuration, so this script hands it
pip's own: the index, the extra indexes, the find-links folders, the constraint files and the
hosts trusted without a valid certificate that pip's configuration files and ``PIP_*``
variables give (``pip config list``), and pip's way of choosing among several indexes (the best
version on any of them: uv's ``unsafe-best-match``).
A certificate bundle that pip is told to trust is passed as ``SSL_CERT_FILE``. Checked on this
machine (Python 3.11): the same 222 packages, at the same versions, as pip's own install.

Runs uv in this Python's environment (``<venv>/bin/uv``) for this Python (``--python``). Every
argument is handed on to ``uv pip install``. Byte code is compiled on first import, as with
``pip install --no-compile`` (uv compiles nothing unless asked).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

# pip's options that choose where packages come from, and uv's option for each. The values of
# LIST_OPTIONS are lists: pip splits them at whitespace.
LIST_OPTIONS = {"extra-index-url": "--extra-index-url", "find-links": "--find-links", "constraint": "--constraint",
                "trusted-host": "--allow-insecure-host"}
SINGLE_OPTIONS = {"index-url": "--index-url"}
FLAG_OPTIONS = {"no-index": "--no-index"}


def pip_configuration(python: str = sys.executable) -> dict[str, str]:
    """pip's configured values, ``name -> value``, as ``pip config list`` gives them: the files'
    ``[global]`` and ``[install]`` sections (``install`` wins) and the ``PIP_*`` variables (which
    win over both)."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True)
    found: dict[str, dict[str, str]] = {}
    for line in listed.stdout.splitlines():
        key, _, value = line.partition("=")
        section, _, name = key.rpartition(".")
        found.setdefault(section, {})[name] = ast.literal_eval(value.strip())  # printed as repr()
    # ":env:" holds the PIP_* variables.
    return {**found.get("global", {}), **found.get("install", {}), **found.get(":env:", {})}


def uv_options(configuration: dict[str, str]) -> list[str]:
    """uv's arguments for pip's configuration: the same indexes, find-links and constraints."""
    options = ["--index-strategy", "unsafe-best-match"]
    for name, option in SINGLE_OPTIONS.items():
        if name in configuration:
            options += [option, configuration[name]]
    for name, option in LIST_OPTIONS.items():
        for value in configuration.get(name, "").split():
            options += [option, value]
    for name, option in FLAG_OPTIONS.items():
        if configuration.get(name, "").lower() in {"1", "true", "yes", "on"}:
            options.append(option)
    return options


def uv_environment(configuration: dict[str, str]) -> dict[str, str]:
    """The environment for uv: pip's certificate bundle, if it has one, as ``SSL_CERT_FILE``."""
    environment = dict(os.environ)
    if "cert" in configuration and "SSL_CERT_FILE" not in environment:
        environment["SSL_CERT_FILE"] = configuration["cert"]
    return environment


def main(arguments: list[str]) -> int:
    uv = Path(sys.executable).with_name("uv")
    if not uv.is_file():
        print(f"book/install.py needs uv in this environment ({uv}): `python -m pip install uv`", file=sys.stderr)
        return 2
    configuration = pip_configuration()
    command = [str(uv), "pip", "install", "--python", sys.executable, *uv_options(configuration), *arguments]
    return subprocess.run(command, env=uv_environment(configuration)).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
