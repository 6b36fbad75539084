"""Markup that passes WCAG 2 A/AA where the book's toolchain writes markup that does not.

axe-core (tests/test_accessibility.py) finds these in every edition; each is fixed where the
markup is written, not by hiding it from the audit:

- **Citations** (docutils 0.21's HTML writer, the references page): each entry of the
  ``role="list"`` is a ``div`` with ``role="doc-biblioentry"``, a role that DPUB-ARIA 1.1
  deprecated (WCAG 4.1.2), so the list has no list items and owns the entries' back-links
  directly (1.3.1). The entries are written as ``role="listitem"``.
- **The toggles of the hidden check cells** (myst-nb's ``<summary aria-label="Toggle hidden
  content">``): the name leaves out the text the reader sees, "Show code cell content" (2.5.3,
  label in name). The summary is written without it; its visible text is its name.
- **Two buttons of the theme's header** (pydata-sphinx-theme's components, overridden by the
  templates in ``book/_templates``): the search button is named "Search" but shows
  "Search Ctrl+K", and the colour-mode button's icons carry titles that Font Awesome renders as
  text its name leaves out (2.5.3 both).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from docutils import nodes

TEMPLATES = Path(__file__).resolve().parents[1] / "_templates"


def visit_citation(self, node) -> None:
    """docutils' ``visit_citation`` with the entry a list item (``depart_citation`` is docutils')."""
    if not isinstance(node.previous_sibling(), type(node)):
        self.body.append('<div role="list" class="citation-list">\n')
    self.body.append(self.starttag(node, "div", classes=[node.tagname], role="listitem"))


def visit_hidden_cell(self, node) -> None:
    """myst-nb's ``visit_HideCellInput`` without the summary's aria-label."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


def use_templates(app, config) -> None:
    # First in the search path: before the theme's own components folder.
    config.templates_path = [str(TEMPLATES), *config.templates_path]


def setup(app):
    from docutils.writers._html_base import HTMLTranslator
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.add_node(nodes.citation, override=True, html=(visit_citation, HTMLTranslator.depart_citation))
    app.add_node(HideCodeCellNode, override=True, html=(visit_hidden_cell, depart_HideCellInput))
    app.connect("config-inited", use_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
