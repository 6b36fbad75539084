"""The Chinese edition (简体中文): complete catalogues, the same sources, a Chinese book.

- every message of every catalogue (locales/zh_CN/LC_MESSAGES) has a non-empty, non-fuzzy
  translation that keeps the English's code, roles, math and link targets (book/translations.py);
- the catalogues hold exactly the messages the book has now: an English paragraph edited since
  the last `make translations` fails here until it is translated;
- one rendering per term: every message that says a term of the glossary (book/glossary.md)
  has the glossary's Chinese form in its translation, and no message has another rendering of it
  (book/terms.yml lists the wrong ones);
- d2l-zh's typography: no space between Chinese and emphasis or code, full-width punctuation;
- the reader from d2l-zh: its sections named by their number and title, and in the chapters
  linked (zh.d2l.ai) where the English links d2l's (d2l.ai), the only link targets a translation
  may change (book/translations.py's D2L_ZH); the landing page naming the course lecture of the
  learner's notes and the chapters that answer its questions;
- the zh build (the shared ``build`` fixture; its strictness is tested with the English one in
  test_book.py): each page's prose is mostly Chinese, code and outputs are untouched, the
  language links resolve both ways, and Chinese search finds Chinese words.
"""

from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest
import translations  # book/translations.py, a script of the repository (pytest's pythonpath)
import yaml
from babel.messages.pofile import read_po
from book_build import jupyter_book, require_html

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "locales" / "zh_CN" / "LC_MESSAGES"

# The catalogue of the templates' words (book/_templates, Sphinx's "sphinx" domain).
TEMPLATES_CATALOGUE = "sphinx"
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
    # And sphinx.po: the words of the theme's components that book/_templates overrides.
    found = sorted(str(p.relative_to(LOCALE).with_suffix("")) for p in LOCALE.rglob("*.po"))
    assert found == sorted([*toc_pages(), TEMPLATES_CATALOGUE])


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


# One rendering per term: book/glossary.md's table gives each term's Chinese form, book/terms.yml
# the English phrases that are the term and the other renderings that are wrong.
TERMS_FILE = ROOT / "book" / "terms.yml"


def glossary_terms() -> dict[str, str]:
    """Every term of the glossary's table and its one Chinese form.

    "batch, minibatch | 批量，小批量" gives two terms; "gated recurrent unit (GRU)" gives the term
    and its abbreviation, which the Chinese keeps as it is; "alignment model (scoring function)"
    is the term "alignment model".
    """
    terms = {}
    for english, chinese in translations.glossary().items():
        for abbreviation in re.findall(r"\(([A-Z]{2,})\)", english):
            terms[abbreviation] = abbreviation
        names = [name.strip() for name in re.sub(r"\s*\(.*?\)", "", english).split(",")]
        forms = [form.strip() for form in re.sub(r"（.*?）", "", chinese).split("，")]
        assert len(names) == len(forms), f"glossary row {english!r}: {len(names)} terms, {len(forms)} Chinese forms"
        terms.update(zip(names, forms))
    return terms


TERMS = glossary_terms()
TERM_RULES = yaml.safe_load(TERMS_FILE.read_text(encoding="utf-8"))


def all_messages() -> list[tuple[str, str, str]]:
    """(catalogue, msgid, msgstr) of every message of every catalogue."""
    return [(str(path.relative_to(LOCALE)), msgid, msgstr) for path in sorted(LOCALE.rglob("*.po"))
            for msgid, (msgstr, _) in messages(path).items()]


def says_term(msgid: str, msgstr: str, term: str) -> bool:
    """Whether the message's own words (not code, roles or math, where a term is a name) say the term."""
    rules = TERM_RULES.get(term) or {}
    text = translations.prose(msgid)
    # An emphasised phrase the translation keeps as it is (a checker's message, a corpus sentence)
    # is a quotation, not the book's words.
    text = re.sub(r"\*[^*]+\*", lambda m: " " if m.group() in msgstr else m.group(), text).lower()
    for phrase in rules.get("not_the_term", []):
        text = text.replace(phrase, " ")
    return any(re.search(pattern, text) for pattern in rules.get("english", [rf"\b{re.escape(term.lower())}"]))


def test_terms_yml_speaks_of_the_glossarys_terms():
    assert set(TERM_RULES) <= set(TERMS), sorted(set(TERM_RULES) - set(TERMS))
    for term, rules in TERM_RULES.items():
        assert set(rules) <= {"english", "not_the_term", "wrong"}, term
        for pattern in rules.get("wrong", []):  # a wrong rendering is never the glossary's form
            assert not re.search(pattern, TERMS[term]), (term, pattern)


@pytest.mark.parametrize("term", TERMS)
def test_each_term_has_one_rendering(term):
    """Where a message says the term its translation has the glossary's form, and no message anywhere
    has another rendering of it."""
    chinese, wrong = TERMS[term], (TERM_RULES.get(term) or {}).get("wrong", [])
    missing, other = [], []
    glossary_page = str(translations.GLOSSARY_CATALOGUE.relative_to(LOCALE))
    for path, msgid, msgstr in all_messages():
        if path == glossary_page and msgid in translations.glossary():
            continue  # the glossary's English column stays English
        if says_term(msgid, msgstr, term) and chinese not in msgstr:
            missing.append(f"{path}: {msgid[:80]!r} -> {msgstr[:60]!r}")
        other += [f"{path}: {found.group()!r} in {msgstr[:80]!r}" for pattern in wrong
                  for found in re.finditer(pattern, msgstr)]
    # The live views' Chinese messages (book/_static/*.js) are the same edition.
    for script in sorted((ROOT / "book" / "_static").glob("*.js")):
        for number, line in enumerate(script.read_text(encoding="utf-8").splitlines(), 1):
            if CJK.search(line):
                other += [f"{script.name}:{number}: {found.group()!r}" for pattern in wrong
                          for found in re.finditer(pattern, line)]
    assert not missing, f"{term!r} is not {chinese!r} in {len(missing)} messages:\n" + "\n".join(missing[:10])
    assert not other, f"{term!r} is {chinese!r}, not:\n" + "\n".join(other[:10])


def test_the_glossary_page_gives_every_term_in_both_columns():
    """In the Chinese edition, the glossary's English column stays English and its Chinese column is
    the Chinese form itself."""
    glossary = messages(translations.GLOSSARY_CATALOGUE)
    for english, chinese in translations.glossary().items():
        assert glossary[english][0] == english, english
        assert glossary[chinese][0] == chinese, chinese


# The reader from d2l-zh: its sections, by the number and title of 《动手学深度学习》 (d2l-zh's
# chapter_*/ sources), wherever the Chinese edition names one ("中文版 10.4 节“Bahdanau 注意力”"),
# and the page of zh.d2l.ai that holds each.
D2L_ZH_SECTIONS = {
    "9.7": ("序列到序列学习（seq2seq）", "chapter_recurrent-modern/seq2seq.html"),
    "9.7.6": ("预测序列的评估", "chapter_recurrent-modern/seq2seq.html"),
    "9.8": ("束搜索", "chapter_recurrent-modern/beam-search.html"),
    "10.3.1": ("掩蔽softmax操作", "chapter_attention-mechanisms/attention-scoring-functions.html"),
    "10.3.2": ("加性注意力", "chapter_attention-mechanisms/attention-scoring-functions.html"),
    "10.4": ("Bahdanau 注意力", "chapter_attention-mechanisms/bahdanau-attention.html"),
}
# The course lecture of the learner's notes, and the chapters that answer its two questions.
D2L_ZH_LECTURE = "使用注意力机制的seq2seq"
# A section named, "中文版 10.4 节“Bahdanau 注意力”", or named and linked, "中文版 [10.4 节“…”](url)".
D2L_ZH_NAMED = re.compile(r"中文版 (\[?)([\d.]+) 节“([^”]+)”(?:\]\(([^)\s]+)\))?")


def d2l_zh_named() -> list[tuple[str, str, str, str | None]]:
    """(catalogue, number, title, link target or None) of every d2l-zh section a message names."""
    found = []
    for path, _, msgstr in all_messages():
        for bracket, number, title, target in D2L_ZH_NAMED.findall(msgstr):
            assert bool(bracket) == bool(target), f"{path}: a half link around {number} {title}"
            found.append((path, number, title, target or None))
    return found


def test_d2l_zh_sections_are_named_by_number_and_title():
    named = d2l_zh_named()
    assert {number for _, number, _, _ in named} == set(D2L_ZH_SECTIONS)
    wrong = [f"{path}: {number} {title}" for path, number, title, _ in named if D2L_ZH_SECTIONS[number][0] != title]
    assert not wrong, wrong


def test_the_chapters_link_each_d2l_zh_section_they_name_to_its_page():
    """In a chapter, a d2l-zh section named is linked, to the zh.d2l.ai page that holds it."""
    chapters = [named for named in d2l_zh_named() if named[0].startswith("notebooks/")]
    assert chapters
    unlinked = [f"{path}: {number}" for path, number, _, target in chapters if target is None]
    assert not unlinked, f"named, not linked: {unlinked}"
    for path, number, _, target in chapters:
        assert target in translations.D2L_ZH.values(), (path, number, target)
        assert target == f"https://zh.d2l.ai/{D2L_ZH_SECTIONS[number][1]}", (path, number, target)


D2L_BAHDANAU, D2L_ZH_BAHDANAU = next(iter(translations.D2L_ZH.items()))
D2L_SEQ2SEQ = "https://d2l.ai/chapter_recurrent-modern/seq2seq.html"
LINKED = f"As [d2l's chapter]({D2L_BAHDANAU}) says."


@pytest.mark.parametrize("msgstr, passes", [
    (f"正如 [d2l 的那一章]({D2L_BAHDANAU}) 所说。", True),  # the English's target, kept
    (f"正如中文版 [10.4 节“Bahdanau 注意力”]({D2L_ZH_BAHDANAU}) 所说。", True),  # swapped for its twin
    (f"正如 [d2l 的那一章]({translations.D2L_ZH[D2L_SEQ2SEQ]}) 所说。", False),  # another section's twin
    ("正如 [d2l 的那一章](https://zh.d2l.ai/chapter_attention-mechanisms/index.html) 所说。", False),  # no pair
    ("正如 [d2l 的那一章](https://d2l.ai/index.html) 所说。", False),  # another page of d2l
    ("正如 d2l 的那一章所说。", False),  # the link dropped
    (f"正如 [10.4 节]({D2L_ZH_BAHDANAU})和 [d2l]({D2L_BAHDANAU}) 所说。", False),  # a twin added
])
def test_only_a_d2l_link_may_become_its_d2l_zh_twin(msgstr, passes):
    problems = translations.message_problems(LINKED, msgstr, fuzzy=False)
    assert (not problems) == passes, problems


def test_a_d2l_zh_link_of_the_english_is_kept_and_none_is_added():
    both = f"In [d2l]({D2L_BAHDANAU}) or [d2l-zh]({D2L_ZH_BAHDANAU})."
    kept = f"在 [d2l]({D2L_BAHDANAU}) 或 [d2l-zh]({D2L_ZH_BAHDANAU}) 中。"
    assert not translations.message_problems(both, kept, False)
    assert translations.message_problems(both, kept.replace(D2L_ZH_BAHDANAU, D2L_BAHDANAU), False)
    assert translations.message_problems("As d2l says.", f"正如 [d2l-zh]({D2L_ZH_BAHDANAU}) 所说。", False)


def test_every_d2l_zh_twin_is_used():
    """Each pair of D2L_ZH is a message's English d2l link and its translation's zh.d2l.ai link."""
    used = {(d2l, d2l_zh) for _, msgid, msgstr in all_messages() for d2l, d2l_zh in translations.D2L_ZH.items()
            if translations.protected(msgid)[d2l] > translations.protected(msgstr)[d2l]
            and translations.protected(msgstr)[d2l_zh] > translations.protected(msgid)[d2l_zh]}
    assert used == set(translations.D2L_ZH.items()), set(translations.D2L_ZH.items()) - used


def test_the_zh_landing_page_meets_the_lectures_reader():
    index = {msgid: msgstr for _, msgid, msgstr in all_messages() if msgid.startswith("{doc}`from_d2l`")}
    (landing,) = index.values()
    assert f"“{D2L_ZH_LECTURE}”" in landing and "10.4 节" in landing
    assert "只有最后一个词，见第 1 章" in landing and "固定写法，见第 3 章" in landing


# d2l-zh's typography: no space between a Chinese character and emphasis, strong emphasis or
# inline code, and full-width punctuation after a Chinese character.
CJK_CHAR = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
# Math first, so that a * inside $...$ is not read as emphasis.
_INLINE = re.compile(r"\$[^$]+\$|(`+)[^`]+?\1|\*\*[^*\s][^*]*?\*\*|\*[^*\s][^*]*?\*")


def _is_punctuation(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"


def spaced_markup(text: str) -> list[tuple[int, int]]:
    """The spaces (offset, length 1) between a Chinese character and an emphasis, strong or code span.

    A space stays where CommonMark needs it: an emphasis whose inner edge is punctuation (*i'm home
    .*) is closed (or opened) only next to a space or punctuation, not next to a Chinese character.
    """
    found = []
    for span in _INLINE.finditer(text):
        markup = span.group()
        if markup.startswith("$"):
            continue
        emphasis = markup.startswith("*")
        delimiter = len(markup) - len(markup.lstrip("*")) if emphasis else 0
        start, end = span.start(), span.end()
        if (start >= 2 and text[start - 1] == " " and re.match(CJK_CHAR, text[start - 2])
                and not (emphasis and _is_punctuation(markup[delimiter]))):
            found.append(start - 1)
        if (end + 1 < len(text) and text[end] == " " and re.match(CJK_CHAR, text[end + 1])
                and not (emphasis and _is_punctuation(markup[-delimiter - 1]))):
            found.append(end)
    return found


HALF_WIDTH_AFTER_CJK = re.compile(rf"{CJK_CHAR}[,.:;?!](?![\w/])")


def test_typography_follows_d2l_zh():
    spaced, half_width = [], []
    for path, _, msgstr in all_messages():
        if spaced_markup(msgstr):
            spaced.append(f"{path}: {msgstr[:90]!r}")
        # Code, math, roles and link targets keep their own punctuation.
        prose = re.sub(r"\[([^\]]*)\]", r"\1", translations.prose(msgstr))
        half_width += [f"{path}: {found!r} in {msgstr[:80]!r}" for found in HALF_WIDTH_AFTER_CJK.findall(prose)]
    assert not spaced, f"{len(spaced)} messages space emphasis or code from Chinese:\n" + "\n".join(spaced[:10])
    assert not half_width, "half-width punctuation after Chinese:\n" + "\n".join(half_width[:10])


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
# glossary has an English and a Chinese column in both editions (0.28 of the zh page's letters are
# Chinese): both are measured, with their own bounds.
SHARE_BOUNDS = {"book/references": (0.0, 0.0), "book/glossary": (0.25, 0.3)}


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
