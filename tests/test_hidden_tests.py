"""The autograder's hidden tests (book/grading/hidden_tests.py): each passes on the reference
solutions, fails on a wrong answer, stands on its own (its source is copied into an Otter test
cell), and stores no answer."""

from __future__ import annotations

import ast
import inspect
import math
import re
import textwrap
import time
from pathlib import Path

import hidden_tests
import pytest
import solutions
import torch
from helpers import one_cpu_thread  # noqa: F401 (fixture)
from make_assignments import EXERCISES, hidden_tests_of, record_problems, reference
from torch import nn

from bahdanau import Seq2SeqAttentionDecoder, exercises
from bahdanau.attention import masked_softmax
from bahdanau.decoding import focus_row

HIDDEN_TESTS_PATH = Path(hidden_tests.__file__)

HIDDEN = {name: function for name, function in inspect.getmembers(hidden_tests, inspect.isfunction)
          if function.__module__ == hidden_tests.__name__}
# Each hidden test's exercise, found as make_assignments finds it: from the exercise's record.
EXERCISE_OF = {test.__name__: exercise for exercise in EXERCISES for test in hidden_tests_of(exercise)}

# The reference answer of each answer variable, as the instructor notebook assigns it.
REFERENCE = {exercise.variable(answer): reference(answer).value()
             for exercise in EXERCISES for answer in exercise.answers}


def arguments(function, **overrides) -> dict:
    return {name: overrides.get(name, REFERENCE[name]) for name in inspect.signature(function).parameters}


# ---------------------------------------------------------------------------------------------
# Wrong answers, one or more per hidden test
# ---------------------------------------------------------------------------------------------


def wrong_token(key: str, right: str) -> str:
    problem = exercises.problems.READING[key]
    tokens = exercises.reading_translation(problem["sentence"], problem["model"]).src_tokens
    return next(token for token in tokens if token != right)


def unnormalised_weights(queries, keys, valid_lens, W_q, W_k, w_v):
    return solutions.additive_attention_weights(queries, keys, valid_lens, W_q, W_k, w_v) * 2


def off_by_one_mask(queries, keys, valid_lens, W_q, W_k, w_v):
    scores = torch.tanh((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v
    real = torch.arange(keys.shape[1]) <= valid_lens[:, None, None]  # one key too many
    return torch.softmax(scores.masked_fill(~real, float("-inf")), dim=-1)


def changes_its_keys(queries, keys, valid_lens, W_q, W_k, w_v):
    keys[..., 0] = 0.0
    return solutions.additive_attention_weights(queries, keys, valid_lens, W_q, W_k, w_v)


def detaches_W_q(queries, keys, valid_lens, W_q, W_k, w_v):
    return solutions.additive_attention_weights(queries, keys, valid_lens, W_q.detach(), W_k, w_v)


class IgnoresTheMask(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=None)


class MasksAllButOneWithoutLengths(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        if valid_lens is None:
            valid_lens = torch.ones(queries.shape[0], dtype=torch.long)
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)


class ScalesInPlace(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        queries /= math.sqrt(queries.shape[-1])
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)


class DetachesTheKeys(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys.detach(), values=values, valid_lens=valid_lens)


class LSTMIgnoringTheMask(solutions.LSTMAttentionDecoder):
    def init_state(self, enc_all_outputs, enc_valid_lens=None):
        return super().init_state(enc_all_outputs, None)


class ReversingState(solutions.LSTMState):
    def select(self, index):
        return solutions.LSTMState(*solutions.LSTMState.select(self, index.flip(0)))


class LSTMWithBadSelect(solutions.LSTMAttentionDecoder):
    def init_state(self, enc_all_outputs, enc_valid_lens=None):
        return ReversingState(*super().init_state(enc_all_outputs, enc_valid_lens))


class LSTMWithDetachedOutput(solutions.LSTMAttentionDecoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dense.register_forward_pre_hook(lambda module, inputs: tuple(x.detach() for x in inputs))


class UnpackedBidirectionalEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size, num_hiddens, batch_first=True, bidirectional=True)

    def forward(self, X, valid_lens):
        outputs, final = self.rnn(self.embedding(X))
        return outputs, final[1:]


class EncoderWithoutItsBridge(solutions.BidirectionalEncoder):
    def forward(self, X, valid_lens):
        outputs, _ = super().forward(X, valid_lens)
        H = outputs.shape[-1] // 2
        return outputs, outputs[:, 0, H:].unsqueeze(0)  # <-h_1 without W_s and tanh


def shapes_as_floats(shapes):
    return tuple(tuple(float(n) for n in shape) for shape in shapes)


def log_base_2(weights):
    return -torch.special.xlogy(weights, weights).sum(-1) / math.log(2)


def clamps_in_place(weights):
    weights.clamp_(min=1e-12)
    return solutions.attention_entropy(weights)


def rows_as_tuples_of_tuples(rows):
    return tuple(tuple(row) for row in rows)


def swapped_rows():
    tgt_in, tgt_out = solutions.batch_targets()
    return (tgt_out, tgt_in)


def row_with_eos_read():
    """tgt_in with <eos> after the French, which the decoder only predicts, never reads."""
    tgt_in, tgt_out = solutions.batch_targets()
    n = tgt_out.index("<eos>")
    return (tgt_in[: n + 1] + ["<eos>"] + tgt_in[n + 2 :], tgt_out)


def loss_over_every_position(logits, targets, pad):
    return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten())


def loss_ignoring_zero(logits, targets, pad):
    return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=0)


def loss_without_gradient_at_real_positions(logits, targets, pad):
    return solutions.masked_cross_entropy(logits.detach(), targets, pad) + 0 * logits.sum()


def loss_that_masks_in_place(logits, targets, pad):
    logits[targets == pad] = 0.0
    return solutions.masked_cross_entropy(logits, targets, pad)


def steering_reference_from_one(translator, sentence, word, french):
    step = solutions.first_step_that_writes(translator, sentence, word, french)
    return None if step is None else step + 1


def steering_reference_or_zero(translator, sentence, word, french):
    """0 where no step writes the French word."""
    return solutions.first_step_that_writes(translator, sentence, word, french) or 0


def steering_without_the_eos_row(translator, sentence, word, french):
    plain = translator.translate(sentence)
    row = focus_row(len(plain.src_tokens), plain.src_tokens.index(word))
    return next((step for step in range(len(plain.tokens))
                 if french in translator.translate(sentence, override={step: row}).tokens), None)


def steering_onto_the_last_occurrence(translator, sentence, word, french):
    plain = translator.translate(sentence)
    row = focus_row(len(plain.src_tokens), len(plain.src_tokens) - 1 - plain.src_tokens[::-1].index(word))
    return next((step for step in range(len(plain.attention))
                 if french in translator.translate(sentence, override={step: row}).tokens), None)


def steering_none_for_a_missing_word(translator, sentence, word, french):
    if word not in sentence.split():
        return None
    return solutions.first_step_that_writes(translator, sentence, word, french)


def steering_key_error_for_a_missing_word(translator, sentence, word, french):
    if word not in sentence.split():
        raise KeyError(word)
    return solutions.first_step_that_writes(translator, sentence, word, french)


WRONG = {
    "hidden_encoder_shapes_checker": [dict(answer_encoder_shapes=((7, 4, 16), (2, 4, 16)))],
    "hidden_encoder_shapes_plain_ints": [dict(answer_encoder_shapes=shapes_as_floats(solutions.encoder_shapes())),
                                         dict(answer_encoder_shapes=(solutions.encoder_shapes()[0],))],
    "hidden_parameter_count_checker": [dict(answer_parameter_count=solutions.parameter_count() - 96)],
    "hidden_parameter_count_whole_number": [dict(answer_parameter_count=solutions.parameter_count() + 0.5),
                                            dict(answer_parameter_count=True)],
    "hidden_read_alignment_checker": [dict(answer_read_alignment=wrong_token("alignment", solutions.read_alignment()))],
    "hidden_read_alignment_one_token": [dict(answer_read_alignment="dog"), dict(answer_read_alignment=3)],
    "hidden_weight_by_hand_checker": [dict(answer_weight_by_hand=0.5)],
    "hidden_weight_by_hand_precision": [dict(answer_weight_by_hand=solutions.attention_weight_by_hand() + 8e-4),
                                        dict(answer_weight_by_hand=1.0)],
    "hidden_additive_weights_other_seeds": [dict(answer_additive_weights=unnormalised_weights)],
    "hidden_additive_weights_batch_of_one": [dict(answer_additive_weights=off_by_one_mask)],
    "hidden_additive_weights_inputs_unchanged": [dict(answer_additive_weights=changes_its_keys)],
    "hidden_additive_weights_gradients": [dict(answer_additive_weights=detaches_W_q)],
    "hidden_dot_product_other_seeds": [dict(answer_dot_product=IgnoresTheMask())],
    "hidden_dot_product_without_mask": [dict(answer_dot_product=MasksAllButOneWithoutLengths())],
    "hidden_dot_product_inputs_unchanged": [dict(answer_dot_product=ScalesInPlace())],
    "hidden_dot_product_gradients": [dict(answer_dot_product=DetachesTheKeys)],
    "hidden_read_total_checker": [dict(answer_read_total=wrong_token("total", solutions.read_total_attention()))],
    "hidden_read_total_one_token": [dict(answer_read_total="voiture")],
    "hidden_decoder_shapes_checker": [dict(answer_decoder_shapes=((3, 5, 30), (3, 5, 6), (2, 3, 32)))],
    "hidden_decoder_shapes_plain_ints": [dict(answer_decoder_shapes=shapes_as_floats(solutions.decoder_shapes()))],
    "hidden_padding_bug_other_seeds": [dict(answer_padding_bug=exercises.BuggyAttentionDecoder)],
    "hidden_padding_bug_each_sentence_alone": [dict(answer_padding_bug=exercises.BuggyAttentionDecoder)],
    "hidden_padding_bug_beam_search": [dict(answer_padding_bug=exercises.BuggyAttentionDecoder)],
    "hidden_lstm_decoder_other_seed": [dict(answer_lstm_decoder=Seq2SeqAttentionDecoder)],
    "hidden_lstm_decoder_each_sentence_alone": [dict(answer_lstm_decoder=LSTMIgnoringTheMask)],
    "hidden_lstm_decoder_state_select": [dict(answer_lstm_decoder=LSTMWithBadSelect)],
    "hidden_lstm_decoder_gradients": [dict(answer_lstm_decoder=LSTMWithDetachedOutput),
                                      dict(answer_lstm_decoder=Seq2SeqAttentionDecoder)],
    "hidden_read_certainty_checker": [dict(answer_read_certainty=1)],
    "hidden_read_certainty_plain_int": [dict(answer_read_certainty=float(solutions.read_certainty())),
                                        dict(answer_read_certainty=True)],
    "hidden_predict_batch_checker": [dict(answer_predict_batch=swapped_rows())],
    "hidden_predict_batch_two_rows_of_tokens": [
        dict(answer_predict_batch=(solutions.batch_targets()[0][:5], solutions.batch_targets()[1])),
        dict(answer_predict_batch=([1, 4, 5], [4, 5, 2])),
        dict(answer_predict_batch=solutions.batch_targets()[:1]),
    ],
    "hidden_predict_batch_shifted": [dict(answer_predict_batch=row_with_eos_read()),
                                     dict(answer_predict_batch=swapped_rows())],
    "hidden_masked_loss_other_seeds": [dict(answer_masked_loss=loss_ignoring_zero)],
    "hidden_masked_loss_other_sizes": [dict(answer_masked_loss=loss_over_every_position),
                                       dict(answer_masked_loss=loss_ignoring_zero)],
    "hidden_masked_loss_gradients": [dict(answer_masked_loss=loss_without_gradient_at_real_positions)],
    "hidden_masked_loss_inputs_unchanged": [dict(answer_masked_loss=loss_that_masks_in_place)],
    "hidden_bleu_by_hand_checker": [dict(answer_bleu_by_hand=0.8409)],
    "hidden_bleu_by_hand_precision": [dict(answer_bleu_by_hand=solutions.bleu_by_hand() + 8e-4),
                                      dict(answer_bleu_by_hand=100 * solutions.bleu_by_hand())],
    "hidden_length_normalisation_other_seeds": [
        dict(answer_length_normalisation=lambda log_p, length, alpha: log_p / length),
    ],
    "hidden_length_normalisation_winners": [dict(answer_length_normalisation_winners=("A", "A"))],
    "hidden_length_normalisation_consistent": [dict(answer_length_normalisation_winners=("B", "B"))],
    "hidden_length_normalisation_plain_number": [
        dict(answer_length_normalisation=lambda log_p, length, alpha: [log_p / length**alpha]),
        dict(answer_length_normalisation=lambda log_p, length, alpha: -log_p / length**alpha),
    ],
    "hidden_attention_entropy_other_seeds": [dict(answer_attention_entropy=log_base_2)],
    "hidden_attention_entropy_any_leading_shape": [
        dict(answer_attention_entropy=lambda w: -torch.xlogy(w, w).reshape(-1, w.shape[-1]).sum(-1)),
    ],
    "hidden_attention_entropy_uniform_rows": [dict(answer_attention_entropy=lambda w: -(w * w.log()).sum(-1))],
    "hidden_attention_entropy_input_unchanged": [dict(answer_attention_entropy=clamps_in_place)],
    "hidden_bidirectional_other_seeds": [dict(answer_bidirectional=UnpackedBidirectionalEncoder)],
    "hidden_bidirectional_each_sentence_alone": [dict(answer_bidirectional=UnpackedBidirectionalEncoder)],
    "hidden_bidirectional_gradients": [dict(answer_bidirectional=EncoderWithoutItsBridge)],
    "hidden_read_failure_checker": [dict(answer_read_failure=wrong_token("failure", solutions.read_failure()))],
    "hidden_read_failure_one_token": [dict(answer_read_failure="vert")],
    "hidden_steer_a_word_checker": [dict(answer_steer_a_word=steering_reference_from_one)],
    "hidden_steer_a_word_other_sentences": [dict(answer_steer_a_word=steering_reference_from_one),
                                            dict(answer_steer_a_word=lambda translator, *question: None),
                                            dict(answer_steer_a_word=lambda translator, *question: True)],
    "hidden_steer_a_word_no_step": [dict(answer_steer_a_word=steering_reference_or_zero)],
    "hidden_steer_a_word_twice": [dict(answer_steer_a_word=steering_onto_the_last_occurrence)],
    "hidden_steer_a_word_eos_row": [dict(answer_steer_a_word=steering_without_the_eos_row),
                                    dict(answer_steer_a_word=steering_reference_from_one)],
    "hidden_steer_a_word_word_not_in_the_sentence": [dict(answer_steer_a_word=steering_none_for_a_missing_word),
                                                     dict(answer_steer_a_word=steering_key_error_for_a_missing_word)],
    "hidden_aer_by_hand_checker": [dict(answer_aer_by_hand=1 - 8 / 14)],
    "hidden_aer_by_hand_precision": [dict(answer_aer_by_hand=solutions.aer_by_hand() + 8e-4),
                                     dict(answer_aer_by_hand=100 * solutions.aer_by_hand()),
                                     dict(answer_aer_by_hand=True),
                                     dict(answer_aer_by_hand=torch.tensor([0.25, 0.3]))],
    "hidden_read_one_word_late_checker": [
        dict(answer_read_one_word_late=wrong_token("late", solutions.read_one_word_late())),
    ],
    "hidden_read_one_word_late_one_token": [dict(answer_read_one_word_late="cheveux"),
                                            dict(answer_read_one_word_late=2)],
}


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------


def test_the_records_and_the_hidden_tests_fit_together():
    """Every exercise has hidden tests taking its answer variables; every test belongs to one exercise."""
    assert not record_problems(), "\n".join(record_problems())
    assert set(EXERCISE_OF) == set(HIDDEN), f"no exercise for {set(HIDDEN) - set(EXERCISE_OF)}"
    assert {exercise.name for exercise in EXERCISE_OF.values()} == {exercise.name for exercise in EXERCISES}
    assert set(HIDDEN) == set(WRONG), f"untested: {set(HIDDEN) - set(WRONG)}, unknown: {set(WRONG) - set(HIDDEN)}"
    assert all(len(WRONG[name]) >= 1 for name in HIDDEN)


def test_a_broken_tie_is_named(monkeypatch, tmp_path):
    """make_assignments refuses to build when a piece does not fit, and says which."""
    import make_assignments

    def hidden_bleu_by_hands_checker(answer_bleu_by_hand):  # a misspelt exercise name
        pass

    def hidden_read_total_extra(answer_read_totals):  # a misspelt answer variable
        pass

    monkeypatch.delitem(make_assignments.REFERENCES, exercises.check_bleu_by_hand)
    for test in (hidden_bleu_by_hands_checker, hidden_read_total_extra):
        monkeypatch.setattr(hidden_tests, test.__name__, test, raising=False)
    problems = record_problems()
    assert "check_bleu_by_hand has no reference solution in make_assignments.REFERENCES" in problems
    assert any(p.startswith("hidden_tests.hidden_bleu_by_hands_checker belongs to 0 exercises") for p in problems)
    assert any(p.startswith("hidden_tests.hidden_read_total_extra takes ('answer_read_totals',)") for p in problems)
    with pytest.raises(SystemExit, match="check_bleu_by_hand has no reference solution"):
        make_assignments.main([str(tmp_path / "assignments")])
    assert not (tmp_path / "assignments").exists()


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_test_takes_its_exercises_answers(name):
    assert tuple(inspect.signature(HIDDEN[name]).parameters) == EXERCISE_OF[name].variables
    if EXERCISE_OF[name].name == "length_normalisation":
        assert EXERCISE_OF[name].variables == ("answer_length_normalisation", "answer_length_normalisation_winners")


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_test_passes_on_the_reference_solution(name):
    started = time.perf_counter()
    HIDDEN[name](**arguments(HIDDEN[name]))
    assert time.perf_counter() - started < 5
    # Chapter 2's notebook turns gradients off for the whole kernel: the tests must not mind.
    with torch.no_grad():
        HIDDEN[name](**arguments(HIDDEN[name]))
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("name,index", [(n, i) for n in sorted(WRONG) for i in range(len(WRONG[n]))])
def test_hidden_test_fails_on_a_wrong_answer(name, index):
    with pytest.raises(AssertionError) as failure:
        HIDDEN[name](**arguments(HIDDEN[name], **WRONG[name][index]))
    assert str(failure.value).strip(), "a failing hidden test should say which property failed"


def source_of(name: str) -> str:
    return textwrap.dedent(inspect.getsource(HIDDEN[name]))


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_test_source_is_self_contained(name):
    """As make_assignments.py copies it into an Otter cell: alone, in a fresh namespace."""
    namespace = {"__name__": "otter_test_cell"}
    exec(compile(source_of(name), f"<{name}>", "exec"), namespace)
    assert set(namespace) - {"__builtins__"} == {"__name__", name}
    function = namespace[name]
    function(**arguments(function))
    # The failures too come from the copied source alone.
    with pytest.raises(AssertionError):
        function(**arguments(function, **WRONG[name][0]))


def literal_answers() -> list[str]:
    """The answers as they could be written in a source: numbers, shapes, tokens, the winners."""
    literals = []
    for shapes in (solutions.encoder_shapes(), solutions.decoder_shapes()):
        literals += [str(shapes), *(str(shape) for shape in shapes)]
    count = solutions.parameter_count()
    literals += [str(count), f"{count:_}", f"{float(count)}"]
    rows = solutions.batch_targets()
    literals += [str(rows), str(list(rows)), *(str(row) for row in rows), *(" ".join(row) for row in rows)]
    for number in (solutions.attention_weight_by_hand(), solutions.bleu_by_hand(), solutions.aer_by_hand()):
        literals += [f"{number:.3f}", f"{number:.4f}", f"{number:.2f}"]
    literals += [str(solutions.beam_winners()), str(list(solutions.beam_winners()))]
    literals += [repr("".join(solutions.beam_winners())), '"'.join(["", *solutions.beam_winners(), ""])]
    for token in (solutions.read_alignment(), solutions.read_total_attention(), solutions.read_failure(),
                  solutions.read_one_word_late()):
        literals += [repr(token), f'"{token}"']
    return literals


@pytest.mark.parametrize("name", sorted(HIDDEN))
def test_hidden_test_stores_no_answer(name):
    source = source_of(name)
    found = [literal for literal in literal_answers() if literal in source]
    assert not found, f"{name} contains {found}"
    if EXERCISE_OF[name].name == "read_certainty":
        step = solutions.read_certainty()
        assert not re.search(rf"\b{step}\b", source), f"{name} names the step itself"


def test_no_hidden_test_uses_the_solutions():
    text = HIDDEN_TESTS_PATH.read_text()
    assert "solutions" not in re.sub(r'"""[\s\S]*?"""', "", text)
    # Nothing at module level but the docstring and the test functions.
    body = ast.parse(text).body
    assert isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    assert all(isinstance(node, ast.FunctionDef) for node in body[1:])
    assert {node.name for node in body[1:]} == set(HIDDEN)


class ScaledStoringAttention(nn.Module):
    """Another correct answer: the scaled dot product, the weights stored rather than returned."""

    def forward(self, *, queries, keys, values, valid_lens=None):
        scores = torch.einsum("bqd,bkd->bqk", queries, keys) / math.sqrt(queries.shape[-1])
        self.attention_weights = masked_softmax(scores, valid_lens)
        return self.attention_weights @ values


class XavierLSTMAttentionDecoder(solutions.LSTMAttentionDecoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, dropout=0.2, **kwargs)
        for parameter in self.parameters():
            nn.init.xavier_uniform_(parameter) if parameter.dim() > 1 else nn.init.zeros_(parameter)


def weights_masked_with_a_large_negative(queries, keys, valid_lens, W_q, W_k, w_v):
    scores = (torch.tanh((queries @ W_q.T)[:, :, None] + (keys @ W_k.T)[:, None]) * w_v).sum(-1)
    padded = torch.arange(keys.shape[1])[None, None] >= valid_lens[:, None, None]
    return torch.softmax(scores.masked_fill(padded, -1e6), dim=-1)


def entropy_with_a_clamp(weights):
    return -(weights * weights.clamp(min=1e-30).log()).sum(dim=-1)


def steering_with_a_tensor_row(translator, sentence, word, french):
    """Another correct answer: its own one-hot row, a step counted down from the end, a tensor step."""
    plain = translator.translate(sentence)
    if word not in plain.src_tokens:
        raise ValueError(word)
    row = torch.zeros(len(plain.src_tokens))
    row[plain.src_tokens.index(word)] = 1.0
    writing = [step for step in reversed(range(plain.attention.shape[0]))
               if french in translator.translate(sentence, override={step: row}).tokens]
    return torch.tensor(writing[-1]) if writing else None


OTHER_CORRECT = {
    "answer_dot_product": [ScaledStoringAttention(), ScaledStoringAttention],
    "answer_lstm_decoder": [XavierLSTMAttentionDecoder],
    "answer_additive_weights": [weights_masked_with_a_large_negative],
    "answer_attention_entropy": [entropy_with_a_clamp],
    "answer_parameter_count": [float(solutions.parameter_count()), torch.tensor(solutions.parameter_count())],
    "answer_encoder_shapes": [[list(shape) for shape in solutions.encoder_shapes()]],
    "answer_read_alignment": [f" {solutions.read_alignment().upper()} "],
    "answer_length_normalisation_winners": [list(solutions.beam_winners())],
    "answer_predict_batch": [rows_as_tuples_of_tuples(solutions.batch_targets()),
                             tuple(" ".join(row) for row in solutions.batch_targets())],
    "answer_masked_loss": [lambda logits, targets, pad: nn.functional.cross_entropy(
        logits.flatten(0, 1), targets.flatten(), ignore_index=pad)],
    "answer_aer_by_hand": [1 - 10 / 14, torch.tensor(1 - 10 / 14), round(solutions.aer_by_hand(), 3)],
    "answer_steer_a_word": [steering_with_a_tensor_row],
}


@pytest.mark.parametrize("variable,index", [(v, i) for v in OTHER_CORRECT for i in range(len(OTHER_CORRECT[v]))])
def test_hidden_tests_accept_other_correct_answers(variable, index):
    answer = OTHER_CORRECT[variable][index]
    for name in sorted(HIDDEN):
        if variable in inspect.signature(HIDDEN[name]).parameters:
            HIDDEN[name](**arguments(HIDDEN[name], **{variable: answer}))


def test_the_steering_hidden_tests_ask_what_their_names_say():
    """Their questions, answered by the reference: each test can tell its mistake from the right answer."""
    translator = exercises.shipped_translator(exercises.problems.STEERING["model"])
    questions = {}
    for name in ("other_sentences", "no_step", "twice", "eos_row", "word_not_in_the_sentence"):
        source = source_of(f"hidden_steer_a_word_{name}")
        questions[name] = [tuple(found) for found in re.findall(r'"([^"]+ [.?!])", "([^"]+)", "([^"]+)"', source)]
        assert questions[name], name
    steps = {name: [solutions.first_step_that_writes(translator, *question) for question in found]
             for name, found in questions.items() if name != "word_not_in_the_sentence"}
    assert None not in steps["other_sentences"] and 0 in steps["other_sentences"]
    assert steps["no_step"] == [None] * len(questions["no_step"])
    for question, step in zip(questions["twice"], steps["twice"]):
        sentence, word, _ = question
        assert translator.translate(sentence).src_tokens.count(word) == 2
        assert steering_onto_the_last_occurrence(translator, *question) != step, question
    (sentence, _, _), = questions["eos_row"]
    assert steps["eos_row"] == [len(translator.translate(sentence).tokens)]  # the <eos> row, and none before
    for question in questions["word_not_in_the_sentence"]:
        with pytest.raises(ValueError):
            solutions.first_step_that_writes(translator, *question)
