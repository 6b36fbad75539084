"""A link on every page to the same page in the book's other edition (English, 简体中文).

The English edition is built into ``_build/html`` and the Chinese one into ``_build/html/zh``
(``make book``; ``book/zh_config.py`` writes the Chinese edition's configuration), so the same
page of the other edition is always one fixed step away: ``zh/<page>.html`` from the English
root, ``../<page>.html`` from the Chinese one. The link is plain HTML at the top of the page's
content (it works without JavaScript and from ``file://``), with ``hreflang`` and ``lang`` set
so that screen readers read its label in its own language.
"""

from __future__ import annotations

from html import escape

# language of this build -> (the other edition's language, its label, the step to its root)
OTHER_EDITION = {
    "en": ("zh-CN", "简体中文", "zh/"),
    "zh_CN": ("en", "English", "../"),
}


def language_link(pagename: str, language: str) -> str:
    """The HTML of the link from ``pagename`` (e.g. 'notebooks/01_why_attention') of this edition."""
    other, label, step = OTHER_EDITION[language]
    up = "../" * pagename.count("/")
    href = f"{up}{step}{pagename}.html"
    return (f'<p class="bahdanau-language"><a href="{escape(href)}" hreflang="{other}" lang="{other}">'
            f"{escape(label)}</a></p>\n")


def add_language_link(app, pagename, templatename, context, doctree):
    language = app.config.language or "en"
    if language not in OTHER_EDITION or "body" not in context or doctree is None:
        return
    context["body"] = language_link(pagename, language) + context["body"]


def setup(app):
    app.connect("html-page-context", add_language_link)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
