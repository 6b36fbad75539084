"""The exercises: every reference solution passes its checker, wrong answers get specific messages
(never an exception), and the notebooks and the instructors' page agree with the package."""

from __future__ import annotations

import functools
import inspect
import math
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import solutions  # book/grading/solutions.py: not part of the package (pytest's pythonpath has its folder)
import torch
from helpers import SRC_VOCAB, TGT_VOCAB, TOY_PAIRS, one_cpu_thread  # noqa: F401 (fixture)
from make_assignments import reference
from torch import nn

from bahdanau import Seq2SeqAttentionDecoder, Seq2SeqEncoder, exercises
from bahdanau.decoding import focus_row
from bahdanau.exercises import Feedback, problems
from bahdanau.interfaces import DecoderStep

ROOT = Path(__file__).resolve().parents[1]

# Each checker with its reference answer, as the instructor notebook assigns it: the exercises'
# records name the checkers, make_assignments.REFERENCES the solution that answers each.
REFERENCE_ANSWERS = {answer.checker: reference(answer).value()
                     for exercise in exercises.EXERCISES for answer in exercise.answers}


class UnpackedBidirectionalEncoder(nn.Module):
    """The tempting wrong answer: nn.GRU(bidirectional=True) run over the padding."""

    def __init__(self, vocab_size, embed_size, num_hiddens):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, batch_first=True, bidirectional=True)

    def forward(self, X, valid_lens):
        outputs, final = self.rnn(self.embedding(X))
        return outputs, final[1:]


class ForwardTwiceEncoder(UnpackedBidirectionalEncoder):
    """Two forward halves: the "backward" half reads the sentence left to right."""

    def forward(self, X, valid_lens):
        outputs, final = self.rnn(self.embedding(X))
        forward_half = outputs[..., : outputs.shape[-1] // 2]
        return torch.cat((forward_half, forward_half), dim=-1), final[:1]


class OneWayEncoder(Seq2SeqEncoder):
    """The package's unidirectional encoder, with the constructor the exercise asks for."""

    def __init__(self, vocab_size, embed_size, num_hiddens):
        super().__init__(vocab_size, embed_size, num_hiddens, num_layers=1)


def additive_weights_without_tanh(queries, keys, valid_lens, W_q, W_k, w_v):
    scores = ((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v
    return torch.softmax(scores.masked_fill(torch.arange(keys.shape[1]) >= valid_lens[:, None, None], -1e9), -1)


def masked_weights_without_normalising(queries, keys, valid_lens, W_q, W_k, w_v):
    scores = torch.tanh((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v
    real = torch.arange(keys.shape[1]) < valid_lens[:, None, None]
    return scores.exp() * real  # forgot to divide by the sum


class ScaledDotProductAttention(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries / math.sqrt(queries.shape[-1]), keys=keys, values=values,
                               valid_lens=valid_lens)


class StoresTheWeights(solutions.DotProductAttention):
    """The interface the notebook's text describes: forward returns the context, the weights are stored."""

    def forward(self, *, queries, keys, values, valid_lens=None):
        context, self.attention_weights = super().forward(queries=queries, keys=keys, values=values,
                                                          valid_lens=valid_lens)
        return context


class ScaledAndStored(ScaledDotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        context, self.attention_weights = super().forward(queries=queries, keys=keys, values=values,
                                                          valid_lens=valid_lens)
        return context


class ForgetsToStoreTheWeights(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)[0]


class IgnoresTheMask(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=None)


class ReturnsTheWeights(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)[1]


class ReturnsTheWeightsFirst(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        context, weights = super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
        return weights, context


class LSTMWithFrozenRNN(solutions.LSTMAttentionDecoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rnn.requires_grad_(False)


class LSTMWithDetachedOutput(solutions.LSTMAttentionDecoder):
    """Stops the gradient between the dense layer and the LSTM (only the dense layer learns)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dense.register_forward_pre_hook(lambda module, inputs: tuple(x.detach() for x in inputs))


def raises(*args):
    raise ValueError("not implemented")


# The rows the batch exercise asks for, as the package builds them (the wrong answers alter them).
BATCH_ROWS = list(solutions.batch_targets())


def masked_sum(logits, targets, pad):
    """The cross-entropy summed over the real targets, not averaged."""
    return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad, reduction="sum")


def sentence_means(logits, targets, pad):
    """The mean of each sentence's mean: a token of a short sentence weighs more."""
    each = nn.functional.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
    real = targets != pad
    return ((each * real).sum(1) / real.sum(1)).mean()


def loss_from_softmax_times_mask(logits, targets, pad):
    """log(softmax) then a product with the mask: right on tame logits, nan once a padded one is extreme."""
    log_probs = logits.softmax(-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1).log()  # (B, T)
    real = (targets != pad).float()
    return -(log_probs * real).sum() / real.sum()


def first_writer(translator, sentence, french, position, steps):
    """The first of ``steps`` that writes ``french`` with all of its weight on source ``position``."""
    row = focus_row(len(translator.translate(sentence).src_tokens), position)
    return next((step for step in steps if french in translator.translate(sentence, override={step: row}).tokens),
                None)


def steps_from_one(translator, sentence, word, french):
    """The reference's step, counted from 1."""
    step = solutions.first_step_that_writes(translator, sentence, word, french)
    return None if step is None else step + 1


def without_the_eos_row(translator, sentence, word, french):
    """Tries the rows of the French words only."""
    plain = translator.translate(sentence)
    return first_writer(translator, sentence, french, plain.src_tokens.index(word), range(len(plain.tokens)))


def onto_the_last_occurrence(translator, sentence, word, french):
    plain = translator.translate(sentence)
    position = len(plain.src_tokens) - 1 - plain.src_tokens[::-1].index(word)
    return first_writer(translator, sentence, french, position, range(len(plain.attention)))


def the_last_step_that_writes(translator, sentence, word, french):
    plain = translator.translate(sentence)
    found = [first_writer(translator, sentence, french, plain.src_tokens.index(word), [step])
             for step in range(len(plain.attention))]
    return max((step for step in found if step is not None), default=None)


def a_row_without_eos(translator, sentence, word, french):
    """One weight per English word: the <eos> column is missing, and translate says so."""
    words = sentence.split()
    for step in range(len(words) + 1):
        if french in translator.translate(sentence, override={step: focus_row(len(words), words.index(word))}).tokens:
            return step
    return None


def the_steered_translation(translator, sentence, word, french):
    step = solutions.first_step_that_writes(translator, sentence, word, french)
    plain = translator.translate(sentence)
    row = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))
    return translator.translate(sentence, override={step or 0: row})


def none_for_a_missing_word(translator, sentence, word, french):
    if word not in sentence.split():
        return None
    return solutions.first_step_that_writes(translator, sentence, word, french)


def key_error_for_a_missing_word(translator, sentence, word, french):
    if word not in sentence.split():
        raise KeyError(word)
    return solutions.first_step_that_writes(translator, sentence, word, french)


# Each checker with wrong answers and a piece of the message each must get.
WRONG_ANSWERS = {
    "check_encoder_shapes": [(((7, 4, 16), (2, 4, 16)), "time-first"), (((4, 7, 16), (4, 2, 16)), "layers first")],
    "check_parameter_count": [(2048 - 96, "forgot the biases"), (1248, "embedding"), (2048.5, "is not it")],
    "check_bidirectional_encoder": [
        (UnpackedBidirectionalEncoder, "changing the padding of sentence 1"),
        (ForwardTwiceEncoder, "backward half (features 6..11) at position 3 changed"),
        (OneWayEncoder, "annotations should have shape (B, S, 2H)"),
        (Seq2SeqEncoder, "raised TypeError: Seq2SeqEncoder.__init__() missing 1 required positional argument"),
    ],
    "check_attention_weight": [(0.443, "raw score"), (0.6532, "masked (padded) key 3"), (0.131, "key 2"),
                               (1.5, "between 0 and 1")],
    "check_additive_weights": [
        (lambda q, k, v, W_q, W_k, w_v: torch.softmax(torch.tanh((q @ W_q.T).unsqueeze(2) + (k @ W_k.T).unsqueeze(1))
                                                      @ w_v, dim=-1), "padded position"),
        (masked_weights_without_normalising, "must sum to 1; yours sum to"),
        (additive_weights_without_tanh, "without the tanh"),
        (lambda *args: torch.ones(3).view(5), "raised RuntimeError"),
        (lambda *args: [0.5, 0.5], "returned a list"),
    ],
    "check_dot_product_attention": [
        (lambda: None, "expected an nn.Module"),
        (ReturnsTheWeights, "forward returned the weights (B, Q, K)"),
        (ForgetsToStoreTheWeights, "set self.attention_weights to the weights"),
        (IgnoresTheMask, "padded position"),
        (ReturnsTheWeightsFirst, "the context should have the values' size"),
        (nn.Identity(), "raised TypeError: Identity.forward() got an unexpected keyword argument"),
    ],
    "check_decoder_shapes": [(((3, 5, 40), (3, 6, 5), (2, 3, 32)), "(B, T, S)"), (((3, 5, 30), (3, 5, 6), (2, 3, 32)),
                                                                                  "target vocabulary")],
    "check_fixed_decoder": [(exercises.BuggyAttentionDecoder, "padded position")],
    "check_lstm_decoder": [(Seq2SeqAttentionDecoder, "no nn.LSTM"), (exercises.BuggyAttentionDecoder, "no nn.LSTM"),
                           (LSTMWithFrozenRNN, "no gradient reaches your LSTM"),
                           (LSTMWithDetachedOutput, "no gradient reaches your LSTM")],
    "check_batch_targets": [
        (BATCH_ROWS[::-1], "the two rows are swapped"),
        ((BATCH_ROWS[0][:5], BATCH_ROWS[1][:5]), "tgt_in has 5 tokens"),
        ((BATCH_ROWS[0][:5] + ["<eos>"] + BATCH_ROWS[0][6:], BATCH_ROWS[1]), "never reads <eos>"),
        ((BATCH_ROWS[0], ["<bos>"] + BATCH_ROWS[1][1:]), "never predicts <bos>"),
        ((BATCH_ROWS[0], BATCH_ROWS[1][:3] + ["<pad>"] + BATCH_ROWS[1][4:]), "position 3 of tgt_out"),
        ((BATCH_ROWS[0], BATCH_ROWS[1][:4] + ["<pad>"] * 4), "padding comes only after"),
        (("<bos> le chat dort .", 5), "each row should be a list of tokens"),
        ((BATCH_ROWS[0],), "give two rows"),
    ],
    "check_masked_loss": [
        (lambda logits, targets, pad: nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()),
         "the padded positions count in your loss"),
        (lambda logits, targets, pad: masked_sum(logits, targets, pad) / targets.numel(),
         "you divided by all B x T positions"),
        (masked_sum, "you summed over the real targets"),
        (sentence_means, "you averaged each sentence, then the sentences"),
        (lambda logits, targets, pad: nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(),
                                                                 ignore_index=0),
         "you ignored the targets equal to 0, not those equal to pad"),
        (loss_from_softmax_times_mask, "changing the logits at padded positions"),
        (lambda logits, targets, pad: float(solutions.masked_cross_entropy(logits, targets, pad)),
         "returned a float"),
        (lambda logits, targets, pad: solutions.masked_cross_entropy(logits.detach(), targets, pad),
         "no gradient reaches the logits"),
        (lambda logits, targets, pad: nn.functional.cross_entropy(logits.transpose(1, 2), targets,
                                                                 reduction="none"), "reduce it to one number"),
    ],
    "check_bleu_by_hand": [(0.8409, "brevity penalty"), (43.17, "wrong scale"), ("0.43", "expected a number"),
                           (0.5 ** 0.5 * math.exp(1 - 5 / 3), "raised to (1/2)^n"),
                           (0.5 ** 0.25 * math.exp(1 - 3 / 5), "not the other way round")],
    "check_length_normalised_score": [
        (lambda log_p, length, alpha: log_p * length**alpha, "divide by len ** alpha"),
        (lambda log_p, length, alpha: log_p / length, "at alpha = 0 the score is the plain log-probability"),
        (lambda log_p, length, alpha: log_p / length**alpha if alpha == 0 else log_p / length, "alpha is missing"),
        (lambda log_p, length, alpha: -log_p / length**alpha if alpha else log_p, "the sign is wrong"),
        (raises, "raised ValueError: not implemented"),
    ],
    "check_beam_winner": [
        (("A", "A"), "not at alpha = 0.75"),
        (("B", "B"), "not at alpha = 0.0"),
        (("C",), "give one of"),
    ],
    "check_attention_entropy": [
        (lambda w: -(w * w.log()).sum(-1), "0 * log 0 must count as 0"),
        (lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(2), "log base 2"),
        (lambda w: -torch.special.xlogy(w, w).sum(0), "one entropy per row"),
        (lambda w: -torch.special.xlogy(w, w).sum(-1) / math.log(10), "log base 10"),
        (lambda w: torch.special.xlogy(w, w).sum(-1), "the sign is wrong"),
    ],
    "check_aer_by_hand": [(1 - 10 / 17, "not |A| + |P|"), (1 - 8 / 14, "sure links only"),
                          (1 - 12 / 17, "every possible link as sure"), (10 / 14, "that is 1 - AER"),
                          (100 * (1 - 10 / 14), "wrong scale"), (0.5, "is not it"), (1.5, "cannot be an AER"),
                          ("0.29", "expected a number")],
    # "white" is the word the French *chat* does not translate; "car" a lighter column.
    "check_read_alignment": [("car", "look along row 6"), ("dog", "is not a column"), (4, "got a int")],
    "check_read_total_attention": [("car", "add up each column's cells"), ("sold car", "is not a column")],
    "check_read_certainty": [(1, "another row holds a darker cell"), (0, "rows 1 to"), ("2", "got a str"),
                             (True, "not one of them")],
    "check_read_failure": [("green", "add up each column's cells"), ("vert", "is not a column")],
    "check_steered_word": [
        (steps_from_one, "the step before 3 already writes 'vert'"),
        (without_the_eos_row, "the <eos> row, the heatmap's last row"),
        (onto_the_last_occurrence, "occurs more than once: steer onto the first"),
        (the_last_step_that_writes, "already writes 'vert' when steered: return the first"),
        (a_row_without_eos, "has 5 weights, but the source has 6 tokens (its words, then <eos>)"),
        (the_steered_translation, "not the steered translation"),
        (lambda translator, sentence, word, french: 0, "gives 'le thé me plaît .', which has no 'vert'"),
        (lambda translator, sentence, word, french: None, "yet steering a step onto 'green' does write 'vert'"),
        (lambda translator, sentence, word, french: 2.0, "not a float"),
        (lambda translator, sentence, word, french: [2, 3], "not a collection of steps"),
        (none_for_a_missing_word, "rather than return None"),
        (key_error_for_a_missing_word, "not KeyError"),
    ],
    # "has" is the word the French *a* translates; d2l's model looks one word later.
    "check_read_one_word_late": [("has", "look along row 2"), ("cheveux", "is not a column"), (2, "got a int")],
}


def displayed(feedback: Feedback) -> list[str]:
    """What a notebook cell shows: ``print(feedback)``, and the feedback as the cell's last value."""
    pretty = []
    feedback._repr_pretty_(SimpleNamespace(text=pretty.append), cycle=False)
    return [str(feedback), repr(feedback), "".join(pretty)]


def assert_fits_the_books_code_column(feedback: Feedback) -> None:
    """The rendered book's code column holds 78 characters."""
    for text in displayed(feedback):
        long_lines = [line for line in text.splitlines() if len(line) > 78]
        assert not long_lines, f"lines over 78 characters: {long_lines}"
        # Wrapping only breaks lines: the words and their order are the message's.
        assert text.split() == f"{str(feedback).split(':')[0]}: {feedback.message}".split()


def test_every_checker_has_answers_to_test():
    assert set(REFERENCE_ANSWERS) == set(exercises.CHECKERS) == set(WRONG_ANSWERS)
    public = {name for name in exercises.__all__ if name.startswith("check_")}
    assert public == set(exercises.CHECKERS), "a check_* function is not listed in EXERCISES"


def test_each_exercise_is_one_complete_record():
    """Label, title, points and checkers once per exercise; the names grading uses follow from them."""
    records = exercises.EXERCISES
    for field in ("label", "title", "name"):
        values = [getattr(exercise, field) for exercise in records]
        assert len(set(values)) == len(values), f"two exercises share a {field}: {values}"
    variables = [variable for exercise in records for variable in exercise.variables]
    assert len(set(variables)) == len(variables), variables
    checks = [answer.check for exercise in records for answer in exercise.answers]
    assert len(set(checks)) == len(checks), "a checker answers two exercises"
    assert exercises.CHAPTERS == tuple(dict.fromkeys(exercise.chapter for exercise in records))
    for exercise in records:
        assert exercise.label.startswith("ex-") and re.fullmatch(r"[a-z][a-z0-9_]*", exercise.name), exercise
        assert isinstance(exercise.points, int) and exercise.points > 0, exercise.label
        first, *others = exercise.answers
        assert first.part == "" and all(re.fullmatch(r"[a-z]+", a.part) for a in others), exercise.label
        assert exercise.variables[0] == f"answer_{exercise.name}", exercise.label
        for answer in exercise.answers:
            # The object itself, as the notebook's cell calls it: exercises.<checker>(answer).
            assert getattr(exercises, answer.checker) is answer.check, answer.checker


def test_the_length_normalisation_record_names_its_second_answer():
    (record,) = [exercise for exercise in exercises.EXERCISES if exercise.label == "ex-length-normalisation"]
    assert record.name == "length_normalisation"
    assert record.checkers == ("check_length_normalised_score", "check_beam_winner")
    assert record.variables == ("answer_length_normalisation", "answer_length_normalisation_winners")


@pytest.mark.parametrize("name", sorted(REFERENCE_ANSWERS))
def test_reference_solution_passes(name):
    feedback = getattr(exercises, name)(REFERENCE_ANSWERS[name])
    assert isinstance(feedback, Feedback)
    assert feedback.passed, str(feedback)
    assert str(feedback).startswith("Correct: ")
    assert_fits_the_books_code_column(feedback)


@pytest.mark.parametrize("name,answer,expected", [(n, a, e) for n, cases in WRONG_ANSWERS.items() for a, e in cases])
def test_wrong_answer_is_rejected_with_a_specific_message(name, answer, expected):
    feedback = getattr(exercises, name)(answer)
    assert not feedback.passed and feedback.answered
    assert expected in feedback.message, feedback.message
    assert "Traceback" not in str(feedback)
    assert_fits_the_books_code_column(feedback)


@pytest.mark.parametrize("name", sorted(REFERENCE_ANSWERS))
def test_none_asks_for_an_answer(name):
    feedback = getattr(exercises, name)(None)
    assert not feedback.passed and not feedback.answered
    assert str(feedback).startswith("Not answered yet: replace None with ")
    assert_fits_the_books_code_column(feedback)


def test_feedback_displays_as_one_line_of_text():
    feedback = Feedback(False, "the shape of logits is not (1, 2).")
    assert str(feedback) == repr(feedback) == "Not yet: the shape of logits is not (1, 2)."
    printed = []
    feedback._repr_pretty_(SimpleNamespace(text=printed.append), cycle=False)
    assert printed == [str(feedback)]
    assert str(Feedback(True, "ok")) == "Correct: ok"


def test_long_feedback_is_wrapped_to_the_books_code_column():
    message = ("the context should have the values' size, (B, Q, D_v) = (2, 3, 4), got (2, 3, 5); "
               "look at which tensor the second bmm multiplies the weights with, e.g. values.") * 2
    feedback = Feedback(False, message)
    lines = str(feedback).splitlines()
    assert len(lines) > 1 and lines[0].startswith("Not yet: the context should")
    assert all(line.startswith("    ") and not line.startswith("     ") for line in lines[1:])
    assert_fits_the_books_code_column(feedback)
    # Shapes are never split across lines.
    for shape in ("(B, Q, D_v)", "(2, 3, 4)", "(2, 3, 5)"):
        assert str(feedback).count(shape) == 2
    assert feedback.message == message  # the attribute stays one string
    unanswered = Feedback(False, message, answered=False)
    assert str(unanswered).startswith("Not answered yet: the context")
    assert_fits_the_books_code_column(unanswered)


def test_checkers_are_deterministic_and_leave_the_learners_random_state_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = exercises.check_fixed_decoder(exercises.BuggyAttentionDecoder)
    assert torch.equal(torch.rand(3), expected_next)
    assert exercises.check_fixed_decoder(exercises.BuggyAttentionDecoder) == first


def test_the_padding_bug_reports_the_weight_on_padding():
    message = exercises.check_fixed_decoder(exercises.BuggyAttentionDecoder).message
    assert re.fullmatch(r"padded position [5-8] of sentence 0 received weight 0\.\d\d \(at query/step \d\)\.", message)


def test_buggy_decoder_is_right_without_padding():
    """The bug is only the mask: on a batch without padding it computes what the real decoder does."""
    torch.manual_seed(0)
    encoder = Seq2SeqEncoder(20, 8, 16, 1)
    buggy = exercises.BuggyAttentionDecoder(12, 8, 16, 1)
    fixed = Seq2SeqAttentionDecoder(12, 8, 16, 1)
    fixed.load_state_dict(buggy.state_dict())
    src, tgt = torch.randint(3, 20, (2, 6)), torch.randint(3, 12, (2, 4))
    full = torch.tensor([6, 6])
    enc_all = encoder(src, full)
    torch.testing.assert_close(
        buggy(tgt, buggy.init_state(enc_all, full))[0], fixed(tgt, fixed.init_state(enc_all, full))[0]
    )


def test_reference_numbers_agree_with_the_package():
    p = problems.PARAMETER_COUNT
    encoder = Seq2SeqEncoder(p["vocab_size"], p["embed_size"], p["num_hiddens"], p["num_layers"])
    assert solutions.parameter_count() == sum(parameter.numel() for parameter in encoder.parameters()) == 2048
    assert solutions.encoder_shapes() == ((4, 7, 16), (2, 4, 16))
    assert solutions.decoder_shapes() == ((3, 5, 40), (3, 5, 6), (2, 3, 32))
    assert solutions.beam_winners() == ("A", "B")
    assert solutions.attention_weight_by_hand() == pytest.approx(0.869, abs=1e-3)


def test_dot_product_attention_scores_are_plain_dot_products():
    attention = solutions.DotProductAttention()
    queries, keys = torch.tensor([[[1.0, 0.0]]]), torch.tensor([[[2.0, 0.0], [0.0, 5.0], [9.0, 9.0]]])
    context, returned_weights = attention(queries=queries, keys=keys, values=keys, valid_lens=torch.tensor([2]))
    weights = torch.softmax(torch.tensor([2.0, 0.0]), dim=0)
    torch.testing.assert_close(returned_weights[0, 0], torch.cat((weights, torch.zeros(1))))
    torch.testing.assert_close(context[0, 0], weights @ keys[0, :2])


def test_compare_scoring_trains_one_model_per_scorer():
    corpus = SimpleNamespace(train=TOY_PAIRS, test=TOY_PAIRS, src_vocab=SRC_VOCAB, tgt_vocab=TGT_VOCAB)
    results = exercises.compare_scoring({"additive": None, "dot": solutions.DotProductAttention()}, corpus,
                                        num_hiddens=32, epochs=40, batch_size=8, lr=0.02)
    assert [result.scoring for result in results] == ["additive", "dot"]
    for result in results:
        assert result.seconds_per_epoch > 0
        # 40 epochs on 8 pairs: both scorers learn the toy corpus, most of it by heart.
        assert 30 < result.bleu < 100 + 1e-9, str(result)
        assert re.fullmatch(r"\s*\w+: +[\d.]+ s per epoch, BLEU +[\d.]+", str(result))


def test_decoder_with_attention_takes_a_module_that_stores_its_weights():
    """compare_scoring's decoder accepts both interfaces: (context, weights), or context and attention_weights."""
    for attention in (solutions.DotProductAttention(), StoresTheWeights()):
        torch.manual_seed(0)
        decoder = exercises.decoder_with_attention(attention, 12, 8, 16)
        encoder = Seq2SeqEncoder(20, 8, 16, 1)
        src, tgt = torch.randint(3, 20, (2, 6)), torch.randint(3, 12, (2, 4))
        valid_lens = torch.tensor([6, 3])
        logits, _ = decoder(tgt, decoder.init_state(encoder(src, valid_lens), valid_lens))
        assert logits.shape == (2, 4, 12) and decoder.attention_weights.shape == (2, 4, 6)
        assert float(decoder.attention_weights[1, :, 3:].detach().abs().max()) == 0.0


def test_decoder_with_attention_steps_as_its_forward_runs():
    """Decoding (compare_scoring's translate) calls step(y_prev, state); forward is the loop over it."""
    for attention in (solutions.DotProductAttention(), StoresTheWeights()):
        torch.manual_seed(0)
        decoder = exercises.decoder_with_attention(attention, 12, 8, 16).eval()
        encoder = Seq2SeqEncoder(20, 8, 16, 1).eval()
        src, tgt = torch.randint(3, 20, (2, 6)), torch.randint(3, 12, (2, 4))
        src_valid_len = torch.tensor([6, 3])
        with torch.no_grad():
            state = decoder.init_state(encoder(src, src_valid_len), src_valid_len)
            logits, _ = decoder(tgt, state)
            for t, y_prev in enumerate(tgt.unbind(dim=1)):
                step = decoder.step(y_prev, state)
                assert isinstance(step, DecoderStep) and step.scores is None
                torch.testing.assert_close(step.logits, logits[:, t])  # (B, V)
                torch.testing.assert_close(step.weights, decoder.attention_weights[:, t])  # (B, S)
                torch.testing.assert_close(step.query, state.hidden_state[-1])  # s_{i-1}: (B, H)
                assert step.context.shape == (2, 16)
                state = step.state
        assert torch.equal(state.src_valid_len, src_valid_len)
        assert torch.equal(state.select(torch.tensor([1])).src_valid_len, src_valid_len[1:])


# ---------------------------------------------------------------------------------------------
# Seeds, every correct answer, and feedback that never gives the answer away
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("name", sorted(REFERENCE_ANSWERS))
def test_reference_solution_passes_at_other_seeds(name, seed):
    feedback = getattr(exercises, name)(REFERENCE_ANSWERS[name], seed=seed)
    assert feedback.passed, f"seed {seed}: {feedback}"
    assert_fits_the_books_code_column(feedback)


@pytest.mark.parametrize("name", ["check_lstm_decoder", "check_bidirectional_encoder", "check_dot_product_attention",
                                  "check_masked_loss"])
def test_checkers_work_with_gradients_turned_off(name):
    """Chapter 2's notebook calls torch.set_grad_enabled(False) for the whole kernel."""
    previous = torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    try:
        feedback = getattr(exercises, name)(REFERENCE_ANSWERS[name])
        assert not torch.is_grad_enabled(), "the checker must leave the notebook's setting alone"
    finally:
        torch.set_grad_enabled(previous)
    assert feedback.passed, str(feedback)


def recording(function, calls: list):
    """``function``, keeping the arguments of every call in ``calls``."""

    @functools.wraps(function)
    def wrapper(*args):
        calls.append([a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        return function(*args)

    return wrapper


def test_other_seeds_mean_other_random_inputs_and_sizes():
    shapes, first_values = set(), set()
    for seed in range(5):
        calls = []
        assert exercises.check_additive_weights(recording(solutions.additive_attention_weights, calls),
                                                seed=seed).passed
        queries = calls[0][0]
        shapes.add(tuple(queries.shape))
        first_values.add(float(queries.flatten()[0]))
    assert len(shapes) >= 3 and len(first_values) == 5
    calls_default, calls_zero = [], []
    exercises.check_additive_weights(recording(solutions.additive_attention_weights, calls_default))
    exercises.check_additive_weights(recording(solutions.additive_attention_weights, calls_zero), seed=0)
    assert all(torch.equal(a, b) for a, b in zip(calls_default[0], calls_zero[0]))


@pytest.mark.parametrize("answer,recognised", [
    (solutions.DotProductAttention(), "Luong's unscaled dot score"),
    (ScaledDotProductAttention(), "the scaled dot product s^T h_j / sqrt(d)"),
    (StoresTheWeights(), "Luong's unscaled dot score"),
    (ScaledAndStored(), "the scaled dot product"),
    (StoresTheWeights, "Luong's unscaled dot score"),
], ids=["returns-unscaled", "returns-scaled", "stores-unscaled", "stores-scaled", "class"])
def test_dot_product_checker_accepts_both_scalings_and_both_interfaces(answer, recognised):
    for seed in (0, 1, 2):
        feedback = exercises.check_dot_product_attention(answer, seed=seed)
        assert feedback.passed, str(feedback)
        assert feedback.message.startswith(recognised), feedback.message


class XavierLSTMAttentionDecoder(solutions.LSTMAttentionDecoder):
    """The reference decoder with another initialisation: Xavier matrices, zero biases."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for parameter in self.parameters():
            nn.init.xavier_uniform_(parameter) if parameter.dim() > 1 else nn.init.zeros_(parameter)


@pytest.mark.parametrize("factory,seed", [
    (functools.partial(solutions.LSTMAttentionDecoder, dropout=0.2), 1),
    (functools.partial(solutions.LSTMAttentionDecoder, dropout=0.2), 3),
    (functools.partial(solutions.LSTMAttentionDecoder, dropout=0.5), 2),
    (XavierLSTMAttentionDecoder, 0),
    (XavierLSTMAttentionDecoder, 4),
    (functools.partial(XavierLSTMAttentionDecoder, dropout=0.2), 2),
], ids=["dropout-0.2-seed-1", "dropout-0.2-seed-3", "dropout-0.5-seed-2", "xavier-seed-0", "xavier-seed-4",
        "xavier-dropout-0.2-seed-2"])
def test_lstm_checker_is_robust_to_dropout_and_initialisation(factory, seed):
    feedback = exercises.check_lstm_decoder(factory, seed=seed)
    assert feedback.passed, str(feedback)
    before, after = map(float, re.search(r"loss ([\d.]+) -> ([\d.]+)", feedback.message).groups())
    assert after < before / 4, "the reference should pass with a wide margin"


def reading_cases():
    """(checker, problem, the answer, every other answer, the value that wins), for the reading exercises."""
    cases = []
    for name, key, right in [("check_read_alignment", "alignment", solutions.read_alignment()),
                             ("check_read_total_attention", "total", solutions.read_total_attention()),
                             ("check_read_failure", "failure", solutions.read_failure()),
                             ("check_read_one_word_late", "late", solutions.read_one_word_late())]:
        problem = problems.READING[key]
        result = exercises.reading_translation(problem["sentence"], problem["model"])
        values = result.attention[problem["row"] - 1] if "row" in problem else result.attention.sum(dim=0)
        others = [token for token in dict.fromkeys(result.src_tokens) if token != right]
        cases.append((name, right, others, float(values.max())))
    return cases


@pytest.mark.parametrize("name,right,others,winning", reading_cases(), ids=lambda x: x if isinstance(x, str)
                         and x.startswith("check_") else "")
def test_a_wrong_token_never_learns_the_answer(name, right, others, winning):
    assert len(others) >= 4
    for token in others:
        message = getattr(exercises, name)(token).message
        for leak in (repr(right), f'"{right}"', f"{winning:.2f}", f"{winning:.3f}"):
            assert leak not in message, f"{token!r}: {message}"


def test_a_wrong_step_never_learns_the_answer():
    right = solutions.read_certainty()
    problem = problems.READING["certainty"]
    attention = exercises.reading_translation(problem["sentence"], problem["model"]).attention
    winning = float(attention.max())
    for step in range(1, attention.shape[0] + 1):
        if step == right:
            continue
        message = exercises.check_read_certainty(step).message
        assert f"{winning:.2f}" not in message and f"row {right}" not in message and f"step {right}" not in message


def number_formats(value: float) -> list[str]:
    return [f"{value:.2f}", f"{value:.3f}", f"{value:.4f}", f"{value:g}", repr(value)]


@pytest.mark.parametrize("name,right,wrong", [
    ("check_parameter_count", solutions.parameter_count(), [1952, 2000, 1248, 800, 2049, 0, 4096, 1024.5, -1]),
    ("check_attention_weight", solutions.attention_weight_by_hand(), [0.443, 0.6532, 0.131, 0.5, 0.95, 1.5, 0, -0.2]),
    ("check_bleu_by_hand", solutions.bleu_by_hand(), [0.8409, 43.17, 0.3, 0.5, 0.6, 0.9, 1.0, 0.0]),
    ("check_aer_by_hand", solutions.aer_by_hand(), [0.4118, 0.4286, 0.2941, 0.7143, 28.57, 0.1, 0.5, 1.0, 0.0]),
])
def test_a_wrong_number_never_learns_the_answer(name, right, wrong):
    leaks = number_formats(float(right)) + ([str(right), f"{right:,}"] if isinstance(right, int) else [])
    for given in wrong:
        message = getattr(exercises, name)(given).message
        assert not [leak for leak in leaks if leak in message], f"{given}: {message}"
        assert "expected" not in message


@pytest.mark.parametrize("wrong", [
    ((4, 7, 8), (2, 4, 16)), ((7, 4, 16), (4, 2, 16)), ((4, 7), (2, 4, 16)), ((4, 7, 16, 1), (1, 2, 3)),
    ((4, 7, 32), (2, 4, 16)), ((4, 7, 16), (2, 4, 8)),
])
def test_a_wrong_shape_never_learns_the_answer(wrong):
    message = exercises.check_encoder_shapes(wrong).message
    for shape in solutions.encoder_shapes():
        assert str(shape) not in message, message


def test_a_wrong_decoder_shape_never_learns_the_answer():
    for wrong in [((3, 5, 40), (3, 6, 5), (2, 3, 32)), ((3, 5, 30), (3, 5, 6), (3, 2, 32)), ((5, 3, 40), (1,), (1,))]:
        message = exercises.check_decoder_shapes(wrong).message
        right = solutions.decoder_shapes()
        assert not [str(shape) for shape, given in zip(right, wrong) if str(shape) in message
                    and shape != tuple(given)], message


def test_wrong_winners_never_learn_the_answer():
    for wrong in [("A", "A"), ("B", "B"), ("B", "A"), ["b", "a"]]:
        feedback = exercises.check_beam_winner(wrong)
        assert not feedback.passed
        assert not re.search(r"\b[AB]\b", feedback.message), feedback.message
    assert exercises.check_beam_winner(["a", "b"]).passed  # case and list forgiven


@pytest.mark.parametrize("wrong", [
    lambda q, k, v, W_q, W_k, w_v: solutions.additive_attention_weights(q, k, v, W_q, W_k, 1.5 * w_v),
    lambda q, k, v, W_q, W_k, w_v: solutions.additive_attention_weights(q, k, v, W_q.flip(0), W_k, w_v),
    lambda q, k, v, W_q, W_k, w_v: solutions.additive_attention_weights(q, k.flip(1), v, W_q, W_k, w_v),
])
def test_wrong_additive_weights_never_learn_the_answer(wrong):
    for seed in (0, 1, 2):
        calls = []
        message = exercises.check_additive_weights(recording(wrong, calls), seed=seed).message
        b, q, k = map(int, re.search(r"key (\d+) for batch (\d+), query (\d+)", message).group(2, 3, 1))
        right = float(solutions.additive_attention_weights(*calls[0])[b, q, k])
        assert not [leak for leak in number_formats(right) if leak in message], message
        assert "expected" not in message


@pytest.mark.parametrize("wrong", [
    lambda log_p, length, alpha: log_p / (length**alpha + 1),
    lambda log_p, length, alpha: log_p / length**(2 * alpha),
    lambda log_p, length, alpha: log_p / length,
    lambda log_p, length, alpha: -log_p / length**alpha,
])
def test_a_wrong_score_never_learns_the_answer(wrong):
    for seed in (0, 1, 2):
        calls = []
        message = exercises.check_length_normalised_score(recording(wrong, calls), seed=seed).message
        right = solutions.length_normalised_score(*calls[-1])
        assert "expected" not in message
        # the call itself names log p, which is the answer at alpha = 0: look after it
        after_the_call = message.split(")", 1)[1]
        assert not [leak for leak in number_formats(right) if leak in after_the_call], message


@pytest.mark.parametrize("wrong", [
    lambda w: 1.1 * solutions.attention_entropy(w),
    lambda w: solutions.attention_entropy(w) + 0.3,
    lambda w: solutions.attention_entropy(w) - 2.0,
    lambda w: -torch.xlogy(w, w)[..., :-1].sum(-1),
])
def test_a_wrong_entropy_never_learns_the_answer(wrong):
    for seed in (0, 1, 2):
        calls = []
        message = exercises.check_attention_entropy(recording(wrong, calls), seed=seed).message
        b, t = map(int, re.search(r"batch (\d+), step (\d+)", message).groups())
        right = float(solutions.attention_entropy(calls[0][0])[b, t])
        assert "expected" not in message and "has entropy" not in message
        assert not [leak for leak in number_formats(right) if leak in message], message


def test_a_negative_entropy_is_named():
    message = exercises.check_attention_entropy(lambda w: solutions.attention_entropy(w) - 2.0).message
    assert "is negative" in message


def test_a_wrong_row_never_learns_the_answer():
    """Whatever token is wrong, the message names its position, never the token that belongs there."""
    for row in (0, 1):
        for position, right in enumerate(BATCH_ROWS[row]):
            for wrong in ("chat", "<pad>", "<eos>", "<bos>", "<unk>"):
                if wrong == right:
                    continue
                rows = [list(BATCH_ROWS[0]), list(BATCH_ROWS[1])]
                rows[row][position] = wrong
                message = exercises.check_batch_targets(tuple(rows)).message
                assert f"position {position} of {('tgt_in', 'tgt_out')[row]}" in message, message
                assert repr(right) not in message and f'"{right}"' not in message, message
                assert "expected" not in message and str(BATCH_ROWS[row]) not in message


def test_the_batch_rows_are_those_the_loader_builds():
    """The checker's rows come from collate_pairs; the solution's, by hand, agree with them."""
    from bahdanau.data import Vocab, collate_pairs

    pairs = [problems.BATCH_TARGETS["pair"], problems.BATCH_TARGETS["longer"]]
    tgt_vocab = Vocab([tgt for _, tgt in pairs])
    batch = collate_pairs(pairs, Vocab([src for src, _ in pairs]), tgt_vocab)
    assert [tgt_vocab.decode(batch.tgt_in[0]), tgt_vocab.decode(batch.tgt_out[0])] == BATCH_ROWS
    assert batch.tgt_in.shape[1] == len(problems.BATCH_TARGETS["longer"][1]) + 1 > len(pairs[0][1]) + 1
    # A string of tokens separated by spaces is forgiven.
    assert exercises.check_batch_targets(tuple(" ".join(row) for row in BATCH_ROWS)).passed


@pytest.mark.parametrize("wrong", [
    lambda logits, targets, pad: 1.1 * solutions.masked_cross_entropy(logits, targets, pad),
    lambda logits, targets, pad: solutions.masked_cross_entropy(logits, targets, pad) + 0.3,
    lambda logits, targets, pad: solutions.masked_cross_entropy(logits[:, :-1], targets[:, :-1], pad),
    lambda logits, targets, pad: nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten()),
    masked_sum,
])
def test_a_wrong_loss_never_learns_the_answer(wrong):
    for seed in (0, 1, 2):
        calls = []
        message = exercises.check_masked_loss(recording(wrong, calls), seed=seed).message
        right = float(solutions.masked_cross_entropy(*calls[-1]))
        assert "expected" not in message
        assert not [leak for leak in number_formats(right) if leak in message], message


def test_the_masked_loss_checker_draws_other_pads_and_sizes_at_other_seeds():
    shapes, pads = set(), set()
    for seed in range(4):
        calls = []
        assert exercises.check_masked_loss(recording(solutions.masked_cross_entropy, calls), seed=seed).passed
        shapes |= {tuple(call[0].shape) for call in calls}
        pads |= {call[2] for call in calls}
    assert len(shapes) >= 6 and len(pads) >= 3


def test_the_aer_is_the_packages_when_every_possible_link_is_sure():
    """The exercise's AER (Och and Ney's, with possible links) is bahdanau.alignment's when P = S."""
    from bahdanau.alignment import alignment_error_rate

    def och_ney(A, S, P):
        return 1 - (len(A & S) + len(A & P)) / (len(A) + len(S))

    p = problems.AER_BY_HAND
    A, S, P = set(p["predicted"]), set(p["sure"]), set(p["possible"])
    assert S <= P and len(A) == len(p["french"]) == len({f for _, f in A})  # one link per French token
    assert all(e < len(p["english"]) and f < len(p["french"]) for e, f in P | A)
    assert och_ney(A, S, P) == pytest.approx(solutions.aer_by_hand())
    assert och_ney(A, S, S) == pytest.approx(alignment_error_rate(A, S))
    rng = torch.Generator().manual_seed(0)
    for _ in range(20):
        links = {(int(e), int(f)) for e, f in torch.randint(0, 5, (12, 2), generator=rng)}
        A, S = set(list(links)[:6]), set(list(links)[3:])
        assert och_ney(A, S, S) == pytest.approx(alignment_error_rate(A, S))


def words(links, p) -> str:
    """Links (English index, French index) as the exercise writes them: 'english–french', in order."""
    return ", ".join(f"{p['english'][e]}–{p['french'][f]}" for e, f in sorted(links, key=lambda link: link[::-1]))


def exercise_text(label: str) -> str:
    chapter = next(exercise.chapter for exercise in exercises.EXERCISES if exercise.label == label)
    markdown, _ = exercise_section(chapter)
    (text,) = [cell.source for cell in markdown if f":label: {label}\n" in cell.source]
    return " ".join(text.split())


def test_the_aer_exercise_lists_the_problems_links():
    p = problems.AER_BY_HAND
    text = exercise_text("ex-aer-by-hand")
    assert f"*{' '.join(p['english'])}* → *{' '.join(p['french'])}*" in text
    assert f"sure links S: {words(p['sure'], p)}" in text
    assert f"possible links P: those of S, and {words(p['possible'] - p['sure'], p)}" in text
    assert f"predicted links A: {words(p['predicted'], p)}" in text


def test_the_batch_exercise_quotes_the_problems_pairs():
    text = exercise_text("ex-predict-batch")
    for english, french in (problems.BATCH_TARGETS["pair"], problems.BATCH_TARGETS["longer"]):
        assert f"*{' '.join(english)}* → *{' '.join(french)}*" in text


# ---------------------------------------------------------------------------------------------
# The notebooks and the instructors' page
# ---------------------------------------------------------------------------------------------

CHAPTERS = sorted({exercise.chapter for exercise in exercises.EXERCISES})
DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(exercise|solution)\}[ \t]*(.*)$\n((?::[\w-]+:.*\n)*)", re.MULTILINE)


def exercise_section(chapter: str) -> tuple[list, list]:
    """The markdown and code cells after the notebook's '## Exercises' heading."""
    cells = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4).cells
    starts = [i for i, cell in enumerate(cells) if cell.cell_type == "markdown"
              and re.search(r"^## Exercises\s*$", cell.source, re.MULTILINE)]
    assert len(starts) == 1, f"{chapter}: expected one '## Exercises' heading, found {len(starts)}"
    section = cells[starts[0]:]
    return [c for c in section if c.cell_type == "markdown"], [c for c in section if c.cell_type == "code"]


def test_every_chapter_has_exercises():
    assert CHAPTERS == ["01_why_attention", "02_additive_attention", "03_decoder_loop", "04_training",
                        "05_search_and_measuring", "06_papers_model"]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_has_exercises_each_with_a_hidden_solution(chapter):
    markdown, _ = exercise_section(chapter)
    text = "\n".join(cell.source + "\n" for cell in markdown)
    exercise_labels, solutions_of = [], {}
    for _, kind, argument, options in DIRECTIVE.findall(text):
        option = dict(re.findall(r"^:([\w-]+):[ \t]*(.*)$", options, re.MULTILINE))
        if kind == "exercise":
            exercise_labels.append(option.get("label"))
        else:
            solutions_of[argument.strip()] = option.get("class", "")
    assert "solution-start" not in text and "exercise-start" not in text, "the gated form breaks hide_solutions"
    assert len(exercise_labels) >= 3, f"{chapter} has {len(exercise_labels)} exercises; every chapter has at least 3"
    expected = [exercise.label for exercise in exercises.EXERCISES if exercise.chapter == chapter]
    assert exercise_labels == expected
    for label in exercise_labels:
        assert label in solutions_of, f"{label} has no solution"
        assert "dropdown" in solutions_of[label].split(), f"the solution of {label} is not a dropdown"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_calls_each_checker_with_none_stored(chapter):
    _, code = exercise_section(chapter)
    for exercise in (e for e in exercises.EXERCISES if e.chapter == chapter):
        for name in exercise.checkers:
            calls = [cell for cell in code if re.search(rf"\bexercises\.{name}\(", cell.source)]
            assert calls, f"{chapter} never calls exercises.{name}"
            outputs = "".join(
                out.get("data", {}).get("text/plain", "") + out.get("text", "") for out in calls[0].outputs
            )
            assert "Not answered yet: replace None with" in outputs, f"{name}: stored output {outputs!r}"


def test_solution_includes_point_at_real_objects():
    """Each literalinclude of the solutions module names an object that exists there."""
    for chapter in CHAPTERS:
        markdown, _ = exercise_section(chapter)
        for cell in markdown:
            for path, name in re.findall(
                r"\{literalinclude\}\s*(\S+)\n(?::[\w-]+:.*\n)*?:pyobject:\s*(\S+)", cell.source
            ):
                module = ROOT / path.lstrip("/")
                assert module.is_file(), path
                source = module.read_text()
                # "Class.method": the class at the top level, the method indented inside some class.
                *owner, leaf = name.split(".")
                for part in owner:
                    assert re.search(rf"^class {re.escape(part)}\b", source, re.MULTILINE), name
                indent = r"\s+" if owner else ""
                assert re.search(rf"^{indent}(class|def) {re.escape(leaf)}\b", source, re.MULTILINE), name


def test_reading_answers_are_read_off_the_shipped_model():
    """The heatmap exercises' answers come from the weights, and the sentences keep them clear to the eye."""
    alignment = exercises.reading_translation(problems.READING["alignment"]["sentence"], "rnnsearch")
    row = alignment.attention[problems.READING["alignment"]["row"] - 1]  # (S,)
    assert alignment.src_tokens[int(row.argmax())] == solutions.read_alignment() == "blue"
    late = problems.READING["late"]
    late_result = exercises.reading_translation(late["sentence"], late["model"])
    late_row = late_result.attention[late["row"] - 1]  # (S,)
    # d2l's model: the row of the French word for "has" peaks on the next English word.
    assert late_result.src_tokens[int(late_row.argmax())] == solutions.read_one_word_late() == "long"
    for key in ("alignment", "total", "certainty", "failure", "late"):
        problem = problems.READING[key]
        attention = exercises.reading_translation(problem["sentence"], problem["model"]).attention  # (T, S)
        values = {"alignment": row, "total": attention.sum(0), "failure": attention.sum(0),
                  "certainty": attention.max(1).values, "late": late_row}[key]
        first, second = values.topk(2).values.tolist()
        assert first - second >= 0.1, f"{key}: the answer is not clear to the eye ({first:.2f} vs {second:.2f})"


def test_the_steering_problem_is_the_failure_case_steered():
    """The facts the exercise and its solution state: *green* is lost, though the rows of *le* and *thé*
    look at it, and moving a step's weight onto it brings *vert* in from step 2 on."""
    p, failure = problems.STEERING, problems.READING["failure"]
    assert (p["sentence"], p["model"]) == (failure["sentence"], failure["model"])
    translator = exercises.shipped_translator(p["model"])
    plain = translator.translate(p["sentence"])
    green = plain.src_tokens.index(p["word"])
    assert plain.text == "j'aime le thé ." and p["french"] not in plain.tokens
    assert [round(float(plain.attention[step, green]), 2) for step in (1, 2)] == [0.45, 0.43]
    steered = [translator.translate(p["sentence"], override={step: focus_row(len(plain.src_tokens), green)}).text
               for step in range(len(plain.attention))]
    assert steered == ["le thé me plaît .", "j'aime le thé .", "j'aime le vert du thé .", "j'aime le thé vert .",
                       "j'aime le thé ."]
    assert solutions.first_step_that_writes(translator, p["sentence"], p["word"], p["french"]) == 2


def test_each_steering_probe_catches_its_mistake():
    """STEERING_PROBES, as its comment says: the checker's other questions tell the common mistakes apart."""
    translator = exercises.shipped_translator(problems.STEERING["model"])
    (first_word, no_step, eos_row, repeated), absent = problems.STEERING_PROBES.values()
    reference = functools.partial(solutions.first_step_that_writes, translator)
    assert reference(*first_word) == 0  # a function counting from 1 cannot find it
    assert reference(*no_step) is None
    plain = translator.translate(eos_row[0])
    assert plain.finished and reference(*eos_row) == len(plain.tokens)  # the <eos> row, and no row before it
    assert without_the_eos_row(translator, *eos_row) is None
    sentence, word, _ = repeated
    assert translator.translate(sentence).src_tokens.count(word) == 2
    assert onto_the_last_occurrence(translator, *repeated) not in (None, reference(*repeated))
    assert reference(*repeated) is not None
    assert absent[1] not in translator.translate(absent[0]).src_tokens
    with pytest.raises(ValueError):
        reference(*absent)


def steered_with_a_tensor(translator, sentence, word, french):
    """Another correct answer: its own one-hot row (a tensor), a while loop, a NumPy-like step."""
    plain = translator.translate(sentence)
    if word not in plain.src_tokens:
        raise ValueError(f"{word!r} is not in the sentence")
    row = torch.nn.functional.one_hot(torch.tensor(plain.src_tokens.index(word)), len(plain.src_tokens)).float()
    step = 0
    while step < plain.attention.shape[0]:
        if french in translator.translate(sentence, override={step: row}).tokens:
            return torch.tensor(step)
        step += 1
    return None


def test_the_steering_checker_accepts_another_correct_function():
    feedback = exercises.check_steered_word(steered_with_a_tensor)
    assert feedback.passed, str(feedback)
    assert "step 2 is the first to write 'vert'" in feedback.message


def test_a_wrong_steering_step_is_verified_not_compared():
    """The checker steers what it is given: its messages quote the steered translation, never a stored step."""
    # Step 1 writes *le*, and looks at *green* the most: steered fully onto it, it still writes *le*.
    message = exercises.check_steered_word(lambda translator, sentence, word, french: 1).message
    assert message.endswith("step 1, steered onto 'green', gives \"j'aime le thé .\", which has no 'vert'.")
    message = exercises.check_steered_word(lambda translator, sentence, word, french: 7).message
    assert "step 7 is no step of the translation: they run from 0" in message
    assert "step 2" not in message


def test_instructors_page_tables_every_checker():
    page = (ROOT / "book" / "instructors.md").read_text()
    rows = [line for line in page.splitlines() if line.startswith("|")]
    listed = set(re.findall(r"`(check_\w+)`", "\n".join(rows)))
    assert listed == set(exercises.CHECKERS), (
        f"missing: {set(exercises.CHECKERS) - listed}, unknown: {listed - set(exercises.CHECKERS)}"
    )
    for exercise in exercises.EXERCISES:
        assert any(exercise.title in row for row in rows), f"{exercise.title!r} is not in the table"


def _defined_in_solutions():
    return [
        obj for _, obj in inspect.getmembers(solutions, lambda m: inspect.isfunction(m) or inspect.isclass(m))
        if obj.__module__ == solutions.__name__
    ]


@pytest.mark.parametrize("obj", _defined_in_solutions(), ids=lambda obj: obj.__qualname__)
def test_solution_source_fits_the_books_code_column(obj):
    """The solution dropdowns literalinclude these; the book's code column holds 78 characters."""
    long_lines = [line for line in inspect.getsource(obj).splitlines() if len(line) > 78]
    assert not long_lines, f"{obj.__qualname__}: lines over 78 characters: {long_lines}"


def test_every_solution_is_checked_for_line_length():
    names = {obj.__name__ for obj in _defined_in_solutions()}
    assert {"LSTMState", "LSTMAttentionDecoder", "read_failure", "DotProductAttention"} <= names
    long_lines = [n for n, line in enumerate(Path(solutions.__file__).read_text().splitlines(), 1) if len(line) > 78]
    assert not long_lines, f"solutions.py: lines over 78 characters: {long_lines}"


# ---------------------------------------------------------------------------------------------
# The package every student installs holds no solution and no answer
# ---------------------------------------------------------------------------------------------

PACKAGE = ROOT / "src" / "bahdanau"


def solution_code_lines() -> set[str]:
    """The non-trivial lines of book/grading/solutions.py: stripped, >= 25 characters, no comment,
    no docstring, no import."""
    import ast

    text = Path(solutions.__file__).read_text()
    docstrings = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None:
            docstrings.update(range(node.body[0].lineno, node.body[0].end_lineno + 1))
    lines = {line.strip() for number, line in enumerate(text.splitlines(), 1) if number not in docstrings}
    return {line for line in lines if len(line) >= 25 and not line.startswith(("#", "from ", "import "))}


def test_the_package_has_no_solutions_module():
    assert not hasattr(exercises, "solutions") and "solutions" not in exercises.__all__
    assert not (PACKAGE / "exercises" / "solutions.py").exists()
    with pytest.raises(ModuleNotFoundError):
        __import__("bahdanau.exercises.solutions")
    for path in (PACKAGE / "exercises").glob("*.py"):
        assert not re.search(r"^\s*(from|import)\s.*solutions", path.read_text(), re.MULTILINE), path.name


def test_no_solution_line_is_in_the_exercises_package():
    """The checkers compute their answers their own way. (A line that the package's other modules
    also hold, such as the decoder's own init_state line in BuggyAttentionDecoder, is the package's
    code, not a solution.)"""
    others = "\n".join(path.read_text() for path in PACKAGE.glob("*.py"))
    for path in (PACKAGE / "exercises").glob("*.py"):
        text = path.read_text()
        copied = [line for line in solution_code_lines() if line in text and line not in others]
        assert not copied, f"{path.name} holds lines of the solutions: {copied}"


def test_no_answer_is_written_in_the_exercises_package():
    text = "\n".join(path.read_text() for path in (PACKAGE / "exercises").glob("*.py"))
    count, weight, score = solutions.parameter_count(), solutions.attention_weight_by_hand(), solutions.bleu_by_hand()
    aer = solutions.aer_by_hand()
    literals = [str(count), f"{weight:.3f}", f"{score:.3f}", f"{aer:.3f}", f"{aer:.2f}", str(solutions.beam_winners()),
                *(str(row) for row in solutions.batch_targets()), str(solutions.batch_targets()),
                *(str(shape) for shape in solutions.encoder_shapes() + solutions.decoder_shapes())]
    for token in (solutions.read_alignment(), solutions.read_total_attention(), solutions.read_failure(),
                  solutions.read_one_word_late()):
        literals += [repr(token), f'"{token}"']
    found = [literal for literal in literals if literal in text]
    assert not found, f"answers written in bahdanau.exercises: {found}"
