"""The book's _config.yml, for the copies that the other editions build from.

``book/student_config.py`` (the student edition) and ``book/zh_config.py`` (the Chinese one)
start from this and write their copy under ``_build/``. Jupyter Book looks for local extensions
relative to the configuration file, so their folders are given in full here.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def book_config() -> dict:
    """_config.yml as a dict, its local extensions' folders made absolute."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config.get("sphinx", {})
    if sphinx.get("local_extensions"):
        sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    return config
