"""Write the configuration of the Chinese edition: the book's _config.yml in Simplified Chinese.

Usage (what `make book` runs after the English build)::

    python book/zh_config.py _build/zh/_config.yml     # and _build/zh/_toc.yml
    jupyter-book build . --all --warningiserror --nitpick --keep-going \
        --config _build/zh/_config.yml --toc _build/zh/_toc.yml --path-output _build/zh
    # then _build/zh/_build/html is copied to _build/html/zh

Jupyter Book 1 has no ``-D language=...`` option, so the language is set in a generated copy of
the configuration, as Sphinx's own translated documentation sets it in conf.py. The pages and
notebooks are the English ones; Sphinx replaces each message by its translation from
``locales/zh_CN/LC_MESSAGES`` (``make translations`` keeps the catalogues up to date). Code,
printed outputs and figures are not messages: they stay as they are. The launch buttons open the
same notebooks as the English edition's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from book_config import book_config

ROOT = Path(__file__).resolve().parents[1]
LANGUAGE = "zh_CN"


def root_catalogue():
    """The Chinese catalogue of the root page, which holds the book's title and the captions."""
    from babel.messages.pofile import read_po

    root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]
    with (ROOT / "locales" / LANGUAGE / "LC_MESSAGES" / f"{root}.po").open("rb") as file:
        return read_po(file)


def translated(catalogue, english: str) -> str:
    message = catalogue.get(english)
    if message is None or not message.string or message.fuzzy:
        sys.exit(f"{english!r} has no translation in the root page's catalogue: run make translations")
    return message.string


def zh_config() -> dict:
    """The book's configuration, in Chinese: language, title (the root page's heading) and search."""
    config = book_config()
    config["title"] = translated(root_catalogue(), config["title"])
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["language"] = LANGUAGE
    # Sphinx's Chinese search splits words with jieba (requirements.txt installs it).
    sphinx["html_search_language"] = "zh"
    return config


def zh_toc() -> dict:
    """The table of contents with its part captions in Chinese.

    The captions are messages of the root page's catalogue, but sphinx-external-toc builds the
    navigation after Sphinx translates the pages, so they would stay English: the Chinese build
    reads this copy of _toc.yml instead (``--toc``).
    """
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    catalogue = root_catalogue()
    for part in toc["parts"]:
        part["caption"] = translated(catalogue, part["caption"])
    return toc


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        sys.exit("usage: python book/zh_config.py OUTPUT.yml  (writes _toc.yml beside it)")
    output = Path(argv[0])
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(yaml.safe_dump(zh_config(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    (output.parent / "_toc.yml").write_text(yaml.safe_dump(zh_toc(), sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
