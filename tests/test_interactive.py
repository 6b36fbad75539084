"""bahdanau.chapters.interactive: the step-by-step decoder trace, and the widgets driven as a reader would.

The widgets are driven without a kernel: setting ``slider.value`` or ``text.value`` and calling
``button.click()`` run the same callbacks a frontend triggers, and the tests read what the
HTML and Image widgets then hold.
"""

from __future__ import annotations

import html
import io
import warnings

import pytest
import torch
from PIL import Image

from bahdanau import load_pretrained
from bahdanau.chapters.interactive import (
    EMPTY_MESSAGE,
    WIDGET_VIEW,
    decoder_steps,
    step_through,
    translate_box,
)
from bahdanau.data import encode_sources, tokenize
from bahdanau.decoding import focus_row

SENTENCE = "he is a good man ."
UNKNOWN_WORD = "zorglub"  # not in the shipped English vocabulary (checked below)


@pytest.fixture(scope="module")
def translator():
    return load_pretrained("attention")


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of PNG bytes; fails if they are not a PNG image."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG image"
    return Image.open(io.BytesIO(data)).size


def test_weights_are_the_softmax_of_the_scores_and_equal_greedy_decoding(translator):
    trace = decoder_steps(translator, SENTENCE)
    greedy = translator.translate(SENTENCE)
    assert trace.tokens == greedy.tokens
    assert trace.src_tokens == greedy.src_tokens
    # The scores are recomputed from W_q, the cached keys and w_v; the weights are the decoder's own.
    for step in trace.steps:
        assert step.scores.shape == step.weights.shape == (len(trace.src_tokens),)
        torch.testing.assert_close(torch.softmax(step.scores, dim=-1), step.weights, atol=1e-5, rtol=0)
    torch.testing.assert_close(trace.attention, greedy.attention)  # (T, S), <eos> row included
    assert trace.steps[-1].output_token == "<eos>"


def test_each_step_feeds_back_the_previous_output_and_starts_from_the_encoder_state(translator):
    trace = decoder_steps(translator, SENTENCE)
    assert [step.index for step in trace.steps] == list(range(1, len(trace.steps) + 1))
    assert trace.steps[0].input_token == "<bos>"
    for previous, step in zip(trace.steps, trace.steps[1:]):
        assert step.input_token == previous.output_token
        assert not torch.equal(step.query, previous.query)
        assert 0.0 < step.probability <= 1.0
    # s_0 is the encoder's final last-layer state (the attention decoder's init_state).
    src, src_valid_len = encode_sources([tokenize(SENTENCE)], translator.src_vocab)  # (1, S), (1,)
    with torch.no_grad():
        _, hidden_state = translator.model.encoder(src, src_valid_len)  # (L, 1, H)
    torch.testing.assert_close(trace.steps[0].query, hidden_state[-1, 0])


def test_decoder_steps_names_unknown_words_and_rejects_what_it_cannot_trace(translator):
    assert UNKNOWN_WORD not in translator.src_vocab
    assert decoder_steps(translator, f"the {UNKNOWN_WORD} is here .").unknown == [UNKNOWN_WORD]
    with pytest.raises(ValueError, match="empty"):
        decoder_steps(translator, "  \n ")
    with pytest.raises(ValueError, match="attention"):
        decoder_steps(load_pretrained("no-attention"), SENTENCE)


def test_the_slider_shows_the_chosen_step(translator):
    view = step_through(translator, SENTENCE)
    trace = view.trace
    assert (view.slider.min, view.slider.max, view.slider.value) == (1, len(trace.steps), 1)
    first_image = view.image.value
    assert "Step 1</b>" in view.details.value and "<code>&lt;bos&gt;</code>" in view.details.value

    view.slider.value = 3
    step = trace.steps[2]
    details = view.details.value
    assert "Step 3</b>" in details
    assert f"output <code>{step.output_token}</code>" in details
    assert f"input <code>{trace.steps[1].output_token}</code>" in details
    assert f"(norm {float(step.query.norm()):.2f})" in details
    for token in ("he", "good", "man", "&lt;eos&gt;"):
        assert f"<td>{token}</td>" in details
    # The table's weights are this step's, in source order.
    for weight in step.weights.tolist():
        assert f"<td>{weight:.3f}</td>" in details
    assert view.image.value != first_image
    width, height = png_size(view.image.value)
    assert width > 300 and height > 200


def test_step_through_offers_the_widget_a_png_and_a_deterministic_text(translator):
    view = step_through(translator, SENTENCE)
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "image/png", "text/plain"}
    assert bundle[WIDGET_VIEW]["model_id"] == view.widget.model_id
    assert bundle["text/plain"] == (
        "Decoder steps for 'he is a good man .': 6 steps, output \"c'est un bon homme .\""
    )
    assert bundle["text/plain"] == step_through(translator, SENTENCE)._repr_mimebundle_()["text/plain"]
    png_size(bundle["image/png"])
    view.slider.value = 4
    # The book's image is always the first step, whatever the slider says.
    assert view._repr_mimebundle_()["image/png"] == bundle["image/png"]


def test_typing_a_sentence_shows_the_translation_the_heatmap_and_the_unknown_words(translator):
    box = translate_box(translator)
    assert EMPTY_MESSAGE in box.message.value and box.image.value == b""

    sentence = f"the {UNKNOWN_WORD} is here ."
    box.text.value = sentence
    french = translator.translate(sentence).text
    assert french.replace("<", "&lt;").replace(">", "&gt;") in box.message.value
    assert "Unknown words" in box.message.value and f"<code>{UNKNOWN_WORD}</code>" in box.message.value
    width, height = png_size(box.image.value)
    assert width > 300 and height > 200

    box.text.value = "i'm home ."
    assert "Unknown words" not in box.message.value
    assert translator.translate("i'm home .").text in box.message.value

    box.text.value = "   "
    assert EMPTY_MESSAGE in box.message.value and box.image.value == b""


def test_the_button_translates_the_box_text(translator):
    box = translate_box(translator, "i'm home .")
    box.message.value, box.image.value = "", b""
    box.button.click()
    assert translator.translate("i'm home .").text in box.message.value
    png_size(box.image.value)


def test_a_too_long_sentence_is_a_note_not_a_warning(translator):
    box = translate_box(translator)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        box.text.value = "i am here . " * 15  # 60 tokens, more than max_src_len=50
    assert "only the first 50 (max_src_len) are translated" in box.message.value
    png_size(box.image.value)


def test_translate_box_static_rendering(translator):
    bundle = translate_box(translator, f"the {UNKNOWN_WORD} is here .")._repr_mimebundle_()
    assert set(bundle) == {WIDGET_VIEW, "image/png", "text/plain"}
    french = translator.translate(f"the {UNKNOWN_WORD} is here .").text
    assert bundle["text/plain"] == f"Translate box: 'the {UNKNOWN_WORD} is here .' -> {french!r}"
    png_size(bundle["image/png"])
    # Nothing typed: no image to show, the text stands in.
    empty = translate_box(translator)._repr_mimebundle_()
    assert set(empty) == {WIDGET_VIEW, "text/plain"} and empty["text/plain"] == "Translate box (empty)"


def test_a_model_without_attention_translates_without_a_heatmap():
    box = translate_box(load_pretrained("no-attention"), "i'm home .")
    assert "French: <b>" in box.message.value
    assert box.image.value == b""


def test_the_step_through_view_runs_a_learners_lstm_decoder():
    from types import SimpleNamespace

    from helpers import SRC_VOCAB, TGT_VOCAB, TOY_PAIRS, overfit_lstm_model

    from bahdanau.decoding import translate

    model = overfit_lstm_model()
    learner = SimpleNamespace(model=model, src_vocab=SRC_VOCAB, tgt_vocab=TGT_VOCAB)
    sentence = " ".join(TOY_PAIRS[5][0])
    trace = decoder_steps(learner, sentence)
    greedy = translate(model, sentence, SRC_VOCAB, TGT_VOCAB)
    assert trace.tokens == greedy.tokens == TOY_PAIRS[5][1]
    torch.testing.assert_close(trace.attention, greedy.attention)
    # The LSTM decoder keeps attention_weights only (no scores, no queries): the view shows the weights.
    assert all(step.scores is None and step.query is None for step in trace.steps)
    view = step_through(learner, sentence)
    first_png = view.image.value
    view.slider.value = len(trace.steps)
    assert view.image.value != first_png and png_size(view.image.value)[0] > 0
    assert "<td>–</td>" in view.details.value and "query" not in view.details.value


def test_the_box_steers_a_row_onto_a_word_and_resets(translator):
    sentence = "he is reading a book in the garden ."
    box = translate_box(translator, sentence)
    before = translator.translate(sentence)
    unsteered_png = box.image.value
    assert [label for label, _ in box.row.options][0] == f"1: {before.tokens[0]}"
    assert [word for word, _ in box.word.options] == before.src_tokens[:-1]  # no <eos> column
    assert "&lt;eos&gt; column" in box.steering.value and not box.steer.disabled  # the hint says why
    step, garden = 1, before.src_tokens.index("garden")
    box.row.value, box.word.value = step, garden
    box.steer.click()
    after = translator.translate(sentence, override={step: focus_row(len(before.src_tokens), garden)})
    assert after.tokens != before.tokens
    assert "Step 2 now looks only at <code>garden</code>" in box.steering.value
    assert html.escape(before.text) in box.steering.value  # the model's own French stays beside it
    changed = [token for i, token in enumerate(after.tokens) if i >= len(before.tokens) or token != before.tokens[i]]
    for token in changed:
        assert f"<mark>{html.escape(token)}</mark>" in box.steering.value
    assert box.image.value != unsteered_png
    png_size(box.image.value)
    box.reset.click()
    assert box.image.value == unsteered_png and "<mark>" not in box.steering.value


def test_steered_html_marks_changed_and_dropped_words():
    from bahdanau.chapters.interactive import steered_html
    from bahdanau.decoding import Translation

    before = Translation(tokens=["il", "lit", "un", "livre", "."], attention=None, src_tokens=[])
    after = Translation(tokens=["il", "parle", "."], attention=None, src_tokens=[])
    text = steered_html(before, after, 1, "garden")
    assert "<mark>parle</mark>" in text and "<mark>.</mark>" in text and "<mark>il</mark>" not in text
    assert "(4 words changed)" in text  # parle, ., and two words the steered French lost


def test_a_model_without_attention_offers_no_steering():
    box = translate_box(load_pretrained("no-attention"), "i'm home .")
    assert box.steer.disabled and box.row.options == () and "no attention to steer" in box.steering.value
