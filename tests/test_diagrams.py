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
    draw_decoder_step,
    draw_encoder_decoder,
)
from bahdanau.chapters.plotting import figure_png

TEN_TOKENS = ("the", "cat", "is", "on", "the", "mat", "near", "my", "door", "<eos>")
# Chapter 3's sentence and step: ten tokens, "reading" the longest, and the shipped model's row
# (rounded) while it writes "jardin" after "le".
SENTENCE = ("he", "is", "reading", "a", "book", "in", "the", "garden", ".", "<eos>")
WEIGHTS = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.01, 0.49, 0.36, 0.14)
STEP = dict(src_tokens=SENTENCE, weights=WEIGHTS, prev_token="le", next_token="jardin")

DRAWINGS = {
    "model": lambda: draw_encoder_decoder(**STEP),
    "model, bidirectional": lambda: draw_encoder_decoder(**STEP, bidirectional=True),
    "model, two tokens": lambda: draw_encoder_decoder(src_tokens=["hello", "<eos>"], weights=[0.9, 0.1],
                                                      prev_token="<bos>", next_token="bonjour"),
    "model, ten tokens": lambda: draw_encoder_decoder(src_tokens=TEN_TOKENS, weights=[0.1] * 10,
                                                      prev_token="le", next_token="chat"),
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
    text = _all_text(draw_encoder_decoder(**STEP))
    for expected in MODEL_SYMBOLS + MODEL_NAMES:
        assert expected in text, expected


def test_the_model_draws_every_source_token_and_its_annotation_and_weight():
    strings = _strings(draw_encoder_decoder(**STEP))
    for j, (token, weight) in enumerate(zip(SENTENCE, WEIGHTS, strict=True), start=1):
        assert token in strings
        assert f"$h_{{{j}}}$" in strings
        assert f"{weight:.2f}" in strings
    assert {"$y_{i-1}$ = le", "$y_i$ = jardin"} <= set(strings)
    assert "$h_{11}$" not in strings


def test_the_model_draws_the_weights_it_is_given_as_a_tensor_row():
    """A notebook passes a row of a translation's attention (a tensor) straight in."""
    torch = pytest.importorskip("torch")
    row = torch.tensor(WEIGHTS) / sum(WEIGHTS)
    strings = _strings(draw_encoder_decoder(src_tokens=SENTENCE, weights=row, prev_token="le", next_token="jardin"))
    assert {f"{weight:.2f}" for weight in row.tolist()} <= set(strings)


def test_the_model_has_no_made_up_weights_to_fall_back_on():
    with pytest.raises(TypeError, match="weights"):
        draw_encoder_decoder(src_tokens=SENTENCE, prev_token="le", next_token="jardin")


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
    widths = _fan_widths(draw_encoder_decoder(src_tokens=["a", "b", "c", "d"], weights=weights,
                                              prev_token="x", next_token="y"))
    assert len(widths) == len(weights)
    # The same order: the heaviest weight draws the widest line, and so on.
    assert sorted(range(4), key=widths.__getitem__) == sorted(range(4), key=weights.__getitem__)
    assert widths[1] > 3 * widths[0]


def test_the_bidirectional_model_adds_the_backward_annotations_and_s0():
    forward_only = _all_text(draw_encoder_decoder(**STEP))
    both = _all_text(draw_encoder_decoder(**STEP, bidirectional=True))
    strings = _strings(draw_encoder_decoder(**STEP, bidirectional=True))
    for j in range(1, len(SENTENCE) + 1):
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


def _assert_labels_apart_and_inside(figure: Figure) -> None:
    """No two labels overlap (labels that merely touch, within 0.5 pixel, are fine), none leaves the figure."""
    extents = _drawn_extents(figure)
    overlapping = [(first, second) for (first, a), (second, b) in itertools.combinations(extents, 2)
                   if min(a.x1, b.x1) - max(a.x0, b.x0) > 0.5 and min(a.y1, b.y1) - max(a.y0, b.y0) > 0.5]
    assert overlapping == []
    box = figure.bbox
    assert all(e.x0 >= box.x0 and e.y0 >= box.y0 and e.x1 <= box.x1 and e.y1 <= box.y1 for _, e in extents)


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
    assert "Look at the fan" in _strings(draw_encoder_decoder(**STEP, title="Look at the fan"))
    assert "Step by step" in _strings(draw_decoder_step(title="Step by step"))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(src_tokens=[], weights=[]), "1 to 10 source tokens"),
        (dict(src_tokens=[*TEN_TOKENS, "x"], weights=[1 / 11] * 11), "1 to 10 source tokens"),
        (dict(src_tokens=["a", "b"], weights=[1.0]), "one weight per source token"),
        (dict(src_tokens=["a", "b"], weights=[1.5, -0.5]), r"in \[0, 1\]"),
        (dict(src_tokens=["a", "b"], weights=[0.64, 0.17]), "sums to 1"),
    ],
)
def test_a_sentence_that_cannot_be_drawn_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        draw_encoder_decoder(**arguments, prev_token="x", next_token="y")


def test_drawing_never_loads_pyplot():
    """The figures are bare Figures: no pyplot, so a notebook never shows one twice."""
    code = (
        "import sys\n"
        "from bahdanau.chapters.diagrams import draw_decoder_step, draw_encoder_decoder\n"
        "from bahdanau.chapters.plotting import figure_png\n"
        "figure_png(draw_encoder_decoder(src_tokens=['hi', '<eos>'], weights=[0.7, 0.3], prev_token='<bos>',\n"
        "                                next_token='salut', bidirectional=True))\n"
        "figure_png(draw_decoder_step())\n"
        "print('matplotlib.pyplot' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["False"]


# ----------------------------------------------------------------------------------------------
# The broadcast of additive scoring (chapter 2)
# ----------------------------------------------------------------------------------------------

BROADCAST_SIZES = {"chapter 2": {}, "smallest": dict(batch_size=1, num_queries=1, num_keys=1, num_hiddens=1),
                   "largest": dict(batch_size=64, num_queries=4, num_keys=6, num_hiddens=8)}


def _broadcast(**kwargs) -> Figure:
    from bahdanau.chapters.diagrams import draw_broadcast

    return draw_broadcast(**kwargs)


def _patches(figure: Figure, colour: str) -> list:
    """The filled boxes (not the arrows) edged in ``colour``: the stripes of the vectors and the scores."""
    from matplotlib.patches import FancyBboxPatch

    return [patch for patch in figure.axes[0].patches
            if isinstance(patch, FancyBboxPatch) and same_color(patch.get_edgecolor()[:3], colour)]


def test_the_broadcast_labels_each_block_with_the_shapes_additive_scores_computes():
    import torch

    from bahdanau import AdditiveAttention

    B, Q, K, h = 2, 3, 5, 4
    layer = AdditiveAttention(key_size=6, query_size=8, num_hiddens=h)
    projected_queries = layer.W_q(torch.randn(B, Q, 8)).unsqueeze(2)  # what the figure calls (B, Q, 1, h)
    projected_keys = layer.project_keys(torch.randn(B, K, 6)).unsqueeze(1)
    features = torch.tanh(projected_queries + projected_keys)
    scores = layer.w_v(features).squeeze(-1)
    strings = _strings(_broadcast(batch_size=B, num_queries=Q, num_keys=K, num_hiddens=h))
    for letters, tensor in (("(B, Q, 1, h)", projected_queries), ("(B, Q, K, h)", features),
                            ("(B, Q, K)", scores)):
        assert letters in strings and str(tuple(tensor.shape)) in strings, letters
    assert f"(B, 1, K, h) = {tuple(projected_keys.shape)}" in strings
    for expected in ("W_q(queries)", "W_k(keys)", ".unsqueeze(2)", ".unsqueeze(1)", "torch.tanh(sum)",
                     "w_v(features).squeeze(-1)", r"$W_a s_{i-1}$", r"$U_a h_j$", r"$\tanh$", r"$v_a^\top$"):
        assert expected in strings, expected


def test_the_broadcast_pairs_every_query_with_every_key():
    strings = _strings(_broadcast(num_queries=2, num_keys=3))
    assert [s for s in strings if s.startswith("i=")] == ["i=1", "i=2"]
    assert [s for s in strings if s.startswith("j=")] == ["j=1", "j=2", "j=3"]
    assert sorted(s for s in strings if "," in s and s.replace(",", "").isdigit()) == [
        f"{i},{j}" for i in (1, 2) for j in (1, 2, 3)]


def test_the_broadcast_draws_one_stripe_per_number_in_the_palettes_colours():
    from bahdanau.chapters.diagrams import ATTENTION, DECODER, ENCODER

    Q, K, h = 2, 3, 5
    figure = _broadcast(num_queries=Q, num_keys=K, num_hiddens=h)
    assert len(_patches(figure, DECODER)) == Q * h  # the projected queries
    assert len(_patches(figure, ENCODER)) == K * h  # the projected keys
    assert len(_patches(figure, ATTENTION)) == 2 * Q * K * h + Q * K  # sum, features; one box per score


def test_the_broadcast_draws_the_rest_of_the_batch_as_outlines_behind():
    def outlines(batch_size):
        return len([patch for patch in _broadcast(batch_size=batch_size).axes[0].patches if patch.zorder < 1])

    assert outlines(1) == 0 and outlines(2) == 5 and outlines(3) == outlines(64) == 10  # five blocks
    assert "Drawn for one sentence of the batch (B = 2); the other sentence is the outline behind it. " \
        "Each small box is one vector of h numbers." in _strings(_broadcast())


@pytest.mark.parametrize("name", BROADCAST_SIZES)
def test_the_broadcast_is_legible_and_deterministic(name):
    figure = _broadcast(**BROADCAST_SIZES[name])
    _assert_labels_apart_and_inside(figure)
    box = figure.bbox
    patches = [patch.get_window_extent() for patch in figure.axes[0].patches]
    assert all(p.x0 >= box.x0 and p.x1 <= box.x1 and p.y0 >= box.y0 and p.y1 <= box.y1 for p in patches)
    assert figure.get_size_inches()[0] == 11 and min(text.get_fontsize() for text in _texts(figure)) >= 9
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = figure_png(_broadcast(**BROADCAST_SIZES[name])), figure_png(_broadcast(**BROADCAST_SIZES[name]))
    assert first.startswith(b"\x89PNG") and first == second
    assert [str(warning.message) for warning in caught] == []


@pytest.mark.parametrize("arguments,message", [(dict(batch_size=0), "batch_size from 1 to 64"),
                                               (dict(num_queries=5), "num_queries from 1 to 4"),
                                               (dict(num_keys=0), "num_keys from 1 to 6"),
                                               (dict(num_keys=7), "num_keys from 1 to 6"),
                                               (dict(num_hiddens=9), "num_hiddens from 1 to 8")])
def test_a_broadcast_too_big_for_the_page_is_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        _broadcast(**arguments)


# ----------------------------------------------------------------------------------------------
# The beam tree
# ----------------------------------------------------------------------------------------------

# A search with k = 2 over tokens 0 <bos>, 1 <eos>, 2 "va", 3 "pars", 4 "!", 5 ".": step 1 keeps
# "va" and "pars"; step 2 keeps "pars !" and "pars ." and drops "va"; step 3 finishes "pars ! <eos>".
TREE_TOKENS = ["<bos>", "<eos>", "va", "pars", "!", "."]


def _beam_tree():
    from bahdanau.decoding import BeamNode, BeamTree, Hypothesis

    nodes = [
        BeamNode(1, None, 2, -1.65, -1.65, None),
        BeamNode(1, None, 3, -1.75, -1.75, None),
        BeamNode(2, 1, 4, -0.43, -2.18, None),
        BeamNode(2, 1, 5, -1.20, -2.95, None),
        BeamNode(3, 2, 1, -0.01, -2.19, -2.19 / 3**0.75),
        BeamNode(3, 3, 1, -0.02, -2.97, -2.97 / 3**0.75),
    ]
    return BeamTree(nodes, Hypothesis([3, 4, 1], None, -2.19 / 3**0.75), winner=4)


def _draw_tree(**kwargs):
    from bahdanau.chapters.diagrams import draw_beam_tree

    return draw_beam_tree(_beam_tree(), TREE_TOKENS, **kwargs)


def _node_box(figure: Figure, token: str):
    """The patch of the node whose first line is ``token`` (its text sits inside it)."""
    ax = figure.axes[0]
    text = next(text for text in ax.texts if text.get_text() == token)
    x, y = text.get_position()
    return next(patch for patch in ax.patches if patch.get_extents().contains(*ax.transData.transform((x, y))))


def test_the_beam_tree_shows_every_kept_token_with_its_log_probability_and_sum():
    strings = _strings(_draw_tree())
    for token in ("<bos>", "va", "pars", "!", "."):
        assert token in strings
    assert strings.count("<eos>") == 2
    assert "-1.65, sum -1.65" in strings and "-0.43, sum -2.18" in strings
    # The finished hypotheses show their length-normalised scores; the winner is marked.
    assert f"score {-2.19 / 3**0.75:.3f}  (best)" in strings
    assert f"score {-2.97 / 3**0.75:.3f}" in strings


def test_the_beam_tree_colours_dropped_live_and_finished_nodes_and_frames_the_winner():
    from bahdanau.chapters.diagrams import DECODER, INK, MUTED, OUTPUT

    figure = _draw_tree()
    figure.canvas.draw()
    assert same_color(_node_box(figure, "va").get_edgecolor(), MUTED)  # fell out of the beam
    assert same_color(_node_box(figure, "pars").get_edgecolor(), DECODER)
    eos_boxes = [patch for patch in figure.axes[0].patches if patch.get_linewidth() == 3.0]
    assert len(eos_boxes) == 1 and same_color(eos_boxes[0].get_edgecolor(), INK)
    assert any(same_color(patch.get_edgecolor(), OUTPUT) for patch in figure.axes[0].patches)


def test_the_beam_tree_is_legible_and_deterministic():
    figure = _draw_tree(title="Beam search on 'go away .'")
    assert "Beam search on 'go away .'" in _strings(figure)
    _assert_labels_apart_and_inside(figure)
    width, height = figure.get_size_inches()
    assert width == 11 and 3 <= height <= 9
    assert min(text.get_fontsize() for text in _texts(figure)) >= 9
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert figure_png(_draw_tree()) == figure_png(_draw_tree())
    assert [str(warning.message) for warning in caught] == []


def test_a_beam_tree_too_big_for_the_page_is_refused():
    from bahdanau.chapters.diagrams import draw_beam_tree
    from bahdanau.decoding import BeamNode, BeamTree, Hypothesis

    nodes = [BeamNode(step, step - 2 if step > 1 else None, 2, -0.1, -0.1 * step, None) for step in range(1, 8)]
    with pytest.raises(ValueError, match="at most 5 steps"):
        draw_beam_tree(BeamTree(nodes, Hypothesis([2] * 7, None, -0.7), winner=6), TREE_TOKENS)


# ----------------------------------------------------------------------------------------------
# The receptive field of h_j (chapter 6)
# ----------------------------------------------------------------------------------------------


def _receptive(tokens=("tom", "drinks", "hot", "coffee", ".", "<eos>"), position=3):
    from bahdanau.chapters.diagrams import draw_receptive_field

    return draw_receptive_field(src_tokens=tokens, position=position)


def _coloured_states(figure: Figure, row: str) -> list[int]:
    """The positions k whose state box in ``row`` is drawn in the encoder's colour (it feeds h_j)."""
    from bahdanau.chapters.diagrams import ENCODER

    boxes = [patch for patch in figure.axes[0].patches if (patch.get_gid() or "").startswith(f"{row}-")]
    assert boxes, row
    return sorted(int(patch.get_gid().split("-")[1]) for patch in boxes if same_color(patch.get_edgecolor(), ENCODER))


def test_the_receptive_field_colours_what_h_j_has_read():
    figure = _receptive()
    assert _coloured_states(figure, "one") == [1, 2, 3]  # left to right: x_1 .. x_j
    assert _coloured_states(figure, "forward") == [1, 2, 3]
    assert _coloured_states(figure, "backward") == [3, 4, 5, 6]  # right to left: x_j .. x_S
    text = _all_text(figure)
    assert "$h_{3}$ has read" in text and r"$x_1 \ldots x_{3}$ only" in text
    assert r"$h_{3} = [\overrightarrow{h}_{3}\,;\,\overleftarrow{h}_{3}]$" in text and "every token" in text
    assert _strings(figure).count("coffee") == 2  # the sentence in each panel


def test_the_receptive_field_at_the_ends_of_the_sentence():
    tokens = ("the", "cat", "is", "on", "the", "mat", "near", "my", "door", "<eos>")
    last = _receptive(tokens, 10)
    assert _coloured_states(last, "one") == list(range(1, 11)) and _coloured_states(last, "backward") == [10]
    first = _receptive(tokens, 1)
    assert _coloured_states(first, "one") == [1] and _coloured_states(first, "backward") == list(range(1, 11))


@pytest.mark.parametrize("tokens,position", [(("tom", "drinks", "hot", "coffee", ".", "<eos>"), 3),
                                             (("the", "cat", "is", "on", "the", "mat", "near", "my", "door",
                                               "<eos>"), 10)])
def test_the_receptive_field_is_legible_and_deterministic(tokens, position):
    figure = _receptive(tokens, position)
    _assert_labels_apart_and_inside(figure)
    assert min(text.get_fontsize() for text in _texts(figure)) >= 9
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert figure_png(_receptive(tokens, position)) == figure_png(_receptive(tokens, position))
    assert [str(warning.message) for warning in caught] == []


@pytest.mark.parametrize("tokens,position,message", [(("go",), 1, "2 to 10 source tokens"),
                                                      (("a",) * 11, 1, "2 to 10 source tokens"),
                                                      (("go", "."), 0, "from 1 to 2"),
                                                      (("go", "."), 3, "from 1 to 2")])
def test_a_receptive_field_that_cannot_be_drawn_is_refused(tokens, position, message):
    with pytest.raises(ValueError, match=message):
        _receptive(tokens, position)
