"""The Chinese edition (简体中文): complete catalogues, the same sources, a Chinese book.

- every message of every catalogue (locales/zh_CN/LC_MESSAGES) has a non-empty, non-fuzzy
  translation that keeps the English's code, roles, math and link targets (book/translations.py);
- the catalogues hold exactly the messages the book has now: an English paragraph edited since
  the last `make translations` fails here until it is translated;
- the glossary's terms are used: every message that contains one of its unambiguous English
  terms has its Chinese term in the translation;
- the zh build (the shared ``build`` fixture; its strictness is tested with the English one in
  test_book.py): each page's prose is mostly Chinese, code and outputs are untouched, the
  language links resolve both ways, and Chinese search finds Chinese words.
"""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import translations  # book/translations.py, a script of the repository (pytest's pythonpath)
import yaml
from babel.messages.pofile import read_po
from book_build import jupyter_book, require_html

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# The least share of Chinese among the letters of a zh page's prose (code, outputs and math
# excluded). English names, model inputs and terms in parentheses keep it below 1.
MIN_CJK_SHARE = 0.6


def toc_pages() -> list[str]:
    """The book's pages, e.g. 'book/index', 'notebooks/01_why_attention', from _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]
    for part in toc["parts"]:
        pages += [chapter["file"] for chapter in part["chapters"]]
    return pages


def catalogue(path: Path):
    with path.open("rb") as file:
        return read_po(file)


def messages(path: Path) -> dict[str, tuple[str, bool]]:
    found = {}
    for message in catalogue(path):
        if message.id:
            found[message.id] = (message.string or "", message.fuzzy)
    return found


def test_there_is_one_catalogue_per_page():
    assert sorted(str(p.relative_to(LOCALE).with_suffix("")) for p in LOCALE.rglob("*.po")) == sorted(toc_pages())


@pytest.mark.parametrize("page", toc_pages())
def test_every_message_is_translated_keeping_its_markup(page):
    problems = translations.problems(LOCALE / f"{page}.po")
    assert not problems, "\n".join(problems[:20])
    assert not catalogue(LOCALE / f"{page}.po").fuzzy, f"{page}.po: its header is marked fuzzy"


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The messages of the book as it is now: Sphinx's gettext builder, as `make translations` runs it."""
    out = tmp_path_factory.mktemp("gettext")
    result = subprocess.run([jupyter_book(), "build", ".", "--all", "--builder", "custom", "--custom-builder",
                             "gettext", "--path-output", str(out)], cwd=ROOT, capture_output=True, text=True,
                            timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "_build" / "gettext"


@pytest.mark.slow
@pytest.mark.parametrize("page", toc_pages())
def test_the_catalogues_hold_the_books_messages_now(extracted, page):
    """An English edit since `make translations` shows up here, as a message to translate."""
    current = {m.id for m in catalogue(extracted / f"{page}.pot") if m.id}
    translated = set(messages(LOCALE / f"{page}.po"))
    new = sorted(current - translated)
    assert not new, (f"{page}: {len(new)} messages changed or new since the catalogue was updated; run "
                     f"`make translations` and translate them. First: {new[0][:120]!r}")
    assert not translated - current, f"{page}: the catalogue holds messages the page no longer has"


# Unambiguous terms of book/glossary.md: wherever a message says one of them, its translation
# says the Chinese term (d2l-zh's where it has one).
GLOSSARY_TERMS = {
    "additive attention": "加性注意力",
    "attention weight": "注意力权重",
    "attention pooling": "注意力汇聚",
    "beam search": "束搜索",
    "greedy search": "贪心搜索",
    "teacher forcing": "强制教学",
    "masked softmax": "掩蔽",
    "context variable": "上下文变量",
    "hidden state": "隐状态",
    "encoder": "编码器",
    "decoder": "解码器",
    "heatmap": "热图",
    "vocabulary": "词表",
    "valid length": "有效长度",
    "bidirectional": "双向",
    "machine translation": "机器翻译",
}


# Where an English phrase contains a term but means something else, and the translation rightly
# says something else: a "decoder step" is a 解码步, the "decoders" compared with BLEU are
# greedy and beam search (解码方式), d2l's "vocabulary of queries, keys and values" is its
# terminology (说法), and a paper's title stays English.
NOT_THE_TERM = {
    "decoder": ["decoder step", "both decoders"],
    "vocabulary": ["vocabulary of"],
    "machine translation": ["neural machine translation by jointly"],
}


def prose_of(msgid: str, term: str) -> str:
    """The message's own words (not code, roles or math, where a term is a name)."""
    text = translations.prose(msgid).lower()
    for phrase in NOT_THE_TERM.get(term, []):
        text = text.replace(phrase, " ")
    return text


@pytest.mark.parametrize("term", GLOSSARY_TERMS)
def test_the_glossarys_terms_are_used(term):
    chinese = GLOSSARY_TERMS[term]
    missing = []
    for path in sorted(LOCALE.rglob("*.po")):
        for msgid, (msgstr, _) in messages(path).items():
            if re.search(rf"\b{term}", prose_of(msgid, term)) and chinese not in msgstr:
                missing.append(f"{path.relative_to(LOCALE)}: {msgid[:80]!r} -> {msgstr[:60]!r}")
    assert not missing, f"{term!r} is not {chinese!r} in {len(missing)} messages:\n" + "\n".join(missing[:10])


def test_the_glossary_page_gives_every_term():
    page = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in page.splitlines()
            if line.startswith("| ") and not line.startswith("| English")}
    for term, chinese in GLOSSARY_TERMS.items():
        assert any(term in english.lower() and chinese in row for english, row in rows.items()), term


# ---------------------------------------------------------------------------------------------
# The built Chinese edition
# ---------------------------------------------------------------------------------------------


class _Prose(HTMLParser):
    """The text of a page's article, without code, outputs, math and the language link."""

    SKIP = {"pre", "code", "script", "style", "math"}
    SKIP_CLASSES = {"cell_output", "highlight", "math", "bahdanau-language", "bahdanau-live", "headerlink"}

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside <article>
        self.skipping: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = set((dict(attrs).get("class") or "").split())
        if tag == "article":
            self.depth += 1
        if self.skipping or tag in self.SKIP or classes & self.SKIP_CLASSES:
            if tag not in ("br", "img", "input", "meta", "link", "hr"):
                self.skipping.append(tag)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()
        if tag == "article":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skipping:
            self.text.append(data)


def page_prose(path: Path) -> str:
    parser = _Prose()
    parser.feed(path.read_text(encoding="utf-8"))
    # Inline math is written \( ... \) for MathJax to render: not prose.
    return re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]", " ", " ".join(parser.text), flags=re.DOTALL)


def cjk_share(text: str) -> float:
    chinese, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return chinese / max(1, chinese + latin)


@pytest.fixture(scope="module")
def site(build) -> Path:
    return require_html(build)


# The references page is its bibliography (authors and titles, which stay as published), and the
# glossary's English page has a Chinese column: both are measured, with their own bounds.
SHARE_BOUNDS = {"book/references": (0.0, 0.0), "book/glossary": (0.3, 0.3)}


@pytest.mark.slow  # needs the built book (the shared build fixture)
@pytest.mark.parametrize("page", toc_pages())
def test_each_zh_page_is_mostly_chinese(site, page):
    share = cjk_share(page_prose(site / "zh" / f"{page}.html"))
    english = cjk_share(page_prose(site / f"{page}.html"))
    least, most_in_english = SHARE_BOUNDS.get(page, (MIN_CJK_SHARE, 0.01))
    assert english <= most_in_english, f"{page}: the English page has Chinese prose ({english:.2f})"
    assert share >= least, f"{page}: only {share:.2f} of its prose's letters are Chinese"
    if page == "book/references":  # its heading and introduction, at least, are Chinese
        assert CJK.search(page_prose(site / "zh" / f"{page}.html"))


@pytest.mark.slow  # needs the built book (the shared build fixture)
def test_code_and_outputs_stay_as_they_are(site):
    """A code cell and its printed output are the same in both editions."""

    def blocks(path: Path) -> list[str]:
        return re.findall(r'<div class="highlight[^"]*"><pre>(.*?)</pre>', path.read_text(encoding="utf-8"),
                          flags=re.DOTALL)

    for page in ("notebooks/01_why_attention", "notebooks/03_decoder_loop"):
        english, chinese = blocks(site / f"{page}.html"), blocks(site / "zh" / f"{page}.html")
        assert len(english) > 20 and english == chinese, page


def language_link(path: Path) -> str:
    match = re.search(r'<p class="bahdanau-language"><a href="([^"]+)" hreflang="([^"]+)"', path.read_text("utf-8"))
    assert match, f"{path} has no language link"
    return match.group(1)


@pytest.mark.slow  # needs the built book (the shared build fixture)
@pytest.mark.parametrize("page", toc_pages())
def test_language_links_resolve_both_ways(site, page):
    english = site / f"{page}.html"
    chinese = (english.parent / language_link(english)).resolve()
    assert chinese == (site / "zh" / f"{page}.html").resolve() and chinese.is_file()
    assert (chinese.parent / language_link(chinese)).resolve() == english.resolve()
    assert '<html lang="zh-CN"' in chinese.read_text("utf-8") or "lang=\"zh_CN\"" in chinese.read_text("utf-8")


@pytest.mark.slow  # needs the built book (the shared build fixture)
def test_the_landing_page_says_what_stays_english(site):
    text = page_prose(site / "zh" / "book" / "index.html")
    assert "简体中文" in text and "英文" in text


@pytest.mark.slow  # needs the built book (the shared build fixture)
def test_chinese_search_finds_chinese_words(site):
    index = (site / "zh" / "searchindex.js").read_text(encoding="utf-8")
    data = json.loads(index[index.index("(") + 1: index.rindex(")")])
    terms = data["terms"]
    # jieba splits the text into words: whole words are index terms, not single characters only.
    for word in ("注意力", "编码器", "解码器", "翻译"):
        assert word in terms or any(word in term for term in terms), word
    assert any(len(term) >= 2 and CJK.fullmatch(term[0]) for term in terms)


@pytest.mark.slow  # needs the built book (the shared build fixture)
def test_exercise_titles_are_translated(site):
    """sphinx-exercise's titles are not messages by themselves: book/_ext/exercise_titles.py makes them so."""
    from bahdanau.exercises import EXERCISES

    for exercise in EXERCISES:
        english = (site / "notebooks" / f"{exercise.chapter}.html").read_text("utf-8")
        chinese = (site / "zh" / "notebooks" / f"{exercise.chapter}.html").read_text("utf-8")
        title = exercise.title.replace("'", "\u2019")
        assert title in english or exercise.title in english, exercise.title
        heading = re.search(rf'id="{exercise.label}">\s*<p class="admonition-title">(.*?)</p>', chinese, re.DOTALL)
        assert heading, exercise.label
        assert CJK.search(heading.group(1)) and exercise.title not in heading.group(1), heading.group(1)


@pytest.mark.slow  # needs the built book (the shared build fixture)
def test_launch_buttons_open_the_same_notebooks(site):
    for page in ("notebooks/01_why_attention", "notebooks/05_search_and_measuring"):
        pattern = r'href="(https://(?:colab\.research\.google\.com|mybinder\.org)[^"]+)"'
        links = [set(re.findall(pattern, path.read_text("utf-8")))
                 for path in (site / f"{page}.html", site / "zh" / f"{page}.html")]
        assert links[0] and links[0] == links[1], page
