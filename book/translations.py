"""Check the Chinese edition's message catalogues: ``python book/translations.py [PO ...]``.

Sphinx's gettext builder turns every paragraph, heading, list item and table cell of the book
into a message; ``locales/zh_CN/LC_MESSAGES/**/*.po`` holds their translations (``make
translations`` refreshes them after an English edit). A translation must keep what the reader
runs or clicks exactly as the English has it, because Sphinx parses the translated text as MyST
again. :func:`problems` reports, per message:

- a missing (empty) or fuzzy translation;
- inline code (`...`), MyST roles ({doc}`...`, {cite:t}`...`, {ref}`...`, {math}`...`; a role
  with an explicit title, {doc}`title <target>`, may translate its title), inline math ($...$),
  link targets (](...)) and HTML tags that differ from the English ones; the one exception, a
  link to a section of *Dive into Deep Learning* (d2l.ai), which may become a link to the same
  section of its Chinese edition (zh.d2l.ai), by :data:`D2L_ZH` and nothing else;
- English prose left untranslated: a message with at least three English words outside code
  and math whose translation has no Chinese character; except the glossary's English column
  (:func:`glossary`), whose translation is the English itself, and must be;
- a translation that starts with "2. ", which Sphinx would read as a numbered list (a numbered
  heading's translation would then be dropped): it must be written "2\\. ".

With no arguments it checks every catalogue and exits 1 if any problem is found.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"
GLOSSARY = ROOT / "book" / "glossary.md"
GLOSSARY_CATALOGUE = LOCALE / "book" / "glossary.po"

# Where a chapter builds on a section of d2l (d2l-en, d2l.ai) and links it, the Chinese edition
# links the same section of 《动手学深度学习》 (d2l-zh, zh.d2l.ai): its reader learned it there.
# These are the only link targets a translation may change.
D2L_ZH = {
    "https://d2l.ai/chapter_attention-mechanisms-and-transformers/bahdanau-attention.html":
        "https://zh.d2l.ai/chapter_attention-mechanisms/bahdanau-attention.html",
    "https://d2l.ai/chapter_attention-mechanisms-and-transformers/attention-scoring-functions.html":
        "https://zh.d2l.ai/chapter_attention-mechanisms/attention-scoring-functions.html",
    "https://d2l.ai/chapter_recurrent-modern/seq2seq.html":
        "https://zh.d2l.ai/chapter_recurrent-modern/seq2seq.html",
    "https://d2l.ai/chapter_recurrent-modern/beam-search.html":
        "https://zh.d2l.ai/chapter_recurrent-modern/beam-search.html",
}

_ROLE = re.compile(r"(?<!`)\{[\w:-]+\}`[^`]*`")
_CODE = re.compile(r"(?<![`}])(`+)(?!\{)(.+?)\1(?!`)")
_MATH = re.compile(r"(?<![\\$])\$(?!\$)(.+?)(?<!\\)\$")
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_HTML = re.compile(r"<(/?[a-zA-Z][^>]*)>")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def _role_target(role: str) -> str:
    """A role as a translation must keep it: {doc}`chapter 1 <01_why>` may retitle, not retarget."""
    explicit = re.fullmatch(r"(\{[\w:-]+\})`(.*?)\s*<([^<>]+)>`", role, re.DOTALL)
    return f"{explicit.group(1)}`<{explicit.group(3)}>`" if explicit else role


def protected(text: str) -> Counter:
    """What a translation must keep as it is: roles, code, math, link targets, HTML tags."""
    found: list[str] = []
    rest = _DISPLAY_MATH.sub(lambda m: found.append(m.group()) or " ", text)
    rest = _ROLE.sub(lambda m: found.append(_role_target(m.group())) or " ", rest)
    rest = _CODE.sub(lambda m: found.append(m.group()) or " ", rest)
    rest = _MATH.sub(lambda m: found.append(m.group()) or " ", rest)
    found += _LINK.findall(rest)
    found += [f"<{tag.split()[0]}>" for tag in _HTML.findall(rest)]
    return Counter(found)


def localized(english: Counter, chinese: Counter) -> Counter:
    """The translation's protected markup with each d2l-zh link that stands for a d2l link of the
    English (:data:`D2L_ZH`) read as that d2l link: what must then equal the English's."""
    chinese = Counter(chinese)
    for d2l, d2l_zh in D2L_ZH.items():
        # A zh.d2l.ai link the English has itself (book/from_d2l.md links both editions) stays.
        swapped = min(chinese[d2l_zh] - english[d2l_zh], english[d2l] - chinese[d2l])
        if swapped > 0:
            chinese[d2l_zh] -= swapped
            chinese[d2l] += swapped
    return +chinese


def prose(text: str) -> str:
    """The text without what :func:`protected` keeps, link targets and LaTeX.

    (A display equation is a message of its own, without its $$: its commands, subscripts and
    superscripts are not words.)
    """
    rest = _DISPLAY_MATH.sub(" ", text)
    for pattern in (_ROLE, _CODE, _MATH, _HTML):
        rest = pattern.sub(" ", rest)
    rest = re.sub(r"\\[A-Za-z]+|[_^](\{[^{}]*\}|\w)", " ", rest)
    rest = re.sub(r"\{[^{}]*\}", " ", rest)  # LaTeX groups such as \text{len}
    return re.sub(r"\]\([^)]*\)", "]", rest)


def glossary() -> dict[str, str]:
    """book/glossary.md's table: each term's English cell and its one Chinese form."""
    rows = [line.split("|")[1:3] for line in GLOSSARY.read_text(encoding="utf-8").splitlines()
            if line.startswith("| ") and not line.startswith("| English")]
    return {english.strip(): chinese.strip() for english, chinese in rows}


def message_problems(msgid: str, msgstr: str, fuzzy: bool, english_column: bool = False) -> list[str]:
    """english_column: the message is a cell of the glossary's English column, which stays English."""
    if not msgstr.strip():
        return ["not translated"]
    problems = ["fuzzy"] if fuzzy else []
    if english_column:
        return problems + ([] if msgstr == msgid else ["the glossary's English column must stay English"])
    english = protected(msgid)
    chinese = localized(english, protected(msgstr))
    if english != chinese:
        missing = list((english - chinese).elements())
        extra = list((chinese - english).elements())
        problems.append(f"markup differs: missing {missing}, extra {extra}")
    if len(_WORD.findall(prose(msgid))) >= 3 and not _CJK.search(msgstr):
        problems.append("no Chinese in the translation of English prose")
    # Sphinx parses a translation on its own: "2. Title" would become a numbered list, and the
    # translation of a heading such as "## 2. The decoder loop" would be dropped. Write "2\. ".
    if re.match(r"\d+\.\s", msgstr):
        problems.append("starts with a number and a full stop, read as a list: escape it as 'N\\. '")
    return problems


def problems(path: Path) -> list[str]:
    """Every problem of one catalogue, one line each."""
    with path.open("rb") as file:
        catalog = read_po(file)
    english_column = set(glossary()) if path.resolve() == GLOSSARY_CATALOGUE else set()
    found = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else (message.string or [""])[0]
        for problem in message_problems(msgid, msgstr or "", message.fuzzy, msgid in english_column):
            found.append(f"{path.relative_to(ROOT)}: {problem}: {msgid[:70]!r}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(p).resolve() for p in argv] or sorted(LOCALE.rglob("*.po"))
    found = [line for path in paths for line in problems(path)]
    for line in found:
        print(line)
    print(f"{len(found)} problems in {len(paths)} catalogues")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
