"""The exercises: every reference solution passes its checker, wrong answers get specific messages
(never an exception), and the notebooks and the instructors' page agree with the package."""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import torch
from helpers import SRC_VOCAB, TGT_VOCAB, TOY_PAIRS, one_cpu_thread  # noqa: F401 (fixture)
from torch import nn

from bahdanau import Seq2SeqAttentionDecoder, Seq2SeqEncoder, exercises
from bahdanau.exercises import Feedback, problems, solutions

ROOT = Path(__file__).resolve().parents[1]

# Each checker with its reference answer.
REFERENCE_ANSWERS = {
    "check_encoder_shapes": solutions.encoder_shapes(),
    "check_parameter_count": solutions.parameter_count(),
    "check_bidirectional_encoder": solutions.BidirectionalEncoder,
    "check_attention_weight": solutions.attention_weight_by_hand(),
    "check_additive_weights": solutions.additive_attention_weights,
    "check_dot_product_attention": solutions.DotProductAttention(),
    "check_decoder_shapes": solutions.decoder_shapes(),
    "check_fixed_decoder": solutions.FixedAttentionDecoder,
    "check_lstm_decoder": solutions.LSTMAttentionDecoder,
    "check_bleu_by_hand": solutions.bleu_by_hand(),
    "check_length_normalised_score": solutions.length_normalised_score,
    "check_beam_winner": solutions.beam_winners(),
    "check_attention_entropy": solutions.attention_entropy,
    "check_read_alignment": solutions.read_alignment(),
    "check_read_total_attention": solutions.read_total_attention(),
    "check_read_certainty": solutions.read_certainty(),
    "check_read_failure": solutions.read_failure(),
}


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


def masked_weights_without_normalising(queries, keys, valid_lens, W_q, W_k, w_v):
    scores = torch.tanh((queries @ W_q.T).unsqueeze(2) + (keys @ W_k.T).unsqueeze(1)) @ w_v
    real = torch.arange(keys.shape[1]) < valid_lens[:, None, None]
    return scores.exp() * real  # forgot to divide by the sum


class ScaledDotProductAttention(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries / math.sqrt(queries.shape[-1]), keys=keys, values=values,
                               valid_lens=valid_lens)


class ReturnsTheWeights(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        return super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)[1]


class ReturnsTheWeightsFirst(solutions.DotProductAttention):
    def forward(self, *, queries, keys, values, valid_lens=None):
        context, weights = super().forward(queries=queries, keys=keys, values=values, valid_lens=valid_lens)
        return weights, context


def raises(*args):
    raise ValueError("not implemented")


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
        (lambda *args: torch.ones(3).view(5), "raised RuntimeError"),
        (lambda *args: [0.5, 0.5], "returned a list"),
    ],
    "check_dot_product_attention": [
        (ScaledDotProductAttention, "sqrt(d)"),
        (lambda: None, "expected an nn.Module"),
        (ReturnsTheWeights, "should return two things, (context, weights)"),
        (ReturnsTheWeightsFirst, "the context should have the values' size"),
        (nn.Identity(), "raised TypeError: Identity.forward() got an unexpected keyword argument"),
    ],
    "check_decoder_shapes": [(((3, 5, 40), (3, 6, 5), (2, 3, 32)), "(B, T, S)"), (((3, 5, 30), (3, 5, 6), (2, 3, 32)),
                                                                                  "target vocabulary")],
    "check_fixed_decoder": [(exercises.BuggyAttentionDecoder, "padded position")],
    "check_lstm_decoder": [(Seq2SeqAttentionDecoder, "no nn.LSTM"), (exercises.BuggyAttentionDecoder, "no nn.LSTM")],
    "check_bleu_by_hand": [(0.8409, "brevity penalty"), (43.17, "wrong scale"), ("0.43", "expected a number")],
    "check_length_normalised_score": [
        (lambda log_p, length, alpha: log_p * length**alpha, "divide by len ** alpha"),
        (lambda log_p, length, alpha: log_p / length, "at alpha = 0 the score is the plain log-probability"),
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
    ],
    # "white" is the word the French *chat* does not translate; "car" a lighter column.
    "check_read_alignment": [("car", "look for the darker one"), ("dog", "is not a column"), (4, "got a int")],
    "check_read_total_attention": [("car", "look for the darker one"), ("sold car", "is not a column")],
    "check_read_certainty": [(1, "another row has"), (0, "rows 1 to"), ("2", "got a str")],
    "check_read_failure": [("green", "look for the darker one"), ("vert", "is not a column")],
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
    assert CHAPTERS == ["01_why_attention", "02_additive_attention", "03_decoder_loop", "04_training_and_evaluation"]


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
    assert len(exercise_labels) >= 3
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
    for key in ("alignment", "total", "certainty", "failure"):
        problem = problems.READING[key]
        attention = exercises.reading_translation(problem["sentence"], problem["model"]).attention  # (T, S)
        values = {"alignment": row, "total": attention.sum(0), "failure": attention.sum(0),
                  "certainty": attention.max(1).values}[key]
        first, second = values.topk(2).values.tolist()
        assert first - second >= 0.1, f"{key}: the answer is not clear to the eye ({first:.2f} vs {second:.2f})"


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
