"""The exercises of the book, one record each: where it is, what it asks, how it is checked and graded.

An :class:`Exercise` is the one place that says which chapter an exercise is in, its label and
title there, its points in the chapter's assignment, and the answers it asks for, each with its
checker (the function object, not its name). Everything else is derived from the record:

- the Otter question of the assignment, :attr:`Exercise.name` (``ex-encoder-shapes`` ->
  ``encoder_shapes``), and the answer variables, :attr:`Exercise.variables`
  (``answer_encoder_shapes``, then ``answer_<name>_<part>`` for a second answer);
- the hidden tests of ``book/grading/hidden_tests.py``, found by that name
  (``hidden_<name>_*``) and taking those variables;
- the reference solutions, which ``book/grading/make_assignments.py`` attaches to the checkers
  (the objects) of these records, outside the package;
- the open questions of ``book/grading/rubrics.yml``, which name an exercise by its label.

Files that cannot import Python (the chapter notebooks, ``book/instructors.md``'s tables,
``rubrics.yml``) are checked against these records by the tests, which name any mismatch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import checks
from .feedback import Feedback

__all__ = ["Answer", "Exercise", "EXERCISES", "CHECKERS", "CHAPTERS"]


@dataclass(frozen=True)
class Answer:
    """One answer an exercise asks for, and the checker that judges it."""

    check: Callable[..., Feedback]  # a check_* function of bahdanau.exercises
    part: str = ""  # "" for the exercise's first answer; a second one is named after what it holds

    @property
    def checker(self) -> str:
        """The checker's name, as the notebook's answer cell calls it: ``exercises.<checker>(answer)``."""
        return self.check.__name__


@dataclass(frozen=True)
class Exercise:
    """One exercise: where it is, what it is called, its points, and the answers it checks."""

    chapter: str  # the notebook, e.g. "01_why_attention"
    label: str  # the sphinx-exercise label in that notebook, "ex-..."
    title: str  # as in the notebook's {exercise} directive and book/instructors.md
    points: int  # of its autograded question in the chapter's assignment
    answers: tuple[Answer, ...]  # in the order of the notebook's answer cells

    @property
    def name(self) -> str:
        """The Otter question: the label without ``ex-``, dashes as underscores."""
        return self.label.removeprefix("ex-").replace("-", "_")

    @property
    def checkers(self) -> tuple[str, ...]:
        """The checkers' names, one per answer."""
        return tuple(answer.checker for answer in self.answers)

    def variable(self, answer: Answer) -> str:
        """Where an assignment keeps ``answer``: ``answer_<name>``, or ``answer_<name>_<part>``."""
        return "_".join(filter(None, ("answer", self.name, answer.part)))

    @property
    def variables(self) -> tuple[str, ...]:
        """The answer variables, one per answer (the hidden tests' parameters, in this order)."""
        return tuple(self.variable(answer) for answer in self.answers)


def _exercise(chapter: str, label: str, title: str, points: int, *answers: Callable | Answer) -> Exercise:
    """A record; a bare checker stands for the answer it checks."""
    return Exercise(chapter, label, title, points,
                    tuple(a if isinstance(a, Answer) else Answer(a) for a in answers))


# In each chapter, the order of the notebook's exercises (tests/test_exercises.py checks it).
EXERCISES: tuple[Exercise, ...] = (
    _exercise("01_why_attention", "ex-encoder-shapes", "Predict the encoder's shapes", 2,
              checks.check_encoder_shapes),
    _exercise("01_why_attention", "ex-parameter-count", "Count the encoder's parameters", 2,
              checks.check_parameter_count),
    _exercise("01_why_attention", "ex-read-alignment", "Read a heatmap: one row", 2,
              checks.check_read_alignment),
    _exercise("02_additive_attention", "ex-weight-by-hand", "One attention weight by hand", 2,
              checks.check_attention_weight),
    _exercise("02_additive_attention", "ex-additive-weights", "Additive weights from plain tensors", 3,
              checks.check_additive_weights),
    _exercise("02_additive_attention", "ex-dot-product", "Dot-product (Luong) scoring against additive", 5,
              checks.check_dot_product_attention),
    _exercise("02_additive_attention", "ex-read-total", "Read a heatmap: the columns", 2,
              checks.check_read_total_attention),
    _exercise("03_decoder_loop", "ex-decoder-shapes", "Predict the decoder's shapes", 2,
              checks.check_decoder_shapes),
    _exercise("03_decoder_loop", "ex-padding-bug", "Find the bug: a decoder that forgets the mask", 3,
              checks.check_fixed_decoder),
    _exercise("03_decoder_loop", "ex-lstm-decoder", "An LSTM in place of the GRU", 5,
              checks.check_lstm_decoder),
    _exercise("03_decoder_loop", "ex-read-certainty", "Read a heatmap: the most confident step", 2,
              checks.check_read_certainty),
    _exercise("04_training", "ex-predict-batch", "Predict a batch", 2,
              checks.check_batch_targets),
    _exercise("04_training", "ex-masked-loss", "A loss that ignores padding", 3,
              checks.check_masked_loss),
    _exercise("04_training", "ex-attention-entropy", "An attention diagnostic: entropy", 3,
              checks.check_attention_entropy),
    _exercise("05_search_and_measuring", "ex-bleu-by-hand", "BLEU by hand", 2,
              checks.check_bleu_by_hand),
    # Two answers, one question: the score function, then the winner at each alpha.
    _exercise("05_search_and_measuring", "ex-length-normalisation", "Length normalisation in beam search", 3,
              checks.check_length_normalised_score, Answer(checks.check_beam_winner, part="winners")),
    # Every chapter closes with a heatmap to read.
    _exercise("05_search_and_measuring", "ex-read-failure", "Read a heatmap: a word that got lost", 3,
              checks.check_read_failure),
    # Then steer that heatmap's rows: does the word a step writes depend on where it looks?
    _exercise("05_search_and_measuring", "ex-steer-a-word", "Steer a word into the translation", 3,
              checks.check_steered_word),
    # After chapter 6's primer on packed sequences, which it needs.
    _exercise("06_papers_model", "ex-bidirectional", "The paper's bidirectional encoder", 5,
              checks.check_bidirectional_encoder),
    _exercise("06_papers_model", "ex-aer-by-hand", "AER by hand", 2,
              checks.check_aer_by_hand),
    _exercise("06_papers_model", "ex-read-one-word-late", "Read a heatmap: one word late", 2,
              checks.check_read_one_word_late),
)

CHECKERS: tuple[str, ...] = tuple(name for exercise in EXERCISES for name in exercise.checkers)
"""Every checker's name, in the order of :data:`EXERCISES`."""

CHAPTERS: tuple[str, ...] = tuple(dict.fromkeys(exercise.chapter for exercise in EXERCISES))
"""The chapters with exercises, in the book's order: one assignment each."""
