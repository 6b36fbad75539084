"""One copy of the heavy static files (the browser's models, MathJax) for both editions.

The English edition is built into ``_build/html`` and the Chinese one into ``_build/html/zh``
(``make book``), and Sphinx copies ``html_static_path`` into each. Copied whole, the two models
and MathJax would be in the site twice (41 MB of the 103 MB the site once weighed). So:

- The English build copies MathJax's files into its ``_static/mathjax`` at the end of the build,
  and only the ones the book loads (:data:`MATHJAX_FILES`): the combined component
  ``tex-chtml.js`` (TeX in, HTML and CSS out, with the menu and the assistive MathML that screen
  readers read) and the web fonts it asks for, not the 20 MB of every component MathJax offers.
  The files come from the ``sphinx-mathjax-offline`` package (requirements.txt), MathJax 3.2.2
  as released; this extension replaces that package's own, which copies them all.
- The Chinese build copies neither the models nor MathJax: its pages load MathJax from the
  English edition's ``_static`` (``mathjax_path``), and ``bahdanau-web.js`` finds the models
  there through its script tag's ``data-models`` attribute, a URL relative to the script.

Both stay relative URLs, so the site works from ``file://`` as from any static host, as long as
the Chinese edition sits in the English one's ``zh/`` folder, where ``make book`` puts it and
where the language links (``language_links.py``) already expect it. tests/test_book.py checks
that the site holds one copy of each file and that every page's MathJax and model URLs resolve;
tests/test_browser.py fails on any request that does not.
"""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

from language_links import OTHER_EDITION
from sphinx.util.fileutil import copy_asset_file

# The edition whose _static holds the shared files, and the step from the other edition's root.
SHARED_EDITION = "en"
# MathJax's files that the book's pages load, relative to MathJax's folder (measured in Chromium
# over every page of both editions: the component and the fonts its CSS names; the fonts are all
# shipped, as another page's formula may need another one).
MATHJAX_COMPONENT = "tex-chtml.js"
MATHJAX_FONTS = "output/chtml/fonts/woff-v2"
MATHJAX_FOLDER = "mathjax"
# The browser's models (book/_static/models, written by `make web-models`).
MODELS_FOLDER = "models"
WEB_SCRIPT = "bahdanau-web.js"


def mathjax_source() -> Path:
    """MathJax's folder in the installed ``sphinx-mathjax-offline`` package."""
    folder = Path(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax"))
    if not (folder / MATHJAX_COMPONENT).is_file():
        raise FileNotFoundError(f"MathJax's {MATHJAX_COMPONENT} is not in {folder}: reinstall requirements.txt")
    return folder


def mathjax_files() -> list[Path]:
    """The files shipped, relative to MathJax's folder: the component and every font."""
    source = mathjax_source()
    fonts = sorted(path.relative_to(source) for path in (source / MATHJAX_FONTS).glob("*.woff"))
    return [Path(MATHJAX_COMPONENT), *fonts]


def shared_root(language: str) -> str:
    """From this edition's root to the root of the edition holding the shared files ('' or '../')."""
    return "" if language == SHARED_EDITION else OTHER_EDITION[language][2]


def configure(app, config) -> None:
    root = shared_root(config.language or "en")
    if root:
        # mathjax_path is relative to _static/: up to this edition's root, then to the shared one.
        config.mathjax_path = f"../{root}_static/{MATHJAX_FOLDER}/{MATHJAX_COMPONENT}"
        config.exclude_patterns = [*config.exclude_patterns, MODELS_FOLDER]  # not copied into _static
        entries = [entry for entry in config.html_js_files if entry == WEB_SCRIPT]
        if not entries:
            raise ValueError(f"html_js_files has no {WEB_SCRIPT}: the models' URL has nowhere to go")
        config.html_js_files = [
            (WEB_SCRIPT, {"data-models": f"../{root}_static/{MODELS_FOLDER}/"}) if entry == WEB_SCRIPT else entry
            for entry in config.html_js_files
        ]
    else:
        config.mathjax_path = f"{MATHJAX_FOLDER}/{MATHJAX_COMPONENT}"


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html" or shared_root(app.config.language or "en"):
        return
    source = mathjax_source()
    target = Path(app.outdir) / "_static" / MATHJAX_FOLDER
    for relative in mathjax_files():
        (target / relative).parent.mkdir(parents=True, exist_ok=True)
        copy_asset_file(str(source / relative), str(target / relative))


def setup(app):
    app.connect("config-inited", configure)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
