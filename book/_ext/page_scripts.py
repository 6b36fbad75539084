"""The scripts in every page's ``<head>``: each inline script once, and none of thebe's while thebe is off.

Two faults, each stopped where it starts:

- **Every inline script registered late was written twice.** ``Sphinx.add_js_file(None,
  body=...)`` called after the HTML builder is created (as sphinx-thebe does on
  ``env-before-read-docs`` and sphinx-togglebutton on ``builder-inited``) registers the script
  with the builder as ``filename=None``; before writing, Sphinx 7.4 (the newest jupyter-book 1.x
  allows) adds the registry's copy again as ``filename=''``, and ``None != ''``, so the page holds
  both. A ``var`` declared twice is harmless, but sphinx-thebe's ``const THEBE_JS_URL`` is a
  ``SyntaxError`` in every reader's console. Sphinx fixed this upstream after the 7.x line
  (sphinx-doc/sphinx#13402); until jupyter-book can use it, :func:`unique_scripts` keeps the
  first of such equal scripts in each page.
- **Thebe's scripts named a CDN the book never loads.** jupyter-book always loads sphinx-thebe,
  which puts thebe's configuration into every page (``THEBE_JS_URL``, the unpkg URL of thebe's
  bundle), its ``sphinx-thebe.js`` and ``.css``, and a ``text/x-thebe-config`` block. This book
  has no thebe (``launch_buttons: thebe`` is not set): nothing may run code in a kernel, and no
  page should name a script host it never loads. :func:`turn_thebe_off` unhooks sphinx-thebe's
  handlers and its stylesheet before the build starts; with thebe on, it leaves them alone.
"""

from __future__ import annotations

THEBE_MODULE = "sphinx_thebe"
THEBE_CSS = "sphinx-thebe.css"  # the stylesheet sphinx-thebe's setup() registers


def thebe_enabled(config) -> bool:
    """Thebe is on when a launch button asks for it (as sphinx-book-theme reads it) or on every page."""
    launch_buttons = (config.html_theme_options or {}).get("launch_buttons", {})
    thebe_config = getattr(config, "thebe_config", None) or {}
    return launch_buttons.get("thebe") is True or thebe_config.get("always_load") in (True, "true", "True")


def turn_thebe_off(app, config) -> None:
    if THEBE_MODULE not in app.extensions or thebe_enabled(config):
        return
    # Its handlers: _static copied into the site, the scripts added, the per-page config block.
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "") == THEBE_MODULE:
                app.disconnect(listener.id)
    app.registry.css_files[:] = [entry for entry in app.registry.css_files if entry[0] != THEBE_CSS]


def unique_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique  # the builder's own list: it restores it before the next page


def setup(app):
    app.connect("config-inited", turn_thebe_off)
    app.connect("html-page-context", unique_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
