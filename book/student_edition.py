"""Put the student notebooks behind the student edition's download buttons.

Usage (what `make student-book` runs after the build)::

    python book/student_edition.py _build/assignments _build/student/_build/html

The strict build of the student edition hides the solutions in the HTML, but each chapter
page's download button (sphinx-book-theme's ``.ipynb`` link, to ``_sources/notebooks/<chapter>.ipynb``)
still serves the chapter notebook, solutions included. This script copies each chapter's
student notebook (written by `make assignments`, listed in ``manifest.json``) over the file that
the page's download link points to, then checks that every chapter page's download link
resolves to a copy of the student notebook and that no such notebook holds a solution.
It exits with a message and a non-zero status when the assignments or the build are missing.
"""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

# What a chapter notebook's solutions look like: sphinx-exercise's directive, or the file of
# reference solutions that the solution dropdowns include.
SOLUTION_MARKERS = ("{solution}", "grading/solutions.py", "exercises/solutions.py")
HREF = re.compile(r'href="([^"]+)"')


class StudentEditionError(Exception):
    """The assignments or the build are missing, or a download link is wrong."""


def download_links(page: Path, html_root: Path) -> list[Path]:
    """The local ``.ipynb`` files that a built page links to (its download button), resolved."""
    links = []
    for href in HREF.findall(page.read_text(encoding="utf-8")):
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.endswith(".ipynb"):
            continue  # Colab, Binder, the repository: not a download
        target = (page.parent / unquote(parts.path)).resolve()
        if html_root.resolve() not in target.parents:
            raise StudentEditionError(f"{page}: the download link {href} leaves the build")
        if target not in links:
            links.append(target)
    return links


def solution_markers(notebook: Path) -> list[str]:
    """The solution markers found in a notebook's cells (none for a student notebook)."""
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    sources = ["".join(cell.get("source", [])) for cell in cells]
    return sorted({marker for source in sources for marker in SOLUTION_MARKERS if marker in source})


def student_notebooks(assignments: Path) -> dict[str, Path]:
    """chapter -> its student notebook, from the manifest of `make assignments`."""
    manifest = assignments / "manifest.json"
    if not manifest.is_file():
        raise StudentEditionError(f"{manifest} is missing: run `make assignments` first")
    notebooks = {}
    for assignment in json.loads(manifest.read_text(encoding="utf-8"))["assignments"]:
        path = assignments / assignment["student"]
        if not path.is_file():
            raise StudentEditionError(f"{path} (listed in {manifest}) is missing: run `make assignments` first")
        markers = solution_markers(path)
        if markers:
            raise StudentEditionError(f"{path} is not a student notebook: it contains {', '.join(markers)}")
        notebooks[assignment["chapter"]] = path
    if not notebooks:
        raise StudentEditionError(f"{manifest} lists no assignment: run `make assignments` first")
    return notebooks


def chapter_pages(html_root: Path) -> dict[str, Path]:
    """chapter -> its built page, for every page built from a notebook of notebooks/."""
    sources = html_root / "_sources" / "notebooks"
    return {
        source.stem: html_root / "notebooks" / f"{source.stem}.html"
        for source in sorted(sources.glob("*.ipynb"))
    }


def install(assignments: Path, html_root: Path) -> list[str]:
    """Copy the student notebooks behind the download links, check them; one line per copy."""
    notebooks = student_notebooks(assignments)
    if not (html_root / "index.html").is_file():
        raise StudentEditionError(f"{html_root / 'index.html'} is missing: build the student edition first")
    pages = chapter_pages(html_root)
    unassigned = sorted(set(pages) - set(notebooks))
    if unassigned:
        raise StudentEditionError(f"no student notebook for {', '.join(unassigned)} in {assignments}: "
                                  "run `make assignments` again")
    report = []
    for chapter, notebook in sorted(notebooks.items()):
        page = html_root / "notebooks" / f"{chapter}.html"
        if not page.is_file():
            raise StudentEditionError(f"{page} is missing: the build has no page for {chapter}")
        links = download_links(page, html_root)
        if not links:
            raise StudentEditionError(f"{page} has no .ipynb download link")
        for target in links:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(notebook, target)
            report.append(f"{target.relative_to(html_root.resolve())} <- {notebook}")
    check(notebooks, html_root)
    return report


def check(notebooks: dict[str, Path], html_root: Path) -> None:
    """Every chapter page's download links resolve to its student notebook, without solutions."""
    for chapter, notebook in notebooks.items():
        page = html_root / "notebooks" / f"{chapter}.html"
        for target in download_links(page, html_root):
            if not target.is_file():
                raise StudentEditionError(f"{page}: the download link to {target} resolves to no file")
            if not filecmp.cmp(target, notebook, shallow=False):
                raise StudentEditionError(f"{page}: {target} is not the student notebook {notebook}")
            markers = solution_markers(target)
            if markers:
                raise StudentEditionError(f"{target} contains {', '.join(markers)}")


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: python book/student_edition.py ASSIGNMENTS_DIR STUDENT_HTML_DIR\n"
                 "  e.g. python book/student_edition.py _build/assignments _build/student/_build/html")
    try:
        for line in install(Path(argv[0]), Path(argv[1])):
            print(line)
    except StudentEditionError as error:
        sys.exit(f"student_edition.py: {error}")
    print("The student edition's download buttons serve the student notebooks.")


if __name__ == "__main__":
    main(sys.argv[1:])
