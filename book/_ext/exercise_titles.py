"""Make the exercises' titles translatable, like every other heading of the book.

sphinx-exercise puts an exercise's title (``{exercise} Predict the encoder's shapes``) into a
subtitle node that it builds itself, without the source position Sphinx's i18n needs, and a
post-transform later replaces it, so the gettext builder never sees it and the Chinese edition
would show the title in English. This transform runs when a page is read, before Sphinx's own
i18n transform (priority 20):

- it gives each such node its page's source, its line and its text as the message, so that the
  i18n transform replaces it by its translation like any heading;
- under the gettext builder (``make translations``) it also adds the title to the page's
  catalogue, since by the time that builder collects the page's messages the node is gone.
"""

from __future__ import annotations

from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import docname_to_domain


class TranslatableExerciseTitles(SphinxTransform):
    default_priority = 10  # before sphinx.transforms.i18n.Locale (20)

    def apply(self, **kwargs) -> None:
        from sphinx_exercise.nodes import exercise_subtitle

        for node in self.document.findall(exercise_subtitle):
            parent = node.parent
            while parent is not None and not parent.source:
                parent = parent.parent
            if parent is None:
                continue
            node.source, node.line = parent.source, parent.line
            node.rawsource = node.astext()
            node["translatable"] = True
            if self.app.builder.name == "gettext":
                from sphinx.builders.gettext import MsgOrigin

                domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
                self.app.builder.catalogs[domain].add(node.rawsource, MsgOrigin(node.source, node.line))


def setup(app):
    app.add_transform(TranslatableExerciseTitles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
