"""Diagrams of the model, drawn by code: the whole encoder–decoder and one decoder step.

Why pictures? The model's pieces run a different number of times, and tensors change shape as
they flow between them; a reader takes both in faster from a figure than from a paragraph or
from a diagram drawn in text. Both figures use the paper's symbols (``h_j``, ``s_{i-1}``,
``alpha_ij``, ``c_i``, ``y_{i-1}``), the package's names (``enc_outputs``, ``enc_keys``,
``hidden_state``, ``init_state``) and the shape letters of the package docstring.

- :func:`draw_encoder_decoder`: one sentence through the whole model. The encoder and
  ``init_state`` run once per sentence; the decoder step, drawn for one output word with its
  attention weights as lines whose width is ``alpha_ij``, runs once per output word. The
  caller passes the weights: a model's own row for the sentence and the step it names.
- :func:`draw_decoder_step`: the dataflow of one decoder step, from ``s_{i-1}`` and
  ``y_{i-1}`` to ``s_i`` and the logits, every box labelled with its equation (eqs. 4–6 of
  the paper) and every arrow with the shape of the tensor it carries.
- :func:`draw_broadcast`: how additive scoring pairs every query with every key, the
  (B, Q, 1, h) + (B, 1, K, h) broadcast to (B, Q, K, h), then ``tanh`` and ``w_v`` down to the
  scores (B, Q, K), every block labelled with its shape.

Each function returns a new :class:`matplotlib.figure.Figure` and draws nothing else: no pyplot,
so nothing is shown twice in a notebook and no backend is chosen. Show one with
:func:`bahdanau.chapters.plotting.show`, or save it with ``fig.savefig(...)``. The drawing is
deterministic: the same arguments give the same PNG bytes. The colours are the Okabe–Ito
palette, which readers with any common colour-vision deficiency can tell apart.

In a notebook::

    from bahdanau.chapters.diagrams import draw_decoder_step, draw_encoder_decoder
    from bahdanau.chapters.plotting import show

    result = translator.translate("i have a red car .")  # a shipped model's Translator
    i = result.tokens.index("voiture")  # the step that writes "voiture"
    show(draw_encoder_decoder(src_tokens=result.src_tokens, weights=result.attention[i],
                              prev_token=result.tokens[i - 1], next_token="voiture"))
    show(draw_decoder_step())

Coordinates are in inches from the bottom-left corner of the figure, so a distance in the code
is a distance on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from ..decoding import BeamTree

__all__ = ["draw_encoder_decoder", "draw_decoder_step", "draw_broadcast", "draw_receptive_field", "draw_beam_tree"]

# Okabe & Ito (2008), "Color Universal Design": one colour per role.
ENCODER = "#009E73"  # bluish green: the source side, annotations h_j
ATTENTION = "#D55E00"  # vermillion: scores, weights, context
DECODER = "#0072B2"  # blue: the decoder's state s_i
TARGET = "#CC79A7"  # reddish purple: target tokens y_i and their embeddings
OUTPUT = "#E69F00"  # orange: the output layer and the logits
INK = "#000000"
MUTED = "#555555"

WIDTH = 11.0  # inches: the width of the book's page at its usual zoom
TEXT_SIZE = 10
SMALL_SIZE = 9
TITLE_SIZE = 13


# ----------------------------------------------------------------------------------------------
# Drawing primitives
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """Where a drawn box is (centre and size, in inches), for attaching arrows to its edges."""

    x: float
    y: float
    width: float
    height: float

    @property
    def left(self) -> tuple[float, float]:
        return self.x - self.width / 2, self.y

    @property
    def right(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y

    @property
    def top(self) -> tuple[float, float]:
        return self.x, self.y + self.height / 2

    @property
    def bottom(self) -> tuple[float, float]:
        return self.x, self.y - self.height / 2


def _tint(colour: str, amount: float = 0.85) -> tuple[float, float, float]:
    """``colour`` mixed with white: ``amount`` 0 is the colour itself, 1 is white."""
    return tuple(c + (1.0 - c) * amount for c in to_rgb(colour))


def _canvas(height: float, title: str) -> tuple[Figure, Axes]:
    """A new figure WIDTH x height inches whose one Axes measures in inches, with a title."""
    figure = Figure(figsize=(WIDTH, height))
    FigureCanvasAgg(figure)  # a canvas that can draw, without pyplot
    ax = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(0.0, WIDTH)
    ax.set_ylim(0.0, height)
    ax.set_axis_off()
    _text(ax, WIDTH / 2, height - 0.3, title, size=TITLE_SIZE, weight="bold")
    return figure, ax


def _text(ax: Axes, x: float, y: float, text: str, *, size: float = TEXT_SIZE, colour: str = INK,
          ha: str = "center", va: str = "center", mono: bool = False, **kwargs) -> None:
    ax.text(x, y, text, fontsize=size, color=colour, ha=ha, va=va,
            family="monospace" if mono else "sans-serif", **kwargs)


def _box(ax: Axes, x: float, y: float, width: float, height: float, colour: str,
         lines: Sequence[str], *, code: str | None = None, pill: bool = False) -> _Box:
    """A filled box with one or two lines of text and, below them, a code name in monospace."""
    style = f"round,pad=0,rounding_size={height / 2 if pill else 0.08}"
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                                facecolor=_tint(colour), edgecolor=colour, linewidth=1.6))
    rows = [(line, TEXT_SIZE, False) for line in lines] + ([(code, SMALL_SIZE, True)] if code else [])
    step = 0.22
    for k, (line, size, mono) in enumerate(rows):
        offset = (len(rows) - 1) / 2 * step - k * step
        _text(ax, x, y + offset, line, size=size, mono=mono, colour=MUTED if mono else INK)
    return _Box(x, y, width, height)


def _arrow(ax: Axes, points: Sequence[tuple[float, float]], colour: str, *, width: float = 1.4,
           dashed: bool = False) -> None:
    """An arrow along a polyline: straight segments, the head on the last one."""
    style = (0, (4, 3)) if dashed else "solid"
    if len(points) > 2:
        xs, ys = zip(*points[:-1], strict=True)
        ax.add_line(Line2D(xs, ys, color=colour, linewidth=width, linestyle=style,
                           solid_capstyle="butt", dash_capstyle="butt"))
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>,head_length=0.5,head_width=0.25",
                                 mutation_scale=14, color=colour, linewidth=width, linestyle=style,
                                 shrinkA=0, shrinkB=0))


# ----------------------------------------------------------------------------------------------
# The whole model
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ModelLayout:
    """Rows and columns of :func:`draw_encoder_decoder` (inches)."""

    columns: tuple[float, ...]  # x of each source position j
    token_y: float = 0.55
    embedding_y: float = 1.3
    annotation_y: float = 2.2
    annotation_height: float = 0.46

    @property
    def box_width(self) -> float:
        """The annotations' width: narrower for long sentences, so the GRU's arrows stay visible."""
        spacing = self.columns[1] - self.columns[0] if len(self.columns) > 1 else 1.0
        return min(0.56, spacing - 0.28)

    @property
    def annotation_top(self) -> float:
        return self.annotation_y + self.annotation_height / 2

    @property
    def split(self) -> float:
        """The y between the part that runs once per sentence and the part that runs per word."""
        return self.annotation_top + 0.6

    @property
    def height(self) -> float:
        return self.split + 3.7


def _source_columns(num_tokens: int) -> tuple[float, ...]:
    """The x of each source position: evenly spaced, centred between the labels and the panel."""
    left, right = 2.7, 8.25
    spacing = min(0.95, (right - left) / max(num_tokens - 1, 1))
    start = (left + right) / 2 - spacing * (num_tokens - 1) / 2
    return tuple(start + j * spacing for j in range(num_tokens))


def _phase_bands(ax: Axes, layout: _ModelLayout) -> None:
    """The two shaded bands: what runs once per sentence, what runs once per output word."""
    bands = (
        (0.12, layout.split - 0.06, ENCODER, "once per sentence", ""),
        (layout.split + 0.06, layout.height - 0.62, DECODER, "once per output word",
         "translating: one call per word, $y_i$ fed back\ntraining: one call runs all T steps"),
    )
    for bottom, top, colour, label, note in bands:
        ax.add_patch(FancyBboxPatch((0.12, bottom), WIDTH - 0.24, top - bottom, facecolor=_tint(colour, 0.95),
                                    edgecolor=_tint(colour, 0.5), linewidth=1.0,
                                    boxstyle="round,pad=0,rounding_size=0.12"))
        _text(ax, 0.3, top - 0.22, label, size=TEXT_SIZE, colour=colour, ha="left", weight="bold")
        if note:
            _text(ax, 0.3, top - 0.42, note, size=SMALL_SIZE, colour=MUTED, ha="left", va="top", linespacing=1.5)


def _encoder(ax: Axes, layout: _ModelLayout, src_tokens: Sequence[str], bidirectional: bool) -> list[_Box]:
    """Tokens, embeddings and the GRU(s) up to the annotations h_j; returns the annotation boxes."""
    size = "2H" if bidirectional else "H"
    rows = [
        (layout.token_y, r"source tokens $x_j$" + "\nsrc (B, S)"),
        (layout.embedding_y, "embeddings\n(B, S, E)"),
    ]
    if bidirectional:
        quarter = layout.annotation_height / 4
        rows += [(layout.annotation_y + quarter, r"forward GRU: $\overrightarrow{h}_j$"),
                 (layout.annotation_y - quarter, r"backward GRU: $\overleftarrow{h}_j$")]
    else:
        rows.append((layout.annotation_y, r"encoder GRU: $h_j$" + f"\nenc_outputs (B, S, {size})"))
    for y, label in rows:
        _text(ax, 0.3, y, label, ha="left", size=SMALL_SIZE, linespacing=1.4)
    annotations = []
    for j, (x, token) in enumerate(zip(layout.columns, src_tokens, strict=True), start=1):
        _text(ax, x, layout.token_y, token, mono=True)
        embedding = _box(ax, x, layout.embedding_y, min(0.36, layout.box_width), 0.3, MUTED, [])
        _arrow(ax, [(x, layout.token_y + 0.14), embedding.bottom], MUTED, width=1.0)
        if bidirectional:
            annotation = _stacked_annotation(ax, x, layout, j)
        else:
            annotation = _box(ax, x, layout.annotation_y, layout.box_width, layout.annotation_height, ENCODER,
                              [rf"$h_{{{j}}}$"])
        _arrow(ax, [embedding.top, annotation.bottom], MUTED, width=1.0)
        annotations.append(annotation)
    _recurrence(ax, annotations, layout, bidirectional)
    return annotations


def _stacked_annotation(ax: Axes, x: float, layout: _ModelLayout, j: int) -> _Box:
    """h_j = [->h_j ; <-h_j]: the forward state on top of the backward one, one box per half."""
    half = layout.annotation_height / 2
    for k, symbol in enumerate((r"\overrightarrow{h}", r"\overleftarrow{h}")):
        y = layout.annotation_y + half / 2 - k * half
        _box(ax, x, y, layout.box_width, half, ENCODER, [rf"${symbol}_{{{j}}}$"])
    return _Box(x, layout.annotation_y, layout.box_width, layout.annotation_height)


def _recurrence(ax: Axes, annotations: list[_Box], layout: _ModelLayout, bidirectional: bool) -> None:
    """The GRU's arrows between neighbouring positions: left to right, and right to left too."""
    quarter = layout.annotation_height / 4
    for left, right in zip(annotations, annotations[1:], strict=False):
        if bidirectional:
            y_forward, y_backward = left.y + quarter, left.y - quarter
            _arrow(ax, [(left.right[0], y_forward), (right.left[0], y_forward)], ENCODER, width=1.2)
            _arrow(ax, [(right.left[0], y_backward), (left.right[0], y_backward)], ENCODER, width=1.2)
        else:
            _arrow(ax, [left.right, right.left], ENCODER, width=1.2)


def _attention_fan(ax: Axes, annotations: list[_Box], weights: Sequence[float], attention: _Box) -> None:
    """One line from each annotation h_j to the attention, as wide as its weight alpha_ij."""
    target = attention.bottom
    for box, weight in zip(annotations, weights, strict=True):
        start = box.top
        ax.add_line(Line2D([start[0], target[0]], [start[1], target[1]], color=ATTENTION,
                           linewidth=0.4 + 8.0 * weight, solid_capstyle="butt", zorder=1))
        # The weight sits where its line leaves the annotation.
        ax.text(start[0], start[1] + 0.13, f"{weight:.2f}", fontsize=SMALL_SIZE, color=ATTENTION, ha="center",
                va="center", zorder=3, bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none"))


def _decoder(ax: Axes, layout: _ModelLayout, tokens: tuple[str, str]) -> _Box:
    """s_{i-1} -> s_i with y_{i-1}, y_i and the attention; returns the attention box."""
    prev_token, next_token = tokens
    x_prev, x_now = 4.5, 6.5
    y_attention, y_state, y_token = layout.split + 0.75, layout.split + 1.85, layout.split + 2.7
    attention = _box(ax, x_now, y_attention, 2.0, 0.5, ATTENTION, [r"attention: $c_i = {\sum}_j\ \alpha_{ij}\, h_j$"])
    _text(ax, attention.right[0] + 0.12, y_attention, "(eq. 5)", size=SMALL_SIZE, ha="left", colour=ATTENTION)
    prev_state = _box(ax, x_prev, y_state, 1.2, 0.56, DECODER, [r"$s_{i-1}$"], code="hidden_state")
    state = _box(ax, x_now, y_state, 1.2, 0.56, DECODER, [r"$s_i$"], code="hidden_state")
    prev_word = _box(ax, x_prev, y_token, 1.5, 0.42, TARGET, [rf"$y_{{i-1}}$ = {prev_token}"], pill=True)
    word = _box(ax, x_now, y_token, 1.5, 0.42, TARGET, [rf"$y_i$ = {next_token}"], pill=True)

    _arrow(ax, [prev_state.right, state.left], DECODER)
    _text(ax, (x_prev + x_now) / 2, y_state - 0.16, "GRU", size=SMALL_SIZE, colour=DECODER)
    _arrow(ax, [(x_prev - 1.55, y_state), prev_state.left], DECODER)
    _text(ax, x_prev - 1.7, y_state, r"$s_0\ \cdots$", ha="right")
    _arrow(ax, [state.right, (x_now + 1.05, y_state)], DECODER)
    _text(ax, x_now + 1.15, y_state, r"$\cdots$", ha="left")
    _arrow(ax, [attention.top, state.bottom], ATTENTION)
    _text(ax, x_now + 0.1, (attention.top[1] + state.bottom[1]) / 2, r"$c_i$", ha="left", colour=ATTENTION)
    # The query s_{i-1} decides the weights.
    _arrow(ax, [prev_state.bottom, attention.left], DECODER, dashed=True)
    _text(ax, x_prev + 0.6, (y_state + y_attention) / 2 + 0.14, "query", size=SMALL_SIZE, ha="left",
          colour=DECODER)
    _arrow(ax, [prev_state.top, prev_word.bottom], OUTPUT)
    _arrow(ax, [state.top, word.bottom], OUTPUT)
    _text(ax, x_now + 0.1, (state.top[1] + word.bottom[1]) / 2, "logits (B, 1, V)", size=SMALL_SIZE, ha="left",
          colour=OUTPUT)
    # y_{i-1} is fed back as the next input.
    _arrow(ax, [(prev_word.right[0] - 0.2, y_token - 0.21), (state.left[0] + 0.15, y_state + 0.28)], TARGET)
    _decoder_equations(ax, layout, (y_attention, y_state, y_token))
    return attention


def _decoder_equations(ax: Axes, layout: _ModelLayout, rows: tuple[float, float, float]) -> None:
    """The paper's equations beside the parts of the decoder step that compute them."""
    y_attention, y_state, y_token = rows
    _text(ax, 8.3, y_state, r"$s_i = f(s_{i-1},\ y_{i-1},\ c_i)$", ha="left")
    _text(ax, 8.3, y_token, r"$p(y_i \mid y_{<i}, x) = g(y_{i-1}, s_i, c_i)$" + "\n(eq. 4)", ha="left",
          linespacing=1.5)
    _text(ax, 4.6, y_attention - 0.05, r"$e_{ij} = a(s_{i-1}, h_j)$" + "\n"
          + r"$\alpha_{ij} = \mathrm{softmax}_j\ e_{ij}$  (eq. 6)", ha="right", linespacing=1.6)
    _text(ax, 4.8, layout.split + 0.2, r"line width: weight $\alpha_{ij}$", ha="right", size=SMALL_SIZE,
          colour=ATTENTION)


def _state_panel(ax: Axes, layout: _ModelLayout, bidirectional: bool, last: _Box) -> None:
    """What init_state hands the decoder (AttentionState), once per sentence."""
    size = "2H" if bidirectional else "H"
    s_0 = r"$s_0 = \tanh(W_s \overleftarrow{h}_1)$" if bidirectional else r"$s_0$ = final state"
    h_j = r"$h_j = [\overrightarrow{h}_j\,;\,\overleftarrow{h}_j]$" if bidirectional else r"$h_j$"
    fields = (
        ("enc_outputs", rf"{h_j}  (B, S, {size})"),
        ("enc_keys", r"$U_a h_j$  (B, S, H)"),
        ("hidden_state", s_0 + "  (L, B, H)"),
        ("src_valid_len", "(B,)"),
    )
    left, right, top = 8.7, WIDTH - 0.3, layout.split - 0.3
    # As much room per field as the band leaves (more beside the taller bidirectional encoder).
    spacing = min(0.55, (top - 0.95) / len(fields))
    bottom = top - 0.65 - spacing * len(fields)
    ax.add_patch(FancyBboxPatch((left, bottom), right - left, top - bottom, facecolor="white", edgecolor=ENCODER,
                                linewidth=1.2, boxstyle="round,pad=0,rounding_size=0.08"))
    _text(ax, left + 0.12, top - 0.2, "init_state \u2192 state", ha="left", mono=True, size=SMALL_SIZE,
          weight="bold")
    _text(ax, left + 0.12, top - 0.4, "read at every step", ha="left", size=SMALL_SIZE, colour=MUTED)
    for k, (name, value) in enumerate(fields):
        y = top - 0.72 - spacing * k
        _text(ax, left + 0.12, y, name, ha="left", mono=True, size=SMALL_SIZE, colour=MUTED)
        _text(ax, left + 0.12, y - 0.2, value, ha="left", size=SMALL_SIZE)
    _arrow(ax, [last.right, (left, last.y)], ENCODER, width=1.2)


def draw_encoder_decoder(
    *,
    src_tokens: Sequence[str],
    weights: Sequence[float],
    prev_token: str,
    next_token: str,
    bidirectional: bool = False,
    title: str | None = None,
) -> Figure:
    """The whole model for one sentence: the encoder once, then one decoder step i.

    Bottom band (once per sentence): the source tokens ``x_j`` are embedded, read by the
    encoder's GRU into the annotations ``h_j`` (``enc_outputs``), and ``init_state`` packs
    them with their key projection ``U_a h_j`` (``enc_keys``), the first state ``s_0`` and
    the source lengths. Top band (once per output word): the query ``s_{i-1}`` weighs every
    ``h_j`` (lines as wide as ``alpha_ij``, eq. 6), the context ``c_i`` (eq. 5) and
    ``y_{i-1}`` update the state to ``s_i``, whose logits choose ``y_i`` (eq. 4).

    Args:
        src_tokens: the source sentence, at most 10 tokens (the drawing has room for no more;
            with 10, tokens longer than about 7 characters crowd their neighbours).
        weights: the attention weights ``alpha_ij`` of the step drawn, one per source token
            (a sequence of floats or a 1-D tensor): a row of a model's attention, each in
            [0, 1], summing to 1. There is no default: a figure that names a sentence draws
            a model's own weights for it. They set the lines' widths and are printed.
        prev_token, next_token: the target words ``y_{i-1}`` and ``y_i`` of that step.
        bidirectional: draw the paper's bidirectional encoder: ``h_j = [->h_j ; <-h_j]``
            (size 2H) and ``s_0 = tanh(W_s <-h_1)``.
        title: the figure's title; a default one if None.

    Returns:
        A new Figure, 11 inches wide, not registered with pyplot.

    Raises:
        ValueError: no source tokens or more than 10, a different number of weights, a
            weight outside [0, 1], or weights that do not sum to 1.
    """
    src_tokens, weights = list(src_tokens), [float(w) for w in weights]
    if not 1 <= len(src_tokens) <= 10:
        raise ValueError(f"draw_encoder_decoder draws 1 to 10 source tokens, got {len(src_tokens)}.")
    if len(weights) != len(src_tokens):
        raise ValueError(f"one weight per source token: got {len(weights)} weights for {len(src_tokens)} tokens.")
    if any(not 0.0 <= w <= 1.0 for w in weights):
        raise ValueError(f"attention weights lie in [0, 1]; got {weights}.")
    if abs(sum(weights) - 1.0) > 0.01:
        raise ValueError(f"a row of attention weights sums to 1; these sum to {sum(weights):.3f}.")
    layout = _ModelLayout(_source_columns(len(src_tokens)), annotation_height=0.84 if bidirectional else 0.46,
                          annotation_y=2.4 if bidirectional else 2.2)
    figure, ax = _canvas(layout.height, title or "One sentence through the model: read the English once, "
                         "then write one French word per step")
    _phase_bands(ax, layout)
    annotations = _encoder(ax, layout, src_tokens, bidirectional)
    _state_panel(ax, layout, bidirectional, annotations[-1])
    attention = _decoder(ax, layout, (prev_token, next_token))
    _attention_fan(ax, annotations, weights, attention)
    return figure


# ----------------------------------------------------------------------------------------------
# One decoder step
# ----------------------------------------------------------------------------------------------

# Rows of the step's dataflow (y, inches); the attention flows down them, the decoder back up.
_STEP_ROWS = (0.8, 1.8, 2.8, 3.8, 4.8, 5.85)
_STATE_X, _ATTENTION_X, _GUTTER_X, _DECODER_X, _INPUT_X = 1.15, 4.2, 6.05, 7.75, 10.05


def _step_state(ax: Axes) -> dict[str, _Box]:
    """The state the step reads, as init_state left it: one pill per field of AttentionState."""
    wsum, softmax, _, tanh, _, query = _STEP_ROWS
    ax.add_patch(FancyBboxPatch((0.2, 0.35), 1.9, 6.25 - 0.35, facecolor=_tint(ENCODER, 0.95),
                                edgecolor=_tint(ENCODER, 0.5), linewidth=1.0, boxstyle="round,pad=0,rounding_size=0.1"))
    _text(ax, _STATE_X, 6.35, "state: AttentionState", size=SMALL_SIZE, colour=MUTED, mono=True)
    fields = {
        "hidden_state": (query, DECODER, r"$s_{i-1}$, every layer"),
        "enc_keys": (tanh, ENCODER, r"$U_a h_j$ (cached)"),
        "src_valid_len": (softmax, MUTED, "source lengths"),
        "enc_outputs": (wsum, ENCODER, r"$h_j$"),
    }
    return {name: _box(ax, _STATE_X, y, 1.7, 0.56, colour, [symbol], code=name)
            for name, (y, colour, symbol) in fields.items()}


def _draw_attention_column(ax: Axes, state: dict[str, _Box], enc_size: str) -> _Box:
    """Eq. 6 and eq. 5, top to bottom: from the query s_{i-1} to the context c_i."""
    wsum, softmax, score, tanh, query, top = _STEP_ROWS
    specs = (
        (query, [r"$W_a\, s_{i-1}$"], "attention.W_q"),
        (tanh, [r"$\tanh(W_a s_{i-1} + U_a h_j)$"], "additive_scores"),
        (score, [r"$e_{ij} = v_a^\top \tanh(\cdots)$   (eq. 6)"], "attention.w_v"),
        (softmax, [r"$\alpha_{ij} = \mathrm{softmax}_j\, e_{ij}$   (eq. 6)"], "masked_softmax"),
        (wsum, [r"$c_i = {\sum}_j\, \alpha_{ij} h_j$   (eq. 5)"], "torch.bmm"),
    )
    boxes = [_box(ax, _ATTENTION_X, y, 2.5, 0.56, ATTENTION, lines, code=code) for y, lines, code in specs]
    # The query: the last layer of hidden_state, down from the line that carries it to the GRU.
    _arrow(ax, [(_ATTENTION_X, top), boxes[0].top], DECODER)
    ax.add_patch(Circle((_ATTENTION_X, top), 0.05, color=DECODER))
    shapes = ("(B, 1, H)", "(B, 1, S, H)", r"$e_{ij}$  (B, 1, S)", r"$\alpha_{ij}$  (B, 1, S)")
    _text(ax, _ATTENTION_X + 0.1, (top + boxes[0].top[1]) / 2, r"query $s_{i-1}$  (B, H)", size=SMALL_SIZE,
          ha="left", colour=DECODER)
    for upper, lower, shape in zip(boxes[:-1], boxes[1:], shapes, strict=True):
        _arrow(ax, [upper.bottom, lower.top], ATTENTION)
        _text(ax, _ATTENTION_X + 0.1, (upper.bottom[1] + lower.top[1]) / 2, shape, size=SMALL_SIZE, ha="left")
    # What init_state prepared, read at every step.
    side_inputs = (("enc_keys", 1, "(B, S, H)"), ("src_valid_len", 3, "(B,)"),
                   ("enc_outputs", 4, f"(B, S, {enc_size})"))
    for name, k, shape in side_inputs:
        _arrow(ax, [state[name].right, boxes[k].left], ENCODER)
        _text(ax, (state[name].right[0] + boxes[k].left[0]) / 2, boxes[k].y + 0.13, shape, size=SMALL_SIZE)
    return boxes[-1]


def _step_decoder(ax: Axes, state: dict[str, _Box], context: _Box, enc_size: str, deep_output: bool) -> None:
    """Eq. 4, bottom to top: [c_i ; E y_{i-1}] -> GRU -> s_i -> logits -> y_i."""
    concat_y, gru_y, state_y, dense_y, logits_y, word_y = _STEP_ROWS
    concat = _box(ax, _DECODER_X, concat_y, 2.0, 0.56, TARGET, [r"$[c_i\, ;\, E\, y_{i-1}]$"], code="concatenate")
    gru = _box(ax, _DECODER_X, gru_y, 2.0, 0.56, DECODER, [r"$s_i = f(s_{i-1}, y_{i-1}, c_i)$"],
               code="GRU: decoder.rnn")
    new_state = _box(ax, _DECODER_X, state_y, 1.6, 0.5, DECODER, [r"$s_i$"], code="hidden_state", pill=True)
    if deep_output:  # the paper's output layer, appendix A.2.2
        output_layer = ([r"$W_o\, \mathrm{maxout}(\tilde t_i)$  (eq. 4)"], "maxout_input, dense")
        note = (r"$\tilde t_i = U_o s_i + V_o E y_{i-1}$" + "\n" + r"$\quad + C_o c_i$  (A.2.2):" + "\n"
                + r"g reads $y_{i-1}$, $s_i$ and $c_i$")
    else:  # d2l's: one linear layer
        output_layer = ([r"$W_o\, s_i$   (eq. 4)"], "decoder.dense")
        note = r"$p(y_i \mid y_{<i}, x)$" + "\n" + r"$\quad = g(y_{i-1}, s_i, c_i)$" + "\nhere g reads $s_i$ only"
    dense = _box(ax, _DECODER_X, dense_y, 2.0, 0.56, OUTPUT, output_layer[0], code=output_layer[1])
    logits = _box(ax, _DECODER_X, logits_y, 1.6, 0.5, OUTPUT, ["logits"], pill=True)
    word = _box(ax, _DECODER_X, word_y, 1.6, 0.5, TARGET, [r"next word $y_i$"], pill=True)
    prev_word = _box(ax, _INPUT_X, gru_y, 1.2, 0.5, TARGET, [r"$y_{i-1}$"], code="X", pill=True)
    embedding = _box(ax, _INPUT_X, concat_y, 1.2, 0.56, TARGET, [r"$E\, y_{i-1}$"], code="embedding")

    flows = (  # (from, to, colour, label): the label beside a vertical arrow, above a horizontal one
        (context.right, concat.left, ATTENTION, rf"$c_i$  (B, 1, {enc_size})"),
        (prev_word.bottom, embedding.top, TARGET, "(B, 1)"),
        (embedding.left, concat.right, TARGET, "(B, 1, E)"),
        (concat.top, gru.bottom, TARGET, f"(B, 1, {enc_size}+E)"),
        (gru.top, new_state.bottom, DECODER, "(L, B, H)"),
        (new_state.top, dense.bottom, DECODER, r"$s_i$  (B, 1, H)"),
        (dense.top, logits.bottom, OUTPUT, "(B, 1, V)"),
        (logits.top, word.bottom, OUTPUT, "argmax or beam"),
    )
    for start, end, colour, label in flows:
        _arrow(ax, [start, end], colour)
        if start[0] == end[0]:
            _text(ax, start[0] + 0.1, (start[1] + end[1]) / 2, label, size=SMALL_SIZE, ha="left")
        else:
            _text(ax, (start[0] + end[0]) / 2, start[1] + 0.13, label, size=SMALL_SIZE)
    # hidden_state (every layer) to the GRU, past the attention column.
    hidden = state["hidden_state"]
    _arrow(ax, [hidden.right, (_GUTTER_X, hidden.y), (_GUTTER_X, gru.y), gru.left], DECODER)
    _text(ax, (hidden.right[0] + _ATTENTION_X) / 2, hidden.y + 0.13, "(L, B, H)", size=SMALL_SIZE)
    _arrow(ax, [new_state.right, (_INPUT_X - 0.45, new_state.y)], DECODER)
    _text(ax, _INPUT_X - 0.35, new_state.y, "hidden_state\nof step i+1", size=SMALL_SIZE, ha="left", mono=True,
          colour=MUTED)
    _text(ax, dense.right[0] + 0.15, dense.y, note, size=SMALL_SIZE, ha="left", linespacing=1.5)


def draw_decoder_step(*, bidirectional: bool = False, deep_output: bool = False, title: str | None = None) -> Figure:
    """The dataflow of one decoder step i, with the paper's symbols and the tensor shapes.

    What :meth:`bahdanau.models.Seq2SeqAttentionDecoder.step` and the output layer compute.
    Left, the state that ``init_state`` prepared (``hidden_state``, ``enc_keys``,
    ``src_valid_len``, ``enc_outputs``). Down the middle, the attention: the query
    ``W_a s_{i-1}`` added to every cached key ``U_a h_j``, squashed by ``tanh`` and scored by
    ``v_a`` (``e_ij``, eq. 6), normalised over the real source tokens (``alpha_ij``, eq. 6) and
    used to average the annotations (``c_i``, eq. 5). Up the right, the decoder: the GRU reads
    ``[c_i ; E y_{i-1}]`` and ``s_{i-1}`` and returns ``s_i``; the dense layer turns ``s_i``
    into the logits of ``y_i`` (eq. 4). Every arrow is labelled with the shape of what it
    carries, in the letters of the package docstring.

    Args:
        bidirectional: the shapes of the paper's bidirectional encoder: annotations and
            context of size 2H (the keys ``U_a h_j`` stay H).
        deep_output: draw the paper's output layer (appendix A.2.2, the ``rnnsearch`` preset):
            a maxout over ``t~_i = U_o s_i + V_o E y_{i-1} + C_o c_i``, then ``W_o``; without
            it, d2l's single linear layer ``W_o s_i``.
        title: the figure's title; a default one if None.

    Returns:
        A new Figure, 11 inches wide, not registered with pyplot.
    """
    enc_size = "2H" if bidirectional else "H"
    figure, ax = _canvas(7.3, title or "One decoder step i: weigh the annotations with the query "
                         r"$s_{i-1}$, then update the state to $s_i$")
    headers = ((_ATTENTION_X, "attention, top to bottom", ATTENTION), (_DECODER_X, "decoder, bottom to top", DECODER))
    for x, header, colour in headers:
        _text(ax, x, 6.35, header, colour=colour, weight="bold")
    state = _step_state(ax)
    context = _draw_attention_column(ax, state, enc_size)
    _step_decoder(ax, state, context, enc_size, deep_output)
    return figure


# ----------------------------------------------------------------------------------------------
# The broadcast of additive scoring
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BroadcastLayout:
    """Where :func:`draw_broadcast` puts its blocks (inches): x of each block, y of each row."""

    cell_w: float  # one h-vector's box
    table_w: float  # K boxes side by side
    table_h: float  # Q boxes one above the other
    scores_w: float
    table_left: float
    features_left: float
    scores_left: float
    table_room: float  # the table, or its labels if they are wider
    cell_h: float = 0.3
    gap: float = 0.08
    score_size: float = 0.3
    score_gap: float = 0.06
    arrow_room: float = 1.05
    query_x: float = 0.95
    labels_h: float = 1.65  # below the tables: five lines of labels per block

    @classmethod
    def for_sizes(cls, num_queries: int, num_keys: int) -> _BroadcastLayout:
        """The widest boxes that fit: the query column, two (Q, K) tables, two arrows, the scores."""
        Q, K = num_queries, num_keys
        gap, cell_h, score_size, score_gap, arrow_room, query_x = 0.08, 0.3, 0.3, 0.06, 1.05, 0.95
        scores_w = K * score_size + (K - 1) * score_gap
        scores_room = max(scores_w, 2.0)
        room = WIDTH - 0.2 - query_x - 0.45 - 2 * (K - 1) * gap - 2 * arrow_room - scores_room
        cell_w = min(0.5, room / (0.5 + 2 * K))
        table_w, table_h = K * cell_w + (K - 1) * gap, Q * cell_h + (Q - 1) * gap
        table_room = max(table_w, 2.4)
        table_left = query_x + cell_w / 2 + 0.45 + (table_room - table_w) / 2
        features_left = table_left + table_room + arrow_room
        scores_left = features_left + (table_w + table_room) / 2 + arrow_room + (scores_room - scores_w) / 2
        return cls(cell_w, table_w, table_h, scores_w, table_left, features_left, scores_left, table_room)

    @property
    def rows(self) -> list[float]:
        """The y of each query i (top to bottom)."""
        count = round((self.table_h + self.gap) / (self.cell_h + self.gap))
        top = self.labels_h + self.table_h
        return [top - self.cell_h / 2 - i * (self.cell_h + self.gap) for i in range(count)]

    @property
    def key_y(self) -> float:
        return self.labels_h + self.table_h + 0.55

    @property
    def height(self) -> float:
        return self.key_y + 1.35

    def table_end(self, left: float) -> float:
        """Where the room of the table that starts at ``left`` ends: an arrow starts there."""
        return left + (self.table_w + self.table_room) / 2

    def columns(self, left: float) -> list[float]:
        count = round((self.table_w + self.gap) / (self.cell_w + self.gap))
        return [left + self.cell_w / 2 + j * (self.cell_w + self.gap) for j in range(count)]


def _vector_cell(ax: Axes, x: float, y: float, size: tuple[float, float], colour: str, stripes: int,
                 label: str = "") -> None:
    """One h-vector as ``stripes`` stripes side by side (one per number), centred at (x, y)."""
    width, height = size
    for k in range(stripes):
        left = x - width / 2 + k * width / stripes
        ax.add_patch(FancyBboxPatch((left, y - height / 2), width / stripes, height, boxstyle="square,pad=0",
                                    facecolor=_tint(colour, 0.7 if k % 2 else 0.85), edgecolor=colour,
                                    linewidth=0.8))
    if label:
        _text(ax, x, y, label, size=SMALL_SIZE,
              bbox=dict(boxstyle="round,pad=0.08", facecolor="white", alpha=0.75, edgecolor="none"))


def _batch_shadow(ax: Axes, left: float, bottom: float, width: float, height: float, batch_size: int) -> None:
    """The other sentences of the batch: outlines behind the block drawn for one sentence."""
    for k in range(min(batch_size - 1, 2), 0, -1):
        shift = 0.07 * k
        ax.add_patch(FancyBboxPatch((left - 0.04 + shift, bottom - 0.04 + shift), width + 0.08, height + 0.08,
                                    boxstyle="round,pad=0,rounding_size=0.04", facecolor="white",
                                    edgecolor=_tint(MUTED, 0.45), linewidth=0.8, zorder=0.5))


def _block_label(ax: Axes, x: float, top: float, lines: Sequence[str], colour: str, *, ha: str = "center") -> None:
    """A block's name, its symbol, its code (monospace if it has no space), its shape in letters
    and in the sizes drawn, one line each."""
    for k, line in enumerate(lines):
        _text(ax, x, top - 0.24 * k, line, ha=ha, size=TEXT_SIZE if k < 2 else SMALL_SIZE,
              mono=k == 2 and " " not in line, colour=colour if k == 0 else MUTED if k == 2 else INK,
              weight="bold" if k == 0 else "normal")


def _broadcast_inputs(ax: Axes, layout: _BroadcastLayout, batch_size: int, num_hiddens: int) -> None:
    """The projected queries, a column (B, Q, 1, h), and the projected keys, a row (B, 1, K, h),
    each with arrows into the table: every query goes along its row, every key down its column."""
    size, x_q, table_left = (layout.cell_w, layout.cell_h), layout.query_x, layout.table_left
    rows, columns = layout.rows, layout.columns(table_left)
    _batch_shadow(ax, x_q - layout.cell_w / 2, rows[-1] - layout.cell_h / 2, layout.cell_w, layout.table_h,
                  batch_size)
    for i, y in enumerate(rows, start=1):
        _vector_cell(ax, x_q, y, size, DECODER, num_hiddens, f"i={i}")
        _arrow(ax, [(x_q + layout.cell_w / 2 + 0.06, y), (table_left - 0.06, y)], DECODER, width=1.0)
    key_y = layout.key_y
    _batch_shadow(ax, table_left, key_y - layout.cell_h / 2, layout.table_w, layout.cell_h, batch_size)
    for j, x in enumerate(columns, start=1):
        _vector_cell(ax, x, key_y, size, ENCODER, num_hiddens, f"j={j}")
        _arrow(ax, [(x, key_y - layout.cell_h / 2 - 0.05), (x, rows[0] + layout.cell_h / 2 + 0.05)], ENCODER,
               width=1.0)
    _text(ax, x_q, key_y, "+", size=TITLE_SIZE + 5, colour=ATTENTION, weight="bold")


def _broadcast_tables(ax: Axes, layout: _BroadcastLayout, batch_size: int, num_hiddens: int) -> None:
    """The sum and its tanh (B, Q, K, h), cell (i, j) = W_a s_{i-1} + U_a h_j; then the scores
    (B, Q, K), one number per cell; and the arrows of tanh and v_a between them."""
    rows, size = layout.rows, (layout.cell_w, layout.cell_h)
    for left, named in ((layout.table_left, True), (layout.features_left, False)):
        _batch_shadow(ax, left, rows[-1] - layout.cell_h / 2, layout.table_w, layout.table_h, batch_size)
        for i, y in enumerate(rows, start=1):
            for j, x in enumerate(layout.columns(left), start=1):
                _vector_cell(ax, x, y, size, ATTENTION, num_hiddens, f"{i},{j}" if named else "")
    side = layout.score_size
    _batch_shadow(ax, layout.scores_left, rows[-1] - side / 2, layout.scores_w,
                  layout.table_h - layout.cell_h + side, batch_size)
    for y in rows:
        for j in range(len(layout.columns(layout.table_left))):
            x = layout.scores_left + j * (side + layout.score_gap)
            ax.add_patch(FancyBboxPatch((x, y - side / 2), side, side, boxstyle="square,pad=0",
                                        facecolor=_tint(ATTENTION, 0.35), edgecolor=ATTENTION, linewidth=0.8))
    middle = (rows[0] + rows[-1]) / 2
    steps = ((layout.table_end(layout.table_left), r"$\tanh$", "same shape"),
             (layout.table_end(layout.features_left), r"$v_a^\top$", "h \u2192 1"))
    for start, label, note in steps:
        _arrow(ax, [(start + 0.12, middle), (start + layout.arrow_room - 0.12, middle)], ATTENTION)
        _text(ax, start + layout.arrow_room / 2, middle + 0.2, label, colour=ATTENTION)
        _text(ax, start + layout.arrow_room / 2, middle - 0.2, note, size=SMALL_SIZE, colour=MUTED)


def draw_broadcast(
    *,
    batch_size: int = 2,
    num_queries: int = 3,
    num_keys: int = 5,
    num_hiddens: int = 4,
    title: str | None = None,
) -> Figure:
    """How additive scoring pairs every query with every key by broadcasting (eq. 6).

    What :func:`bahdanau.attention.additive_scores` computes, drawn for one sentence of the
    batch (the other ``batch_size - 1`` are outlines behind it). Each small box is one vector
    of ``num_hiddens`` numbers, one stripe per number. The projected queries ``W_a s_{i-1}``
    (``W_q(queries)``, (B, Q, 1, h) after ``unsqueeze(2)``) form a column and the projected
    keys ``U_a h_j`` (``W_k(keys)``, (B, 1, K, h) after ``unsqueeze(1)``) a row; their sum
    fills the (B, Q, K, h) table like an addition table, cell (i, j) =
    ``W_a s_{i-1} + U_a h_j``. ``tanh`` keeps that shape; ``w_v`` (``v_a^T``) turns each
    cell's vector into one number, the scores ``e_ij`` (B, Q, K). Every block is labelled
    with its symbol, its code, its shape in letters and in the sizes drawn.

    Args:
        batch_size: B, 1 to 64 (at most two outlines are drawn behind).
        num_queries: Q, 1 to 4 (the decoder asks one query per step; the layer takes any Q).
        num_keys: K, 1 to 6 source positions.
        num_hiddens: h, the scoring network's size, 1 to 8 (the stripes of each vector).
        title: the figure's title; a default one if None.

    Returns:
        A new Figure, 11 inches wide, not registered with pyplot.

    Raises:
        ValueError: a size outside the ranges above.
    """
    limits = {"batch_size": (batch_size, 64), "num_queries": (num_queries, 4), "num_keys": (num_keys, 6),
              "num_hiddens": (num_hiddens, 8)}
    for name, (value, high) in limits.items():
        if not 1 <= value <= high:
            raise ValueError(f"draw_broadcast draws {name} from 1 to {high}, got {value}.")
    B, Q, K, h = batch_size, num_queries, num_keys, num_hiddens
    layout = _BroadcastLayout.for_sizes(Q, K)
    figure, ax = _canvas(layout.height, title or "Every query meets every key: (B, Q, 1, h) + (B, 1, K, h) "
                         "broadcasts to (B, Q, K, h)")
    behind = {1: "", 2: f" (B = {B}); the other sentence is the outline behind it"}.get(
        B, f" (B = {B}); the other {B - 1} are the outlines behind it")
    _text(ax, WIDTH / 2, layout.height - 0.58, f"Drawn for one sentence of the batch{behind}. "
          "Each small box is one vector of h numbers.", size=SMALL_SIZE, colour=MUTED)
    _broadcast_inputs(ax, layout, B, h)
    _broadcast_tables(ax, layout, B, h)
    _block_label(ax, layout.table_end(layout.table_left) + 0.2, layout.key_y + 0.45, [
        "W_k(keys)", r"$U_a h_j$", ".unsqueeze(1)", f"(B, 1, K, h) = ({B}, 1, {K}, {h})"], ENCODER, ha="left")
    table_middle = layout.table_w / 2
    blocks = (
        (layout.query_x, DECODER, ["W_q(queries)", r"$W_a s_{i-1}$", ".unsqueeze(2)", "(B, Q, 1, h)",
                                   f"({B}, {Q}, 1, {h})"]),
        (layout.table_left + table_middle, ATTENTION, ["their sum", r"$W_a s_{i-1} + U_a h_j$",
                                                       "cell (i, j): query i + key j", "(B, Q, K, h)",
                                                       f"({B}, {Q}, {K}, {h})"]),
        (layout.features_left + table_middle, ATTENTION, ["features", r"$\tanh(W_a s_{i-1} + U_a h_j)$",
                                                          "torch.tanh(sum)", "(B, Q, K, h)",
                                                          f"({B}, {Q}, {K}, {h})"]),
        (layout.scores_left + layout.scores_w / 2, ATTENTION, ["scores", r"$e_{ij} = v_a^\top \tanh(\cdots)$",
                                                               "w_v(features).squeeze(-1)", "(B, Q, K)",
                                                               f"({B}, {Q}, {K})"]),
    )
    for x, colour, lines in blocks:
        _block_label(ax, x, layout.labels_h - 0.25, lines, colour)
    return figure


# ----------------------------------------------------------------------------------------------
# A beam search, drawn as the tree of what it kept
# ----------------------------------------------------------------------------------------------

_TREE_ROW = 0.78  # inches per leaf of the tree
_TREE_BOX = (1.5, 0.62)  # a node's box: width, height (inches)
_TREE_MAX_STEPS, _TREE_MAX_LEAVES = 5, 10


def _tree_rows(tree: BeamTree) -> tuple[dict[int | None, list[int]], dict[int | None, float]]:
    """Each node's children (best path first) and its row: leaves one per row, a parent between its children."""
    children: dict[int | None, list[int]] = {}
    for index, node in enumerate(tree.nodes):
        children.setdefault(node.parent, []).append(index)
    for kids in children.values():
        kids.sort(key=lambda index: -tree.nodes[index].total)
    rows: dict[int | None, float] = {}
    leaves = 0

    def place(node: int | None) -> float:
        nonlocal leaves
        kids = children.get(node, [])
        if kids:
            rows[node] = sum(place(kid) for kid in kids) / len(kids)
        else:
            rows[node], leaves = float(leaves), leaves + 1
        return rows[node]

    place(None)
    return children, rows


def draw_beam_tree(tree: BeamTree, tokens: Sequence[str], *, title: str | None = None) -> Figure:
    """Beam search on one sentence as the tree of the candidates it kept, step by step.

    Left to right, the output steps from ``<bos>``. Each node is a token y_t that the search
    kept (:func:`bahdanau.decoding.beam_search_tree`), with its own log-probability
    ``log p(y_t | y_<t, x)`` and the path's sum ``log p(y_1 .. y_t | x)``, by which the
    ``k`` live hypotheses are chosen. Blue: still in the beam; grey: fell out of the beam at
    the next step; orange: ended with ``<eos>`` and left the beam, with its score (the sum
    divided by the length penalty) by which the finished hypotheses are ranked. The winner,
    beam search's answer, has a thick black border.

    Args:
        tree: what :func:`~bahdanau.decoding.beam_search_tree` returned.
        tokens: the target vocabulary's tokens by id (``tgt_vocab.idx_to_token``).
        title: the figure's title; a default one if None.

    Returns:
        A new Figure, 11 inches wide, not registered with pyplot.

    Raises:
        ValueError: the tree has more than 5 steps or 10 leaves (the page has no room for it).
    """
    children, rows = _tree_rows(tree)
    steps = max(node.step for node in tree.nodes)
    leaves = sum(1 for index in range(len(tree.nodes)) if index not in children)
    if steps > _TREE_MAX_STEPS or leaves > _TREE_MAX_LEAVES:
        raise ValueError(f"draw_beam_tree draws at most {_TREE_MAX_STEPS} steps and {_TREE_MAX_LEAVES} leaves, "
                         f"got {steps} steps and {leaves} leaves.")
    width = _TREE_BOX[0]
    top = 1.25 + _TREE_ROW / 2  # below the title and the legend
    figure, ax = _canvas(top + leaves * _TREE_ROW, title or "Beam search, one step per column: each node a "
                         "token, its log-probability and its path's sum")
    _text(ax, WIDTH / 2, figure.get_figheight() - 0.72, "blue: in the beam    grey: fell out of the beam    "
          "orange: ended with <eos>, ranked by score = sum / length penalty    thick border: the answer",
          size=SMALL_SIZE, colour=MUTED)

    def centre(node: int | None) -> tuple[float, float]:
        step = tree.nodes[node].step if node is not None else 0
        spacing = min(2.1, (WIDTH - 0.75 - width / 2 - 0.2) / steps)
        return 0.75 + step * spacing, figure.get_figheight() - top - rows[node] * _TREE_ROW

    x, y = centre(None)
    start = _box(ax, x, y, 0.9, 0.42, TARGET, ["<bos>"], pill=True)
    boxes: dict[int | None, _Box] = {None: start}
    for index in sorted(range(len(tree.nodes)), key=lambda index: tree.nodes[index].step):
        node = tree.nodes[index]
        x, y = centre(index)
        lines = [tokens[node.token_id], f"{node.log_prob:.2f}, sum {node.total:.2f}"]
        if node.score is not None:
            colour = OUTPUT
            lines.append(f"score {node.score:.3f}" + ("  (best)" if index == tree.winner else ""))
        elif index not in children and node.step < steps:
            colour = MUTED
        else:
            colour = DECODER
        boxes[index] = _tree_node(ax, x, y, colour, lines, winner=index == tree.winner)
        parent = boxes[node.parent]
        ax.add_line(Line2D([parent.right[0], boxes[index].left[0]], [parent.y, y], color=MUTED, linewidth=1.0,
                           zorder=0))
    return figure


def _tree_node(ax: Axes, x: float, y: float, colour: str, lines: Sequence[str], *, winner: bool) -> _Box:
    """A node of the beam tree: the token in monospace, then its numbers."""
    width, height = _TREE_BOX
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0,rounding_size=0.06", facecolor=_tint(colour),
                                edgecolor=INK if winner else colour, linewidth=3.0 if winner else 1.4))
    step = 0.19
    for k, line in enumerate(lines):
        offset = (len(lines) - 1) / 2 * step - k * step
        _text(ax, x, y + offset, line, size=TEXT_SIZE if k == 0 else SMALL_SIZE, mono=k == 0,
              weight="bold" if k == 0 else "normal")
    return _Box(x, y, width, height)


# ----------------------------------------------------------------------------------------------
# What an annotation has read: one direction or both
# ----------------------------------------------------------------------------------------------

_UNREAD = "#BBBBBB"  # a token, state or arrow that carries nothing into h_j


def _receptive_row(ax: Axes, columns: Sequence[float], y: float, symbol: str, read: Sequence[bool],
                   leftwards: bool, row: str) -> None:
    """One GRU's states along the sentence: those that feed h_j in colour, the others grey.

    Each state box gets the gid ``"<row>-<k>"`` (k from 1), so a test can find it.
    """
    width = min(0.56, (columns[1] - columns[0] if len(columns) > 1 else 1.0) - 0.22)
    boxes = []
    for k, (x, fed) in enumerate(zip(columns, read, strict=True), start=1):
        box = _box(ax, x, y, width, 0.42, ENCODER if fed else _UNREAD, [rf"${symbol}_{{{k}}}$"])
        ax.patches[-1].set_gid(f"{row}-{k}")
        boxes.append(box)
    for left, right, fed in zip(boxes, boxes[1:], zip(read, read[1:], strict=False), strict=False):
        colour = ENCODER if all(fed) else _UNREAD
        start, end = (right.left, left.right) if leftwards else (left.right, right.left)
        _arrow(ax, [start, end], colour, width=1.2)


def draw_receptive_field(*, src_tokens: Sequence[str], position: int, title: str | None = None) -> Figure:
    """Which source tokens the annotation ``h_j`` has read, in a one-directional and a bidirectional encoder.

    Top: d2l's encoder (the shipped ``attention``) reads left to right, ``h_j = f(x_j, h_{j-1})``,
    so ``h_j`` has read ``x_1 .. x_j`` and nothing after them. Bottom: the paper's encoder
    (section 3.2, the shipped ``rnnsearch``) also reads right to left, and
    ``h_j = [->h_j ; <-h_j]`` has read every token. Tokens, states and arrows that feed
    ``h_j`` are coloured; the others are grey. Each state box has the gid ``"forward-k"``,
    ``"backward-k"`` (bottom) or ``"one-k"`` (top).

    Args:
        src_tokens: the source sentence, 2 to 10 tokens.
        position: j, counted from 1.
        title: the figure's title; a default one if None.

    Returns:
        A new Figure, 11 inches wide, not registered with pyplot.

    Raises:
        ValueError: fewer than 2 or more than 10 tokens, or a position outside 1..len(src_tokens).
    """
    src_tokens = list(src_tokens)
    if not 2 <= len(src_tokens) <= 10:
        raise ValueError(f"draw_receptive_field draws 2 to 10 source tokens, got {len(src_tokens)}.")
    if not 1 <= position <= len(src_tokens):
        raise ValueError(f"position is counted from 1 to {len(src_tokens)}; got {position}.")
    j, columns = position, _source_columns(len(src_tokens))
    figure, ax = _canvas(5.6, title or rf"What the annotation $h_{{{j}}}$ has read: one direction, or both")
    panels = (
        # (top of the band, label, rows: (y, symbol, read, leftwards, gid), note)
        (4.95, "one direction\nd2l: attention", [(4.0, "h", [k <= j for k in range(1, len(columns) + 1)], False,
                                                  "one")],
         rf"$h_{{{j}}}$ has read" + "\n" + rf"$x_1 \ldots x_{{{j}}}$ only"),
        (2.65, "both directions\nthe paper: rnnsearch",
         [(1.95, r"\overrightarrow{h}", [k <= j for k in range(1, len(columns) + 1)], False, "forward"),
          (1.35, r"\overleftarrow{h}", [k >= j for k in range(1, len(columns) + 1)], True, "backward")],
         rf"$h_{{{j}}} = [\overrightarrow{{h}}_{{{j}}}\,;\,\overleftarrow{{h}}_{{{j}}}]$" + "\nhas read every token"),
    )
    for top, label, rows, note in panels:
        token_y = rows[-1][0] - 0.8
        ax.add_patch(FancyBboxPatch((0.12, token_y - 0.3), WIDTH - 0.24, top - token_y + 0.3,
                                    facecolor=_tint(ENCODER, 0.96), edgecolor=_tint(ENCODER, 0.5), linewidth=1.0,
                                    boxstyle="round,pad=0,rounding_size=0.12"))
        _text(ax, 0.3, top - 0.35, label, ha="left", va="top", size=SMALL_SIZE, linespacing=1.5)
        read_any = [any(row[2][k] for row in rows) for k in range(len(columns))]
        for x, token, seen in zip(columns, src_tokens, read_any, strict=True):
            _text(ax, x, token_y, token, mono=True, colour=INK if seen else _UNREAD)
            # Drawn up to the lowest row: both directions read the same token.
            _arrow(ax, [(x, token_y + 0.15), (x, rows[-1][0] - 0.21)], MUTED if seen else _UNREAD, width=1.0)
        for y, symbol, read, leftwards, gid in rows:
            _receptive_row(ax, columns, y, symbol, read, leftwards, gid)
        # A frame around column j: the annotation the decoder reads.
        upper, lower = rows[0][0] + 0.3, rows[-1][0] - 0.3
        ax.add_patch(FancyBboxPatch((columns[j - 1] - 0.33, lower), 0.66, upper - lower, facecolor="none",
                                    edgecolor=ATTENTION, linewidth=1.8, linestyle=(0, (3, 2)),
                                    boxstyle="round,pad=0,rounding_size=0.06"))
        _text(ax, 8.75, (upper + lower) / 2, note, ha="left", size=SMALL_SIZE, linespacing=1.5, colour=ATTENTION)
    return figure
