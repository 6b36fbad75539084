"""The book's table of contents, read once for the tests that check notebooks and the built book."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def toc_files(entry=TOC) -> list[str]:
    """Every ``file:`` in a _toc.yml tree, in reading order."""
    if isinstance(entry, list):
        return [file for item in entry for file in toc_files(item)]
    if isinstance(entry, dict):
        files = [entry["file"]] if "file" in entry else []
        for key in ("parts", "chapters", "sections"):
            files += toc_files(entry.get(key, []))
        return files
    return []


def chapter_notebooks() -> list[str]:
    """The chapter notebooks the table of contents lists, relative to the repository root, without suffix."""
    return [file.removesuffix(".ipynb") for file in toc_files() if file.startswith("notebooks/")]
