"""Tests for bahdanau.chapters.diagrams: what the two figures say, and that they say it legibly.

Legibility is checked on the drawn figure: after a draw, every label's box on the canvas is
compared with every other one (no two overlap) and with the figure's edges (none is cut off).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import warnings

import pytest
from matplotlib.colors import same_color
from matplotlib.figure import Figure
from matplotlib.text import Text

from bahdanau.chapters.diagrams import (
    ATTENTION,
    EXAMPLE_SOURCE,
    EXAMPLE_WEIGHTS,
    draw_decoder_step,
    draw_encoder_decoder,
)
from bahdanau.chapters.plotting import figure_png

TEN_TOKENS = ("the", "cat", "is", "on", "the", "mat", "near", "my", "door", "<eos>")

DRAWINGS = {
    "model": lambda: draw_encoder_decoder(),
    "model, bidirectional": lambda: draw_encoder_decoder(bidirectional=True),
    "model, two tokens": lambda: draw_encoder_decoder(src_tokens=["hello", "<eos>"], weights=[0.9, 0.1],
                                                      prev_token="<bos>", next_token="bonjour"),
    "model, ten tokens": lambda: draw_encoder_decoder(src_tokens=TEN_TOKENS, weights=[0.1] * 10),
    "step": lambda: draw_decoder_step(),
    "step, bidirectional": lambda: draw_decoder_step(bidirectional=True),
    "step, rnnsearch": lambda: draw_decoder_step(bidirectional=True, deep_output=True),
}


def _texts(figure: Figure) -> list[Text]:
    """Every non-empty label of the figure: its own texts, and each Axes' texts and annotations,
    titles and axis labels (tick labels too where the axes are drawn)."""
    texts = list(figure.texts)
    for ax in figure.axes:
        texts += ax.texts + [ax.title, ax.xaxis.label, ax.yaxis.label]
        if ax.axison:
            texts += ax.get_xticklabels() + ax.get_yticklabels()
    return [text for text in texts if text.get_visible() and text.get_text().strip()]


def _strings(figure: Figure) -> list[str]:
    return [text.get_text() for text in _texts(figure)]


def _all_text(figure: Figure) -> str:
    return "\n".join(_strings(figure))


# ----------------------------------------------------------------------------------------------
# What the figures say
# ----------------------------------------------------------------------------------------------

MODEL_SYMBOLS = (r"$x_j$", r"$s_{i-1}$", r"$s_i$", r"$c_i", r"\alpha_{ij}", r"$y_{i-1}$", r"$y_i$", r"$e_{ij}",
                 r"$U_a h_j$", r"$s_0")
MODEL_NAMES = ("src (B, S)", "enc_outputs (B, S, H)", "enc_keys", "hidden_state", "src_valid_len", "init_state",
               "logits (B, 1, V)", "once per sentence", "once per output word", "(eq. 4)", "(eq. 5)", "(eq. 6)")


def test_the_model_shows_the_papers_symbols_and_the_packages_names():
    text = _all_text(draw_encoder_decoder())
    for expected in MODEL_SYMBOLS + MODEL_NAMES:
        assert expected in text, expected


def test_the_model_draws_every_source_token_and_its_annotation_and_weight():
    strings = _strings(draw_encoder_decoder())
    for j, (token, weight) in enumerate(zip(EXAMPLE_SOURCE, EXAMPLE_WEIGHTS, strict=True), start=1):
        assert token in strings
        assert f"$h_{{{j}}}$" in strings
        assert f"{weight:.2f}" in strings
    assert "$h_{8}$" not in strings


def test_the_model_draws_the_words_of_the_step():
    strings = _strings(draw_encoder_decoder(src_tokens=["hello", "<eos>"], weights=[0.9, 0.1],
                                            prev_token="<bos>", next_token="bonjour"))
    assert {"hello", "<eos>", "0.90", "0.10", "$y_{i-1}$ = <bos>", "$y_i$ = bonjour"} <= set(strings)
    assert "have" not in strings


def _fan_widths(figure: Figure) -> list[float]:
    """Widths of the attention lines (the vermillion lines), left to right."""
    lines = [line for line in figure.axes[0].lines if same_color(line.get_color(), ATTENTION)]
    return [line.get_linewidth() for line in sorted(lines, key=lambda line: line.get_xdata()[0])]


def test_the_attention_lines_are_as_wide_as_their_weights():
    weights = [0.05, 0.6, 0.1, 0.25]
    widths = _fan_widths(draw_encoder_decoder(src_tokens=["a", "b", "c", "d"], weights=weights))
    assert len(widths) == len(weights)
    # The same order: the heaviest weight draws the widest line, and so on.
    assert sorted(range(4), key=widths.__getitem__) == sorted(range(4), key=weights.__getitem__)
    assert widths[1] > 3 * widths[0]


def test_the_bidirectional_model_adds_the_backward_annotations_and_s0():
    forward_only, both = _all_text(draw_encoder_decoder()), _all_text(draw_encoder_decoder(bidirectional=True))
    strings = _strings(draw_encoder_decoder(bidirectional=True))
    for j in range(1, len(EXAMPLE_SOURCE) + 1):
        assert f"$\\overrightarrow{{h}}_{{{j}}}$" in strings
        assert f"$\\overleftarrow{{h}}_{{{j}}}$" in strings
    assert r"$s_0 = \tanh(W_s \overleftarrow{h}_1)$" in both
    assert r"[\overrightarrow{h}_j\,;\,\overleftarrow{h}_j]" in both
    assert "(B, S, 2H)" in both
    assert "overleftarrow" not in forward_only and "W_s" not in forward_only and "2H" not in forward_only


STEP_LABELS = (
    # inputs
    r"$s_{i-1}$", "hidden_state", "enc_keys", r"$U_a h_j$", "enc_outputs", r"$h_j$", "src_valid_len", r"$y_{i-1}$",
    # the boxes, with their equations
    r"$W_a\, s_{i-1}$", r"\tanh(W_a s_{i-1} + U_a h_j)", r"$e_{ij} = v_a^\top", "masked_softmax",
    r"$\alpha_{ij} = \mathrm{softmax}_j\, e_{ij}$   (eq. 6)", r"$c_i = {\sum}_j\, \alpha_{ij} h_j$   (eq. 5)",
    r"[c_i\, ;\, E\, y_{i-1}]", r"$s_i = f(s_{i-1}, y_{i-1}, c_i)$", "GRU", r"$W_o\, s_i$   (eq. 4)", "logits",
    # the shapes on the arrows
    r"query $s_{i-1}$  (B, H)", "(B, 1, H)", "(B, 1, S, H)", r"$e_{ij}$  (B, 1, S)", r"$\alpha_{ij}$  (B, 1, S)",
    r"$c_i$  (B, 1, H)", "(B, 1, E)", "(B, 1, H+E)", "(L, B, H)", "(B, 1, V)", "(B, S, H)", "(B,)",
)


def test_the_step_labels_every_box_and_arrow():
    strings = _strings(draw_decoder_step())
    text = "\n".join(strings)
    for expected in STEP_LABELS:
        assert expected in text, expected
    assert text.count("(eq. 6)") == 2  # the scores and the weights
    assert "(B, S, H)" in strings and "(B, 1, V)" in strings  # shapes are labels of their own


def test_the_bidirectional_step_doubles_annotations_and_context_but_not_keys():
    strings = _strings(draw_decoder_step(bidirectional=True))
    assert {"(B, S, 2H)", r"$c_i$  (B, 1, 2H)", "(B, 1, 2H+E)"} <= set(strings)
    assert "(B, S, H)" in strings  # enc_keys: U_a maps 2H to H
    assert "2H" not in _all_text(draw_decoder_step())


def test_the_deep_output_step_draws_the_papers_maxout_instead_of_one_linear_layer():
    linear, deep = _all_text(draw_decoder_step()), _all_text(draw_decoder_step(deep_output=True))
    assert r"$W_o\, s_i$   (eq. 4)" in linear and "maxout" not in linear
    assert r"\mathrm{maxout}(\tilde t_i)$  (eq. 4)" in deep and r"$W_o\, s_i$" not in deep
    assert r"U_o s_i + V_o E y_{i-1}" in deep and "C_o c_i" in deep and "maxout_input" in deep


# ----------------------------------------------------------------------------------------------
# How the figures look
# ----------------------------------------------------------------------------------------------


def _drawn_extents(figure: Figure):
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    return [(text.get_text(), text.get_window_extent(renderer)) for text in _texts(figure)]


@pytest.mark.parametrize("name", DRAWINGS)
def test_no_two_labels_overlap(name):
    extents = _drawn_extents(DRAWINGS[name]())
    tolerance = 0.5  # pixels: labels that merely touch are fine
    overlapping = [
        (first, second)
        for (first, a), (second, b) in itertools.combinations(extents, 2)
        if min(a.x1, b.x1) - max(a.x0, b.x0) > tolerance and min(a.y1, b.y1) - max(a.y0, b.y0) > tolerance
    ]
    assert overlapping == []


@pytest.mark.parametrize("name", DRAWINGS)
def test_every_label_lies_inside_the_figure(name):
    figure = DRAWINGS[name]()
    extents = _drawn_extents(figure)
    box = figure.bbox
    outside = [text for text, e in extents if e.x0 < box.x0 or e.y0 < box.y0 or e.x1 > box.x1 or e.y1 > box.y1]
    assert outside == []


@pytest.mark.parametrize("name", DRAWINGS)
def test_the_figure_fits_the_page_and_its_text_is_readable(name):
    figure = DRAWINGS[name]()
    width, height = figure.get_size_inches()
    assert 10 <= width <= 11 and 5 <= height <= 9
    assert min(text.get_fontsize() for text in _texts(figure)) >= 9
    title = max(_texts(figure), key=Text.get_fontsize)
    assert title.get_text().startswith(("One sentence", "One decoder step"))


@pytest.mark.parametrize("name", DRAWINGS)
def test_the_same_drawing_gives_the_same_png_bytes(name):
    first, second = figure_png(DRAWINGS[name]()), figure_png(DRAWINGS[name]())
    assert first.startswith(b"\x89PNG")
    assert first == second


@pytest.mark.parametrize("name", DRAWINGS)
def test_drawing_emits_no_warnings(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure_png(DRAWINGS[name]())
    assert [str(warning.message) for warning in caught] == []


def test_a_title_can_be_given():
    assert "Look at the fan" in _strings(draw_encoder_decoder(title="Look at the fan"))
    assert "Step by step" in _strings(draw_decoder_step(title="Step by step"))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(src_tokens=[], weights=[]), "1 to 10 source tokens"),
        (dict(src_tokens=[*TEN_TOKENS, "x"], weights=[1 / 11] * 11), "1 to 10 source tokens"),
        (dict(src_tokens=["a", "b"], weights=[1.0]), "one weight per source token"),
        (dict(src_tokens=["a", "b"], weights=[1.5, -0.5]), r"in \[0, 1\]"),
    ],
)
def test_a_sentence_that_cannot_be_drawn_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        draw_encoder_decoder(**arguments)


def test_drawing_never_loads_pyplot():
    """The figures are bare Figures: no pyplot, so a notebook never shows one twice."""
    code = (
        "import sys\n"
        "from bahdanau.chapters.diagrams import draw_decoder_step, draw_encoder_decoder\n"
        "from bahdanau.chapters.plotting import figure_png\n"
        "figure_png(draw_encoder_decoder(bidirectional=True)); figure_png(draw_decoder_step())\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["False"]
