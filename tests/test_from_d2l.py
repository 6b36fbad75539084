"""book/from_d2l.md: d2l's decoder, run exactly as the page prints it, gives the package's numbers.

The page "From d2l's code to this book" prints d2l's chapter decoder as a learner types it (the
seed: time-first, four ``permute``\\ s, keys re-projected at every step), maps it line by line to
:class:`bahdanau.models.Seq2SeqAttentionDecoder` and gives code that copies the package's weights
into the seed and compares the two. These tests take that code out of the Markdown and run it, on
the shipped ``attention`` model and on small random ones, and check the page's other claims
against the code: the four permutes and the shapes their comments state, the quoted lines, the
parameter table, the included source, the count of key projections and its figures. Two mutated
seeds show that the comparison can fail.

Section 7 maps d2l-zh's version of the decoder (zh.d2l.ai, 10.4) to d2l-en's and to the package.
The tests run our rewrite of d2l-zh's classes (``tests/d2l_zh_decoder.py``) through the page's own
section 5 blocks, check that its table quotes real lines of all three, and check its claims.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import pkgutil
import re
import textwrap
from pathlib import Path

import d2l.torch as d2l
import d2l_zh_decoder as zh
import pytest
import torch
from book_toc import toc_files
from helpers import one_cpu_thread  # noqa: F401 (an autouse fixture)
from torch import nn
from torch.overrides import TorchFunctionMode

import bahdanau.attention
import bahdanau.models
from bahdanau.models import AttentionState, ModelConfig, Seq2SeqAttentionDecoder, make_model
from bahdanau.pretrained import load_pretrained
from bahdanau.training import set_seed

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "book" / "from_d2l.md"
TEXT = PAGE.read_text(encoding="utf-8")

# A MyST code block: ```{code-block} python, its :option: lines, an optional blank line, the code.
CODE_BLOCK = re.compile(r"^```\{code-block\} python\n((?::[\w-]+:[^\n]*\n)*)\n?(.*?)^```$", re.MULTILINE | re.DOTALL)
LITERALINCLUDE = re.compile(r"^```\{literalinclude\} (\S+)\n((?::[\w-]+:.*\n)*)```$", re.MULTILINE)
OPTION = re.compile(r"^:([\w-]+):[ \t]*(.*)$", re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`]+)`")

# Sizes all different from one another (and H + E from both), so that a shape names its axes.
B, S, T, E, H, V_SRC, V = 3, 7, 4, 8, 12, 30, 40


def named_blocks(text: str) -> dict[str, tuple[dict[str, str], str]]:
    """The page's code blocks that have a ``:name:``: name -> (options, code)."""
    blocks = {}
    for options_text, code in CODE_BLOCK.findall(text):
        options = dict(OPTION.findall(options_text))
        if "name" in options:
            assert options["name"] not in blocks, f"two code blocks named {options['name']!r}"
            blocks[options["name"]] = (options, code)
    return blocks


BLOCKS = named_blocks(TEXT)
SEED = BLOCKS["seed-decoder"][1]


def run_page_code(*names: str, replace: tuple[str, str] | None = None) -> dict:
    """Exec the named blocks in order, in one namespace; ``replace`` mutates the seed's code first."""
    namespace = {"__name__": "from_d2l_page", "torch": torch, "nn": nn, "d2l": d2l}
    for name in names:
        code = BLOCKS[name][1]
        if replace is not None and name == "seed-decoder":
            old, new = replace
            assert code.count(old) == 1, f"the seed no longer contains {old!r}"
            code = code.replace(old, new)
        exec(compile(code, f"{PAGE.relative_to(ROOT)}:{name}", "exec"), namespace)
    return namespace


def section(title_start: str) -> str:
    """The page's text from the ``## `` heading starting with ``title_start`` to the next one."""
    match = re.search(rf"^## {re.escape(title_start)}.*?(?=^## |\Z)", TEXT, re.MULTILINE | re.DOTALL)
    assert match, f"the page has no section '## {title_start}...'"
    return match.group(0)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every Markdown table row in ``text``, header and separator rows left out."""
    rows: list[list[str]] = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        if re.fullmatch(r"[|\s:-]+", line):
            rows.pop()  # the row above a separator is the table's header
        else:
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def occurs(snippet: str, source: str) -> bool:
    """``snippet`` is in ``source``, whitespace ignored; ``...`` in the snippet stands for anything."""
    squash = lambda text: re.sub(r"\s+", "", text)  # noqa: E731
    pieces = [re.escape(squash(piece)) for piece in snippet.split("...")]
    return re.search(".*?".join(pieces), squash(source), re.DOTALL) is not None


def small_model(*, embed_size: int = E, num_layers: int = 2, dropout: float = 0.0, seed: int = 0):
    """A random d2l-style package model (one direction, linear output) with the sizes above, in eval mode."""
    set_seed(seed)
    config = ModelConfig(src_vocab_size=V_SRC, tgt_vocab_size=V, embed_size=embed_size, num_hiddens=H,
                         num_layers=num_layers, dropout=dropout)
    return make_model(config).eval()


def padded_batch(batch_size: int = B, src_len: int = S, seed: int = 0):
    """src (B, S) with every row but the first padded, its valid lengths (B,), tgt_in (B, T)."""
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(4, V_SRC, (batch_size, src_len), generator=generator)
    src_valid_len = torch.tensor([src_len] + [max(1, src_len - 2 - k) for k in range(batch_size - 1)])
    tgt_in = torch.randint(4, V, (batch_size, T), generator=generator)
    return src, src_valid_len, tgt_in


@pytest.fixture(scope="module")
def page():
    """The page's seed class and its two helpers, defined by running the page's own blocks."""
    return run_page_code("seed-decoder", "seed-copy")


@pytest.fixture(scope="module")
def shipped():
    """The shipped d2l-style model, ``load_pretrained("attention")``, in float32 and eval mode."""
    return load_pretrained("attention").model.float().eval()


class PermuteRecorder(TorchFunctionMode):
    """Records (input shape, output shape) of every ``Tensor.permute`` called while it is active."""

    def __init__(self):
        super().__init__()
        self.shapes: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        result = func(*args, **(kwargs or {}))
        if func is torch.Tensor.permute:
            self.shapes.append((tuple(args[0].shape), tuple(result.shape)))
        return result


# ----------------------------------------------------------------------------------------------
# The page's place and the code it prints
# ----------------------------------------------------------------------------------------------


def test_toc_lists_the_page_after_chapter_3():
    """The page builds on chapter 3's decoder loop (and links to it), so it comes after it."""
    files = toc_files()
    assert files.count("book/from_d2l") == 1
    assert files.index("notebooks/03_decoder_loop") < files.index("book/from_d2l")
    assert "{doc}`../notebooks/03_decoder_loop`" in TEXT


def test_the_page_has_its_three_blocks_within_the_code_column():
    assert set(BLOCKS) >= {"seed-decoder", "seed-copy", "seed-check"}
    for name, (_, code) in BLOCKS.items():
        long_lines = [line for line in code.splitlines() if len(line) > 78]
        assert not long_lines, f"{name}: lines over 78 characters: {long_lines}"


def test_installed_d2l_has_the_parts_but_not_the_chapter_decoder(page):
    """What the page says of d2l 1.0.3: the chapter's class is not in it, its parts are."""
    assert importlib.metadata.version("d2l") == "1.0.3" and "1.0.3" in section("1.")
    assert not hasattr(d2l, "Seq2SeqAttentionDecoder")
    seed = page["Seq2SeqAttentionDecoder"](V, E, H, 2)
    assert isinstance(seed, d2l.AttentionDecoder)
    assert type(seed.attention) is d2l.AdditiveAttention
    assert "d2l.init_seq2seq" in SEED


def test_the_seed_has_exactly_four_permutes_numbered_and_highlighted():
    calls = [node for node in ast.walk(ast.parse(SEED))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "permute"]
    assert len(calls) == 4 == SEED.count(".permute(")
    lines = SEED.splitlines()
    permute_lines = [number for number, line in enumerate(lines, start=1) if ".permute(" in line]
    highlighted = [int(number) for number in BLOCKS["seed-decoder"][0]["emphasize-lines"].split(",")]
    assert highlighted == permute_lines
    # Each permute is announced by its number in the comment just above it: [1] to [4].
    assert [lines[number - 2].strip()[:5] for number in permute_lines] == ["# [1]", "# [2]", "# [3]", "# [4]"]


def test_the_permutes_change_the_shapes_their_comments_and_the_table_state(page):
    """Run the seed, record every permute, and read the comments' and the table's shapes with B, S, T, E, H, V."""
    sizes = {"B": B, "S": S, "T": T, "E": E, "H": H, "V": V}
    shape = lambda text: tuple(eval(dim, {}, sizes) for dim in text.strip("()").split(","))  # noqa: E731
    stated = re.findall(r"# \[(\d)\] (\([^)]*\)) -> (\([^)]*\))", SEED)
    assert [number for number, _, _ in stated] == ["1", "2", "3", "4"]
    model = small_model()
    seed = page["seed_with_weights_of"](model.decoder)
    src, src_valid_len, tgt_in = padded_batch()
    with torch.no_grad(), PermuteRecorder() as recorder:
        enc_outputs, hidden_state = model.encoder(src, src_valid_len)
        seed(tgt_in, seed.init_state((enc_outputs.transpose(0, 1), hidden_state), src_valid_len))
    # [1] once in init_state, [2] once, [3] at each of the T steps, [4] once.
    expected = [(shape(before), shape(after)) for _, before, after in stated]
    assert recorder.shapes == expected[:2] + [expected[2]] * T + expected[3:]
    # The table of section 3 states the same shapes, row by row.
    rows = [row for row in table_rows(section("3.")) if re.fullmatch(r"\[\d\]", row[0])]
    assert [row[0] for row in rows] == ["[1]", "[2]", "[3]", "[4]"]
    for row, (_, before, after) in zip(rows, stated, strict=True):
        assert row[2] == f"{before} → {after}"


def test_the_package_decoder_calls_no_permute():
    model = small_model()
    src, src_valid_len, tgt_in = padded_batch()
    with torch.no_grad():
        enc_all_outputs = model.encoder(src, src_valid_len)
        with PermuteRecorder() as recorder:
            model.decoder(tgt_in, model.decoder.init_state(enc_all_outputs, src_valid_len))
    assert recorder.shapes == []


def test_the_tables_quote_real_lines_of_the_seed_and_of_the_package():
    """Section 2's tables: column 1 quotes the seed, column 2 the package's decoder or attention."""
    package = inspect.getsource(Seq2SeqAttentionDecoder) + inspect.getsource(AttentionState)
    package += inspect.getsource(bahdanau.models.teacher_forced_steps)
    package += Path(bahdanau.attention.__file__).read_text(encoding="utf-8")
    rows = table_rows(section("2."))
    assert len(rows) >= 18
    checked = 0
    for seed_cell, package_cell, *_ in rows:
        for snippet in CODE_SPAN.findall(seed_cell):
            assert occurs(snippet, SEED), f"not a line of the seed: {snippet!r}"
            checked += 1
        for snippet in CODE_SPAN.findall(package_cell):
            assert occurs(snippet, package), f"not in the package's decoder or attention: {snippet!r}"
            checked += 1
    assert checked >= 40
    # Section 3's table quotes the permuted lines of the seed.
    for row in table_rows(section("3.")):
        for snippet in CODE_SPAN.findall(row[1]):
            assert occurs(snippet, SEED), f"not in the seed: {snippet!r}"
    assert not occurs("self.dense = nn.Linear(num_hiddens, vocab_size)", package)  # occurs() can say no


@pytest.mark.book  # Sphinx's own lookup
def test_every_literalinclude_names_an_existing_object_within_the_code_column():
    from sphinx.pycode import ModuleAnalyzer

    includes = LITERALINCLUDE.findall(TEXT)
    assert len(includes) >= 4
    for path, options_text in includes:
        options = dict(OPTION.findall(options_text))
        assert path.startswith("/"), f"{path}: include from the book's root, as the chapters do"
        source = ROOT / path.lstrip("/")
        assert source.is_file(), f"{path} does not exist"
        assert "pyobject" in options, f"{path}: include one object, not the whole file"
        # Sphinx's own lookup, as literalinclude's :pyobject: does it.
        tags = ModuleAnalyzer.for_file(str(source), "").find_tags()
        assert options["pyobject"] in tags, f"{path} has no {options['pyobject']}"
        _, start, end = tags[options["pyobject"]]
        lines = source.read_text(encoding="utf-8").splitlines()[start - 1:end]
        long_lines = [line for line in textwrap.dedent("\n".join(lines)).splitlines() if len(line) > 78]
        assert not long_lines, f"{options['pyobject']}: lines over 78 characters: {long_lines}"


# ----------------------------------------------------------------------------------------------
# Same weights, same numbers
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [dict(num_layers=1), dict(num_layers=2), dict(num_layers=2, embed_size=H, dropout=0.3)],
    ids=["1-layer", "2-layer", "2-layer-E=H-dropout"],
)
def test_the_seed_gives_the_package_logits_on_a_random_model(page, options):
    model = small_model(**options)
    src, src_valid_len, tgt_in = padded_batch()
    (logits, weights), (seed_logits, seed_weights) = page["both_decoders"](model, src, src_valid_len, tgt_in)
    assert logits.shape == seed_logits.shape == (B, T, V)
    assert weights.shape == seed_weights.shape == (B, T, S)
    torch.testing.assert_close(seed_logits, logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(seed_weights, weights, rtol=0, atol=1e-5)
    # Padding was masked in both, so the valid lengths took part in the comparison.
    lengths = src_valid_len.tolist()
    assert lengths[0] == S and all(length < S for length in lengths[1:])
    for row, length in enumerate(lengths):
        assert torch.all(seed_weights[row, :, length:] == 0)


def test_the_page_check_runs_on_the_shipped_model():
    """The page's last block, as printed: the shipped model, three sentences, two assert_close."""
    namespace = run_page_code("seed-decoder", "seed-copy", "seed-check")
    batch = namespace["batch"]
    assert "5, 7 and 3 source tokens" in BLOCKS["seed-check"][1]
    assert batch.src_valid_len.tolist() == [5, 7, 3] and batch.src.shape[1] == 7
    assert namespace["seed_logits"].shape == (3, batch.tgt_in.shape[1], 5500)


def test_the_seed_and_the_shipped_decoder_agree_on_another_batch(page, shipped):
    vocab = shipped.decoder.embedding.num_embeddings
    generator = torch.Generator().manual_seed(1)
    src = torch.randint(4, shipped.encoder.embedding.num_embeddings, (4, 9), generator=generator)
    src_valid_len = torch.tensor([9, 2, 6, 4])
    tgt_in = torch.randint(4, vocab, (4, 8), generator=generator)
    (logits, weights), (seed_logits, seed_weights) = page["both_decoders"](shipped, src, src_valid_len, tgt_in)
    torch.testing.assert_close(seed_logits, logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(seed_weights, weights, rtol=0, atol=1e-5)


def test_the_parameter_table_is_the_shipped_decoder(page, shipped):
    """Section 5's table: every parameter of the decoder, under the same name in both classes, its shape."""
    decoder = shipped.decoder
    seed = page["seed_with_weights_of"](decoder)
    assert seed.state_dict().keys() == decoder.state_dict().keys()
    stated = {}
    for row in table_rows(section("5.")):
        names = CODE_SPAN.findall(row[0])
        if len(names) == 1 and re.fullmatch(r"\([\d, ]*\)", row[1]):
            stated[names[0]] = tuple(int(dim) for dim in row[1].strip("()").split(",") if dim.strip())
    actual = {name: tuple(tensor.shape) for name, tensor in decoder.state_dict().items()}
    assert stated == actual
    for name, tensor in seed.state_dict().items():
        assert torch.equal(tensor, decoder.state_dict()[name]), name
    embed_size, num_hiddens = decoder.embedding.embedding_dim, decoder.rnn.hidden_size
    assert f"$E = {embed_size}$, $H = {num_hiddens}$, $V = {decoder.dense.out_features}$" in section("5.")
    # "the first 256 columns read c_i, the last 128 read E y_{i-1}": the package splits them so.
    assert decoder.rnn.input_size - embed_size == num_hiddens
    assert f"the first {num_hiddens} columns read $c_i$" in section("5.")
    assert f"the last {embed_size} read $E y_{{i-1}}$" in section("5.")


# ----------------------------------------------------------------------------------------------
# The keys' projection
# ----------------------------------------------------------------------------------------------


def test_the_seed_projects_the_keys_at_every_step_the_package_once(page):
    model = small_model()
    seed = page["seed_with_weights_of"](model.decoder)
    src, src_valid_len, tgt_in = padded_batch()
    calls = {"seed": 0, "package": 0}

    def counter(name):
        def hook(module, inputs, output):
            calls[name] += 1
        return hook

    seed.attention.W_k.register_forward_hook(counter("seed"))
    model.decoder.attention.W_k.register_forward_hook(counter("package"))
    with torch.no_grad():
        enc_outputs, hidden_state = model.encoder(src, src_valid_len)
        state = model.decoder.init_state((enc_outputs, hidden_state), src_valid_len)
        assert calls["package"] == 1  # in init_state
        model.decoder(tgt_in, state)
        assert calls["package"] == 1  # and never again during the T steps
        seed_state = seed.init_state((enc_outputs.transpose(0, 1), hidden_state), src_valid_len)
        assert calls["seed"] == 0
        seed(tgt_in, seed_state)
    assert calls["seed"] == T


def test_the_key_projection_figures_on_the_page(shipped):
    """T * S * H * H multiply-adds for the seed, S * H * H for the package: one sentence, S = T = 10."""
    W_k = shipped.decoder.attention.W_k
    num_hiddens, key_size = W_k.out_features, W_k.in_features  # U_a: (H, H_enc), H_enc = H here
    assert num_hiddens == key_size == 256
    text = " ".join(section("4.").split())
    assert "($H = 256$)" in text and "10 source tokens translated in 10 steps" in text
    seed_work, package_work = 10 * 10 * num_hiddens * key_size, 10 * num_hiddens * key_size
    assert f"{seed_work:,} multiply-adds" in text and f"{package_work:,} for the package" in text
    assert "{doc}`../notebooks/02_additive_attention`" in text


# ----------------------------------------------------------------------------------------------
# The comparison can fail
# ----------------------------------------------------------------------------------------------


def test_a_seed_that_concatenates_in_the_other_order_gives_other_logits():
    """With E = H the shapes fit either way; only the numbers show that the context comes first."""
    page = run_page_code("seed-decoder", "seed-copy", replace=(
        "torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)",
        "torch.cat((torch.unsqueeze(x, dim=1), context), dim=-1)",
    ))
    model = small_model(embed_size=H)
    (logits, _), (seed_logits, _) = page["both_decoders"](model, *padded_batch())
    assert (seed_logits - logits).abs().max() > 1e-3


def test_a_seed_without_its_first_permute_runs_when_b_equals_s_and_is_wrong():
    """The page's warning: with B == S a missing permute raises nothing and mixes up the batch."""
    page = run_page_code("seed-decoder", "seed-copy", replace=(
        "return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)",
        "return (outputs, hidden_state, enc_valid_lens)",
    ))
    model = small_model()
    src, src_valid_len, tgt_in = padded_batch(batch_size=5, src_len=5)
    (logits, _), (seed_logits, _) = page["both_decoders"](model, src, src_valid_len, tgt_in)
    assert seed_logits.shape == logits.shape
    assert (seed_logits - logits).abs().max() > 1e-3
    with pytest.raises(RuntimeError):  # with B != S the shapes do not fit
        page["both_decoders"](model, *padded_batch(batch_size=3, src_len=7))



# ----------------------------------------------------------------------------------------------
# Section 7: d2l-zh's version
# ----------------------------------------------------------------------------------------------

ZH_SOURCE = Path(zh.__file__).read_text(encoding="utf-8")
ZH_PAGE = "https://zh.d2l.ai/chapter_attention-mechanisms/bahdanau-attention.html"
EN_PAGE = "https://d2l.ai/chapter_attention-mechanisms-and-transformers/bahdanau-attention.html"


def zh_page_code(*names: str) -> dict:
    """The page's section-5 blocks run with d2l-zh's classes in place of section 1's seed."""
    namespace = {"__name__": "from_d2l_page_zh", "torch": torch, "nn": nn, "d2l": d2l,
                 "AdditiveAttention": zh.AdditiveAttention,
                 "Seq2SeqAttentionDecoder": zh.Seq2SeqAttentionDecoder}
    for name in names:
        exec(compile(BLOCKS[name][1], f"{PAGE.relative_to(ROOT)}:{name}", "exec"), namespace)
    return namespace


def resolves(name: str) -> bool:
    """``name`` is a dotted path to an object of the package, e.g. ``bahdanau.models.EncoderDecoder``."""
    if not name.startswith("bahdanau.") or " " in name:
        return False
    try:
        pkgutil.resolve_name(name)
    except (ImportError, AttributeError):
        return False
    return True


class TimeFirst(nn.Module):
    """The package's encoder with d2l's output layout: (S, B, H) outputs, as d2l's encoders hand over."""

    def __init__(self, encoder: nn.Module):
        super().__init__()
        self.encoder = encoder

    def forward(self, src, *args):
        enc_outputs, hidden_state = self.encoder(src, *args)
        return enc_outputs.transpose(0, 1), hidden_state


def test_the_page_names_d2l_zh_section_and_links_it_beside_d2l_ai():
    intro = TEXT[:TEXT.index("\n## 1.")]
    assert EN_PAGE in intro and ZH_PAGE in intro
    assert intro.index(ZH_PAGE) - intro.index(EN_PAGE) < 200  # side by side, one sentence
    assert "10.4 *Bahdanau 注意力*" in intro and "section 7" in intro
    assert ZH_PAGE in section("7.") and "10.4" in section("7.")


def test_the_d2l_zh_table_quotes_real_lines_of_all_three():
    """Section 7's table: d2l-zh's column quotes d2l-zh's code, d2l-en's the seed or installed d2l."""
    en_source = SEED + "".join(inspect.getsource(cls) for cls in (d2l.AdditiveAttention, d2l.EncoderDecoder))
    package = inspect.getsource(bahdanau.models) + inspect.getsource(bahdanau.attention)
    rows = table_rows(section("7."))
    assert len(rows) >= 10
    names = 0
    for _, zh_cell, en_cell, package_cell in rows:
        for snippet in CODE_SPAN.findall(zh_cell):
            assert occurs(snippet, ZH_SOURCE), f"not in d2l-zh's code: {snippet!r}"
        for snippet in CODE_SPAN.findall(en_cell):
            assert occurs(snippet, en_source), f"not in the seed or d2l 1.0.3: {snippet!r}"
        for snippet in CODE_SPAN.findall(package_cell):
            if resolves(snippet):
                names += 1
            else:
                assert occurs(snippet, package), f"not in the package: {snippet!r}"
        assert CODE_SPAN.findall(package_cell), "every row says where it lives in the package"
    assert names >= 4
    # The rows are differences: d2l-zh's signatures are not d2l-en's.
    zh_attention = "def __init__(self, key_size, query_size, num_hiddens, dropout, **kwargs)"
    assert occurs(zh_attention, ZH_SOURCE) and not occurs(zh_attention, en_source)
    assert not occurs("def init_state(self, enc_outputs, enc_valid_lens, *args)", en_source)


def test_d2l_zh_forward_is_the_seeds_line_for_line_with_the_same_permutes():
    """Comments aside, the same forward; the same permutes with the same shapes, at the same places."""
    def method(source: str, name: str) -> ast.FunctionDef:
        tree = ast.parse(textwrap.dedent(source))
        decoder = next(node for node in tree.body
                       if isinstance(node, ast.ClassDef) and node.name == "Seq2SeqAttentionDecoder")
        return next(node for node in decoder.body if isinstance(node, ast.FunctionDef) and node.name == name)

    assert ast.unparse(method(ZH_SOURCE, "forward")) == ast.unparse(method(SEED, "forward"))
    assert ast.unparse(method(ZH_SOURCE, "init_state").body[-1]) == ast.unparse(method(SEED, "init_state").body[-1])
    page = run_page_code("seed-decoder", "seed-copy")
    model = small_model()
    src, src_valid_len, tgt_in = padded_batch()
    recorded = []
    for build in (page["seed_with_weights_of"], zh_page_code("seed-copy")["seed_with_weights_of"]):
        decoder = build(model.decoder)
        with torch.no_grad(), PermuteRecorder() as recorder:
            enc_outputs, hidden_state = model.encoder(src, src_valid_len)
            decoder(tgt_in, decoder.init_state((enc_outputs.transpose(0, 1), hidden_state), src_valid_len))
        recorded.append(recorder.shapes)
    assert recorded[0] == recorded[1] and len(recorded[1]) == 3 + T


@pytest.mark.parametrize(
    "options",
    [dict(num_layers=1), dict(num_layers=2), dict(num_layers=2, embed_size=H, dropout=0.3)],
    ids=["1-layer", "2-layer", "2-layer-E=H-dropout"],
)
def test_d2l_zh_decoder_gives_the_package_and_the_seed_logits(options):
    """Section 5's blocks, run with d2l-zh's classes: the package's logits and weights, and the seed's."""
    page, zh_page = run_page_code("seed-decoder", "seed-copy"), zh_page_code("seed-copy")
    model = small_model(**options)
    src, src_valid_len, tgt_in = padded_batch()
    zh_decoder = zh_page["seed_with_weights_of"](model.decoder)
    assert type(zh_decoder) is zh.Seq2SeqAttentionDecoder
    assert type(zh_decoder.attention) is zh.AdditiveAttention
    (logits, weights), (zh_logits, zh_weights) = zh_page["both_decoders"](model, src, src_valid_len, tgt_in)
    _, (seed_logits, seed_weights) = page["both_decoders"](model, src, src_valid_len, tgt_in)
    assert zh_logits.shape == (B, T, V) and zh_weights.shape == (B, T, S)
    torch.testing.assert_close(zh_logits, logits, rtol=0, atol=1e-5)
    torch.testing.assert_close(zh_weights, weights, rtol=0, atol=1e-5)
    # d2l-zh's and d2l-en's decoders run the same operations: the same numbers.
    torch.testing.assert_close(zh_logits, seed_logits, rtol=0, atol=1e-6)
    torch.testing.assert_close(zh_weights, seed_weights, rtol=0, atol=1e-6)
    # The batch is padded, and padding got weight 0.
    for row, length in enumerate(src_valid_len.tolist()):
        assert torch.all(zh_weights[row, :, length:] == 0)
    assert src_valid_len.tolist()[0] == S and min(src_valid_len.tolist()) < S


def test_section_5_blocks_run_unchanged_with_d2l_zh_classes_on_the_shipped_model():
    """'Run your cells instead of section 1's block, then section 5's two blocks': they pass."""
    namespace = zh_page_code("seed-copy", "seed-check")
    zh_decoder = namespace["seed_with_weights_of"](namespace["model"].decoder)
    assert type(zh_decoder) is zh.Seq2SeqAttentionDecoder
    assert namespace["seed_logits"].shape == (3, namespace["batch"].tgt_in.shape[1], 5500)
    assert "$10^{-5}$" in section("7.")


def test_d2l_zh_attention_weights_are_a_list_of_t_steps():
    model = small_model()
    zh_decoder = zh_page_code("seed-copy")["seed_with_weights_of"](model.decoder)
    src, src_valid_len, tgt_in = padded_batch()
    with torch.no_grad():
        enc_outputs, hidden_state = model.encoder(src, src_valid_len)
        zh_decoder(tgt_in, zh_decoder.init_state((enc_outputs.transpose(0, 1), hidden_state), src_valid_len))
    weights = zh_decoder.attention_weights
    assert isinstance(weights, list) and [tuple(w.shape) for w in weights] == [(B, 1, S)] * T
    assert "a list of `T` tensors (B, 1, S)" in " ".join(section("7.").split())


def test_the_three_differences_section_7_warns_about():
    text = " ".join(section("7.").split())
    # 1. With d2l 1.0.3, d2l-zh's call of d2l.AdditiveAttention fails.
    assert "`d2l.AdditiveAttention(num_hiddens, num_hiddens, num_hiddens, dropout)` raises a `TypeError`" in text
    with pytest.raises(TypeError):
        d2l.AdditiveAttention(H, H, H, 0)
    zh.AdditiveAttention(H, H, H, 0)  # d2l-zh's own class takes them
    # 2. **kwargs: nn.Module takes none. *args: extra arguments reach init_state and are dropped.
    with pytest.raises(TypeError):
        zh.Seq2SeqAttentionDecoder(V, E, H, 2, prefix="decoder_")
    decoder = zh.Seq2SeqAttentionDecoder(V, E, H, 2).eval()
    outputs, hidden_state = torch.zeros(S, B, H), torch.zeros(2, B, H)
    lengths = torch.tensor([S, 2, 3])
    state = decoder.init_state((outputs, hidden_state), lengths, "anything", 7)
    assert state[0].shape == (B, S, H) and state[2] is lengths
    # 3. d2l-zh's model returns the pair; the package's the logits only, and they agree.
    model = small_model()
    src, src_valid_len, tgt_in = padded_batch()
    zh_decoder = zh_page_code("seed-copy")["seed_with_weights_of"](model.decoder)
    zh_net = zh.EncoderDecoder(TimeFirst(model.encoder), zh_decoder)
    extras = []  # what init_state's *args receives when the model is called as train_seq2seq calls it

    def init_state(enc_outputs, enc_valid_lens, *args):
        extras.append(args)
        return zh.Seq2SeqAttentionDecoder.init_state(zh_decoder, enc_outputs, enc_valid_lens, *args)

    zh_decoder.init_state = init_state
    with torch.no_grad():
        Y_hat, zh_state = zh_net(src, tgt_in, src_valid_len)
        logits = model(src, tgt_in, src_valid_len)
    assert extras == [()] and "d2l-zh passes none" in text
    assert isinstance(logits, torch.Tensor) and len(zh_state) == 3
    torch.testing.assert_close(Y_hat, logits, rtol=0, atol=1e-5)
    # The package's key size is enc_output_size: num_hiddens here, the first of d2l-zh's three sizes.
    assert model.decoder.attention.W_k.in_features == model.decoder.rnn.hidden_size == H


def test_d2l_zh_initialises_in_training_not_in_the_constructor():
    """The table's 'Xavier initialisation' row: d2l-zh's decoder starts with PyTorch's defaults."""
    torch.manual_seed(0)
    decoder = zh.Seq2SeqAttentionDecoder(V, E, H, 1)
    bound = 1 / H ** 0.5  # PyTorch's default for a GRU: uniform in +-1/sqrt(H)
    assert decoder.rnn.weight_hh_l0.abs().max() <= bound
    zh.init_as_train_seq2seq(decoder)
    xavier = (6 / (H + 3 * H)) ** 0.5  # weight_hh is (3H, H)
    assert bound < decoder.rnn.weight_hh_l0.abs().max() <= xavier
