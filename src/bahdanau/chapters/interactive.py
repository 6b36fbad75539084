"""Widgets for exploring a trained model in a notebook: step through the decoder, translate your own.

Two views, each a plain computation plus a thin ipywidgets layer over it:

- :func:`decoder_steps` runs the attention decoder one step at a time and records, per step,
  the query ``s_{i-1}``, the raw scores ``e_ij``, the weights ``alpha_ij`` and the output token;
  :func:`step_through` puts a slider over those steps.
- :func:`translate_box` is a text box: type English, get the French output, its attention
  heatmap and a note naming the words the model does not know. Two menus steer the attention
  (:func:`bahdanau.decoding.translate`'s ``override``): pick a row and an English word, and that
  step looks only at the word; the French from there on is decoded again and shown beside the
  model's own, the changed words marked (:func:`steered_html`).

Why objects with their own ``_repr_mimebundle_`` rather than bare widgets? A widget is alive
only while a kernel runs it; the published book has none and would show a dead placeholder.
So a view offers three renderings of itself: the widget for live frontends (Jupyter, Colab),
a PNG of its first state, and a one-line text summary. The book's ``_config.yml`` drops the
widget mime type for the html builder (``nb_mime_priority_overrides``), so the page shows the
PNG; nbval compares the text, which is deterministic, and skips widget views and images.

Shapes: S source length (``<eos>`` included), H hidden size.
"""

from __future__ import annotations

import html
import textwrap
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from matplotlib.figure import Figure

try:
    import ipywidgets as widgets
except ImportError as error:  # an optional extra: the rest of the package works without it
    raise ImportError(
        "bahdanau.chapters.interactive needs ipywidgets: pip install 'bahdanau[widgets]' (or pip install ipywidgets)"
    ) from error

from ..data import EOS
from ..decoding import Translation, focus_row, translate
from ..interfaces import DecoderStep
from .plotting import figure_png, plot_attention

__all__ = ["Step", "DecoderTrace", "decoder_steps", "StepThrough", "step_through", "TranslateBox", "translate_box",
           "steered_html"]

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# How many leading values of the query the step view prints: enough to see it change, short enough to read.
QUERY_PREVIEW = 4
PAGE_WIDTH = 78  # the rendered book's code column, in characters
EMPTY_MESSAGE = "Type an English sentence above, then press Enter or click Translate."
STEER_HINT = ("Steer: pick a row (a French word) and an English word, then click Steer: that step looks only "
              "at the word, and the French is decoded again from there. The <eos> column is the end marker, "
              "not a word, so it is not offered.")
NO_ATTENTION_MESSAGE = "This model has no attention to steer."


@dataclass(frozen=True)
class Step:
    """One decoder step of greedy decoding (step ``i``, counted from 1).

    Attributes:
        index: i, from 1 to the number of output tokens (``<eos>`` included).
        input_token: ``y_{i-1}``, the token fed in (``<bos>`` at step 1).
        query: ``s_{i-1}``, the query the attention used, shape (H,); None when the
            decoder's steps do not return it.
        scores: ``e_ij = v_a^T tanh(W_a s_{i-1} + U_a h_j)``, shape (S,); None likewise.
        weights: ``alpha_ij``, the weights the decoder used, shape (S,); ``softmax(scores)``.
        output_token: ``y_i``, the most likely next token.
        probability: ``p(y_i | y_<i, x)``, the model's probability of that token.
    """

    index: int
    input_token: str
    query: torch.Tensor | None
    scores: torch.Tensor | None
    weights: torch.Tensor
    output_token: str
    probability: float


@dataclass(frozen=True)
class DecoderTrace:
    """Greedy decoding of one sentence, step by step.

    Attributes:
        sentence: the English text as given.
        src_tokens: the source as the model read it (words, then ``<eos>``); length S.
        unknown: the distinct source words the model read as ``<unk>``.
        steps: one :class:`Step` per output token, ``<eos>`` included when it was produced.
    """

    sentence: str
    src_tokens: list[str]
    unknown: list[str]
    steps: list[Step] = field(default_factory=list)

    @property
    def tokens(self) -> list[str]:
        """The French output, without ``<eos>`` (as :attr:`bahdanau.decoding.Translation.tokens`)."""
        return [step.output_token for step in self.steps if step.output_token != EOS]

    @property
    def attention(self) -> torch.Tensor:
        """All steps' weights as one matrix, shape (number of steps, S)."""
        return torch.stack([step.weights for step in self.steps])


def decoder_steps(translator: Any, sentence: str, *, max_len: int | None = None) -> DecoderTrace:
    """Greedy-decode ``sentence`` and keep what attention computed at each step.

    This is :func:`bahdanau.decoding.translate` (greedy, with its tokenization and its
    limits on the input and the output) with an ``on_step`` callback that keeps each
    step's :class:`~bahdanau.interfaces.DecoderStep`: the query ``s_{i-1}``, the scores
    ``e_ij`` and the weights ``alpha_ij`` it returned, so a test can check that
    ``weights == softmax(scores)``.

    Args:
        translator: anything with ``.model`` (a :class:`~bahdanau.interfaces.Seq2Seq`),
            ``.src_vocab`` and ``.tgt_vocab``, e.g. a :class:`~bahdanau.pretrained.Translator`.
        sentence: English text.
        max_len: most output tokens, ``<eos>`` included; default as ``translate``.

    Raises:
        ValueError: the sentence is empty, or the model's decoder has no attention.
    """
    kept: list[tuple[DecoderStep, int]] = []

    def keep(step: DecoderStep, tokens: torch.Tensor) -> None:
        kept.append((step, int(tokens[0])))

    tgt_vocab = translator.tgt_vocab
    translation = translate(translator.model, sentence, translator.src_vocab, tgt_vocab, max_len=max_len,
                            on_step=keep)
    if translation.attention is None:
        raise ValueError("decoder_steps needs a decoder with attention (its steps return weights), "
                         "e.g. load_pretrained('attention')")
    steps, previous = [], tgt_vocab.bos
    for index, (step, token) in enumerate(kept, start=1):
        probability = float(torch.softmax(step.logits[0], dim=-1)[token])
        steps.append(Step(
            index=index,
            input_token=tgt_vocab.decode([previous])[0],
            query=None if step.query is None else step.query[0].cpu(),  # (H,): s_{i-1}
            scores=None if step.scores is None else step.scores[0].cpu(),  # (S,): e_ij
            weights=step.weights[0].cpu(),  # (S,): alpha_ij, what the decoder used
            output_token=tgt_vocab.decode([token])[0],
            probability=probability,
        ))
        previous = token
    return DecoderTrace(sentence=sentence, src_tokens=translation.src_tokens, unknown=translation.unknown,
                        steps=steps)


# ----------------------------------------------------------------------------------------------
# Rendering shared by the widget and its static fallback
# ----------------------------------------------------------------------------------------------


def step_figure(trace: DecoderTrace, index: int) -> Figure:
    """Bar charts for step ``index``: the scores ``e_ij`` (when kept) and the weights ``alpha_ij`` per source token.

    A ``Figure`` built without pyplot, so that a notebook's inline backend never shows it on its own.
    """
    step = trace.steps[index - 1]
    positions = np.arange(len(trace.src_tokens))
    panels = 1 if step.scores is None else 2
    figure = Figure(figsize=(max(5.0, 0.55 * len(positions) + 2.5), 1.5 + 1.35 * panels), layout="constrained")
    axes = np.atleast_1d(figure.subplots(panels, 1, sharex=True))
    if step.scores is not None:
        axes[0].bar(positions, step.scores.numpy(), color="tab:gray")
        axes[0].axhline(0.0, color="black", linewidth=0.6)
        axes[0].set_ylabel("score $e_{ij}$")
    weight_ax = axes[-1]
    weight_ax.bar(positions, step.weights.numpy(), color="tab:red")
    weight_ax.set_ylim(0.0, 1.0)  # a fixed scale, so that steps can be compared
    weight_ax.set_ylabel(r"weight $\alpha_{ij}$")
    weight_ax.set_xticks(positions, trace.src_tokens, rotation=45, ha="right", rotation_mode="anchor")
    weight_ax.set_xlabel("source (English)")
    figure.suptitle(
        f"Step {step.index} of {len(trace.steps)}: after {step.input_token!r} the decoder "
        f"looks at {trace.src_tokens[int(step.weights.argmax())]!r} and outputs {step.output_token!r}"
    )
    return figure


def step_html(trace: DecoderTrace, index: int) -> str:
    """The step's numbers as HTML: the query, the output token, and a table of scores and weights."""
    step = trace.steps[index - 1]
    scores = step.scores.tolist() if step.scores is not None else [None] * len(trace.src_tokens)
    rows = "".join(
        f"<tr><td>{html.escape(token)}</td><td>{'–' if score is None else f'{score:+.3f}'}</td>"
        f"<td>{weight:.3f}</td></tr>"
        for token, score, weight in zip(trace.src_tokens, scores, step.weights.tolist())
    )
    query = ""
    if step.query is not None:
        preview = ", ".join(f"{value:+.3f}" for value in step.query[:QUERY_PREVIEW].tolist())
        query = f"query s<sub>{step.index - 1}</sub> = [{preview}, …] (norm {float(step.query.norm()):.2f}); "
    return (
        f"<p><b>Step {step.index}</b>: input <code>{html.escape(step.input_token)}</code>; {query}"
        f"output <code>{html.escape(step.output_token)}</code> (p = {step.probability:.2f})</p>"
        "<table><tr><th>source token</th><th>score e</th><th>weight α</th></tr>"
        f"{rows}</table>"
    )


class _StaticFallback:
    """A view with three renderings: the live widget, a PNG of its first state, a text summary."""

    widget: widgets.Widget

    def _png(self) -> bytes:
        raise NotImplementedError

    def _summary(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        # The widget view written out rather than taken from the widget's own _repr_mimebundle_,
        # which ipywidgets 7 (Colab's) does not have; the protocol is the same in 7 and 8.
        bundle: dict[str, Any] = {
            WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": self.widget.model_id}
        }
        bundle["image/png"] = self._png()
        # Deterministic (no memory address), so nbval can compare it with the stored output;
        # wrapped to the book's 78-character code column.
        bundle["text/plain"] = textwrap.fill(self._summary(), PAGE_WIDTH, subsequent_indent="    ")
        return bundle

    def __repr__(self) -> str:
        return self._summary()


class StepThrough(_StaticFallback):
    """A slider over the decoder steps of one sentence; see :func:`step_through`.

    Attributes:
        trace: the :class:`DecoderTrace` being shown.
        slider: the step (1 to number of steps).
        details: HTML with the query, the output token and the table of scores and weights.
        image: the bar charts of :func:`step_figure` as a PNG.
        widget: the whole view (slider, image, details).
    """

    def __init__(self, trace: DecoderTrace):
        self.trace = trace
        self.slider = widgets.IntSlider(
            value=1, min=1, max=len(trace.steps), description="step", continuous_update=False
        )
        self.image = widgets.Image(format="png")
        self.details = widgets.HTML()
        self.slider.observe(self._show, names="value")
        self._show()
        # Step 1, kept for the book's static image (drawn once). bytes(): ipywidgets 8.1 hands back a memoryview.
        self._first_png = bytes(self.image.value)
        self.widget = widgets.VBox([self.slider, self.image, self.details])

    def _show(self, change: dict | None = None) -> None:
        self.image.value = figure_png(step_figure(self.trace, self.slider.value))
        self.details.value = step_html(self.trace, self.slider.value)

    def _png(self) -> bytes:
        return self._first_png

    def _summary(self) -> str:
        return (
            f"Decoder steps for {self.trace.sentence!r}: {len(self.trace.steps)} steps, "
            f"output {' '.join(self.trace.tokens)!r}"
        )


def step_through(translator: Any, sentence: str) -> StepThrough:
    """A slider over the greedy decoder steps of ``sentence`` (see :func:`decoder_steps`).

    Display it as a cell's last value. In Jupyter or Colab the slider picks the step and the view
    shows that step's query, its scores ``e_ij`` and weights ``alpha_ij`` per source token (bar
    charts and a table) and its output token; in the book it shows step 1 as an image.
    """
    return StepThrough(decoder_steps(translator, sentence))


def steered_html(before: Translation, after: Translation, step: int, word: str) -> str:
    """What steering did, as HTML: the steered French (changed words marked) beside the model's own.

    ``after`` is ``before``'s sentence translated with all of output ``step``'s weight on ``word``.
    A word of ``after`` is *changed* when ``before`` has another word (or none) at its position.
    """
    marked = []
    for position, token in enumerate(after.tokens):
        same = position < len(before.tokens) and before.tokens[position] == token
        text = html.escape(token)
        marked.append(text if same else f"<mark>{text}</mark><span hidden> (changed)</span>")
    changed = sum(1 for position, token in enumerate(after.tokens)
                  if position >= len(before.tokens) or before.tokens[position] != token)
    changed += max(0, len(before.tokens) - len(after.tokens))  # words the steered French no longer has
    return (f"<p>Step {step + 1} now looks only at <code>{html.escape(word)}</code>: "
            f"<b>{' '.join(marked)}</b> ({changed} word{'s' if changed != 1 else ''} changed)</p>"
            f"<p>The model's own: {html.escape(before.text)}</p>")


class TranslateBox(_StaticFallback):
    """A text box that translates what is typed; see :func:`translate_box`.

    Attributes:
        text: the English input (translates when Enter is pressed or the box loses focus).
        button: "Translate", for frontends where Enter is not obvious.
        message: HTML with the French output and a note on unknown words, or what went wrong.
        image: the attention heatmap as a PNG (empty when there is nothing to show).
        row, word: the menus that pick the step to steer (a French word's row) and the English
            word it should look at; steer and reset: the buttons; steering: what steering did.
        widget: the whole view.
    """

    def __init__(self, translator: Any, sentence: str = ""):
        self.translator = translator
        self.sentence = sentence
        self.text = widgets.Text(
            value=sentence, placeholder="an English sentence, e.g. i'm home .",
            description="English", continuous_update=False,
        )
        self.button = widgets.Button(description="Translate")
        self.message = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.row = widgets.Dropdown(description="Steer row", options=[])
        self.word = widgets.Dropdown(description="onto", options=[])
        self.steer = widgets.Button(description="Steer", tooltip="move all of the row's weight onto the word")
        self.reset = widgets.Button(description="Reset", tooltip="back to the model's own attention")
        self.steering = widgets.HTML()
        self.text.observe(lambda change: self.update(), names="value")
        self.button.on_click(lambda button: self.update())
        self.steer.on_click(lambda button: self.steer_row())
        self.reset.on_click(lambda button: self.update())
        self._result: Translation | None = None  # the translation the menus steer
        self._sentence = sentence  # the English it translates
        # The first state, kept for the book's image and the text summary.
        self._initial = self._render(sentence)
        self.message.value, self.image.value = self._initial[:2]
        self._offer_steering()
        self.widget = widgets.VBox([widgets.HBox([self.text, self.button]), self.message, self.image,
                                    widgets.HBox([self.row, self.word, self.steer, self.reset]), self.steering])

    def update(self) -> None:
        """Translate the box's text and show the result (or a friendly message)."""
        message, png, _ = self._render(self.text.value)
        self.message.value = message
        self.image.value = png
        self._offer_steering()

    def _offer_steering(self) -> None:
        """Fill the menus from the current translation: its rows and its English words (not <eos>)."""
        result = self._result
        usable = result is not None and result.attention is not None
        self.row.options = ([(f"{i + 1}: {token}", i) for i, token in enumerate(self._row_tokens(result))]
                            if usable else [])
        self.word.options = [(word, j) for j, word in enumerate(result.src_tokens[:-1])] if usable else []
        for control in (self.row, self.word, self.steer, self.reset):
            control.disabled = not usable
        if result is not None and result.attention is None:
            self.steering.value = f"<p><i>{NO_ATTENTION_MESSAGE}</i></p>"
        else:
            self.steering.value = f"<p><i>{html.escape(STEER_HINT)}</i></p>" if usable else ""

    @staticmethod
    def _row_tokens(result: Translation) -> list[str]:
        # The attention rows include <eos> when the model produced it (see Translation.attention).
        return result.tokens + [EOS] if result.finished else result.tokens

    def steer_row(self) -> None:
        """Decode again with the chosen row's weight all on the chosen word; show it beside the model's own."""
        before = self._result
        if before is None or before.attention is None or self.row.value is None or self.word.value is None:
            return
        step, position = self.row.value, self.word.value
        with warnings.catch_warnings():  # a long input was cut: the message above already says so
            warnings.simplefilter("ignore")
            after = self.translator.translate(self._sentence,
                                              override={step: focus_row(len(before.src_tokens), position)})
        word = before.src_tokens[position]
        self.steering.value = steered_html(before, after, step, word)
        self.image.value = self._heatmap(after, title=f"Steered: row {step + 1} looks only at '{word}'")

    def _render(self, sentence: str) -> tuple[str, bytes, str]:
        """The message (HTML), the heatmap (PNG bytes, empty if none) and the French text for ``sentence``."""
        self._result, self._sentence = None, sentence
        if not sentence.strip():
            return f"<p>{EMPTY_MESSAGE}</p>", b"", ""
        # A very long input is cut with a UserWarning: show it as a note, not on stderr.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = self.translator.translate(sentence)
        self._result = result
        notes = [html.escape(str(warning.message)) for warning in caught]
        if result.unknown:
            words = ", ".join(f"<code>{html.escape(word)}</code>" for word in result.unknown)
            notes.append(f"Unknown words (the model read them as &lt;unk&gt;): {words}")
        message = f"<p>French: <b>{html.escape(result.text)}</b></p>"
        message += "".join(f"<p><i>{note}</i></p>" for note in notes)
        if result.attention is None:  # a model without attention has no heatmap to show
            return message, b"", result.text
        return message, self._heatmap(result, title="Which English words each French word looked at"), result.text

    def _heatmap(self, result: Translation, title: str) -> bytes:
        """The attention heatmap of ``result`` as PNG bytes."""
        tgt_tokens = self._row_tokens(result)
        figure = Figure(
            figsize=(max(4.0, 0.5 * len(result.src_tokens) + 2.5), max(3.0, 0.4 * len(tgt_tokens) + 1.5)),
            layout="constrained",
        )
        plot_attention(result.attention, result.src_tokens, tgt_tokens, ax=figure.subplots(), title=title)
        if result.unknown:
            # Also in the image, which is all that the static book shows of this view.
            figure.supxlabel(f"unknown words, read as <unk>: {', '.join(result.unknown)}",
                             fontsize="medium", color="tab:red")
        return figure_png(figure)

    def _png(self) -> bytes:
        return self._initial[1]

    def _summary(self) -> str:
        if not self.sentence.strip():
            return "Translate box (empty)"
        return f"Translate box: {self.sentence!r} -> {self._initial[2]!r}"

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        bundle = super()._repr_mimebundle_(include, exclude)
        if not bundle["image/png"]:
            del bundle["image/png"]  # nothing to draw: the text summary stands in the book
        return bundle


def translate_box(translator: Any, sentence: str = "") -> TranslateBox:
    """A box to translate your own English sentence with ``translator``.

    It shows the French output, the attention heatmap (:func:`bahdanau.chapters.plotting.plot_attention`)
    and the words the model does not know; empty input gets a friendly message. ``sentence``
    fills the box at first (and is what the book shows as an image).
    """
    return TranslateBox(translator, sentence)
