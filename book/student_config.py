"""Write the configuration of the student edition: the book's _config.yml with solutions hidden.

Usage (what `make student-book` runs)::

    python book/student_config.py _build/student/_config.yml
    jupyter-book build . --all --warningiserror --nitpick --keep-going \
        --config _build/student/_config.yml --path-output _build/student
    python book/student_edition.py _build/assignments _build/student/_build/html

sphinx-exercise's ``hide_solutions`` removes every ``{solution}`` directive from the HTML, so the
exercises and their checker cells stay and the reference solutions are not published. The
launch buttons (Colab, Binder) open the notebooks of the repository's ``student`` branch, which
holds the student notebooks of `make assignments` (published by .github/workflows/student.yml),
instead of those of ``main``, which contain the solutions. book/student_edition.py then puts the
same student notebooks behind the download button.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from book_config import book_config

ROOT = Path(__file__).resolve().parents[1]

# The branch that .github/workflows/student.yml publishes the student notebooks to.
STUDENT_BRANCH = "student"


def student_config() -> dict:
    """The book's configuration, with solutions hidden, the title marked and the launch buttons
    opening the student branch; everything else (the repository's URL included) is unchanged."""
    config = book_config()
    config["title"] = f"{config['title']} (student edition)"
    config.setdefault("sphinx", {}).setdefault("config", {})["hide_solutions"] = True
    config.setdefault("repository", {})["branch"] = STUDENT_BRANCH
    return config


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python book/student_config.py OUTPUT.yml")
    output = Path(argv[0])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(yaml.safe_dump(student_config(), sort_keys=False), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
